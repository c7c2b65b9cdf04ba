#!/bin/bash
# The dracut 059 options and helpers Kindling took over last (--prefix, --sshkey, --loginstall,
# --rebuild, --fscks, --add-fstab, --fstab, --ro-mnt, --persistent-policy, --noimageifnotneeded,
# --enhanced-cpio, inst_decompress, inst_opt_decompress, the DRACUT_* tool variables): each is
# built side by side with dracut and with Kindling, and the images (or what they log) compared.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

dracut=${DRACUT:-/usr/bin/dracut}
name=options-vs-dracut
require_kindling_dracut_and_kernel
work=$(mktemp -d)
created_vconsole=''
cleanup() {
    [[ -n $created_vconsole ]] && rm -f /etc/vconsole.conf
    rm -rf "$work"
}
trap cleanup EXIT

# A copy of dracut's base directory with one more module, "probe", which writes what modules
# see into the image and exercises the decompressing helpers. Both builders run with
# dracutbasedir pointing there, so both run the same module code.
base=$work/base
cp -a /usr/lib/dracut "$base"
mkdir -p "$base/modules.d/99probe" "$work/files"
cat >"$base/modules.d/99probe/module-setup.sh" <<'EOF'
#!/bin/bash
check() { return 255; }
depends() { return 0; }
install() {
    local f=/etc/probe.txt
    mkdir -p "$initdir/etc"
    {
        printf 'sshkey=%s\n' "${sshkey-}"
        printf 'fscks=%s\n' "${fscks-}"
        printf 'nofscks=%s\n' "${nofscks-}"
        printf 'add_fstab=%s\n' "${add_fstab-}"
        printf 'use_fstab=%s\n' "${use_fstab-}"
        printf 'ro_mnt=%s\n' "${ro_mnt-}"
        printf 'persistent_policy=%s\n' "${persistent_policy-}"
        printf 'prefix=%s\n' "${prefix-}"
        printf 'loginstall=%s\n' "${loginstall-}"
        printf 'host_devs=%s\n' "${host_devs[*]}"
        printf 'DRACUT_LDD=%s\n' "${DRACUT_LDD-}"
        printf 'DRACUT_LDCONFIG=%s\n' "${DRACUT_LDCONFIG-}"
        printf 'DRACUT_TESTBIN=%s\n' "${DRACUT_TESTBIN-}"
        printf 'DRACUT_INSTALL=%s\n' "${DRACUT_INSTALL-}"
        printf 'DRACUT_ARCH=%s\n' "${DRACUT_ARCH-}"
        printf 'DRACUT_SYSTEMD=%s\n' "${DRACUT_SYSTEMD-}"
        printf 'DRACUT_QUIET=%s\n' "${DRACUT_QUIET-}"
        printf 'modaliases set=%s\n' "${DRACUT_KERNEL_MODALIASES:+yes}"
    } >"$initdir$f"
    [[ -n ${DRACUT_KERNEL_MODALIASES-} ]] && sort -r "$DRACUT_KERNEL_MODALIASES" >"$initdir/etc/probe-modaliases"
    if [[ -n ${probe_files-} ]]; then
        inst_opt_decompress "$probe_files/a.txt.gz" "$probe_files/plain.txt"
        echo "inst_opt_decompress: $?" >>"$initdir$f"
        inst_decompress "$probe_files/b.txt.xz" "$probe_files/c.txt.bz2"
        echo "inst_decompress xz bz2: $?" >>"$initdir$f"
        inst_decompress "$probe_files/d.txt.zst"
        echo "inst_decompress zst: $?" >>"$initdir$f"
        inst_decompress "$probe_files/other.txt"
        echo "inst_decompress plain: $?" >>"$initdir$f"
        inst_decompress "$probe_files/missing.gz"
        echo "inst_decompress missing: $?" >>"$initdir$f"
    fi
    return 0
}
EOF
printf 'probe_files="%s"\n' "$work/files" >"$work/probe-files.conf"
for letter in a b c d; do printf 'file %s\n' "$letter" >"$work/files/$letter.txt"; done
printf 'plain\n' >"$work/files/plain.txt"
printf 'other\n' >"$work/files/other.txt"
gzip "$work/files/a.txt"
xz "$work/files/b.txt"
bzip2 "$work/files/c.txt"
zstd -q --rm "$work/files/d.txt"

kmod_args=(--kver "$kver" --kmoddir "$root/lib/modules/$kver")

