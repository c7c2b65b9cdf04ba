#!/bin/bash
# Kindling's kdump-storage module: the kernel drivers a dump target needs, and nothing else.
#
# Input, set by kdumpbase's check() or in a dracut.conf file:
#   kdump_storage_targets      device specs: /dev/..., UUID=, LABEL=, PARTUUID=, PARTLABEL=
#   kdump_storage_filesystems  filesystem types (ext4 xfs vfat); empty for a raw device
#   kdump_storage_all_buses    "yes": the drivers of every bus even when a target resolves
#
# A target that resolves to a block device on the build host gets that device's driver chain:
# every driver bound along its sysfs path (/sys/dev/block/MAJ:MIN and its parents), found by
# module name, driver name and modalias in the target kernel. A target that does not resolve
# (a USB drive not plugged in, a test image) gets the drivers of every supported bus: virtio,
# SATA/SCSI, NVMe and USB storage. Only the listed filesystems go in.
#
# Output: the modules; /etc/modules-load.d/00-kdump-storage.conf (the first of the lists:
# Kindling's /init has no udev, so it loads them from there), the filesystems' modules first,
# then the driver chains, while every bus's drivers are left to kdump-capture, which loads those
# of the hardware present; and lib/dracut/hostonly-kernel-modules.txt (what kdumpctl compares
# with the target's drivers to decide on a rebuild).

# shellcheck disable=SC2154 # set by dracut before it sources this file: initdir, srcmods, kernel

check() {
    return 255
}

depends() {
    return 0
}

kdump_storage_bus_drivers() {
    echo virtio_blk virtio_scsi virtio_pci
    echo ahci sd_mod
    echo nvme
    echo xhci_pci xhci_hcd ehci_pci ohci_pci uhci_hcd usb_storage uas
}

# What a filesystem needs besides its own module: ext4, xfs and btrfs checksum with crc32c (the
# crypto API asks for it at mount time, modules.dep does not say so); vfat converts names
# with the kernel's default codepage and iocharset.
kdump_storage_fs_drivers() {
    case $1 in
        ext4 | xfs | btrfs) echo "$1" crc32c_generic ;;
        vfat) echo vfat nls_cp437 nls_ascii nls_utf8 nls_iso8859_1 ;;
        *) echo "$1" ;;
    esac
}

# modprobe(8) on the target kernel's module tree, when srcmods has the usual layout
# (.../lib/modules/KVER) and a modules.dep.
kdump_storage_modprobe() {
    local _base=${srcmods%/}
    [[ $_base == */lib/modules/"$kernel" && -f $_base/modules.dep ]] || return 2
    _base=${_base%/lib/modules/"$kernel"}
    modprobe -d "${_base:-/}" -S "$kernel" "$@" 2>/dev/null
}

# Prints MAJ:MIN of the block device SPEC names on the build host, or fails.
kdump_storage_host_device() {
    local _spec=$1 _dev='' _name
    case $_spec in
        UUID=* | LABEL=* | PARTUUID=* | PARTLABEL=*)
            local _kind=${_spec%%=*}
            _kind=${_kind,,}
            _dev=${dracutsysrootdir-}/dev/disk/by-$_kind/${_spec#*=}
            [[ -e $_dev ]] || _dev=$(blkid -l -o device -t "$_spec" 2>/dev/null) || _dev=''
            ;;
        /dev/*) _dev=${dracutsysrootdir-}$_spec ;;
        *) return 1 ;;
    esac
    [[ -n $_dev ]] || return 1
    if [[ -b $_dev ]]; then
        _dev=$(readlink -f "$_dev")
    fi
    # A device node may be missing (containers) while sysfs still knows the disk by name.
    _name=${_dev##*/}
    [[ -r /sys/class/block/$_name/dev ]] || return 1
    local _number
    read -r _number <"/sys/class/block/$_name/dev" && printf '%s\n' "$_number"
}

