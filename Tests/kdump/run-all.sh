#!/bin/bash
# Kindling's kdump tests: build-time checks of kdumpbase's configuration handling, then crash
# and capture runs under QEMU (see lib.sh). Prints one PASS/FAIL line per case and a final
# "N passed, N failed" line; exits non-zero when a case fails.
#
#   Tests/kdump/run-all.sh [CASE...]     (default: every case; names below, e.g. ext4-uuid)
#
# Needs (Debian): qemu-system-x86, busybox-static, kexec-tools, makedumpfile, e2fsprogs,
# dosfstools, mtools, fdisk (sfdisk), dracut-core (cases using dracut's modules), kmod, btrfs-progs,
# lvm2, xfsprogs (btrfs and LVM cases); the network cases (network.sh): nfs-ganesha,
# nfs-ganesha-vfs, rpcbind, dropbear-bin, openssh-client, iproute2.

set -u
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=mkdumprd.sh
. "$(dirname "${BASH_SOURCE[0]}")/mkdumprd.sh"
# shellcheck source=network.sh
. "$(dirname "${BASH_SOURCE[0]}")/network.sh"

# --- build-time cases: the configuration is checked before anything boots ----------------------

# config_case NAME EXPECT(ok|fail) GREP CONFIG_TEXT: builds with --no-kernel and checks the
# status and that the output mentions GREP.
config_case() {
    local _name=$1 _expect=$2 _grep=$3 _text=$4 _status=0 _conf=$KD_WORK/$1.conf
    printf '%s\n' "$_text" >"$_conf"
    KDUMP_CONFIG_FILE=$_conf "$KINDLING" -f --no-kernel -m kdumpbase "$KD_WORK/$_name.img" >"$KD_WORK/$_name.out" 2>&1 || _status=$?
    if [[ $_expect == ok && $_status != 0 ]] || [[ $_expect == fail && $_status == 0 ]]; then
        kd_log "exit status $_status, expected $_expect"
        sed 's/^/    | /' "$KD_WORK/$_name.out" >&2
        return 1
    fi
    if [[ -n $_grep ]] && ! grep -q -- "$_grep" "$KD_WORK/$_name.out"; then
        kd_log "the output does not mention '$_grep':"
        sed 's/^/    | /' "$KD_WORK/$_name.out" >&2
        return 1
    fi
    kd_log "$(grep -m1 -- "${_grep:-.}" "$KD_WORK/$_name.out" || true)"
}

case_config-unknown-directive() {
    config_case unknown fail "unknown.conf:3: unknown directive 'frobnicate'$" \
        "$(printf 'ext4 /dev/vda\n# a comment\nfrobnicate yes\npath /var/crash')" || return 1
    # A slip gets the directive meant (a letter left out, two letters swapped); a word far from
    # every directive, or as near to two of them (ext5: ext2, ext3, ext4), gets no suggestion.
    config_case misspelt fail "misspelt.conf:2: unknown directive 'core_colector'; did you mean 'core_collector'?" \
        "$(printf '%s\n' 'ext4 /dev/vda' 'core_colector makedumpfile -l -d 31' 'ptah /var/crash' 'ext5 /dev/vdb')" || return 1
    grep -q -- "misspelt.conf:3: unknown directive 'ptah'; did you mean 'path'?" "$KD_WORK/misspelt.out" ||
        { kd_log "no suggestion for 'ptah'"; return 1; }
    grep -q -- "misspelt.conf:4: unknown directive 'ext5'$" "$KD_WORK/misspelt.out" ||
        { kd_log "'ext5' is as near to ext2, ext3 and ext4, yet got a suggestion"; return 1; }
}

# What the minimal image still does not serve: fence_kdump, NFS from an IPv6 address.
case_config-network-refused() {
    config_case fence fail "fence.conf:2: 'fence_kdump_nodes': fence_kdump is not supported by the minimal image" \
        "$(printf 'ext4 /dev/vda\nfence_kdump_nodes node1')" || return 1
    config_case nfs6 fail "nfs6.conf:1: 'nfs' to an IPv6 address is not supported by the minimal image" "nfs [fd00::1]:/export"
}

case_config-one-target() {
    config_case twotargets fail "only one dump target is allowed" "$(printf 'ext4 /dev/vda\nxfs LABEL=x')"
}

