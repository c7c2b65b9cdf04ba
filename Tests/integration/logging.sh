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

# sysloglvl: the lines at that level go to syslog. A private mount namespace puts a socket of
# the test's own at /dev/log, read by a small listener.
if command -v python3 >/dev/null && command -v unshare >/dev/null && [[ $(id -u) == 0 ]]; then
    printf 'sysloglvl=4\n' >"$work/syslog.conf"
    # shellcheck disable=SC2016 # the inner bash expands its own variables
    unshare --mount -- bash -c '
        mount -t tmpfs none /dev 2>/dev/null || exit 3
        python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/dev/log\")
s.settimeout(5)
with open(sys.argv[1], \"wb\") as out:
    try:
        while True:
            out.write(s.recv(65536) + b\"\\n\")
            out.flush()
    except socket.timeout:
        pass
" "$1/syslog.received" &
        for _ in 1 2 3 4 5 6 7 8 9 10; do [[ -S /dev/log ]] && break; sleep 0.2; done
        "$2" --no-kernel --no-hostonly --modules-dir "$3" -m helpers --force --no-compress --conf "$1/syslog.conf" \
            "$1/img" 2>"$1/syslog.err"
        : >"$1/empty.conf"
        "$2" --no-kernel --no-hostonly --modules-dir "$3" -m helpers --force --no-compress --conf "$1/empty.conf" \
            "$1/img" 2>"$1/syslog.err"
        wait
    ' bash "$work" "$KINDLING" "$modules"
    check "sysloglvl=4: info lines reach syslog as kindling[PID]" \
        grep -qE '^<14>.*kindling\[[0-9]+\]: \*\*\* Including module: helpers \*\*\*' "$work/syslog.received"
    check "sysloglvl=4: warnings with their priority" grep -qE '^<12>.*a warning from helpers' "$work/syslog.received"
    check "sysloglvl=4: no debug lines" test "$(grep -c '^<15>' "$work/syslog.received")" = 0
    check "no syslog without sysloglvl (one build of two logged)" test "$(grep -c 'Executing: ' "$work/syslog.received")" = 1
fi

# The same module announcements as dracut's, in the same order.
if command -v dracut >/dev/null; then
    dracut --no-kernel --no-hostonly -m "base bash" --force --no-compress "$work/d.img" 2>"$work/d.err"
    "$KINDLING" --no-kernel --no-hostonly --modules-dir /usr/lib/dracut/modules.d -m "base bash" --force --no-compress \
        "$work/k.img" 2>"$work/k.err"
    if diff <(grep -o '\*\*\* Including module: .* \*\*\*' "$work/d.err") \
        <(grep -o '\*\*\* Including module: .* \*\*\*' "$work/k.err") >"$work/err"; then
        pass "module announcements match dracut's ($(grep -c 'Including module' "$work/k.err"))"
    else
        fail "module announcements match dracut's"
        cat "$work/err"
    fi
fi
finish