# Prints the driver candidates along the sysfs path of MAJ:MIN: module names, driver names
# and modaliases, from the device up to the root of the device tree.
kdump_storage_chain() {
    local _path _driver
    _path=$(readlink -f "/sys/dev/block/$1") || return 1
    while [[ $_path == /sys/devices/* ]]; do
        if [[ -L $_path/driver ]]; then
            _driver=$(readlink -f "$_path/driver")
            if [[ -L $_driver/module ]]; then
                _driver=$(readlink -f "$_driver/module")
            fi
            echo "${_driver##*/}"
        fi
        [[ -r $_path/modalias ]] && cat "$_path/modalias"
        _path=${_path%/*}
    done
}

# Turns candidates (names or modaliases) into module names the target kernel has. Without a
# module tree modprobe can read, names are passed on for instmods to look up.
kdump_storage_resolve() {
    local _candidate _status
    for _candidate in "$@"; do
        kdump_storage_modprobe -R "$_candidate" && continue
        _status=$?
        if ((_status == 2)) && [[ $_candidate != *:* ]]; then
            echo "$_candidate"
        fi
    done
}

# Command output is read from here-strings, not process substitution: <(...) needs /dev/fd, which
# a chroot without /proc lacks, and the image then silently had no driver at all.

# kdump_storage_lines ARRAY: the non-empty lines read from stdin.
kdump_storage_lines() {
    local -n _lines=$1
    local _line
    _lines=()
    while IFS= read -r _line; do
        [[ -z $_line ]] || _lines+=("$_line")
    done
}

# kdump_storage_add_words ARRAY: appends the words read from stdin (no globbing).
kdump_storage_add_words() {
    local -n _array=$1
    local -a _line=()
    while read -ra _line; do
        _array+=("${_line[@]}")
    done
}

installkernel() {
    local _spec _majmin _all=${kdump_storage_all_buses-} _fs
    local -a _wanted=() _buses=() _candidates=() _targets=() _filesystems=()
    read -ra _targets <<<"${kdump_storage_targets-}"
    read -ra _filesystems <<<"${kdump_storage_filesystems-}"

    # The filesystem's modules first: /init loads them in this order, and the largest module
    # (xfs: 4.2 MB, its copy in the kernel and its BTF checked) then loads while the crash
    # kernel holds the least besides the tree.
    for _fs in "${_filesystems[@]}"; do
        kdump_storage_add_words _wanted <<<"$(kdump_storage_fs_drivers "$_fs")"
    done

    for _spec in "${_targets[@]}"; do
        if _majmin=$(kdump_storage_host_device "$_spec") && kdump_storage_lines _candidates <<<"$(kdump_storage_chain "$_majmin")" \
            && ((${#_candidates[@]} > 0)); then
            dinfo "kdump-storage: $_spec is $_majmin on this host: only its driver chain goes in"
            kdump_storage_add_words _wanted <<<"$(kdump_storage_resolve "${_candidates[@]}")"
        else
            dinfo "kdump-storage: $_spec is not on this host: the drivers of every supported bus go in"
            _all=yes
        fi
    done
    ((${#_targets[@]} > 0)) || _all=yes
    # Every bus: its drivers go in but not into modules-load.d; the capture loads those whose
    # hardware is there, by the devices' modaliases (kdump-capture, load_device_drivers), and the
    # rest cost the crash kernel no memory.
    if [[ $_all == yes ]]; then
        kdump_storage_add_words _buses <<<"$(kdump_storage_bus_drivers)"
    fi

    # hostonly='': the list is already what this host needs; strict hostonly would drop the
    # buses of a target that is not plugged in.
    hostonly='' instmods "${_wanted[@]}" "${_buses[@]}"
    kdump_storage_write_lists "${_wanted[@]}"
    return 0
}

# The requested modules that made it into the image go to modules-load.d, in request order
# (the rest load as their dependencies), in the list that sorts first: the filesystem's module
# also loads before extra_modules and the network's drivers. Every module in the image goes to
# hostonly-kernel-modules.txt.
kdump_storage_write_lists() {
    local _module _file _name
    local -A _present=() _listed=()
    # Module file names hold no newline: one a line.
    while IFS= read -r _file; do
        [[ -n $_file ]] || continue
        _name=${_file##*/}
        _name=${_name%%.ko*}
        _present[${_name//-/_}]=1
    done <<<"$(find "$initdir/lib/modules/$kernel" -name '*.ko*' 2>/dev/null)"

    inst_dir /etc/modules-load.d /lib/dracut
    for _module in "$@"; do
        _module=${_module//-/_}
        [[ -n ${_present[$_module]-} && -z ${_listed[$_module]-} ]] || continue
        _listed[$_module]=1
        echo "$_module"
    done >"$initdir/etc/modules-load.d/00-kdump-storage.conf"
    printf '%s\n' "${!_present[@]}" | sort >"$initdir/lib/dracut/hostonly-kernel-modules.txt"
}
