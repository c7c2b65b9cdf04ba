#!/bin/bash
# A whole image with a few drivers (-d), stripped as dracut strips by default, built by dracut
# 059 and by Kindling: every path, mode, link and byte must match.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

read -r kver root < <("$here/../support/kernel-cache") || { fail "drivers-vs-dracut: no test kernel"; finish; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check() {
    local name=$1
    shift
    local -a options=(--force --no-hostonly -m "base kernel-modules" --kmoddir "$root/lib/modules/$kver" --kver "$kver"
        --no-compress --conf /dev/null --confdir "$work" "$@")
    dracut "${options[@]}" "$work/d.img" >"$work/d.log" 2>&1 || { fail "$name: dracut failed"; return; }
    "$KINDLING" "${options[@]}" --modules-dir /usr/lib/dracut/modules.d "$work/k.img" >"$work/k.log" 2>&1 ||
        { fail "$name: kindling failed"; cat "$work/k.log"; return; }
    rm -rf "$work/d" "$work/k"
    unpack_image "$work/d.img" "$work/d"
    unpack_image "$work/k.img" "$work/k"
    if compare_trees "$work/d" "$work/k" usr/lib/dracut/build-parameter.txt; then
        pass "$name: same image as dracut"
    else
        fail "$name: differs from dracut"
    fi
}

check 'drivers, stripped' -d "virtio_blk ext4 vfat usb-storage"
check 'added and forced drivers, aggressive strip' --add-drivers "nvme" --force-drivers "ahci" --aggressive-strip -d "sd_mod"
finish
