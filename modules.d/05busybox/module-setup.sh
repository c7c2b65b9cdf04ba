#!/bin/bash
# Kindling's busybox module: one busybox binary and links for the applets the image uses.
#
# Which binary: a static busybox when the host has one (busybox.static, as Alpine and some
# distributions name it, else the `busybox` on PATH, which is static on Debian's
# busybox-static and Fedora); a dynamic one comes with its libraries.
#
# Which applets: not all ~290 of them. The default list below is what Kindling's /init, the
# kdump capture script and a rescue shell use (about 100). Each link costs a cpio entry and,
# in the crash kernel, an inode and a dentry in the rootfs; the full set would also shadow
# host tools that later modules install on purpose. Set `busybox_applets="all"` (or a list
# of names) in a dracut.conf file to change it.
#
# The links are absolute (/bin/busybox): on a merged-/usr host /bin is a symlink in the image,
# so a relative link computed from the applet's nominal path would point to the wrong place.

# shellcheck disable=SC2154 # set by dracut before it sources this file: initdir

check() {
    require_any_binary busybox.static busybox || return 1
    # Only when asked for, or as another module's dependency.
    return 255
}

depends() {
    return 0
}

# The applets Kindling's own scripts call, then a small rescue toolset.
kindling_busybox_default_applets() {
    echo sh ash cat cp date dd dmesg echo findfs blkid grep halt head hexdump kill ln ls \
        mkdir mknod modprobe insmod rmmod lsmod modinfo mount mv od poweroff printf readlink \
        reboot rm rmdir sed setsid cttyhack sleep stat switch_root sync tail test '[' '[[' \
        true false umount uname
    echo awk basename chmod chown clear cut df dirname du env expr fdisk find free gunzip \
        gzip id less losetup more pidof ps pwd realpath seq sort stty tee top touch tr tty \
        uniq vi watch wc which xargs yes zcat
}

install() {
    local _busybox _applet _path _wanted
    local -A _made=()
    _busybox=$(find_binary busybox.static) || _busybox=$(find_binary busybox) || return 1
    inst "$_busybox" /bin/busybox || return 1

    _wanted=" ${busybox_applets:-$(kindling_busybox_default_applets)} "
    _wanted=${_wanted//$'\n'/ }
    # --list-full prints each applet with the directory busybox was configured to put it in.
    # (A here-string: process substitution needs /dev/fd, missing in a chroot without /proc.)
    while IFS= read -r _path; do
        _applet=${_path##*/}
        [[ -n $_applet && $_applet != busybox && $_path != */ ]] || continue
        if [[ $_wanted != " all " && $_wanted != *" $_applet "* ]]; then
            continue
        fi
        # An applet never replaces a file another module put there first.
        [[ -e $initdir/$_path || -L $initdir/$_path ]] && continue
        # One inst_dir per directory, not per applet; ln_r makes the link without a process.
        if [[ -z ${_made[${_path%/*}]-} ]]; then
            inst_dir "${_path%/*}"
            _made[${_path%/*}]=1
        fi
        ln_r /bin/busybox "$_path"
    done <<<"$("$_busybox" --list-full)"
}
