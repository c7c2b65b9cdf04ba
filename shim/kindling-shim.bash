# Kindling's shell shim: the one long-lived bash that runs every module function of a build.
#
# The engine starts `bash --noprofile --norc kindling-shim.bash` with two extra descriptors:
#   KINDLING_TO_ENGINE   messages from this shell to the engine
#   KINDLING_FROM_ENGINE commands and replies from the engine
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

__kindling_out=${KINDLING_TO_ENGINE:?the engine must set KINDLING_TO_ENGINE}
__kindling_in=${KINDLING_FROM_ENGINE:?the engine must set KINDLING_FROM_ENGINE}
unset KINDLING_TO_ENGINE KINDLING_FROM_ENGINE
# The log pipe, kept apart from stdout, which module code may redirect.
exec {__kindling_log}>&1

# Marks the end of a call's output in the log pipe, so the engine can tell which module wrote
# what came before it.
__kindling_end_of_output() {
    printf '\001kindling-end-of-output\n' >&"$__kindling_log"
}

__kindling_send() {
    printf '%s\0' "$1" "$(($# - 1))" "${@:2}" >&"$__kindling_out"
}

__kindling_receive() {
    IFS= read -r -d '' -u "$__kindling_in" "$1"
}

# Sends one helper call and prints the engine's output; returns the engine's status.
__kindling_request() {
    local __status __output
    __kindling_send REQ "$1" "${hostonly-}" "${@:2}"
    __kindling_receive __status || exit 70
    __kindling_receive __output || exit 70
    [[ -z $__output ]] || printf '%s' "$__output"
    # 256 cannot be a return status: the engine uses it for "this call ends the build".
    ((__status == 256)) && exit 1
    return "$__status"
}

# --- the module lifecycle ---------------------------------------------------------------------

__kindling_unset_module_functions() {
    unset -f check depends cmdline install installkernel
}

# Runs FUNCTION of the module in DIR the way dracut does: fresh default stubs, the module
# sourced into this shell, `moddir` set for the call only, the functions unset afterwards.
# MODE: check-generic (hostonly unset), check-host, check-mount (stub false, mount_needs=1),
#       capture (stdout returned to the engine: depends, cmdline), or run.
__kindling_call() {
    local __module=$1 __dir=$2 __function=$3 __mode=$4 __status=0 __captured=''
    local __saved_hostonly=${hostonly-}
    __kindling_current_module=$__module
    __kindling_unset_module_functions
    case $__mode in
        check-mount) check() { false; } ;;
        *) eval "$__function() { true; }" ;;
    esac
    if [[ -f $__dir/module-setup.sh ]]; then
        __kindling_check_syntax "$__dir/module-setup.sh" || exit 1
        # shellcheck disable=SC1091
        . "$__dir/module-setup.sh"
    fi
    case $__mode in
        check-generic)
            unset hostonly
            moddir=$__dir check || __status=$?
            hostonly=$__saved_hostonly
            ;;
        check-host)
            # shellcheck disable=SC2086 # an empty hostonly must give no argument
            moddir=$__dir check ${hostonly-} || __status=$?
            ;;
        check-mount)
            export mount_needs=1
            moddir=$__dir check 0 || __status=$?
            unset mount_needs
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
    local __file=$1 __error
    [[ -n ${__kindling_syntax_checked[$__file]-} ]] && return 0
    if ! __error=$("$BASH" -O extglob -n "$__file" 2>&1); then
        dfatal "${__error%%$'\n'*}"
        return 1
    fi
    __kindling_syntax_checked[$__file]=1
}

