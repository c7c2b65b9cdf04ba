#!/bin/bash
# lvm-guest.sh WORK KINDLING KVER KMODDIR AS_ROOT DIR...: the LVM cases' build host, run in the
# builder guest (Tests/fixtures/kdump/modules.d/99kdump-builder) chrooted in this host's tree:
# that guest has device-mapper, which the test host may lack.
#   /dev/vda  laid out as RHEL's default install: partition 1 a 320 MiB xfs /boot (xfs's least), partition 2 a
#             physical volume of volume group rhel, with logical volumes root (xfs labelled
#             rhelroot, holding /var/crash) and swap
#   /dev/vdb  the same volume group name with swap only: a disk whose rhel/root is missing;
#             and a thin pool with thin volume rhel/thin (xfs), which a build must refuse
#   /dev/vdc  volume group seg-vg, for lvm-reader-guest.sh (WORK/lvm-reader.out and .status):
#             the reader and kindling-dmload against LVM
#   /dev/vdd  Fedora-like (made by the host: btrfs on partition 2, subvolumes root and home):
#             WORK/btrfs-virtio.conf is built into WORK/btrfs-virtio.img chrooted on subvolume
#             root (WORK/btrfs-virtio.out and .status)
# Then rhel/root is mounted on a new root and each WORK/lvm-*.conf is built, chrooted there
# (as-root.sh), into WORK/lvm-*.img: a build on a RHEL host whose / is rhel/root; and one with
# failure_action dump_to_rootfs, which must be refused (WORK/lvm-rootfs.out and .status), and
# one by a kindling without kindling-dmload beside it, refused too (WORK/lvm-noloader.*).
# WORK/lvm-rhel.layout gets rhel/root's offset and size on /dev/vda in bytes (for the host to
# read the volume back without device-mapper) and its filesystem's UUID.

set -eu
work=$1 kindling=$2 kver=$3 kmoddir=$4 as_root=$5
shift 5
root_dirs=("$@")

# The host's /etc is read-only here: LVM reads this configuration instead (no udev, no backups).
export LVM_SYSTEM_DIR=/run/lvm-test
mkdir -p "$LVM_SYSTEM_DIR" /run/lock/lvm
printf '%s\n' 'devices { obtain_device_list_from_udev = 0 use_devicesfile = 0 }' \
    'activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }' 'backup { backup = 0 archive = 0 }' \
    'global { thin_check_executable = "" }' \
    >"$LVM_SYSTEM_DIR/lvm.conf"

# layout DISK: the RHEL-like partitions; no udev, so the nodes come from devtmpfs.
layout() {
    printf 'label: gpt\nstart=1MiB, size=320MiB, name=boot\nstart=321MiB, name=lvm, type=lvm\n' | sfdisk -q "$1"
    for _ in 1 2 3 4 5; do
        [[ -b ${1}2 ]] && break
        sleep 1
    done
    mkfs.xfs -q -f -L boot "${1}1"
}

layout /dev/vda
pvcreate -q /dev/vda2
vgcreate -q rhel /dev/vda2
lvcreate -q -y -L 700M -n root rhel
lvcreate -q -y -L 64M -n swap rhel
mkfs.xfs -q -f -L rhelroot /dev/mapper/rhel-root
echo "rhel/root: $(lvs --noheadings -o lv_path,segtype,devices rhel/root)"

newroot=/run/newroot
# build_in_root CONF IMAGE [BINARY]: Kindling (BINARY, default $kindling), chrooted on $newroot
# (as-root.sh), builds IMAGE from CONF. as-root.sh's mounts stay in this guest only: each build
# binds anew in a namespace of its own.
build_in_root() {
    unshare --mount --propagation private -- bash "$as_root" "$newroot" "${root_dirs[@]}" -- \
        env KDUMP_CONFIG_FILE="$1" "${3:-$kindling}" -f --kver "$kver" --kmoddir "$kmoddir" -m kdumpbase "$2"
}
mkdir -p "$newroot"
mount /dev/mapper/rhel-root "$newroot"
mkdir -p "$newroot/var/crash"
status=0
for conf in "$work"/lvm-*.conf; do
    image=${conf%.conf}.img
    echo "building $image from $conf"
    if ! build_in_root "$conf" "$image"; then
        echo "build failed: $conf"
        status=1
    fi
