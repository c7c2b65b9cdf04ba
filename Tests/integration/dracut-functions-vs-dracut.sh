#!/bin/bash
# Kindling's dracut-functions.sh, as `make install-dracut-alias` installs it (into a DESTDIR),
# against dracut 059's /usr/lib/dracut/dracut-functions.sh. Fedora's mkdumprd, mkfadumprd and
# kdumpctl source that file and call strstr, get_maj_min, get_persistent_dev and
# check_block_and_slaves_all: sourced by a clean `bash -u`, Kindling's gives the same output and
# status as dracut's on this machine's devices (the block device of /, a loop disk with a GPT
# partition holding ext4 with a UUID and a label), first in the host's /dev, then in a private /dev
# that has the /dev/disk/by-* and /dev/block links udev makes, and on names that are no device.
# Sourcing it leaves the caller's variables, options, traps and environment as they were, and a
# script that defines its own loggers afterwards, as mkdumprd does with kdump-logger.sh, keeps them.
#
# Needs root (loop devices, a private mount namespace), dracut-core, util-linux, e2fsprogs, and
# the release build that `make install` uses (make builds it).
# shellcheck disable=SC2016 # the code in single quotes is for the inner bash to expand
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
name=dracut-functions
dracut_functions=/usr/lib/dracut/dracut-functions.sh

# Runs CODE (with ARGS as $1...) in a clean bash that has sourced FILE, under `set -u` for
# Kindling's (dracut's own fails under it), with persistent_policy when it is set; prints what it
# printed and its status, as "OUTPUT|STATUS".
run_with() {
    local file=$1 code=$2 options=() environment=(PATH=/usr/sbin:/usr/bin:/sbin:/bin)
    shift 2
    [[ $file == "$dracut_functions" ]] || options=(-u)
    [[ -z ${persistent_policy+set} ]] || environment+=("persistent_policy=$persistent_policy")
    env -i "${environment[@]}" bash --noprofile --norc "${options[@]}" \
        -c '. "$0" || exit 90; __code=$1; shift; eval "$__code"; printf "|%s" "$?"' "$file" "$code" "$@" 2>&1
}

# Passes when dracut's file and Kindling's give the same output and status for CODE with ARGS.
same() {
    local what=$1 code=$2 theirs ours
    shift 2
    theirs=$(run_with "$dracut_functions" "$code" "$@")
    ours=$(run_with "$kindling_functions" "$code" "$@")
    if [[ $ours == "$theirs" ]]; then
        pass "$what: ${ours//$'\n'/\\n}"
    else
        fail "$what: dracut '${theirs//$'\n'/\\n}', Kindling '${ours//$'\n'/\\n}'"
    fi
}

