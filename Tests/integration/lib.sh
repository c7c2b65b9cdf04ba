# shellcheck shell=bash
# Shared helpers for the integration tests (sourced, bash).

. "$(dirname "${BASH_SOURCE[0]}")/../support/private-dracut-config.sh"

# The kindling binary under test: $KINDLING, or the checkout's debug build.
KINDLING=${KINDLING:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.build/debug/kindling}
KINDLING_LSINITRD=${KINDLING_LSINITRD:-$(dirname "$KINDLING")/kindling-lsinitrd}

passed=0
failed=0

pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; }

# Makes $work, a directory removed at exit, and points TMPDIR into it, so a test can also check
# that nothing was left behind there.
make_work_directory() {
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    export TMPDIR=$work/tmp
    mkdir -p "$TMPDIR"
}

# What a boot test needs: QEMU, mkfs.ext4, the kindling binary and the test kernel with its
# vmlinuz. Sets kver and root; gives up, naming what is missing, otherwise.
require_boot_test_tools() {
    command -v qemu-system-x86_64 >/dev/null || give_up "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
    command -v mkfs.ext4 >/dev/null || give_up "mkfs.ext4 is not installed"
    [[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"
    read -r kver root < <("$(dirname "${BASH_SOURCE[0]}")/../support/kernel-cache") ||
        give_up "the test kernel is unavailable (Tests/support/kernel-cache failed)"
    [[ -n ${kver-} && -f $root/boot/vmlinuz-$kver ]] || give_up "the test kernel has no vmlinuz"
}

# Boots `qemu-system-x86_64 ARGS...` (after -accel, -nographic, -no-reboot), serial console to
# LOGPREFIX-ACCEL.log: KVM when /dev/kvm opens, for at most PROBE seconds; nested KVM can accept
# a guest and never run it, so a KVM boot in which the kernel printed nothing is done again with
# TCG, for at most LIMIT seconds. Sets accel, status (QEMU's, 124 on timeout) and log.
boot_kvm_or_tcg() {
    local probe=$1 limit=$2 prefix=$3
    shift 3
    accel=tcg
    if [[ -e /dev/kvm ]] && (exec 3<>/dev/kvm) 2>/dev/null; then
        accel=kvm
        timeout "$probe" qemu-system-x86_64 -accel kvm -nographic -no-reboot "$@" </dev/null >"$prefix-kvm.log" 2>&1
        status=$?
        if ! grep -q 'Linux version' "$prefix-kvm.log"; then
            echo "${name-boot}: the kernel printed nothing under KVM; booting again with TCG"
            accel=tcg
        fi
    fi
    if [[ $accel == tcg ]]; then
        timeout "$limit" qemu-system-x86_64 -accel tcg -nographic -no-reboot "$@" </dev/null >"$prefix-tcg.log" 2>&1
        status=$?
    fi
    # shellcheck disable=SC2034 # for the caller, with accel and status
    log=$prefix-$accel.log
}

# Prints the counts in the form CI reads and returns non-zero when anything failed.
finish() {
    printf '%s passed, %s failed\n' "$passed" "$failed"
    ((failed == 0))
}

# Unpacks an initramfs (an early cpio, if any, is skipped) into DIR, whatever its compression.
unpack_image() {
    local image=$1 dir=$2 main
    mkdir -p "$dir"
    main=$(mktemp)
    # An uncompressed first archive holding early_cpio is the early (microcode) part: skip it.
    if cpio -t --quiet <"$image" 2>/dev/null | grep -qx 'early_cpio'; then
        /usr/lib/dracut/skipcpio "$image" >"$main"
    else
        cp "$image" "$main"
    fi
    case $(head -c 2 "$main" | od -An -tx1 | tr -d ' ') in
        1f8b) gzip -dc "$main" ;;
        *) cat "$main" ;;
    esac | (cd "$dir" && cpio -id --quiet --no-absolute-filenames 2>/dev/null)
    rm -f "$main"
}

# Unpacks only the early (uncompressed, first) archive of an image into DIR.
unpack_early() {
    mkdir -p "$2"
    (cd "$2" && cpio -id --quiet --no-absolute-filenames <"$1" 2>/dev/null)
}