done
# dump_to_rootfs with / on rhel/root: refused (WORK/lvm-rootfs.out).
printf 'xfs /dev/mapper/rhel-root\npath /var/crash\nfailure_action dump_to_rootfs\n' >"$work/rootfs.conf"
rootfs_status=0
build_in_root "$work/rootfs.conf" "$work/rootfs.img" >"$work/lvm-rootfs.out" 2>&1 || rootfs_status=$?
echo "$rootfs_status" >"$work/lvm-rootfs.status"
# An install without kindling-dmload beside the binary (a copy laid out as LIBDIR/kindling: the
# binary, the shim's files, modules.d): the LVM target is refused, naming the loader
# (WORK/lvm-noloader.out).
checkout=$(cd "${0%/*}/../.." && pwd)
mkdir -p "$work/noloader"
cp "$kindling" "$checkout"/shim/*.bash "$checkout/shim/dracut-functions.sh" "$work/noloader/"
ln -sfn "$checkout/modules.d" "$work/noloader/modules.d"
noloader_status=0
build_in_root "$work/lvm-rhel-mapper.conf" "$work/noloader.img" "$work/noloader/kindling" \
    >"$work/lvm-noloader.out" 2>&1 || noloader_status=$?
echo "$noloader_status" >"$work/lvm-noloader.status"
umount "$newroot"

# Where rhel/root's bytes lie on /dev/vda: one linear segment from the physical volume's first
# extent on.
read -r segments first size <<<"$(lvs --noheadings --units b --nosuffix -o seg_count,seg_pe_ranges,lv_size rhel/root |
    sed 's|/dev/vda2:\([0-9]*\)-[0-9]*|\1|')"
read -r pe_start extent <<<"$(pvs --noheadings --units b --nosuffix -o pe_start,vg_extent_size /dev/vda2)"
[[ $segments == 1 ]] || { echo "rhel/root has $segments segments"; exit 1; }
echo "$(($(partx -g -o START -n 2 /dev/vda) * 512 + pe_start + first * extent)) $size $(blkid -o value -s UUID /dev/mapper/rhel-root)" >"$work/lvm-rhel.layout"
vgchange -q -a n rhel

# The second disk, on its own: --devices keeps LVM from seeing two volume groups named rhel.
layout /dev/vdb
pvcreate -q --devices /dev/vdb2 /dev/vdb2
vgcreate -q --devices /dev/vdb2 rhel /dev/vdb2
lvcreate -q -y --devices /dev/vdb2 -L 64M -n swap rhel

# A thin volume there: the build must refuse it with one line (WORK/lvm-thin.out).
lvcreate -q -y --devices /dev/vdb2 -L 128M -T rhel/pool
lvcreate -q -y --devices /dev/vdb2 -V 320M -T rhel/pool -n thin
mkfs.xfs -q -f /dev/mapper/rhel-thin
mount /dev/mapper/rhel-thin "$newroot"
mkdir -p "$newroot/var/crash"
printf 'xfs /dev/mapper/rhel-thin\npath /var/crash\n' >"$work/thin.conf"
thin_status=0
build_in_root "$work/thin.conf" "$work/thin.img" >"$work/lvm-thin.out" 2>&1 || thin_status=$?
echo "$thin_status" >"$work/lvm-thin.status"
umount "$newroot"
vgchange -q --devices /dev/vdb2 -a n rhel

# The fourth disk: a Fedora host's btrfs root on a virtio disk, whose capture image brings that
# disk's driver chain only.
mount -t btrfs -o subvol=root /dev/vdd2 "$newroot"
btrfs_status=0
build_in_root "$work/btrfs-virtio.conf" "$work/btrfs-virtio.img" >"$work/btrfs-virtio.out" 2>&1 || btrfs_status=$?
echo "$btrfs_status" >"$work/btrfs-virtio.status"
umount "$newroot"

# The third disk: the capture image's LVM reader and device-mapper loader (beside kindling)
# against LVM itself (WORK/lvm-reader.out).
reader_status=0
bash "${0%/*}/lvm-reader-guest.sh" "${0%/*}/../../modules.d/99kdumpbase/kdump-lvm.sh" \
    "${kindling%/*}/kindling-dmload" /dev/vdc \
    >"$work/lvm-reader.out" 2>&1 || reader_status=$?
echo "$reader_status" >"$work/lvm-reader.status"
sync
exit "$status"
