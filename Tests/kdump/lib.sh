#!/bin/bash
# Shared helpers of Kindling's kdump end-to-end tests, sourced by run-all.sh and figures.sh.
#
# A run: build the capture image under test, build a first-stage image (Kindling's base plus
# Tests/fixtures/kdump's kdump-crasher: kexec, the capture kernel and image), boot it under
# QEMU with crashkernel=, let it arm kdump, log a marker and crash; the capture kernel boots
# the image under test, which saves the dump. The dump disk is then read on the host without
# mounting it (debugfs, mtools, dd) and the saved vmcore must hold the crash and the marker.
#
# Environment:
#   KINDLING              the kindling binary (default: .build/debug/kindling of this checkout)
#   KDUMP_TEST_ACCEL      kvm or tcg (default: kvm when a probe boot works, else tcg)
#   KDUMP_TEST_KEEP=1     keep the work directory (it is printed)
#   KDUMP_TEST_TIMEOUT    seconds one QEMU run may take (default: 120 with kvm, 300 with tcg)

set -u
. "$(dirname "${BASH_SOURCE[0]}")/../support/private-dracut-config.sh"

KD_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KD_CHECKOUT=$(cd "$KD_TESTS/../.." && pwd)
KD_FIXTURES=$KD_CHECKOUT/Tests/fixtures/kdump
KINDLING=${KINDLING:-$KD_CHECKOUT/.build/debug/kindling}
KINDLING_LSINITRD=${KINDLING_LSINITRD:-${KINDLING}-lsinitrd}

# The capture kernel's command line, after kdump-utils' x86_64 defaults (what this kernel knows).
KD_CAPTURE_APPEND="console=ttyS0 irqpoll nr_cpus=1 reset_devices cgroup_disable=memory mce=off numa=off \
udev.children-max=2 panic=10 acpi_no_memhotplug transparent_hugepage=never nokaslr hest_disable novmcoredd"

kd_log() {
    printf '  %s\n' "$*" >&2
}

# kd_setup: the kernel (KVER, KD_VMLINUZ, KD_KMODDIR), the accelerator and a work directory.
kd_setup() {
    local _kernel
    _kernel=$("$KD_CHECKOUT/Tests/support/kernel-cache") || return 1
    read -r KVER KD_KROOT <<<"$_kernel"
    KD_VMLINUZ=$KD_KROOT/boot/vmlinuz-$KVER
    KD_KMODDIR=$KD_KROOT/lib/modules/$KVER
    KD_WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/kindling-kdump.XXXXXX")
    if [[ ${KDUMP_TEST_KEEP-} == 1 ]]; then
        echo "work directory: $KD_WORK" >&2
    else
        trap 'rm -rf "$KD_WORK"' EXIT
    fi
    KD_ACCEL=${KDUMP_TEST_ACCEL-}
    kd_log "kernel $KVER"
}

# kd_choose_accel: once, before the first boot (a probe costs up to 10 s).
kd_choose_accel() {
    [[ -n ${KD_TIMEOUT-} ]] && return 0
    [[ -n $KD_ACCEL ]] || KD_ACCEL=$(kd_probe_accel)
    if [[ $KD_ACCEL == kvm ]]; then
        KD_TIMEOUT=${KDUMP_TEST_TIMEOUT:-120}
    else
        KD_TIMEOUT=${KDUMP_TEST_TIMEOUT:-300}
    fi
    kd_log "QEMU: accel $KD_ACCEL, timeout ${KD_TIMEOUT}s"
}

# /dev/kvm can be openable and still not run a guest (nested virtualization): boot the kernel
# without an initramfs and wait for its first lines.
kd_probe_accel() {
    local _log
    [[ -r /dev/kvm && -w /dev/kvm ]] || { echo tcg; return; }
    _log=$(mktemp)
    timeout 10 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults -display none -no-reboot \
        -serial "file:$_log" -kernel "$KD_VMLINUZ" -append "console=ttyS0 panic=-1" >/dev/null 2>&1
    if grep -q "Kernel command line" "$_log"; then echo kvm; else echo tcg; fi
    rm -f "$_log"
}

