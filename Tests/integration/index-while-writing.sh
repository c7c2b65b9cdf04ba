#!/bin/bash
# The image is written while depmod still writes the module index: the archive takes the index
# files when it comes to them. This checks that it changes no byte of the image against a build
# that waits for depmod first (--explain keeps depmod from overlapping anything), with kernel
# modules that strip changes (stripped then before depmod reads them, not after; with --include,
# which may bring more modules after depmod has started, with the rest of the tree), and that an
# index file sharing its inode with a file archived before it (a hardlink group the archive could
# not take any more) makes the build write the image again, whole, with the group.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=index-while-writing
PATH=$PATH:/usr/sbin:/sbin

[[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"
command -v depmod >/dev/null || give_up "depmod is not installed (kmod)"
command -v strip >/dev/null || give_up "strip is not installed (binutils)"
command -v cpio >/dev/null || give_up "cpio is not installed"
read -r kver root < <("$here/../support/kernel-cache") || give_up "the test kernel is unavailable"
make_work_directory

# A module directory of unsigned copies of the test kernel's virtio, block and filesystem
# modules (its own are signed, which strip never touches), indexed by depmod.
kmod=$work/kmod/lib/modules/$kver
mkdir -p "$kmod"
for file in modules.order modules.builtin modules.builtin.modinfo; do
    [[ -e $root/lib/modules/$kver/$file ]] && cp "$root/lib/modules/$kver/$file" "$kmod/"
done
"$here/../support/unsigned-modules" "$root/lib/modules/$kver/kernel" "$kmod/kernel" \
    fs/ext4 fs/jbd2 fs/mbcache.ko lib crypto drivers/block drivers/virtio ||
    give_up "cannot copy the test kernel's modules unsigned"
# Debian's modules carry no debugging sections; strip -g removes one named .debug_*.
objcopy --add-section .debug_kindling="$here/lib.sh" "$kmod/kernel/drivers/block/virtio_blk.ko" ||
    give_up "objcopy cannot add a section to virtio_blk.ko"
depmod -b "$work/kmod" "$kver" || give_up "depmod cannot index the copied modules"

# A module that puts nothing in the image, and one that hardlinks a file of its own into the
# module directory under a name depmod's files have.
mkdir -p "$work/modules.d/90nothing" "$work/modules.d/90indexlink"
printf 'check() { return 0; }\ninstall() { :; }\n' >"$work/modules.d/90nothing/module-setup.sh"
cat >"$work/modules.d/90indexlink/module-setup.sh" <<'EOF'
check() { return 0; }
install() {
    mkdir -p "$initdir/etc" "$initdir/lib/modules/$kernel"
    printf 'the same inode twice\n' >"$initdir/etc/kindling-index-link"
    ln "$initdir/etc/kindling-index-link" "$initdir/lib/modules/$kernel/modules.kindling-link"
}
EOF
mkdir -p "$work/confdir"
common=(--force --no-hostonly --no-compress --no-early-microcode --conf /dev/null --confdir "$work/confdir"
    --modules-dir "$work/modules.d" --kver "$kver" --kmoddir "$kmod" --add-drivers "virtio_blk ext4")

# build NAME OPTIONS...: $work/NAME.img, its log $work/NAME.log (-v -v).
build() {
    local label=$1
    shift
    SOURCE_DATE_EPOCH=1700000000 "$KINDLING" -v -v "${common[@]}" "$@" "$work/$label.img" >"$work/$label.log" 2>&1 ||
        { fail "$label: the build failed: $(tail -n 1 "$work/$label.log")"; return 1; }
}
overlapped() { grep -q 'the image is written meanwhile' "$work/$1.log"; }

if build overlapping -m nothing && build waiting -m nothing --explain "$work/waiting.explain"; then
    if overlapped overlapping && ! overlapped waiting; then
        pass "$name: depmod ran while the image was written, and before it with --explain"
    else
        fail "$name: depmod did not run while the image was written, or did with --explain"
    fi
    if cmp -s "$work/overlapping.img" "$work/waiting.img"; then
        pass "$name: the image is byte-identical to the one written after depmod ($(stat -c %s "$work/waiting.img") bytes)"
    else
        fail "$name: the image differs from the one written after depmod"
    fi
    unpack_image "$work/overlapping.img" "$work/overlapping"
    module=$(cd "$work/overlapping" && find . -name 'virtio_blk.ko' | head -n 1)
    cp "$kmod/kernel/drivers/block/virtio_blk.ko" "$work/host-stripped.ko"
    strip -g -p "$work/host-stripped.ko"
    if [[ -n $module ]] && ! cmp -s "$work/host-stripped.ko" "$kmod/kernel/drivers/block/virtio_blk.ko" &&
        cmp -s "$work/host-stripped.ko" "$work/overlapping/$module" &&
        [[ -s $work/overlapping/lib/modules/$kver/modules.dep ]] &&
        grep -q 'virtio_blk.ko' "$work/overlapping/lib/modules/$kver/modules.dep"; then
        pass "$name: the unsigned modules are stripped as strip -g leaves them, and indexed"
    else
        fail "$name: virtio_blk.ko is not stripped as the host's strip -g strips it, or not indexed"
    fi
fi

# A module that --include brings after depmod has started is stripped all the same: with it, the
# modules are not stripped ahead of depmod but with the rest of the tree.
mkdir -p "$work/extra/usr/lib/modules/$kver/extra"
cp "$kmod/kernel/drivers/block/virtio_blk.ko" "$work/extra/usr/lib/modules/$kver/extra/kindling-debug.ko"
if build included -m nothing --include "$work/extra" /; then
    unpack_image "$work/included.img" "$work/included"
    installed=$(cd "$work/included" && find . -name 'virtio_blk.ko' | head -n 1)
    if cmp -s "$work/host-stripped.ko" "$work/included/usr/lib/modules/$kver/extra/kindling-debug.ko" &&
        [[ -n $installed ]] && cmp -s "$work/host-stripped.ko" "$work/included/$installed"; then
        pass "$name: a module that --include brings is stripped too"
    else
        fail "$name: with --include, a module is not what the host's strip -g makes of it"
    fi
fi

# The same inode in the tree before and in the index: written again, one group of two links.
if build relinked -m indexlink && build relinked-waiting -m indexlink --explain "$work/relinked.explain"; then
    if overlapped relinked && grep -q 'writing the image again' "$work/relinked.log" && cmp -s "$work/relinked.img" "$work/relinked-waiting.img"; then
        pass "$name: an index file linked to an earlier file makes the image be written again, as without overlap"
    else
        fail "$name: the linked index file did not make the image be written again, or the image differs"
    fi
    links=$(cpio -itv --quiet <"$work/relinked.img" 2>/dev/null |
        awk '/kindling-index-link$|modules.kindling-link$/ { print $2 }' | sort -u | tr '\n' ' ')
    if [[ $links == "2 " ]]; then
        pass "$name: both names of the linked file are one hardlink group in the image"
    else
        fail "$name: the linked file's link counts in the image are '$links', not 2"
    fi
fi
finish
