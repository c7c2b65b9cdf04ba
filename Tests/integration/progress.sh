#!/bin/bash
# The status line of a long build: on a terminal (script(1)'s pseudo-terminal) a build that runs
# past two seconds shows its phase and counts on one line rewritten in place, cleared around each
# log line and at the end; with standard error on a pipe or a file, or with -q, there is none.
# The build is real work: a real kernel's modules (about 120 MB) into an archive that one xz thread
# compresses, seconds in a release build too.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=progress

command -v script >/dev/null || give_up "script is not installed (apt-get install util-linux)"
command -v xz >/dev/null || give_up "xz is not installed (apt-get install xz-utils)"
command -v perl >/dev/null || give_up "perl is not installed"
[[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"
read -r kver root < <("$here/../support/kernel-cache") || give_up "the test kernel is unavailable (Tests/support/kernel-cache)"
[[ -d $root/lib/modules/$kver ]] || give_up "the test kernel has no modules"

make_work_directory
mkdir "$work/confdir"
options=(--force --no-hostonly --conf /dev/null --confdir "$work/confdir" --modules-dir /usr/lib/dracut/modules.d
    -m "base kernel-modules" --kver "$kver" --kmoddir "$root/lib/modules/$kver" --compress "xz -0 -T1" "$work/image")

# A status line as drawn: a carriage return, the text, "erase to the end of the line".
status_line='\rkindling: [^\r\n\e]+\e\[K'

# What a terminal shows after OUTPUT, row by row: a carriage return takes the cursor back to the
# start of the row, "erase to the end of the line" removes what follows the cursor, other text
# overwrites. The last row is the one the cursor ends on.
screen() {
    perl -0ne '
        for my $row (split /\n/, $_, -1) {
            my ($text, $column) = ("", 0);
            for my $piece ($row =~ /\r|\e\[K|[^\r\e]+|\e/g) {
                if ($piece eq "\r") { $column = 0 }
                elsif ($piece eq "\e[K") { substr($text, $column) = "" }
                else { substr($text, $column, length $piece) = $piece; $column += length $piece }
            }
            print "$text\n";
        }' "$1"
}

check() {
    local what=$1 output=$2
    shift 2
    if "$@"; then pass "$what"; else fail "$what"; { cat -A "$output" && echo; } | tail -n 20 | sed 's/^/    | /'; fi
}

# Runs the build with ARGS added: on a pseudo-terminal 160 columns wide when the first argument is
# "terminal", with standard error on a file otherwise. Sets elapsed (seconds) and fails the case
# when the build did not run long enough to say anything about the line.
build() {
    local where=$1 output=$2 start=$SECONDS command
    shift 2
    if [[ $where == terminal ]]; then
        command=$(printf '%q ' "$KINDLING" "${options[@]}" "$@")
        TERM=xterm script -q -e -c "stty cols 160; $command" /dev/null </dev/null >"$output" 2>&1
    else
        "$KINDLING" "${options[@]}" "$@" >"$output" 2>&1
    fi || { fail "$where build $*: exit status $?"; tail -n 20 "$output" | sed 's/^/    | /'; return 1; }
    elapsed=$((SECONDS - start))
    ((elapsed >= 3)) || { fail "$where build $*: took only ${elapsed}s, too short to show a status line"; return 1; }
}

if build terminal "$work/terminal.out"; then
    # Which phase is the first past two seconds depends on the machine: any phase, with its counts.
    check "on a terminal, the line shows the phase and the kernel modules installed (${elapsed}s build)" "$work/terminal.out" \
        grep -aqP '\rkindling: [A-Z][a-z ]+: ([0-9]+ dracut modules?, )?[0-9]+ kernel modules' "$work/terminal.out"
    check "on a terminal, the line shows the bytes written while the image is written" "$work/terminal.out" \
        grep -aqP '\rkindling: Writing the image: [0-9]+ dracut modules, [0-9]+ kernel modules, [0-9.]+ [KMG]iB written\e\[K' \
        "$work/terminal.out"
    # Every drawn line is followed by a carriage return (a redraw, or the clear before a log line
    # and at the end), never by other text or the end of the output.
    check "the line is cleared before each log line and at the end" "$work/terminal.out" \
        perl -0ne "exit(/$status_line(?!\\r)/ ? 1 : 0)" "$work/terminal.out"
fi

if build file "$work/file.out"; then
    check "with standard error on a file, no status line" "$work/file.out" \
        perl -0ne 'exit(/\r|\e\[K|kernel modules, / ? 1 : 0)' "$work/file.out"
    if [[ -s $work/terminal.out ]]; then
        # The terminal shows the log lines of the file, each whole, and then an empty row: no
        # status line is left over, and none shares a row with a log line.
        screen "$work/terminal.out" >"$work/screen"
        { cat "$work/file.out" && echo; } >"$work/expected-screen"
        check "the terminal shows each log line whole, and nothing after the last" "$work/screen" \
            cmp -s "$work/expected-screen" "$work/screen"
    fi
fi

if build terminal "$work/quiet.out" -q; then
    check "with -q on a terminal, no status line" "$work/quiet.out" \
        perl -0ne 'exit(/\e\[K|kernel modules, / ? 1 : 0)' "$work/quiet.out"
fi

finish
