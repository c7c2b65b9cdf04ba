#!/bin/bash
# Boots an image that Kindling builds from dracut 059's stock modules, systemd flavour, in QEMU:
# systemd in the initramfs finds root=LABEL=... on a virtio disk, mounts it and switches root.
# The root's own init prints a marker on the serial console; the test passes when it shows up.
#   TIMEOUT             seconds a boot may take (default: 420; systemd under TCG is slow)
#   KVM_PROBE_TIMEOUT   seconds a KVM boot may take before TCG is tried instead (default: 15)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name='stock-systemd-boot'
timeout_seconds=${TIMEOUT:-420}
kvm_probe_seconds=${KVM_PROBE_TIMEOUT:-15}
PATH=$PATH:/usr/sbin:/sbin
stock=/usr/lib/dracut/modules.d

require_boot_test_tools
[[ -d $stock/00systemd ]] || give_up "dracut's stock modules are not installed (apt-get install dracut-core)"
# Static: no program interpreter among its program headers.
if [[ ! -x /bin/busybox ]] || readelf -lW /bin/busybox 2>/dev/null | grep -q 'Requesting program interpreter'; then
    give_up "the root disk needs a static /bin/busybox (apt-get install busybox-static)"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

label=kindlingroot
make_marker_root_disk "$work" "$label"
mkdir -p "$work/confdir"

modules="systemd systemd-initrd dracut-systemd udev-rules kernel-modules rootfs-block fs-lib base"
if ! "$KINDLING" --force --no-hostonly --conf /dev/null --confdir "$work/confdir" --modules-dir "$stock" \
    -m "$modules" --kmoddir "$root/lib/modules/$kver" --kver "$kver" --no-compress --no-early-microcode \
    "$work/initrd.img" >"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log"
    give_up "kindling could not build the image"
fi

boot_kvm_or_tcg "$kvm_probe_seconds" "$timeout_seconds" "$work/serial" -m 1024 \
    -kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initrd.img" \
    -append "console=ttyS0 root=LABEL=$label rw panic=-1 systemd.show_status=1 rd.shell=0 rd.emergency=poweroff" \
    -drive "file=$work/root.raw,format=raw,if=virtio"

# After switch_root the root's init is process 1, started by systemd's initrd-switch-root.
report_switch_root "systemd in the image mounted LABEL=$label and switched root into it" initrd-switch-root.service
finish