# build_both NAME ARG...: dracut and Kindling build the same image (dracut's stock modules plus
# the probe); the trees land in $work/d and $work/k. Fails (and says why) if either build fails.
build_both() {
    local what=$1
    shift
    rm -rf "$work/d" "$work/k" "$work/d.img" "$work/k.img"
    dracutbasedir=$base DRACUT_KMODDIR_OVERRIDE=1 "$dracut" --force --no-compress "$@" "$work/d.img" \
        >"$work/dracut.log" 2>&1 || { fail "$what: dracut failed"; tail -5 "$work/dracut.log"; return 1; }
    dracutbasedir=$base DRACUT_KMODDIR_OVERRIDE=1 "$KINDLING" --force --no-compress "$@" "$work/k.img" \
        >"$work/kindling.log" 2>&1 || { fail "$what: kindling failed"; tail -5 "$work/kindling.log"; return 1; }
    unpack_image "$work/d.img" "$work/d"
    unpack_image "$work/k.img" "$work/k"
}

# compare NAME ARG...: the two images must be the same tree, file for file.
compare() {
    local what=$1
    shift
    build_both "$what" "$@" || return 1
    if compare_trees "$work/d" "$work/k" "${skip[@]}"; then
        pass "$what: same image as dracut ($(manifest "$work/k" | wc -l) entries)"
    else
        fail "$what: differs from dracut"
        return 1
    fi
}
skip=(usr/lib/dracut/build-parameter.txt)

probe_line() { grep "^$1=" "$work/k/etc/probe.txt"; }

# --- --prefix, --noprefix -----------------------------------------------------------------------
skip=(opt/pfx/usr/lib/dracut/build-parameter.txt)
if compare '--prefix /opt/pfx' --no-kernel --no-hostonly -m 'base bash probe' --prefix /opt/pfx; then
    if [[ -d $work/k/opt/pfx/usr/bin && $(readlink "$work/k/etc") == opt/pfx/etc && -f $work/k/opt/pfx/etc/probe.txt ]] &&
        [[ $(probe_line prefix) == prefix=/opt/pfx ]]; then
        pass '--prefix: the tree is under /opt/pfx, /etc links into it, modules see prefix'
    else
        fail '--prefix: expected the tree under /opt/pfx with /etc -> opt/pfx/etc'
    fi
fi
skip=(usr/lib/dracut/build-parameter.txt)
if compare '--prefix then --noprefix' --no-kernel --no-hostonly -m 'base bash' --prefix /opt/pfx --noprefix; then
    if [[ ! -e $work/k/opt/pfx && -d $work/k/usr/bin ]]; then
        pass '--noprefix: no prefix directory'
    else
        fail '--noprefix: the prefix directory is still there'
    fi
fi

# --- --sshkey (ssh-client installs the key) -----------------------------------------------------
printf 'ssh-ed25519 AAAAtest kindling@test\n' >"$work/id_test.pub"
if compare '--sshkey with ssh-client' --no-kernel --no-hostonly -m 'base ssh-client probe' --sshkey "$work/id_test.pub"; then
    if cmp -s "$work/k$work/id_test.pub" "$work/id_test.pub" && [[ $(probe_line sshkey) == "sshkey=$work/id_test.pub" ]]; then
        pass '--sshkey: the key is in the image'
    else
        fail '--sshkey: the key is not in the image'
    fi
fi
# dracut sets sshkey before reading the configuration, so a configuration file's sshkey wins.
printf 'sshkey="%s"\n' "$work/from-conf.pub" >"$work/sshkey.conf"
if build_both '--sshkey under a config file' --conf "$work/sshkey.conf" --no-kernel --no-hostonly -m 'base probe' --sshkey "$work/id_test.pub"; then
    if diff "$work/d/etc/probe.txt" "$work/k/etc/probe.txt" >/dev/null && [[ $(probe_line sshkey) == "sshkey=$work/from-conf.pub" ]]; then
        pass '--sshkey: a config file that sets sshkey wins, as in dracut'
    else
        fail '--sshkey: expected the config file to win'
    fi
fi

# --- --fscks, --nofscks, --ro-mnt, --persistent-policy, --fstab, --add-fstab ----------------------
compare '--fscks e2fsck' --no-kernel --no-hostonly -m 'base fs-lib probe' --fscks 'e2fsck' --fscks 'fsck'
if [[ -x $work/k/usr/sbin/e2fsck && ! -e $work/k/usr/sbin/fsck.xfs ]]; then
    pass '--fscks: only the named fsck tools'
else
    fail '--fscks: expected e2fsck alone'
fi
compare '--nofscks' --no-kernel --no-hostonly -m 'base fs-lib probe' --nofscks
compare '--ro-mnt' --no-kernel --no-hostonly -m 'base probe' --ro-mnt
if grep -qx ro "$work/k/etc/cmdline.d/base.conf" 2>/dev/null; then
    pass '--ro-mnt: ro on the image command line'
