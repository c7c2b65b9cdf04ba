# Kindling's shell shim: the one long-lived bash that runs every module function of a build.
#
# The engine starts `bash --noprofile --norc kindling-shim.bash` with two extra descriptors:
#   KINDLING_TO_ENGINE   messages from this shell to the engine
#   KINDLING_FROM_ENGINE commands and replies from the engine
# and names in KINDLING_ENGINE_HELPERS the helpers whose calls come to it (its table, DracutHelper
# in Sources/ShellBridge): the shim defines a forwarder for each.
# Every message is a list of NUL-terminated fields: KIND, a field count, then the fields.
# NUL cannot occur in a bash word, so arguments with spaces, quotes, newlines or globs pass intact.
#
# Messages to the engine:
#   REQ  helper hostonly arg...   a dracut helper call; the engine answers: status, then output
#   LOG  level line               a log line (dracut's levels, 1 fatal .. 6 trace)
#   DONE status output            the end of an engine command
# Commands from the engine:
#   eval CODE                     run CODE at global scope (the engine's variables)
#   call MODULE DIR FUNCTION MODE run one module function as dracut does (see __kindling_call)
#
# The shim is written to be clean under `set -u`; module code runs with bash's defaults, as in dracut.
#
# Module code may define functions with any name, printf, read, local, return, exit, unset, cat,
# command...: the shim runs every builtin it uses after module code has run through `builtin`, and
# every external command through `builtin command`, so that no such function can take over the
# protocol. Keywords ([[, case, while) cannot be redefined. (The one name this cannot defend is
# `builtin` itself.)

__kindling_out=${KINDLING_TO_ENGINE:?the engine must set KINDLING_TO_ENGINE}
__kindling_in=${KINDLING_FROM_ENGINE:?the engine must set KINDLING_FROM_ENGINE}
__kindling_engine_helpers=${KINDLING_ENGINE_HELPERS:?the engine must set KINDLING_ENGINE_HELPERS}
unset KINDLING_TO_ENGINE KINDLING_FROM_ENGINE KINDLING_ENGINE_HELPERS
# The log pipe, kept apart from stdout, which module code may redirect.
exec {__kindling_log}>&1

# Marks the end of a call's output in the log pipe, so the engine can tell which module wrote
# what came before it.
__kindling_end_of_output() {
    builtin printf '\001kindling-end-of-output\n' >&"$__kindling_log"
}

__kindling_send() {
    builtin printf '%s\0' "$1" "$(($# - 1))" "${@:2}" >&"$__kindling_out"
}

__kindling_receive() {
    IFS= builtin read -r -d '' -u "$__kindling_in" "$1"
}

# Sends one helper call and prints the engine's output; returns the engine's status.
__kindling_request() {
    builtin local __status __output
    __kindling_send REQ "$1" "${hostonly-}" "${@:2}"
    __kindling_receive __status || builtin exit 70
    __kindling_receive __output || builtin exit 70
    [[ -z $__output ]] || builtin printf '%s' "$__output"
    # 256 cannot be a return status: the engine uses it for "this call ends the build".
    ((__status == 256)) && builtin exit 1
    builtin return "$__status"
}

# --- the module lifecycle ---------------------------------------------------------------------

__kindling_unset_module_functions() {
    builtin unset -f check depends cmdline install installkernel
}