kd_new_marker() {
    od -An -N8 -tx1 /dev/urandom | tr -d ' \n'
}

kd_new_uuid() {
    cat /proc/sys/kernel/random/uuid
}

# kd_build_capture OUTPUT CONFIG [kindling options...]: the image under test, built by Kindling.
kd_build_capture() {
    local _output=$1 _config=$2
    shift 2
    KDUMP_CONFIG_FILE=$_config "$KINDLING" -q -f --kver "$KVER" --kmoddir "$KD_KMODDIR" -m kdumpbase "$@" "$_output"
}

# kd_build_dracut OUTPUT CONFIG: the same kdumpbase built by real dracut 059, from a copy of its
# base directory with Kindling's kdumpbase and kdump-storage added (dracut's base and busybox).
kd_build_dracut() {
    local _base=$KD_WORK/dracutbase
    if [[ ! -d $_base ]]; then
        cp -a /usr/lib/dracut "$_base"
        cp -a "$KD_CHECKOUT/modules.d/99kdumpbase" "$KD_CHECKOUT/modules.d/90kdump-storage" "$_base/modules.d/"
    fi
    KDUMP_CONFIG_FILE=$2 dracutbasedir=$_base dracut -q -f --no-hostonly --gzip --kver "$KVER" \
        --kmoddir "$KD_KMODDIR" -m kdumpbase "$1"
}

# kd_build_first OUTPUT CAPTURE_IMAGE [EXTRA_APPEND]: the first kernel's initramfs. Its payload
# (a kernel and an image) is compressed already: gzip -1 saves time for nothing lost.
kd_build_first() {
    KDUMP_TEST_KERNEL=$KD_VMLINUZ KDUMP_TEST_CAPTURE_IMAGE=$2 KDUMP_TEST_APPEND="$KD_CAPTURE_APPEND ${3-}" \
        "$KINDLING" -q -f --no-kernel --modules-dir "$KD_FIXTURES/modules.d" -m kdump-crasher \
        --compress "gzip -1" "$1"
}

# kd_boot FIRST_IMAGE SERIAL_LOG MARKER CRASHKERNEL [qemu options...]: one crash and capture.
# Returns QEMU's status (124 when the timeout ended it); KD_ELAPSED holds the seconds it took.
kd_boot() {
    local _first=$1 _log=$2 _marker=$3 _crashkernel=$4 _start _status=0
    shift 4
    local -a _cpu=()
    kd_choose_accel
    [[ $KD_ACCEL == kvm ]] && _cpu=(-cpu host)
    # A pinned region (SIZE@OFFSET) must not meet the first kernel, which KASLR places anywhere.
    [[ $_crashkernel == *@* ]] && _crashkernel="$_crashkernel nokaslr"
    _start=$(date +%s)
    timeout "$KD_TIMEOUT" qemu-system-x86_64 -accel "$KD_ACCEL" "${_cpu[@]}" -m 768 -smp 1 \
        -nodefaults -display none -no-reboot -serial "file:$_log" \
        -kernel "$KD_VMLINUZ" -initrd "$_first" \
        -append "console=ttyS0 crashkernel=$_crashkernel panic=1 kdtest.marker=$_marker" \
        "$@" >"$_log.qemu" 2>&1 || _status=$?
    # shellcheck disable=SC2034 # read by the caller
    KD_ELAPSED=$(($(date +%s) - _start))
    return $_status
}

# --- dump disks ---------------------------------------------------------------------------------

# kd_disk_ext4 IMAGE UUID: a whole-disk ext4 filesystem.
kd_disk_ext4() {
    rm -f "$1"
    truncate -s 1G "$1"
    mkfs.ext4 -q -F -U "$2" -L kdumptest "$1"
}

