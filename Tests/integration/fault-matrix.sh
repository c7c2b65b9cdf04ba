#!/bin/bash
# The fault matrix: bad modules, bad kernel module trees, bad files, sysroot escapes, a full or
# read-only output directory, signals, concurrent builds, a bad kdump.conf and odd file names.
# Every failing case must give one error line naming the cause as the last line, a non-zero
# exit status, leave the previous image byte-identical (and nothing else) in the output
# directory, and leave the --tmpdir (also $TMPDIR) empty.
#
# Signals follow dracut's convention: 128 + the signal, so SIGINT exits 130 and SIGTERM 143.

# shellcheck disable=SC2016 # expect's checks are code in single quotes, run by eval
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
faults=$here/../fixtures/faults/modules.d
name=fault-matrix

[[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"
((EUID == 0)) || give_up "needs root (tmpfs mounts, root's view of file permissions)"

work=$(mktemp -d)
mounts=()
cleanup() {
    local mount
    for mount in "${mounts[@]}"; do umount -l "$mount" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR" "$work/out"
image=$work/out/initrd.img
cases=0
# The host's dracut configuration is not the test's: an empty one, and the fault fixtures.
: >"$work/empty.conf"
mkdir -p "$work/empty.conf.d"
common=(--conf "$work/empty.conf" --confdir "$work/empty.conf.d" --no-hostonly --tmpdir "$TMPDIR" --modules-dir "$faults")

# Runs kindling on the fault fixtures, writing $image (which exists: --force); the status is in $status.
# Arguments go before the image; set KINDLING_IMAGE to write another path. A hang is a failure
# (status 124), not a stuck test.
run_kindling() {
    timeout -k 5 120 "$KINDLING" "${common[@]}" --force "$@" "${KINDLING_IMAGE:-$image}" \
        >"$work/log" 2>&1
    status=$?
}

expect() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; sed 's/^/    /' "$work/log" | tail -n 15; fi
}

# What a failed build must leave: STATUS is the wanted exit status; PATTERN (grep -E) must be
# on the log's last line, a "kindling: " line, and on no other (the "Executing: COMMAND" line that
# opens every build, as dracut's, repeats the arguments and is not counted); the old image is unchanged,
# nothing was added beside it, and the temporary directory is empty.
# shellcheck disable=SC2034 # pattern and last are read by the eval'd check
expect_failure() {
    local what=$1 want=$2 pattern=$3 last
    cases=$((cases + 1))
    last=$(tail -n 1 "$work/log")
    expect "$what: exits $want" test "$status" = "$want"
    expect "$what: one error line names the cause" \
        eval '[[ $last == "kindling: "* ]] && grep -qE -- "$pattern" <<<"$last" && (($(grep -v "^kindling: Executing: " "$work/log" | grep -cE -- "$pattern") == 1))'
    expect "$what: the old image is byte-identical" cmp -s "$image" "$work/old.img"
    expect "$what: nothing else in the output directory" test "$(ls -A "${image%/*}")" = "${image##*/}"
    expect "$what: the temporary directory is empty" test -z "$(ls -A "$TMPDIR")"
}

# The member names of an image (gzip or not), one a line, as cpio -t gives them.
list_image() {
    case $(head -c 2 "$1" | od -An -tx1 | tr -d ' ') in
        1f8b) gzip -dc "$1" ;;
        *) cat "$1" ;;
    esac | cpio -t --quiet 2>/dev/null
}

# The previous image: a real one, built once; every case must leave it as it is.
"$KINDLING" "${common[@]}" --no-kernel -m run "$image" >"$work/log" 2>&1 ||
    give_up "the baseline image does not build: $(tail -n 1 "$work/log")"
cp -p "$image" "$work/old.img"
cp -p "$image" "$work/baseline.img"
expect "the image is private (0600)" test "$(stat -c %a "$image")" = 600

# --- 1. a syntax error in module-setup.sh ---------------------------------------------------------
run_kindling --no-kernel -m syntax
expect_failure "syntax error" 1 "10syntax/module-setup\.sh: line [0-9]+: syntax error"

# --- 2. exit in check() and install(); a check() that never returns ------------------------------
run_kindling --no-kernel -m check-exits
expect_failure "check() runs exit 1" 1 "module 'check-exits'.* check\(\)"
run_kindling --no-kernel -m install-exits
expect_failure "install() runs exit 1" 1 "module 'install-exits'.* install\(\)"

