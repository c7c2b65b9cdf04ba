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

# Ends the script with one failure: NAME must be set by the caller.
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