# kd_disk_vfat IMAGE LABEL: an MBR disk whose first partition (at 1 MiB) is FAT32.
kd_disk_vfat() {
    rm -f "$1" "$1.part"
    truncate -s 512M "$1"
    printf 'label: dos\nstart=2048, type=c\n' | sfdisk -q "$1"
    truncate -s $((512 * 1024 * 1024 - 1024 * 1024)) "$1.part"
    mkfs.vfat -F 32 -n "$2" "$1.part" >/dev/null
    dd if="$1.part" of="$1" bs=1M seek=1 conv=notrunc,sparse status=none
    rm -f "$1.part"
}

kd_disk_raw() {
    rm -f "$1"
    truncate -s 256M "$1"
}

# --- reading dumps back --------------------------------------------------------------------------

# kd_fetch_ext4 IMAGE DESTDIR: copies the newest <path>/127.0.0.1-*/ of /var/crash to DESTDIR.
kd_fetch_ext4() {
    local _image=$1 _dest=$2 _dir _file
    _dir=$(debugfs -R "ls /var/crash" "$_image" 2>/dev/null | tr -s ' \t' '\n' | grep '^127\.0\.0\.1-' | sort | tail -n 1)
    [[ -n $_dir ]] || { kd_log "no 127.0.0.1-* directory in /var/crash"; return 1; }
    kd_log "dump directory: /var/crash/$_dir"
    mkdir -p "$_dest"
    for _file in $(debugfs -R "ls /var/crash/$_dir" "$_image" 2>/dev/null | tr -s ' \t' '\n' | grep -E '^(vmcore|vmcore-dmesg.txt|vmcore-incomplete|kexec-dmesg.log)$'); do
        debugfs -R "dump /var/crash/$_dir/$_file $_dest/$_file" "$_image" >/dev/null 2>&1
    done
}

# kd_fetch_vfat IMAGE DESTDIR: the same from the FAT partition at 1 MiB, with mtools.
kd_fetch_vfat() {
    local _image="$1@@1M" _dest=$2 _dir _file
    _dir=$(MTOOLS_SKIP_CHECK=1 mdir -b -i "$_image" ::/var/crash 2>/dev/null | sed 's|/$||; s|.*/||' | grep '^127\.0\.0\.1-' | sort | tail -n 1)
    [[ -n $_dir ]] || { kd_log "no 127.0.0.1-* directory in /var/crash"; return 1; }
    kd_log "dump directory: /var/crash/$_dir"
    mkdir -p "$_dest"
    MTOOLS_SKIP_CHECK=1 mcopy -n -i "$_image" "::/var/crash/$_dir/*" "$_dest/" 2>/dev/null
    true
}

# kd_fetch_raw IMAGE DESTDIR: the flattened stream at the start of the disk, rearranged.
kd_fetch_raw() {
    mkdir -p "$2"
    makedumpfile -R "$2/vmcore" <"$1" >/dev/null 2>&1
}

# kd_check_dump DIR MARKER [fs|raw]: the vmcore shows the crash and the marker; a filesystem
# dump also has vmcore-dmesg.txt and no vmcore-incomplete.
kd_check_dump() {
    local _dir=$1 _marker=$2 _kind=${3:-fs}
    [[ -s $_dir/vmcore ]] || { kd_log "no vmcore"; return 1; }
    if [[ $_kind == fs ]]; then
        [[ -s $_dir/vmcore-dmesg.txt ]] || { kd_log "no vmcore-dmesg.txt"; return 1; }
        [[ ! -e $_dir/vmcore-incomplete ]] || { kd_log "vmcore-incomplete is left"; return 1; }
    fi
    makedumpfile --dump-dmesg "$_dir/vmcore" "$_dir/dmesg.txt" >/dev/null 2>&1 || { kd_log "makedumpfile --dump-dmesg failed"; return 1; }
    grep -q "sysrq: Trigger a crash" "$_dir/dmesg.txt" || { kd_log "the dump's log lacks 'sysrq: Trigger a crash'"; return 1; }
    grep -q "KINDLING-KDUMP-MARKER-$_marker" "$_dir/dmesg.txt" || { kd_log "the dump's log lacks the marker $_marker"; return 1; }
    kd_log "vmcore $(stat -c %s "$_dir/vmcore") bytes; its log: $(grep -h -E "KINDLING-KDUMP-MARKER|sysrq: Trigger a crash" "$_dir/dmesg.txt" | tr -s ' ' | paste -sd '|')"
}

