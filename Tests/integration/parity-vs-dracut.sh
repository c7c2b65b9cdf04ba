#!/bin/bash
# dracut 059's stock modules give the same image under Kindling: a matrix of module sets, each
# built by dracut and by Kindling (--modules-dir /usr/lib/dracut/modules.d) with the same options
# and the Debian 6.1 test kernel, then compared entry by entry (types, modes, link counts,
# symlink targets) and byte by byte (every regular file: hooks, cmdline.d, modules.txt, conf
# files, binaries). Every difference is printed; only the intended ones below are allowed.
#
# The test kernel is made visible at /lib/modules/KVER (a bind mount, undone at exit) because
# dracut 059 asks modprobe about /lib/modules/KVER even when --kmoddir names another tree.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=parity-vs-dracut
dracut=/usr/bin/dracut
stock=/usr/lib/dracut/modules.d
require_kindling_dracut_and_kernel
[[ $(id -u) == 0 ]] || give_up "needs root to bind-mount the test kernel at /lib/modules/$kver"

work=$(mktemp -d)
mounted=''
made_directory=''
cleanup() {
    [[ -n $mounted ]] && umount "/lib/modules/$kver"
    [[ -n $made_directory ]] && rmdir "/lib/modules/$kver"
    [[ -n ${zipl_made-} ]] && rmdir /boot/zipl
    rm -rf "$work"
}
trap cleanup EXIT
if [[ ! -e /lib/modules/$kver/modules.dep ]]; then
    if [[ ! -d /lib/modules/$kver ]]; then
        mkdir -p "/lib/modules/$kver" && made_directory=yes
    fi
    if mount --bind "$root/lib/modules/$kver" "/lib/modules/$kver"; then
        mounted=yes
    else
        give_up "cannot bind-mount the test kernel at /lib/modules/$kver"
    fi
fi
# Both tools read the host's dracut.conf.d the same way; an empty one keeps the sets exact.
mkdir -p "$work/confdir"
common=(--force --no-compress --kver "$kver" --conf /dev/null --confdir "$work/confdir")

# Differences that are intended, as "SET:PATH reason". Kindling records its own --modules-dir.
declare -A intended=(
    ["*:usr/lib/dracut/build-parameter.txt"]="Kindling also stores its --modules-dir option"
)

is_intended() {
    local set=$1 line=$2 key
    for key in "${!intended[@]}"; do
        [[ $line == *" ${key#*:}"* || $line == *"${key#*:} "* || $line == "content differs: ${key#*:}" ]] || continue
        [[ ${key%%:*} == "*" || ${key%%:*} == "$set" ]] && return 0
    done
    return 1
}

# dracut lists the host's modaliases in the order of a hash table; Kindling sorts them.
unordered_lists=(usr/lib/dracut/hostonly-kernel-modules.txt)
same_lines_in_any_order() {
    local set=$1 line=$2 file
    for file in "${unordered_lists[@]}"; do
        [[ $line == "content differs: $file" ]] || continue
        cmp -s <(sort "$work/$set-d/$file") <(sort "$work/$set-k/$file") && return 0
    done
    return 1
}

