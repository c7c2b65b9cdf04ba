#!/bin/bash
# Boots an image that Kindling builds from Debian 13's dracut 106 stock modules, systemd flavour,
# in QEMU: Kindling runs inside the Debian 13 root (Tests/support/trixie-root, through
# Tests/support/trixie-run) with --modules-dir /usr/lib/dracut/modules.d, so the image holds that
# root's systemd 257 and dracut-ng's hook layout. systemd in the initramfs finds root=LABEL=... on
# a virtio disk, mounts it and switches root; the root's own init prints a marker on the serial
# console, and the test passes when it shows up.
#   TIMEOUT             seconds a boot may take (default: 420; systemd under TCG is slow)
#   KVM_PROBE_TIMEOUT   seconds a KVM boot may take before TCG is tried instead (default: 15)
# Needs root, debootstrap (for the root), QEMU, mkfs.ext4, a static busybox, the release build.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
name='stock-systemd-boot-ng'
timeout_seconds=${TIMEOUT:-420}
kvm_probe_seconds=${KVM_PROBE_TIMEOUT:-15}
PATH=$PATH:/usr/sbin:/sbin

prepare_trixie_root
KINDLING=$repo/.build/release/kindling
require_boot_test_tools
if [[ ! -x /bin/busybox ]] || readelf -lW /bin/busybox 2>/dev/null | grep -q 'Requesting program interpreter'; then
    give_up "the root disk needs a static /bin/busybox (apt-get install busybox-static)"
fi
[[ -d $trixie/usr/lib/dracut/modules.d/00systemd ]] || give_up "the root at $trixie has no dracut systemd module"

label=kindlingroot
make_marker_root_disk "$work" "$label"
mkdir -p "$work/confdir"

modules="systemd systemd-initrd dracut-systemd udev-rules kernel-modules rootfs-block fs-lib base"
if ! in_trixie "$root/lib/modules/$kver" \
    /opt/kindling/.build/release/kindling --force --no-hostonly --conf /dev/null --confdir /kindling-work/confdir \
    --modules-dir /usr/lib/dracut/modules.d -m "$modules" --kver "$kver" --no-compress --no-early-microcode \
    /kindling-work/initrd.img >"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log"
    give_up "kindling could not build the image in the Debian 13 root"
fi
# The image is dracut-ng's: hooks under var/lib/dracut/hooks, usr/lib/dracut/hooks a link to them.
listing=$(cpio -itv --quiet <"$work/initrd.img" 2>/dev/null)
if grep -qE '^l.* usr/lib/dracut/hooks -> \.\./\.\./\.\./var/lib/dracut/hooks$' <<<"$listing" &&
    grep -qE '^d.* var/lib/dracut/hooks/pre-mount$' <<<"$listing"; then
    pass "$name: the image has dracut-ng 106's hook layout"
else
    fail "$name: the image lacks dracut-ng 106's hook layout (var/lib/dracut/hooks, usr/lib/dracut/hooks linking to it)"
fi

boot_kvm_or_tcg "$kvm_probe_seconds" "$timeout_seconds" "$work/serial" -m 1024 \
    -kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initrd.img" \
    -append "console=ttyS0 root=LABEL=$label rw panic=-1 systemd.show_status=1 rd.shell=0 rd.emergency=poweroff" \
    -drive "file=$work/root.raw,format=raw,if=virtio"

report_switch_root "dracut 106's systemd modules mounted LABEL=$label and switched root into it"
finish
