# shellcheck shell=bash
# shellcheck disable=SC2154,SC2016 # $work, $status, $mounts are the sourcing script's; eval strings expand later
# Sourced by ../fault-matrix.sh (its helpers and state; see README.md here).

# --- 40. refused early: what can be checked is, before the first module runs ----------------------
# An output that is a directory or a FIFO, a missing or read-only output directory, a misspelt or
# missing compressor (on the command line and in a config file), a missing or unwritable --tmpdir,
# a missing kernel module directory, an --explain file that cannot be written: each fails in one
# line before any module's check() (the early-marker module's check() leaves $marker), in
# well under a build's time.
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
    "cannot compress the image with 'gzipp' \(--compress or compress=\): 'gzipp' is not installed"
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

# A good build of the same modules runs check(): the marker can appear, so its absence above means something.
rm -f "$marker"
KINDLING_IMAGE=$early/good.img FAULT_MARKER=$marker run_kindling -m "early-marker run" --no-kernel
expect "a good build runs the early-marker check()" eval '((status == 0)) && [[ -e $marker ]]'
rm -f "$early/good.img"
