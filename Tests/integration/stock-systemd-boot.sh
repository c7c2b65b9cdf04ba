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

# The root filesystem: an os-release (systemd only switches into an OS tree) and an init that
# prints the marker and powers off.
marker="kindling-root-$$-$RANDOM"
label=kindlingroot
mkdir -p "$work/root/bin" "$work/root/sbin" "$work/root/etc" "$work/root/proc" "$work/root/sys" "$work/root/dev" "$work/confdir"
cp /bin/busybox "$work/root/bin/busybox"
printf 'ID=kindling-test\nNAME="Kindling test root"\n' >"$work/root/etc/os-release"
cat >"$work/root/sbin/init" <<END
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc 2>/dev/null
echo "root init: $marker (pid \$\$)" >/dev/console
/bin/busybox poweroff -f
END
chmod 0755 "$work/root/sbin/init"
mkfs.ext4 -q -F -L "$label" -d "$work/root" "$work/root.raw" 32M >"$work/mkfs.log" 2>&1 ||
    give_up "mkfs.ext4 -d failed: $(tail -n 1 "$work/mkfs.log")"

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

if grep -q "root init: $marker" "$log"; then
    pass "$name: systemd in the image mounted LABEL=$label and switched root into it ($accel, $kver)"
    # After switch_root the root's init is process 1, started by systemd's initrd-switch-root.
    if grep -q 'systemd\[1\]: Running in initrd' "$log" && grep -q 'initrd-switch-root.service' "$log" &&
        grep -q "root init: $marker (pid 1)" "$log"; then
        pass "$name: systemd ran in the initrd and its switch-root made the root's init process 1"
    else
        fail "$name: the console does not show systemd in the initrd switching root to the root's init"
    fi
else
    tail -n 40 "$log"
    if ((status == 124)); then
        fail "$name: no marker from the root's init within the time limit ($accel)"
    else
        fail "$name: no marker from the root's init (QEMU exit status $status, $accel)"
    fi
fi
finish
