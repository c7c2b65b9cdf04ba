#!/bin/bash
# dracut-ng's squash (squash-lib with squash-squashfs or squash-erofs) under Kindling and under
# dracut-ng, side by side inside the Debian 13 root (Tests/support/trixie-root), as
# parity-vs-dracut-ng.sh runs them: first the root's dracut 106, then dracut-ng 112 built from its
# tarball (Tests/support/dracut-ng-build). For each set the modules included, the outer archive
# (entries, types, modes, links, bytes) and the tree inside squashfs-root.img or erofs-root.img
# (extracted inside the root with unsquashfs / fsck.erofs --extract) must be the same. Allowed:
#   - build-parameter.txt (outside and inside): Kindling records its --modules-dir, dracut-ng run
#     from its tree --local (the same lines once those are taken out);
#   - the bytes of the squashfs or erofs image, which hold that build-parameter.txt (and, for
#     squashfs and 106's erofs, the time the tool ran: neither dracut pins it).
# mkdumprd's calls are among the sets: squash-squashfs with --squash-compressor zstd and
# squash-erofs with lzma; the zstd set asks for gzip, which both leave out: the archive around the
# squash image is uncompressed; each squash image is packed with the same compressor on both sides
# (the one asked for, when asked). Against 112 also a host without busybox (the loader's own programs
# and their libraries). Then what goes wrong, against 112: a compressor the tool lacks (the
# module's own warning, the default), no mksquashfs (the module's check fails, no image, as in
# dracut), and a mksquashfs that fails (one line, the old image kept).
#
# Needs root, debootstrap (the first run builds the root), and the release build (make builds it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
name=squash-vs-dracut-ng

prepare_trixie_root
root=$trixie
[[ -x $root/usr/bin/dracut ]] || give_up "the root at $root has no dracut"
for tool in mksquashfs unsquashfs mkfs.erofs fsck.erofs; do
    [[ -x $root/usr/bin/$tool ]] || give_up "the root at $root has no $tool (Tests/support/trixie-root adds it)"
done
mkdir -p "$work/confdir"

# Runs COMMAND... inside the root, in its own mount namespace (Tests/support/trixie-run).
in_root() { in_trixie "$kernel_root/lib/modules/$kver" "$@"; }

kindling=/opt/kindling/.build/release/kindling
# -v: dracut-ng 112 logs only warnings by default, and the module lists are compared too.
common=(--force --kver "$kver" --conf /dev/null --confdir /kindling-work/confdir -v)

# Prints every difference between two trees, intended or not; returns 1 if any is not intended.
judge() {
    local left=$1 right=$2 image=$3 line status=0
    while IFS= read -r line; do
        [[ $line =~ ^(modules:\ )?[0-9,]+[acd][0-9,]+$ || $line == "---" || $line == "modules: ---" ]] && continue
        if same_parameters_but_modules_dir "$left" "$right" "$line"; then
            printf '    intended: %s (Kindling records --modules-dir, dracut-ng from its tree --local)\n' "$line"
        elif [[ -n $image && $line == "content differs: $image" ]]; then
            printf '    intended: %s (it holds build-parameter.txt; squashfs also the time it was made)\n' "$line"
        else
            printf '    DIFFERS: %s\n' "$line"
            status=1
        fi
    done
    return "$status"
}

# Extracts IMAGE (a path inside the work directory) into DIR, with the root's own tools.
extract() {
    local image=$1 directory=$2
    case $image in
        *squashfs-root.img) in_root unsquashfs -q -d "/kindling-work/$directory" "/kindling-work/$image" >/dev/null ;;
        *) in_root fsck.erofs --extract="/kindling-work/$directory" "/kindling-work/$image" >/dev/null ;;
    esac
}

# The compressor IMAGE (a path inside the work directory) was packed with, as its tool reports it
# (empty for an uncompressed erofs image).
compression_of() {
    local image=$1
    case $image in
        *squashfs-root.img) in_root unsquashfs -s "/kindling-work/$image" | sed -n 's/^Compression //p' ;;
        *) in_root dump.erofs -s "/kindling-work/$image" | sed -n 's/^Filesystem compr_algs: *//p' ;;
    esac
}

