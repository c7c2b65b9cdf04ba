# Kindling's log helpers, dracut's dinfo, dwarn, ... (part of the shim: see kindling-shim.bash).
#
# Each logs its arguments as one line, or without any each line of its standard input, at dracut's
# level (1 fatal, 2 error, 3 warning, 4 info, 5 debug, 6 trace); each always returns 0 and never
# exits. A line goes out through `__kindling_log_line LEVEL LINE`, which the bridge points at the
# engine; sourced without it, the lines go to standard error.

__kindling_log_line() {
    builtin printf '%s\n' "$2" >&2
}

__kindling_log() {
    builtin local __level="$1" __line
    builtin shift
    if (($# > 0)); then
        __kindling_log_line "$__level" "$*"
    else
        while IFS= builtin read -r __line || [[ -n $__line ]]; do
            __kindling_log_line "$__level" "$__line"
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
