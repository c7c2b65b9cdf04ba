#!/bin/sh
# kdump-capture: saves /proc/vmcore as the image's /etc/kdump.conf says (written and checked at
# build time by Kindling's kdumpbase), then runs final_action; any failure runs failure_action.
#
# A filesystem target gets <path>/127.0.0.1-<YYYY-MM-DD-HH:MM:SS>/ (an nfs target: the capture
# host's address instead of 127.0.0.1; ssh: see kdump-net.sh) holding vmcore-dmesg.txt and
# vmcore (written as vmcore-incomplete, renamed when complete) and kexec-dmesg.log; vfat cannot
# hold ':' in names, so there the time reads HH-MM-SS. A raw target receives the collector's
# flattened stream (makedumpfile -F), readable with `makedumpfile -R`. A target on LVM has its
# logical volume (only that one) activated first; a btrfs target is mounted with its subvolume.
#
# Kernel arguments: rd.timeout=SECONDS (wait for the target device, default 90), rd.debug.
# The configuration is read as data: no value is ever evaluated.

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
CONF=/etc/kdump.conf
MNT=/kdumproot
ROOTFS_MNT=/kdumproot-rootfs

log() {
    printf '<5>kdump: %s\n' "$*" >/dev/kmsg 2>/dev/null || printf 'kdump: %s\n' "$*" >&2
}

error() {
    printf '<3>kdump: %s\n' "$*" >/dev/kmsg 2>/dev/null || printf 'kdump: %s\n' "$*" >&2
}

# busybox's reboot/poweroff/halt -f work under any init (systemd's would go through PID 1).
bb() {
    if command -v busybox >/dev/null 2>&1; then
        busybox "$@"
    else
        "$@"
    fi
}

cmdline_arg() {
    local _word _value=''
    set -f
    # shellcheck disable=SC2013 # words, not lines
    for _word in $(cat /proc/cmdline); do
        case $_word in
            "$1"=*) _value=${_word#*=} ;;
            "$1") _value=1 ;;
        esac
    done
    set +f
    [ -n "$_value" ] && printf '%s\n' "$_value"
}

read_config() {
    target_fs='' target_dev='' path=/var/crash
    collector='makedumpfile -l --message-level 7 -d 31'
    failure_action=reboot final_action=reboot
    kdump_pre='' kdump_post='' kdump_emergency='' rootfs_fs='' rootfs_dev=''
    btrfs_subvolume='' btrfs_scan='' lvm_vg='' lvm_lv=''
    [ -r "$CONF" ] || return 1
    while read -r _key _value; do
        case $_key in
            ext4 | xfs | vfat | btrfs | raw | nfs | ssh) target_fs=$_key target_dev=$_value ;;
            path) path=$_value ;;
            core_collector) collector=$_value ;;
            failure_action) failure_action=$_value ;;
            final_action) final_action=$_value ;;
            kdump_pre) kdump_pre=$_value ;;
            kdump_post) kdump_post=$_value ;;
            kdump_emergency) kdump_emergency=$_value ;;
            rootfs)
                rootfs_fs=${_value%% *}
                rootfs_dev=${_value#* }
                ;;
            btrfs_subvolume) btrfs_subvolume=$_value ;;
            btrfs_scan) btrfs_scan=$_value ;;
            lvm)
                lvm_vg=${_value%% *}
                lvm_lv=${_value#* }
                ;;
        esac
    done <"$CONF"
    unset _key _value
}

# --- block devices ----------------------------------------------------------------------------

# bytes DEVICE OFFSET COUNT: the bytes as lowercase hex pairs, space separated.
bytes() {
    dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null | od -An -v -tx1 | tr -s ' \n' '  '
}

# le HEXPAIRS...: a little-endian number.
le() {
    local _hex=''
    for _byte in "$@"; do
        _hex=$_byte$_hex
    done
    printf '%d\n' "0x$_hex"
}

