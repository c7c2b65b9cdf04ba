#!/bin/bash
# --explain: every path of the image is listed once with its size, and credited to the module and
# the helper call (or the module's own shell code, or Kindling's own step) that put it there.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
modules=$here/../fixtures/engine/modules.d

make_work_directory

# The line of the report for PATH, e.g. "123<TAB>/usr/bin/cat<TAB>helpers<TAB>inst /usr/bin/cat".
row() { grep -P "^[0-9]+\t\Q$1\E\t" "$work/report"; }
expect_row() {
    local name=$1 path=$2 pattern=$3
    if row "$path" | grep -qP "$pattern"; then pass "$name"; else fail "$name: $(row "$path" || echo "no row for $path")"; fi
}

if "$KINDLING" --no-kernel --no-hostonly --modules-dir "$modules" -m helpers --force --nostrip \
    --explain "$work/report" "$work/helpers.img" >"$work/log" 2>&1; then
    pass "builds with --explain"
else
    fail "builds with --explain"; cat "$work/log"
fi

expect_row "a helper call is named" /usr/bin/cat '\thelpers\tinst /usr/bin/cat$'
expect_row "inst SRC DST is named" /opt/renamed-ls '\thelpers\tinst /usr/bin/ls /opt/renamed-ls$'
expect_row "inst_hook is named" /usr/lib/dracut/hooks/pre-mount/42-hook.sh '\thelpers\tinst_hook pre-mount 42 '
expect_row "a file the module wrote itself" /etc/helpers/plain '\thelpers\tinstall\(\) shell code$'
expect_row "a dependency module's helper" /etc/chain-a '\tchain-a\t'
expect_row "the base layout is Kindling's" /proc '\tkindling\tbase layout$'
expect_row "modules.txt is Kindling's" /usr/lib/dracut/modules.txt '\tkindling\tmodules.txt$'
expect_row "a regular file's size" /usr/bin/cat "^$(stat -c %s /usr/bin/cat)\t"

# Lazy resolution (no sysroot): a library is credited to the module of the program that needs it.
libc=$(grep -P '\t/usr/lib/x86_64-linux-gnu/libc\.so\.6\t' "$work/report")
if [[ $libc == *$'\thelpers\tneeded by /'* || $libc == *$'\thelpers\tinst'* ]]; then
    pass "a library names the program that needed it"
else
    fail "a library names the program that needed it: $libc"
fi

# Every path of the archive has exactly one row, and nothing else does.
"$KINDLING_LSINITRD" "$work/helpers.img" >/dev/null 2>&1 || true
unpack_image "$work/helpers.img" "$work/tree"
(cd "$work/tree" && find . -mindepth 1 | sed 's|^\.||' | LC_ALL=C sort) >"$work/archived"
grep -v '^#' "$work/report" | cut -f2 | LC_ALL=C sort >"$work/listed"
if cmp -s "$work/archived" "$work/listed"; then
    pass "one row for each path of the image ($(wc -l <"$work/listed") paths)"
else
    fail "one row for each path of the image"; diff "$work/archived" "$work/listed" | head
fi
if ! grep -P '\tunrecorded$' "$work/report" >/dev/null; then pass "no path is unaccounted for"; else fail "no path is unaccounted for"; fi

# The per-module totals add up to the bytes of the rows.
rows_total=$(grep -v '^#' "$work/report" | awk -F'\t' '{ s += $1 } END { print s }')
summary_total=$(grep -P '^#\t[0-9]+\t' "$work/report" | awk -F'\t' '{ s += $2 } END { print s }')
if [[ $rows_total == "$summary_total" && $rows_total -gt 0 ]]; then pass "module totals add up ($rows_total bytes)"; else fail "module totals add up: $rows_total vs $summary_total"; fi

# A report that cannot be written fails the build and leaves the old image alone.
cp "$work/helpers.img" "$work/before.img"
if "$KINDLING" --no-kernel --no-hostonly --modules-dir "$modules" -m helpers --force \
    --explain "$work/no/such/dir/report" "$work/helpers.img" >"$work/log" 2>&1; then
    fail "an unwritable report fails the build"
else
    if grep -q "no/such/dir" "$work/log" && cmp -s "$work/helpers.img" "$work/before.img"; then
        pass "an unwritable report fails the build, naming it, and keeps the image"
    else
        fail "an unwritable report fails the build, naming it, and keeps the image"; cat "$work/log"
    fi
fi
finish