# Compares the helpers on DEVICE... and on the names udev's links give them.
compare_devices() {
    local device link policy
    for device in "$@"; do
        same "get_maj_min $device" 'get_maj_min "$1"' "$device"
        for policy in '' by-id by-label by-uuid by-partuuid by-partlabel by-path by-nothing; do
            persistent_policy=$policy same "persistent_policy='$policy' get_persistent_dev $device" \
                'get_persistent_dev "$1"' "$device"
        done
        # The walk from the device to its disk and what it is built on; dracut's needs /dev/block.
        if [[ -e /dev/block/$(stat -L -c '%Hr:%Lr' "$device") ]]; then
            same "check_block_and_slaves_all on $device" \
                'seen() { printf "%s " "$1"; false; }; check_block_and_slaves_all seen "$(get_maj_min "$1")"' "$device"
        fi
    done
    for link in /dev/disk/*/*; do
        [[ -L $link ]] || continue
        same "get_maj_min $link" 'get_maj_min "$1"' "$link"
        same "get_persistent_dev $link" 'get_persistent_dev "$1"' "$link"
    done
}

# --- in the private /dev: `$0 private-dev WORK FILE DEVICE...` in its own mount namespace ---------
if [[ ${1-} == private-dev ]]; then
    work=$2 kindling_functions=$3
    shift 3
    dev=$work/private-dev
    mkdir -p "$dev"
    mount -t tmpfs -o mode=0755 kindling-test-dev "$dev" || { fail "cannot mount a tmpfs for a private /dev"; finish; exit 1; }
    cp -a /dev/null /dev/zero /dev/urandom "$dev/"
    ln -s /proc/self/fd "$dev/fd"
    mkdir -p "$dev"/disk/{by-uuid,by-label,by-partuuid,by-partlabel,by-id,by-path} "$dev/block" "$dev/mapper"
    # dracut and Kindling both pass over /dev/mapper/control.
    mknod "$dev/mapper/control" c 10 236
    for device in "$@"; do
        node=${device#/dev/}
        cp -a "$device" "$dev/$node"
        ln -s "../$node" "$dev/block/$(stat -L -c '%Hr:%Lr' "$device")"
        # What blkid reads gives the links udev would make.
        while IFS='=' read -r key value; do
            case $key in
                UUID) ln -sfn "../../$node" "$dev/disk/by-uuid/$value" ;;
                LABEL) ln -sfn "../../$node" "$dev/disk/by-label/$value" ;;
                PART_ENTRY_UUID) ln -sfn "../../$node" "$dev/disk/by-partuuid/$value" ;;
                PART_ENTRY_NAME) ln -sfn "../../$node" "$dev/disk/by-partlabel/$value" ;;
            esac
        done < <(blkid -p -o export "$device" 2>/dev/null)
        ln -s "../../$node" "$dev/disk/by-id/kindling-test-$node"
        ln -s "../../$node" "$dev/disk/by-path/kindling-test-path-$node"
    done
    mount --bind "$dev" /dev || { fail "cannot put the private /dev in place"; finish; exit 1; }
    echo "private /dev: $(cd /dev && find disk block -type l -printf '%p -> %l\n' | sort | tr '\n' ' ')"
    compare_devices "$@"
    finish
    exit
fi

# --- the install ---------------------------------------------------------------------------------
[[ -f $dracut_functions ]] || give_up "dracut 059 is not installed (apt-get install dracut-core)"
make_work_directory
layout=(PREFIX=/usr BINDIR=/usr/bin LIBDIR=/usr/lib SYSCONFDIR=/etc)
make -s -C "$repo" install-dracut-alias DESTDIR="$work/dest" "${layout[@]}" >"$work/install.log" 2>&1 ||
    give_up "make install-dracut-alias: $(tail -n 3 "$work/install.log")"
kindling_functions=$work/dest/usr/lib/dracut/dracut-functions.sh
[[ -L $kindling_functions && -f $kindling_functions ]] || give_up "the install has no link $kindling_functions"

# --- sourcing it as mkdumprd does, in a clean bash -u --------------------------------------------
# Everything a script's shell holds, but the variables bash changes by itself and the library's
# own (__kindling...).
snapshot='{ builtin declare -p; builtin set -o; builtin shopt -p; builtin trap -p; builtin export -p; builtin umask; } |
    grep -Ev "^declare -[-a-zA-Z]* (BASH_[A-Z]+|_|FUNCNAME|LINENO|RANDOM|SRANDOM|SECONDS|EPOCHSECONDS|EPOCHREALTIME|BASHPID|PIPESTATUS|before|__kindling[a-z_]*)="'
mkdumprd_like='
    dev=keep _dev=keep i=keep __want=keep __candidate=keep ret=keep
    before=$('"$snapshot"')
    [[ $dracutbasedir ]] || dracutbasedir=/usr/lib/dracut
    . "$dracutbasedir"/dracut-functions.sh || exit 90
    strstr "$(get_maj_min /dev/null)" ":" || exit 91
    [[ $(get_persistent_dev /dev/null) == /dev/null ]] || exit 92
    check_block_and_slaves_all true "" && exit 93
    after=$('"$snapshot"')
    [[ $before == "$after" ]] || { diff <(printf "%s\n" "$before") <(printf "%s\n" "$after"); exit 94; }
'
for options in -u "-e -u -o pipefail" ""; do
    # shellcheck disable=SC2086 # the options are words
    output=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin dracutbasedir="$work/dest/usr/lib/dracut" \
        bash --noprofile --norc $options -c "$mkdumprd_like" 2>&1)
    status=$?
    if ((status == 0)) && [[ -z $output ]]; then
        pass "sourced as mkdumprd does (bash ${options:-without options}): quiet, helpers defined, the caller's state unchanged"
    else
        fail "sourced as mkdumprd does (bash ${options:-without options}): status $status: $output"
    fi
done

# The loggers: mkdumprd sources kdump-logger.sh after dracut-functions.sh, which defines dinfo,
# dwarn, derror and ddebug again (and dlog_init); the script's are the ones that run, also when a
# library helper logs (vercmp's error), and the helpers still work.
logger_script='
    . "$1" || exit 90
    kdump_stdloglvl=""
    dlog_init() { kdump_stdloglvl=${KDUMP_STDLOGLVL:-3}; }
    dlog() { [ "$1" -le "$kdump_stdloglvl" ] && shift && printf "kdump: %s\n" "$*"; return 0; }
    ddebug() { dlog 4 "$@"; }
    dinfo() { dlog 3 "$@"; }
    dwarn() { dlog 2 "warning: $*"; }
    derror() { dlog 1 "error: $*"; }
    dlog_init || exit 91
    dinfo "an info line"
    dwarn "a warning"
    ddebug "not shown at level 3"
    vercmp 1 xx 2
    [[ $? == 2 ]] || exit 92
    [[ $(get_persistent_dev /no/such/device) == /no/such/device ]] || exit 93
    strstr "root@host" "@" || exit 94
    [[ $(dfatal "the library'"'"'s own" 2>&1 >/dev/null) == "the library'"'"'s own" ]] || exit 95
'
output=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin bash --noprofile --norc -u -c "$logger_script" _ "$kindling_functions" 2>&1)
status=$?
expected=$'kdump: an info line\nkdump: warning: a warning\nkdump: error: vercmp: unknown comparison \'xx\''
if ((status == 0)) && [[ $output == "$expected" ]]; then
    pass "loggers defined after sourcing (as kdump-logger.sh does) are the ones that run"
else
    fail "loggers defined after sourcing: status $status: $output"
fi

# --- the same answers as dracut's -------------------------------------------------------------
for pair in 'abc|b' 'abc|x' 'abc|' '|' 'a*c|*' 'abc|a?c' 'a[b]c|[b]' '-F -l|-F' 'root@host|@' 'makedumpfile -l|-F'; do
    same "strstr '${pair%|*}' '${pair#*|}'" 'strstr "$1" "$2"' "${pair%|*}" "${pair#*|}"
done
for other in /no/such/device "" nfs-server:/export virtiofs-tag /etc/hostname; do
    same "get_persistent_dev '$other' (no device)" 'get_persistent_dev "$1"' "$other"
done
same "check_block_and_slaves_all on no device" 'check_block_and_slaves_all true ""'
root_device=$(findmnt -n -e -v -o SOURCE /)
devices=()
if [[ -b $root_device ]]; then
    devices+=("$root_device")
else
    echo "the root file system is on $root_device, no block device: not compared"
fi

((EUID == 0)) || give_up "needs root for the loop devices"
loop=
cleanup() {
    if [[ -n $loop ]]; then
        partx -d "$loop" 2>/dev/null
        losetup -d "$loop" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
truncate -s 64M "$work/disk"
printf 'label: gpt\nsize=48M, name=kindling-part\n' | sfdisk -q "$work/disk" >/dev/null 2>&1 || give_up "sfdisk failed"
loop=$(losetup --find --show --partscan "$work/disk") || give_up "cannot set up a loop device"
# A kernel without the GPT parser makes no partition: partx adds it from what it reads itself.
for _ in 1 2 3 4 5; do [[ -b ${loop}p1 ]] && break; sleep 0.2; done
[[ -b ${loop}p1 ]] || partx -a "$loop" 2>/dev/null
for _ in 1 2 3 4 5; do [[ -b ${loop}p1 ]] && break; sleep 0.2; done
[[ -b ${loop}p1 ]] || give_up "the loop device's partition ${loop}p1 did not appear"
mkfs.ext4 -q -U 3f4d8c1e-6c6b-4a58-9b5e-0c1d2e3f4a5b -L kindling-dfun "${loop}p1" >/dev/null 2>&1 ||
    give_up "mkfs.ext4 failed on ${loop}p1"
devices+=("$loop" "${loop}p1")

echo "--- the host's /dev"
compare_devices "${devices[@]}"

echo "--- a private /dev with udev's links"
# Only block nodes directly under /dev can be copied into the private /dev.
private_devices=()
for device in "${devices[@]}"; do
    [[ ${device#/dev/} == */* ]] || private_devices+=("$device")
done
if command -v unshare >/dev/null; then
    output=$(unshare --mount --propagation private -- bash "$0" private-dev "$work" "$kindling_functions" \
        "${private_devices[@]}" 2>&1)
    printf '%s\n' "$output" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
    passed=$((passed + $(grep -c '^PASS ' <<<"$output")))
    failed=$((failed + $(grep -c '^FAIL ' <<<"$output")))
    grep -qE '^[0-9]+ passed, [0-9]+ failed$' <<<"$output" || fail "the private /dev run printed no summary"
else
    fail "unshare is not installed (util-linux)"
fi

finish