# Nothing in a value is evaluated: neither at build time nor in the image's configuration.
case_config-no-evaluation() {
    local _flag=$KD_WORK/evaluated
    # shellcheck disable=SC2016 # values that must never be expanded, by the test or by Kindling
    config_case metachar ok "" "$(printf '%s\n' 'ext4 LABEL=a$(touch_'"$_flag"')' \
        'path /var/crash;touch${IFS}'"$_flag")" || return 1
    [[ ! -e $_flag ]] || { kd_log "a value was evaluated"; return 1; }
    "$KINDLING_LSINITRD" -f etc/kdump.conf "$KD_WORK/metachar.img" | grep -q 'touch' || { kd_log "the values did not reach the image"; return 1; }
    # The capture runs core_collector without a shell, so shell syntax there is refused at build
    # time, naming the line, rather than failing at crash time.
    config_case metachar-collector fail "metachar-collector.conf:2: core_collector: shell syntax" \
        "$(printf '%s\n' 'ext4 /dev/vda' "core_collector makedumpfile -l -d 31 \`touch $_flag\`")" || return 1
    [[ ! -e $_flag ]] || { kd_log "core_collector was evaluated"; return 1; }
    # shellcheck disable=SC2016 # as above
    config_case metachar-bins fail "extra_bins: cannot find '\$(touch'" "$(printf 'ext4 /dev/vda\nextra_bins $(touch %s)' "$_flag")" || return 1
    [[ ! -e $_flag ]]
}

# What the directives install: extra_bins, extra_modules and dracut_args' --add-drivers (also
# loaded at boot), kdump_pre/kdump_post, and the image's checked configuration (the old name
# "default", dump_to_rootfs with the build host's root, -F dropped for a filesystem).
case_config-extras() {
    local _hook=$KD_WORK/pre-hook.sh _image=$KD_WORK/extras.img _listing=$KD_WORK/extras.list _want _conf
    printf '#!/bin/sh\nexit 0\n' >"$_hook"
    chmod +x "$_hook"
    printf '%s\n' "ext4 LABEL=dumps" "path /crash" "core_collector makedumpfile -F -c -d 31" "default dump_to_rootfs" \
        "final_action poweroff" "kdump_pre $_hook" "kdump_post $_hook" "extra_bins /usr/bin/stat" \
        "extra_modules vfat" "dracut_args --add-drivers 'nls_utf8 loop' --omit plymouth" \
        "auto_reset_crashkernel yes" >"$KD_WORK/extras.conf"
    KDUMP_CONFIG_FILE=$KD_WORK/extras.conf "$KINDLING" -f --kver "$KVER" --kmoddir "$KD_KMODDIR" -m kdumpbase "$_image" \
        >"$KD_WORK/extras.out" 2>&1 || { sed 's/^/    | /' "$KD_WORK/extras.out" >&2; return 1; }
    "$KINDLING_LSINITRD" "$_image" >"$_listing"
    for _want in usr/bin/stat "${_hook#/}" fs/fat/vfat.ko fs/nls/nls_utf8.ko drivers/block/loop.ko; do
        grep -q -- "$_want" "$_listing" || { kd_log "the image lacks $_want"; return 1; }
    done
    "$KINDLING_LSINITRD" -f etc/modules-load.d/kdump-extra.conf "$_image" | paste -sd ' ' | grep -qx "vfat nls_utf8 loop" ||
        { kd_log "kdump-extra.conf does not list vfat nls_utf8 loop"; return 1; }
    grep -q "dracut_args '--omit' is not applied" "$KD_WORK/extras.out" || { kd_log "no warning about --omit"; return 1; }
    _conf=$("$KINDLING_LSINITRD" -f etc/kdump.conf "$_image")
    for _want in "ext4 LABEL=dumps" "path /crash" "core_collector makedumpfile -c -d 31" "failure_action dump_to_rootfs" \
        "final_action poweroff" "kdump_pre $_hook" "kdump_post $_hook" "rootfs "; do
        grep -q -- "^$_want" <<<"$_conf" || { kd_log "the image's kdump.conf lacks '$_want'"; printf '%s\n' "$_conf" | sed 's/^/    | /' >&2; return 1; }
    done
    kd_log "image kdump.conf: $(grep -v '^#' <<<"$_conf" | paste -sd '|')"
}

# Fedora mkdumprd's dracut command line, verbatim (kdump.md §1, with --add-confdir since
# Kindling's --help lists it), plus --kmoddir because this host has no /lib/modules/KVER.
# The image must be the kdump image, with what kdumpctl reads back from it.
case_mkdumprd-invocation() {
    local _confdir=$KD_WORK/kdump.conf.d _image=$KD_WORK/mkdumprd.img _uuid _file
    _uuid=$(kd_new_uuid)
    mkdir -p "$_confdir"
    cat >"$_confdir/99-kdump.conf" <<'EOF'
dracutmodules=''
add_dracutmodules+=" kdumpbase "
omit_dracutmodules+=" hwdb rdma plymouth resume ifcfg earlykdump clevis clevis-pin-null clevis-pin-tang clevis-pin-sss clevis-pin-tpm2 "
omit_drivers+=" nouveau amdgpu "
EOF
    printf 'ext4 UUID=%s\npath /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n' "$_uuid" >"$KD_WORK/mkdumprd.conf"
    if ! IN_KDUMP=1 KDUMP_CONFIG_FILE=$KD_WORK/mkdumprd.conf "$KINDLING" --kmoddir "$KD_KMODDIR" \
        --quiet --hostonly --hostonly-cmdline --hostonly-i18n --hostonly-mode strict --hostonly-nics '' \
        --aggressive-strip --mount "UUID=$_uuid /kdumproot/var/crash ext4 rw,relatime" \
        --no-hostonly-default-device --add-confdir "$_confdir" -f "$_image" "$KVER" >"$KD_WORK/mkdumprd.out" 2>&1; then
        sed 's/^/    | /' "$KD_WORK/mkdumprd.out" >&2
        return 1
    fi
    for _file in usr/lib/dracut/build-parameter.txt usr/lib/dracut/modules.txt usr/lib/dracut/hostonly-kernel-modules.txt etc/kdump.conf; do
        "$KINDLING_LSINITRD" -f "$_file" "$_image" >"$KD_WORK/mkdumprd.${_file##*/}" 2>/dev/null
        [[ -s $KD_WORK/mkdumprd.${_file##*/} ]] || { kd_log "the image has no $_file"; return 1; }
    done
    grep -qx kdumpbase "$KD_WORK/mkdumprd.modules.txt" || { kd_log "modules.txt does not list kdumpbase"; return 1; }
    grep -q -- "--mount 'UUID=$_uuid /kdumproot/var/crash ext4 rw,relatime'" "$KD_WORK/mkdumprd.build-parameter.txt" ||
        { kd_log "build-parameter.txt lacks the --mount argument as kdumpctl parses it"; return 1; }
    grep -q "^ext4 UUID=$_uuid" "$KD_WORK/mkdumprd.kdump.conf" || { kd_log "the image's kdump.conf lacks the target"; return 1; }
    kd_log "modules: $(paste -sd ' ' "$KD_WORK/mkdumprd.modules.txt"); kernel modules: $(wc -l <"$KD_WORK/mkdumprd.hostonly-kernel-modules.txt")"
}

# The capture script's PARTUUID reader (no udev, no blkid in the image) against sfdisk's own
# identifiers, on GPT and MBR disk images; the script's functions run under dash, as POSIX sh.
case_partuuid-reader() {
    local _disk=$KD_WORK/parts.disk _functions=$KD_WORK/capture-functions.sh _label _n _want _got _status=0
    sed '/^# --- main/,$d' "$KD_CHECKOUT/modules.d/99kdumpbase/kdump-capture.sh" >"$_functions"
    for _label in gpt dos; do
        rm -f "$_disk"
        truncate -s 64M "$_disk"
        printf 'label: %s\nsize=8M\nsize=8M\nsize=8M\n' "$_label" | sfdisk -q "$_disk"
        for _n in 1 3; do
            if [[ $_label == gpt ]]; then
                _want=$(sfdisk --part-uuid "$_disk" "$_n")
            else
                _want=$(printf '%s-%02x' "$(sfdisk --disk-id "$_disk" | sed 's/^0x//')" "$_n")
            fi
            _want=${_want,,}
            # shellcheck disable=SC2016 # dash expands them
            _got=$(dash -c '. "$1"; partuuid "$2" "$3"' sh "$_functions" "$_disk" "$_n")
            kd_log "$_label partition $_n: sfdisk $_want, kdump-capture $_got"
            [[ -n $_want && $_got == "$_want" ]] || _status=1
        done
    done
    return $_status
}

# --- capture runs ---------------------------------------------------------------------------------

# capture_case NAME CHECK_KIND FETCH DISK [kind-specific]: see the cases below.
# run_capture NAME CAPTURE_IMAGE FETCH_FUNCTION DISK_IMAGE [qemu disk options...]; the first
# kernel reserves KD_CRASHKERNEL (default 256M).
run_capture() {
    local _name=$1 _image=$2 _fetch=$3 _disk=$4 _marker _status=0 _kind=fs _crashkernel=${KD_CRASHKERNEL:-256M}
    shift 4
    [[ $_fetch == kd_fetch_raw ]] && _kind=raw
    kd_log "capture image: $(stat -c %s "$_image") bytes"
    kd_build_first "$KD_WORK/$_name.first.img" "$_image" || { kd_log "the first-stage image did not build"; return 1; }
    _marker=$(kd_new_marker)
    kd_boot "$KD_WORK/$_name.first.img" "$KD_WORK/$_name.serial.log" "$_marker" "$_crashkernel" "$@" || _status=$?
    kd_log "QEMU ran ${KD_ELAPSED}s (crashkernel=$_crashkernel), status $_status"
    kd_show_log "$KD_WORK/$_name.serial.log" 12
    ((_status != 124)) || { kd_log "QEMU timed out"; return 1; }
    "$_fetch" "$_disk" "$KD_WORK/$_name.dump" || return 1
    kd_check_dump "$KD_WORK/$_name.dump" "$_marker" "$_kind"
}

# ext4 on a virtio disk, by UUID.
ext4_uuid_case() {
    local _name=$1 _uuid
    shift
    _uuid=$(kd_new_uuid)
    kd_disk_ext4 "$KD_WORK/$_name.disk" "$_uuid"
    printf 'ext4 UUID=%s\npath /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n' "$_uuid" >"$KD_WORK/$_name.conf"
    "$@" "$KD_WORK/$_name.img" "$KD_WORK/$_name.conf" || { kd_log "the capture image did not build"; return 1; }
    run_capture "$_name" "$KD_WORK/$_name.img" kd_fetch_ext4 "$KD_WORK/$_name.disk" \
        -drive "file=$KD_WORK/$_name.disk,if=virtio,format=raw"
}

kindling_capture() {
    kd_build_capture "$@" -m kdumpbase
}

# dracut's stock systemd modules first on the module path: dracut's base and busybox shadow
# Kindling's, kdumpbase and kdump-storage come from Kindling's modules.d.
kindling_systemd_capture() {
    kd_build_capture "$@" --kdump-image distro --modules-dir /usr/lib/dracut/modules.d \
        -m "systemd systemd-initrd dracut-systemd kdumpbase"
}

case_ext4-uuid() {
    ext4_uuid_case ext4-uuid kindling_capture
}

case_usb-vfat-label() {
    local _name=usb-vfat-label
    kd_disk_vfat "$KD_WORK/$_name.disk" KDUMPUSB
    printf 'vfat LABEL=KDUMPUSB\npath /var/crash\n' >"$KD_WORK/$_name.conf"
    kd_build_capture "$KD_WORK/$_name.img" "$KD_WORK/$_name.conf" -m kdumpbase || { kd_log "the capture image did not build"; return 1; }
    run_capture "$_name" "$KD_WORK/$_name.img" kd_fetch_vfat "$KD_WORK/$_name.disk" \
        -device qemu-xhci,id=xhci -drive "if=none,id=stick,format=raw,file=$KD_WORK/$_name.disk" \
        -device usb-storage,bus=xhci.0,drive=stick || return 1
    # Every bus's drivers are in the image; the capture found the stick through the modaliases
    # of the controller, its interface and its disk, one after the other.
    kd_crash_log "$KD_WORK/$_name.serial.log" | grep -q "usbcore: registered new interface driver usb-storage" ||
        { kd_log "the capture kernel did not load usb-storage"; return 1; }
}

case_raw() {
    local _name=raw
    kd_disk_raw "$KD_WORK/$_name.disk"
    printf 'raw /dev/vda\ncore_collector makedumpfile -l -d 31\n' >"$KD_WORK/$_name.conf"
    kd_build_capture "$KD_WORK/$_name.img" "$KD_WORK/$_name.conf" -m kdumpbase || { kd_log "the capture image did not build"; return 1; }
    run_capture "$_name" "$KD_WORK/$_name.img" kd_fetch_raw "$KD_WORK/$_name.disk" \
        -drive "file=$KD_WORK/$_name.disk,if=virtio,format=raw"
}

case_systemd-ext4-uuid() {
    ext4_uuid_case systemd-ext4-uuid kindling_systemd_capture
}

case_dracut-ext4-uuid() {
    ext4_uuid_case dracut-ext4-uuid kd_build_dracut
}

# A target that never appears: failure_action (poweroff here, so it is not mistaken for the
# default reboot) must run once rd.timeout has passed, and nothing may be written elsewhere.
case_missing-target() {
    local _name=missing-target
    kd_disk_ext4 "$KD_WORK/$_name.disk" "$(kd_new_uuid)"
    printf 'ext4 UUID=%s\nfailure_action poweroff\n' "$(kd_new_uuid)" >"$KD_WORK/$_name.conf"
    kd_build_capture "$KD_WORK/$_name.img" "$KD_WORK/$_name.conf" -m kdumpbase || return 1
    kd_capture_fails "$_name" "$KD_WORK/$_name.img" "kdump: .*did not appear within 10s" "with the wait's timeout" \
        -drive "file=$KD_WORK/$_name.disk,if=virtio,format=raw" || return 1
    ! debugfs -R "ls /var/crash" "$KD_WORK/$_name.disk" 2>/dev/null | grep -q '127\.0\.0\.1-' || { kd_log "something was dumped"; return 1; }
}

# --- the build host's root filesystem as the target: btrfs (Fedora) and LVM (RHEL) --------------

# Fedora's default: kdump.conf names no target, / is the btrfs subvolume root. The build runs
# chrooted on the test disk's subvolume (kd_build_on_btrfs_root), so the module must find the
# filesystem, its UUID and the subvolume itself; the vmcore must land in root's /var/crash.
case_btrfs-fedora() {
    local _name=btrfs-fedora _disk=$KD_WORK/btrfs-fedora.disk _uuid
    _uuid=$(kd_new_uuid)
    kd_disk_fedora "$_disk" "$_uuid" || { kd_log "the Fedora-like disk was not made"; return 1; }
    printf 'path /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n' >"$KD_WORK/$_name.conf"
    kd_build_on_btrfs_root "$_disk" "$KD_WORK/$_name.img" "$KD_WORK/$_name.conf" >"$KD_WORK/$_name.out" 2>&1 ||
        { sed 's/^/    | /' "$KD_WORK/$_name.out" >&2; kd_log "the capture image did not build"; return 1; }
    kd_expect_conf "$KD_WORK/$_name.img" "btrfs UUID=$_uuid" "path /var/crash" "btrfs_subvolume subvol=/root" || return 1
    # The issue's goal, 96M: the image has every bus's drivers (the disk is a loop device on the
    # build host), and the capture loads only those of the hardware there (a virtio disk).
    KD_CRASHKERNEL=${KD_CRASHKERNEL:-96M} run_capture "$_name" "$KD_WORK/$_name.img" kd_fetch_btrfs "$_disk" \
        -drive "file=$_disk,if=virtio,format=raw" || return 1
    kd_only_present_buses "$KD_WORK/$_name.serial.log"
}

# A Fedora host in a VM: its btrfs root on a virtio disk (built in the builder guest, see
# kd_lvm_builder). The target resolves, so the image has that disk's driver chain only (the
# issue's 4 MB goal is this image's), and captures at 96M.
case_btrfs-fedora-virtio() {
    local _name=btrfs-fedora-virtio _image=$KD_WORK/btrfs-virtio.img
    kd_lvm_builder || { kd_log "the builder guest failed"; return 1; }
    [[ $(cat "$KD_WORK/btrfs-virtio.status") == 0 ]] ||
        { sed 's/^/    | /' "$KD_WORK/btrfs-virtio.out" >&2; kd_log "the capture image did not build"; return 1; }
    kd_expect_conf "$_image" "btrfs UUID=$(cat "$KD_WORK/btrfs-virtio.uuid")" "path /var/crash" "btrfs_subvolume subvol=/root" || return 1
    "$KINDLING_LSINITRD" "$_image" >"$KD_WORK/$_name.list"
    grep -q "drivers/block/virtio_blk.ko" "$KD_WORK/$_name.list" || { kd_log "the image lacks virtio_blk"; return 1; }
    ! grep -q -E "usb-storage|nvme|ahci|virtio_scsi" "$KD_WORK/$_name.list" || { kd_log "the image has other buses' drivers"; return 1; }
    KD_CRASHKERNEL=${KD_CRASHKERNEL:-96M} run_capture "$_name" "$_image" kd_fetch_btrfs "$KD_WORK/btrfs-virtio.disk" \
        -drive "file=$KD_WORK/btrfs-virtio.disk,if=virtio,format=raw"
}

# btrfs on two disks (raid1), named by UUID, its subvolume dumps mounted on the build host: the
# image mounts that subvolume, after registering both devices with the btrfs tool it brings.
case_btrfs-two-devices() {
    local _name=btrfs-two-devices _uuid _disk1=$KD_WORK/btrfs-two-devices.1.disk
    _uuid=$(kd_new_uuid)
    printf 'btrfs UUID=%s\npath /var/crash\n' "$_uuid" >"$KD_WORK/$_name.conf"
    kd_btrfs_pair "$_disk1" "${_disk1/.1./.2.}" "$_uuid" "$KD_WORK/$_name.img" "$KD_WORK/$_name.conf" >"$KD_WORK/$_name.out" 2>&1 ||
        { sed 's/^/    | /' "$KD_WORK/$_name.out" >&2; kd_log "the capture image did not build"; return 1; }
    kd_expect_conf "$KD_WORK/$_name.img" "btrfs UUID=$_uuid" "btrfs_subvolume subvol=/dumps" "btrfs_scan 2" || return 1
    "$KINDLING_LSINITRD" "$KD_WORK/$_name.img" | grep -q -E ' usr/s?bin/btrfs$' || { kd_log "the image lacks the btrfs tool"; return 1; }
    run_capture "$_name" "$KD_WORK/$_name.img" kd_fetch_btrfs_pair "$_disk1" \
        -drive "file=$_disk1,if=virtio,format=raw" -drive "file=${_disk1/.1./.2.},if=virtio,format=raw"
}

# RHEL's default: / is xfs on logical volume rhel/root. This host may lack device-mapper, so
# the disk is made and the images built in the builder guest (kd_lvm_builder), on a root that is
# rhel/root; the image must hold Kindling's device-mapper loader (kindling-dmload) and the
# metadata reader (kdump-lvm.sh), neither lvm nor dmsetup and its libraries, and activate only
# rhel/root.
lvm_case() {
    local _name=$1 _want
    shift
    kd_lvm_builder || { kd_log "the builder guest failed"; return 1; }
    [[ -s $KD_WORK/$_name.img ]] || { kd_log "no $_name.img"; return 1; }
    kd_expect_conf "$KD_WORK/$_name.img" "$@" "path /var/crash" "lvm rhel root" || return 1
    "$KINDLING_LSINITRD" "$KD_WORK/$_name.img" >"$KD_WORK/$_name.list"
    for _want in usr/sbin/kindling-dmload usr/lib/kindling-kdump/kdump-lvm.sh /dm-mod.ko fs/xfs/xfs.ko drivers/block/virtio_blk.ko; do
        grep -q -- "$_want" "$KD_WORK/$_name.list" || { kd_log "the image lacks $_want"; return 1; }
    done
    # xfs.ko (4.2 MB) is kept whole, so busybox loads it from the tree with finit_module; dm_mod
    # is as small as most modules and xz-compressed.
    grep -q -E 'fs/xfs/xfs\.ko$' "$KD_WORK/$_name.list" || { kd_log "xfs.ko is not kept uncompressed"; return 1; }
    grep -q -E '/dm-mod\.ko\.xz$' "$KD_WORK/$_name.list" || { kd_log "dm-mod is not xz-compressed"; return 1; }
    # The metadata reader replaces the lvm tool, the loader dmsetup, and their libraries.
    ! grep -q -E "sbin/lvm$|etc/lvm/" "$KD_WORK/$_name.list" || { kd_log "the image has the lvm tool"; return 1; }
    ! grep -q -E "/dmsetup$|libdevmapper|libudev|libselinux|libpcre2|libm\.so" "$KD_WORK/$_name.list" ||
        { kd_log "the image has dmsetup or its libraries: $(grep -E "/dmsetup$|libdevmapper|libudev|libselinux|libpcre2|libm\.so" "$KD_WORK/$_name.list" | awk '{ print $NF }' | paste -sd ' ')"; return 1; }
    # Only the target's drivers: its physical volume is a virtio disk in the builder guest.
    ! grep -q -E "usb-storage|nvme|ahci" "$KD_WORK/$_name.list" || { kd_log "the image has other buses' drivers"; return 1; }
}

case_lvm-rhel-root() {
    local _uuid
    kd_lvm_builder || { kd_log "the builder guest failed"; return 1; }
    read -r _ _ _uuid <"$KD_WORK/lvm-rhel.layout" || return 1
    lvm_case lvm-rhel-root "xfs UUID=$_uuid" || return 1
    # The issue's goal, 96M, in the placement with the least memory: 608M-704M straddles the
    # memory sections at 640M, whose maps cost 2 MB more than one section's. xfs loads first,
    # its file emptied once the kernel has read it, and dm_mod after.
    KD_CRASHKERNEL=${KD_CRASHKERNEL:-96M@608M} run_capture lvm-rhel-root "$KD_WORK/lvm-rhel-root.img" kd_fetch_lvm "$KD_WORK/lvm-rhel.disk" \
        -drive "file=$KD_WORK/lvm-rhel.disk,if=virtio,format=raw" || return 1
    grep -q "kdump: logical volume rhel/root is active" "$KD_WORK/lvm-rhel-root.serial.log" ||
        { kd_log "no log line of rhel/root's activation"; return 1; }
    # xfs.ko, kept whole in the image, leaves the tree once loaded (its 4.2 MB back for the dump).
    grep -q "kdump: removed xfs.ko from the tree: its module is loaded" "$KD_WORK/lvm-rhel-root.serial.log" ||
        { kd_log "xfs.ko was not removed from the tree after loading"; return 1; }
}

case_lvm-rhel-mapper() {
    lvm_case lvm-rhel-mapper "xfs /dev/mapper/rhel-root" || return 1
    run_capture lvm-rhel-mapper "$KD_WORK/lvm-rhel-mapper.img" kd_fetch_lvm "$KD_WORK/lvm-rhel.disk" \
        -drive "file=$KD_WORK/lvm-rhel.disk,if=virtio,format=raw"
}

# The volume by LVM's /dev/VG/LV name (captured), and by its filesystem's label (the build must
# find the same volume group and volume).
case_lvm-rhel-names() {
    lvm_case lvm-rhel-label "xfs LABEL=rhelroot" || return 1
    lvm_case lvm-rhel-vglv "xfs /dev/rhel/root" || return 1
    run_capture lvm-rhel-vglv "$KD_WORK/lvm-rhel-vglv.img" kd_fetch_lvm "$KD_WORK/lvm-rhel.disk" \
        -drive "file=$KD_WORK/lvm-rhel.disk,if=virtio,format=raw"
}

# The image for rhel/root, and at capture time a disk whose volume group rhel has no root:
# failure_action (poweroff) runs after rd.timeout, and the log names the missing volume.
case_lvm-missing-lv() {
    local _name=lvm-missing-lv
    lvm_case "$_name" "xfs /dev/mapper/rhel-root" || return 1
    kd_capture_fails "$_name" "$KD_WORK/$_name.img" "kdump: logical volume rhel/root is not in volume group rhel" \
        "naming the missing volume" -drive "file=$KD_WORK/lvm-noroot.disk,if=virtio,format=raw"
}

# The image's LVM reader and loader against LVM (lvm-reader-guest.sh, in the builder guest): the
# reader's tables for volumes of several linear and striped segments, and of metadata that wraps
# round its area, are those LVM loads, byte for byte; what kindling-dmload makes from them is what
# LVM made (dmsetup info and table) with its /dev/mapper node; the loader refuses a table the
# kernel refuses and a name in use, leaving nothing made; and the reader refuses a missing
# physical volume, a header failing its checksum and disagreeing copies.
case_lvm-reader-vs-lvm() {
    kd_lvm_builder || { kd_log "the builder guest failed"; return 1; }
    sed 's/^/    | /' "$KD_WORK/lvm-reader.out" >&2
    [[ $(cat "$KD_WORK/lvm-reader.status" 2>/dev/null) == 0 ]] || { kd_log "the reader's checks failed"; return 1; }
    grep -q "^PASS seg-vg/striped: " "$KD_WORK/lvm-reader.out" && grep -q "^PASS seg-vg/striped: the loader made what LVM made" "$KD_WORK/lvm-reader.out" &&
        grep -q "^PASS wrap-vg/lv: the loader made what LVM made" "$KD_WORK/lvm-reader.out" && grep -qx "15 passed, 0 failed" "$KD_WORK/lvm-reader.out"
}

# A thin volume: the minimal image does not serve it, and the build says so in one line that names
# the volume (built in the builder guest, on a root that is the thin volume rhel/thin); nor
# dump_to_rootfs with the root on rhel/root, nor a kindling binary without kindling-dmload.
case_lvm-thin-refused() {
    local _line
    kd_lvm_builder || { kd_log "the builder guest failed"; return 1; }
    [[ $(cat "$KD_WORK/lvm-thin.status" 2>/dev/null) != 0 ]] || { kd_log "the thin volume's image was built"; return 1; }
    _line=$(grep "logical volume rhel/thin sits on device-mapper device 'rhel-pool-tpool'" "$KD_WORK/lvm-thin.out") ||
        { sed 's/^/    | /' "$KD_WORK/lvm-thin.out" >&2; kd_log "no line naming the thin volume"; return 1; }
    kd_log "$_line"
    # dump_to_rootfs mounts the root without LVM: a root on rhel/root is refused as well.
    [[ $(cat "$KD_WORK/lvm-rootfs.status" 2>/dev/null) != 0 ]] || { kd_log "dump_to_rootfs on rhel/root was built"; return 1; }
    _line=$(grep "failure_action dump_to_rootfs: the root filesystem is on device-mapper (rhel-root)" "$KD_WORK/lvm-rootfs.out") ||
        { sed 's/^/    | /' "$KD_WORK/lvm-rootfs.out" >&2; kd_log "no line refusing dump_to_rootfs"; return 1; }
    kd_log "$_line"
    # A kindling binary without its kindling-dmload: refused, naming the loader's path (no dmsetup).
    [[ $(cat "$KD_WORK/lvm-noloader.status" 2>/dev/null) != 0 ]] || { kd_log "an image was built without kindling-dmload"; return 1; }
    _line=$(grep "is LVM logical volume rhel/root, and Kindling's device-mapper loader is missing: no executable '$KD_WORK/noloader/kindling-dmload'" "$KD_WORK/lvm-noloader.out") ||
        { sed 's/^/    | /' "$KD_WORK/lvm-noloader.out" >&2; kd_log "no line naming the missing kindling-dmload"; return 1; }
    kd_log "$_line"
}

# --- Kindling's base on its own: root=, switch_root, and failure -------------------------------

# base_image OUTPUT: base plus the ext4 and virtio drivers (kdump-storage, configured by a
# dracut.conf file), no kdump.
base_image() {
    printf 'kdump_storage_targets="/dev/vda"\nkdump_storage_filesystems="ext4"\n' >"$KD_WORK/base.conf"
    "$KINDLING" -q -f --kver "$KVER" --kmoddir "$KD_KMODDIR" -c "$KD_WORK/base.conf" -m "base kdump-storage" "$1"
}

# root=UUID= on a virtio disk: /init finds it without udev, mounts it and switches to its init
# (here a script that logs and powers off). rd.driver.pre loads its module (crc32c_intel needs
# SSE4.2: "-cpu max" under TCG); rd.debug must not get in the way.
case_base-switch-root() {
    local _uuid _tree=$KD_WORK/rootfs _status=0 _log=$KD_WORK/base-root.serial.log
    _uuid=$(kd_new_uuid)
    base_image "$KD_WORK/base.img" || return 1
    mkdir -p "$_tree/sbin" "$_tree/bin" "$_tree/dev" "$_tree/proc" "$_tree/sys" "$_tree/run"
    cp /bin/busybox "$_tree/bin/busybox"
    cat >"$_tree/sbin/init" <<'EOF'
#!/bin/busybox sh
# crc32c_intel is in the image (ext4's softdep) but only rd.driver.pre loads it.
echo "KINDLING-ROOT-OK driver-pre=$(/bin/busybox grep -c '^crc32c_intel ' /proc/modules)" >/dev/kmsg
/bin/busybox poweroff -f
EOF
    chmod +x "$_tree/sbin/init"
    rm -f "$KD_WORK/root.disk"
    truncate -s 64M "$KD_WORK/root.disk"
    mkfs.ext4 -q -F -U "$_uuid" -d "$_tree" "$KD_WORK/root.disk"
    kd_choose_accel
    timeout "$KD_TIMEOUT" qemu-system-x86_64 -accel "$KD_ACCEL" -cpu "$([[ $KD_ACCEL == kvm ]] && echo host || echo max)" \
        -m 512 -nodefaults -display none -no-reboot \
        -serial "file:$_log" -kernel "$KD_VMLINUZ" -initrd "$KD_WORK/base.img" \
        -append "console=ttyS0 panic=1 root=UUID=$_uuid rootfstype=ext4 rd.debug rd.driver.pre=crc32c_intel" \
        -drive "file=$KD_WORK/root.disk,if=virtio,format=raw" >/dev/null 2>&1 || _status=$?
    grep -a -E "KINDLING-ROOT-OK|init: switching" "$_log" | sed 's/^/    | /' >&2
    ((_status == 0)) && grep -aq "KINDLING-ROOT-OK driver-pre=1" "$_log"
}

# rd.break=pre-mount gives a shell on the console (fed through QEMU's serial stdin); when it
# exits, the boot goes on to the root. The typed line holds $((6*7)), so only a shell that ran
# it prints BREAK-SHELL-42.
case_base-break-shell() {
    local _uuid _status=0 _log=$KD_WORK/base-break.serial.log _typist
    [[ -f $KD_WORK/root.disk ]] || case_base-switch-root >/dev/null 2>&1 || return 1
    _uuid=$(blkid -o value -s UUID "$KD_WORK/root.disk")
    kd_choose_accel
    # The typist keeps the console's input open until QEMU is done, then is stopped.
    rm -f "$KD_WORK/console.in"
    mkfifo "$KD_WORK/console.in"
    (
        sleep 20
        # shellcheck disable=SC2016 # typed into the image's shell, which does the arithmetic
        printf 'echo BREAK-SHELL-$((6*7))\nexit\n'
        exec sleep "$KD_TIMEOUT"
    ) >"$KD_WORK/console.in" &
    _typist=$!
    timeout "$KD_TIMEOUT" qemu-system-x86_64 -accel "$KD_ACCEL" -m 512 -nodefaults -display none -no-reboot \
        -serial stdio -monitor none -kernel "$KD_VMLINUZ" -initrd "$KD_WORK/base.img" \
        -append "console=ttyS0 panic=1 root=UUID=$_uuid rd.break=pre-mount" \
        -drive "file=$KD_WORK/root.disk,if=virtio,format=raw" <"$KD_WORK/console.in" >"$_log" 2>&1 || _status=$?
    kill "$_typist" 2>/dev/null
    wait "$_typist" 2>/dev/null
    grep -a -E "Break before|BREAK-SHELL-42|KINDLING-ROOT-OK" "$_log" | sed 's/^/    | /' >&2
    grep -aq "BREAK-SHELL-42" "$_log" && grep -aq "KINDLING-ROOT-OK" "$_log"
}

# A root that never appears: without rd.shell, /init reboots once rd.timeout has passed.
case_base-failure-reboots() {
    local _status=0 _log=$KD_WORK/base-fail.serial.log
    [[ -f $KD_WORK/base.img ]] || base_image "$KD_WORK/base.img" || return 1
    kd_choose_accel
    timeout "$KD_TIMEOUT" qemu-system-x86_64 -accel "$KD_ACCEL" -m 512 -nodefaults -display none -no-reboot \
        -serial "file:$_log" -kernel "$KD_VMLINUZ" -initrd "$KD_WORK/base.img" \
        -append "console=ttyS0 panic=1 root=UUID=$(kd_new_uuid) rd.timeout=3" >/dev/null 2>&1 || _status=$?
    grep -a -E "\] init: " "$_log" | sed 's/^/    | /' >&2
    ((_status == 0)) && grep -aq "init: FATAL: root device .* did not appear within 3s" "$_log" &&
        grep -aq "reboot: Restarting system" "$_log"
}

KD_ALL_CASES=(config-unknown-directive config-network-refused config-one-target config-no-evaluation config-extras partuuid-reader mkdumprd-invocation base-switch-root base-break-shell base-failure-reboots
    ext4-uuid usb-vfat-label raw systemd-ext4-uuid dracut-ext4-uuid missing-target
    mkdumprd-minimal mkdumprd-usb mkdumprd-no-dracut mkdumprd-distro mkdumprd-vs-dracut mkdumprd-squash mkdumprd-ssh
    mkdumprd-nfs nfs nfs3 ssh ssh-openssh nfs-unreachable net-config
    btrfs-fedora btrfs-fedora-virtio btrfs-two-devices lvm-rhel-root lvm-rhel-mapper lvm-rhel-names lvm-missing-lv lvm-thin-refused lvm-reader-vs-lvm)

main() {
    local _case _passed=0 _failed=0 _start
    local -a _cases=("$@")
    ((${#_cases[@]} > 0)) || _cases=("${KD_ALL_CASES[@]}")
    kd_setup || { echo "FAIL setup"; echo "0 passed, 1 failed"; exit 1; }
    for _case in "${_cases[@]}"; do
        if ! declare -F "case_$_case" >/dev/null; then
            echo "FAIL $_case (no such case)"
            ((++_failed))
            continue
        fi
        _start=$(date +%s)
        if "case_$_case"; then
            echo "PASS $_case ($(($(date +%s) - _start))s)"
            ((++_passed))
        else
            echo "FAIL $_case ($(($(date +%s) - _start))s)"
            ((++_failed))
        fi
    done
    echo "$_passed passed, $_failed failed"
    ((_failed == 0))
}

main "$@"