else
    fail '--ro-mnt: no ro on the image command line'
fi
compare '--persistent-policy mapper' --no-kernel --no-hostonly -m 'base probe' --persistent-policy mapper
if [[ $(probe_line persistent_policy) == persistent_policy= ]]; then
    pass '--persistent-policy mapper: dropped'
else
    fail '--persistent-policy mapper: expected it dropped'
fi
compare '--persistent-policy by-nothing' --no-kernel --no-hostonly -m 'base probe' --persistent-policy by-nothing
if grep -q 'Invalid persistent policy' "$work/kindling.log" && [[ $(probe_line persistent_policy) == persistent_policy= ]]; then
    pass '--persistent-policy: a policy without /dev/disk/POLICY is dropped with a warning'
else
    fail '--persistent-policy: expected a warning and no policy'
fi
compare '--fstab' --no-kernel --no-hostonly -m 'base probe' --fstab
printf '# extra\n/dev/fake1 /data ext4 defaults 0 2\n\n  /dev/fake2\t/srv xfs ro 0 0' >"$work/fstab.add"
printf '/dev/fake3 /opt ext4 defaults 0 0\n' >"$work/fstab2.add"
compare '--add-fstab (two files)' --no-kernel --no-hostonly -m 'base probe' --add-fstab "$work/fstab.add" \
    --add-fstab "$work/fstab2.add" --mount '/dev/fake0 /mnt ext4'
if grep -q '/dev/fake3 /opt' "$work/k/etc/fstab" 2>/dev/null && grep -q 'fake2' "$work/k/etc/probe.txt"; then
    pass '--add-fstab: the lines are in /etc/fstab and their devices are host devices'
else
    fail '--add-fstab: expected the lines in /etc/fstab and fake2 among host_devs'
fi

# --- --enhanced-cpio, --profile -------------------------------------------------------------------
compare '--enhanced-cpio (no dracut-cpio on this system)' --no-kernel --no-hostonly -m 'base' --enhanced-cpio
if grep -q 'enhanced-cpio ignored' "$work/kindling.log"; then
    pass '--enhanced-cpio: ignored, as dracut says'
else
    fail '--enhanced-cpio: expected the "ignored" message'
fi
out=$("$KINDLING" --profile --no-kernel -m base "$work/p.img" 2>&1)
status=$?
if ((status != 0)) && [[ $out == *'option --profile is not supported yet'* ]] && (($(wc -l <<<"$out") == 1)); then
    pass '--profile: refused with one line'
else
    fail "--profile: expected a one-line refusal, got status $status: $out"
fi

# --- the tool variables and DRACUT_KERNEL_MODALIASES, inst_decompress and inst_opt_decompress ----
export DRACUT_ARCH=aarch64 DRACUT_QUIET=yes
compare 'tool variables, decompressing helpers' --conf "$work/probe-files.conf" --no-kernel --no-hostonly -m 'base probe'
unset DRACUT_ARCH DRACUT_QUIET
if [[ $(probe_line DRACUT_LDD) == DRACUT_LDD=ldd && $(probe_line DRACUT_INSTALL) == "DRACUT_INSTALL=$base/dracut-install" &&
    $(probe_line DRACUT_ARCH) == DRACUT_ARCH=aarch64 ]]; then
    pass 'tool variables: DRACUT_LDD, DRACUT_INSTALL and DRACUT_ARCH as dracut sets them'
else
    fail 'tool variables: not as dracut sets them'
fi
files=$work/k$work/files
if [[ $(cat "$files/a.txt" "$files/b.txt" "$files/c.txt" "$files/d.txt" 2>/dev/null) == $'file a\nfile b\nfile c\nfile d' &&
    -f $files/plain.txt && ! -e $files/a.txt.gz && ! -e $files/other.txt ]] &&
    grep -qx 'inst_decompress plain: 1' "$work/k/etc/probe.txt"; then
    pass 'inst_decompress: .gz .xz .bz2 .zst decompressed in the image, other names refused'
else
    fail 'inst_decompress: the files are not as expected'
fi
skip=(usr/lib/dracut/build-parameter.txt usr/lib/dracut/hostonly-kernel-modules.txt)
compare 'hostonly: DRACUT_KERNEL_MODALIASES' -H --no-hostonly-default-device --hostonly-mode strict "${kmod_args[@]}" -m 'base probe'
if [[ -s $work/k/etc/probe-modaliases ]] &&
    cmp -s <(sort "$work/d/usr/lib/dracut/hostonly-kernel-modules.txt") <(sort "$work/k/usr/lib/dracut/hostonly-kernel-modules.txt"); then
    pass 'DRACUT_KERNEL_MODALIASES: the same host modules as dracut-install --modalias, kept in strict mode'
