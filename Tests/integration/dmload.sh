#!/bin/bash
# kindling-dmload, the kdump image's device-mapper loader (beside $KINDLING, as `make build` puts
# it): it needs the C library alone, and its command line and table checks, which run before any
# ioctl (`check` runs them without the kernel), refuse bad input with one line naming the device
# and the table line. Loading real devices is tested against LVM in the kdump tests' builder guest
# (Tests/kdump/lvm-reader-guest.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=dmload

loader=$(dirname "$KINDLING")/kindling-dmload
[[ -x $loader ]] || give_up "no kindling-dmload beside $KINDLING (make build compiles it)"

# The dynamic section: libc.so.6 and nothing else (no Swift runtime, no libdevmapper).
needed=$(readelf -d "$loader" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd ' ')
if [[ $needed == libc.so.6 ]]; then
    pass "kindling-dmload needs libc.so.6 alone ($(stat -c %s "$loader") bytes)"
else
    fail "kindling-dmload needs: $needed"
fi

# A table of two linear lines and a striped one, with blank lines and blanks round the
# parameters: checked, and printed as it would be loaded.
table=$'0 2048 linear 8:1 2048\n\n2048  1024   linear   8:2 0  \n3072 256 striped 2 64 8:1 4096 8:2 4096\n'
want=$'0 2048 linear 8:1 2048\n2048 1024 linear 8:2 0\n3072 256 striped 2 64 8:1 4096 8:2 4096'
if got=$("$loader" check vg-lv LVM-uuid <<<"$table" 2>&1) && [[ $got == "$want" ]]; then
    pass "check: a linear and striped table of three lines is accepted as written"
else
    fail "check: the good table gave: $got"
fi

# refused WHAT STATUS LINE ARGS... <TABLE: the loader exits STATUS and says LINE (its whole
# standard error).
refused() {
    local what=$1 status=$2 line=$3 got code=0
    shift 3
    got=$("$loader" "$@" 2>&1 >/dev/null) || code=$?
    if [[ $code == "$status" && $got == "$line" ]]; then
        pass "$what: $got"
    else
        fail "$what: status $code (wanted $status), said: $got"
    fi
}
prefix="kindling-dmload: vg-lv:"
refused "an empty table" 1 "$prefix the table is empty" check vg-lv LVM-x <<<$'\n  \n'
refused "a thin target" 1 "$prefix table line 1: target 'thin': only linear and striped are loaded" \
    check vg-lv LVM-x <<<"0 2048 thin 253:0 1"
refused "a line not at sector 0" 1 "$prefix table line 1: starts at sector 8, not 0 (the lines must follow on from sector 0)" \
    check vg-lv LVM-x <<<"8 2048 linear 8:1 0"
refused "a gap between lines" 1 "$prefix table line 3: starts at sector 16, not 8 (the lines must follow on from sector 0)" \
    check vg-lv LVM-x <<<$'0 8 linear 8:1 0\n\n16 8 linear 8:1 8'
refused "a length that is not a number" 1 "$prefix table line 1: not START LENGTH TARGET PARAMETERS" \
    check vg-lv LVM-x <<<"0 8x linear 8:1 0"
refused "a start past 2^64" 1 "$prefix table line 1: not START LENGTH TARGET PARAMETERS" \
    check vg-lv LVM-x <<<"18446744073709551616 8 linear 8:1 0"
refused "a line without a target" 1 "$prefix table line 1: not START LENGTH TARGET PARAMETERS" \
    check vg-lv LVM-x <<<"0 8"
refused "a zero length" 1 "$prefix table line 1: a length of 0 sectors" check vg-lv LVM-x <<<"0 0 linear 8:1 0"
refused "linear without its offset" 1 "$prefix table line 1: linear takes a device and a sector offset, not '8:1'" \
    check vg-lv LVM-x <<<"0 8 linear 8:1"
refused "striped with a stripe missing" 1 \
    "$prefix table line 1: striped takes a stripe count, a chunk size and a device and offset per stripe, not '2 64 8:1 0'" \
    check vg-lv LVM-x <<<"0 256 striped 2 64 8:1 0"
refused "striped, not whole chunks" 1 "$prefix table line 1: striped: 200 sectors are not whole chunks of 64 sectors on each of 2 stripes" \
    check vg-lv LVM-x <<<"0 200 striped 2 64 8:1 0 8:2 0"
refused "a name with a slash" 1 "kindling-dmload: vg/lv: the device name is not a file name" check vg/lv LVM-x <<<"0 8 linear 8:1 0"
long_uuid=LVM-$(printf 'x%.0s' {1..130})
refused "a uuid of 134 bytes" 1 "$prefix the uuid '$long_uuid' is longer than 128 bytes" check vg-lv "$long_uuid" <<<"0 8 linear 8:1 0"
refused "no command" 2 "usage: kindling-dmload create NAME UUID <TABLE | check NAME UUID <TABLE | table NAME" </dev/null
refused "create without a uuid" 2 "usage: kindling-dmload create NAME UUID <TABLE | check NAME UUID <TABLE | table NAME" \
    create vg-lv </dev/null

echo "$passed passed, $failed failed"
((failed == 0))
