#!/bin/bash
# Log lines and levels as dracut's: the Executing line, -q, -v with a timing line per phase,
# --stdlog, and --logfile with dracut's "LETTER: message" lines at fileloglvl.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
modules=$here/../fixtures/engine/modules.d

make_work_directory

build() { "$KINDLING" --no-kernel --no-hostonly --modules-dir "$modules" -m helpers --force --no-compress "$@" "$work/img" 2>"$work/err"; }
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; sed 's/^/    /' "$work/err" | head -20; fi
}

build
check "the build names its command line" grep -qx "kindling: Executing: .*kindling --no-kernel --no-hostonly --modules-dir $modules -m helpers --force --no-compress $work/img" "$work/err"
check "each module is announced" grep -qx 'kindling: \*\*\* Including module: helpers \*\*\*' "$work/err"
check "no timing lines without -v" test "$(grep -c 'done in [0-9.]* s \*\*\*$' "$work/err")" = 0

build -v
for phase in "Reading the configuration" "Selecting modules (check and depends)" "Installing modules" \
    "Finishing the image tree" "Stripping" "Writing the image"; do
    check "-v: '$phase' ends with a timing line" grep -qE "^kindling: \*\*\* ${phase//[()]/.} done in [0-9]+\.[0-9]{3} s \*\*\*$" "$work/err"
done

build -q
check "-q hides info lines" test "$(grep -c 'Including module' "$work/err")" = 0
check "-q keeps warnings" grep -q 'a warning from helpers' "$work/err"

build --stdlog 0
check "--stdlog 0 prints nothing" test ! -s "$work/err"

build --logfile "$work/log"
check "--logfile: info lines, dracut's letter" grep -qx 'I: \*\*\* Including module: helpers \*\*\*' "$work/log"
check "--logfile: warnings, dracut's letter" grep -q '^W: helpers: a warning from helpers' "$work/log"
check "--logfile: no debug lines at fileloglvl 4" test "$(grep -c '^D: ' "$work/log")" = 0
check "--logfile appends" test "$(build --logfile "$work/log"; grep -c 'Including module: helpers' "$work/log")" = 2
printf 'fileloglvl=5\n' >"$work/debug.conf"
build --conf "$work/debug.conf" --logfile "$work/debuglog"
check "--logfile: fileloglvl=5 adds debug lines" grep -q '^D: ' "$work/debuglog"
check "--logfile: the file level leaves the terminal alone" test "$(grep -c 'done in' "$work/err")" = 0
build --logfile /no/such/dir/log
status=$?
check "an unwritable log file is one error line naming it" test "$status" != 0 -a "$(grep -c /no/such/dir/log "$work/err")" = 1

# The same module announcements as dracut's, in the same order.
if command -v dracut >/dev/null; then
    dracut --no-kernel --no-hostonly -m "base bash" --force --no-compress "$work/d.img" 2>"$work/d.err"
    "$KINDLING" --no-kernel --no-hostonly --modules-dir /usr/lib/dracut/modules.d -m "base bash" --force --no-compress \
        "$work/k.img" 2>"$work/k.err"
    diff <(grep -o '\*\*\* Including module: .* \*\*\*' "$work/d.err") \
        <(grep -o '\*\*\* Including module: .* \*\*\*' "$work/k.err") >"$work/err" \
        && pass "module announcements match dracut's ($(grep -c 'Including module' "$work/k.err"))" \
        || { fail "module announcements match dracut's"; cat "$work/err"; }
fi
finish
