# The host's devices for a hostonly build, found as dracut finds them before the module checks:
# host_devs, root_devs, swap_devs and host_fs_types, which the engine has declared with what
# --mount and --add-device name; the engine runs __kindling_find_host_devices once. Part of the
# shim (kindling-shim.bash sources it); it uses the device and filesystem helpers of
# kindling-functions.bash.

__kindling_push_host_dev() {
    [[ " ${host_devs[*]} " == *" $1 "* ]] || host_devs+=("$1")
}

# Records a device's filesystem type in host_fs_types; returns 1 so that the _all walks go on.
__kindling_record_fs_type() {
    builtin local __type
    [[ -n ${1-} ]] || builtin return 1
    if [[ -b /dev/block/$1 ]]; then
        __type=$(get_fs_env "/dev/block/$1") && host_fs_types[$(builtin command readlink -f "/dev/block/$1")]=$__type
    elif [[ -b $1 ]]; then
        __type=$(get_fs_env "$1") && host_fs_types[$(builtin command readlink -f "$1")]=$__type
    elif __type=$(find_dev_fstype "$1"); then
        host_fs_types[$1]=$__type
    fi
    builtin return 1
}

# The devices that hold the system's own files: what is mounted at /, /usr, /boot and the like.
__kindling_add_mounted_system_devices() {
    builtin local __mp __dev __node __member
    builtin local -a __mountpoints
    __mountpoints=(/ /etc /bin /sbin /lib /lib64 /usr /usr/bin /usr/sbin /usr/lib /usr/lib64 /boot /boot/efi /boot/zipl)
    # dracut-ng also looks at /efi, where systemd mounts the ESP.
    [[ -z ${__kindling_dracut_ng-} ]] || __mountpoints+=(/efi)
    for __mp in "${__mountpoints[@]}"; do
        __mp=$(builtin command readlink -f "${dracutsysrootdir-}$__mp")
        builtin command mountpoint -q -- "$__mp" 2>/dev/null || builtin continue
        __dev=$(find_block_device "$__mp") || builtin continue
        __node=$(builtin command readlink -f "/dev/block/$__dev")
        [[ -b $__node ]] && __dev=$__node
        [[ $__mp == / ]] && root_devs+=("$__dev")
        __kindling_push_host_dev "$__dev"
        for __member in $(__kindling_volume_members "$(find_mp_fstype "$__mp")" "$__mp"); do
            [[ $__mp == / ]] && root_devs+=("$__member")
            __kindling_push_host_dev "$__member"
        done
    done
}

# The disks under a multi-device filesystem of TYPE mounted at MOUNTPOINT (none when it is not
# mounted: what holds the directory then is another filesystem).
__kindling_volume_members() {
    builtin command mountpoint -q -- "$2" 2>/dev/null || builtin return 0
    case $1 in
        btrfs) btrfs_devs "$2" ;;
        zfs) zfs_devs "$(builtin command findmnt -n -o SOURCE --target "$2")" ;;
    esac
    builtin return 0
}

