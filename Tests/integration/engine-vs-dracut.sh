#!/bin/bash
# Builds the same images with dracut 059 and with Kindling, running dracut's stock modules, and
# compares them: file list, types, modes, symlink targets and the content of every file.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

compare() {
    local name=$1
    shift
    dracut --force --no-compress "$@" "$work/dracut.img" >"$work/dracut.log" 2>&1 || {
        fail "$name: dracut failed"; cat "$work/dracut.log"; return
    }
    "$KINDLING" --force --no-compress --modules-dir /usr/lib/dracut/modules.d "$@" "$work/kindling.img" \
        >"$work/kindling.log" 2>&1 || { fail "$name: kindling failed"; cat "$work/kindling.log"; return; }
    rm -rf "$work/d" "$work/k"
    unpack_image "$work/dracut.img" "$work/d"
    unpack_image "$work/kindling.img" "$work/k"
    # build-parameter.txt differs by the --modules-dir option alone.
    if compare_trees "$work/d" "$work/k" usr/lib/dracut/build-parameter.txt; then
        pass "$name: same image as dracut ($(wc -l < <(manifest "$work/k")) entries)"
    else
        fail "$name: differs from dracut"
    fi
}

# Early microcode from a firmware directory named in a config file.
mkdir -p "$work/fw/intel-ucode" "$work/fw/amd-ucode"
printf 'intel-a' >"$work/fw/intel-ucode/06-55-04"
printf 'intel-b' >"$work/fw/intel-ucode/06-9e-0a"
printf 'amd' >"$work/fw/amd-ucode/microcode_amd_fam17h.bin"
printf 'fw_dir="%s"\n' "$work/fw" >"$work/microcode.conf"
compare_early() {
    dracut --force --no-compress --conf "$work/microcode.conf" --no-kernel --no-hostonly -m base "$work/d-early.img" >/dev/null 2>&1
    "$KINDLING" --force --no-compress --conf "$work/microcode.conf" --no-kernel --no-hostonly -m base \
        --modules-dir /usr/lib/dracut/modules.d "$work/k-early.img" >/dev/null 2>&1
    rm -rf "$work/de" "$work/ke"
    unpack_early "$work/d-early.img" "$work/de"
    unpack_early "$work/k-early.img" "$work/ke"
    if [[ -f $work/ke/kernel/x86/microcode/GenuineIntel.bin ]] && diff <(manifest "$work/de") <(manifest "$work/ke") &&
        cmp "$work/de/kernel/x86/microcode/GenuineIntel.bin" "$work/ke/kernel/x86/microcode/GenuineIntel.bin" &&
        cmp "$work/de/kernel/x86/microcode/AuthenticAMD.bin" "$work/ke/kernel/x86/microcode/AuthenticAMD.bin"; then
        pass "early microcode: same early archive as dracut"
    else
        fail "early microcode differs from dracut"
    fi
}
compare_early