# One line per path: path, type, permission bits, link count, symlink target.
manifest() {
    (cd "$1" && find . -printf '%p %y %m %n %l\n' | LC_ALL=C sort)
}

# Compares two unpacked trees: the manifests, then the content of every regular file, except
# the paths given after the two directories. Prints each difference; returns 1 if there is any.
compare_trees() {
    local left=$1 right=$2 status=0 file
    shift 2
    local -a skip=("$@")
    if (($(manifest "$left" | wc -l) < 10)); then
        printf 'too few entries in %s: the image did not unpack\n' "$left"
        return 1
    fi
    if ! diff <(manifest "$left") <(manifest "$right"); then
        status=1
    fi
    while IFS= read -r -d '' file; do
        [[ " ${skip[*]} " == *" ${file#./} "* ]] && continue
        [[ -f $right/$file ]] || continue
        if ! cmp -s "$left/$file" "$right/$file"; then
            printf 'content differs: %s\n' "${file#./}"
            status=1
        fi
    done < <(cd "$left" && find . -type f -print0)
    return "$status"
}

# write_set_differences WORK SET: unpacks WORK/SET-dracut.img and WORK/SET-kindling.img and
# writes WORK/SET.diff: the modules each log included ("modules: " lines), then compare_trees.
write_set_differences() {
    local work=$1 set=$2
    unpack_image "$work/$set-dracut.img" "$work/$set-d"
    unpack_image "$work/$set-kindling.img" "$work/$set-k"
    {
        diff <(grep -o 'Including module: .*' "$work/$set-dracut.log" | tr -d '*') \
            <(grep -o 'Including module: .*' "$work/$set-kindling.log" | tr -d '*') | sed 's/^/modules: /'
        compare_trees "$work/$set-d" "$work/$set-k"
    } >"$work/$set.diff"
}

# Ends the script with one failure: NAME must be set by the caller.
give_up() {
    fail "$name: $*"
    finish
    exit 1
}