timings=()
# A command both builds run under (empty: none), as `bash -c CODE bash`.
wrapper=()
# compare_set SET DRACUT MODULES_DIR IMAGE -- OPTIONS...: DRACUT is the command inside the root,
# IMAGE the squash image's name in the archive.
compare_set() {
    local set=$1 dracut=$2 modules_dir=$3 image=$4 started dracut_ms kindling_ms side asked=''
    local dracut_compression kindling_compression
    shift 5
    [[ " $* " =~ \ --squash-compressor\ ([^ ]+) ]] && asked=${BASH_REMATCH[1]}
    local -a dracut_command
    read -r -a dracut_command <<<"$dracut"
    started=$(now_ms)
    in_root "${wrapper[@]}" "${dracut_command[@]}" "${common[@]}" "$@" "/kindling-work/$set-dracut.img" \
        >"$work/$set-dracut.log" 2>&1 ||
        { fail "$set: dracut failed"; tail -n 5 "$work/$set-dracut.log"; return 1; }
    dracut_ms=$(($(now_ms) - started))
    started=$(now_ms)
    in_root "${wrapper[@]}" "$kindling" "${common[@]}" --modules-dir "$modules_dir" "$@" "/kindling-work/$set-kindling.img" \
        >"$work/$set-kindling.log" 2>&1 ||
        { fail "$set: kindling failed"; tail -n 5 "$work/$set-kindling.log"; return 1; }
    kindling_ms=$(($(now_ms) - started))
    timings+=("$(printf '%-22s dracut %3d.%d s   kindling %3d.%d s' "$set" \
        $((dracut_ms / 1000)) $((dracut_ms % 1000 / 100)) $((kindling_ms / 1000)) $((kindling_ms % 1000 / 100)))")

    write_set_differences "$work" "$set"
    if judge "$work/$set-d" "$work/$set-k" "$image" <"$work/$set.diff"; then
        pass "$set: the same outer archive as $release ($(manifest "$work/$set-k" | wc -l) entries)"
    else
        fail "$set: the outer archive differs from $release's"
    fi
    for side in d k; do
        [[ -f $work/$set-$side/$image ]] || { fail "$set: no $image in the $side image"; return 1; }
        extract "$set-$side/$image" "$set-$side-inner" || { fail "$set: cannot extract the $side image's $image"; return 1; }
    done
    if compare_trees "$work/$set-d-inner" "$work/$set-k-inner" | judge "$work/$set-d-inner" "$work/$set-k-inner" ""; then
        pass "$set: the same tree in $image as $release ($(manifest "$work/$set-k-inner" | wc -l) entries)"
    else
        fail "$set: the tree in $image differs from $release's"
    fi
    dracut_compression=$(compression_of "$set-d/$image")
    kindling_compression=$(compression_of "$set-k/$image")
    if [[ $kindling_compression == "$dracut_compression" && (-z $asked || $kindling_compression == "$asked") ]]; then
        pass "$set: $image is ${kindling_compression:-not} compressed, as $release's${asked:+ (asked: $asked)}"
    else
        fail "$set: $image is '$kindling_compression'-compressed, $release's '$dracut_compression'${asked:+, asked: $asked}"
    fi
}

