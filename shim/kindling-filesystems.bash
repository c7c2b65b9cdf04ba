# Filesystem helpers for module code: what is mounted where, with which type and options, and
# the names that find a device (UUID=..., /dev/disk/by-*). Part of the shim and of
# kindling-functions.bash, which sources it; see kindling-shim.bash for the rules.

# The first non-empty, non-autofs line that `findmnt -o COLUMN SELECTOR VALUE` gives for the
# mounted filesystems, or (when nothing is mounted there, or with use_fstab=yes) for the fstab.
# shellcheck disable=SC2046 # no table option is no argument
__kindling_findmnt_field() {
    builtin local __column="$1" __selector="$2" __value="$3" __line __table
    builtin local -a __tables
    __tables=()
    [[ ${use_fstab-} == yes ]] || __tables+=(mounted)
    [[ -f ${dracutsysrootdir-}/etc/fstab ]] && __tables+=(fstab)
    for __table in "${__tables[@]}"; do
        while IFS= builtin read -r __line; do
            [[ -n $__line && $__line != autofs ]] || builtin continue
            builtin printf '%s' "$__line"
            builtin return 0
        done <<<"$(builtin command findmnt -e -v -n $(__kindling_findmnt_table "$__table") -o "$__column" "$__selector" "$__value" 2>/dev/null)"
    done
    builtin return 1
}

# findmnt's option for a table: none for the mounted filesystems, --fstab for the fstab.
__kindling_findmnt_table() {
    [[ $1 == fstab ]] && builtin printf '%s' --fstab
    builtin return 0
}

# A maj:min name resolves through /dev/block when that exists, as udev lays it out.
__kindling_device_path() {
    if [[ $1 != /dev* && -b /dev/block/$1 ]]; then
        builtin printf '%s' "/dev/block/$1"
    else
        builtin printf '%s' "$1"
    fi
}

# `find_mp_fstype MOUNTPOINT`, `find_dev_fstype DEV`: the filesystem type, without a newline.
find_mp_fstype() { __kindling_findmnt_field FSTYPE --target "$1"; }
find_dev_fstype() { __kindling_findmnt_field FSTYPE --source "$(__kindling_device_path "$1")"; }

# `find_mp_fsopts MOUNTPOINT`, `find_dev_fsopts DEV`: the mount options.
find_mp_fsopts() { __kindling_findmnt_field OPTIONS --target "$1"; }
find_dev_fsopts() { __kindling_findmnt_field OPTIONS --source "$(__kindling_device_path "$1")"; }

# `fs_get_option OPTIONS NAME`: the value of NAME=value in a comma-separated mount option list.
fs_get_option() {
    builtin local __option
    builtin local -a __options
    IFS=, builtin read -ra __options <<<"$1"
    for __option in "${__options[@]}"; do
        if [[ $__option == "$2="* ]]; then
            builtin printf '%s\n' "${__option#"$2="}"
            builtin return 0
        fi
    done
    builtin return 1
}

# `find_block_device MOUNTPOINT`: MAJ:MIN of the block device mounted there (a network source,
# host:path, as it is).
# shellcheck disable=SC2046 # no table option is no argument
find_block_device() {
    builtin local __table __majmin __source
    builtin local -a __tables
    __tables=()
    [[ ${use_fstab-} == yes ]] || __tables+=(mounted)
    [[ -f ${dracutsysrootdir-}/etc/fstab ]] && __tables+=(fstab)
    for __table in "${__tables[@]}"; do
        while builtin read -r __majmin __source; do
            # The fstab has no MAJ:MIN column value: the one word read is the source.
            [[ -z $__source ]] && { __source=$__majmin; __majmin=''; }
            if [[ -b $__source ]]; then
                [[ -z $__majmin || $__majmin == 0:* ]] && __majmin=$(get_maj_min "$__source")
                builtin printf '%s\n' "${__majmin:-$__source}"
                builtin return 0
            fi
            if [[ $__source == *:* ]]; then
                builtin printf '%s\n' "$__source"
                builtin return 0
            fi
        done <<<"$(builtin command findmnt -e -v -n $(__kindling_findmnt_table "$__table") -o MAJ:MIN,SOURCE --target "$1" 2>/dev/null)"
    done
    builtin return 1
}