# Sets kver and root to the test kernel (Tests/support/kernel-cache) after checking that the
# kindling binary and dracut are there; gives up, naming what is missing, otherwise.
require_kindling_dracut_and_kernel() {
    [[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"
    # shellcheck disable=SC2154 # the calling script sets dracut
    [[ -x $dracut ]] || give_up "dracut is not installed"
    read -r kver root < <("$(dirname "${BASH_SOURCE[0]}")/../support/kernel-cache") ||
        give_up "the test kernel is unavailable (Tests/support/kernel-cache failed)"
    [[ -n ${kver-} && -d $root/lib/modules/$kver ]] || give_up "the test kernel is unavailable"
}

# hardlink(1), which both tools follow, links identical files only when their modification times
# fall in the same second: two files a module writes one after the other are linked or not as the
# clock ticks. linked_by_timing SET LINE succeeds when LINE of $work/SET.diff is such a link count
# difference: nothing else of the entry differs, and the file's bytes are the same in both images.
linked_by_timing() {
    local set=$1 line=$2 side path type mode _ other other_type other_mode
    read -r side path type mode _ <<<"$line"
    [[ ($side == "<" || $side == ">") && $type == f ]] || return 1
    other=$(grep -F -e "$path " "$work/$set.diff" | grep -v -F -e "$line" | head -n 1)
    [[ -n $other ]] || return 1
    read -r _ _ other_type other_mode _ <<<"$other"
    [[ $other_type == "$type" && $other_mode == "$mode" ]] || return 1
    cmp -s "$work/$set-d/$path" "$work/$set-k/$path"
}

# What a test that runs tools inside the Debian 13 root needs (root, for its chroot and bind
# mounts): the release build (made here; the root runs it, statically linked to the Swift
# runtime), the test kernel (sets kver and kernel_root), the root itself (Tests/support/trixie-root,
# built on the first run, about two minutes; sets trixie), $work, and in the root the mount points
# Tests/support/trixie-run needs and it lacks. $work and those mount points are removed at exit.
# Then in_trixie KERNEL_MODULES COMMAND... runs COMMAND in the root with the checkout at
# /opt/kindling, KERNEL_MODULES at /lib/modules/$kver and $work at /kindling-work.
prepare_trixie_root() {
    local checkout directory
    checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    [[ $(id -u) == 0 ]] || give_up "needs root (chroot and bind mounts)"
    make -s -C "$checkout" release >/dev/null 2>&1 || give_up "make release failed"
    read -r kver kernel_root < <("$checkout/Tests/support/kernel-cache") ||
        give_up "the test kernel is unavailable (Tests/support/kernel-cache failed)"
    [[ -n ${kver-} && -d $kernel_root/lib/modules/$kver ]] || give_up "the test kernel is unavailable"
    trixie=$("$checkout/Tests/support/trixie-root") || give_up "the Debian 13 root did not build (Tests/support/trixie-root)"
    work=$(mktemp -d)
    made_mount_points=()
    trap remove_trixie_work EXIT
    trap 'exit 130' INT TERM
    for directory in /opt/kindling "/lib/modules/$kver" /kindling-work; do
        if [[ ! -d $trixie$directory ]]; then
            mkdir -p "$trixie$directory" && made_mount_points+=("$trixie$directory")
        fi
    done
}

remove_trixie_work() {
    local directory
    for directory in "${made_mount_points[@]}"; do rmdir "$directory" 2>/dev/null; done
    rm -rf "$work"
}

in_trixie() {
    local modules=$1 checkout
    shift
    checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    "$checkout/Tests/support/trixie-run" "$trixie" "$checkout" "$modules" "$kver" "$work" "$@"
}

# Writes DIR/root.raw, an ext4 root filesystem labelled LABEL for the boot tests: an os-release
# (systemd only switches into an OS tree) and an init that prints a marker and powers off. Sets
# marker, which report_switch_root looks for.
make_marker_root_disk() {
    local dir=$1 label=$2
    marker="kindling-root-$$-$RANDOM"
    mkdir -p "$dir/root/bin" "$dir/root/sbin" "$dir/root/etc" "$dir/root/proc" "$dir/root/sys" "$dir/root/dev"
    cp /bin/busybox "$dir/root/bin/busybox"
    printf 'ID=kindling-test\nNAME="Kindling test root"\n' >"$dir/root/etc/os-release"
    cat >"$dir/root/sbin/init" <<END
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc 2>/dev/null
echo "root init: $marker (pid \$\$)" >/dev/console
/bin/busybox poweroff -f
END
    chmod 0755 "$dir/root/sbin/init"
    mkfs.ext4 -q -F -L "$label" -d "$dir/root" "$dir/root.raw" 32M >"$dir/mkfs.log" 2>&1 ||
        give_up "mkfs.ext4 -d failed: $(tail -n 1 "$dir/mkfs.log")"
}

# After boot_kvm_or_tcg of a systemd image with make_marker_root_disk's disk: passes WHAT when
# the root's init printed the marker, then passes when the console shows systemd in the initrd
# and the root's init as process 1 (and every further PATTERN); fails naming what is missing.
report_switch_root() {
    local what=$1 pattern seen=1
    shift
    if ! grep -q "root init: $marker" "$log"; then
        tail -n 40 "$log"
        if ((status == 124)); then
            fail "$name: no marker from the root's init within the time limit ($accel)"
        else
            fail "$name: no marker from the root's init (QEMU exit status $status, $accel)"
        fi
        return
    fi
    pass "$name: $what ($accel, $kver)"
    for pattern in 'systemd\[1\]: Running in initrd' "$@" "root init: $marker (pid 1)"; do
        grep -q -e "$pattern" "$log" || seen=0
    done
    if ((seen)); then
        pass "$name: systemd ran in the initrd and its switch-root made the root's init process 1"
    else
        fail "$name: the console does not show systemd in the initrd switching root to the root's init"
    fi
}

# Milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# same_parameters_but_modules_dir DRACUT_TREE KINDLING_TREE LINE: LINE (of compare_trees) is the
# two trees' build-parameter.txt differing only as intended: Kindling records its --modules-dir,
# dracut-ng run from its source tree its --local.
same_parameters_but_modules_dir() {
    local left=$1 right=$2 line=$3 file=usr/lib/dracut/build-parameter.txt
    [[ $line == "content differs: $file" ]] || return 1
    cmp -s <(sed 's|^--local ||; s| --local\( \|$\)|\1|' "$left/$file") \
        <(sed "s| --modules-dir '[^']*'||" "$right/$file")
}
