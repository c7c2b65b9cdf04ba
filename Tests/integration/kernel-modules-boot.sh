#!/bin/bash
# Boots a Kindling image in QEMU: a busybox /init (Tests/fixtures/modules.d/99kmodtest) loads
# virtio_pci, virtio_blk and ext4 with the image's own modprobe, mounts an ext4 virtio disk and
# prints a marker read from it on the serial console. Passes when the marker shows up.
#   TIMEOUT   seconds QEMU may run (default: 180)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=kernel-modules-boot
timeout_seconds=${TIMEOUT:-180}
PATH=$PATH:/usr/sbin:/sbin

give_up() {
    fail "$name: $*"
    finish
    exit 1
}

command -v qemu-system-x86_64 >/dev/null || give_up "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
command -v mkfs.ext4 >/dev/null || give_up "mkfs.ext4 is not installed"
[[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"
read -r kver root < <("$here/../support/kernel-cache") || give_up "the test kernel is unavailable (Tests/support/kernel-cache failed)"
[[ -n ${kver-} && -f $root/boot/vmlinuz-$kver ]] || give_up "the test kernel has no vmlinuz"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

marker="kindling-marker-$$-$RANDOM"
mkdir -p "$work/disk" "$work/confdir"
printf '%s\n' "$marker" >"$work/disk/marker"
mkfs.ext4 -q -F -d "$work/disk" "$work/disk.raw" 16M || give_up "mkfs.ext4 -d failed"

if ! "$KINDLING" --force --no-hostonly --conf /dev/null --confdir "$work/confdir" \
    --modules-dir "$here/../fixtures/modules.d" -m kmodtest \
    --kmoddir "$root/lib/modules/$kver" --kver "$kver" --no-compress --no-early-microcode \
    "$work/initrd.img" >"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log"
    give_up "kindling could not build the image"
fi

accel=tcg
if [[ -e /dev/kvm ]] && (exec 3<>/dev/kvm) 2>/dev/null; then accel=kvm; fi

timeout "$timeout_seconds" qemu-system-x86_64 -accel "$accel" -m 512 -nographic -no-reboot \
    -kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initrd.img" -append "console=ttyS0 panic=-1" \
    -drive "file=$work/disk.raw,format=raw,if=virtio" </dev/null >"$work/serial.log" 2>&1
status=$?

if grep -q "kmodtest: marker: $marker" "$work/serial.log"; then
    pass "$name: the image loaded virtio and ext4 with its own modprobe and read the marker ($accel, $kver)"
else
    tail -n 40 "$work/serial.log"
    if ((status == 124)); then
        fail "$name: no marker on the serial console within ${timeout_seconds}s ($accel)"
    else
        fail "$name: no marker on the serial console (QEMU exit status $status, $accel)"
    fi
fi
finish
