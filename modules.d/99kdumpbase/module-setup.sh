#!/bin/bash
# Kindling's kdumpbase module: a minimal kdump capture image.
#
# Build time: reads kdump.conf (Fedora's format) from ${KDUMP_CONFIG_FILE:-/etc/kdump.conf}
# under the sysroot, installs makedumpfile and what the configuration names, and writes a
# checked copy of the configuration to the image's /etc/kdump.conf for kdump-capture.sh.
# Capture time: kdump-capture.sh runs from a pre-mount hook (Kindling's or dracut's shell init)
# or from kdump-capture.service (systemd images).
#
# Directives: path, core_collector, ext4|xfs|btrfs|vfat <dev|UUID=|LABEL=|PARTUUID=>, raw <dev>,
# nfs <host:/export>, ssh <user@host> with sshkey, failure_action (and its old name default),
# final_action, kdump_pre, kdump_post, kdump_emergency, extra_bins, extra_modules, dracut_args.
# fence_kdump_* are not served; auto_reset_crashkernel, force_rebuild and force_no_rebuild only
# concern kdumpctl and are ignored. Anything else fails the build, naming the line.
#
# Network targets (kdumpbase_net_* in kdumpbase-lib.sh): the host resolves on the build host to
# an IPv4 address, and the route to it names the interface, its driver chain and its configuration
# (DHCP when the address is dynamic, else the static address and gateway); the image brings that
# interface up with busybox ip/udhcpc, then mounts the export (NFS 4, or 3 when the mount
# options say so) or pipes makedumpfile -F through ssh (dropbear's dbclient, else OpenSSH's ssh).
#
# Values are split into words and never evaluated; a core_collector holding shell syntax
# ($ ` ; | & < > ( )) is refused, since the capture runs it without a shell. CRLF line ends are
# taken as line ends; any other control character, a '..' component in a path or a device, and
# a path over 4096 bytes (or a component over 255) are refused.
#
# The configuration is read in check(): kdump-storage (which installs before this module) takes
# the target from it, and check() runs in the build's shell, where its globals persist.
#
# A btrfs target is mounted with the subvolume the build host mounts, and a filesystem on
# several devices gets every member's drivers and the btrfs tool (kdumpbase_btrfs_*). A target
# on an LVM logical volume gets kindling-dmload (Kindling's device-mapper loader), kdump-lvm.sh
# (a reader of LVM2's on-disk metadata) and dm_mod, and only that volume is activated at capture
# time (kdumpbase_lvm_*); thin and other stacked volumes are not served.
#
# A target this image cannot serve (fence_kdump, an IPv6 network target, a filesystem other than
# ext4, xfs, btrfs and vfat, a stacked LVM volume) is kept apart from the errors of a broken
# configuration: Kindling asks kdump_minimal_target first and, with kdump_image=minimal, falls back to the distribution's
# kdumpbase for such a target rather than fail.

# shellcheck disable=SC2154 # set by dracut before it sources this file: initdir, moddir, kernel, systemdsystemunitdir

# The helpers, parsed once per build (this file is sourced again for every call; functions stay).
if [[ ${kdumpbase_library-} != "${BASH_SOURCE[0]%/*}" ]]; then
    # shellcheck source=kdumpbase-lib.sh
    if ! . "${BASH_SOURCE[0]%/*}/kdumpbase-lib.sh"; then
        dfatal "kdumpbase: cannot read ${BASH_SOURCE[0]%/*}/kdumpbase-lib.sh"
        exit 1
    fi
    kdumpbase_library=${BASH_SOURCE[0]%/*}
fi

# kdump_minimal_target: what Kindling asks before a kdump build with kdump_image=minimal. Prints
# "serves TARGET" when this image serves the configured dump target, or "cannot REASON" when only
# a distribution's kdumpbase can (the engine then takes that one). A broken configuration ends
# the build here, as it would in check().
kdump_minimal_target() {
    local kdumpbase_asking_target=yes _status=0
    kdumpbase_read_config || _status=$?
    if ((_status == 2)); then
        printf 'cannot %s\n' "${kdumpbase_unserved[0]}"
    else
        printf 'serves %s %s\n' "$kdumpbase_target_fs" "$kdumpbase_target_dev"
    fi
}

check() {
    # Never part of an ordinary image: only when asked for (-m, --add, a dependency, or
    # mkdumprd, which exports IN_KDUMP=1).
    [[ -n ${mount_needs-} ]] && return 1
    if [[ ${IN_KDUMP-} != 1 && " ${dracutmodules-} ${add_dracutmodules-} ${force_add_dracutmodules-} " != *" kdumpbase "* ]]; then
        return 255
    fi
    require_binaries makedumpfile || return 1
    kdumpbase_read_config
    return 0
}

depends() {
    # A network target without dump_to_rootfs has no block device: no storage drivers.
    if kdumpbase_read_config && kdumpbase_net_target && [[ -z $kdumpbase_rootfs_dev ]]; then
        echo base busybox
    else
        echo base busybox kdump-storage
    fi
    return 0
}

install() {
    kdumpbase_read_config
    local _collector _bin
    local -a _words=()

    inst_multiple makedumpfile || return 1
    read -ra _words <<<"$kdumpbase_collector"
    _collector=$(find_binary "${_words[0]}") && inst "$_collector"
    for _bin in "${kdumpbase_extra_bins[@]}"; do
        inst "$_bin" || derror "kdumpbase: cannot install extra_bins '$_bin'"
    done
    for _bin in "$kdumpbase_pre" "$kdumpbase_post" "$kdumpbase_emergency"; do
        [[ -n $_bin ]] && inst "$_bin"
    done
    kdumpbase_btrfs_install || return 1
    kdumpbase_lvm_install || return 1
    inst_script "$moddir/kdump-capture.sh" /usr/bin/kdump-capture
    kdumpbase_write_config >"$initdir/etc/kdump.conf"
    kdumpbase_net_target && kdumpbase_net_install

    if dracut_module_included systemd; then
        kdumpbase_install_systemd
    else
        inst_hook cmdline 90 "$moddir/kdump-cmdline.sh"
        inst_hook pre-udev 10 "$moddir/kdump-pre-udev.sh"
        inst_hook pre-mount 90 "$moddir/kdump-pre-mount.sh"
    fi
}

installkernel() {
    kdumpbase_read_config
    if ((${#kdumpbase_extra_modules[@]} > 0)); then
        if ! hostonly='' instmods -c "${kdumpbase_extra_modules[@]}"; then
            dfatal "extra_modules: cannot install '${kdumpbase_extra_modules[*]}'"
            exit 1
        fi
        inst_dir /etc/modules-load.d
        printf '%s\n' "${kdumpbase_extra_modules[@]}" >"$initdir/etc/modules-load.d/kdump-extra.conf"
    fi
    kdumpbase_net_target && kdumpbase_net_installkernel
    if ! kdumpbase_lvm_installkernel; then
        dfatal "kdumpbase: cannot install dm_mod for logical volume $kdumpbase_lvm_vg/$kdumpbase_lvm_lv"
        exit 1
    fi
    kdumpbase_compress_modules
    return 0
}