else
    fail 'DRACUT_KERNEL_MODALIASES: not the host modules dracut lists'
fi
skip=(usr/lib/dracut/build-parameter.txt)

# 10i18n in hostonly mode reads /etc/vconsole.conf and installs fonts with inst_opt_decompress.
if [[ ! -e /etc/vconsole.conf ]] && [[ -f /usr/share/consolefonts/Lat2-Terminus16.psf.gz ]]; then
    created_vconsole=yes
    printf 'KEYMAP=us\nFONT=Lat2-Terminus16\n' >/etc/vconsole.conf
    printf 'kbddir=/usr/share\n' >"$work/i18n.conf"
    # On Debian 12 (no keymaps, systemd in the image) neither dracut nor Kindling installs the font
    # here; the image must still be the same.
    compare 'i18n hostonly with a vconsole.conf' --conf "$work/i18n.conf" -H --no-hostonly-default-device \
        --no-kernel -m 'base i18n'
    if [[ -f $work/d/usr/share/consolefonts/Lat2-Terminus16.psf ]]; then
        if [[ -f $work/k/usr/share/consolefonts/Lat2-Terminus16.psf ]]; then
            pass 'i18n: the font is in the image, decompressed'
        else
            fail 'i18n: no decompressed font in the image'
        fi
    fi
    rm -f /etc/vconsole.conf
    created_vconsole=''
else
    pass 'i18n hostonly font: skipped, this host has its own /etc/vconsole.conf or no Lat2-Terminus16'
fi

# --- --noimageifnotneeded -------------------------------------------------------------------------
for_noimage() {
    local what=$1
    shift
    rm -f "$work/d.img" "$work/k.img"
    DRACUT_KMODDIR_OVERRIDE=1 "$dracut" --force --no-compress --noimageifnotneeded "$@" "$work/d.img" >"$work/dracut.log" 2>&1
    local dracut_status=$?
    DRACUT_KMODDIR_OVERRIDE=1 "$KINDLING" --force --no-compress --modules-dir /usr/lib/dracut/modules.d \
        --noimageifnotneeded "$@" "$work/k.img" >"$work/kindling.log" 2>&1
    local kindling_status=$?
    local d=no k=no
    [[ -e $work/d.img ]] && d=yes
    [[ -e $work/k.img ]] && k=yes
    if ((dracut_status == kindling_status)) && [[ $d == "$k" ]]; then
        pass "--noimageifnotneeded, $what: image written: $k, status $kindling_status, as dracut"
    else
        fail "--noimageifnotneeded, $what: dracut wrote an image: $d (status $dracut_status), kindling: $k (status $kindling_status)"
    fi
}
for_noimage 'hostonly, no modules needed' -H --no-hostonly-default-device "${kmod_args[@]}" -m base
for_noimage 'hostonly, a driver added' -H --no-hostonly-default-device "${kmod_args[@]}" -m base --add-drivers loop
for_noimage 'not hostonly' -N "${kmod_args[@]}" -m base