started=$SECONDS
FAULT_PIDFILE=$work/loop.pid run_kindling --no-kernel -m check-loops --module-timeout 2
expect_failure "check() loops forever" 1 "module 'check-loops': check\(\) did not finish within 2 s"
expect "a timed-out build fails fast" test $((SECONDS - started)) -le 8
# shellcheck disable=SC2034 # read by the eval'd check below
loop_shell=$(cat "$work/loop.pid" 2>/dev/null || echo 0)
# A zombie waiting for init to reap it is not running: only other states count.
expect "the timed-out shell and its children are killed" \
    eval '((loop_shell > 0)) && ! ps -o stat= -p "$loop_shell" -g "$loop_shell" | grep -q "^[^Z]"'
run_kindling --no-kernel -m check-loops --module-timeout soon
expect_failure "a bad --module-timeout" 1 "invalid module timeout 'soon'"

# --- 3-5. selection: a cycle, a missing module, an omitted dependency -----------------------------
run_kindling --no-kernel -m cycle-x
expect_failure "cyclic depends" 1 "cyclic module dependency: cycle-x -> cycle-y -> cycle-x"
run_kindling --no-kernel -m no-such-module
expect_failure "a missing module" 1 "module 'no-such-module' cannot be found"
run_kindling --no-kernel -m needs-omitted -o omitted-dep
expect_failure "an omitted dependency" 1 "module 'needs-omitted' depends on 'omitted-dep'"

# --- 6. a kernel version without a modules directory ----------------------------------------------
run_kindling --kver 9.9.9-none -m kmods
expect_failure "no modules directory (installkernel)" 1 "9\.9\.9-none"
FAULT_INSTALL='instmods -c virtio_blk' run_kindling --kver 9.9.9-none -m run
expect_failure "no modules directory (instmods)" 1 "9\.9\.9-none"

# --- 7. a corrupt modules.dep, a truncated .ko ----------------------------------------------------
# A small copy of the test kernel's module tree, indexed by depmod.
if read -r kver kroot < <("$here/../support/kernel-cache") && [[ -d $kroot/lib/modules/$kver ]]; then
    tree=$work/kernel/lib/modules/$kver
    mkdir -p "$tree"
    for ko in drivers/block/virtio_blk drivers/virtio/virtio drivers/virtio/virtio_ring drivers/block/loop \
        fs/ext4/ext4 lib/crc16 fs/mbcache fs/jbd2/jbd2; do
        mkdir -p "$tree/kernel/${ko%/*}"
        cp "$kroot/lib/modules/$kver/kernel/$ko.ko" "$tree/kernel/$ko.ko"
    done
    cp "$kroot/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$tree/"
    depmod -b "$work/kernel" "$kver" || give_up "depmod failed on the copied module tree"
    # shellcheck disable=SC2120 # a case may pass more options; none does yet
    kernel_build() { run_kindling --kver "$kver" --kmoddir "$tree" -m kmods "$@"; }

    FAULT_KMODS="virtio_blk loop" kernel_build
    expect "the copied module tree builds" test "$status" = 0
    cp -p "$image" "$work/old.img"

    cp "$tree/modules.dep" "$work/modules.dep.good"
    cp "$tree/modules.dep.bin" "$work/modules.dep.bin.good"
    printf 'kernel/drivers/block/virtio_blk.ko kernel/drivers/virtio/virtio.ko\n:::\n\0\377garbage\n' >"$tree/modules.dep"
    head -c 100 /dev/urandom >"$tree/modules.dep.bin"
    FAULT_KMODS=virtio_blk kernel_build
    expect_failure "a corrupt modules.dep" 1 "modules\.dep"
    cp "$work/modules.dep.good" "$tree/modules.dep"
    cp "$work/modules.dep.bin.good" "$tree/modules.dep.bin"

    truncate -s 200 "$tree/kernel/drivers/block/loop.ko"
    FAULT_KMODS=loop kernel_build
    expect_failure "a truncated .ko" 1 "kernel/drivers/block/loop\.ko"
    cp -p "$work/baseline.img" "$image"
    cp -p "$work/baseline.img" "$work/old.img"
else
    fail "the test kernel is unavailable (Tests/support/kernel-cache)"
fi

