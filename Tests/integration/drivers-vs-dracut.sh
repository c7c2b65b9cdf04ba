#!/bin/bash
# A whole image with a few drivers (-d), stripped as dracut strips by default, built by dracut
# 059 and by Kindling: every path, mode, link and byte must match.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

read -r kver root < <("$here/../support/kernel-cache") || { fail "drivers-vs-dracut: no test kernel"; finish; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# check NAME SUBTREE OPTIONS...: compares SUBTREE of both images ('.' for all of it).
check() {
    local name=$1 subtree=$2
    shift 2
    local -a options=(--force --no-hostonly -m "base kernel-modules" --kmoddir "$root/lib/modules/$kver" --kver "$kver"
        --no-compress --conf /dev/null --confdir "$work" "$@")
    dracut "${options[@]}" "$work/d.img" >"$work/d.log" 2>&1 || { fail "$name: dracut failed"; return; }
    "$KINDLING" "${options[@]}" --modules-dir /usr/lib/dracut/modules.d "$work/k.img" >"$work/k.log" 2>&1 ||
        { fail "$name: kindling failed"; cat "$work/k.log"; return; }
    rm -rf "$work/d" "$work/k"
    unpack_image "$work/d.img" "$work/d"
    unpack_image "$work/k.img" "$work/k"
    if compare_trees "$work/d/$subtree" "$work/k/$subtree" usr/lib/dracut/build-parameter.txt; then
        pass "$name: same image as dracut"
    else
        fail "$name: differs from dracut"
    fi
}

check 'drivers, stripped' . -d "virtio_blk ext4 vfat usb-storage"
# Stripping must leave a signed module as it was: its signature covers every byte.
module=$(cd "$root/lib/modules/$kver" && find kernel -name 'virtio_blk.ko*' | head -n 1)
if [[ $(tail -c 28 "$root/lib/modules/$kver/$module" | tr -d '\000') == '~Module signature appended~' ]] &&
    cmp -s "$root/lib/modules/$kver/$module" "$work/k/usr/lib/modules/$kver/$module"; then
    pass "a signed module is not stripped: $module is byte-identical to the kernel's"
else
    fail "signed module $module was changed (or is not signed in this kernel)"
fi
check 'added and forced drivers, aggressive strip' . --add-drivers "nvme" --force-drivers "ahci" --aggressive-strip -d "sd_mod"
# dracut 059 --kernel-only also makes directories named after its whole $libdirs string (a
# quoting slip); Kindling does not, so only the kernel modules are compared here.
check 'kernel only' usr/lib/modules --kernel-only -d "virtio_blk ext4"
finish
