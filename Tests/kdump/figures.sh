#!/bin/bash
# Figures of Kindling's kdump capture image (case 1 of run-all.sh: ext4 on a virtio disk), on
# the Debian kernel of Tests/support/kernel-cache:
#   1. image size (gzip), with a target that resolves on the build host (only its driver chain;
#      this host's root disk stands in for it) and with one that does not (every bus);
#      the host-resolved image is also booted, to show that its chain is enough;
#   2. the smallest crashkernel= at which case 1 still captures (bisection, 8M steps);
#   3. build time, Kindling vs dracut 059 building the same kdumpbase (median of 3), and ratio;
#   mkdumprd: Fedora's real mkdumprd with dracut 059 and with Kindling (minimal and distribution
#   images): build times, ratios, sizes; mkdumprd_crashkernel: the smallest crashkernel= of each;
#   network: the nfs and ssh images (network.sh): sizes, smallest crashkernel=, capture times.
#   local: btrfs (Fedora-like) and LVM (RHEL-like) roots: image sizes, the smallest crashkernel=
#   of each, and the capture's time; local_lvm: the LVM part alone.
#   xfs: a plain xfs target's smallest crashkernel=, its region inside one memory section and
#   across two.
#
#   Tests/kdump/figures.sh [size] [crashkernel] [time] [mkdumprd] [mkdumprd_crashkernel] [network] [local] [local_lvm] [xfs]
#   (default: the first three)

# shellcheck disable=SC2317 # main runs the figure_* functions by name ("figure_$_figure")
set -u
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=mkdumprd.sh
. "$(dirname "${BASH_SOURCE[0]}")/mkdumprd.sh"
# shellcheck source=network.sh
. "$(dirname "${BASH_SOURCE[0]}")/network.sh"

mib() {
    awk -v b="$1" 'BEGIN { printf "%.2f MiB, %.2f MB", b / 1048576, b / 1000000 }'
}

image_modules() {
    "$KINDLING_LSINITRD" -f usr/lib/dracut/hostonly-kernel-modules.txt "$1" 2>/dev/null | paste -sd ' '
}

# A crash and capture with IMAGE on a fresh ext4 disk whose UUID the config names.
# capture_with IMAGE UUID CRASHKERNEL NAME
capture_with() {
    local _image=$1 _uuid=$2 _crashkernel=$3 _name=$4 _marker _status=0
    kd_disk_ext4 "$KD_WORK/$_name.disk" "$_uuid"
    [[ -f $KD_WORK/$_name.first.img ]] || kd_build_first "$KD_WORK/$_name.first.img" "$_image" || return 1
    _marker=$(kd_new_marker)
    kd_boot "$KD_WORK/$_name.first.img" "$KD_WORK/$_name.serial.log" "$_marker" "$_crashkernel" \
        -drive "file=$KD_WORK/$_name.disk,if=virtio,format=raw" || _status=$?
    ((_status != 124)) || return 1
    rm -rf "$KD_WORK/$_name.dump"
    kd_fetch_ext4 "$KD_WORK/$_name.disk" "$KD_WORK/$_name.dump" 2>/dev/null &&
        kd_check_dump "$KD_WORK/$_name.dump" "$_marker" 2>/dev/null
}