# Runs FUNCTION of the module in DIR the way dracut does: fresh default stubs, the module
# sourced into this shell, `moddir` set for the call only, the functions unset afterwards.
# MODE: check-generic (hostonly unset), check-host, check-mount (stub false, mount_needs=1),
#       capture (stdout returned to the engine: depends, cmdline), or run.
__kindling_call() {
    builtin local __module="$1" __dir="$2" __function="$3" __mode="$4" __status=0 __captured=''
    builtin local __saved_hostonly="${hostonly-}"
    __kindling_current_module=$__module
    __kindling_unset_module_functions
    case $__mode in
        check-mount) check() { builtin false; } ;;
        *) builtin eval "$__function() { builtin true; }" ;;
    esac
    if [[ -f $__dir/module-setup.sh ]]; then
        __kindling_check_syntax "$__dir/module-setup.sh" || builtin exit 1
        # shellcheck disable=SC1091
        builtin . "$__dir/module-setup.sh"
    fi
    case $__mode in
        check-generic)
            builtin unset hostonly
            moddir=$__dir check || __status=$?
            hostonly=$__saved_hostonly
            ;;
        check-host)
            # shellcheck disable=SC2086 # an empty hostonly must give no argument
            moddir=$__dir check ${hostonly-} || __status=$?
            ;;
        check-mount)
            # shellcheck disable=SC2034 # read by module code
            builtin export mount_needs=1
            moddir=$__dir check 0 || __status=$?
            builtin unset mount_needs
            ;;
        capture)
            __captured=$(moddir=$__dir "$__function") || __status=$?
            ;;
        *)
            moddir=$__dir "$__function" || __status=$?
            ;;
    esac
    __kindling_unset_module_functions
    __kindling_current_module=''
    __kindling_end_of_output
    __kindling_send DONE "$__status" "$__captured"
}

# Sourcing a file with a syntax error runs what precedes the error and goes on, so a broken
# module-setup.sh would silently lose its functions: check each file once with `bash -n` and
# end the build with bash's message (the file and line) instead.
declare -A __kindling_syntax_checked=()
__kindling_check_syntax() {
    builtin local __file="$1" __error
    [[ -n ${__kindling_syntax_checked[$__file]-} ]] && builtin return 0
    if ! __error=$("$BASH" -O extglob -n "$__file" 2>&1); then
        dfatal "${__error%%$'\n'*}"
        builtin return 1
    fi
    __kindling_syntax_checked[$__file]=1
}

__kindling_serve() {
    builtin local __command __a __b __c __d
    while __kindling_receive __command; do
        case $__command in
            eval)
                __kindling_receive __a || builtin break
                builtin eval "$__a"
                __a=$?
                __kindling_end_of_output
                __kindling_send DONE "$__a" ''
                ;;
            call)
                if ! { __kindling_receive __a && __kindling_receive __b &&
                    __kindling_receive __c && __kindling_receive __d; }; then
                    builtin break
                fi
                __kindling_call "$__a" "$__b" "$__c" "$__d"
                ;;
            *)
                __kindling_send DONE 64 "unknown shim command: $__command"
                ;;
        esac
    done
}

# --- logging: dracut's functions, which always return 0 and never exit -------------------------

