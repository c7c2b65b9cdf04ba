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
mkfs.ext4 -q -F -d "$work/disk" "$work/disk.raw" 16M >"$work/mkfs.log" 2>&1 ||
    give_up "mkfs.ext4 -d failed: $(tail -n 1 "$work/mkfs.log")"

if ! "$KINDLING" --force --no-hostonly --conf /dev/null --confdir "$work/confdir" \
    --modules-dir "$here/../fixtures/modules.d" -m kmodtest \
    --kmoddir "$root/lib/modules/$kver" --kver "$kver" --no-compress --no-early-microcode \
    "$work/initrd.img" >"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log"
    give_up "kindling could not build the image"
fi

# Boots with accelerator $1 for at most $2 seconds; the serial console goes to serial-$1.log.
boot() {
    timeout "$2" qemu-system-x86_64 -accel "$1" -m 512 -nographic -no-reboot \
        -kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initrd.img" -append "console=ttyS0 panic=-1" \
        -drive "file=$work/disk.raw,format=raw,if=virtio" </dev/null >"$work/serial-$1.log" 2>&1
}

# KVM when /dev/kvm opens. Nested KVM can accept a guest and then never run it, so a KVM boot
# in which the kernel prints nothing at all is retried with TCG.
accel=tcg
if [[ -e /dev/kvm ]] && (exec 3<>/dev/kvm) 2>/dev/null; then
    accel=kvm
    boot kvm "$kvm_probe_seconds"
    status=$?
    if ! grep -q 'Linux version' "$work/serial-kvm.log"; then
        echo "$name: the kernel printed nothing under KVM; booting again with TCG"
        accel=tcg
    fi
fi
if [[ $accel == tcg ]]; then
    boot tcg "$timeout_seconds"
    status=$?
fi

if grep -q "kmodtest: marker: $marker" "$work/serial-$accel.log"; then
    pass "$name: the image loaded virtio and ext4 with its own modprobe and read the marker ($accel, $kver)"
else
    tail -n 40 "$work/serial-$accel.log"
    if ((status == 124)); then
        fail "$name: no marker on the serial console within the time limit ($accel)"
    else
        fail "$name: no marker on the serial console (QEMU exit status $status, $accel)"
    fi
fi
finish