figure_size() {
    local _source _uuid _size
    # The build host's root disk: a target that resolves here (its driver chain goes in).
    _source=$(findmnt -n -o SOURCE /)
    printf 'ext4 %s\npath /var/crash\n' "$_source" >"$KD_WORK/host.conf"
    kd_build_capture "$KD_WORK/host.img" "$KD_WORK/host.conf" -m kdumpbase || return 1
    _size=$(stat -c %s "$KD_WORK/host.img")
    echo "size, target resolved on the build host ($_source): $_size bytes ($(mib "$_size"))"
    echo "  kernel modules: $(image_modules "$KD_WORK/host.img")"

    _uuid=$(kd_new_uuid)
    printf 'ext4 UUID=%s\npath /var/crash\n' "$_uuid" >"$KD_WORK/all.conf"
    kd_build_capture "$KD_WORK/all.img" "$KD_WORK/all.conf" -m kdumpbase || return 1
    _size=$(stat -c %s "$KD_WORK/all.img")
    echo "size, target not on the build host (every bus): $_size bytes ($(mib "$_size"))"
    echo "  kernel modules: $(image_modules "$KD_WORK/all.img")"

    # In the guest the dump disk is the first virtio disk too: the host-resolved image, whose
    # config names the device path, must capture with its driver chain alone.
    if [[ $_source == /dev/vda ]]; then
        kd_disk_ext4 "$KD_WORK/hostboot.disk" "$(kd_new_uuid)"
        if capture_with "$KD_WORK/host.img" "$(kd_new_uuid)" 256M hostboot; then
            echo "  the host-resolved image captures in the guest (crashkernel=256M): yes"
        else
            echo "  the host-resolved image captures in the guest (crashkernel=256M): NO"
        fi
    fi
}

# Bisection between a size known to fail and one known to work, in 8M steps.
figure_crashkernel() {
    local _uuid _low=32 _high=256 _mid _tried=''
    _uuid=$(kd_new_uuid)
    printf 'ext4 UUID=%s\npath /var/crash\n' "$_uuid" >"$KD_WORK/ck.conf"
    kd_build_capture "$KD_WORK/ck.img" "$KD_WORK/ck.conf" -m kdumpbase || return 1
    # A failing run ends with a panic (panic=10) or an OOM; bound it anyway.
    KD_TIMEOUT=${KDUMP_TEST_TIMEOUT:-}
    kd_choose_accel
    ((KD_TIMEOUT > 200)) && KD_TIMEOUT=200
    capture_with "$KD_WORK/ck.img" "$_uuid" "${_high}M" ck || { echo "crashkernel: case 1 fails even at ${_high}M"; return 1; }
    _tried="${_high}M ok"
    while ((_high - _low > 8)); do
        _mid=$(((_low + _high) / 2 / 8 * 8))
        if capture_with "$KD_WORK/ck.img" "$_uuid" "${_mid}M" ck; then
            _high=$_mid
            _tried+=", ${_mid}M ok"
        else
            _low=$_mid
            _tried+=", ${_mid}M fails"
            # Why, from the capture kernel's part of the log (after its own "Command line:").
            awk '/Command line:/ { n++ } n >= 2' "$KD_WORK/ck.serial.log" |
                grep -a -m2 -E "Out of memory|Initramfs unpacking failed|Kernel panic|Killed process" | sed "s/^/    ${_mid}M | /" >&2
        fi
    done
    echo "crashkernel: smallest that captures: ${_high}M (image $(stat -c %s "$KD_WORK/ck.img") bytes; tried: $_tried)"
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# seconds COMMAND...: wall time of one run.
seconds() {
    local _start _end
    _start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || return 1
    _end=$(date +%s.%N)
    awk -v a="$_start" -v b="$_end" 'BEGIN { printf "%.2f\n", b - a }'
}

figure_time() {
    local _uuid _i _kindling _dracut
    local -a _k=() _d=()
    _uuid=$(kd_new_uuid)
    printf 'ext4 UUID=%s\npath /var/crash\n' "$_uuid" >"$KD_WORK/time.conf"
    for _i in 1 2 3; do
        _k+=("$(seconds kd_build_capture "$KD_WORK/time-k.img" "$KD_WORK/time.conf" -m kdumpbase)") || return 1
        _d+=("$(seconds kd_build_dracut "$KD_WORK/time-d.img" "$KD_WORK/time.conf")") || return 1
    done
    _kindling=$(printf '%s\n' "${_k[@]}" | median)
    _dracut=$(printf '%s\n' "${_d[@]}" | median)
    echo "build time, Kindling: ${_kindling}s median (runs ${_k[*]}), image $(stat -c %s "$KD_WORK/time-k.img") bytes"
    echo "build time, dracut 059: ${_dracut}s median (runs ${_d[*]}), image $(stat -c %s "$KD_WORK/time-d.img") bytes"
    echo "build time ratio dracut/Kindling: $(awk -v k="$_kindling" -v d="$_dracut" 'BEGIN { printf "%.1f", d / k }')"
}

# Fedora's real mkdumprd (kdump-utils 1.0.61, see mkdumprd.sh) with real dracut 059 and with
# Kindling's alias, the minimal image (the default) and the distribution's (kdump_image=distro):
# build times (median of 3, in turns), ratios and image sizes.
figure_mkdumprd() {
    local _uuid _i _tool
    local -A _times=()
    ku_setup || return 1
    _uuid=$(kd_new_uuid)
    ku_ext4_disk mkdumprd-figures "$_uuid"
    ku_ext4_conf mkdumprd-figures "$_uuid"
    for _i in 1 2 3; do
        _times[dracut]+=" $(seconds ku_build mkdumprd-dracut "$KD_WORK/mkdumprd-figures.conf" \
            "$KD_WORK/mkdumprd-figures.disk" --dracut real -- -I /usr/bin/grep)" || return 1
        _times[minimal]+=" $(seconds ku_build mkdumprd-minimal "$KD_WORK/mkdumprd-figures.conf" \
            "$KD_WORK/mkdumprd-figures.disk")" || return 1
        _times[distro]+=" $(seconds ku_build mkdumprd-distro "$KD_WORK/mkdumprd-figures.conf" \
            "$KD_WORK/mkdumprd-figures.disk" --conf kdump_image=distro -- -I /usr/bin/grep)" || return 1
    done
    for _tool in dracut minimal distro; do
        read -ra _runs <<<"${_times[$_tool]}"
        _times[$_tool.median]=$(printf '%s\n' "${_runs[@]}" | median)
        printf 'mkdumprd, %-34s %6ss median (runs%s), image %s\n' \
            "$(case $_tool in dracut) echo "dracut 059:" ;; minimal) echo "Kindling, minimal image:" ;;
                distro) echo "Kindling, distribution image:" ;; esac)" \
            "${_times[$_tool.median]}" "${_times[$_tool]}" "$(mib "$(stat -c %s "$KD_WORK/mkdumprd-$_tool.img")")"
    done
    echo "mkdumprd ratio dracut/Kindling: minimal image $(awk -v k="${_times[minimal.median]}" -v d="${_times[dracut.median]}" \
        'BEGIN { printf "%.1f", d / k }')x (goal 10x), distribution image $(awk -v k="${_times[distro.median]}" \
        -v d="${_times[dracut.median]}" 'BEGIN { printf "%.1f", d / k }')x (goal 3x)"
}