# --- --loginstall ---------------------------------------------------------------------------------
# dracut writes one PID.log per dracut-install run; Kindling one for its whole build. Compared as
# the real host files named (symlinks resolved): Kindling must name no file dracut does not, and
# the files dracut names that Kindling does not are printed (dracut also logs copies that a later
# step replaces, such as 99base's init.sh under systemd's /init).
logged_files() {
    while IFS= read -r line; do [[ -f $line ]] && realpath -e "$line"; done < <(cat "$1"/*.log) | LC_ALL=C sort -u
}
loginstall_case() {
    local what=$1
    shift
    rm -rf "$work/dlog" "$work/klog"
    dracutbasedir=$base DRACUT_KMODDIR_OVERRIDE=1 "$dracut" --force --no-compress --loginstall "$work/dlog" "$@" "$work/d.img" >"$work/dracut.log" 2>&1 ||
        { fail "--loginstall, $what: dracut failed"; return; }
    dracutbasedir=$base DRACUT_KMODDIR_OVERRIDE=1 "$KINDLING" --force --no-compress --loginstall "$work/klog/sub" "$@" "$work/k.img" >"$work/kindling.log" 2>&1 ||
        { fail "--loginstall, $what: kindling failed"; return; }
    local files extra missing
    files=$(ls "$work/klog/sub")
    extra=$(comm -13 <(logged_files "$work/dlog") <(logged_files "$work/klog/sub"))
    missing=$(comm -23 <(logged_files "$work/dlog") <(logged_files "$work/klog/sub") | tr '\n' ' ')
    if [[ $files =~ ^[0-9]+\.log$ && -z $extra ]] && (($(logged_files "$work/klog/sub" | wc -l) > 50)); then
        pass "--loginstall, $what: $(logged_files "$work/klog/sub" | wc -l) host files in DIR/PID.log, all logged by dracut too (dracut only: ${missing:-none})"
    else
        fail "--loginstall, $what: kindling wrote '$files', files dracut does not log: $extra"
    fi
}
loginstall_case 'base bash' --no-kernel --no-hostonly -m 'base bash'
loginstall_case 'kernel modules' -N "${kmod_args[@]}" -m 'base' --add-drivers 'loop ext4'
if grep -q '/kernel/fs/ext4/ext4.ko' "$work/klog/sub"/*.log; then
    pass '--loginstall: kernel modules are logged'
else
    fail '--loginstall: ext4.ko is not logged'
fi

# --- --rebuild ------------------------------------------------------------------------------------
rebuild_args=(--no-kernel --no-hostonly -m 'base bash' -I /usr/bin/od)
"$dracut" --force --no-compress "${rebuild_args[@]}" "$work/dr.img" >"$work/dracut.log" 2>&1
"$KINDLING" --force --no-compress --modules-dir /usr/lib/dracut/modules.d "${rebuild_args[@]}" "$work/kr.img" >"$work/kindling.log" 2>&1
cp "$work/dr.img" "$work/dr-copy.img"
# Rebuilding in place needs no --force; the given options come after the stored ones.
if "$dracut" --rebuild "$work/dr.img" -I /usr/bin/cpio >"$work/dracut.log" 2>&1 &&
    "$KINDLING" --rebuild "$work/kr.img" -I /usr/bin/cpio >"$work/kindling.log" 2>&1; then
    rm -rf "$work/d" "$work/k"
    unpack_image "$work/dr.img" "$work/d"
    unpack_image "$work/kr.img" "$work/k"
    if compare_trees "$work/d" "$work/k" usr/lib/dracut/build-parameter.txt && [[ -x $work/k/usr/bin/cpio && -x $work/k/usr/bin/od ]]; then
        pass '--rebuild in place: same image as dracut, with the stored and the new options'
    else
        fail '--rebuild in place: differs from dracut'
    fi
    expected=" --force --no-compress --modules-dir '/usr/lib/dracut/modules.d' --no-kernel --no-hostonly -m 'base bash' -I '/usr/bin/od' -I '/usr/bin/cpio'"
    if [[ $(cat "$work/k/usr/lib/dracut/build-parameter.txt") == "$expected" ]]; then
        pass '--rebuild: build-parameter.txt holds the stored options then the new ones'
    else
        fail "--rebuild: build-parameter.txt is '$(cat "$work/k/usr/lib/dracut/build-parameter.txt")'"
    fi
else
    fail '--rebuild in place: a build failed'
    tail -3 "$work/dracut.log" "$work/kindling.log"
fi
# Kindling reads the options dracut stored, into another output.
if "$KINDLING" --rebuild "$work/dr-copy.img" --modules-dir /usr/lib/dracut/modules.d -I /usr/bin/cpio "$work/k2.img" >"$work/kindling.log" 2>&1; then
    rm -rf "$work/k2"
    unpack_image "$work/k2.img" "$work/k2"
    if compare_trees "$work/d" "$work/k2" usr/lib/dracut/build-parameter.txt; then
        pass "--rebuild of dracut's image: the same image dracut rebuilt"
    else
        fail "--rebuild of dracut's image: differs"
    fi
else
    fail "--rebuild of dracut's image failed: $(tail -1 "$work/kindling.log")"
fi
out=$("$KINDLING" --rebuild "$work/none.img" 2>&1)
status=$?
if ((status != 0)) && [[ $out == *"Image file '$work/none.img', for rebuild, does not exist!"* ]] && (($(wc -l <<<"$out") == 1)); then
    pass '--rebuild of a missing image: one-line error'
else
    fail "--rebuild of a missing image: status $status, $out"
fi
printf 'not an image' >"$work/junk.img"
out=$("$KINDLING" --rebuild "$work/junk.img" 2>&1)
status=$?
if ((status != 0)) && [[ $out == *"has no rebuild information stored"* ]] && (($(wc -l <<<"$out") == 1)); then
    pass '--rebuild of a file that is no image: one-line error'
else
    fail "--rebuild of a file that is no image: status $status, $out"
fi

finish
