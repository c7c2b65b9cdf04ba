#!/bin/bash
# Kindling's strip pass gives, file by file, what the host's `strip -g -p` gives. The pass runs
# strip only on the files StripProbe says strip could change (usually none of a distribution's
# binaries), so this compares, for every file the pass considers, the image Kindling strips with
# the same file of an unstripped image (--nostrip) put through the host's strip:
#   - every executable of the parity sets' module lists (parity-vs-dracut.sh; --no-kernel, since
#     binaries come from the modules' install() alone; overlay-root, whose check wants a kernel,
#     left out);
#   - unsigned copies of the test kernel's modules under fs/, drivers/block and drivers/virtio
#     (its own modules are signed, which the pass never strips), included under lib/modules;
#   - built here: a program and a library with debugging information, a program with a symbol
#     table and none, and a stripped program with bytes appended after its section table.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=strip-identity
stock=/usr/lib/dracut/modules.d

give_up() { echo "SKIP $name: $*"; exit 0; }
[[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"
command -v strip >/dev/null || give_up "strip is not installed (binutils)"
command -v gcc >/dev/null || give_up "gcc is not installed"
read -r kver root < <("$here/../support/kernel-cache") || give_up "the test kernel is unavailable"
make_work_directory

# The fixtures strip has work on.
extra=$work/extra
mkdir -p "$extra/usr/bin" "$extra/usr/lib/modules/$kver/unsigned"
printf '#include <stdio.h>\nint main(void) { puts("kindling"); return 0; }\n' >"$work/hello.c"
printf 'int kindling_answer(void) { return 42; }\n' >"$work/answer.c"
gcc -g -O1 -o "$extra/usr/bin/kindling-debug" "$work/hello.c"
gcc -g -O1 -shared -fPIC -o "$extra/usr/lib/libkindling-debug.so.1" "$work/answer.c"
chmod 755 "$extra/usr/lib/libkindling-debug.so.1"
gcc -O1 -o "$extra/usr/bin/kindling-symtab" "$work/hello.c"
cp /usr/bin/true "$extra/usr/bin/kindling-appended"
printf 'bytes after the section table\n' >>"$extra/usr/bin/kindling-appended"
# Unsigned modules: the test kernel's are signed, which the pass never strips.
"$here/../support/unsigned-modules" "$root/lib/modules/$kver/kernel" "$extra/usr/lib/modules/$kver/unsigned" \
    fs drivers/block drivers/virtio || give_up "cannot copy the test kernel's modules unsigned"
echo "$name: $(find "$extra/usr/lib/modules" -name '*.ko' | wc -l) unsigned modules"

# The files the pass considers: every executable, and every .ko under lib/modules.
candidates() {
    (cd "$1" && find . -type f \( -perm /111 -o -path '*lib/modules/*.ko' \) | sort)
}

# check_set NAME OPTIONS...: builds the set with and without strip and compares every candidate.
check_set() {
    local set=$1 changed=0 files=0 differ=0 path
    shift
    local -a common=(--force --no-compress --no-kernel --no-hostonly --no-early-microcode --conf /dev/null
        --confdir "$work/confdir" --modules-dir "$stock" --include "$extra" / "$@")
    mkdir -p "$work/confdir"
    rm -rf "$work/$set-raw" "$work/$set-stripped"
    if ! "$KINDLING" "${common[@]}" --nostrip "$work/$set-raw.img" >"$work/$set-raw.log" 2>&1 ||
        ! "$KINDLING" -v "${common[@]}" --strip "$work/$set-stripped.img" >"$work/$set-stripped.log" 2>&1; then
        fail "$set: a build failed: $(cat "$work/$set-raw.log" "$work/$set-stripped.log" 2>/dev/null | tail -n 1)"
        return
    fi
    unpack_image "$work/$set-raw.img" "$work/$set-raw"
    unpack_image "$work/$set-stripped.img" "$work/$set-stripped"
    while IFS= read -r path; do
        files=$((files + 1))
        cp "$work/$set-raw/$path" "$work/host-strip"
        strip -g -p "$work/host-strip" 2>/dev/null
        cmp -s "$work/host-strip" "$work/$set-raw/$path" || changed=$((changed + 1))
        if ! cmp -s "$work/host-strip" "$work/$set-stripped/$path"; then
            differ=$((differ + 1))
            echo "  $set: $path differs from the host's strip -g"
        fi
    done < <(candidates "$work/$set-raw")
    local ran
    ran=$(sed -n 's/.*strip: \([0-9]*\) files strip could change.*/\1/p' "$work/$set-stripped.log")
    if ((differ == 0 && files > 0)); then
        pass "$set: $files files as the host's strip -g leaves them ($changed changed by it; strip ran on ${ran:-?})"
    else
        fail "$set: $differ of $files files differ from the host's strip -g"
    fi
    # strip runs on the files it changes and on no more than the probe cannot clear.
    if [[ -n $ran ]] && ((ran >= changed && ran < files)); then
        pass "$set: strip ran on $ran of $files files, at least the $changed it changes"
    else
        fail "$set: strip ran on ${ran:-an unknown number of} files of $files ($changed changed)"
    fi
}

check_set default
check_set systemd -m "systemd systemd-initrd dracut-systemd systemd-ask-password systemd-modules-load \
systemd-sysctl systemd-tmpfiles systemd-journald systemd-ldconfig systemd-repart systemd-sysusers systemd-hostnamed \
systemd-timedated systemd-pstore systemd-rfkill systemd-ac-power systemd-timesyncd systemd-sysext \
systemd-veritysetup systemd-integritysetup dbus-daemon base rootfs-block kernel-modules"
check_set busybox -m "busybox base rootfs-block kernel-modules fs-lib udev-rules terminfo"
check_set network -m "nfs iscsi nbd cifs network-legacy url-lib kernel-network-modules qemu-net"
check_set networkd -m "systemd-networkd network nfs url-lib"
check_set storage -m "lvm lvmmerge lvmthinpool-monitor mdraid crypt crypt-loop dm dmraid rootfs-block \
kernel-modules usrmount overlayfs"
check_set misc -m "drm watchdog watchdog-modules resume qemu nvdimm lunmask virtiofs virtfs i18n console-setup \
securityfs integrity debug rescue caps warpclock pollcdrom syslog selinux masterkey ecryptfs convertfs base"
finish