# kd_show_log SERIAL_LOG: the capture's own lines, for the report and for failures.
kd_show_log() {
    grep -a -E "kdump:|init:|KINDLING-KDUMP-MARKER|sysrq: Trigger|Kernel panic|Out of memory|Initramfs unpacking failed" "$1" \
        | sed 's/\r$//' | tail -n "${2:-25}" | sed 's/^/    | /' >&2
}

# kd_capture_fails NAME IMAGE CAUSE WHAT QEMU_ARGS...: boots IMAGE (its kdump.conf says
# failure_action poweroff) as the capture kernel's with rd.timeout=10. Succeeds when QEMU powered
# off by itself and the log shows CAUSE (a grep pattern; WHAT says what it is when it is missing)
# and then the failure action.
kd_capture_fails() {
    local _name=$1 _image=$2 _cause=$3 _what=$4 _status=0 _log=$KD_WORK/$1.serial.log
    shift 4
    kd_build_first "$KD_WORK/$_name.first.img" "$_image" "rd.timeout=10" || return 1
    kd_boot "$KD_WORK/$_name.first.img" "$_log" "$(kd_new_marker)" 256M "$@" || _status=$?
    kd_log "QEMU ran ${KD_ELAPSED}s, status $_status"
    kd_show_log "$_log" 8
    ((_status == 0)) || { kd_log "QEMU did not power off by itself"; return 1; }
    grep -aq -e "$_cause" "$_log" || { kd_log "no log line $_what"; return 1; }
    grep -aq "kdump: failure action: poweroff" "$_log" || { kd_log "failure_action did not run"; return 1; }
}

# kd_expect_conf IMAGE LINE...: logs the image's /etc/kdump.conf and fails, naming the line,
# unless it has each LINE whole.
kd_expect_conf() {
    local _conf _want
    _conf=$("$KINDLING_LSINITRD" -f etc/kdump.conf "$1")
    shift
    kd_log "image kdump.conf: $(grep -v '^#' <<<"$_conf" | paste -sd '|')"
    for _want in "$@"; do
        grep -qx -- "$_want" <<<"$_conf" || { kd_log "the image's kdump.conf lacks '$_want'"; return 1; }
    done
}

# kd_crash_log SERIAL_LOG: what the capture kernel printed (the lines after the panic).
kd_crash_log() {
    sed -n '/sysrq: Trigger a crash/,$p' "$1"
}

# kd_only_present_buses SERIAL_LOG: an image with every bus's drivers, captured on a virtio
# disk, loaded no USB, SATA or SCSI driver: the capture loads the drivers of present hardware.
kd_only_present_buses() {
    local _loaded
    _loaded=$(kd_crash_log "$1" | grep -a -E "usbcore: registered new|libata version|SCSI subsystem initialized|nvme" | head -n 3)
    [[ -z $_loaded ]] || { kd_log "the capture loaded drivers of absent buses: $(paste -sd '|' <<<"$_loaded")"; return 1; }
    kd_log "no driver of an absent bus loaded"
}

# kd_smallest_crashkernel RUNNER [ARGUMENTS...]: the smallest crashkernel= (8M steps, 32M..256M)
# at which `RUNNER ARGUMENTS... CRASHKERNEL` succeeds, with what was tried. 96M, the goal, is
# tried first: most searches end near it.
kd_smallest_crashkernel() {
    local _low=32 _high=256 _mid _tried=''
    "$@" 256M 2>/dev/null || { echo "fails even at 256M"; return 1; }
    if "$@" 96M 2>/dev/null; then _high=96 _tried+=" 96M ok"; else _low=96 _tried+=" 96M fails"; fi
    while ((_high - _low > 8)); do
        _mid=$(((_low + _high) / 2 / 8 * 8))
        if "$@" "${_mid}M" 2>/dev/null; then
            _high=$_mid _tried+=" ${_mid}M ok"
        else
            _low=$_mid _tried+=" ${_mid}M fails"
        fi
    done
    echo "${_high}M (tried:$_tried)"
}

