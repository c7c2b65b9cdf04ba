#!/bin/bash
# Runs Kindling on the fixture modules under Tests/fixtures/engine and checks the images and the
# failures: every file helper, check/depends chains, a failing install(), cyclic and omitted
# dependencies, an unimplemented helper, a module that exits, and the rules for the output file.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
modules=$here/../fixtures/engine/modules.d

make_work_directory

build() { "$KINDLING" --no-kernel --no-hostonly --modules-dir "$modules" "$@" >"$work/log" 2>&1; }

expect() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; sed 's/^/    /' "$work/log"; fi
}

# --- every helper --------------------------------------------------------------------------------
if build -m helpers --force "$work/helpers.img"; then
    pass "builds with every helper"
else
    fail "builds with every helper"; cat "$work/log"
fi
unpack_image "$work/helpers.img" "$work/h"
h=$work/h
expect "inst keeps the path" test -x "$h/usr/bin/cat"
expect "inst installs libraries natively" test -e "$h/usr/lib/x86_64-linux-gnu/libc.so.6"
expect "inst installs the loader as a relative link" test "$(readlink "$h/lib64/ld-linux-x86-64.so.2")" = ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
expect "inst SRC DST renames" test -x "$h/opt/renamed-ls"
expect "inst_simple with spaces" grep -qx 'some data' "$h/etc/helpers/data file.txt"
expect "inst_fsck_help installs the fsck hook's help text" grep -qx 'some data' "$h/run/dracut/fsck/fsck_help_ext4.txt"
expect "inst_multiple -o skips missing" test -x "$h/usr/bin/cpio" -a -x "$h/usr/bin/od"
expect "dracut_install" test -x "$h/usr/bin/tr"
expect "inst_binary" test -x "$h/usr/bin/head"
expect "inst_script installs the interpreter" test -x "$h/usr/bin/helper-script" -a -e "$h/bin/sh"
expect "inst_library" test -e "$h/usr/lib/x86_64-linux-gnu/libz.so.1"
expect "inst_symlink keeps a symlink" test -L "$h/usr/bin/sh"
expect "inst_dir" test -d "$h/var/lib/helpers/deep"
expect "inst_any takes the first that exists" test -x "$h/usr/bin/first-found"
expect "inst_libdir_file globs libdirs" compgen -G "$h/usr/lib/x86_64-linux-gnu/libkmod.so*"
expect "inst_hook names and marks the hook" test -x "$h/usr/lib/dracut/hooks/pre-mount/42-hook.sh"
expect "inst_rules installs a udev rule" test -f "$h/usr/lib/udev/rules.d/60-block.rules"
expect "inst_rules installs a module's rule" test -f "$h/etc/udev/rules.d/99-helpers.rules"
expect "inst_rules installs the rule's programs" test -x "$h/usr/bin/basename" -a -x "$h/usr/bin/logger"
expect "inst_rules marks initqueue" test -e "$h/usr/lib/dracut/need-initqueue"
expect "ln_r makes a relative link" test "$(readlink "$h/usr/bin/relative-cat")" = cat
expect "mark_hostonly" grep -qx /etc/helpers/marked "$h/usr/lib/dracut/hostonly-files"
expect "find_binary searches DRACUT_PATH in order" grep -qx /bin/uname "$h/etc/helpers/find_binary"
expect "dracut_module_included sees dependencies" test -f "$h/etc/helpers/chain-a-included" -a -f "$h/etc/helpers/failing-not-included"
expect "depends pulls a 255 module in" test -f "$h/etc/chain-b" -a -f "$h/etc/chain-a"
expect "modules.txt in install order" test "$(tr '\n' ' ' <"$h/usr/lib/dracut/modules.txt")" = "helpers chain-a chain-b "
expect "module output is logged with its name" grep -q 'helpers: plain output from helpers' "$work/log"
expect "derror is logged" grep -q 'a warning from helpers' "$work/log"
expect "image is private" test "$(stat -c %a "$work/helpers.img")" = 600
expect "temporary directory removed" test -z "$(ls -A "$TMPDIR")"

# --- selection and failures ----------------------------------------------------------------------
build -m "failing" --force "$work/failing.img"
expect "a failing install() does not fail the build" test -s "$work/failing.img"

build -m "cycle-a" "$work/cycle.img"
status=$?
expect "cyclic depends is an error naming the cycle" grep -q 'cyclic module dependency: cycle-a -> cycle-b -> cycle-a' "$work/log"
expect "cyclic depends exits 1" test "$status" = 1 -a ! -e "$work/cycle.img"

build -m "needs-omitted" -o omitted "$work/omitted.img"
status=$?
expect "an omitted dependency fails its dependent" grep -q "module 'needs-omitted' depends on 'omitted', which can't be installed" "$work/log"
expect "an omitted dependency exits 1" test "$status" = 1

build -m "no-such-module" "$work/missing.img"
status=$?
expect "a missing module is named" grep -q "module 'no-such-module' cannot be found" "$work/log"
expect "a missing module exits 1" test "$status" = 1

build -m "unsupported" "$work/unsupported.img"
status=$?
expect "an unimplemented helper fails loudly, naming itself" grep -q "called ip_params_for_remote_addr, which Kindling does not implement yet" "$work/log"
expect "an unimplemented helper exits 1" test "$status" = 1 -a ! -e "$work/unsupported.img"

build -m "exits" "$work/exits.img"
status=$?
expect "a module that exits ends the build, named" grep -q "module 'exits' ended the build: its shell exited with status 3" "$work/log"
expect "its status is the build's" test "$status" = 3

# --- the output file -----------------------------------------------------------------------------
printf 'old image\n' >"$work/old.img"
build -m failing "$work/old.img"
status=$?
expect "an existing image needs --force" grep -q 'Will not override existing initramfs' "$work/log"
expect "without --force the old image is untouched" test "$status" = 1 -a "$(cat "$work/old.img")" = 'old image'
build -m no-such-module --force "$work/old.img"
expect "a failed build leaves the old image" test "$(cat "$work/old.img")" = 'old image'
expect "no temporary file is left beside the image" test -z "$(compgen -G "$work/.old*")"

"$KINDLING" --profile "$work/x.img" >"$work/log" 2>&1
status=$?
expect "an unsupported option is refused by name" grep -qx 'kindling: option --profile is not supported yet' "$work/log"
expect "an unsupported option exits 1" test "$status" = 1

# SIGINT while a module runs: the old image survives and the temporary directory goes.
mkdir -p "$work/slow/10slow"
printf 'check() { return 0; }\ninstall() { sleep 30; }\n' >"$work/slow/10slow/module-setup.sh"
"$KINDLING" --no-kernel --modules-dir "$work/slow" -m slow --force "$work/old.img" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 50); do compgen -G "$TMPDIR/kindling.*" >/dev/null && break; sleep 0.1; done
sleep 0.5
kill -INT "$pid"
wait "$pid"
status=$?
expect "SIGINT exits 130" test "$status" = 130
expect "SIGINT leaves the old image" test "$(cat "$work/old.img")" = 'old image'
expect "SIGINT removes the temporary directory" test -z "$(ls -A "$TMPDIR")"

finish