timings=()
# compare_set NAME [ENV=VALUE...] -- OPTIONS...
compare_set() {
    local set=$1 started dracut_ms kindling_ms line unexplained=0
    shift
    local -a environment=()
    while [[ $1 != -- ]]; do environment+=("$1"); shift; done
    shift
    started=$(date +%s%N)
    env "${environment[@]}" "$dracut" "${common[@]}" "$@" "$work/$set-dracut.img" >"$work/$set-dracut.log" 2>&1 ||
        { fail "$set: dracut failed"; tail -n 5 "$work/$set-dracut.log"; return; }
    dracut_ms=$((($(date +%s%N) - started) / 1000000))
    started=$(date +%s%N)
    env "${environment[@]}" "$KINDLING" "${common[@]}" --modules-dir "$stock" "$@" "$work/$set-kindling.img" \
        >"$work/$set-kindling.log" 2>&1 ||
        { fail "$set: kindling failed"; tail -n 5 "$work/$set-kindling.log"; return; }
    kindling_ms=$((($(date +%s%N) - started) / 1000000))
    timings+=("$(printf '%-10s dracut %4d.%d s   kindling %3d.%d s   %2d modules' "$set" \
        $((dracut_ms / 1000)) $((dracut_ms % 1000 / 100)) \
        $((kindling_ms / 1000)) $((kindling_ms % 1000 / 100)) \
        "$(grep -c 'Including module:' "$work/$set-kindling.log")")")

    write_set_differences "$work" "$set"
    while IFS= read -r line; do
        [[ $line =~ ^(modules:\ )?[0-9,]+[acd][0-9,]+$ || $line == "---" || $line == "modules: ---" ]] && continue
        if same_lines_in_any_order "$set" "$line"; then
            printf '    intended: %s (the same lines: dracut writes them in hash order)\n' "$line"
        elif is_intended "$set" "$line"; then
            printf '    intended: %s\n' "$line"
        elif linked_by_timing "$set" "$line"; then
            printf '    intended: %s (hardlinked or not as the clock ticked, the same bytes)\n' "$line"
        else
            printf '    DIFFERS: %s\n' "$line"
            unexplained=$((unexplained + 1))
        fi
    done <"$work/$set.diff"
    local entries
    entries=$(manifest "$work/$set-k" | wc -l)
    if ((unexplained == 0)); then
        pass "$set: the same image as dracut 059 ($entries entries, $(grep -c 'Including module:' "$work/$set-kindling.log") modules)"
    else
        fail "$set: $unexplained unexplained differences from dracut 059"
    fi
    rm -rf "$work/$set-d" "$work/$set-k" "$work/$set-dracut.img" "$work/$set-kindling.img"
}

# 1. The default: every module whose check passes, for any machine.
compare_set default -- --no-hostonly
# 2. This machine, hostonly: its root device and filesystem, found as dracut finds them.
compare_set hostonly -- -H
# 3. Hostonly, strict: only this host's kernel modules, and the list of their aliases.
compare_set strict -- -H --hostonly-mode strict
# 4. systemd in the initramfs, with every optional systemd module that builds on Debian 12.
compare_set systemd -- --no-hostonly -m "systemd systemd-initrd dracut-systemd systemd-ask-password \
systemd-modules-load systemd-sysctl systemd-tmpfiles systemd-journald systemd-ldconfig systemd-repart \
systemd-sysusers systemd-hostnamed systemd-timedated systemd-pstore systemd-rfkill systemd-ac-power \
systemd-timesyncd systemd-sysext systemd-veritysetup systemd-integritysetup dbus-daemon base rootfs-block kernel-modules"
# 5. busybox instead of systemd and bash.
compare_set busybox -- --no-hostonly -m "busybox base rootfs-block kernel-modules fs-lib udev-rules terminfo"
# 6. Network root filesystems, with the legacy network scripts.
compare_set network -- --no-hostonly -m "nfs iscsi nbd cifs network-legacy url-lib kernel-network-modules qemu-net"
# 7. Network through systemd-networkd.
compare_set networkd -- --no-hostonly -m "systemd-networkd network nfs url-lib"
# 8. Storage stacks: LVM, MD RAID, dm-crypt, dmraid, overlayfs.
compare_set storage -- --no-hostonly -m "lvm lvmmerge lvmthinpool-monitor mdraid crypt crypt-loop dm dmraid \
rootfs-block kernel-modules usrmount overlayfs"
# 9. Everything else that builds here: drm, watchdog, resume, i18n, rescue, debug and more.
compare_set misc -- --no-hostonly -m "drm watchdog watchdog-modules resume qemu nvdimm lunmask virtiofs virtfs \
i18n console-setup securityfs integrity debug rescue caps warpclock pollcdrom syslog selinux masterkey \
ecryptfs convertfs overlay-root base"
# 10. s390 modules, built for DRACUT_ARCH=s390x: the only callers of inst_rules_wildcard and trim.
if [[ ! -e /boot/zipl ]]; then mkdir -p /boot/zipl && zipl_made=yes; fi
# No hardlinking: its empty module index files are linked or not depending on which second
# depmod wrote each one in, for dracut and Kindling alike.
compare_set s390 DRACUT_ARCH=s390x -- -H --nohardlink -m "dasd_rules zipl base"

echo "build times (no compression; dracut 059 vs Kindling debug build):"
printf '  %s\n' "${timings[@]}"
finish
