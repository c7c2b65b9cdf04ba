#!/bin/sh
# Kindling's /lib/dracut-lib.sh: the part of dracut's runtime library that Kindling's /init and
# hooks use, in POSIX sh for busybox. Hooks are sourced into /init, so they see these functions.
#
# The command line is /etc/cmdline.d/*.conf (written at build time) followed by /proc/cmdline,
# so the kernel's arguments come last and win.

: "${hookdir:=/lib/dracut/hooks}"
export hookdir

getcmdline() {
    local _file _line
    for _file in /etc/cmdline.d/*.conf /proc/cmdline; do
        [ -f "$_file" ] || continue
        while read -r _line || [ -n "$_line" ]; do
            printf '%s ' "$_line"
        done <"$_file"
    done
}

# getarg KEY= prints the value of the last KEY=VALUE; getarg WORD is true when WORD (or
# WORD=anything) is present. Words are never evaluated.
getarg() {
    local _key="$1" _word _value='' _found=1
    set -f
    for _word in $(getcmdline); do
        case $_key in
            *=)
                case $_word in
                    "$_key"*) _value=${_word#"$_key"} _found=0 ;;
                esac
                ;;
            *)
                case $_word in
                    "$_key") _value='' _found=0 ;;
                    "$_key"=*) _value=${_word#"$_key"=} _found=0 ;;
                esac
                ;;
        esac
    done
    set +f
    [ $_found = 0 ] && [ -n "$_value" ] && printf '%s\n' "$_value"
    return $_found
}

# getargs KEY= prints every value of KEY=, one a line.
getargs() {
    local _key="$1" _word _found=1
    set -f
    for _word in $(getcmdline); do
        case $_word in
            "$_key"*)
                printf '%s\n' "${_word#"$_key"}"
                _found=0
                ;;
        esac
    done
    set +f
    return $_found
}

# getargbool DEFAULT KEY: false for KEY=0|no|off, true for KEY or KEY=other, DEFAULT if absent.
getargbool() {
    local _default="$1" _value
    if _value=$(getarg "$2"); then
        case $_value in
            0 | no | off) return 1 ;;
        esac
        return 0
    fi
    [ "$_default" != 0 ]
}

# Messages go to the kernel log, so they reach the console and the saved dmesg alike.
kl_log() {
    local _level="$1"
    shift
    if [ -w /dev/kmsg ]; then
        printf '<%s>%s: %s\n' "$_level" "${0##*/}" "$*" >/dev/kmsg
    else
        printf '%s: %s\n' "${0##*/}" "$*" >&2
    fi
}
info() { kl_log 5 "$@"; }
warn() { kl_log 4 "$@"; }
vinfo() { while read -r _vinfo_line; do info "$_vinfo_line"; done; }
vwarn() { while read -r _vwarn_line; do warn "$_vwarn_line"; done; }

source_all() {
    local _dir="$1" _file
    [ -d "$hookdir/$_dir" ] || return 0
    for _file in "$hookdir/$_dir"/*.sh; do
        # shellcheck disable=SC1090 # a hook script, known only when the image runs
        [ -e "$_file" ] && . "$_file"
    done
    return 0
}

# source_hook NAME: rd.break=NAME stops before the hook; the hook's scripts run in /init's shell.
source_hook() {
    if getarg "rd.break=$1" >/dev/null; then
        emergency_shell -n "$1" "Break before $1"
    fi
    source_all "$1"
}

# True when every initqueue/finished script succeeds (also when there is none).
check_finished() {
    local _file
    for _file in "$hookdir"/initqueue/finished/*.sh; do
        [ -e "$_file" ] || continue
        # shellcheck disable=SC1090 # a hook script, known only when the image runs
        (. "$_file") >/dev/null 2>&1 || return 1
    done
    return 0
}

# emergency_shell [-n NAME] MESSAGE: a shell on the console; boot goes on when it exits.
emergency_shell() {
    local _name=''
    if [ "$1" = -n ]; then
        _name=$2
        shift 2
    fi
    warn "$*"
    echo "${_name:+[$_name] }$*: type 'exit' to continue" >/dev/console
    # cttyhack gives the shell the console as its controlling tty (job control, ^C).
    setsid cttyhack sh -i </dev/console >/dev/console 2>&1 || sh -i </dev/console >/dev/console 2>&1
}

# die MESSAGE: a shell only when rd.shell is set, then (or otherwise) a reboot.
die() {
    kl_log 3 "FATAL: $*"
    if getargbool 0 rd.shell; then
        emergency_shell -n failure "$*"
    else
        warn "rebooting (add rd.shell to the kernel command line for a shell)"
    fi
    sync
    sleep 1
    reboot -f
    # reboot -f does not return; if it did, init must not exit (the kernel would panic).
    while :; do sleep 60; done
}

# find_dev SPEC: prints the block device for /dev/..., UUID=, LABEL=, PARTUUID= or PARTLABEL=,
# using udev's links when some udev made them, else busybox findfs.
find_dev() {
    local _spec="$1" _link=''
    case $_spec in
        block:*) _spec=${_spec#block:} ;;
    esac
    case $_spec in
        /dev/*) _link=$_spec ;;
        UUID=*) _link=/dev/disk/by-uuid/${_spec#UUID=} ;;
        LABEL=*) _link=/dev/disk/by-label/${_spec#LABEL=} ;;
        PARTUUID=*) _link=/dev/disk/by-partuuid/${_spec#PARTUUID=} ;;
        PARTLABEL=*) _link=/dev/disk/by-partlabel/${_spec#PARTLABEL=} ;;
        *) return 1 ;;
    esac
    if [ -b "$_link" ]; then
        printf '%s\n' "$_link"
        return 0
    fi
    case $_spec in
        UUID=* | LABEL=*) findfs "$_spec" 2>/dev/null ;;
        *) return 1 ;;
    esac
}

# wait_for_dev SPEC SECONDS: find_dev, retried once a second for up to SECONDS.
wait_for_dev() {
    local _spec="$1" _left="${2:-30}" _dev
    while :; do
        if _dev=$(find_dev "$_spec") && [ -b "$_dev" ]; then
            printf '%s\n' "$_dev"
            return 0
        fi
        [ "$_left" -gt 0 ] || return 1
        _left=$((_left - 1))
        sleep 1
    done
}

# load_modules NAME...: modprobe each one; a missing module is only logged.
load_modules() {
    local _module _output
    for _module in "$@"; do
        [ -n "$_module" ] || continue
        _output=$(modprobe "$_module" 2>&1) || warn "modprobe $_module: $_output"
    done
}
