# Block device helpers for module code: a device's place in the block device tree (what it is
# built from), its drivers, what kind of device it is, the disks under btrfs and zfs. Part of the
# shim and of kindling-functions.bash, which sources it; see kindling-shim.bash for the rules.

# Where sysfs is; the tests point it at a tree of their own.
__kindling_sys=/sys

# `get_maj_min DEV`: the block device's MAJOR:MINOR, following symlinks, without a newline (as
# dracut prints it). Nothing and status 1 for a path that cannot be read (dracut prints 0:0).
get_maj_min() {
    builtin local __numbers __major __minor
    __numbers=$(builtin command stat -L -c '%t %T' -- "$1" 2>/dev/null) || builtin return 1
    builtin read -r __major __minor <<<"$__numbers"
    builtin printf '%d:%d' "0x$__major" "0x$__minor"
}

# `check_block_and_slaves FUNC MAJ:MIN`: FUNC on the device, then on the disk that holds a
# partition, then on each device it is built from (dm, md); stops at the first success.
check_block_and_slaves() {
    __kindling_walk_block_tree first "$@"
}

# The same, but FUNC runs on every device of the tree; success if it succeeded on any.
check_block_and_slaves_all() {
    __kindling_walk_block_tree all "$@"
}

__kindling_walk_block_tree() {
    builtin local __mode="$1" __func="$2" __device="$3" __slave __found=1
    builtin local __node="$__kindling_sys/dev/block/$__device"
    # No device (get_maj_min found none) is not /sys/dev/block itself.
    [[ -n $__device && -e $__node ]] || builtin return 1
    if "$__func" "$__device"; then
        [[ $__mode == first ]] && builtin return 0
        __found=0
    fi
    # A partition: its disk is the directory above it in sysfs.
    if [[ -f $__node/partition ]]; then
        if __kindling_walk_block_tree "$__mode" "$__func" "$(<"$__node/../dev")"; then
            [[ $__mode == first ]] && builtin return 0
            __found=0
        fi
    fi
    for __slave in "$__node"/slaves/*; do
        [[ -f $__slave/dev ]] || builtin continue
        if __kindling_walk_block_tree "$__mode" "$__func" "$(<"$__slave/dev")"; then
            [[ $__mode == first ]] && builtin return 0
            __found=0
        fi
    done
    builtin return "$__found"
}

# `for_each_host_dev_and_slaves FUNC`: check_block_and_slaves over every host device.
for_each_host_dev_and_slaves() {
    __kindling_each_host_dev first "$@"
}

for_each_host_dev_and_slaves_all() {
    __kindling_each_host_dev all "$@"
}

# The devices dracut-ng keeps apart in user_devs (--mount, --add-device) count as host devices.
# shellcheck disable=SC2154 # host_devs is the build's, declared by the engine
__kindling_each_host_dev() {
    builtin local __mode="$1" __func="$2" __dev __majmin __found=1
    builtin local -a __devs
    __devs=("${host_devs[@]}" ${user_devs[@]+"${user_devs[@]}"})
    ((${#__devs[@]} > 0)) || builtin return 2
    for __dev in "${__devs[@]}"; do
        __majmin=$(get_maj_min "$__dev") || builtin continue
        if __kindling_walk_block_tree "$__mode" "$__func" "$__majmin"; then
            [[ $__mode == first ]] && builtin return 0
            __found=0
        fi
    done
    builtin return "$__found"
}

# `for_each_host_dev_fs FUNC`: FUNC DEV FSTYPE for every host filesystem; success if any call
# succeeded (dracut 059 never returns its documented 2 for none, so neither does this).
# shellcheck disable=SC2154 # host_fs_types is the build's, declared by the engine
for_each_host_dev_fs() {
    builtin local __func="$1" __dev __found=1
    for __dev in "${!host_fs_types[@]}"; do
        "$__func" "$__dev" "${host_fs_types[$__dev]}" && __found=0
    done
    builtin return "$__found"
}

# `get_devpath_block DEV`: the device's directory under /sys/block.
get_devpath_block() {
    builtin local __want __file
    __want=$(get_maj_min "$1") || builtin return 1
    for __file in "$__kindling_sys"/block/*/dev "$__kindling_sys"/block/*/*/dev; do
        [[ -e $__file && $(<"$__file") == "$__want" ]] || builtin continue
        builtin printf '%s' "${__file%/dev}"
        builtin return 0
    done
    builtin return 1
}