# partuuid DISK NUMBER: the PARTUUID of partition NUMBER of DISK (GPT or MBR), as blkid prints it.
partuuid() {
    local _disk="$1" _number="$2" _size _lba _entry_size _offset
    # shellcheck disable=SC2046 # one word per hex byte
    set -- $(bytes "$_disk" 510 2)
    [ "$1 $2" = "55 aa" ] || return 1
    # shellcheck disable=SC2046 # one word per hex byte
    set -- $(bytes "$_disk" 450 1)
    if [ "$1" = ee ]; then
        _size=$(cat "/sys/class/block/${_disk##*/}/queue/logical_block_size" 2>/dev/null) || _size=512
        [ "$(dd if="$_disk" bs=1 skip="$_size" count=8 2>/dev/null)" = "EFI PART" ] || return 1
        # shellcheck disable=SC2046 # one word per hex byte
        _lba=$(le $(bytes "$_disk" $((_size + 72)) 8))
        # shellcheck disable=SC2046 # one word per hex byte
        _entry_size=$(le $(bytes "$_disk" $((_size + 84)) 4))
        _offset=$((_lba * _size + (_number - 1) * _entry_size + 16))
        # shellcheck disable=SC2046 # one word per hex byte
        set -- $(bytes "$_disk" "$_offset" 16)
        [ $# = 16 ] || return 1
        printf '%s%s%s%s-%s%s-%s%s-%s%s-%s%s%s%s%s%s\n' "$4" "$3" "$2" "$1" "$6" "$5" "$8" "$7" \
            "$9" "${10}" "${11}" "${12}" "${13}" "${14}" "${15}" "${16}"
    else
        # shellcheck disable=SC2046 # one word per hex byte
        set -- $(bytes "$_disk" 440 4)
        printf '%s%s%s%s-%02x\n' "$4" "$3" "$2" "$1" "$_number"
    fi
}

find_partuuid() {
    local _want _part _disk
    _want=$(printf '%s' "$1" | tr 'A-F' 'a-f')
    for _part in /sys/class/block/*; do
        [ -r "$_part/partition" ] || continue
        _disk=$(readlink -f "$_part")
        _disk=${_disk%/*}
        if [ "$(partuuid "/dev/${_disk##*/}" "$(cat "$_part/partition")")" = "$_want" ]; then
            echo "/dev/${_part##*/}"
            return 0
        fi
    done
    return 1
}

# find_dev SPEC: the device node for /dev/..., UUID=, LABEL= or PARTUUID=; udev's links when
# there is a udev, else busybox findfs and the partition tables.
find_dev() {
    local _link=''
    case $1 in
        /dev/*) _link=$1 ;;
        UUID=*) _link=/dev/disk/by-uuid/${1#UUID=} ;;
        LABEL=*) _link=/dev/disk/by-label/${1#LABEL=} ;;
        PARTUUID=*) _link=/dev/disk/by-partuuid/${1#PARTUUID=} ;;
    esac
    if [ -b "$_link" ]; then
        readlink -f "$_link"
        return 0
    fi
    case $1 in
        UUID=* | LABEL=*) bb findfs "$1" 2>/dev/null ;;
        PARTUUID=*) find_partuuid "${1#PARTUUID=}" ;;
        *) return 1 ;;
    esac
}

wait_for_dev() {
    local _left="$2" _dev
    while :; do
        load_device_drivers
        if _dev=$(find_dev "$1") && [ -b "$_dev" ]; then
            echo "$_dev"
            return 0
        fi
        [ "$_left" -gt 0 ] || return 1
        _left=$((_left - 1))
        sleep 1
    done
}

# Once a module is loaded, its file is only weight in the tree, which is the crash kernel's
# memory (xfs.ko, kept whole in the image: 4.2 MB of ~45 MB at crashkernel=96M). Its file goes;
# a later modprobe of it finds the module loaded and reads nothing.
drop_loaded_modules() {
    local _file _name
    find /lib/modules -name '*.ko*' -type f 2>/dev/null | while read -r _file; do
        _name=${_file##*/}
        _name=$(echo "${_name%.ko*}" | tr - _)
        if [ "$(cat "/sys/module/$_name/initstate" 2>/dev/null)" = live ] && rm -f "$_file"; then
            log "removed ${_file##*/} from the tree: its module is loaded"
        fi
    done
}