__kindling_serve() {
    local __command __a __b __c __d
    while __kindling_receive __command; do
        case $__command in
            eval)
                __kindling_receive __a || break
                eval "$__a"
                __a=$?
                __kindling_end_of_output
                __kindling_send DONE "$__a" ''
                ;;
            call)
                __kindling_receive __a && __kindling_receive __b &&
                    __kindling_receive __c && __kindling_receive __d || break
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
    local __level=$1 __line
    shift
    if (($# > 0)); then
        __kindling_send LOG "$__level" "$*"
    else
        while IFS= read -r __line || [[ -n $__line ]]; do
            __kindling_send LOG "$__level" "$__line"
        done
    fi
    return 0
}
dtrace() { __kindling_log 6 "$@"; }
ddebug() { __kindling_log 5 "$@"; }
dinfo() { __kindling_log 4 "$@"; }
dwarn() { __kindling_log 3 "$@"; }
dwarning() { __kindling_log 3 "$@"; }
derror() { __kindling_log 2 "$@"; }
dfatal() { __kindling_log 1 "$@"; }

# --- helpers answered by the engine ----------------------------------------------------------

for __kindling_helper in \
    inst inst_simple inst_multiple dracut_install inst_binary inst_script inst_library \
    inst_symlink inst_dir inst_hook inst_rules \
    inst_rules_wildcard inst_rule_programs inst_rule_group_owner inst_rule_initqueue \
    prepare_udev_rules inst_decompress inst_opt_decompress find_binary \
    instmods dracut_instmods require_kernel_modules check_kernel_module \
    check_kernel_config dracut_kernel_post; do
    eval "$__kindling_helper() { __kindling_request $__kindling_helper \"\$@\"; }"
done
unset __kindling_helper

# `instmods [-c] [-s]` with no module names reads them from stdin, as in `... | instmods`.
instmods() {
    local -a __names=()
    local __flags=0
    [[ ${1-} == -c ]] && __flags=1
    [[ ${*:__flags+1:1} == -s ]] && __flags=$((__flags + 1))
    if (($# == __flags)); then
        IFS=$' \t\n' read -r -d '' -a __names || true
    fi
    __kindling_request instmods "$@" "${__names[@]}"
}

# Without -m, the calling module's name goes with the request for the message dracut prints.
require_kernel_modules() {
    if [[ ${1-} == -m ]]; then
        __kindling_request require_kernel_modules "$@"
    else
        local __module=${moddir-}
        __kindling_request require_kernel_modules -m "${__module##*/}" "$@"
    fi
}

# --- helpers that are pure shell: they only look at their arguments and the build's variables --

dracut_module_included() {
    [[ " ${mods_to_load-} ${modules_loaded-} " == *" $1 "* ]]
}

dracut_need_initqueue() {
    : >"$initdir/lib/dracut/need-initqueue"
}

dracut_no_switch_root() {
    : >"$initdir/lib/dracut/no-switch-root"
}

# `ln_r SOURCE LINK`: LINK points at SOURCE by a relative path, computed as `ln -r` does, through
# the image's own symlinks (bin -> usr/bin), so the link resolves inside the image.
ln_r() {
    ln -sfnr -- "$initdir/$1" "$initdir/$2"
}

# Prints the path of TARGET relative to the directory that holds FROM (both absolute).
convert_abs_rel() {
    local __from=$1 __target=$2 __common __up='' __rest
    [[ $__from == "$__target" ]] && { printf '%s\n' "${__target##*/}"; return 0; }
    __from=${__from%/*}/
    __common=$__from
    while [[ $__target/ != "$__common"* ]]; do
        __common=${__common%/*/}/
        __up+='../'
    done
    __rest=${__target#"$__common"}
    __rest=${__rest#/}
    printf '%s\n' "$__up$__rest"
}

strstr() { [[ $1 == *"$2"* ]]; }
strglob() { [[ $1 == $2 ]]; }
strglobin() { [[ $1 == *$2* ]]; }
str_starts() { [[ $1 == "$2"* ]]; }
str_ends() { [[ $1 == *"$2" ]]; }
is_func() { [[ "$(type -t "$1")" == "function" ]]; }

trim() {
    local __value="$*"
    __value=${__value#"${__value%%[![:space:]]*}"}
    __value=${__value%"${__value##*[![:space:]]}"}
    printf '%s' "$__value"
}

mksubdirs() {
    local __path
    for __path in "$@"; do
        mkdir -m 0755 -p -- "${__path%/*}"
    done
}

# --- helpers composed from the engine's: their globs and regexes are bash's own -----------------

require_binaries() {
    local __module=${moddir-}
    local __missing=0 __command
    __module=${__module##*/}
    if [[ ${1-} == -m ]]; then
        __module=$2
        shift 2
    fi
    for __command in "$@"; do
        if ! find_binary "$__command" >/dev/null; then
            dinfo "module '${__module#[0-9][0-9]}' will not be installed, because command '$__command' could not be found!"
            ((__missing++))
        fi
    done
    return "$__missing"
}

require_any_binary() {
    local __module=${moddir-}
    local __command
    __module=${__module##*/}
    if [[ ${1-} == -m ]]; then
        __module=$2
        shift 2
    fi
    for __command in "$@"; do
        find_binary "$__command" >/dev/null && return 0
    done
    dinfo "$__module: Could not find any command of '$*'!"
    return 1
}

# `inst_any [-d DEST] FILE...`: installs the first FILE that exists.
inst_any() {
    local __to='' __file
    if [[ ${1-} == -d ]]; then
        __to=$2
        shift 2
    fi
    for __file in "$@"; do
        [[ -e ${dracutsysrootdir-}$__file ]] || continue
        if [[ -n $__to ]]; then
            inst "$__file" "$__to" && return 0
        else
            inst "$__file" && return 0
        fi
    done
    return 1
}

# `inst_libdir_file [-n REGEX] GLOB...`: each GLOB under every $libdirs directory.
inst_libdir_file() {
    local __pattern='' __dir __glob __file
    local -a __files=()
    if [[ ${1-} == -n ]]; then
        __pattern=$2
        shift 2
    fi
    for __dir in ${libdirs-}; do
        for __glob in "$@"; do
            for __file in "${dracutsysrootdir-}$__dir"/$__glob; do
                [[ -e $__file ]] || continue
                __file=${__file#"${dracutsysrootdir-}"}
                [[ -z $__pattern || $__file =~ $__pattern ]] && __files+=("$__file")
            done
        done
    done
    ((${#__files[@]} == 0)) || inst_multiple "${__files[@]}"
}

inst_libdir_dir() {
    local __dir __glob __found
    for __dir in ${libdirs-}; do
        for __glob in "$@"; do
            for __found in "${dracutsysrootdir-}$__dir"/$__glob; do
                [[ -d $__found ]] && inst_dir "${__found#"${dracutsysrootdir-}"}"
            done
        done
    done
    return 0
}

mark_hostonly() {
    local __file
    for __file in "$@"; do
        printf '%s\n' "$__file" >>"$initdir/lib/dracut/hostonly-files"
    done
}

# `optional_hostonly`: the hostonly flag only in strict mode, as `hostonly=$(optional_hostonly)`.
optional_hostonly() {
    if [[ ${hostonly_mode-} == strict ]]; then
        printf '%s' "${hostonly-}"
    fi
}

__kindling_serve