# The smallest crashkernel= (8M steps) at which each image mkdumprd builds through Kindling
# captures: the minimal one and the distribution's.
figure_mkdumprd_crashkernel() {
    local _uuid _image _low _high _mid _tried
    ku_setup || return 1
    _uuid=$(kd_new_uuid)
    ku_ext4_disk mkdumprd-ck "$_uuid"
    ku_ext4_conf mkdumprd-ck "$_uuid"
    ku_build mkdumprd-ck-minimal "$KD_WORK/mkdumprd-ck.conf" "$KD_WORK/mkdumprd-ck.disk" || return 1
    ku_build mkdumprd-ck-distro "$KD_WORK/mkdumprd-ck.conf" "$KD_WORK/mkdumprd-ck.disk" \
        --conf kdump_image=distro -- -I /usr/bin/grep || return 1
    KD_TIMEOUT=${KDUMP_TEST_TIMEOUT:-}
    kd_choose_accel
    ((KD_TIMEOUT > 200)) && KD_TIMEOUT=200
    for _image in minimal distro; do
        _low=32 _high=256 _tried=''
        rm -f "$KD_WORK/mkdumprd-ck-$_image-run.first.img"
        capture_with "$KD_WORK/mkdumprd-ck-$_image.img" "$_uuid" "${_high}M" "mkdumprd-ck-$_image-run" ||
            { echo "mkdumprd crashkernel, $_image image: fails even at ${_high}M"; continue; }
        while ((_high - _low > 8)); do
            _mid=$(((_low + _high) / 2 / 8 * 8))
            if capture_with "$KD_WORK/mkdumprd-ck-$_image.img" "$_uuid" "${_mid}M" "mkdumprd-ck-$_image-run"; then
                _high=$_mid _tried+=" ${_mid}M ok"
            else
                _low=$_mid _tried+=" ${_mid}M fails"
            fi
        done
        echo "mkdumprd crashkernel, $_image image: smallest that captures: ${_high}M (tried:$_tried)"
    done
}