# --- 8. files that cannot be used: a symlink loop (fails to open, even for root), a cut ELF, a
# FIFO or a text file where a program's library should be. A script is not ELF and is fine.
files=$work/files
mkdir -p "$files/lib-fifo" "$files/lib-text" "$files/lib-good"
ln -s loop "$files/loop"
head -c 100 /bin/cat >"$files/truncated" # the ELF header and part of the program headers
chmod +x "$files/truncated"
printf '#!/bin/sh\necho fine\n' >"$files/script"
chmod +x "$files/script"
printf 'int fake(void) { return 0; }\n' >"$files/fake.c"
printf 'int fake(void);\nint main(void) { return fake(); }\n' >"$files/prog.c"
if gcc -shared -fPIC -Wl,-soname,libfake.so.1 -o "$files/lib-good/libfake.so.1" "$files/fake.c" 2>"$work/log"; then
    for kind in fifo text; do
        gcc -o "$files/prog-$kind" "$files/prog.c" "$files/lib-good/libfake.so.1" -Wl,-rpath,"$files/lib-$kind"
    done
    mkfifo "$files/lib-fifo/libfake.so.1"
    printf 'not a library\n' >"$files/lib-text/libfake.so.1"
else
    fail "gcc cannot build the test program: $(head -n 1 "$work/log")"
fi

FAULT_INSTALL="inst_binary $files/loop" run_kindling --no-kernel -m run
expect_failure "a symlink loop as a binary" 1 "$files/loop: .*Too many levels of symbolic links"
FAULT_INSTALL="inst_binary $files/truncated" run_kindling --no-kernel -m run
expect_failure "a truncated ELF" 1 "$files/truncated: truncated ELF"
FAULT_INSTALL="inst_binary $files/prog-fifo" run_kindling --no-kernel -m run
expect_failure "a FIFO as a program's library" 1 "prog-fifo: library libfake\.so\.1: $files/lib-fifo/libfake\.so\.1: .*not a regular file"
FAULT_INSTALL="inst_binary $files/prog-text" run_kindling --no-kernel -m run
expect_failure "a text file as a program's library" 1 "prog-text: library libfake\.so\.1: $files/lib-text/libfake\.so\.1: not an ELF file"
KINDLING_IMAGE=$work/script.img run_kindling --no-kernel -m run -I "$files/script"
expect "a script is not ELF and is installed" eval '((status == 0)) && list_image "$work/script.img" | grep -qx "${files#/}/script"'
rm -f "$work/script.img"

# --- 9. a sysroot with symlinks out of it, and '..' in installed paths -----------------------------
# The host's copy of a file ($work/secret) must never be read: an absolute link resolves inside
# the sysroot, as in a chroot (and installs the sysroot's own file); '..' that climbs out, in a
# link or in the path asked for, is refused, naming the path.
sysroot=$work/sysroot
mkdir -p "$sysroot/etc" "$sysroot$work"
printf 'HOST SECRET\n' >"$work/secret"
printf 'sysroot file\n' >"$sysroot$work/secret"
ln -s "$work/secret" "$sysroot/etc/absolute-link"
ln -s "$(printf '../%.0s' {1..20})${work#/}/secret" "$sysroot/etc/relative-link"
# shellcheck disable=SC2120 # a case may pass more options; none does yet
sysroot_build() { run_kindling --no-kernel --sysroot "$sysroot" -m run "$@"; }

KINDLING_IMAGE=$work/sysroot.img FAULT_INSTALL='inst /etc/absolute-link' sysroot_build
mkdir -p "$work/sysroot-image"
unpack_image "$work/sysroot.img" "$work/sysroot-image"
expect "an absolute link resolves inside the sysroot" \
    eval '((status == 0)) && [[ $(cat "$work/sysroot-image/etc/absolute-link") == "sysroot file" ]]'
expect "the host's file is not in the image" eval '! grep -rqs "HOST SECRET" "$work/sysroot-image"'
rm -rf "$work/sysroot.img" "$work/sysroot-image"

