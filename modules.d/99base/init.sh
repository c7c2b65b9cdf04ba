#!/bin/sh
# Kindling's /init for busybox images. It follows dracut's stages and hook layout:
#   API filesystems -> command line -> cmdline hooks -> rd.driver.pre -> pre-udev hooks ->
#   the build's driver list -> pre-trigger -> initqueue -> pre-mount -> mount -> pre-pivot ->
#   cleanup -> switch_root into root=.
# Kernel arguments: root=, rootfstype=, rootflags=, ro/rw, init=, rd.break[=HOOK], rd.shell,
# rd.debug, rd.driver.pre=, rd.retry= (initqueue wait, seconds), rd.timeout= (root device wait).
# Any failure reboots, or opens a shell first when rd.shell is set.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
NEWROOT=/sysroot
export NEWROOT

mount -t proc -o nosuid,noexec,nodev proc /proc
mount -t sysfs -o nosuid,noexec,nodev sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev 2>/dev/null
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
# The image may have no /dev/console node; now devtmpfs has one.
exec 0<>/dev/console 1<>/dev/console 2<>/dev/console

# shellcheck source=dracut-lib.sh
. /lib/dracut-lib.sh

if getargbool 0 rd.debug; then
    set -x
fi

# Nothing below must end /init: the kernel panics when init exits.
trap 'die "init was interrupted"' INT TERM

source_hook cmdline

# rd.driver.pre=a,b (may repeat): loaded before anything else looks for devices.
set -f
# shellcheck disable=SC2046 # one word per module
load_modules $(getargs rd.driver.pre= | tr ',' ' ')
set +f

source_hook pre-udev

# Without udev, nothing loads drivers on demand: the build lists them in modules-load.d.
for _list in /etc/modules-load.d/*.conf; do
    [ -f "$_list" ] || continue
    while read -r _module _rest; do
        case $_module in
            '' | '#'* | ';'*) continue ;;
        esac
        load_modules "$_module"
    done <"$_list"
done
unset _list _module _rest

source_hook pre-trigger

# initqueue: jobs run once, then the wait for every initqueue/finished check, running the
# settled jobs each second, and the timeout jobs once after rd.retry seconds.
source_hook initqueue
_retry=$(getarg rd.retry=) || _retry=30
_waited=0
while ! check_finished; do
    source_all initqueue/settled
    if [ "$_waited" -ge "$_retry" ]; then
        source_all initqueue/timeout
        check_finished || die "initqueue: still unfinished after ${_retry}s"
        break
    fi
    sleep 1
    _waited=$((_waited + 1))
done
unset _retry _waited

source_hook pre-mount
source_hook mount

# A mount hook may have mounted the root already; otherwise root= says what to mount.
mount_root() {
    local _root _dev _type _flags _timeout
    _root=$(getarg root=) || die "no root= on the kernel command line and no hook mounted $NEWROOT"
    _timeout=$(getarg rd.timeout=) || _timeout=60
    _dev=$(wait_for_dev "$_root" "$_timeout") || die "root device $_root did not appear within ${_timeout}s"
    _type=$(getarg rootfstype=) || _type=''
    _flags=ro
    getarg rw >/dev/null && _flags=rw
    _flags="$_flags${_flags:+,}$(getarg rootflags=)"
    _flags=${_flags%,}
    [ -n "$_type" ] && load_modules "$_type"
    mount ${_type:+-t "$_type"} -o "$_flags" "$_dev" "$NEWROOT" || die "cannot mount $_dev on $NEWROOT"
}
if ! grep -q " $NEWROOT " /proc/mounts; then
    mount_root
fi

_init=$(getarg init=) || _init=/sbin/init
if [ ! -x "$NEWROOT$_init" ] && [ ! -L "$NEWROOT$_init" ]; then
    die "$_init is not executable under root=$(getarg root=)"
fi

source_hook pre-pivot
source_hook cleanup

if getarg rd.break >/dev/null && [ -z "$(getarg rd.break=)" ]; then
    emergency_shell -n switch_root "Break before switch_root"
fi

info "switching root to $NEWROOT ($_init)"
for _mount in /run /dev /proc /sys; do
    mkdir -p "$NEWROOT$_mount" 2>/dev/null
    mount --move "$_mount" "$NEWROOT$_mount" 2>/dev/null || umount -l "$_mount"
done
trap - INT TERM
# shellcheck disable=SC2093 # what follows runs only if switch_root cannot be executed
exec switch_root "$NEWROOT" "$_init"
# exec failed: /proc is gone, so only a reboot remains.
echo "switch_root failed" >/dev/console
reboot -f