# Active swap partitions that the fstab mounts (not those a crypttab makes afresh at boot).
__kindling_add_swap_devices() {
    builtin local __swap __kind _ __device __mountpoint __type __options __fstab="${dracutsysrootdir-}/etc/fstab"
    [[ -f /proc/swaps && -f $__fstab ]] || builtin return 0
    while builtin read -r __swap __kind _; do
        [[ -b $__swap && $__kind == partition ]] || builtin continue
        while builtin read -r __device __mountpoint __type __options _; do
            [[ -n $__device && $__device != \#* && $__type == swap ]] || builtin continue
            [[ $__mountpoint == swap || $__mountpoint == none ]] || builtin continue
            [[ $__options != *noauto* ]] || builtin continue
            __device=$(expand_persistent_dev "$__device")
            [[ $__device -ef $__swap ]] || builtin continue
            __kindling_swap_is_remade "$__device" && builtin continue 2
            __kindling_push_host_dev "$(builtin command readlink -f "$__swap")"
            swap_devs+=("$(builtin command readlink -f "$__swap")")
            builtin break
        done <"$__fstab"
    done <<<"$(builtin command tail -n +2 /proc/swaps 2>/dev/null)"
}

# Whether the crypttab sets DEVICE up with a key file or as a fresh swap at every boot.
__kindling_swap_is_remade() {
    builtin local __name _ __key __options __crypttab="${dracutsysrootdir-}/etc/crypttab"
    [[ -f $__crypttab ]] || builtin return 1
    while builtin read -r __name _ __key __options; do
        [[ -n $__name && $__name != \#* && $1 -ef /dev/mapper/$__name ]] || builtin continue
        [[ -n $__options ]] || __options=$__key
        [[ $__key == /* && -f $__key ]] && builtin return 0
        [[ $__options == *swap* ]] && builtin return 0
    done <"$__crypttab"
    builtin return 1
}

# fstab entries marked x-initrd.mount are needed in the initramfs too.
__kindling_add_initrd_mounts() {
    builtin local __device __mountpoint __type __options __member _ __fstab="${dracutsysrootdir-}/etc/fstab"
    [[ -f $__fstab ]] || builtin return 0
    while builtin read -r __device __mountpoint __type __options _; do
        [[ -n $__device && $__device != \#* && $__options == *x-initrd.mount* ]] || builtin continue
        __device=$(builtin command readlink -f "$(expand_persistent_dev "$__device")")
        [[ -b $__device ]] || builtin continue
        __kindling_push_host_dev "$__device"
        for __member in $(__kindling_volume_members "$__type" "${dracutsysrootdir-}$__mountpoint"); do
            __kindling_push_host_dev "$__member"
        done
    done <"$__fstab"
}

# --mount on btrfs or zfs: the disks under the filesystem are host devices too. Until now
# host_fs_types holds only the --mount lines' devices, which the engine has declared.
__kindling_add_mount_option_members() {
    builtin local __dev __mp __member
    for __dev in "${!host_fs_types[@]}"; do
        case ${host_fs_types[$__dev]} in
            btrfs)
                for __mp in $(builtin command findmnt -n -o TARGET --source "$__dev" 2>/dev/null); do
                    for __member in $(btrfs_devs "$__mp"); do __kindling_push_host_dev "$__member"; done
                done
                ;;
            zfs)
                for __member in $(zfs_devs "$__dev"); do __kindling_push_host_dev "$__member"; done
                ;;
        esac
    done
}

# Fills host_devs, root_devs, swap_devs and host_fs_types as dracut does before the module checks:
# the system's own devices in hostonly mode (unless hostonly_default_device=no), then the
# filesystem type of every host device and of what it is built on, then external journals.
__kindling_find_host_devices() {
    builtin local __dev __options __journal
    __kindling_add_mount_option_members
    if [[ -n ${hostonly-} && ${hostonly_default_device-} != no ]]; then
        __kindling_add_mounted_system_devices
        __kindling_add_swap_devices
        __kindling_add_initrd_mounts
    fi
    # dracut-ng's user_devs (--mount, --add-device) are looked at too.
    # shellcheck disable=SC2154 # declared by the engine
    for __dev in "${host_devs[@]}" ${user_devs[@]+"${user_devs[@]}"}; do
        __kindling_record_fs_type "$__dev"
        check_block_and_slaves_all __kindling_record_fs_type "$(get_maj_min "$__dev")"
    done
    for __dev in "${!host_fs_types[@]}"; do
        case ${host_fs_types[$__dev]} in
            xfs) __options=logdev ;;
            reiserfs) __options=jdev ;;
            *) builtin continue ;;
        esac
        __journal=$(fs_get_option "$(find_dev_fsopts "$__dev")" "$__options") || builtin continue
        __journal=$(builtin command readlink -f "$__journal")
        __kindling_push_host_dev "$__journal"
        __kindling_record_fs_type "$__journal"
        check_block_and_slaves_all __kindling_record_fs_type "$(get_maj_min "$__journal")"
    done
    builtin return 0
}
