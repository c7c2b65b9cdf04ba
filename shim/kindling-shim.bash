# Kindling's shell shim: the one long-lived bash that runs every module function of a build.
#
# The engine starts `bash --noprofile --norc kindling-shim.bash` with two extra descriptors:
#   KINDLING_TO_ENGINE   messages from this shell to the engine
#   KINDLING_FROM_ENGINE commands and replies from the engine
# and names in KINDLING_ENGINE_HELPERS the helpers whose calls come to it (its table, DracutHelper
# in Sources/ShellBridge): kindling-functions.bash defines a forwarder for each.
# Every message is a list of NUL-terminated fields: KIND, a field count, then the fields.
# NUL cannot occur in a bash word, so arguments with spaces, quotes, newlines or globs pass intact.
#
# Messages to the engine:
#   REQ  helper hostonly sysroot resolve dstdir arg...
#                                 a dracut helper call, with the caller's $hostonly,
#                                 $dracutsysrootdir, whether it resolves libraries now
#                                 ($DRACUT_RESOLVE_DEPS, or dracut-ng's empty $DRACUT_RESOLVE_LAZY)
#                                 and $dstdir (modules set them per call); the engine answers:
#                                 status, then output
#   RUN  pid path program arg...  a program module code runs that the engine stands in for
#                                 (see __kindling_program), with the calling shell's $BASHPID
#                                 and $PATH;
#                                 the engine answers: status (or "run": run it here), then
#                                 the output as a body (see __kindling_receive_body)
#   LOG  level line               a log line (dracut's levels, 1 fatal .. 6 trace)
#   DONE status output            the end of an engine command
# Commands from the engine:
#   eval LENGTH CODE              run CODE at global scope (the engine's variables); CODE is
#                                 LENGTH bytes with no terminator (see __kindling_receive_body)
#   call MODULE DIR FUNCTION MODE LENGTH PRELUDE
#                                 run PRELUDE (LENGTH bytes, maybe none) at global scope, then one
#                                 module function as dracut does (see __kindling_call)
#
# This file is the bridge: the protocol and the module lifecycle. It sources the rest of the shim
# from its own directory:
#   kindling-functions.bash     the helpers module code calls (what dracut-functions.sh is to
#                               dracut), which brings kindling-logger.bash (dinfo, dwarn, ...),
#                               kindling-block-devices.bash and kindling-filesystems.bash
#   kindling-host-devices.bash  host_devs and host_fs_types of a hostonly build
#
# Every shim file is written to be clean under `set -u`; module code runs with bash's defaults, as
# in dracut. Command output is read from here-strings, never from process substitution: <(...)
# opens /dev/fd/N, which a chroot or container without /proc does not have (the loop would read
# nothing).
#
# Module code may define functions with any name, printf, read, local, return, exit, unset, cat,
# command...: the shim runs every builtin it uses after module code has run through `builtin`, and
# every external command through `builtin command`, so that no such function can take over the
# protocol. Keywords ([[, case, while) cannot be redefined. (The one name this cannot defend is
# `builtin` itself.)

# shellcheck source-path=SCRIPTDIR
__kindling_out=${KINDLING_TO_ENGINE:?the engine must set KINDLING_TO_ENGINE}
__kindling_in=${KINDLING_FROM_ENGINE:?the engine must set KINDLING_FROM_ENGINE}
__kindling_engine_helpers=${KINDLING_ENGINE_HELPERS:?the engine must set KINDLING_ENGINE_HELPERS}
__kindling_stand_ins=${KINDLING_STAND_INS-}
unset KINDLING_TO_ENGINE KINDLING_FROM_ENGINE KINDLING_ENGINE_HELPERS KINDLING_STAND_INS
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

# A body sent after its length in bytes, read whole: `read -d ''` reads a pipe a byte at a time.
# LC_ALL=C because -N counts characters, and module code may have chosen a multibyte locale.
__kindling_receive_body() {
    builtin local __length
    __kindling_receive __length || builtin return 1
    LC_ALL=C IFS= builtin read -r -N "$__length" -u "$__kindling_in" "$1"
}

