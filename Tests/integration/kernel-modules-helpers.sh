#!/bin/bash
# Runs dracut's kernel module helpers (Tests/fixtures/modules.d/98kmodhelpers) and the driver
# options under dracut 059 and under Kindling, then compares each helper's status, the modules
# installed, and /etc/cmdline.d/20-force_drivers.conf. Every difference is printed.
#   DRACUT   the dracut script (default: dracut on PATH)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=kernel-modules-helpers
dracut=${DRACUT:-$(command -v dracut || echo /usr/bin/dracut)}
fixtures=$(cd "$here/../fixtures/modules.d" && pwd)
PATH=$PATH:/usr/sbin:/sbin

require_kindling_dracut_and_kernel

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/confdir" "$work/base/modules.d"

# dracut finds modules only under its base directory: a copy of it made of links, plus the fixture.
for entry in /usr/lib/dracut/*; do
    [[ ${entry##*/} == modules.d ]] || ln -s "$entry" "$work/base/${entry##*/}"
done
for entry in /usr/lib/dracut/modules.d/* "$fixtures/98kmodhelpers"; do
    ln -s "$entry" "$work/base/modules.d/${entry##*/}"
done

options=(--force --no-hostonly -m kmodhelpers --kmoddir "$root/lib/modules/$kver" --kver "$kver"
    --add-drivers "vfat" --force-drivers "nvme virtio-blk" --filesystems "btrfs" --omit-drivers "usb-storage ext4"
    --no-compress --no-early-microcode --nostrip --conf /dev/null --confdir "$work/confdir")

if ! dracutbasedir=$work/base "$dracut" "${options[@]}" "$work/dracut.img" >"$work/dracut.log" 2>&1; then
    tail -n 20 "$work/dracut.log"
    give_up "dracut could not build the image"
fi
if ! "$KINDLING" "${options[@]}" --modules-dir "$fixtures" "$work/kindling.img" >"$work/kindling.log" 2>&1; then
    tail -n 20 "$work/kindling.log"
    give_up "kindling could not build the image"
fi

for tool in dracut kindling; do
    unpack_image "$work/$tool.img" "$work/$tool"
    [[ -s $work/$tool/kmodhelpers.txt ]] || give_up "the $tool image has no helper results"
    (cd "$work/$tool/lib/modules/$kver" && find . -name '*.ko*' | LC_ALL=C sort) >"$work/$tool.modules"
done

differences=()
compare() {
    diff -u --label "dracut: $1" --label "kindling: $1" "$2" "$3" || differences+=("$1")
}
# dracut 059's check_kernel_module (and so require_kernel_modules) runs modprobe on
# SYSROOT/lib/modules/KVER and ignores --kmoddir; Kindling asks the build's module directory.
# Those answers are checked against what the kernel has rather than against dracut.
availability='^(require_kernel_modules|check_kernel_module) '
grep -Ev "$availability" "$work/dracut/kmodhelpers.txt" >"$work/dracut.statuses"
grep -Ev "$availability" "$work/kindling/kmodhelpers.txt" >"$work/kindling.statuses"
cat >"$work/expected.availability" <<'END'
require_kernel_modules present: 0
require_kernel_modules two missing: 2
check_kernel_module vfat: 0
check_kernel_module missing: 1
END
grep -E "$availability" "$work/kindling/kmodhelpers.txt" >"$work/kindling.availability"
compare "helper statuses" "$work/dracut.statuses" "$work/kindling.statuses"
diff -u --label "expected: module availability" --label "kindling: module availability" \
    "$work/expected.availability" "$work/kindling.availability" || differences+=("module availability")
compare "installed modules" "$work/dracut.modules" "$work/kindling.modules"
compare "20-force_drivers.conf" "$work/dracut/etc/cmdline.d/20-force_drivers.conf" "$work/kindling/etc/cmdline.d/20-force_drivers.conf"

if ((${#differences[@]} > 0)); then
    fail "$name: differs from dracut 059 in: ${differences[*]}"
else
    pass "$name: the same $(grep -c . "$work/kindling/kmodhelpers.txt") helper statuses, $(grep -c . "$work/kindling.modules") modules and rd.driver.pre lines as dracut 059"
fi
finish