FAULT_INSTALL='inst /etc/relative-link' sysroot_build
expect_failure "a relative link out of the sysroot" 1 "/etc/relative-link: symlink to (\.\./)+.* leads outside the sysroot"
FAULT_INSTALL='inst /etc/../../../etc/shadow' sysroot_build
expect_failure "'..' out of the sysroot in inst" 1 "/etc/\.\./\.\./\.\./etc/shadow: '\.\.' leads outside the sysroot"
FAULT_INSTALL='inst_simple /etc/../../../../etc/shadow /etc/copy' sysroot_build
expect_failure "'..' out of the sysroot in inst_simple" 1 "/etc/\.\./\.\./\.\./\.\./etc/shadow: '\.\.' leads outside the sysroot"

# --- 10. a full output directory, a read-only one ---------------------------------------------------
head -c $((3 << 20)) /dev/urandom >"$work/big" # does not compress: the image outgrows 1 MiB
saved_image=$image
mkdir -p "$work/full" "$work/ro"
if mount -t tmpfs -o size=1m kindling-full "$work/full"; then
    mounts+=("$work/full")
    image=$work/full/initrd.img
    cp -p "$work/old.img" "$image"
    run_kindling --no-kernel -m run -I "$work/big"
    expect_failure "a full output directory" 1 "$work/full/\.initrd\.img\.kindling-.*(No space left on device)"
else
    fail "cannot mount a tmpfs (root is needed)"
fi
if mount -t tmpfs -o size=1m kindling-ro "$work/ro"; then
    mounts+=("$work/ro")
    image=$work/ro/initrd.img
    cp -p "$work/old.img" "$image"
    mount -o remount,ro "$work/ro"
    run_kindling --no-kernel -m run
    expect_failure "a read-only output directory" 1 "$work/ro"
fi
image=$saved_image

# --- 11. SIGINT and SIGTERM while a module installs and while the image is compressed --------------
# Starts a build in the background, waits until it is at the point WHEN names, then sends SIGNAL.
# WHEN is "module": the slow module's install() runs; "writing": the temporary image beside the
# target has data (the compressor is at work); "writing TOOL": also, TOOL runs as kindling's child.
interrupt() {
    local signal=$1 when=$2 pid
    shift 2
    "$KINDLING" "${common[@]}" --force "$@" "$image" >"$work/log" 2>&1 &
    pid=$!
    children=""
    for _ in $(seq 600); do
        case $when in
            module) grep -q 'Including module: slow' "$work/log" && sleep 0.3 && break ;;
            writing*)
                if [[ -n $(find "${image%/*}" -maxdepth 1 -name ".${image##*/}.kindling-*" -size +0 2>/dev/null) ]]; then
                    [[ $when == writing ]] && break
                    # shellcheck disable=SC2034 # read by an eval'd check after the signal
                    children=$(pgrep -P "$pid" -x "${when#writing }") && break
                fi
                ;;
        esac
        sleep 0.05
    done
    local signalled=$SECONDS
    kill "-$signal" "$pid"
    wait "$pid"
    status=$?
    took=$((SECONDS - signalled))
}
head -c $((48 << 20)) /dev/urandom >"$work/huge"
interrupt INT module --no-kernel -m slow
expect_failure "SIGINT while a module installs" 130 "interrupted by signal 2"
interrupt TERM module --no-kernel -m slow
expect_failure "SIGTERM while a module installs" 143 "interrupted by signal 15"
# "gzip -9" is Kindling's own gzip (zlib, in process); xz is an external compressor.
interrupt INT writing --no-kernel -m run -I "$work/huge" --compress "gzip -9"
expect_failure "SIGINT while gzip -9 compresses" 130 "interrupted by signal 2"
interrupt TERM writing --no-kernel -m run -I "$work/huge"
expect_failure "SIGTERM while the default gzip compresses" 143 "interrupted by signal 15"
interrupt INT "writing xz" --no-kernel -m run -I "$work/huge" --compress "xz -6 -T1"
expect_failure "SIGINT while xz compresses" 130 "interrupted by signal 2"
expect "the build stops within seconds of the signal, not when xz is done" test "$took" -le 5
expect "the compressor was running and is gone" \
    eval '[[ -n $children ]] && ! ps -o stat= -p "$children" | grep -q "^[^Z]"'
rm -f "$work/huge"