# --- the build host's own root filesystem: btrfs and LVM targets ---------------------------------

# kd_root_dirs: what a build chrooted on a test root filesystem (as-root.sh) must see of this
# host besides /usr, /etc and /opt: the checkout, the kindling binary, the kernel and the work
# directory.
kd_root_dirs() {
    printf '%s\n' "$KD_CHECKOUT" "$(dirname "$KINDLING")" "$KD_KROOT" "$KD_WORK"
}

# kd_disk_fedora IMAGE UUID: a GPT disk laid out as Fedora's default install: partition 1 a
# 64 MiB ext4 /boot, partition 2 (1100 MiB from 65 MiB) btrfs with the label fedora, the given
# UUID and the subvolumes root (holding /var/crash) and home. Made on loop devices in a private
# mount namespace; KD_BTRFS_PART is partition 2's offset and size for losetup.
KD_BTRFS_PART="--offset $((65 * 1024 * 1024)) --sizelimit $((1100 * 1024 * 1024))"
kd_disk_fedora() {
    rm -f "$1"
    truncate -s 1200M "$1"
    printf 'label: gpt\nstart=1MiB, size=64MiB, name=boot\nstart=65MiB, size=1100MiB, name=root\n' | sfdisk -q "$1" || return 1
    mkfs.ext4 -q -F -L boot -E offset=$((1024 * 1024)) "$1" 64M || return 1
    # shellcheck disable=SC2016 # expanded by the namespace's bash
    unshare --mount --propagation private -- bash -c '
        set -eu
        read -ra part <<<"$2"
        loop=$(losetup --find --show "${part[@]}" "$1")
        mnt=$(mktemp -d)
        trap "umount \"\$mnt\" 2>/dev/null; losetup -d \"\$loop\"; rmdir \"\$mnt\"" EXIT
        mkfs.btrfs -q -f -U "$3" -L fedora "$loop" >/dev/null
        mount -t btrfs "$loop" "$mnt"
        btrfs -q subvolume create "$mnt/root"
        btrfs -q subvolume create "$mnt/home"
        mkdir -p "$mnt/root/var/crash"
    ' kd-disk-fedora "$1" "$KD_BTRFS_PART" "$2"
}

# kd_build_on_btrfs_root DISK OUTPUT CONFIG: the capture image built as on a Fedora host whose
# root is DISK's subvolume root: in a private mount namespace, that subvolume is mounted on a new
# root and Kindling runs chrooted there (as-root.sh), so nothing tells it the target.
kd_build_on_btrfs_root() {
    local -a _dirs=()
    kd_lines _dirs <<<"$(kd_root_dirs)"
    # shellcheck disable=SC2016 # expanded by the namespace's bash
    unshare --mount --propagation private -- bash -c '
        set -eu
        disk=$1 offset=$2 output=$3 config=$4 kindling=$5 kver=$6 kmoddir=$7 as_root=$8
        shift 8
        read -ra part <<<"$offset"
        loop=$(losetup --find --show "${part[@]}" "$disk")
        mnt=$(mktemp -d)
        trap "umount -R \"\$mnt\" 2>/dev/null; losetup -d \"\$loop\"; rmdir \"\$mnt\"" EXIT
        mount -t btrfs -o subvol=root "$loop" "$mnt"
        status=0
        bash "$as_root" "$mnt" "$@" -- env KDUMP_CONFIG_FILE="$config" "$kindling" -f --kver "$kver" \
            --kmoddir "$kmoddir" -m kdumpbase "$output" || status=$?
        exit "$status"
    ' kd-btrfs-root "$1" "$KD_BTRFS_PART" "$2" "$3" "$KINDLING" "$KVER" "$KD_KMODDIR" "$KD_TESTS/as-root.sh" "${_dirs[@]}"
}