# Hostonly: only this CPU's microcode file goes in, and the rest of the image matches too.
hostonly_microcode() {
    local family model stepping own
    family=$(grep -m1 '^cpu family' /proc/cpuinfo | sed 's/.*: //')
    model=$(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | sed 's/.*: //')
    stepping=$(grep -m1 '^stepping' /proc/cpuinfo | sed 's/.*: //')
    own=$(printf '%02x-%02x-%02x' "$family" "$model" "$stepping")
    grep -q GenuineIntel /proc/cpuinfo || { pass "hostonly microcode: not an Intel CPU, nothing to compare"; return; }
    rm -rf "$work/fw/intel-ucode"/*
    printf 'this cpu' >"$work/fw/intel-ucode/$own"
    printf 'another cpu' >"$work/fw/intel-ucode/ff-ff-ff"
    compare 'hostonly, with this CPU microcode' --conf "$work/microcode.conf" --no-kernel -H --no-hostonly-default-device -m base
    rm -rf "$work/ke"
    unpack_early "$work/kindling.img" "$work/ke"
    if [[ $(cat "$work/ke/kernel/x86/microcode/GenuineIntel.bin" 2>/dev/null) == 'this cpu' ]]; then
        pass "hostonly microcode: only this CPU's file"
    else
        fail "hostonly microcode: expected only this CPU's file"
    fi
}
hostonly_microcode

compare 'base bash' --no-kernel --no-hostonly -m "base bash"
compare 'base bash with items' --no-kernel --no-hostonly -m "base bash" -I /usr/bin/cpio --install-optional "/usr/bin/nonexistent /usr/bin/od" --kernel-cmdline "rd.info quiet"
compare 'identical files hardlinked' --no-kernel --no-hostonly -m "base bash" -I /usr/bin/od -i /usr/bin/od /usr/bin/od-copy
compare 'dash shell' --no-kernel --no-hostonly -m "base dash"
# The host's own devices (/ and the like), found as dracut finds them: root filesystem type and
# options in cmdline.d, and only the modules whose host check passes.
compare 'hostonly, devices of this host' --no-kernel -H -m "base rootfs-block fs-lib"
# --printsize: each module's growth, as dracut measures it (du -sk of the tree).
dracut --printsize --force --no-kernel --no-hostonly -m "base bash" "$work/p1.img" 2>/dev/null >"$work/dracut.sizes"
"$KINDLING" --printsize --force --no-kernel --no-hostonly -m "base bash" --modules-dir /usr/lib/dracut/modules.d \
    "$work/p2.img" 2>/dev/null >"$work/kindling.sizes"
if [[ -s $work/kindling.sizes ]] && diff "$work/dracut.sizes" "$work/kindling.sizes"; then
    pass "--printsize: the same sizes per module as dracut"
else
    fail "--printsize differs from dracut"
fi

# Two --reproducible builds give the same bytes; so do two with SOURCE_DATE_EPOCH.
reproducible() {
    local name=$1
    shift
    "$KINDLING" --force --no-kernel --no-hostonly -m "base bash" --modules-dir /usr/lib/dracut/modules.d "$@" "$work/r1.img" >/dev/null 2>&1
    sleep 1.1
    "$KINDLING" --force --no-kernel --no-hostonly -m "base bash" --modules-dir /usr/lib/dracut/modules.d "$@" "$work/r2.img" >/dev/null 2>&1
    if [[ -s $work/r1.img ]] && cmp -s "$work/r1.img" "$work/r2.img"; then
        pass "$name: two builds are byte-identical"
    else
        fail "$name: two builds differ"
    fi
}
reproducible '--reproducible' --reproducible
SOURCE_DATE_EPOCH=1700000000 reproducible 'SOURCE_DATE_EPOCH'

# Large files are compressed while the tree is staged (AdvanceDeflation): the writer uses those
# blocks, and the gzip image still unpacks to the tree of the --no-compress one (whose
# build-parameter.txt says --no-compress).
"$KINDLING" -v -v --force --no-kernel --no-hostonly -m "base bash" --modules-dir /usr/lib/dracut/modules.d \
    --reproducible --gzip "$work/ahead.img" >"$work/ahead.log" 2>&1
"$KINDLING" --force --no-kernel --no-hostonly -m "base bash" --modules-dir /usr/lib/dracut/modules.d \
    --reproducible --no-compress "$work/ahead.cpio" >/dev/null 2>&1
ahead=$(grep -Eo 'gzip: [0-9]+ of [0-9]+ blocks of large files were compressed ahead' "$work/ahead.log")
rm -rf "$work/ahead-gzip" "$work/ahead-plain"
unpack_image "$work/ahead.img" "$work/ahead-gzip"
unpack_image "$work/ahead.cpio" "$work/ahead-plain"
if [[ $ahead == "gzip: "[1-9]* ]] && gzip -t "$work/ahead.img" &&
    compare_trees "$work/ahead-plain" "$work/ahead-gzip" usr/lib/dracut/build-parameter.txt; then
    pass "compressed ahead (${ahead#gzip: }): the gzip image holds the --no-compress image's tree"
else
    fail "compressed ahead: '${ahead:-no log line}', or the gzip image's tree differs from the --no-compress one"
fi
finish