# The sets, each as "LABEL|IMAGE|OPTIONS".
sets=(
    "squashfs|squashfs-root.img|--no-compress -m 'base bash squash-squashfs'"
    "squashfs-zstd|squashfs-root.img|--gzip -m 'base bash squash-squashfs' --squash-compressor zstd"
    "erofs-lzma|erofs-root.img|--no-compress -m 'base bash squash-erofs' --squash-compressor lzma"
)
run_sets() {
    local dracut=$1 modules_dir=$2 label=$3 entry rest options image
    for entry in "${sets[@]}"; do
        rest=${entry#*|}
        image=${rest%%|*}
        options=()
        eval "options=(${rest#*|})"
        compare_set "$label-${entry%%|*}" "$dracut" "$modules_dir" "$image" -- "${options[@]}"
        rm -rf "$work/$label-${entry%%|*}"-[dk] "$work/$label-${entry%%|*}"-[dk]-inner
    done
}

# The zstd set's outer archive is uncompressed cpio on both sides, --gzip notwithstanding (an early
# microcode archive, when the build adds one, is skipped).
uncompressed_outer() {
    local set=$1 side image
    for side in dracut kindling; do
        image=$work/$set-$side.img
        if cpio -t --quiet <"$image" 2>/dev/null | grep -qx 'early_cpio'; then
            [[ $(/usr/lib/dracut/skipcpio "$image" | head -c 6) == 070701 ]] || return 1
        else
            [[ $(head -c 6 "$image") == 070701 ]] || return 1
        fi
    done
}

# 1. Debian 13's dracut 106.
release="dracut $(sed -n 's/^DRACUT_VERSION=//p' "$root/usr/lib/dracut/dracut-version.sh")"
run_sets /usr/bin/dracut /usr/lib/dracut/modules.d 106
if uncompressed_outer 106-squashfs-zstd; then
    pass "106-squashfs-zstd: both outer archives are uncompressed cpio, --gzip notwithstanding"
else
    fail "106-squashfs-zstd: an outer archive is compressed, or not newc cpio"
fi

# 2. dracut-ng 112 from source, run from its tree.
ng_tree=$("$repo/Tests/support/dracut-ng-build" --root "$root" 2>"$work/ng-build.log") ||
    give_up "dracut-ng 112 did not build in the root: $(tail -n 3 "$work/ng-build.log")"
release="dracut-ng $(sed -n 's/^DRACUT_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root$ng_tree/dracut.sh")"
ng=("$ng_tree/dracut.sh" --local)
run_sets "${ng[*]}" "$ng_tree/modules.d" 112
if uncompressed_outer 112-squashfs-zstd; then
    pass "112-squashfs-zstd: both outer archives are uncompressed cpio, --gzip notwithstanding"
else
    fail "112-squashfs-zstd: an outer archive is compressed, or not newc cpio"
fi

