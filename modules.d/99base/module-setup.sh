#!/bin/bash
# Kindling's base module: a POSIX sh /init on busybox (see init.sh) and the runtime library its
# hooks use. dracut's own 99base shadows it when dracut's module directory comes first.

# shellcheck disable=SC2154 # set by dracut before it sources this file: initdir, moddir

check() {
    return 0
}

depends() {
    echo busybox
    return 0
}

install() {
    inst_script "$moddir/init.sh" /init
    inst_simple "$moddir/dracut-lib.sh" /lib/dracut-lib.sh
    inst_dir /etc/modules-load.d
    inst_dir /sysroot

    ln -sfn /proc/self/mounts "$initdir/etc/mtab"
    if [[ ${ro_mnt-} == yes ]]; then
        echo ro >>"$initdir/etc/cmdline.d/base.conf"
    fi

    # What tools (systemd, kdumpctl) look for to know they run in an initrd, and lsinitrd's
    # "Version:" line.
    {
        echo 'NAME="Kindling initramfs"'
        echo 'ID=kindling'
        echo "VERSION_ID=\"$DRACUT_VERSION\""
        echo "PRETTY_NAME=\"Kindling initramfs (dracut-$DRACUT_VERSION compatible)\""
    } >"$initdir/etc/initrd-release"
    ln_r /etc/initrd-release /etc/os-release
    echo "kindling (dracut-$DRACUT_VERSION compatible)" >"$initdir/lib/dracut/dracut-$DRACUT_VERSION"
}