# --- 12. two builds of the same image at once ------------------------------------------------------
# Kindling holds an flock on the output directory from the check for an existing image to the
# rename: the builds take turns. With --force both succeed and the image is a complete archive
# with the content of a single build; without --force exactly one of them writes the image.
cases=$((cases + 1))
together() {
    local -a pids=()
    local n
    for n in 1 2; do
        "$KINDLING" "${common[@]}" --no-kernel -m run "$@" >"$work/log$n" 2>&1 &
        pids+=($!)
    done
    statuses=""
    for n in 0 1; do
        wait "${pids[n]}"
        statuses+="$? "
    done
}
mkdir -p "$work/together"
together --force -I "$work/big" "$work/together/initrd.img"
expect "two --force builds at once both succeed" test "$statuses" = "0 0 "
expect "kindling-lsinitrd reads the image" eval '"$KINDLING_LSINITRD" "$work/together/initrd.img" >/dev/null 2>&1'
"$KINDLING" "${common[@]}" --no-kernel -m run --force -I "$work/big" \
    "$work/single.img" >"$work/log" 2>&1
expect "cpio -t lists what a single build holds" \
    eval 'list_image "$work/together/initrd.img" >"$work/together.list" && (($(wc -l <"$work/together.list") > 10)) &&
        list_image "$work/single.img" | cmp -s - "$work/together.list"'
mkdir -p "$work/together-tree" "$work/single-tree"
unpack_image "$work/together/initrd.img" "$work/together-tree"
unpack_image "$work/single.img" "$work/single-tree"
expect "the image's content is a single build's" eval 'compare_trees "$work/together-tree" "$work/single-tree" >"$work/log" 2>&1'
expect "no lock or temporary file is left beside the image" test "$(ls -A "$work/together")" = initrd.img
rm -rf "$work/together"/* "$work/together-tree" "$work/single-tree" "$work/single.img"
together "$work/together/initrd.img"
expect "without --force one build writes the image, the other refuses" \
    eval '[[ $statuses == "0 1 " || $statuses == "1 0 " ]] && cat "$work/log1" "$work/log2" | grep -q "Will not override existing initramfs"'
expect "the temporary directory is empty after concurrent builds" test -z "$(ls -A "$TMPDIR")"

# --- 13. kdump.conf: an unknown directive, a missing target, shell metacharacters ------------------
# Values are data: nothing in them is ever run (the canaries must not appear). A path may hold
# any byte but a control character or a '..' component (30-values) and is carried as it is; a
# core_collector with shell syntax is refused (the capture runs it without a shell); a kdump_pre
# that is not an executable file is refused.
if [[ -n ${kver-} && -d ${kroot-}/lib/modules/$kver ]]; then
    conf=$work/kdump.conf
    canary=$work/canary
    # shellcheck disable=SC2120 # a case may pass more options; none does yet
    kdump_build() {
        KDUMP_CONFIG_FILE=$conf run_kindling --kver "$kver" --kmoddir "$kroot/lib/modules/$kver" -m kdumpbase "$@"
    }
    kdump_case() {
        printf '%s\n' "$2" >"$conf"
        kdump_build
        expect_failure "kdump.conf: $1" 1 "module 'kdumpbase' failed in kdump_minimal_target\(\): $conf:$3"
    }
    kdump_case "an unknown directive" $'ext4 LABEL=kdump\nfrobnicate yes' "2: unknown directive 'frobnicate'"
    kdump_case "a target without its device" 'ext4' "1: 'ext4' needs a value"
    kdump_case "a path without a value" $'ext4 LABEL=kdump\npath' "2: 'path' needs a value"
    kdump_case "shell syntax in core_collector" \
        $'ext4 LABEL=kdump\ncore_collector makedumpfile -d 31 $(touch '"$canary"'-1) `touch '"$canary"'-2` ; touch '"$canary"'-3 | cat & > '"$canary"'-4' \
        "2: core_collector: shell syntax"
    kdump_case "an unmatched quote in dracut_args" $'ext4 LABEL=kdump\ndracut_args --add-drivers \'loop' \
        "2: dracut_args: cannot split"
    kdump_case "shell syntax in kdump_pre" $'ext4 LABEL=kdump\nkdump_pre /bin/true; touch '"$canary"'-5' \
        "2: kdump_pre: '/bin/true; touch $canary-5' is not an executable file"
    weird_path='/var/crash/$(touch '"$canary"'-6)`touch '"$canary"'-7`;touch '"$canary"'-8|touch '"$canary"'-9&>'"$canary"'-10'
    printf 'ext4 LABEL=kdump\npath %s\n' "$weird_path" >"$conf"
    KINDLING_IMAGE=$work/kdump.img kdump_build
    mkdir -p "$work/kdump-tree"
    unpack_image "$work/kdump.img" "$work/kdump-tree"
    expect "kdump.conf: a path with shell syntax is carried as it is" \
        eval '((status == 0)) && grep -qxF "path $weird_path" "$work/kdump-tree/etc/kdump.conf"'
    expect "kdump.conf: no value was run (no canary)" test -z "$(compgen -G "$canary*")"
    # A backslash at the end of dracut_args escapes nothing (FuzzKdumpConfig found it putting a
    # newline into the last word, and so into the warning about it).
    printf 'ext4 LABEL=kdump\ndracut_args --omit plymouth\\\n' >"$conf"
    KINDLING_IMAGE=$work/kdump.img kdump_build
    expect "kdump.conf: each dracut_args word not applied is warned about on one line" \
        eval '((status == 0)) && grep -q "dracut_args .--omit. is not applied" "$work/log" &&
            grep -q "dracut_args .plymouth. is not applied" "$work/log"'
    rm -rf "$work/kdump.img" "$work/kdump-tree"
fi

# --- 14. file names with spaces, newlines, quotes and bytes that are not UTF-8 --------------------
# inst and inst_simple take every name; -I takes the names without blanks (it is a list split at
# blanks, as in dracut). cpio -t and kindling-lsinitrd must list the very bytes; contents match.
cases=$((cases + 1))
odd=$work/odd
mkdir -p "$odd/inst" "$odd/list"
odd_names=('with space' $'new\nline' "quo'te\"s" $'\xff\xfe' $'tab\tand \\back')
for odd_name in "${odd_names[@]}"; do printf 'content of %s\n' "$odd_name" >"$odd/inst/$odd_name"; done
listed_names=("quo'te\"s" $'\xff\xfe-bytes')
for odd_name in "${listed_names[@]}"; do printf 'content of %s\n' "$odd_name" >"$odd/list/$odd_name"; done
KINDLING_IMAGE=$work/odd.img FAULT_INSTALL='for f in "'"$odd"'"/inst/*; do inst "$f"; inst_simple "$f" "/etc/odd/${f##*/}"; done' \
    run_kindling --no-kernel -m run -I "$odd/list/${listed_names[0]}" -I "$odd/list/${listed_names[1]}"