# kd_fetch_btrfs IMAGE DESTDIR: the newest /var/crash/127.0.0.1-*/ of the subvolume root of
# partition 2, mounted read-only in a private mount namespace.
kd_fetch_btrfs() {
    mkdir -p "$2"
    # shellcheck disable=SC2016 # expanded by the namespace's bash
    unshare --mount --propagation private -- bash -c '
        set -eu
        read -ra part <<<"$2"
        loop=$(losetup --find --show --read-only "${part[@]}" "$1")
        mnt=$(mktemp -d)
        trap "umount \"\$mnt\" 2>/dev/null; losetup -d \"\$loop\"; rmdir \"\$mnt\"" EXIT
        mount -t btrfs -o ro,subvol=root "$loop" "$mnt"
        dir=$(find "$mnt/var/crash" -mindepth 1 -maxdepth 1 -name "127.0.0.1-*" | sort | tail -n 1)
        [[ -n $dir ]] || { echo "  no 127.0.0.1-* directory in the subvolume root'"'"'s /var/crash" >&2; exit 1; }
        echo "  dump directory: subvolume root, /var/crash/${dir##*/}" >&2
        cp -a "$dir"/. "$3"/
    ' kd-fetch-btrfs "$1" "$KD_BTRFS_PART" "$2"
}

# kd_lines ARRAY: the non-empty lines of stdin.
kd_lines() {
    local -n _into=$1
    local _line
    _into=()
    while IFS= read -r _line; do
        [[ -z $_line ]] || _into+=("$_line")
    done
}

# kd_lvm_builder: once for every LVM case, a boot of the builder guest (lvm-guest.sh) makes
# WORK/lvm-rhel.disk (RHEL-like: volume group rhel, xfs on rhel/root) and WORK/lvm-noroot.disk
# (volume group rhel without root), sets the image's LVM reader against LVM on WORK/lvm-seg.disk
# (WORK/lvm-reader.out), and builds each LVM case's WORK/lvm-*.conf into
# WORK/lvm-*.img on a host whose / is rhel/root. The same boot builds WORK/btrfs-virtio.img on a
# host whose / is the subvolume root of WORK/btrfs-virtio.disk (Fedora-like, made here), its
# fourth virtio disk: a target that resolves to a virtio disk, as on a Fedora install in a VM.
# The guest reads this host's tree over virtio-9p (read-only) and writes only to the work
# directory; it has no network device.
kd_lvm_builder() {
    local _status=0 _log=$KD_WORK/lvm-builder.serial.log _first=$KD_WORK/lvm-builder.first.img
    [[ -f $KD_WORK/lvm-builder.status ]] && return "$(cat "$KD_WORK/lvm-builder.status")"
    # no target line, the path on the root volume; the volume by its device-mapper name; and
    # that name again, for a capture that finds no rhel/root (failure_action poweroff).
    printf 'path /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n' >"$KD_WORK/lvm-rhel-root.conf"
    printf 'xfs /dev/mapper/rhel-root\npath /var/crash\n' >"$KD_WORK/lvm-rhel-mapper.conf"
    printf 'xfs /dev/mapper/rhel-root\npath /var/crash\nfailure_action poweroff\n' >"$KD_WORK/lvm-missing-lv.conf"
    # LVM's other names for it: /dev/VG/LV and the filesystem's label.
    printf 'xfs /dev/rhel/root\npath /var/crash\n' >"$KD_WORK/lvm-rhel-vglv.conf"
    printf 'xfs LABEL=rhelroot\npath /var/crash\n' >"$KD_WORK/lvm-rhel-label.conf"
    printf 'path /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n' >"$KD_WORK/btrfs-virtio.conf"
    kd_new_uuid >"$KD_WORK/btrfs-virtio.uuid"
    kd_disk_fedora "$KD_WORK/btrfs-virtio.disk" "$(cat "$KD_WORK/btrfs-virtio.uuid")" ||
        { kd_log "the Fedora-like disk was not made"; return 1; }
    rm -f "$KD_WORK/lvm-rhel.disk" "$KD_WORK/lvm-noroot.disk" "$KD_WORK/lvm-seg.disk"
    truncate -s 1300M "$KD_WORK/lvm-rhel.disk"
    truncate -s 800M "$KD_WORK/lvm-noroot.disk"
    truncate -s 200M "$KD_WORK/lvm-seg.disk"
    {
        echo '#!/bin/bash'
        printf 'exec bash'
        printf ' %q' "$KD_TESTS/lvm-guest.sh" "$KD_WORK" "$KINDLING" "$KVER" "$KD_KMODDIR" "$KD_TESTS/as-root.sh"
        kd_root_dirs | while IFS= read -r _dir; do printf ' %q' "$_dir"; done
        echo
    } >"$KD_WORK/lvm-builder.sh"
    "$KINDLING" -q -f --kver "$KVER" --kmoddir "$KD_KMODDIR" --modules-dir "$KD_FIXTURES/modules.d" \
        -m kdump-builder "$_first" || { kd_log "the builder guest's image did not build"; return 1; }
    kd_choose_accel
    kd_log "builder guest: making the RHEL-like disks and building the LVM cases' images"
    timeout 900 qemu-system-x86_64 -accel "$KD_ACCEL" -m 1024 -smp 1 -nodefaults -display none -no-reboot \
        -serial "file:$_log" -kernel "$KD_VMLINUZ" -initrd "$_first" \
        -append "console=ttyS0 panic=1 kdtest.work=$KD_WORK kdtest.script=$KD_WORK/lvm-builder.sh kdtest.keep=$(kd_root_dirs | paste -sd,)" \
        -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on \
        -virtfs "local,path=$KD_WORK,mount_tag=work,security_model=none" \
        -drive "file=$KD_WORK/lvm-rhel.disk,if=virtio,format=raw" \
        -drive "file=$KD_WORK/lvm-noroot.disk,if=virtio,format=raw" \
        -drive "file=$KD_WORK/lvm-seg.disk,if=virtio,format=raw" \
        -drive "file=$KD_WORK/btrfs-virtio.disk,if=virtio,format=raw" >"$_log.qemu" 2>&1 || _status=$?
    sed 's/^/    | /' "$KD_WORK/builder.log" 2>/dev/null | grep -v '^    | *$' | tail -n 30 >&2
    if [[ ! -f $KD_WORK/builder.status ]]; then
        kd_log "the builder guest ended (status $_status) without a result"
        kd_show_log "$_log" 10
        echo 1 >"$KD_WORK/lvm-builder.status"
    else
        cp "$KD_WORK/builder.status" "$KD_WORK/lvm-builder.status"
    fi
    return "$(cat "$KD_WORK/lvm-builder.status")"
}

# kd_fetch_lvm IMAGE DESTDIR: the newest /var/crash/127.0.0.1-*/ of rhel/root, read without
# device-mapper: a read-only loop device over the volume's bytes (lvm-rhel.layout).
kd_fetch_lvm() {
    local _offset _size
    read -r _offset _size _ <"$KD_WORK/lvm-rhel.layout" || return 1
    kd_fetch_xfs_loop "$1" "$2" rhel/root --read-only --offset "$_offset" --sizelimit "$_size"
}

# kd_fetch_xfs_loop IMAGE DESTDIR NAME LOSETUP_OPTIONS...: the newest /var/crash/127.0.0.1-*/ of
# the xfs on a loop device over IMAGE (NAME says which, in the log), mounted in a private mount
# namespace.
kd_fetch_xfs_loop() {
    mkdir -p "$2"
    # shellcheck disable=SC2016 # expanded by the namespace's bash
    unshare --mount --propagation private -- bash -c '
        set -eu
        image=$1 dest=$2 name=$3
        shift 3
        loop=$(losetup --find --show "$@" "$image")
        mnt=$(mktemp -d)
        trap "umount \"\$mnt\" 2>/dev/null; losetup -d \"\$loop\"; rmdir \"\$mnt\"" EXIT
        mount -t xfs -o ro,norecovery "$loop" "$mnt"
        dir=$(find "$mnt/var/crash" -mindepth 1 -maxdepth 1 -name "127.0.0.1-*" 2>/dev/null | sort | tail -n 1)
        [[ -n $dir ]] || { echo "  no 127.0.0.1-* directory in $name'"'"'s /var/crash" >&2; exit 1; }
        echo "  dump directory: $name, /var/crash/${dir##*/}" >&2
        cp -a "$dir"/. "$dest"/
    ' kd-fetch-xfs "$1" "$2" "$3" "${@:4}"
}

# kd_disk_xfs IMAGE UUID: a whole-disk xfs filesystem.
kd_disk_xfs() {
    rm -f "$1"
    truncate -s 1G "$1"
    mkfs.xfs -q -f -m uuid="$2" "$1"
}

# kd_fetch_xfs IMAGE DESTDIR: the newest /var/crash/127.0.0.1-*/ of a whole-disk xfs.
kd_fetch_xfs() {
    kd_fetch_xfs_loop "$1" "$2" "the disk" --read-only
}

# kd_btrfs_pair DISK1 DISK2 UUID OUTPUT CONFIG: a btrfs filesystem on two whole disks (data and
# metadata raid1) with a subvolume dumps holding /var/crash, mounted (subvol=dumps) in a private
# mount namespace while Kindling builds OUTPUT from CONFIG there: the host's mount of the target.
kd_btrfs_pair() {
    rm -f "$1" "$2"
    truncate -s 512M "$1"
    truncate -s 512M "$2"
    # shellcheck disable=SC2016 # expanded by the namespace's bash
    unshare --mount --propagation private -- bash -c '
        set -eu
        disk1=$1 disk2=$2 uuid=$3 output=$4 config=$5 kindling=$6 kver=$7 kmoddir=$8
        loop1=$(losetup --find --show "$disk1")
        loop2=$(losetup --find --show "$disk2")
        mnt=$(mktemp -d)
        trap "umount \"\$mnt\" 2>/dev/null; losetup -d \"\$loop1\" \"\$loop2\"; rmdir \"\$mnt\"" EXIT
        mkfs.btrfs -q -f -U "$uuid" -L kdpair -d raid1 -m raid1 "$loop1" "$loop2" >/dev/null
        mount -t btrfs -o "device=$loop1,device=$loop2" "$loop1" "$mnt"
        btrfs -q subvolume create "$mnt/dumps"
        umount "$mnt"
        mount -t btrfs -o "subvol=dumps,device=$loop1,device=$loop2" "$loop1" "$mnt"
        mkdir -p "$mnt/var/crash"
        KDUMP_CONFIG_FILE=$config "$kindling" -f --kver "$kver" --kmoddir "$kmoddir" -m kdumpbase "$output"
    ' kd-btrfs-pair "$1" "$2" "$3" "$4" "$5" "$KINDLING" "$KVER" "$KD_KMODDIR"
}

# kd_fetch_btrfs_pair DISK1 DESTDIR: the newest /var/crash/127.0.0.1-*/ of subvolume dumps of
# the two-disk filesystem of kd_btrfs_pair (DISK2 is DISK1 with .1. replaced by .2.).
kd_fetch_btrfs_pair() {
    mkdir -p "$2"
    # shellcheck disable=SC2016 # expanded by the namespace's bash
    unshare --mount --propagation private -- bash -c '
        set -eu
        loop1=$(losetup --find --show --read-only "$1")
        loop2=$(losetup --find --show --read-only "$2")
        mnt=$(mktemp -d)
        trap "umount \"\$mnt\" 2>/dev/null; losetup -d \"\$loop1\" \"\$loop2\"; rmdir \"\$mnt\"" EXIT
        mount -t btrfs -o "ro,subvol=dumps,device=$loop1,device=$loop2" "$loop1" "$mnt"
        dir=$(find "$mnt/var/crash" -mindepth 1 -maxdepth 1 -name "127.0.0.1-*" | sort | tail -n 1)
        [[ -n $dir ]] || { echo "  no 127.0.0.1-* directory in subvolume dumps'"'"' /var/crash" >&2; exit 1; }
        echo "  dump directory: subvolume dumps, /var/crash/${dir##*/}" >&2
        cp -a "$dir"/. "$3"/
    ' kd-fetch-btrfs-pair "$1" "${1/.1./.2.}" "$2"
}