# local_capture NAME IMAGE DISK FETCH CRASHKERNEL: one crash and capture onto DISK (a virtio disk),
# the dump read back with FETCH and checked. A capture that succeeds adds a line to
# KD_WORK/NAME.captures: the crashkernel=, the capture kernel's time from its boot to "saved
# vmcore" (its own log's clock) and QEMU's run.
local_capture() {
    local _name=$1 _image=$2 _disk=$3 _fetch=$4 _crashkernel=$5 _marker _status=0 _seconds
    [[ -f $KD_WORK/$_name.first.img ]] || kd_build_first "$KD_WORK/$_name.first.img" "$_image" || return 1
    _marker=$(kd_new_marker)
    kd_boot "$KD_WORK/$_name.first.img" "$KD_WORK/$_name.serial.log" "$_marker" "$_crashkernel" \
        -drive "file=$_disk,if=virtio,format=raw" || _status=$?
    ((_status != 124)) || return 1
    _seconds=$(grep -a "kdump: saved vmcore" "$KD_WORK/$_name.serial.log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' | tail -n 1)
    rm -rf "$KD_WORK/$_name.dump"
    "$_fetch" "$_disk" "$KD_WORK/$_name.dump" 2>/dev/null && kd_check_dump "$KD_WORK/$_name.dump" "$_marker" 2>/dev/null || return 1
    echo "$_crashkernel: capture ${_seconds}s, QEMU ${KD_ELAPSED}s" >>"$KD_WORK/$_name.captures"
}

# local_bisect NAME IMAGE DISK FETCH: the smallest crashkernel= at which IMAGE captures.
local_bisect() {
    local _smallest
    rm -f "$KD_WORK/$1.captures"
    _smallest=$(kd_smallest_crashkernel local_capture "$@")
    echo "$1: smallest crashkernel= that captures: $_smallest; at $(head -n 1 "$KD_WORK/$1.captures" 2>/dev/null)"
}

figure_local() {
    local _uuid _size _name
    # Sizes with this host's root disk standing in for a target that resolves here (virtio only),
    # as in figure_size: a plain xfs and btrfs target, to set the LVM image against.
    for _name in xfs btrfs; do
        printf '%s %s\npath /var/crash\n' "$_name" "$(findmnt -n -o SOURCE /)" >"$KD_WORK/local-$_name.conf"
        kd_build_capture "$KD_WORK/local-$_name.img" "$KD_WORK/local-$_name.conf" -m kdumpbase || return 1
        _size=$(stat -c %s "$KD_WORK/local-$_name.img")
        echo "size, $_name on this host's root disk (virtio chain): $_size bytes ($(mib "$_size"))"
    done
    # Fedora-like btrfs root, built chrooted on its subvolume root: a loop device, so every bus.
    _uuid=$(kd_new_uuid)
    kd_disk_fedora "$KD_WORK/local-fedora.disk" "$_uuid" || return 1
    printf 'path /var/crash\n' >"$KD_WORK/local-fedora.conf"
    kd_build_on_btrfs_root "$KD_WORK/local-fedora.disk" "$KD_WORK/local-fedora.img" "$KD_WORK/local-fedora.conf" >/dev/null 2>&1 || return 1
    _size=$(stat -c %s "$KD_WORK/local-fedora.img")
    echo "size, btrfs root (Fedora-like, no target line; loop device at build time, so every bus): $_size bytes ($(mib "$_size"))"
    KD_TIMEOUT=${KDUMP_TEST_TIMEOUT:-}
    kd_choose_accel
    ((KD_TIMEOUT > 200)) && KD_TIMEOUT=200
    local_bisect local-fedora "$KD_WORK/local-fedora.img" "$KD_WORK/local-fedora.disk" kd_fetch_btrfs
    figure_local_lvm
}

# local_lvm (part of local, or alone): the RHEL-like LVM root, built in the builder guest on
# rhel/root (a virtio disk there): its size and smallest crashkernel=.
figure_local_lvm() {
    local _size
    kd_lvm_builder >/dev/null 2>&1 || { echo "the builder guest failed"; return 1; }
    _size=$(stat -c %s "$KD_WORK/lvm-rhel-root.img")
    echo "size, xfs on LVM rhel/root (RHEL-like, no target line; virtio chain): $_size bytes ($(mib "$_size"))"
    KD_TIMEOUT=${KDUMP_TEST_TIMEOUT:-}
    kd_choose_accel
    ((KD_TIMEOUT > 200)) && KD_TIMEOUT=200
    local_bisect local-lvm "$KD_WORK/lvm-rhel-root.img" "$KD_WORK/lvm-rhel.disk" kd_fetch_lvm
}

# xfs: a plain xfs target on its own driver chain (this host's root disk stands in, as in
# figure_size): the smallest crashkernel= (2M steps from 96M) with the reserved region pinned
# inside one 128 MB memory section (@640M) and across a section boundary (@576M); the kernel's
# memory map costs 2 MB for each section the region touches. A first kernel that could not
# reserve the region there (early allocations in the way) is retried once.
figure_xfs() {
    local _size _at _mb _result _tries
    printf 'xfs %s\npath /var/crash\n' "$(findmnt -n -o SOURCE /)" >"$KD_WORK/xfs.conf"
    kd_build_capture "$KD_WORK/xfs.img" "$KD_WORK/xfs.conf" -m kdumpbase || return 1
    _size=$(stat -c %s "$KD_WORK/xfs.img")
    echo "size, xfs on this host's root disk (virtio chain): $_size bytes ($(mib "$_size"))"
    KD_TIMEOUT=${KDUMP_TEST_TIMEOUT:-}
    kd_choose_accel
    ((KD_TIMEOUT > 200)) && KD_TIMEOUT=200
    for _at in 640M 576M; do
        _result='' _tries=''
        for _mb in 96 98 100 102 104; do
            kd_disk_xfs "$KD_WORK/xfs.disk" "$(kd_new_uuid)"
            local_capture xfs "$KD_WORK/xfs.img" "$KD_WORK/xfs.disk" kd_fetch_xfs "${_mb}M@$_at" 2>/dev/null && _result=${_mb}M
            if [[ -z $_result ]] && grep -aq "crashkernel reservation failed" "$KD_WORK/xfs.serial.log"; then
                kd_disk_xfs "$KD_WORK/xfs.disk" "$(kd_new_uuid)"
                local_capture xfs "$KD_WORK/xfs.img" "$KD_WORK/xfs.disk" kd_fetch_xfs "${_mb}M@$_at" 2>/dev/null && _result=${_mb}M
            fi
            if [[ -n $_result ]]; then
                _tries+=" ${_mb}M ok"
                break
            fi
            _tries+=" ${_mb}M fails"
            # Why: the first kernel's reservation, or the capture kernel's own lines.
            grep -a -m1 "crashkernel reservation failed" "$KD_WORK/xfs.serial.log" | sed "s/^/    ${_mb}M@$_at | /" >&2
            awk '/Command line:/ { n++ } n >= 2' "$KD_WORK/xfs.serial.log" |
                grep -a -m2 -E "Out of memory|Initramfs unpacking failed|Kernel panic" | sed "s/^/    ${_mb}M@$_at | /" >&2
        done
        echo "xfs, region at $_at: smallest crashkernel= that captures: ${_result:-more than 104M} (tried:$_tries)"
    done
}

main() {
    local -a _figures=("$@")
    ((${#_figures[@]} > 0)) || _figures=(size crashkernel time)
    kd_setup || exit 1
    local _figure _status=0
    for _figure in "${_figures[@]}"; do
        "figure_$_figure" || _status=1
    done
    exit $_status
}

main "$@"
