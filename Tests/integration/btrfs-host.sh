#!/bin/bash
# A host whose /usr is a btrfs filesystem on two disks (loop devices): Kindling's btrfs_devs
# names both, as dracut's does, and a hostonly build, or one given --mount for the filesystem,
# counts both among the host's devices.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=btrfs-host
modules=$here/../fixtures/btrfs/modules.d

((EUID == 0)) || give_up "needs root (loop devices, mounting)"
command -v mkfs.btrfs >/dev/null || give_up "mkfs.btrfs is not installed (apt-get install btrfs-progs)"
[[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"

make_work_directory
loops=()
cleanup() {
    umount "$work/sysroot/usr" 2>/dev/null
    local loop
    for loop in "${loops[@]}"; do losetup -d "$loop" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/sysroot/usr" "$work/sysroot/etc"
for disk in a b; do
    truncate -s 160M "$work/disk-$disk"
    loop=$(losetup --find --show "$work/disk-$disk") || give_up "cannot set up a loop device"
    loops+=("$loop")
done
mkfs.btrfs -q -f -d raid1 -m raid1 "${loops[@]}" >/dev/null 2>&1 || give_up "mkfs.btrfs failed on ${loops[*]}"
mount -t btrfs "${loops[0]}" "$work/sysroot/usr" || give_up "cannot mount the btrfs filesystem"

expected=$(printf '%s\n' "${loops[@]}" | sort)
dracut_says=$(bash -c '. /usr/lib/dracut/dracut-functions.sh && btrfs_devs "$1"' _ "$work/sysroot/usr" | sort)
if [[ $dracut_says == "$expected" ]]; then
    pass "dracut's btrfs_devs names both disks"
else
    fail "dracut's btrfs_devs names both disks (it said: ${dracut_says//$'\n'/ })"
fi

if "$KINDLING" --no-kernel -H --sysroot "$work/sysroot" --modules-dir "$modules" -m btrfs-members \
    "$work/image.img" >"$work/log" 2>&1; then
    pass "a hostonly build over the two-disk btrfs succeeds"
else
    fail "a hostonly build over the two-disk btrfs succeeds"; sed 's/^/    /' "$work/log"
fi
unpack_image "$work/image.img" "$work/image"
found=$work/image/etc/btrfs-members
if [[ $(sort "$found/btrfs_devs" 2>/dev/null) == "$expected" ]]; then
    pass "btrfs_devs names both disks, as dracut's does"
else
    fail "btrfs_devs names both disks (it said: $(tr '\n' ' ' <"$found/btrfs_devs" 2>/dev/null))"
fi
# A host device is a node or, where /dev/block is missing, its MAJOR:MINOR.
device_nodes() {
    local device
    while read -r device; do
        if [[ $device =~ ^[0-9]+:[0-9]+$ ]]; then
            printf '/dev/%s\n' "$(basename "$(readlink -f "/sys/dev/block/$device")")"
        else
            readlink -f "$device"
        fi
    done
}
missing=$(comm -23 <(printf '%s\n' "$expected") <(device_nodes <"$found/host_devs" | sort -u))
if [[ -z $missing ]]; then
    pass "both disks are host devices"
else
    fail "both disks are host devices (missing: ${missing//$'\n'/ })"
fi
# --mount names one disk of the filesystem; the other is a host device too, hostonly or not.
if "$KINDLING" --no-kernel --sysroot "$work/sysroot" --modules-dir "$modules" -m btrfs-members \
    --mount "${loops[0]} $work/sysroot/usr btrfs defaults" "$work/mount.img" >"$work/log" 2>&1; then
    pass "a build with --mount on the two-disk btrfs succeeds"
else
    fail "a build with --mount on the two-disk btrfs succeeds"; sed 's/^/    /' "$work/log"
fi
unpack_image "$work/mount.img" "$work/mount"
missing=$(comm -23 <(printf '%s\n' "$expected") <(device_nodes <"$work/mount/etc/btrfs-members/host_devs" | sort -u))
if [[ -z $missing ]]; then
    pass "--mount makes both disks host devices"
else
    fail "--mount makes both disks host devices (missing: ${missing//$'\n'/ })"
fi
finish