expect "odd names: the build succeeds" test "$status" = 0
listing=$(LC_ALL=C list_image "$work/odd.img")
lsinitrd_listing=$(LC_ALL=C "$KINDLING_LSINITRD" "$work/odd.img")
mkdir -p "$work/odd-tree"
unpack_image "$work/odd.img" "$work/odd-tree"
odd_missing=()
# Is PATH a whole line of the cpio listing, the end of a kindling-lsinitrd line, and the same file?
check_listed() {
    local source=$1 path=$2 via=$3
    [[ $'\n'$listing$'\n' == *$'\n'"$path"$'\n'* ]] || odd_missing+=("cpio -t$via: $path")
    [[ $lsinitrd_listing$'\n' == *" $path"$'\n'* ]] || odd_missing+=("kindling-lsinitrd$via: $path")
    cmp -s "$source" "$work/odd-tree/$path" || odd_missing+=("content$via: $path")
}
for odd_name in "${odd_names[@]}"; do
    check_listed "$odd/inst/$odd_name" "${odd#/}/inst/$odd_name" " (inst)"
    check_listed "$odd/inst/$odd_name" "etc/odd/$odd_name" " (inst_simple)"
done
for odd_name in "${listed_names[@]}"; do
    check_listed "$odd/list/$odd_name" "${odd#/}/list/$odd_name" " (-I)"
done
expect "odd names: every name listed byte for byte with its content" test "${#odd_missing[@]}" = 0
((${#odd_missing[@]} == 0)) || printf '    missing: %q\n' "${odd_missing[@]}"
expect "odd names: build-parameter.txt holds the -I bytes" \
    grep -qF "$odd/list/${listed_names[1]}" "$work/odd-tree/usr/lib/dracut/build-parameter.txt"

# --- More cases, a file each (sourced here, so they share this script's helpers and state) ---------
for part in "$here"/fault-matrix.d/*.sh; do
    [[ -e $part ]] || continue
    # shellcheck source=/dev/null
    . "$part"
done

printf 'fault-matrix: %s cases\n' "$cases"
finish
