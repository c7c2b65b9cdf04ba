# The dracut helpers module code calls, as Kindling defines them: its counterpart of dracut's
# dracut-functions.sh, and part of the shim (kindling-shim.bash, the bridge, holds the protocol
# and the rules every shim file keeps: builtins through `builtin`, commands through
# `builtin command`, clean under `set -u`).
#
# It brings the rest of the helpers from its own directory: kindling-logger.bash (dinfo, dwarn,
# ...), kindling-block-devices.bash (a device's place in the block device tree, its drivers) and
# kindling-filesystems.bash (what is mounted where, a device's filesystem and names). So it can be
# sourced on its own; without the bridge, though, the engine's helpers (inst, instmods, ...) are
# not defined, and what needs them fails.

# shellcheck source-path=SCRIPTDIR
if [[ ${BASH_SOURCE[0]} == */* ]]; then __kindling_here=${BASH_SOURCE[0]%/*}; else __kindling_here=.; fi
# shellcheck source=kindling-logger.bash
. "$__kindling_here/kindling-logger.bash" || return 66
# shellcheck source=kindling-block-devices.bash
. "$__kindling_here/kindling-block-devices.bash" || return 66
# shellcheck source=kindling-filesystems.bash
. "$__kindling_here/kindling-filesystems.bash" || return 66
unset __kindling_here

# --- helpers answered by the engine ----------------------------------------------------------

# A forwarder for each helper the engine named at startup (see kindling-shim.bash): those it
# answers, and those Kindling does not implement yet, which fail the build naming themselves
# rather than let a module go on with a made-up answer.
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

# --- dracut's module checks, which dracut-ng's modules call from their depends() -------------
# The engine fills __kindling_module_dirs (name -> directory) before the first check. Each check
# runs in a subshell, so the calling module's own functions and variables stay as they were.

declare -gA __kindling_module_dirs=()

# `dracut_module_path MODULE`: the module's directory.
dracut_module_path() {
    [[ -n ${__kindling_module_dirs[$1]-} ]] || builtin return 1
    builtin printf '%s\n' "${__kindling_module_dirs[$1]}"
}

# `module_check MODULE [FORCED]`: the status of MODULE's check(), with hostonly unset when FORCED
# is not 0, as dracut runs it; 1 for a module that is not there.
module_check() {
    builtin local __dir=${__kindling_module_dirs[$1]-} __forced=${2-0}
    [[ -n $__dir && -f $__dir/module-setup.sh ]] || builtin return 1
    (
        builtin unset -f check depends cmdline install installkernel
        check() { builtin true; }
        # shellcheck disable=SC1091
        builtin . "$__dir/module-setup.sh"
        [[ $__forced != 0 ]] && builtin unset hostonly
        # shellcheck disable=SC2086 # an empty hostonly gives no argument
        moddir=$__dir check ${hostonly-}
    )
}

# `module_depends MODULE`: what MODULE's depends() prints.
module_depends() {
    builtin local __dir=${__kindling_module_dirs[$1]-}
    [[ -n $__dir && -f $__dir/module-setup.sh ]] || builtin return 1
    (
        builtin unset -f check depends cmdline install installkernel
        depends() { builtin true; }
        # shellcheck disable=SC1091
        builtin . "$__dir/module-setup.sh"
        moddir=$__dir depends
    )
}

# `check_module MODULE [AS-DEPENDENCY]`: whether MODULE could be included, as dracut's selection
# decides: scheduled already, or its check passes (255 only when asked for, or not as a
# dependency with dracutmodules=all) and every module it depends on could be included too.
check_module() {
    builtin local __mod=$1 __status __dependency
    [[ " ${mods_to_load-} " == *" $__mod "* ]] && builtin return 0
    [[ -n ${__kindling_module_dirs[$__mod]-} ]] || builtin return 1
    if [[ " ${omit_dracutmodules-} " == *" $__mod "* && " ${force_add_dracutmodules-} " != *" $__mod "* ]]; then
        ddebug "Module '$__mod' will not be installed, because it's in the list to be omitted!"
        builtin return 1
    fi
    if [[ " ${dracutmodules-} ${add_dracutmodules-} ${force_add_dracutmodules-}" == *" $__mod "* ]]; then
        if [[ " ${dracutmodules-} ${force_add_dracutmodules-} " == *" $__mod "* ]]; then
            module_check "$__mod" 1
        else
            module_check "$__mod" 0
        fi
        __status=$?
        [[ $__status == 0 || $__status == 255 ]] || builtin return 1
    elif [[ ${dracutmodules-} == all ]]; then
        module_check "$__mod" 0
        __status=$?
        if [[ $__status != 0 ]]; then
            [[ -n ${2-} ]] && builtin return 1
            [[ $__status != 255 ]] && builtin return 1
        fi
    else
        builtin return 1
    fi
    for __dependency in $(module_depends "$__mod"); do
        if ! check_module "$__dependency"; then
            derror "Module '$__mod' depends on module '$__dependency', which can't be installed"
            builtin return 1
        fi
    done
    builtin return 0
}

# shellcheck disable=SC2154 # initdir is the build's, declared by the engine
dracut_need_initqueue() {
    builtin : >"$initdir/lib/dracut/need-initqueue"
}

dracut_no_switch_root() {
    builtin : >"$initdir/lib/dracut/no-switch-root"
}

# `module_install MODULE [DIR]`: MODULE's install() run from within another module's code, as
# dracut does (dracut-ng's squash-lib runs its handler's so): its module-setup.sh sourced over the
# caller's functions, which are all unset afterwards.
module_install() {
    builtin local __dir=${2-} __status=0
    [[ -n $__dir ]] || __dir=${__kindling_module_dirs[$1]-}
    [[ -n $__dir && -f $__dir/module-setup.sh ]] || builtin return 1
    __kindling_unset_module_functions
    install() { builtin true; }
    # shellcheck disable=SC1091
    builtin . "$__dir/module-setup.sh"
    moddir=$__dir install || __status=$?
    __kindling_unset_module_functions
    builtin return "$__status"
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

# `__kindling_program_output NAME PROGRAM ARG...`: NAME=$(PROGRAM ARG... 2>/dev/null), through the
# engine's stand-in where the bridge can send it one (kindling-shim.bash), without the process of
# the command substitution; sourced on its own (dracut-functions.sh), the program itself.
__kindling_program_output() {
    builtin local __name=$1 __status=0 __output
    builtin shift
    if builtin declare -F __kindling_run_in_engine >/dev/null && __kindling_may_stand_in "$1" &&
        __kindling_run_in_engine "$@"; then
        # As $(...) gives it: without its final newlines.
        while [[ $__output == *$'\n' ]]; do __output=${__output%$'\n'}; done
    else
        __status=0
        __output=$(builtin command "$@" 2>/dev/null) || __status=$?
    fi
    builtin printf -v "$__name" '%s' "$__output"
    builtin return "$__status"
}

# Whether the build runs in a QEMU, KVM or Bochs guest, for modules that add virtual drivers.
# dracut 059 never reads systemd-detect-virt's answer (only whether it succeeds), so in effect the
# DMI vendor decides; Kindling decides the same way, so that images match dracut's.
is_qemu_virtualized() {
    builtin local __file __vendor __vm
    if builtin type -P systemd-detect-virt >/dev/null 2>&1; then
        __kindling_program_output __vm systemd-detect-virt --vm || builtin return 255
        # dracut 059 threw the answer away (a redirection inside its $(...)); dracut-ng reads it.
        if [[ -n ${__kindling_dracut_ng-} ]]; then
            [[ $__vm == qemu || $__vm == kvm || $__vm == bochs ]] && builtin return 0
        fi
    fi
    for __file in /sys/class/dmi/id/*_vendor; do
        [[ -f $__file ]] || builtin continue
        builtin read -r __vendor <"$__file"
        [[ $__vendor == QEMU || $__vendor == "Red Hat" || $__vendor == Bochs ]] && builtin return 0
    done
    builtin return 1
}

# --- helpers composed from the engine's: their globs and regexes are bash's own -----------------

# inst_fsck_help FSTYPE FILE: the help text dracut's fsck hook shows when FSTYPE's check fails.
# dracut-ng keeps the name and does nothing.
inst_fsck_help() {
    [[ -n ${__kindling_dracut_ng-} ]] && builtin return 0
    inst_simple "$2" "/run/dracut/fsck/fsck_help_$1.txt"
}

# inst_sysusers NAME (dracut-ng): the sysusers.d file NAME and its acct-*-NAME companions; hostonly,
# the host's own from $sysusersconfdir as well.
inst_sysusers() {
    inst_multiple -o "${sysusers-}/$*" "${sysusers-}/acct-*-$*"
    if [[ -n ${hostonly-} ]]; then
        inst_multiple -H -o "${sysusersconfdir-}/$*" "${sysusers-}/acct-*-$*"
    fi
}

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
            if [[ -n ${__kindling_dracut_ng-} ]]; then
                ddebug "Module '${__module#[0-9][0-9]}' will not be installed, because command '$__command' could not be found!"
            else
                dinfo "dracut module '${__module#[0-9][0-9]}' will not be installed, because command '$__command' could not be found!"
            fi
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
