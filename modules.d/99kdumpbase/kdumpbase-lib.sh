#!/bin/bash
# Kindling's kdumpbase module: its helpers (module-setup.sh has the entry points). Sourced once
# per build by module-setup.sh, which dracut sources again for every call of the module: its
# 1,100 lines of functions are parsed once instead of five times.

# shellcheck disable=SC2154 # set by dracut before it sources this file: initdir, moddir, kernel, systemdsystemunitdir

# Reads and checks the configuration once; on an error, logs every problem and ends the build.
kdumpbase_read_config() {
    [[ ${kdumpbase_config_read-} == yes ]] && return 0
    local _file=${dracutsysrootdir-}${KDUMP_CONFIG_FILE:-/etc/kdump.conf}
    local _line _key _value _number=0 _where _problem
    local -a _errors=() _words=()
    local -A _seen=()
    kdumpbase_unserved=()

    kdumpbase_target_fs='' kdumpbase_target_dev='' kdumpbase_path=/var/crash
    kdumpbase_collector='makedumpfile -l --message-level 7 -d 31'
    kdumpbase_failure_action=reboot kdumpbase_final_action=reboot
    kdumpbase_pre='' kdumpbase_post='' kdumpbase_emergency=''
    kdumpbase_extra_bins=() kdumpbase_extra_modules=()
    kdumpbase_rootfs_fs='' kdumpbase_rootfs_dev=''
    kdumpbase_net_reset
    kdumpbase_btrfs_reset
    kdumpbase_lvm_reset

    if [[ ! -r $_file ]]; then
        dfatal "cannot read the kdump configuration $_file"
        exit 1
    fi

    while IFS= read -r _line || [[ -n $_line ]]; do
        ((++_number))
        _where="$_file:$_number"
        # CRLF line ends (a file edited on Windows): the CR is the line end, never part of a value
        # (makedumpfile '-l\r' saves no vmcore, a path with a CR is another directory).
        _line=${_line%$'\r'}
        _line=${_line%%#*}
        read -r _key _value <<<"$_line" || true
        [[ -n $_key ]] || continue
        # Any other control character is refused: the image's kdump.conf is read line by line and
        # its values end up in log lines; the message shows it quoted, never raw.
        if [[ ${_line//$'\t'/ } == *[[:cntrl:]]* ]]; then
            _errors+=("$_where: a control character in $(kdumpbase_shown "${_line%"${_line##*[![:space:]]}"}"): give plain text")
            continue
        fi
        case $_key in
            path | core_collector | ext2 | ext3 | ext4 | xfs | vfat | btrfs | minix | virtiofs | raw | nfs | ssh | \
                failure_action | default | final_action | kdump_pre | kdump_post | kdump_emergency | dracut_args)
                if [[ -n ${_seen[$_key]-} ]]; then
                    _errors+=("$_where: '$_key' is given twice (first on line ${_seen[$_key]})")
                    continue
                fi
                _seen[$_key]=$_number
                ;;
        esac
        if [[ -z $_value ]]; then
            case $_key in
                ext2 | ext3 | ext4 | xfs | vfat | btrfs | minix | virtiofs | raw | nfs | ssh | path | core_collector | \
                    failure_action | default | final_action | kdump_pre | kdump_post | kdump_emergency)
                    _errors+=("$_where: '$_key' needs a value")
                    continue
                    ;;
            esac
        fi
        case $_key in
            ext4 | xfs | vfat | btrfs | raw)
                if [[ -n $kdumpbase_target_fs ]]; then
                    _errors+=("$_where: only one dump target is allowed ('$kdumpbase_target_fs' is already set)")
                elif ! kdumpbase_valid_device "$_value"; then
                    _errors+=("$_where: '$_key' wants one device: /dev/..., UUID=, LABEL= or PARTUUID= (no '..'), not $(kdumpbase_shown "$_value")")
                else
                    kdumpbase_target_fs=$_key kdumpbase_target_dev=$_value
                fi
                ;;
            ext2 | ext3 | minix | virtiofs)
                kdumpbase_unserved+=("$_where: '$_key' dump targets are not supported by the minimal image (use ext4, xfs, btrfs, vfat or raw)")
                ;;
            nfs | ssh | sshkey)
                kdumpbase_net_directive "$_where" "$_key" "$_value"
                ;;
            fence_kdump_args | fence_kdump_nodes)
                kdumpbase_unserved+=("$_where: '$_key': fence_kdump is not supported by the minimal image")
                ;;
            path)
                # The capture writes under the mounted target: '..' would leave it (a vmcore in
                # the crash kernel's memory is lost), and the target must be able to hold the name.
                if _problem=$(kdumpbase_path_problem "$_value"); then
                    _errors+=("$_where: path $(kdumpbase_shown "$_value"): $_problem")
                else
                    kdumpbase_path=$_value
                fi
                ;;
            core_collector)
                read -ra _words <<<"$_value"
                # The capture runs the collector without a shell: such syntax would reach
                # makedumpfile as odd arguments and fail at crash time, so refuse it now.
                if [[ $_value == *[\$\`\;\|\&\<\>\(\)]* ]]; then
                    _errors+=("$_where: core_collector: shell syntax is not run through a shell: give a command and its arguments only, not $(kdumpbase_shown "$_value")")
                elif [[ ${_words[0]} == */* ]] && _problem=$(kdumpbase_path_problem "${_words[0]}"); then
                    _errors+=("$_where: core_collector $(kdumpbase_shown "${_words[0]}"): $_problem")
                elif ! find_binary "${_words[0]}" >/dev/null; then
                    _errors+=("$_where: core_collector: cannot find $(kdumpbase_shown "${_words[0]}")")
                else
                    kdumpbase_collector=$_value
                fi
                ;;
            failure_action | default)
                case $_value in
                    reboot | halt | poweroff | shell | dump_to_rootfs) kdumpbase_failure_action=$_value ;;
                    *) _errors+=("$_where: $_key $(kdumpbase_shown "$_value"): use reboot, halt, poweroff, shell or dump_to_rootfs") ;;
                esac
                if [[ $_key == default && -n ${_seen[failure_action]-} ]] || [[ $_key == failure_action && -n ${_seen[default]-} ]]; then
                    _errors+=("$_where: 'default' is the old name of 'failure_action': give only one")
                fi
                ;;
            final_action)
                case $_value in
                    reboot | halt | poweroff) kdumpbase_final_action=$_value ;;
                    *) _errors+=("$_where: final_action $(kdumpbase_shown "$_value"): use reboot, halt or poweroff") ;;
                esac
                ;;
            kdump_pre | kdump_post | kdump_emergency)
                if _problem=$(kdumpbase_path_problem "$_value"); then
                    # '..' would name a file outside the sysroot, and another one in the image.
                    _errors+=("$_where: $_key $(kdumpbase_shown "$_value"): $_problem")
                elif [[ $_value != /* || ! -f ${dracutsysrootdir-}$_value || ! -x ${dracutsysrootdir-}$_value ]]; then
                    _errors+=("$_where: $_key: $(kdumpbase_shown "$_value") is not an executable file (give its absolute path)")
                else
                    case $_key in
                        kdump_pre) kdumpbase_pre=$_value ;;
                        kdump_post) kdumpbase_post=$_value ;;
                        kdump_emergency) kdumpbase_emergency=$_value ;;
                    esac
                fi
                ;;
            extra_bins)
                read -ra _words <<<"$_value"
                local _bin
                for _bin in "${_words[@]}"; do
                    if [[ $_bin == */* ]] && _problem=$(kdumpbase_path_problem "$_bin"); then
                        _errors+=("$_where: extra_bins $(kdumpbase_shown "$_bin"): $_problem")
                    elif ! find_binary "$_bin" >/dev/null && [[ ! -f ${dracutsysrootdir-}$_bin ]]; then
                        _errors+=("$_where: extra_bins: cannot find $(kdumpbase_shown "$_bin")")
                    else
                        kdumpbase_extra_bins+=("$_bin")
                    fi
                done
                ;;
            extra_modules)
                read -ra _words <<<"$_value"
                local _module
                for _module in "${_words[@]}"; do
                    # Names, or instmods' =subdir: '..' would lead out of the module tree.
                    if _problem=$(kdumpbase_path_problem "$_module"); then
                        _errors+=("$_where: extra_modules $(kdumpbase_shown "$_module"): $_problem")
                    else
                        kdumpbase_extra_modules+=("$_module")
                    fi
                done
                ;;
            dracut_args)
                kdumpbase_dracut_args "$_where" "$_value" || _errors+=("$_where: dracut_args: cannot split $(kdumpbase_shown "$_value") into words")
                if [[ -n ${kdumpbase_dracut_mount-} ]]; then
                    local _fstype
                    read -r _problem _ _fstype _ <<<"$kdumpbase_dracut_mount"
                    if [[ $_fstype == @(nfs|nfs4) ]]; then
                        kdumpbase_net_dracut_mount "$_where" "$kdumpbase_dracut_mount"
                    elif [[ $_fstype != @(ext4|xfs|vfat|btrfs) ]]; then
                        kdumpbase_unserved+=("$_where: dracut_args --mount: $(kdumpbase_shown "${_fstype-}") dump targets are not supported by the minimal image (use ext4, xfs, btrfs or vfat)")
                    elif ! kdumpbase_valid_device "$_problem"; then
                        _errors+=("$_where: dracut_args --mount: $(kdumpbase_shown "$_problem") is not one device: /dev/..., UUID=, LABEL= or PARTUUID= (no '..')")
                    fi
                fi
                ;;
            auto_reset_crashkernel | force_rebuild | force_no_rebuild)
                ddebug "kdumpbase: $_where: '$_key' concerns kdumpctl only"
                ;;
            net | options | link_delay | disk_timeout | debug_mem_level | blacklist)
                _errors+=("$_where: '$_key' is deprecated and no longer supported")
                ;;
            *)
                _problem=$(kdumpbase_nearest_directive "$_key")
                [[ -z $_problem ]] || _problem="; did you mean '$_problem'?"
                _errors+=("$_where: unknown directive $(kdumpbase_shown "$_key")$_problem")
                ;;
        esac
    done <"$_file"

    if [[ -z $kdumpbase_target_fs ]] && ((${#_errors[@]} + ${#kdumpbase_unserved[@]} == 0)); then
        kdumpbase_net_from_dracut_mount
    fi
    if [[ -z $kdumpbase_target_fs ]] && ((${#_errors[@]} + ${#kdumpbase_unserved[@]} == 0)); then
        kdumpbase_target_from_path || kdumpbase_unserved+=("$_file: no dump target, and the filesystem holding '$kdumpbase_path' is not ext4, xfs, btrfs or vfat")
    fi
    # What the target sits on, on the build host: a btrfs subvolume and member devices, an LVM
    # logical volume and its physical volumes. Each adds its own errors and unserved reasons.
    if [[ -n $kdumpbase_target_fs ]] && ! kdumpbase_net_target && ((${#_errors[@]} + ${#kdumpbase_unserved[@]} == 0)); then
        [[ $kdumpbase_target_fs != btrfs ]] || kdumpbase_btrfs_resolve "$_file"
        kdumpbase_lvm_resolve "$_file"
    fi
    if [[ $kdumpbase_target_fs == raw ]]; then
        read -ra _words <<<"$kdumpbase_collector"
        [[ ${_words[0]##*/} == makedumpfile ]] || _errors+=("$_file: a raw target needs makedumpfile as core_collector")
    fi
    if [[ $kdumpbase_target_fs == ssh ]]; then
        read -ra _words <<<"$kdumpbase_collector"
        [[ ${_words[0]##*/} == makedumpfile ]] || _errors+=("$_file: an ssh target needs makedumpfile as core_collector (its -F stream goes through ssh)")
    fi
    if kdumpbase_net_target && ((${#_errors[@]} + ${#kdumpbase_unserved[@]} == 0)); then
        kdumpbase_net_resolve "$_file"
    fi
    if [[ $kdumpbase_failure_action == dump_to_rootfs ]] && ((${#_errors[@]} + ${#kdumpbase_unserved[@]} == 0)); then
        kdumpbase_find_rootfs || kdumpbase_unserved+=("$_file: failure_action dump_to_rootfs: the root filesystem is not ext4, xfs or vfat")
        kdumpbase_lvm_rootfs_check "$_file"
    fi

    # Only kdump_minimal_target may go on with a target this image cannot serve: it reports it.
    [[ -n ${kdumpbase_asking_target-} ]] || _errors+=("${kdumpbase_unserved[@]}")
    if ((${#_errors[@]} > 0)); then
        local _error
        for _error in "${_errors[@]}"; do
            dfatal "$_error"
        done
        exit 1
    fi
    ((${#kdumpbase_unserved[@]} == 0)) || return 2
    kdumpbase_config_read=yes

    # For kdump-storage: the target's drivers, and the root's for dump_to_rootfs.
    # A network target has no block device: only dump_to_rootfs's root needs kdump-storage. An
    # LVM target's drivers are those of its physical volumes; a btrfs target's those of every
    # member device.
    if kdumpbase_net_target; then
        kdump_storage_targets="${kdump_storage_targets-}${kdumpbase_rootfs_dev:+ $kdumpbase_rootfs_dev}"
        kdump_storage_filesystems="${kdump_storage_filesystems-}"
    else
        local _storage_devs=$kdumpbase_target_dev
        if ((${#kdumpbase_lvm_pvs[@]} > 0)); then
            _storage_devs=${kdumpbase_lvm_pvs[*]}
        elif ((${#kdumpbase_btrfs_devices[@]} > 0)); then
            _storage_devs=${kdumpbase_btrfs_devices[*]}
        fi
        kdump_storage_targets="${kdump_storage_targets-} ${_storage_devs}${kdumpbase_rootfs_dev:+ $kdumpbase_rootfs_dev}"
        kdump_storage_filesystems="${kdump_storage_filesystems-}"
        [[ $kdumpbase_target_fs == raw ]] || kdump_storage_filesystems+=" $kdumpbase_target_fs"
    fi
    [[ -n $kdumpbase_rootfs_fs ]] && kdump_storage_filesystems+=" $kdumpbase_rootfs_fs"
    return 0
}

# kdumpbase_nearest_directive WORD: prints the directive WORD is plainly a slip for, as Kindling
# suggests option and module names: the fewest edits (insert, delete, replace, or swap two
# neighbours), at most one for a word of up to four characters and two for a longer one. Prints
# nothing when no directive is that close, or when two are equally close.
kdumpbase_nearest_directive() {
    local _word=$1 _name _distance _limit=2 _best='' _best_distance=-1
    # Every directive kdumpbase_read_config knows, the refused and ignored ones included: a slip
    # in one of those is still best answered with its right name.
    local -a _directives=(path core_collector ext2 ext3 ext4 xfs vfat btrfs minix virtiofs raw nfs ssh sshkey
        fence_kdump_args fence_kdump_nodes failure_action default final_action kdump_pre kdump_post kdump_emergency
        extra_bins extra_modules dracut_args auto_reset_crashkernel force_rebuild force_no_rebuild net options
        link_delay disk_timeout debug_mem_level blacklist)
    ((${#_word} <= 4)) && _limit=1
    for _name in "${_directives[@]}"; do
        # The length difference alone is a lower bound: no need to count further.
        _distance=$((${#_word} - ${#_name}))
        ((${_distance#-} <= _limit)) || continue
        _distance=$(kdumpbase_edit_distance "$_word" "$_name")
        ((_distance <= _limit)) || continue
        if ((_best_distance < 0 || _distance < _best_distance)); then
            _best=$_name _best_distance=$_distance
        elif ((_distance == _best_distance)); then
            _best=''
        fi
    done
    [[ -z $_best ]] || printf '%s\n' "$_best"
}

# kdumpbase_edit_distance A B: prints the number of edits that turn A into B (optimal string
# alignment: Levenshtein's insert, delete and replace, plus a swap of two neighbours as one).
kdumpbase_edit_distance() {
    local _a=$1 _b=$2 _i _j _cost _here
    local -i _width=$((${#2} + 1))
    # Row i, column j of the table is _table[i * _width + j]: the distance between the first i
    # characters of A and the first j of B.
    local -a _table=()
    for ((_i = 0; _i <= ${#_a}; _i++)); do _table[_i * _width]=$_i; done
    for ((_j = 0; _j <= ${#_b}; _j++)); do _table[_j]=$_j; done
    for ((_i = 1; _i <= ${#_a}; _i++)); do
        for ((_j = 1; _j <= ${#_b}; _j++)); do
            _cost=1
            [[ ${_a:_i-1:1} == "${_b:_j-1:1}" ]] && _cost=0
            _here=$((_table[(_i - 1) * _width + _j] + 1))
            ((_table[_i * _width + _j - 1] + 1 < _here)) && _here=$((_table[_i * _width + _j - 1] + 1))
            ((_table[(_i - 1) * _width + _j - 1] + _cost < _here)) && _here=$((_table[(_i - 1) * _width + _j - 1] + _cost))
            if ((_i > 1 && _j > 1)) && [[ ${_a:_i-1:1} == "${_b:_j-2:1}" && ${_a:_i-2:1} == "${_b:_j-1:1}" ]]; then
                ((_table[(_i - 2) * _width + _j - 2] + 1 < _here)) && _here=$((_table[(_i - 2) * _width + _j - 2] + 1))
            fi
            _table[_i * _width + _j]=$_here
        done
    done
    printf '%s\n' "${_table[${#_a} * _width + ${#_b}]}"
}

kdumpbase_valid_device() {
    [[ $1 != *[[:space:]]* && $1 != *[[:cntrl:]]* ]] || return 1
    case $1 in
        # Not /dev/../etc/x: the capture waits for and writes to the node the spec names.
        /dev/?*) ! kdumpbase_path_problem "$1" >/dev/null ;;
        # The capture looks the value up in /dev/disk/by-*: '..' would lead out of there, to
        # another device (LABEL=../../vda). A label may hold '/' (findfs finds it).
        UUID=?* | LABEL=?* | PARTUUID=?*) [[ ${1#*=} != . ]] && ! kdumpbase_path_problem "${1#*=}" >/dev/null && ((${#1} <= 255)) ;;
        *) return 1 ;;
    esac
}

# kdumpbase_path_problem PATH: prints what is wrong with a path kdump.conf gives, and succeeds;
# fails, printing nothing, when it is sound: no '..' component (it would leave the dump target,
# or the sysroot), at most 4096 bytes (PATH_MAX) and 255 bytes a component (NAME_MAX).
kdumpbase_path_problem() {
    local LC_ALL=C _component
    local -a _components=()
    if ((${#1} > 4096)); then
        echo "longer than 4096 bytes (${#1})"
        return 0
    fi
    IFS=/ read -ra _components <<<"$1"
    for _component in "${_components[@]}"; do
        if [[ $_component == .. ]]; then
            echo "a '..' component would leave the directory it names; give the path without '..'"
            return 0
        fi
        if ((${#_component} > 255)); then
            echo "a component is longer than 255 bytes (${#_component})"
            return 0
        fi
    done
    return 1
}

# kdumpbase_shown VALUE: VALUE for a message, in single quotes; a value holding a control
# character or a byte that is not printable is quoted as printf %q does, never shown raw.
kdumpbase_shown() {
    local LC_ALL=C
    if [[ $1 == *[![:print:]]* ]]; then
        printf '%q' "$1"
    else
        printf "'%s'" "$1"
    fi
}

# The words of dracut_args, split as xargs does (quotes group, nothing is evaluated). Only what
# changes the capture image is applied here: --add-drivers/--force-drivers add kernel modules,
# --mount "DEV MP FSTYPE [OPTS]" is the target when no target directive is given.
kdumpbase_dracut_args() {
    local _where=$1 _value=$2 _word _i
    local -a _args=()
    local _status _lastpipe=
    # No newline after the value: xargs would take a trailing backslash as escaping it, and put
    # a newline into the last word. mapfile runs in this shell (lastpipe), not on a process
    # substitution: <(...) needs /dev/fd, which a chroot without /proc lacks.
    shopt -q lastpipe && _lastpipe=yes
    shopt -s lastpipe
    printf '%s' "$_value" | xargs printf '%s\0' 2>/dev/null | mapfile -d '' -t _args
    # xargs's own status (an unmatched quote), which mapfile's does not carry.
    _status=${PIPESTATUS[1]}
    [[ -n $_lastpipe ]] || shopt -u lastpipe
    ((_status == 0)) || return 1
    for ((_i = 0; _i < ${#_args[@]}; _i++)); do
        _word=${_args[_i]}
        case $_word in
            --add-drivers | --force-drivers | --add-drivers=* | --force-drivers=*)
                if [[ $_word == *=* ]]; then _word=${_word#*=}; else _word=${_args[++_i]-}; fi
                local -a _drivers=()
                read -ra _drivers <<<"$_word"
                kdumpbase_extra_modules+=("${_drivers[@]}")
                ;;
            --mount | --mount=*)
                if [[ $_word == *=* ]]; then _word=${_word#*=}; else _word=${_args[++_i]-}; fi
                kdumpbase_dracut_mount=$_word
                ;;
            *)
                dwarn "kdumpbase: $_where: dracut_args '$_word' is not applied by kdumpbase (pass it on the command line)"
                ;;
        esac
    done
    return 0
}

# No target directive: the dracut_args --mount, else the host filesystem that holds path.
kdumpbase_target_from_path() {
    local _source _fstype _mountpoint _uuid _found
    if [[ -n ${kdumpbase_dracut_mount-} ]]; then
        read -r _source _mountpoint _fstype _ <<<"$kdumpbase_dracut_mount"
    else
        # Not read from <(...), which needs /dev/fd (missing without /proc).
        # -v: the device alone, not a btrfs subvolume's /dev/sda2[/root].
        _found=$(findmnt -n -v -o SOURCE,FSTYPE,TARGET,UUID -T "${dracutsysrootdir-}$kdumpbase_path" 2>/dev/null)
        [[ -n $_found ]] || return 1
        read -r _source _fstype _mountpoint _uuid <<<"$_found"
        [[ -n ${_uuid-} ]] && _source=UUID=$_uuid
        _mountpoint=${_mountpoint#"${dracutsysrootdir-}"}
        # path is relative to the target's root.
        kdumpbase_path=/${kdumpbase_path#"${_mountpoint%/}"}
        kdumpbase_path=${kdumpbase_path//\/\//\/}
        # The subvolume comes from that very mount (kdumpbase_btrfs_resolve).
        [[ $_fstype != btrfs ]] || kdumpbase_btrfs_mountpoint=$_mountpoint
    fi
    case $_fstype in
        ext4 | xfs | vfat | btrfs) ;;
        *) return 1 ;;
    esac
    kdumpbase_valid_device "$_source" || return 1
    kdumpbase_target_fs=$_fstype kdumpbase_target_dev=$_source
}

kdumpbase_find_rootfs() {
    local _source _fstype _uuid _found
    _found=$(findmnt -n -o SOURCE,FSTYPE,UUID "${dracutsysrootdir:-/}" 2>/dev/null)
    [[ -n $_found ]] || return 1
    read -r _source _fstype _uuid <<<"$_found"
    [[ -n ${_uuid-} ]] && _source=UUID=$_uuid
    case $_fstype in
        ext4 | xfs | vfat) ;;
        *) return 1 ;;
    esac
    kdumpbase_valid_device "$_source" || return 1
    kdumpbase_rootfs_fs=$_fstype kdumpbase_rootfs_dev=$_source
}

# kdumpbase_host_block SPEC: /dev/NAME, the kernel's name of the block device SPEC names on the
# build host (udev's links, else blkid), or fails.
kdumpbase_host_block() {
    local _dev='' _kind
    case $1 in
        UUID=?* | LABEL=?* | PARTUUID=?*)
            _kind=${1%%=*}
            _dev=${dracutsysrootdir-}/dev/disk/by-${_kind,,}/${1#*=}
            [[ -e $_dev ]] || _dev=$(blkid -l -o device -t "$1" 2>/dev/null) || return 1
            ;;
        /dev/?*) _dev=${dracutsysrootdir-}$1 ;;
        *) return 1 ;;
    esac
    [[ -b $_dev ]] || return 1
    # By its numbers: a node of another name (LVM makes /dev/mapper/VG-LV nodes without udev).
    local _major _minor _sys
    read -r _major _minor <<<"$(stat -L -c '%t %T' "$_dev" 2>/dev/null)"
    [[ $_major == +([[:xdigit:]]) && $_minor == +([[:xdigit:]]) ]] || return 1
    _sys=$(readlink -f "/sys/dev/block/$((16#$_major)):$((16#$_minor))") || return 1
    [[ -e $_sys/dev ]] || return 1
    printf '/dev/%s\n' "${_sys##*/}"
}

# --- btrfs targets --------------------------------------------------------------------------------
# The subvolume is the one the build host mounts: with no target line, the mount that holds
# path; with a btrfs line, the host's first mount of that filesystem (its subvol=, else its
# subvolid=). Not mounted on the host, the dump goes to the filesystem's default subvolume.
# Every member device of a multi-device filesystem (/sys/fs/btrfs/UUID/devices) brings its
# drivers, and the btrfs tool comes in to register the members before the mount.

kdumpbase_btrfs_reset() {
    kdumpbase_btrfs_subvol='' kdumpbase_btrfs_mountpoint=''
    kdumpbase_btrfs_devices=()
}

# kdumpbase_btrfs_resolve FILE: the subvolume and the member devices, from the build host.
kdumpbase_btrfs_resolve() {
    local _file=$1 _dev _options='' _option _uuid='' _member _line _mounted
    local -a _list=()
    _dev=$(kdumpbase_host_block "$kdumpbase_target_dev") && _uuid=$(blkid -o value -s UUID "$_dev" 2>/dev/null)
    [[ -n $_uuid || $kdumpbase_target_dev != UUID=* ]] || _uuid=${kdumpbase_target_dev#UUID=}
    if [[ -n $kdumpbase_btrfs_mountpoint ]]; then
        _options=$(findmnt -n -o OPTIONS -T "${dracutsysrootdir-}$kdumpbase_btrfs_mountpoint" 2>/dev/null)
    elif [[ -n $_uuid ]]; then
        # By the filesystem's UUID: a filesystem on several devices is mounted from any of them.
        while read -r _mounted _line; do
            if [[ $_mounted == "$_uuid" ]]; then
                _options=$_line
                break
            fi
        done <<<"$(findmnt -n -l -t btrfs -o UUID,OPTIONS 2>/dev/null)"
    fi
    IFS=, read -ra _list <<<"$_options"
    for _option in "${_list[@]}"; do
        case $_option in
            subvol=?*) kdumpbase_btrfs_subvol=subvol=${_option#subvol=} ;;
            subvolid=?*) [[ $kdumpbase_btrfs_subvol == subvol=* ]] || kdumpbase_btrfs_subvol=subvolid=${_option#subvolid=} ;;
        esac
    done
    if [[ -z $_options ]]; then
        dinfo "kdumpbase: btrfs $kdumpbase_target_dev is not mounted on this host: the dump goes to its default subvolume"
    elif [[ $kdumpbase_btrfs_subvol == *[[:space:][:cntrl:]]* ]] || _option=$(kdumpbase_path_problem "${kdumpbase_btrfs_subvol#*=}"); then
        # One word in the image's configuration, one mount option: no space, no '..'.
        kdumpbase_unserved+=("$_file: the btrfs subvolume $(kdumpbase_shown "${kdumpbase_btrfs_subvol#*=}") of $kdumpbase_target_dev cannot be mounted by the minimal image")
        return 0
    fi
    [[ -n $_dev ]] || {
        dinfo "kdumpbase: btrfs $kdumpbase_target_dev is not on this host: taken as one device"
        return 0
    }
    if [[ -n $_uuid && -d /sys/fs/btrfs/$_uuid/devices ]]; then
        for _member in /sys/fs/btrfs/"$_uuid"/devices/*; do
            [[ -e $_member ]] && kdumpbase_btrfs_devices+=("/dev/${_member##*/}")
        done
    fi
    if ((${#kdumpbase_btrfs_devices[@]} > 1)); then
        find_binary btrfs >/dev/null ||
            kdumpbase_unserved+=("$_file: btrfs $kdumpbase_target_dev spans ${#kdumpbase_btrfs_devices[@]} devices: the btrfs tool (btrfs-progs) is needed to register them, and is not installed")
        dinfo "kdumpbase: btrfs $kdumpbase_target_dev: member devices ${kdumpbase_btrfs_devices[*]}"
    else
        kdumpbase_btrfs_devices=()
    fi
    [[ -z $kdumpbase_btrfs_subvol ]] || dinfo "kdumpbase: btrfs $kdumpbase_target_dev: the dump goes to $kdumpbase_btrfs_subvol"
}

kdumpbase_btrfs_install() {
    ((${#kdumpbase_btrfs_devices[@]} > 1)) || return 0
    inst_multiple btrfs
}

# Lines of the image's kdump.conf, the image's own directives: the mount option and the scan.
kdumpbase_btrfs_write_config() {
    [[ -z $kdumpbase_btrfs_subvol ]] || echo "btrfs_subvolume $kdumpbase_btrfs_subvol"
    ((${#kdumpbase_btrfs_devices[@]} <= 1)) || echo "btrfs_scan ${#kdumpbase_btrfs_devices[@]}"
    return 0
}

# --- LVM targets ----------------------------------------------------------------------------------
# A target that is an LVM logical volume on the build host (its device-mapper uuid starts with
# LVM-): the image gets kindling-dmload, kdump-lvm.sh and dm_mod, not the lvm tool (3 MB and 4 MB
# of libraries) nor dmsetup (1.1 MB of libraries): at capture time kdump-lvm.sh reads LVM2's
# on-disk metadata, checks it, builds the table LVM would load for the target's logical volume
# alone (nothing else of its volume group, nothing of another) and loads it with kindling-dmload,
# before waiting for the target. The drivers are those of the volume's physical volumes (its sysfs slaves). A
# volume that sits on other device-mapper devices (thin, cache, raid, mirror, snapshot, a
# crypt layer) is not served: the minimal image activates plain linear and striped volumes.

kdumpbase_lvm_reset() {
    kdumpbase_lvm_vg='' kdumpbase_lvm_lv='' kdumpbase_dmload=''
    kdumpbase_lvm_pvs=()
}

# kdumpbase_lvm_loader: the path of kindling-dmload, Kindling's device-mapper loader (it needs the
# C library alone, where dmsetup brings 1.1 MB of libraries): beside the running kindling binary,
# which the engine names in $KINDLING_PROGRAMS_DIR. Status 1 (the path looked at printed) when it
# is not there: no fallback to dmsetup, whose image would silently miss the 4 MB goal.
kdumpbase_lvm_loader() {
    local _loader=${KINDLING_PROGRAMS_DIR:-<KINDLING_PROGRAMS_DIR unset>}/kindling-dmload
    printf '%s\n' "$_loader"
    [[ -f $_loader && -x $_loader ]]
}

# kdumpbase_lvm_names DMNAME: "VG LV" from a device-mapper name, where LVM doubles each '-' of
# the names and joins them with a single one.
kdumpbase_lvm_names() {
    local _name=$1 _i _vg _lv
    for ((_i = 0; _i < ${#_name}; _i++)); do
        if [[ ${_name:_i:1} == - ]]; then
            if [[ ${_name:_i+1:1} == - ]]; then
                ((++_i))
                continue
            fi
            _vg=${_name:0:_i} _lv=${_name:_i+1}
            printf '%s %s\n' "${_vg//--/-}" "${_lv//--/-}"
            return 0
        fi
    done
    return 1
}

# kdumpbase_lvm_resolve FILE: the volume group, logical volume and physical volumes of the
# target, from the build host's sysfs.
kdumpbase_lvm_resolve() {
    local _file=$1 _dev _name _uuid _dmname _slave _names
    if ! _dev=$(kdumpbase_host_block "$kdumpbase_target_dev"); then
        # A device-mapper name is only known where its volume group is active.
        if [[ $kdumpbase_target_dev == /dev/mapper/* ]]; then
            kdumpbase_unserved+=("$_file: $kdumpbase_target_dev is not on this host: activate its volume group before the build")
        fi
        return 0
    fi
    _name=${_dev#/dev/}
    [[ -r /sys/class/block/$_name/dm/uuid ]] || return 0
    _uuid=$(<"/sys/class/block/$_name/dm/uuid")
    _dmname=$(<"/sys/class/block/$_name/dm/name")
    if [[ $_uuid != LVM-* ]]; then
        kdumpbase_unserved+=("$_file: $kdumpbase_target_dev is device-mapper device $(kdumpbase_shown "$_dmname"), not an LVM logical volume: not supported by the minimal image")
        return 0
    fi
    if ! _names=$(kdumpbase_lvm_names "$_dmname") || [[ $_names == *[!A-Za-z0-9+_.\ -]* ]]; then
        kdumpbase_unserved+=("$_file: $kdumpbase_target_dev: cannot tell the volume group and logical volume from $(kdumpbase_shown "$_dmname")")
        return 0
    fi
    read -r kdumpbase_lvm_vg kdumpbase_lvm_lv <<<"$_names"
    for _slave in /sys/class/block/"$_name"/slaves/*; do
        [[ -e $_slave ]] || continue
        if [[ -e $_slave/dm/name ]]; then
            kdumpbase_unserved+=("$_file: logical volume $kdumpbase_lvm_vg/$kdumpbase_lvm_lv sits on device-mapper device $(kdumpbase_shown "$(<"$_slave/dm/name")") (a thin, cache, raid, mirror or snapshot volume): the minimal image serves linear and striped volumes only")
            kdumpbase_lvm_reset
            return 0
        fi
        kdumpbase_lvm_pvs+=("/dev/${_slave##*/}")
    done
    if ! kdumpbase_dmload=$(kdumpbase_lvm_loader); then
        kdumpbase_unserved+=("$_file: $kdumpbase_target_dev is LVM logical volume $kdumpbase_lvm_vg/$kdumpbase_lvm_lv, and Kindling's device-mapper loader is missing: no executable $(kdumpbase_shown "$kdumpbase_dmload") ('make build' or 'make install' puts it beside kindling)")
        return 0
    fi
    dinfo "kdumpbase: $kdumpbase_target_dev is logical volume $kdumpbase_lvm_vg/$kdumpbase_lvm_lv on ${kdumpbase_lvm_pvs[*]}"
}

# kdumpbase_lvm_rootfs_check FILE: dump_to_rootfs mounts the root without activating anything: a
# root on device-mapper (RHEL's rhel/root) is not served.
kdumpbase_lvm_rootfs_check() {
    local _dev
    [[ -n $kdumpbase_rootfs_dev ]] && _dev=$(kdumpbase_host_block "$kdumpbase_rootfs_dev") || return 0
    [[ -e /sys/class/block/${_dev#/dev/}/dm ]] || return 0
    kdumpbase_unserved+=("$1: failure_action dump_to_rootfs: the root filesystem is on device-mapper ($(<"/sys/class/block/${_dev#/dev/}/dm/name")), which the minimal image activates only as the dump target")
}

kdumpbase_lvm_install() {
    [[ -n $kdumpbase_lvm_vg ]] || return 0
    inst "$kdumpbase_dmload" /usr/sbin/kindling-dmload || return 1
    inst_script "$moddir/kdump-lvm.sh" /usr/lib/kindling-kdump/kdump-lvm.sh
}

# dm_mod is not in modules-load.d: the capture's lvm_activate loads it, after the target's
# filesystem module has loaded and left the tree, when the crash kernel has the most memory.
kdumpbase_lvm_installkernel() {
    [[ -n $kdumpbase_lvm_vg ]] || return 0
    hostonly='' instmods dm_mod
}

kdumpbase_lvm_write_config() {
    [[ -z $kdumpbase_lvm_vg ]] || echo "lvm $kdumpbase_lvm_vg $kdumpbase_lvm_lv"
    return 0
}


# The crash kernel holds the compressed image and the unpacked tree at once, and kernel
# modules are most of the tree (every bus and ext4: 7.3 MB of .ko files): xz makes them ~5x
# smaller unpacked and ~20% smaller inside the gzip image. The image's modprobe must read
# .ko.xz: busybox built with FEATURE_SEAMLESS_XZ (Debian's, Fedora's and Alpine's are) or kmod
# built with XZ. kdump_compress_modules (dracut.conf): yes (default) is xz -1: 0.5 s for every
# bus, where the default preset takes 3 s to save another 110 KB; best is that preset; no keeps
# .ko files.
#
# Modules of 4 MB and more (xfs, 4.2 MB) stay .ko: busybox modprobe hands a .ko to
# finit_module, which reads it from the tree, but decompresses a .ko.xz whole into its own
# memory (and a 1 MiB dictionary) before init_module copies it again. The larger tree costs
# less than that copy: with xz, loading xfs runs a crash kernel at crashkernel=96M out of
# memory; kept as .ko (and without the watermark boost, see kdump-cmdline.sh) it loads first
# of all, its file emptied as soon as the kernel has read it (kdump-pre-udev.sh). btrfs
# (3.9 MB), ext4 and nfsv4 (2.1 MB) stay .ko.xz: their images capture at 96M so, and kept whole
# btrfs would take its own-chain image past 4 MB (Documentation/kdump.md, "xfs at 96M").
kdumpbase_compress_modules() {
    local _modprobe _moddir=$initdir/lib/modules/$kernel _preset=preset=1 _list
    case ${kdump_compress_modules-yes} in
        no) return 0 ;;
        best) _preset=preset=6 ;;
    esac
    [[ -d $_moddir ]] || return 0
    command -v xz >/dev/null || return 0
    _modprobe=$(readlink -f "$initdir/sbin/modprobe") || return 0
    case ${_modprobe##*/} in
        busybox*) ;;
        *) modprobe --version 2>/dev/null | grep -q '+XZ' || return 0 ;;
    esac
    # "SIZE PATH", NUL-terminated, the largest first.
    _list=$DRACUT_TMPDIR/kdumpbase-modules
    find "$_moddir" -name '*.ko' -type f -size -4000000c -printf '%s %p\0' | sort -z -rn >"$_list"
    [[ -s $_list ]] || return 0
    kdumpbase_index_modules_as_xz "$_list"
    # A module xz could not compress is still .ko: the index must say so.
    kdumpbase_xz_in_shares "$_list" "$_preset" || dracut_kernel_post
}

# One xz per processor, each on a share of the files of about the same size (the largest first,
# each to the lightest share): a single xz compresses one file at a time, and shares cut in the
# order find lists the files left one xz with ext4.ko and most of the rest. crc32: the check every
# decoder knows (the kernel's own module compression uses it).
kdumpbase_xz_in_shares() {
    local _shares _i _size _path _lightest _status=0
    local -a _load=() _pids=()
    _shares=$(nproc 2>/dev/null) || _shares=2
    for ((_i = 0; _i < _shares; _i++)); do
        _load[_i]=0
        : >"$1.$_i"
    done
    while IFS=' ' read -r -d '' _size _path; do
        _lightest=0
        for ((_i = 1; _i < _shares; _i++)); do
            ((_load[_i] < _load[_lightest])) && _lightest=$_i
        done
        _load[_lightest]=$((_load[_lightest] + _size))
        printf '%s\0' "$_path" >>"$1.$_lightest"
    done <"$1"
    for ((_i = 0; _i < _shares; _i++)); do
        xargs -0 -r xz -q -T1 --check=crc32 --lzma2="$2,dict=1MiB" <"$1.$_i" &
        _pids+=($!)
    done
    for _i in "${_pids[@]}"; do
        wait "$_i" || _status=$?
    done
    return "$_status"
}

# depmod reads every module, and a .ko.xz costs it a decompression (0.1 s for every bus): the
# modules are indexed under their .ko.xz names while still plain, then compressed; the build's
# own depmod finds the same module files and keeps that index. Without util-linux's rename the
# build's depmod indexes the compressed files.
kdumpbase_index_modules_as_xz() {
    local _rename _entry
    local -a _paths=()
    if hash rename.ul 2>/dev/null; then
        _rename=rename.ul
    elif rename --version 2>/dev/null | grep -q util-linux; then
        _rename=rename
    else
        return 0
    fi
    while IFS= read -r -d '' _entry; do
        _paths+=("${_entry#* }")
    done <"$1"
    # -l: the last ".ko", the suffix (util-linux 2.36 and later; older ones refuse the option).
    if "$_rename" -l .ko .ko.xz "${_paths[@]}"; then
        dracut_kernel_post
    fi
    # Back to .ko for xz: every file renamed (all of them, or none when rename refused).
    "$_rename" -l .ko.xz .ko "${_paths[@]/%/.xz}" 2>/dev/null
    return 0
}

# The image's /etc/kdump.conf: only checked values, in kdump.conf's own format. "rootfs" is the
# image's own directive: the root filesystem for failure_action dump_to_rootfs.
kdumpbase_write_config() {
    local _collector=$kdumpbase_collector
    local -a _words=()
    read -ra _words <<<"$_collector"
    if [[ ${_words[0]##*/} == makedumpfile ]]; then
        # -F (flattened output) is for a stream: a raw device needs it, a file must not have it.
        local -a _kept=()
        local _word
        for _word in "${_words[@]}"; do
            [[ $_word == -F ]] || _kept+=("$_word")
        done
        [[ $kdumpbase_target_fs == @(raw|ssh) ]] && _kept+=(-F)
        _collector=${_kept[*]}
    fi
    echo "# Written by Kindling's kdumpbase from ${KDUMP_CONFIG_FILE:-/etc/kdump.conf}"
    echo "$kdumpbase_target_fs $kdumpbase_target_dev"
    echo "path $kdumpbase_path"
    echo "core_collector $_collector"
    echo "failure_action $kdumpbase_failure_action"
    echo "final_action $kdumpbase_final_action"
    [[ -n $kdumpbase_pre ]] && echo "kdump_pre $kdumpbase_pre"
    [[ -n $kdumpbase_post ]] && echo "kdump_post $kdumpbase_post"
    [[ -n $kdumpbase_emergency ]] && echo "kdump_emergency $kdumpbase_emergency"
    [[ -n $kdumpbase_rootfs_fs ]] && echo "rootfs $kdumpbase_rootfs_fs $kdumpbase_rootfs_dev"
    kdumpbase_net_target && kdumpbase_net_write_config
    kdumpbase_btrfs_write_config
    kdumpbase_lvm_write_config
    return 0
}

# systemd images: a oneshot unit in initrd.target runs the capture; switching root is skipped
# on a crash boot (the capture ends with final_action anyway; this keeps the capture from
# being killed by an isolate if it returned).
kdumpbase_install_systemd() {
    local _unit _dir
    inst_simple "$moddir/kdump-capture.service" "$systemdsystemunitdir/kdump-capture.service"
    inst_dir "$systemdsystemunitdir/initrd.target.wants"
    ln_r "$systemdsystemunitdir/kdump-capture.service" "$systemdsystemunitdir/initrd.target.wants/kdump-capture.service"
    for _unit in initrd-parse-etc.service initrd-cleanup.service initrd-switch-root.service; do
        _dir=$systemdsystemunitdir/$_unit.d
        inst_dir "$_dir"
        printf '[Unit]\nConditionPathExists=!/proc/vmcore\n' >"$initdir$_dir/50-kdump.conf"
    done
}

# --- network targets: nfs and ssh -------------------------------------------------------------
#
# kdump.conf gives `nfs host:/export` or `ssh user@host` (with `sshkey`, default
# /root/.ssh/kdump_id_rsa), or dracut_args --mount "host:/export MP nfs[4] OPTIONS". At build
# time the host resolves to an IPv4 address (the image uses the address: it has no DNS), and
# `ip route get` names the interface that reaches it. That interface's driver chain goes in
# (sysfs, as kdump-storage walks a disk's), with its configuration: DHCP when the host's address
# on it is dynamic, else that address, its prefix and the route's gateway. An interface with no
# device (a bridge, a veth) or no route at all: the build says so, and the image has the drivers
# kdump.conf's extra_modules names when one of them is a network driver, else those of common
# NICs (kdumpbase_net_fallback_drivers), and takes the first Ethernet interface.
# NFS: version 4, or 3 (with nolock: the image runs no statd) when the export's mount options
# on the build host (dracut_args --mount, the mounted export, else /etc/fstab) say vers=3.
# ssh: dropbear's dbclient (its key converted at build time with dropbearconvert), else OpenSSH's
# ssh; kdump_ssh_client=dropbear|openssh in a dracut.conf file chooses. The server's key must be
# known on the build host (root's known_hosts or /etc/ssh/ssh_known_hosts): the capture checks
# it, as Fedora's does with StrictHostKeyChecking=yes, and the build fails naming the line when
# there is none.

kdumpbase_net_reset() {
    kdumpbase_net_where='' kdumpbase_net_host='' kdumpbase_net_address='' kdumpbase_net_user=''
    kdumpbase_net_export='' kdumpbase_net_interface='' kdumpbase_net_mac='' kdumpbase_net_config=''
    kdumpbase_net_drivers=() kdumpbase_nfs_version=4 kdumpbase_nfs_options=''
    kdumpbase_sshkey=/root/.ssh/kdump_id_rsa kdumpbase_sshkey_where='' kdumpbase_ssh_client=''
    kdumpbase_ssh_known_hosts=''
}

kdumpbase_net_target() {
    [[ ${kdumpbase_target_fs-} == @(nfs|ssh) ]]
}

# Common NICs, for an image whose interface could not be found on the build host.
kdumpbase_net_fallback_drivers() {
    echo virtio_net virtio_pci e1000 e1000e igb r8169
}

# kdumpbase_net_valid_host NAME: a host name or an IPv4 address (letters, digits, '.', '-', '_').
kdumpbase_net_valid_host() {
    [[ $1 =~ ^[A-Za-z0-9_][A-Za-z0-9._-]*$ && ${#1} -le 253 ]]
}

# kdumpbase_net_directive WHERE KEY VALUE: nfs, ssh and sshkey; appends to the caller's _errors.
kdumpbase_net_directive() {
    local _where=$1 _key=$2 _value=$3 _problem _host _rest
    if [[ $_key == sshkey ]]; then
        if _problem=$(kdumpbase_path_problem "$_value"); then
            _errors+=("$_where: sshkey $(kdumpbase_shown "$_value"): $_problem")
        elif [[ $_value != /* || $_value == *[[:space:]]* ]]; then
            _errors+=("$_where: sshkey: give the absolute path of the private key, not $(kdumpbase_shown "$_value")")
        else
            kdumpbase_sshkey=$_value kdumpbase_sshkey_where=$_where
        fi
        return 0
    fi
    if [[ -n $kdumpbase_target_fs ]]; then
        _errors+=("$_where: only one dump target is allowed ('$kdumpbase_target_fs' is already set)")
        return 0
    fi
    if [[ $_value == *\[* || $_value == *::* ]]; then
        kdumpbase_unserved+=("$_where: '$_key' to an IPv6 address is not supported by the minimal image")
        return 0
    fi
    case $_key in
        nfs)
            _host=${_value%%:*} _rest=${_value#*:}
            if [[ $_value != *:/* ]] || ! kdumpbase_net_valid_host "$_host" || [[ $_rest == *[[:space:]]* ]] ||
                kdumpbase_path_problem "$_rest" >/dev/null; then
                _errors+=("$_where: 'nfs' wants host:/export (no '..', no spaces), not $(kdumpbase_shown "$_value")")
                return 0
            fi
            kdumpbase_net_export=$_rest
            ;;
        ssh)
            _host=${_value#*@} _rest=${_value%%@*}
            if [[ $_value != ?*@?* || ! $_rest =~ ^[A-Za-z0-9_][A-Za-z0-9._-]*$ ]] || ! kdumpbase_net_valid_host "$_host"; then
                _errors+=("$_where: 'ssh' wants user@host, not $(kdumpbase_shown "$_value")")
                return 0
            fi
            kdumpbase_net_user=$_rest
            ;;
    esac
    kdumpbase_target_fs=$_key kdumpbase_target_dev=$_value kdumpbase_net_where=$_where kdumpbase_net_host=$_host
}

# kdumpbase_net_dracut_mount WHERE "SOURCE MOUNTPOINT nfs|nfs4 [OPTIONS]": checks the source and
# takes the NFS version from the options.
kdumpbase_net_dracut_mount() {
    local _where=$1 _source _fstype _options
    read -r _source _ _fstype _options <<<"$2"
    if [[ $_source == \[* ]]; then
        kdumpbase_unserved+=("$_where: dracut_args --mount: NFS from an IPv6 address is not supported by the minimal image")
        return 0
    fi
    if [[ $_source != *:/* ]] || ! kdumpbase_net_valid_host "${_source%%:*}" || kdumpbase_path_problem "${_source#*:}" >/dev/null; then
        _errors+=("$_where: dracut_args --mount: $(kdumpbase_shown "$_source") is not host:/export (no '..')")
        return 0
    fi
    kdumpbase_nfs_options=${_options-}
    [[ $_fstype == nfs4 ]] && kdumpbase_nfs_options+=",vers=4"
    kdumpbase_net_dracut_where=$_where
}

# No target directive, and dracut_args --mount names an NFS export: that is the target.
kdumpbase_net_from_dracut_mount() {
    [[ -n ${kdumpbase_net_dracut_where-} ]] || return 0
    local _source
    read -r _source _ <<<"$kdumpbase_dracut_mount"
    kdumpbase_target_fs=nfs kdumpbase_target_dev=$_source kdumpbase_net_where=$kdumpbase_net_dracut_where
    kdumpbase_net_host=${_source%%:*} kdumpbase_net_export=${_source#*:}
}

# kdumpbase_net_nfs_version: 3 when the export's options on the build host say so, else 4.
kdumpbase_net_nfs_version() {
    local _options=$kdumpbase_nfs_options _source _found
    if [[ -z $_options ]]; then
        _options=$(findmnt -n -o OPTIONS -S "$kdumpbase_target_dev" 2>/dev/null | head -n 1)
    fi
    if [[ -z $_options && -r ${dracutsysrootdir-}/etc/fstab ]]; then
        while read -r _source _ _ _found _; do
            [[ $_source == "$kdumpbase_target_dev" ]] && { _options=$_found; break; }
        done <"${dracutsysrootdir-}/etc/fstab"
    fi
    case ,$_options, in
        *,vers=3,* | *,nfsvers=3,* | *,vers=3.0,*) echo 3 ;;
        *) echo 4 ;;
    esac
}

# kdumpbase_net_chain INTERFACE: the modules bound along the interface's device path in sysfs.
kdumpbase_net_chain() {
    local _path _driver
    _path=$(readlink -f "/sys/class/net/$1/device" 2>/dev/null) || return 0
    while [[ $_path == /sys/devices/* ]]; do
        if [[ -L $_path/driver/module ]]; then
            _driver=$(readlink -f "$_path/driver/module")
            echo "${_driver##*/}"
        fi
        _path=${_path%/*}
    done
}

# kdumpbase_net_is_nic_module NAME: the target kernel's NAME is under drivers/net.
kdumpbase_net_is_nic_module() {
    local _dep=${srcmods:-/lib/modules/$kernel}/modules.dep _name=${1//-/_}
    [[ -r $_dep ]] || return 1
    grep -qE "(^|/)drivers/net/([^:]*/)?(${_name}|${_name//_/-})\.ko(\.[a-z]+)?:" "$_dep"
}

# kdumpbase_net_known_hosts HOST ADDRESS: the server's keys from the build host's known_hosts
# files, as "ADDRESS TYPE KEY" lines (the image connects to the address).
kdumpbase_net_known_hosts() {
    local _file _name _marker _type _key _line
    for _file in "${dracutsysrootdir-}/root/.ssh/known_hosts" "${dracutsysrootdir-}/etc/ssh/ssh_known_hosts"; do
        [[ -r $_file ]] || continue
        for _name in "$2" "$1"; do
            if command -v ssh-keygen >/dev/null; then
                _line=$(ssh-keygen -F "$_name" -f "$_file" 2>/dev/null | grep -v '^#')
            else
                _line=$(awk -v h="$_name" '{ n = split($1, a, ","); for (i = 1; i <= n; i++) if (a[i] == h) print }' "$_file")
            fi
            while read -r _marker _type _key _; do
                [[ -n $_marker && $_marker != @* && -n $_key ]] && printf '%s %s %s\n' "$2" "$_type" "$_key"
            done <<<"$_line"
        done
    done | sort -u
}

# kdumpbase_net_resolve FILE: the address, the interface, its drivers and configuration, and
# the ssh client and keys; appends to the caller's _errors.
kdumpbase_net_resolve() {
    local _where=$kdumpbase_net_where _route _word _previous='' _dev='' _via='' _src='' _local='' _line _prefix
    local -a _words=()
    if [[ $kdumpbase_net_host =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
        kdumpbase_net_address=$kdumpbase_net_host
    else
        kdumpbase_net_address=$(getent ahostsv4 "$kdumpbase_net_host" 2>/dev/null | awk 'NR == 1 { print $1 }')
        if [[ -z $kdumpbase_net_address ]]; then
            _errors+=("$_where: $kdumpbase_target_fs: cannot resolve '$kdumpbase_net_host' to an IPv4 address on this host")
            return 0
        fi
    fi
    if [[ $kdumpbase_target_fs == nfs ]]; then
        kdumpbase_target_dev=$kdumpbase_net_address:$kdumpbase_net_export
        kdumpbase_nfs_version=$(kdumpbase_net_nfs_version)
    else
        kdumpbase_target_dev=$kdumpbase_net_user@$kdumpbase_net_address
    fi

    _route=$(ip -o -4 route get "$kdumpbase_net_address" 2>/dev/null | head -n 1)
    read -ra _words <<<"$_route"
    for _word in "${_words[@]}"; do
        case $_previous in
            dev) _dev=$_word ;;
            via) _via=$_word ;;
            src) _src=$_word ;;
        esac
        _previous=$_word
    done
    [[ ${_words[0]-} == local ]] && _local=yes
    if [[ -z $_dev || $_dev == lo || -n $_local ]]; then
        dwarn "kdumpbase: $_where: no network interface on this host reaches $kdumpbase_net_address: the image brings up its first Ethernet interface with DHCP"
        kdumpbase_net_config=dhcp
    else
        kdumpbase_net_interface=$_dev
        kdumpbase_net_mac=$(cat "/sys/class/net/$_dev/address" 2>/dev/null)
        kdumpbase_net_config=''
        while IFS= read -r _line; do
            read -ra _words <<<"$_line"
            [[ ${_words[2]-} == inet ]] || continue
            [[ -z $_src || ${_words[3]%/*} == "$_src" ]] || continue
            if [[ " ${_words[*]} " == *" dynamic "* ]]; then
                kdumpbase_net_config=dhcp
            else
                _prefix=${_words[3]}
                kdumpbase_net_config="static $_prefix ${_via:--}"
            fi
            break
        done <<<"$(ip -o -4 addr show dev "$_dev" 2>/dev/null)"
        [[ -n $kdumpbase_net_config ]] || kdumpbase_net_config=dhcp
        read -ra kdumpbase_net_drivers <<<"$(kdumpbase_net_chain "$_dev" | tr '\n' ' ')"
    fi
    if ((${#kdumpbase_net_drivers[@]} == 0)); then
        local _module _named=''
        for _module in "${kdumpbase_extra_modules[@]}"; do
            kdumpbase_net_is_nic_module "$_module" && _named+=" $_module"
        done
        if [[ -n $_named ]]; then
            dinfo "kdumpbase: ${_dev:-no interface} reaches $kdumpbase_net_address without a device driver: the NIC is extra_modules'${_named}"
        else
            read -ra kdumpbase_net_drivers <<<"$(kdumpbase_net_fallback_drivers)"
            dwarn "kdumpbase: $_where: ${_dev:-no interface} reaches $kdumpbase_net_address without a device driver: the image has common NIC drivers (${kdumpbase_net_drivers[*]}); name the capture machine's NIC in extra_modules"
        fi
    fi

    [[ $kdumpbase_target_fs == ssh ]] || return 0
    local _key=${dracutsysrootdir-}$kdumpbase_sshkey _client
    if [[ ! -f $_key || ! -r $_key ]]; then
        _errors+=("${kdumpbase_sshkey_where:-$_where}: sshkey: cannot read the private key $(kdumpbase_shown "$kdumpbase_sshkey")")
    fi
    case ${kdump_ssh_client:-auto} in
        auto) _client=$(find_binary dbclient) && command -v dropbearconvert >/dev/null || _client=$(find_binary ssh) || _client='' ;;
        dropbear) _client=$(find_binary dbclient) && command -v dropbearconvert >/dev/null || _client='' ;;
        openssh) _client=$(find_binary ssh) || _client='' ;;
        *) _client='' ;;
    esac
    if [[ -z $_client ]]; then
        _errors+=("$_where: ssh: no ssh client (kdump_ssh_client=${kdump_ssh_client:-auto}): install dbclient and dropbearconvert (dropbear-bin) or ssh (openssh-client)")
        return 0
    fi
    kdumpbase_ssh_client=$_client
    kdumpbase_ssh_known_hosts=$(kdumpbase_net_known_hosts "$kdumpbase_net_host" "$kdumpbase_net_address")
    if [[ -z $kdumpbase_ssh_known_hosts ]]; then
        _errors+=("$_where: ssh: no host key for '$kdumpbase_net_host' in /root/.ssh/known_hosts or /etc/ssh/ssh_known_hosts: the capture checks the server's key; connect once as root to record it")
    fi
}

# The image's own directives for a network target (read by kdump-net.sh).
kdumpbase_net_write_config() {
    echo "net_interface ${kdumpbase_net_interface:--} ${kdumpbase_net_mac:--}"
    echo "net_config $kdumpbase_net_config"
    if [[ $kdumpbase_target_fs == nfs ]]; then
        echo "nfs_version $kdumpbase_nfs_version"
    else
        echo "ssh_client ${kdumpbase_ssh_client##*/}"
        echo "sshkey /root/.ssh/kdump_id"
    fi
}

kdumpbase_net_install() {
    inst_script "$moddir/kdump-net.sh" /usr/lib/kindling-kdump/kdump-net.sh
    inst_script "$moddir/kdump-udhcpc.sh" /usr/lib/kindling-kdump/udhcpc.sh
    [[ $kdumpbase_target_fs == ssh ]] || return 0
    local _key=${dracutsysrootdir-}$kdumpbase_sshkey
    inst_dir /root/.ssh
    chmod 700 "$initdir/root/.ssh"
    inst "$kdumpbase_ssh_client" || return 1
    if [[ ${kdumpbase_ssh_client##*/} == dbclient ]]; then
        if ! dropbearconvert openssh dropbear "$_key" "$initdir/root/.ssh/kdump_id" >/dev/null 2>&1; then
            dfatal "${kdumpbase_sshkey_where:-$kdumpbase_net_where}: sshkey: dropbearconvert cannot read $(kdumpbase_shown "$kdumpbase_sshkey") (an OpenSSH private key without a passphrase)"
            exit 1
        fi
    else
        cp "$_key" "$initdir/root/.ssh/kdump_id"
    fi
    chmod 600 "$initdir/root/.ssh/kdump_id"
    printf '%s\n' "$kdumpbase_ssh_known_hosts" >"$initdir/root/.ssh/known_hosts"
    # Both clients look the user up (the name, the home directory).
    grep -qs '^root:' "$initdir/etc/passwd" || echo 'root:x:0:0:root:/root:/bin/sh' >>"$initdir/etc/passwd"
    grep -qs '^root:' "$initdir/etc/group" || echo 'root:x:0:' >>"$initdir/etc/group"
}

kdumpbase_net_installkernel() {
    local -a _modules=("${kdumpbase_net_drivers[@]}")
    if [[ $kdumpbase_target_fs == nfs ]]; then
        _modules+=(nfs "nfsv$kdumpbase_nfs_version")
    fi
    ((${#_modules[@]} > 0)) || return 0
    if ! hostonly='' instmods -c "${_modules[@]}"; then
        dfatal "kdumpbase: $kdumpbase_net_where: cannot install the network modules '${_modules[*]}'"
        exit 1
    fi
    inst_dir /etc/modules-load.d
    printf '%s\n' "${_modules[@]}" >"$initdir/etc/modules-load.d/kdump-net.conf"
}