# Without busybox, squash-lib installs sh, mount, modprobe... into $squashdir with their
# libraries at once (DRACUT_RESOLVE_LAZY=""), and dracut's lazy pass, which walks the whole tree,
# takes their libraries into the squashed tree too. /usr/bin is a copy without busybox for the run.
# shellcheck disable=SC2016 # expanded by the inner bash
wrapper=(bash -c 'd=/var/tmp/kindling-no-busybox.$$
cp -al /usr/bin "$d" && rm -f "$d"/busybox && mount --bind "$d" /usr/bin || exit 99
"$@"; s=$?; umount /usr/bin; rm -rf "$d"; exit "$s"' bash)
sets=("squashfs-no-busybox|squashfs-root.img|--no-compress -m 'base bash squash-squashfs'")
run_sets "${ng[*]}" "$ng_tree/modules.d" 112
wrapper=()
listing=$(cpio -t --quiet <"$work/112-squashfs-no-busybox-kindling.img" 2>/dev/null)
if [[ $listing != *busybox* && $'\n'$listing$'\n' == *$'\n'usr/bin/mount$'\n'* ]]; then
    pass "112-squashfs-no-busybox: the loader has mount and no busybox"
else
    fail "112-squashfs-no-busybox: the loader has busybox, or no mount"
fi

# 3. Compressors the tools lack: each module's own warning, and its fallback (squashfs: the default
#    compressor; erofs in 112: none). Both sides print the module's dwarn line (Kindling names the
#    module whose code warns: squash-lib, which runs the handler's pass).
for entry in "squash-squashfs|mksquashfs doesn't support compressor 'nonesuch', failing back to default compressor." \
    "squash-erofs|mkfs.erofs doesn't support compressor 'nonesuch', failing back to no compression."; do
    module=${entry%%|*} warning=${entry#*|}
    in_root "${ng[@]}" "${common[@]}" --no-compress -m "base bash $module" --squash-compressor nonesuch \
        "/kindling-work/unknown-dracut.img" >"$work/unknown-dracut.log" 2>&1
    dracut_status=$?
    in_root "$kindling" "${common[@]}" --no-compress --modules-dir "$ng_tree/modules.d" -m "base bash $module" \
        --squash-compressor nonesuch "/kindling-work/unknown-kindling.img" >"$work/unknown-kindling.log" 2>&1
    kindling_status=$?
    if ((dracut_status == 0 && kindling_status == 0)) && grep -qxF "dracut[W]: $warning" "$work/unknown-dracut.log" &&
        grep -qxF "kindling: squash-lib: $warning" "$work/unknown-kindling.log"; then
        pass "unknown compressor, $module: the same warning as $release, and an image"
    else
        fail "unknown compressor, $module: dracut exited $dracut_status, kindling $kindling_status, or the warning differs"
        grep -i 'compressor' "$work/unknown-dracut.log" "$work/unknown-kindling.log"
    fi
done

# 4. No mksquashfs: in the run's own mount namespace, /usr/bin is a copy (hard links, inside the
#    root) without squashfs-tools and erofs-utils. The module's check fails: no image, a failure.
# shellcheck disable=SC2016 # expanded by the inner bash
without_tools='d=/var/tmp/kindling-no-squash.$$
cp -al /usr/bin "$d" && rm -f "$d"/mksquashfs "$d"/unsquashfs "$d"/mkfs.erofs "$d"/fsck.erofs &&
mount --bind "$d" /usr/bin || exit 99
"$@"; s=$?; umount /usr/bin; rm -rf "$d"; exit "$s"'
for module in squash-squashfs squash-erofs; do
    in_root bash -c "$without_tools" bash "${ng[@]}" "${common[@]}" --no-compress -m "base bash $module" \
        /kindling-work/none-dracut.img >"$work/none-dracut.log" 2>&1
    dracut_status=$?
    in_root bash -c "$without_tools" bash "$kindling" "${common[@]}" --no-compress --modules-dir "$ng_tree/modules.d" \
        -m "base bash $module" /kindling-work/none-kindling.img >"$work/none-kindling.log" 2>&1
    kindling_status=$?
    if ((dracut_status != 0 && dracut_status != 99 && kindling_status != 0 && kindling_status != 99)) &&
        [[ ! -e $work/none-dracut.img && ! -e $work/none-kindling.img ]] &&
        grep -qF "Module '$module' cannot be installed." "$work/none-dracut.log" &&
        grep -qF "module '$module' cannot be installed: its check() returned 1" "$work/none-kindling.log"; then
        pass "no tools, $module: its check fails on both sides, and neither writes an image"
    else
        fail "no tools, $module: dracut exited $dracut_status, kindling $kindling_status"
        tail -n 3 "$work/none-dracut.log" "$work/none-kindling.log"
    fi
done

# 5. A mksquashfs that fails (mounted over the real one for the run): one line naming the module
#    and the handler's reason, a non-zero status, the old image kept, no staging directory left.
printf '#!/bin/sh\necho "FATAL ERROR: simulated failure" >&2\nexit 1\n' >"$work/failing-mksquashfs"
chmod 755 "$work/failing-mksquashfs"
printf 'old image\n' >"$work/failing.img"
mkdir -p "$work/tmp"
# shellcheck disable=SC2016 # $0 and $@ are the inner bash's
in_root bash -c 'mount --bind "$0" /usr/bin/mksquashfs && exec "$@"' /kindling-work/failing-mksquashfs \
    "$kindling" "${common[@]}" --no-compress --tmpdir /kindling-work/tmp --modules-dir "$ng_tree/modules.d" \
    -m "base bash squash-squashfs" /kindling-work/failing.img >"$work/failing.log" 2>&1
status=$?
reason="kindling: module 'squash-lib' failed in install(): Failed making squash image"
if ((status != 0)) && [[ $(grep -c 'squash image' "$work/failing.log") == 1 ]] && grep -qxF "$reason" "$work/failing.log" &&
    [[ $(<"$work/failing.img") == "old image" && -z $(ls -A "$work/tmp") ]]; then
    pass "failing mksquashfs: exit $status, one line ($reason), the old image kept"
else
    fail "failing mksquashfs: exit $status, the line, the old image or the staging directory is wrong"
    tail -n 3 "$work/failing.log"
fi

echo "build times (dracut vs Kindling release build, in the Debian 13 root):"
printf '  %s\n' "${timings[@]}"
finish