# Sends one helper call and prints the engine's output; returns the engine's status.
__kindling_request() {
    builtin local __status __output __resolve=${DRACUT_RESOLVE_DEPS-}
    # dracut-ng resolves a call's libraries now unless DRACUT_RESOLVE_LAZY is set and not empty
    # (squash-lib's `DRACUT_RESOLVE_LAZY="" inst_multiple ...`).
    [[ -n ${__kindling_dracut_ng-} && -z ${DRACUT_RESOLVE_LAZY-} ]] && __resolve=1
    __kindling_send REQ "$1" "${hostonly-}" "${dracutsysrootdir-}" "$__resolve" "${dstdir-}" "${@:2}"
    __kindling_receive __status || builtin exit 70
    __kindling_receive __output || builtin exit 70
    [[ -z $__output ]] || builtin printf '%s' "$__output"
    # 256 cannot be a return status: the engine uses it for "this call ends the build".
    ((__status == 256)) && builtin exit 1
    builtin return "$__status"
}

# Runs PROGRAM ARG... through the engine's stand-in for it (ProgramStandIns), or as itself when
# the engine answers "run": it takes only the forms it carries out exactly as the program does,
# without a word on standard error. Each program start costs 1.5-2.5 ms on the test machine, and
# module code starts dozens. Only the program found in /usr/bin or /bin, in the C locale
# without POSIXLY_CORRECT (both change how programs read their arguments), and only from the
# shell the engine talks to: a pipeline's or a background job's subshell runs beside it, and two
# callers would share one reply pipe (a module function whose output the engine captures runs in
# a command substitution; __kindling_subshell is its level there).
__kindling_subshell=0
__kindling_may_stand_in() {
    # A name bash has hashed runs from there; the engine looks for the others in PATH.
    ((BASH_SUBSHELL == __kindling_subshell)) && [[ ${LC_ALL-} == C && -z ${POSIXLY_CORRECT+set} ]] &&
        [[ ${BASH_CMDS[$1]-/usr/bin/$1} == /usr/bin/"$1" || ${BASH_CMDS[$1]-} == /bin/"$1" ]]
}

# Sends PROGRAM ARG... to the engine, and sets the caller's __status and __output to its answer;
# false when the engine answers "run".
__kindling_run_in_engine() {
    __kindling_send RUN "$BASHPID" "${PATH-}" "$@"
    { __kindling_receive __status && __kindling_receive_body __output; } || builtin exit 70
    [[ $__status != run ]]
}

__kindling_program() {
    builtin local __status __output
    if __kindling_may_stand_in "$1" && __kindling_run_in_engine "$@"; then
        [[ -z $__output ]] || builtin printf '%s' "$__output"
        builtin return "$__status"
    fi
    builtin command "$@"
}

for __kindling_helper in $__kindling_stand_ins; do
    eval "$__kindling_helper() { __kindling_program $__kindling_helper \"\$@\"; }"
done
unset __kindling_helper __kindling_stand_ins

# --- the rest of the shim, from this file's directory ------------------------------------------

# A file that cannot be read ends the shell at once (bash has named it): no helper half-defined.
if [[ ${BASH_SOURCE[0]} == */* ]]; then __kindling_shim=${BASH_SOURCE[0]%/*}; else __kindling_shim=.; fi
# shellcheck source=kindling-functions.bash
. "$__kindling_shim/kindling-functions.bash" || exit 66
# shellcheck source=kindling-host-devices.bash
. "$__kindling_shim/kindling-host-devices.bash" || exit 66
unset __kindling_shim

# Log lines go to the engine (sourced without the bridge, kindling-logger.bash writes them to
# standard error).
__kindling_log_line() {
    __kindling_send LOG "$1" "$2"
}

# --- the module lifecycle ---------------------------------------------------------------------

__kindling_unset_module_functions() {
    builtin unset -f check depends cmdline install installkernel
    # dracut-ng 112 counts config() among a module's functions.
    [[ -z ${__kindling_dracut_ng-} ]] || builtin unset -f config
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
            __captured=$(__kindling_subshell=$BASH_SUBSHELL moddir=$__dir "$__function") || __status=$?
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
# end the build with bash's message (the file and line) instead. The engine parses whole
# catalogs in one `bash -n` (ModuleSyntaxCheck) and marks here the files that passed.
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
    builtin local __command __a __b __c __d __e
    while __kindling_receive __command; do
        case $__command in
            eval)
                __kindling_receive_body __a || builtin break
                builtin eval "$__a"
                __a=$?
                __kindling_end_of_output
                __kindling_send DONE "$__a" ''
                ;;
            call)
                if ! { __kindling_receive __a && __kindling_receive __b &&
                    __kindling_receive __c && __kindling_receive __d && __kindling_receive_body __e; }; then
                    builtin break
                fi
                [[ -z $__e ]] || builtin eval "$__e"
                __kindling_call "$__a" "$__b" "$__c" "$__d"
                ;;
            *)
                __kindling_send DONE 64 "unknown shim command: $__command"
                ;;
        esac
    done
}

__kindling_serve