__kindling_log() {
    builtin local __level="$1" __line
    builtin shift
    if (($# > 0)); then
        __kindling_send LOG "$__level" "$*"
    else
        while IFS= builtin read -r __line || [[ -n $__line ]]; do
            __kindling_send LOG "$__level" "$__line"
        done
    fi
    builtin return 0
}
dtrace() { __kindling_log 6 "$@"; }
ddebug() { __kindling_log 5 "$@"; }
dinfo() { __kindling_log 4 "$@"; }
dwarn() { __kindling_log 3 "$@"; }
dwarning() { __kindling_log 3 "$@"; }
derror() { __kindling_log 2 "$@"; }
dfatal() { __kindling_log 1 "$@"; }

# --- helpers answered by the engine ----------------------------------------------------------

# A forwarder for each helper the engine named at startup: those it answers, and those Kindling
# does not implement yet, which fail the build naming themselves rather than let a module go on
# with a made-up answer.
for __kindling_helper in ${__kindling_engine_helpers-}; do
    eval "$__kindling_helper() { __kindling_request $__kindling_helper \"\$@\"; }"
done
unset __kindling_helper __kindling_engine_helpers

# `instmods [-c] [-s]` with no module names reads them from stdin, as in `... | instmods`.
instmods() {
    builtin local -a __names
    __names=()
    builtin local __flags=0
    [[ ${1-} == -c ]] && __flags=1
    [[ ${*:__flags+1:1} == -s ]] && __flags=$((__flags + 1))
    if (($# == __flags)); then
        IFS=$' \t\n' builtin read -r -d '' -a __names || builtin true
    fi
    __kindling_request instmods "$@" "${__names[@]}"
}

# Without -m, the calling module's name goes with the request for the message dracut prints.
require_kernel_modules() {
    if [[ ${1-} == -m ]]; then
        __kindling_request require_kernel_modules "$@"
    else
        builtin local __module="${moddir-}"
        __kindling_request require_kernel_modules -m "${__module##*/}" "$@"
    fi
}

# --- helpers that are pure shell: they only look at their arguments and the build's variables --

dracut_module_included() {
    [[ " ${mods_to_load-} ${modules_loaded-} " == *" $1 "* ]]
}

# shellcheck disable=SC2154 # initdir is the build's, declared by the engine
dracut_need_initqueue() {
    builtin : >"$initdir/lib/dracut/need-initqueue"
}

dracut_no_switch_root() {
    builtin : >"$initdir/lib/dracut/no-switch-root"
}

# `ln_r SOURCE LINK`: LINK points at SOURCE by a relative path, computed as `ln -r` does, through
# the image's own symlinks (bin -> usr/bin), so the link resolves inside the image.
ln_r() {
    builtin command ln -sfnr -- "$initdir/$1" "$initdir/$2"
}

# Prints the path of TARGET relative to the directory that holds FROM (both absolute).
convert_abs_rel() {
    builtin local __from="$1" __target="$2" __common __up='' __rest
    [[ $__from == "$__target" ]] && { builtin printf '%s\n' "${__target##*/}"; builtin return 0; }
    __from=${__from%/*}/
    __common=$__from
    while [[ $__target/ != "$__common"* ]]; do
        __common=${__common%/*/}/
        __up+='../'
    done
    __rest=${__target#"$__common"}
    __rest=${__rest#/}
    builtin printf '%s\n' "$__up$__rest"
}

strstr() { [[ $1 == *"$2"* ]]; }
# shellcheck disable=SC2053 # the pattern is a glob on purpose
strglob() { [[ $1 == $2 ]]; }
strglobin() { [[ $1 == *$2* ]]; }
str_starts() { [[ $1 == "$2"* ]]; }
str_ends() { [[ $1 == *"$2" ]]; }
is_func() { [[ "$(builtin type -t "$1")" == "function" ]]; }

trim() {
    builtin local __value="$*"
    __value=${__value#"${__value%%[![:space:]]*}"}
    __value=${__value%"${__value##*[![:space:]]}"}
    builtin printf '%s' "$__value"
}

mksubdirs() {
    builtin local __path
    for __path in "$@"; do
        builtin command mkdir -m 0755 -p -- "${__path%/*}"
    done
}

# `vercmp V1 OP V2`: compares dotted numeric versions; OP is lt, le, eq, ne, ge or gt.
vercmp() {
    builtin local -a __left __right
    builtin local __i __order=0
    IFS=. builtin read -ra __left <<<"$1"
    IFS=. builtin read -ra __right <<<"$3"
    for ((__i = 0; __i < ${#__left[@]} || __i < ${#__right[@]}; __i++)); do
        if ((10#${__left[__i]:-0} != 10#${__right[__i]:-0})); then
            ((10#${__left[__i]:-0} < 10#${__right[__i]:-0})) && __order=-1 || __order=1
            builtin break
        fi
    done
    case $2 in
        lt) ((__order < 0)) ;;
        le) ((__order <= 0)) ;;
        eq) ((__order == 0)) ;;
        ne) ((__order != 0)) ;;
        ge) ((__order >= 0)) ;;
        gt) ((__order > 0)) ;;
        *) derror "vercmp: unknown comparison '$2'"; builtin return 2 ;;
    esac
}

# `print_vars NAME...`: NAME="value" for each variable that is set and not empty.
print_vars() {
    builtin local __name
    for __name in "$@"; do
        [[ -n ${!__name-} ]] && builtin printf '%s="%s"\n' "$__name" "${!__name}"
    done
    builtin return 0
}

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

# `shorten_persistent_dev DEV`: /dev/disk/by-uuid/X as UUID=X, and the same for labels and
# partition ids; any other name unchanged.
shorten_persistent_dev() {
    case $1 in
        /dev/disk/by-uuid/*) printf 'UUID=%s\n' "${1#/dev/disk/by-uuid/}" ;;
        /dev/disk/by-label/*) printf 'LABEL=%s\n' "${1#/dev/disk/by-label/}" ;;
        /dev/disk/by-partuuid/*) printf 'PARTUUID=%s\n' "${1#/dev/disk/by-partuuid/}" ;;
        /dev/disk/by-partlabel/*) printf 'PARTLABEL=%s\n' "${1#/dev/disk/by-partlabel/}" ;;
        *) printf '%s\n' "$1" ;;
    esac
}

# Whether the build runs in a QEMU, KVM or Bochs guest, for modules that add virtual drivers.
# dracut 059 never reads systemd-detect-virt's answer (only whether it succeeds), so in effect the
# DMI vendor decides; Kindling decides the same way, so that images match dracut's.
is_qemu_virtualized() {
    builtin local __file __vendor
    if builtin type -P systemd-detect-virt >/dev/null 2>&1; then
        builtin command systemd-detect-virt --vm >/dev/null 2>&1 || builtin return 255
    fi
    for __file in /sys/class/dmi/id/*_vendor; do
        [[ -f $__file ]] || builtin continue
        builtin read -r __vendor <"$__file"
        [[ $__vendor == QEMU || $__vendor == "Red Hat" || $__vendor == Bochs ]] && builtin return 0
    done
    builtin return 1
}

# --- host devices: host_devs and host_fs_types, filled from --mount and --add-device ------------

# Where sysfs is; the tests point it at a tree of their own.
__kindling_sys=/sys

# `get_maj_min DEV`: the block device's MAJOR:MINOR, following symlinks.
get_maj_min() {
    builtin local __numbers __major __minor
    __numbers=$(builtin command stat -L -c '%t %T' -- "$1" 2>/dev/null) || builtin return 1
    builtin read -r __major __minor <<<"$__numbers"
    builtin printf '%d:%d\n' "0x$__major" "0x$__minor"
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
    [[ -e $__node ]] || builtin return 1
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

__kindling_each_host_dev() {
    builtin local __mode="$1" __func="$2" __dev __majmin __found=1
    ((${#host_devs[@]} > 0)) || builtin return 2
    for __dev in "${host_devs[@]}"; do
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
for_each_host_dev_fs() {
    builtin local __func="$1" __dev __found=1
    for __dev in "${!host_fs_types[@]}"; do
        "$__func" "$__dev" "${host_fs_types[$__dev]}" && __found=0
    done
    builtin return "$__found"
}

# Command output is read from here-strings, never from process substitution: <(...) opens
# /dev/fd/N, which a chroot or container without /proc does not have (the loop would read nothing).

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
# /dev/mapper, by-uuid, by-label, by-partuuid, by-partlabel, by-id, by-path), or DEV itself.
get_persistent_dev() {
    builtin local __want __candidate __directory
    __want=$(get_maj_min "$1") || builtin return 0
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
        *) printf '%s' "$__spec" ;;
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
    if [[ -z $__drivers && $(builtin command udevadm info -q path "$1" 2>/dev/null) == /devices/virtual* ]]; then
        __kernel=$(builtin command sed -n 's/^[[:space:]]*KERNELS=="\([^"[:space:]]*\)"$/\1/p' <<<"$__walk" | builtin command tail -n 1)
        __subsystem=$(builtin command sed -n 's/^[[:space:]]*SUBSYSTEMS=="\([^"[:space:]]*\)"$/\1/p' <<<"$__walk" | builtin command tail -n 1)
        __virtual=$__kindling_sys/devices/virtual/$__subsystem/$__kernel
        if [[ -n $__kernel && -n $__subsystem && -d $__virtual ]]; then
            while IFS= builtin read -r __link; do
                [[ -n $__link ]] || builtin continue
                [[ -n $__drivers ]] && __drivers+=$'\n'
                __drivers+=$(builtin command udevadm info -a "$__virtual/$__link" 2>/dev/null \
                    | builtin command sed -n 's/^[[:space:]]*DRIVERS=="\([^"[:space:]]*\)"$/\1/p' | builtin command grep -v -e pcieport)
            done <<<"$(builtin command find "$__virtual" -maxdepth 1 -type l ! -name subsystem -exec readlink {} \;)"
        fi
    fi
    builtin printf '%s\n' "$__drivers"
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

# inst_fsck_help FSTYPE FILE: the help text dracut's fsck hook shows when FSTYPE's check fails.
inst_fsck_help() {
    inst_simple "$2" "/run/dracut/fsck/fsck_help_$1.txt"
}

# --- the host's own devices, for hostonly builds (run once by the engine before module checks) --

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
    for __mp in / /etc /bin /sbin /lib /lib64 /usr /usr/bin /usr/sbin /usr/lib /usr/lib64 /boot /boot/efi /boot/zipl; do
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
    for __dev in "${host_devs[@]}"; do
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

# --- helpers composed from the engine's: their globs and regexes are bash's own -----------------

require_binaries() {
    builtin local __module="${moddir-}"
    builtin local __missing=0 __command
    __module=${__module##*/}
    if [[ ${1-} == -m ]]; then
        __module=$2
        builtin shift 2
    fi
    for __command in "$@"; do
        if ! find_binary "$__command" >/dev/null; then
            dinfo "module '${__module#[0-9][0-9]}' will not be installed, because command '$__command' could not be found!"
            ((__missing++))
        fi
    done
    builtin return "$__missing"
}

require_any_binary() {
    builtin local __module="${moddir-}"
    builtin local __command
    __module=${__module##*/}
    if [[ ${1-} == -m ]]; then
        __module=$2
        builtin shift 2
    fi
    for __command in "$@"; do
        find_binary "$__command" >/dev/null && builtin return 0
    done
    dinfo "$__module: Could not find any command of '$*'!"
    builtin return 1
}

# `inst_any [-d DEST] FILE...`: installs the first FILE that exists.
inst_any() {
    builtin local __to='' __file
    if [[ ${1-} == -d ]]; then
        __to=$2
        builtin shift 2
    fi
    for __file in "$@"; do
        [[ -e ${dracutsysrootdir-}$__file ]] || builtin continue
        if [[ -n $__to ]]; then
            inst "$__file" "$__to" && builtin return 0
        else
            inst "$__file" && builtin return 0
        fi
    done
    builtin return 1
}

# `inst_libdir_file [-n REGEX] GLOB...`: each GLOB under every $libdirs directory.
inst_libdir_file() {
    builtin local __pattern='' __dir __glob __file
    builtin local -a __files
    __files=()
    if [[ ${1-} == -n ]]; then
        __pattern=$2
        builtin shift 2
    fi
    for __dir in ${libdirs-}; do
        for __glob in "$@"; do
            for __file in "${dracutsysrootdir-}$__dir"/$__glob; do
                [[ -e $__file ]] || builtin continue
                __file=${__file#"${dracutsysrootdir-}"}
                [[ -z $__pattern || $__file =~ $__pattern ]] && __files+=("$__file")
            done
        done
    done
    ((${#__files[@]} == 0)) || inst_multiple "${__files[@]}"
}

inst_libdir_dir() {
    builtin local __dir __glob __found
    for __dir in ${libdirs-}; do
        for __glob in "$@"; do
            for __found in "${dracutsysrootdir-}$__dir"/$__glob; do
                [[ -d $__found ]] && inst_dir "${__found#"${dracutsysrootdir-}"}"
            done
        done
    done
    builtin return 0
}

mark_hostonly() {
    builtin local __file
    for __file in "$@"; do
        builtin printf '%s\n' "$__file" >>"$initdir/lib/dracut/hostonly-files"
    done
}

# `optional_hostonly`: the hostonly flag only in strict mode, as `hostonly=$(optional_hostonly)`.
optional_hostonly() {
    if [[ ${hostonly_mode-} == strict ]]; then
        builtin printf '%s' "${hostonly-}"
    fi
}

__kindling_serve
