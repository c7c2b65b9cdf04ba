#!/bin/bash
# dracut 059's squash module (Debian's dracut-squash) under Kindling and under dracut, side by
# side with the same options and the Debian 6.1 test kernel: the outer archive must be
# uncompressed cpio with the same entries and bytes (the loader: busybox, /init, the loop,
# squashfs and overlay modules and their index, the loader cache), and squash-root.img must hold
# the same tree (hard links included), packed with the same compressor. Only Kindling's own --modules-dir in
# build-parameter.txt may differ, as in parity-vs-dracut.sh, and the squashfs image's bytes
# (mksquashfs stamps it with the time it ran).
# Then what goes wrong: a compressor mksquashfs lacks (the same warning, the default compressor),
# no mksquashfs at all (the module's check fails, as in dracut), and a mksquashfs that fails
# (Kindling ends in one line and keeps the old image).
#
# The test kernel is made visible at /lib/modules/KVER, in a private mount namespace (an overlay
# over /usr/lib), because dracut 059 asks modprobe about /lib/modules/KVER for the module's check
# even with --kmoddir. Nothing changes on the host.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
if [[ -z ${KINDLING_SQUASH_TEST_NAMESPACE-} ]] && [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
    export KINDLING_SQUASH_TEST_NAMESPACE=1
    exec unshare --mount --propagation private -- bash "$0" "$@"
fi
name=squash-vs-dracut
dracut=/usr/bin/dracut
stock=/usr/lib/dracut/modules.d
require_kindling_dracut_and_kernel
[[ -n ${KINDLING_SQUASH_TEST_NAMESPACE-} ]] || give_up "needs root and unshare for a private mount namespace"
[[ -f $stock/99squash/module-setup.sh ]] || give_up "dracut's squash module is not installed (apt-get install dracut-squash)"
if ! command -v mksquashfs >/dev/null || ! command -v unsquashfs >/dev/null; then
    give_up "squashfs-tools is not installed (apt-get install squashfs-tools)"
fi
command -v unshare >/dev/null || give_up "unshare (util-linux) is not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ ! -e /lib/modules/$kver/modules.dep ]]; then
    mount -t overlay kindling-test -o "lowerdir=$root/lib:/usr/lib" /usr/lib ||
        give_up "cannot lay the test kernel over /usr/lib/modules/$kver"
fi
mkdir -p "$work/confdir"
common=(--force --kver "$kver" --kmoddir "$root/lib/modules/$kver" --conf /dev/null --confdir "$work/confdir"
    --no-hostonly)
intended=(usr/lib/dracut/build-parameter.txt)

# The main archive's first bytes (after an early microcode archive, if any): 070701 is newc cpio.
main_archive_magic() {
    local image=$1
    if cpio -t --quiet <"$image" 2>/dev/null | grep -qx 'early_cpio'; then
        /usr/lib/dracut/skipcpio "$image" | head -c 6
    else
        head -c 6 "$image"
    fi
}

# Prints each difference between the trees in $work/SET-d and $work/SET-k that is not intended;
# returns 1 if there is any.
unexplained_differences() {
    local left=$1 right=$2 line status=0 allowed path
    while IFS= read -r line; do
        [[ $line =~ ^[0-9,]+[acd][0-9,]+$ || $line == "---" ]] && continue
        allowed=''
        for path in "${intended[@]}" squash-root.img; do
            [[ $line == "content differs: $path" ]] && allowed=yes
        done
        if [[ -n $allowed ]]; then
            printf '    intended: %s\n' "$line"
        else
            printf '    DIFFERS: %s\n' "$line"
            status=1
        fi
    done < <(compare_trees "$left" "$right")
    return "$status"
}

# compare_set SET OPTIONS...: both tools build the image; the modules they include, the outer
# archive (uncompressed, the same tree) and the squashfs image (the same tree, the same
# compressor) are compared. Leaves the logs in $work/SET-dracut.log and $work/SET-kindling.log.
compare_set() {
    local set=$1 side compression
    shift
    "$dracut" "${common[@]}" "$@" "$work/$set-dracut.img" >"$work/$set-dracut.log" 2>&1 ||
        { fail "$set: dracut failed"; tail -n 5 "$work/$set-dracut.log"; return 1; }
    "$KINDLING" "${common[@]}" --modules-dir "$stock" "$@" "$work/$set-kindling.img" >"$work/$set-kindling.log" 2>&1 ||
        { fail "$set: kindling failed"; tail -n 5 "$work/$set-kindling.log"; return 1; }
    if diff <(grep -o 'Including module: .*' "$work/$set-dracut.log") \
        <(grep -o 'Including module: .*' "$work/$set-kindling.log"); then
        pass "$set: the same modules as dracut 059"
    else
        fail "$set: other modules than dracut 059"
    fi
    for side in dracut kindling; do
        if [[ $(main_archive_magic "$work/$set-$side.img") != 070701 ]]; then
            fail "$set: $side's archive is compressed, or not newc cpio"
            return 1
        fi
        unpack_image "$work/$set-$side.img" "$work/$set-$side"
        if [[ ! -f $work/$set-$side/squash-root.img ]]; then
            fail "$set: $side's image has no squash-root.img"
            return 1
        fi
        unsquashfs -q -d "$work/$set-$side-squash" "$work/$set-$side/squash-root.img" >/dev/null ||
            { fail "$set: unsquashfs cannot read $side's squash-root.img"; return 1; }
        unsquashfs -s "$work/$set-$side/squash-root.img" | sed -n 's/^Compression //p' >"$work/$set-$side.compression"
    done
    pass "$set: both archives are uncompressed cpio around squash-root.img"
    if unexplained_differences "$work/$set-dracut" "$work/$set-kindling"; then
        pass "$set: the same loader archive as dracut 059 ($(manifest "$work/$set-kindling" | wc -l) entries)"
    else
        fail "$set: the loader archive differs from dracut 059's"
    fi
    if unexplained_differences "$work/$set-dracut-squash" "$work/$set-kindling-squash"; then
        pass "$set: the same squashed tree as dracut 059 ($(manifest "$work/$set-kindling-squash" | wc -l) entries)"
    else
        fail "$set: the squashed tree differs from dracut 059's"
    fi
    compression=$(<"$work/$set-kindling.compression")
    if [[ -n $compression && $compression == "$(<"$work/$set-dracut.compression")" ]]; then
        pass "$set: squash-root.img is $compression-compressed, as dracut's"
    else
        fail "$set: squash-root.img is '$compression'-compressed, dracut's '$(<"$work/$set-dracut.compression")'"
    fi
}

# 1. As Fedora's mkdumprd asks: zstd. squash needs systemd-initrd, which brings systemd.
compare_set zstd -m "base bash squash" --squash-compressor zstd
[[ $(<"$work/zstd-kindling.compression") == zstd ]] || fail "zstd: --squash-compressor zstd gave $(<"$work/zstd-kindling.compression")"

# 2. The loader's kernel modules were in the tree before it moved (--add-drivers): the loader
#    must install them again, outside it; no --squash-compressor: mksquashfs's default.
compare_set drivers -m "base bash squash" --add-drivers "loop squashfs overlay"

# 3. Storage: dracut hardlinks the tree before the loader (partx is in /usr/bin and /usr/sbin),
#    so the links are in the squashfs image, and the loader's files are not linked; xz.
compare_set storage -m "base bash squash lvm mdraid crypt dm" --squash-compressor xz
if [[ $(find "$work/storage-kindling-squash" -type f -links +1 | wc -l) -gt 0 ]]; then
    pass "storage: the squashed tree holds hard links, as dracut's"
else
    fail "storage: no hard links in the squashed tree"
fi

# 4. A compressor mksquashfs does not have: dracut's warning, and the default compressor.
compare_set unknown -m "base bash squash" --squash-compressor nonesuch
warning="mksquashfs doesn't support compressor 'nonesuch', failing back to default compressor."
if grep -qxF "dracut: $warning" "$work/unknown-dracut.log" && grep -qxF "kindling: $warning" "$work/unknown-kindling.log"; then
    pass "unknown: the same warning as dracut 059"
else
    fail "unknown: the warning differs from dracut 059's"
    grep -i 'compressor' "$work/unknown-dracut.log" "$work/unknown-kindling.log"
fi

# 5. No mksquashfs: its directory, as the two builds see it in a mount namespace of their own, is
#    a copy without it (hard links where they can be made). Not a /dev/null mounted over it: bash's
#    `type -P`, which dracut's find_binary ends with, still names a file that cannot run.
#    The module's check fails, and so does the build that names it, as in dracut.
bin_directory=$(dirname "$(command -v mksquashfs)")
cp -al "$bin_directory" "$work/bin-without" 2>/dev/null || cp -a "$bin_directory" "$work/bin-without"
rm -f "$work/bin-without/mksquashfs" "$work/bin-without/unsquashfs"
no_mksquashfs() {
    # shellcheck disable=SC2016 # $0, $1 and $@ are the inner bash's
    unshare --mount --propagation private -- bash -c 'mount --bind "$0" "$1" && shift && exec "$@"' \
        "$work/bin-without" "$bin_directory" "$@"
}
no_mksquashfs "$dracut" "${common[@]}" -m "base bash squash" "$work/none-dracut.img" >"$work/none-dracut.log" 2>&1
dracut_status=$?
no_mksquashfs "$KINDLING" "${common[@]}" --modules-dir "$stock" -m "base bash squash" "$work/none-kindling.img" \
    >"$work/none-kindling.log" 2>&1
kindling_status=$?
# Why each leaves the module out, without the labels in front (Kindling's last line, naming the
# failed check() rather than "cannot be found or installed", is its own).
missing_commands() { grep -o "dracut module 'squash' will not be installed, because command .*" "$1"; }
if ((dracut_status != 0 && kindling_status != 0)) && [[ ! -e $work/none-dracut.img && ! -e $work/none-kindling.img ]] &&
    [[ -n $(missing_commands "$work/none-dracut.log") ]] &&
    diff <(missing_commands "$work/none-dracut.log") <(missing_commands "$work/none-kindling.log"); then
    pass "no mksquashfs: the squash module's check fails for the same commands as in dracut 059, and no image"
else
    fail "no mksquashfs: dracut exited $dracut_status, kindling $kindling_status"
    tail -n 3 "$work/none-dracut.log" "$work/none-kindling.log"
fi

# 6. A mksquashfs that fails (first on Kindling's PATH; the module's check finds the real one on
#    DRACUT_PATH): one line naming it, a non-zero status, the old image kept.
mkdir -p "$work/failing-bin"
printf '#!/bin/sh\necho "FATAL ERROR: simulated failure" >&2\nexit 1\n' >"$work/failing-bin/mksquashfs"
chmod 755 "$work/failing-bin/mksquashfs"
printf 'old image\n' >"$work/failing.img"
cp "$work/failing.img" "$work/failing.before"
mkdir -p "$work/tmp"
PATH=$work/failing-bin:$PATH "$KINDLING" "${common[@]}" --tmpdir "$work/tmp" --modules-dir "$stock" \
    -m "base bash squash" "$work/failing.img" >"$work/failing.log" 2>&1
status=$?
errors=$(grep -c -e 'mksquashfs failed' "$work/failing.log")
if ((status != 0)) && ((errors == 1)) && grep -q 'simulated failure' "$work/failing.log" &&
    cmp -s "$work/failing.img" "$work/failing.before" && [[ -z $(ls -A "$work/tmp") ]]; then
    pass "failing mksquashfs: exit $status, one line: $(grep 'mksquashfs failed' "$work/failing.log")"
else
    fail "failing mksquashfs: exit $status, $errors error lines, the old image changed or the staging directory stayed"
    tail -n 3 "$work/failing.log"
fi

finish
