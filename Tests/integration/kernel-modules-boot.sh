#!/bin/bash
# Boots a Kindling image in QEMU: a busybox /init (Tests/fixtures/modules.d/99kmodtest) loads
# virtio_pci, virtio_blk and ext4 with the image's own modprobe, mounts an ext4 virtio disk and
# prints a marker read from it on the serial console. Passes when the marker shows up.
#   TIMEOUT             seconds a boot may take (default: 180)
#   KVM_PROBE_TIMEOUT   seconds a KVM boot may take before TCG is tried instead (default: 60)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=kernel-modules-boot
timeout_seconds=${TIMEOUT:-180}
kvm_probe_seconds=${KVM_PROBE_TIMEOUT:-15}
PATH=$PATH:/usr/sbin:/sbin

require_boot_test_tools

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

marker="kindling-marker-$$-$RANDOM"
mkdir -p "$work/disk" "$work/confdir"
printf '%s\n' "$marker" >"$work/disk/marker"
mkfs.ext4 -q -F -d "$work/disk" "$work/disk.raw" 16M >"$work/mkfs.log" 2>&1 ||
    give_up "mkfs.ext4 -d failed: $(tail -n 1 "$work/mkfs.log")"

if ! "$KINDLING" --force --no-hostonly --conf /dev/null --confdir "$work/confdir" \
    --modules-dir "$here/../fixtures/modules.d" -m kmodtest \
    --kmoddir "$root/lib/modules/$kver" --kver "$kver" --no-compress --no-early-microcode \
    "$work/initrd.img" >"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log"
    give_up "kindling could not build the image"
fi

boot_kvm_or_tcg "$kvm_probe_seconds" "$timeout_seconds" "$work/serial" -m 512 \
    -kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initrd.img" -append "console=ttyS0 panic=-1" \
    -drive "file=$work/disk.raw,format=raw,if=virtio"

if grep -q "kmodtest: marker: $marker" "$log"; then
    pass "$name: the image loaded virtio and ext4 with its own modprobe and read the marker ($accel, $kver)"
else
    tail -n 40 "$log"
    if ((status == 124)); then
        fail "$name: no marker on the serial console within the time limit ($accel)"
    else
        fail "$name: no marker on the serial console (QEMU exit status $status, $accel)"
    fi
fi
finish