find_root_block_device() { find_block_device /; }

# `get_persistent_dev DEV`: a stable name for DEV (persistent_policy's directory first, then
# /dev/mapper, by-uuid, by-label, by-partuuid, by-partlabel, by-id, by-path), or DEV itself, also
# when it is no device (mkdumprd passes a virtiofs tag and takes an empty answer as a failure).
get_persistent_dev() {
    builtin local __want __candidate __directory
    if ! __want=$(get_maj_min "$1"); then
        builtin printf '%s' "$1"
        builtin return 0
    fi
    builtin local -a __directories
    __directories=(/dev/mapper /dev/disk/by-uuid /dev/disk/by-label /dev/disk/by-partuuid
        /dev/disk/by-partlabel /dev/disk/by-id /dev/disk/by-path)
    [[ -n ${persistent_policy-} ]] && __directories=("/dev/disk/$persistent_policy" "${__directories[@]}")
    for __directory in "${__directories[@]}"; do
        for __candidate in "$__directory"/*; do
            [[ -e $__candidate ]] || builtin continue
            [[ $__candidate == /dev/mapper/control || $__candidate == /dev/mapper/mpath* ]] && builtin continue
            if [[ $(get_maj_min "$__candidate") == "$__want" ]]; then
                builtin printf '%s' "$__candidate"
                builtin return 0
            fi
        done
    done
    builtin printf '%s' "$1"
}

# `expand_persistent_dev SPEC`: UUID=, LABEL=, PARTUUID=, PARTLABEL= as their /dev/disk links.
expand_persistent_dev() {
    builtin local __spec="$1"
    case $__spec in
        LABEL=*) builtin printf '/dev/disk/by-label/%s' "${__spec#LABEL=}" ;;
        UUID=*) __spec=${__spec#UUID=}; builtin printf '/dev/disk/by-uuid/%s' "${__spec,,}" ;;
        PARTUUID=*) __spec=${__spec#PARTUUID=}; builtin printf '/dev/disk/by-partuuid/%s' "${__spec,,}" ;;
        PARTLABEL=*) builtin printf '/dev/disk/by-partlabel/%s' "${__spec#PARTLABEL=}" ;;
        *) builtin printf '%s' "$__spec" ;;
    esac
}

# `shorten_persistent_dev DEV`: /dev/disk/by-uuid/X as UUID=X, and the same for labels and
# partition ids; any other name unchanged.
shorten_persistent_dev() {
    case $1 in
        /dev/disk/by-uuid/*) builtin printf 'UUID=%s\n' "${1#/dev/disk/by-uuid/}" ;;
        /dev/disk/by-label/*) builtin printf 'LABEL=%s\n' "${1#/dev/disk/by-label/}" ;;
        /dev/disk/by-partuuid/*) builtin printf 'PARTUUID=%s\n' "${1#/dev/disk/by-partuuid/}" ;;
        /dev/disk/by-partlabel/*) builtin printf 'PARTLABEL=%s\n' "${1#/dev/disk/by-partlabel/}" ;;
        *) builtin printf '%s\n' "$1" ;;
    esac
}

# `get_fs_env DEV`: the filesystem type blkid reads from the device.
get_fs_env() {
    builtin local __line
    [[ -n ${1-} ]] || builtin return 1
    while IFS= builtin read -r __line; do
        if [[ $__line == TYPE=* ]]; then
            builtin printf '%s' "${__line#TYPE=}"
            builtin return 0
        fi
    done <<<"$(builtin command blkid -u filesystem -o export -- "$1" 2>/dev/null)"
    builtin return 1
}