# The drivers of the devices present that have none yet, by their modaliases, as udev's
# coldplug loads them: an image with every bus's drivers (kdump-storage) loads only those of the
# hardware that is there. Called again while the target is awaited: a USB disk's interface,
# then its SCSI disk, appear only once the driver below them is bound.
load_device_drivers() {
    local _device _alias _aliases=''
    for _device in /sys/bus/*/devices/*; do
        [ -e "$_device/driver" ] || [ ! -r "$_device/modalias" ] && continue
        read -r _alias <"$_device/modalias" && _aliases="$_aliases $_alias"
    done
    [ -n "$_aliases" ] || return 0
    set -f
    # shellcheck disable=SC2086 # one word per modalias
    modprobe -q -a $_aliases 2>/dev/null
    set +f
}

# Drivers: Kindling's /init loaded the listed ones already and udev loads them in dracut's
# images; this covers a target on a bus that comes up late, and images with neither.
load_drivers() {
    local _list _module _rest
    drop_loaded_modules
    for _list in /etc/modules-load.d/*kdump-*.conf; do
        [ -f "$_list" ] || continue
        while read -r _module _rest; do
            case $_module in
                '' | '#'*) continue ;;
            esac
            modprobe -q "$_module" 2>/dev/null
        done <"$_list"
    done
    load_device_drivers
    drop_loaded_modules
}

# mount_target FSTYPE SPEC MOUNTPOINT [OPTIONS]
mount_target() {
    local _fs="$1" _spec="$2" _where="$3" _options="rw${4:+,$4}" _dev
    log "waiting up to ${timeout}s for $_spec"
    _dev=$(wait_for_dev "$_spec" "$timeout") || {
        error "$_spec did not appear within ${timeout}s"
        return 1
    }
    modprobe -q "$_fs" 2>/dev/null
    drop_loaded_modules
    [ "$_fs" != btrfs ] || btrfs_register
    mkdir -p "$_where"
    log "mounting $_dev ($_fs, $_options) on $_where"
    mount -t "$_fs" -o "$_options" "$_dev" "$_where" || {
        error "cannot mount $_dev on $_where"
        return 1
    }
}

# --- btrfs and LVM ----------------------------------------------------------------------------

# A multi-device btrfs: its members must be registered with the kernel before the mount.
btrfs_register() {
    [ -n "$btrfs_scan" ] || return 0
    log "registering the $btrfs_scan devices of the btrfs target"
    btrfs device scan >/dev/null 2>&1 || error "btrfs device scan failed"
}

# lvm_activate: the target's logical volume, read from LVM's on-disk metadata and loaded with
# kindling-dmload by kdump-lvm.sh (in the image with LVM targets only; its lvm_activate replaces this one).
lvm_activate() {
    [ -n "$lvm_vg" ] || return 0
    # shellcheck source=kdump-lvm.sh
    . /usr/lib/kindling-kdump/kdump-lvm.sh && lvm_activate
}

# --- dumping ----------------------------------------------------------------------------------

# The collector is word-split (globbing off) and run directly: its arguments are never evaluated.
run_collector() {
    set -f
    # shellcheck disable=SC2086 # the collector is split into its words on purpose
    set -- $collector "$@"
    set +f
    "$@"
}

# dump_fs MOUNTPOINT FSTYPE
dump_fs() {
    local _stamp _dir
    _stamp=$(date +%Y-%m-%d-%H:%M:%S)
    # FAT forbids ':' in names.
    [ "$2" = vfat ] && _stamp=$(date +%Y-%m-%d-%H-%M-%S)
    _dir=$1/${path#/}/${dump_host_ip:-127.0.0.1}-$_stamp
    _dir=$(printf '%s' "$_dir" | tr -s /)
    mkdir -p "$_dir" || {
        error "cannot create $_dir"
        return 1
    }
    log "saving vmcore-dmesg.txt to $_dir"
    if makedumpfile --dump-dmesg /proc/vmcore "$_dir/vmcore-dmesg-incomplete.txt" >/dev/null 2>&1; then
        mv "$_dir/vmcore-dmesg-incomplete.txt" "$_dir/vmcore-dmesg.txt"
        chmod 600 "$_dir/vmcore-dmesg.txt"
    else
        error "saving vmcore-dmesg.txt failed"
        rm -f "$_dir/vmcore-dmesg-incomplete.txt"
    fi
    sync
    log "saving vmcore with: $collector"
    run_collector /proc/vmcore "$_dir/vmcore-incomplete" || {
        error "the core collector failed"
        return 1
    }
    sync
    mv "$_dir/vmcore-incomplete" "$_dir/vmcore" || return 1
    dmesg >"$_dir/kexec-dmesg.log" 2>/dev/null
    sync
    log "saved vmcore in $_dir"
}

dump_raw() {
    local _dev
    log "waiting up to ${timeout}s for $target_dev"
    _dev=$(wait_for_dev "$target_dev" "$timeout") || {
        error "$target_dev did not appear within ${timeout}s"
        return 1
    }
    log "writing the flattened vmcore to $_dev with: $collector"
    run_collector /proc/vmcore >"$_dev" || {
        error "the core collector failed"
        return 1
    }
    sync
    log "saved vmcore on $_dev"
}

dump_target() {
    case $target_fs in
        raw) lvm_activate && dump_raw ;;
        ext4 | xfs | vfat | btrfs)
            lvm_activate && mount_target "$target_fs" "$target_dev" "$MNT" "$btrfs_subvolume" && dump_fs "$MNT" "$target_fs"
            ;;
        nfs | ssh)
            # shellcheck source=kdump-net.sh
            . /usr/lib/kindling-kdump/kdump-net.sh && "dump_$target_fs"
            ;;
        *)
            error "no dump target in $CONF"
            return 1
            ;;
    esac
}

# --- actions ----------------------------------------------------------------------------------

finish() {
    sync
    umount "$MNT" "$ROOTFS_MNT" 2>/dev/null
    sync
    log "running $1"
    case $1 in
        halt) bb halt -f ;;
        poweroff) bb poweroff -f ;;
        *) bb reboot -f ;;
    esac
    # Should the call return, the caller must not go on with the boot.
    while :; do sleep 60; done
}

rescue_shell() {
    log "failure action: shell (exit the shell to run final_action $final_action)"
    echo "kdump: the dump failed; exit this shell to run final_action ($final_action)" >/dev/console
    setsid cttyhack sh -i </dev/console >/dev/console 2>&1 || sh -i </dev/console >/dev/console 2>&1
}

failed() {
    error "$*"
    if [ -n "$kdump_emergency" ]; then
        "$kdump_emergency" || error "kdump_emergency $kdump_emergency failed"
    fi
    log "failure action: $failure_action"
    case $failure_action in
        shell)
            rescue_shell
            log "final action: $final_action"
            finish "$final_action"
            ;;
        dump_to_rootfs)
            if [ -n "$rootfs_dev" ] && mount_target "$rootfs_fs" "$rootfs_dev" "$ROOTFS_MNT" \
                && dump_fs "$ROOTFS_MNT" "$rootfs_fs"; then
                log "final action: $final_action"
                finish "$final_action"
            fi
            error "dump_to_rootfs failed too"
            finish reboot
            ;;
        *) finish "$failure_action" ;;
    esac
}

# --- main -------------------------------------------------------------------------------------

if [ ! -e /proc/vmcore ]; then
    log "no /proc/vmcore: not a crash kernel, nothing to do"
    exit 0
fi
[ -n "$(cmdline_arg rd.debug)" ] && set -x
timeout=$(cmdline_arg rd.timeout) || timeout=90
case $timeout in
    '' | *[!0-9]*) timeout=90 ;;
esac
# No watermark boost (see kdump-cmdline.sh): a systemd image gets no cmdline hook from kdumpbase.
if [ -w /proc/sys/vm/watermark_boost_factor ]; then
    echo 0 >/proc/sys/vm/watermark_boost_factor
fi

read_config || failed "cannot read $CONF"
if [ "$target_fs" = raw ]; then
    log "target: raw $target_dev"
else
    log "target: $target_fs $target_dev, path $path"
fi
load_drivers

if [ -n "$kdump_pre" ]; then
    if ! "$kdump_pre"; then
        error "kdump_pre $kdump_pre failed: no dump; final action: $final_action"
        finish "$final_action"
    fi
fi

dump_target
status=$?

if [ -n "$kdump_post" ]; then
    "$kdump_post" "$status" || error "kdump_post $kdump_post failed"
fi
[ "$status" = 0 ] || failed "saving the vmcore failed"
log "final action: $final_action"
finish "$final_action"
