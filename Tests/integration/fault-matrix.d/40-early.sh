# shellcheck shell=bash
# shellcheck disable=SC2154,SC2016,SC2034 # $work, $status, $mounts are the sourcing script's; eval strings expand later
# Sourced by ../fault-matrix.sh (its helpers and state; see README.md here).

# --- 40. refused early: what can be checked is, before the first module runs ----------------------
# An output that is a directory or a FIFO, a missing or read-only output directory, a misspelt or
# missing compressor (on the command line and in a config file), a missing or unwritable --tmpdir,
# a missing kernel module directory, an --explain or --explain-svg file that cannot be written:
# each fails in one line before any module's check() (the early-marker module's check() leaves
# $marker), in well under a build's time.
early=$work/early
marker=$early/check-ran
mkdir -p "$early/conf.d" "$early/bin" "$early/tmp" "$early/ro"
# What a module-running build needs on PATH, without zstd: as if zstd were not installed.
for tool in /usr/bin/* /usr/sbin/*; do
    [[ ${tool##*/} == zstd* || -e $early/bin/${tool##*/} ]] || ln -s "$tool" "$early/bin/${tool##*/}"
done
# early_case WHAT ARGUMENT... PATTERN: the build with ARGUMENTs fails early, PATTERN naming the cause.
early_case() {
    local what=$1 pattern=${!#}
    rm -f "$marker"
    FAULT_MARKER=$marker run_kindling -m "early-marker run" "${@:2:$#-2}"
    expect_failure "$what" 1 "$pattern"
    expect "$what: refused before any module's check()" test ! -e "$marker"
}

mkdir -p "$early/dir.img"
KINDLING_IMAGE=$early/dir.img early_case "an output that is a directory" --no-kernel \
    "cannot write the image to '$early/dir\.img': it is a directory, not a file"
expect "an output that is a directory: the directory stays empty" test -z "$(ls -A "$early/dir.img")"
mkfifo "$early/fifo.img"
KINDLING_IMAGE=$early/fifo.img early_case "an output that is a FIFO" --no-kernel \
    "cannot write the image to '$early/fifo\.img': it is a FIFO, not a file"
expect "an output that is a FIFO: the FIFO stays" test -p "$early/fifo.img"
KINDLING_IMAGE=$early/missing/initrd.img early_case "a missing output directory" --no-kernel \
    "Can't write to $early/missing: Directory $early/missing does not exist"
if mount -t tmpfs -o size=1m,ro kindling-early-ro "$early/ro"; then
    mounts+=("$early/ro")
    KINDLING_IMAGE=$early/ro/initrd.img early_case "a read-only output directory" --no-kernel \
        "No permission to write to $early/ro: Read-only file system"
    early_case "a read-only --tmpdir" --no-kernel --tmpdir "$early/ro" "Invalid tmpdir '$early/ro': Read-only file system"
else
    fail "cannot mount a read-only tmpfs (root is needed)"
fi

early_case "a misspelt --compress" --no-kernel --compress gzipp \
    "cannot compress the image with 'gzipp' \(--compress or compress=\): 'gzipp' is not installed; did you mean 'gzip'\?"
PATH=$early/bin early_case "--compress zstd without zstd installed" --no-kernel --compress zstd \
    "cannot compress the image with 'zstd' .*: 'zstd' is not installed"
PATH=$early/bin early_case "a compressor command line without its tool" --no-kernel --compress "zstd -3 -T1" \
    "cannot compress the image with 'zstd -3 -T1' .*: 'zstd' is not installed"
printf 'compress="nosuch"\n' >"$early/conf.d/compress.conf"
early_case "compress= in a config file names no tool" --no-kernel --confdir "$early/conf.d" \
    "cannot compress the image with 'nosuch' .*: 'nosuch' is not installed"

early_case "a missing --tmpdir" --no-kernel --tmpdir "$early/no-such-tmp" \
    "Invalid tmpdir '$early/no-such-tmp': No such file or directory"
: >"$early/file"
early_case "a --tmpdir that is a file" --no-kernel --tmpdir "$early/file" "Invalid tmpdir '$early/file': Not a directory"

early_case "a kernel version without modules" --kver 9.9.9-early "cannot find module directory /lib/modules/9\.9\.9-early/?"
early_case "a missing --kmoddir" --kver 9.9.9-early --kmoddir "$early/lib/modules/9.9.9-early" \
    "cannot find module directory $early/lib/modules/9\.9\.9-early"
early_case "an --explain file in a missing directory" --no-kernel --explain "$early/missing/explain.txt" \
    "cannot write the --explain report to '$early/missing/explain\.txt': directory $early/missing does not exist"
early_case "an --explain-svg file in a missing directory" --no-kernel --explain-svg "$early/missing/map.svg" \
    "cannot write the --explain-svg map to '$early/missing/map\.svg': directory $early/missing does not exist"
early_case "an --explain-svg file that is a directory" --no-kernel --explain-svg "$early/tmp" \
    "cannot write the --explain-svg map to '$early/tmp': it is a directory, not a file"

# A good build of the same modules runs check(): the marker can appear, so its absence above means something.
rm -f "$marker"
KINDLING_IMAGE=$early/good.img FAULT_MARKER=$marker run_kindling -m "early-marker run" --no-kernel
expect "a good build runs the early-marker check()" eval '((status == 0)) && [[ -e $marker ]]'
rm -f "$early/good.img"

# --- 41. environment faults: no /proc, no /dev, closed standard descriptors, an empty environment -
# Never a trap (Swift's "Fatal error", SIGILL 132, SIGABRT 134, SIGSEGV 139); a build that can do
# without the resource succeeds, as dracut's would; one that fails says why in one line. Each
# build runs in a mount namespace of its own, so the host's /proc and /dev are never touched.
no_trap() {
    local what=$1
    # shellcheck disable=SC2154 # $status is set by the caller (run_kindling, in_namespace)
    expect "$what: no trap" eval '((status != 132 && status != 134 && status != 139)) &&
        ! grep -qE "Illegal instruction|Fatal error|Segmentation fault|Backtracing" "$work/log"'
}
# in_namespace SETUP ARGUMENT...: run_kindling in a new mount namespace after the shell code SETUP.
in_namespace() {
    local setup=$1
    shift
    # shellcheck disable=SC2016 # expanded by the inner bash
    unshare -m bash -c "$setup"' && "$@"' in-namespace timeout -k 5 120 "$KINDLING" "${common[@]}" --force "$@" \
        >"$work/log" 2>&1
    status=$?
}
no_proc='mount -t tmpfs kindling-no-proc /proc'

in_namespace "$no_proc" -m "early-marker run" --no-kernel "$early/no-proc.img"
no_trap "no /proc"
expect "no /proc: the build succeeds with its own arguments" \
    eval '((status == 0)) && list_image "$early/no-proc.img" | grep -qxE "(usr/)?lib/dracut/modules\.txt"'
expect "no /proc: the image holds the busybox applets (read without process substitution)" \
    eval '[[ ! -x /bin/busybox ]] || { in_namespace "$no_proc" -m "busybox" --no-kernel "$early/no-proc-busybox.img";
        ((status == 0)) && list_image "$early/no-proc-busybox.img" | grep -qxE "(usr/)?bin/sh"; }'
in_namespace "$no_proc" -m "early-marker run" --no-kernel --hostonly "$early/no-proc.img"
no_trap "no /proc, hostonly"
expect "no /proc, hostonly: host-only mode is turned off with a warning, as in dracut" \
    eval '((status == 0)) && grep -qx "kindling: Turning off host-only mode: '"'"'/proc'"'"' is not mounted!" "$work/log"'
rm -f "$early/no-proc.img" "$early/no-proc-busybox.img"
rm -f "$marker"
FAULT_MARKER=$marker in_namespace "$no_proc" -m "early-marker run" --no-kernel --compress gzipp "$image"
no_trap "no /proc, a misspelt --compress"
expect_failure "no /proc, a misspelt --compress" 1 "cannot compress the image with 'gzipp'"
expect "no /proc, a misspelt --compress: refused before any module's check()" test ! -e "$marker"
in_namespace "$no_proc" --bad-option "$image"
no_trap "no /proc, an unknown option"
expect_failure "no /proc, an unknown option" 1 "bad-option"

in_namespace 'mount -t tmpfs kindling-no-dev /dev' -m "early-marker run" --no-kernel "$early/no-dev.img"
no_trap "no /dev (no /dev/null, no /dev/fd)"
expect "no /dev: the build succeeds" eval '((status == 0)) && list_image "$early/no-dev.img" | grep -qxE "(usr/)?lib/dracut/modules\.txt"'
rm -f "$early/no-dev.img"

# Closed descriptors: what kindling opens next must not take their numbers and receive the log
# (it was the pipe of commands to the module shell). The module reads kindling's (its parent's)
# descriptors 0, 1 and 2: each must be /dev/null.
FAULT_INSTALL='for fd in 0 1 2; do readlink "/proc/$PPID/fd/$fd"; done >'"$early/fds" \
    "$KINDLING" "${common[@]}" --force -m "early-marker run" --no-kernel "$early/closed.img" <&- >&- 2>&-
status=$?
: >"$work/log"
no_trap "stdin, stdout and stderr closed"
expect "stdin, stdout and stderr closed: kindling's descriptors 0, 1 and 2 are /dev/null" \
    test "$(cat "$early/fds" 2>/dev/null)" = $'/dev/null\n/dev/null\n/dev/null'
expect "stdin, stdout and stderr closed: the build succeeds and the image holds no log line" \
    eval '((status == 0)) && list_image "$early/closed.img" | grep -qxE "(usr/)?lib/dracut/modules\.txt" &&
        ! { gzip -dc "$early/closed.img" | grep -aq "kindling: "; }'
rm -f "$early/closed.img"
cases=$((cases + 1))
"$KINDLING" "${common[@]}" --force -m "early-marker run" --no-kernel --compress gzipp "$image" <&- >&- 2>&-
status=$?
no_trap "stdin, stdout and stderr closed, a failing build"
expect "stdin, stdout and stderr closed, a failing build: exits 1, the old image is byte-identical" \
    eval '((status == 1)) && cmp -s "$image" "$work/old.img" && test -z "$(ls -A "$TMPDIR")"'

# A low open-file limit: the module shell's descriptors 61 and 62 cannot exist under it (the
# configuration's bash failed before, "Bad file descriptor" lines and no cause).
cases=$((cases + 1))
(
    ulimit -n 40
    exec "$KINDLING" "${common[@]}" --force -m "early-marker run" --no-kernel "$image"
) >"$work/log" 2>&1
status=$?
no_trap "ulimit -n 40"
expect "ulimit -n 40: exits 1 in one line naming the limit, the old image is byte-identical" \
    eval '((status == 1)) && [[ $(grep -v "^kindling: Executing: " "$work/log") == "kindling: "*"over the open-file limit (ulimit -n is 40)" ]] &&
        cmp -s "$image" "$work/old.img" && test -z "$(ls -A "$TMPDIR")"'

# An empty environment (no PATH, HOME, TMPDIR), and PATH or HOME alone missing.
env -i "$KINDLING" "${common[@]}" --force -m "early-marker run" --no-kernel "$early/env.img" >"$work/log" 2>&1
status=$?
no_trap "env -i"
expect "env -i: the build succeeds (ldconfig and strip are found without PATH)" \
    eval '((status == 0)) && list_image "$early/env.img" | grep -qxE "(usr/)?lib/dracut/modules\.txt"'
env -u HOME PATH= "$KINDLING" "${common[@]}" --force -m "early-marker run" --no-kernel "$early/env.img" >"$work/log" 2>&1
status=$?
no_trap "HOME unset, PATH empty"
expect "HOME unset, PATH empty: the build succeeds" eval '((status == 0))'
rm -f "$early/env.img"

# A kdump capture image made without /proc holds the same drivers (kdump-storage read none: its
# lists came through process substitution, and the image had no kernel module at all; kdumpbase
# could not split dracut_args and failed, blaming the value).
if [[ -n ${kver-} && -d ${kroot-}/lib/modules/$kver ]]; then
    printf 'ext4 LABEL=kdump\npath /var/crash\ndracut_args --add-drivers loop\n' >"$early/kdump.conf"
    kdump_args=(--kver "$kver" --kmoddir "$kroot/lib/modules/$kver" -m kdumpbase)
    KDUMP_CONFIG_FILE=$early/kdump.conf run_kindling "${kdump_args[@]}" "$early/kdump-proc.img"
    list_image "$early/kdump-proc.img" | grep "\.ko" >"$early/kdump-proc.list"
    expect "a kdump image with dracut_args --add-drivers loop has loop.ko" grep -q "/loop\.ko" "$early/kdump-proc.list"
    KDUMP_CONFIG_FILE=$early/kdump.conf in_namespace "$no_proc" "${kdump_args[@]}" "$early/kdump-no-proc.img"
    no_trap "no /proc, a kdump image"
    expect "no /proc, a kdump image: the same kernel modules as with /proc" \
        eval '((status == 0)) && (($(wc -l <"$early/kdump-proc.list") > 5)) &&
            list_image "$early/kdump-no-proc.img" | grep "\.ko" | cmp -s - "$early/kdump-proc.list"'
    rm -f "$early"/kdump-*
fi
