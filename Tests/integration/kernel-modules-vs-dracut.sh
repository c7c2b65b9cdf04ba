#!/bin/bash
# Builds the same generic image with dracut 059 and with Kindling (base and kernel-modules, a
# real kernel through --kmoddir) and compares what each put under /lib/modules/KVER: the file
# list, each module's contents, and the modules.dep that depmod wrote. Every difference is printed.
#   DRACUT   the dracut script (default: dracut on PATH)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=kernel-modules-vs-dracut
dracut=${DRACUT:-$(command -v dracut || echo /usr/bin/dracut)}
PATH=$PATH:/usr/sbin:/sbin

require_kindling_dracut_and_kernel

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/confdir"

# Host configuration stays out; stripping is off so that module contents compare byte for byte.
options=(--force --no-hostonly -m "base kernel-modules" --kmoddir "$root/lib/modules/$kver" --kver "$kver"
    --no-compress --no-early-microcode --nostrip --conf /dev/null --confdir "$work/confdir")

if ! "$dracut" "${options[@]}" "$work/dracut.img" >"$work/dracut.log" 2>&1; then
    tail -n 20 "$work/dracut.log"
    give_up "dracut could not build the image"
fi
if ! "$KINDLING" "${options[@]}" --modules-dir /usr/lib/dracut/modules.d "$work/kindling.img" >"$work/kindling.log" 2>&1; then
    tail -n 20 "$work/kindling.log"
    give_up "kindling could not build the image"
fi

for tool in dracut kindling; do
    unpack_image "$work/$tool.img" "$work/$tool"
    # /lib is a symlink to usr/lib in both images on a merged-/usr host: cd follows it.
    modules=$work/$tool/lib/modules/$kver
    [[ -f $modules/modules.dep ]] || give_up "the $tool image has no /lib/modules/$kver/modules.dep"
    (cd "$modules" && find . -mindepth 1 -printf '%y %p\n' | LC_ALL=C sort) >"$work/$tool.files"
    (cd "$modules" && find . -type f -name '*.ko*' -exec md5sum {} + | LC_ALL=C sort -k 2) >"$work/$tool.sums"
    LC_ALL=C sort "$modules/modules.dep" >"$work/$tool.dep"
done

differences=()
compare() {
    diff -u --label "dracut: $1" --label "kindling: $1" "$2" "$3" || differences+=("$1")
}
compare "files under /lib/modules/$kver" "$work/dracut.files" "$work/kindling.files"
compare "module contents" "$work/dracut.sums" "$work/kindling.sums"
compare "modules.dep" "$work/dracut.dep" "$work/kindling.dep"

count=$(grep -c . "$work/dracut.dep")
if ((${#differences[@]} > 0)); then
    fail "$name: differs from dracut 059 in: ${differences[*]} (dracut installed $count modules)"
else
    pass "$name: the same $count modules, contents and modules.dep as dracut 059 ($kver)"
fi
finish