# `get_blockdev_drv_through_sys SYSPATH`: the kernel modules of the drivers from the device up
# to the root of /sys/devices, each after a space.
get_blockdev_drv_through_sys() {
    builtin local __path __modules=''
    __path=$(builtin command realpath -- "$1") || builtin return 1
    while [[ $__path != "$__kindling_sys/devices" && $__path != / && -n $__path ]]; do
        [[ -L $__path/driver/module ]] && __modules+=" $(builtin command basename -- "$(builtin command realpath -- "$__path/driver/module")")"
        __path=${__path%/*}
    done
    builtin printf '%s\n' "$__modules"
}

# `get_dev_module DEV`: the drivers udev sees on the way up from DEV; for a virtual device with
# none, the drivers of the devices it links to.
get_dev_module() {
    builtin local __walk __drivers __kernel __subsystem __virtual __link
    __walk=$(builtin command udevadm info -a "$1" 2>/dev/null)
    __drivers=$(builtin command sed -n 's/^[[:space:]]*DRIVERS=="\([^"[:space:]]*\)"$/\1/p' <<<"$__walk")
    if [[ -n ${__kindling_dracut_ng-} ]]; then
        # dracut-ng names drivers by their module (mmcblk is mmc_block) and adds the modalias of
        # every device on the way up, so a driver that is a module of another name is found.
        __drivers=$(get_module_name <<<"$__drivers")
        while IFS= builtin read -r __link; do
            [[ -e $__kindling_sys$__link/modalias ]] || builtin continue
            __drivers+=$'\n'$(<"$__kindling_sys$__link/modalias")
        done <<<"$(builtin command sed -n "s/.*\\(\\/devices\\/.*\\)':/\\1/p" <<<"$__walk")"
    fi
    if [[ -z $__drivers && $(builtin command udevadm info -q path "$1" 2>/dev/null) == /devices/virtual* ]]; then
        __kernel=$(builtin command sed -n 's/^[[:space:]]*KERNELS=="\([^"[:space:]]*\)"$/\1/p' <<<"$__walk" | builtin command tail -n 1)
        __subsystem=$(builtin command sed -n 's/^[[:space:]]*SUBSYSTEMS=="\([^"[:space:]]*\)"$/\1/p' <<<"$__walk" | builtin command tail -n 1)
        __virtual=$__kindling_sys/devices/virtual/$__subsystem/$__kernel
        if [[ -n $__kernel && -n $__subsystem && -d $__virtual ]]; then
            while IFS= builtin read -r __link; do
                [[ -n $__link ]] || builtin continue
                [[ -n $__drivers ]] && __drivers+=$'\n'
                __drivers+=$(builtin command udevadm info -a "$__virtual/$__link" 2>/dev/null \
                    | builtin command sed -n 's/^[[:space:]]*DRIVERS=="\([^"[:space:]]*\)"$/\1/p' \
                    | if [[ -n ${__kindling_dracut_ng-} ]]; then get_module_name; else builtin command cat; fi \
                    | builtin command grep -v -e pcieport)
            done <<<"$(builtin command find "$__virtual" -maxdepth 1 -type l ! -name subsystem -exec readlink {} \;)"
        fi
    fi
    builtin printf '%s\n' "$__drivers"
}

# `get_module_name`: the kernel module of each driver name read from standard input, one a line
# (dracut-ng): udev calls the MMC disk driver mmcblk, its module is mmc_block.
get_module_name() {
    builtin local __driver
    while IFS= builtin read -r __driver; do
        case $__driver in
            mmcblk) builtin printf '%s\n' mmc_block ;;
            *) builtin printf '%s\n' "$__driver" ;;
        esac
    done
}

# `get_lvm_dm_dev MAJ:MIN`: the sysfs dm directory of an LVM device-mapper device (dracut-ng);
# fails for any other device.
get_lvm_dm_dev() {
    builtin local __dm=$__kindling_sys/dev/block/$1/dm
    [[ -f $__dm/uuid && $(<"$__dm/uuid") == LVM-* ]] || builtin return 1
    builtin printf '%s' "$__dm"
}

# `block_is_nbd MAJ:MIN`, `block_is_iscsi`, `block_is_fcoe`, `block_is_netdevice`.
block_is_nbd() { [[ -b /dev/block/$1 && $1 == 43:* ]]; }

# Climbs from the device's sysfs directory until FOUND is under it, or /sys's top is reached.
__kindling_sysfs_ancestor_has() {
    builtin local __directory __found="$2"
    [[ -L $__kindling_sys/dev/block/$1 ]] || builtin return 1
    __directory=$(builtin command readlink -f "$__kindling_sys/dev/block/$1") || builtin return 1
    while [[ $__directory == "$__kindling_sys"/* ]]; do
        "$__found" "$__directory" && builtin return 0
        __directory=${__directory%/*}
    done
    builtin return 1
}

__kindling_is_iscsi_session() { [[ -d $1/iscsi_session ]]; }
__kindling_is_fcoe() { [[ -L $1/subsystem && $(builtin command basename -- "$(builtin command readlink -- "$1/subsystem")") == fcoe ]]; }

block_is_iscsi() { __kindling_sysfs_ancestor_has "$1" __kindling_is_iscsi_session; }
block_is_fcoe() { __kindling_sysfs_ancestor_has "$1" __kindling_is_fcoe; }
block_is_netdevice() { block_is_nbd "$1" || block_is_iscsi "$1" || block_is_fcoe "$1"; }

# The member devices of the btrfs filesystem mounted at MOUNTPOINT, one a line, as the kernel
# lists them under /sys/fs/btrfs/UUID/devices (a '!' in a kernel name stands for '/').
btrfs_devs() {
    builtin local __uuid __member
    __uuid=$(builtin command findmnt -n -o UUID --target "$1" 2>/dev/null) && [[ -n $__uuid ]] || builtin return 1
    [[ -d $__kindling_sys/fs/btrfs/$__uuid/devices ]] || builtin return 1
    for __member in "$__kindling_sys/fs/btrfs/$__uuid/devices"/*; do
        [[ -L $__member || -e $__member ]] || builtin continue
        __member=${__member##*/}
        builtin printf '/dev/%s\n' "${__member//!//}"
    done
}

# The disks of the zfs pool that holds DATASET (pool/name...), one a line, as zpool lists them.
zfs_devs() {
    builtin local __vdev _
    builtin command zpool list -H -v -P "${1%%/*}" | while builtin read -r __vdev _; do
        # Pool and vdev-group lines name no path; disks are listed by absolute path (-P).
        [[ $__vdev == /* ]] && builtin command readlink -f -- "$__vdev"
    done
    builtin return "${PIPESTATUS[0]}"
}
