#!/bin/bash
# dracut-ng's command line and configuration side by side with dracut-ng 112, built from its
# release tarball (Tests/support/dracut-ng-build) and run from its tree with --local: --printconfig,
# --add-confdir with a bare name, DRACUT_EXTRA_ARGS, /run/initramfs/dracut.conf.d, --remove,
# --compress-level, --nvmf-nbft-mode, --ukify/--no-ukify and --sbat as stored, and --enhanced-cpio
# with dracut-cpio present. Kindling runs with dracutbasedir at that tree, so it acts as dracut-ng
# 112. What is compared is what each option changes: the printed configuration, the stored
# parameters, the files an option takes out, the compressor's bytes, the archive's layout, and
# the exit status. The module files themselves (the hooks layout and the like) are the parity
# matrix's business, not this script's.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

name=options-vs-dracut-ng
[[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"
ng=$("$here/../support/dracut-ng-build" 2>"${TMPDIR:-/tmp}/dracut-ng-build.$$.log") ||
    give_up "dracut-ng 112 did not build: $(tail -n 3 "${TMPDIR:-/tmp}/dracut-ng-build.$$.log")"
rm -f "${TMPDIR:-/tmp}/dracut-ng-build.$$.log"
read -r kver root < <("$here/../support/kernel-cache") || give_up "the test kernel is unavailable"
make_work_directory
mkdir -p "$work/confdir" "$work/out"

# The same inputs for both: no host configuration, a generic image, the test kernel.
common=(--conf /dev/null --confdir "$work/confdir" -N --kmoddir "$root/lib/modules/$kver" --kver "$kver")
run_ng() { "$ng/dracut.sh" --local "${common[@]}" "$@"; }
run_kindling() { dracutbasedir=$ng "$KINDLING" "${common[@]}" "$@"; }

# Runs both with the same arguments; keeps their output in $work/ng.out and $work/k.out and their
# statuses in ng_status and k_status.
both() {
    run_ng "$@" >"$work/ng.out" 2>"$work/ng.err"
    ng_status=$?
    run_kindling "$@" >"$work/k.out" 2>"$work/k.err"
    k_status=$?
}

# Passes when both printed the same configuration and exited 0.
same_config() {
    local what=$1
    shift
    both --printconfig "$@"
    if ((ng_status == 0 && k_status == 0)) && cmp -s "$work/ng.out" "$work/k.out" && [[ -s $work/ng.out ]]; then
        pass "$what: the same printed configuration"
    else
        fail "$what: statuses $ng_status/$k_status; diff (dracut-ng < > kindling):"
        diff "$work/ng.out" "$work/k.out" | head -n 20
        tail -n 3 "$work/k.err"
    fi
}

# --- --printconfig ---------------------------------------------------------------------------------
# dracut-ng's logger reads fileloglvl before it makes the log file: one that exists gives 4.
touch "$work/log"
same_config '--printconfig, defaults' --libdirs '/lib /usr/lib'
same_config '--printconfig, every listed setting' -m 'base' -a 'bash' -o 'a b' --force-add 'q' \
    --omit-drivers 'x y' --filesystems ext4 -d 'e1000 virtio_net' --fscks fsck.ext4 --nofscks --ro-mnt \
    --prefix /p --sshkey /k --mdadmconf --nolvmconf --add-fstab /f --squash-compressor zstd \
    --libdirs '/lib /x' --kernel-only --fstab --loginstall "$work/loginstall" --logfile "$work/log"
printf 'add_dracutmodules+=" from-conf "\nomit_drivers+=" c "\n' >"$work/confdir/10-a.conf"
same_config '--printconfig, a drop-in and the options' -a more --omit-drivers d --libdirs /lib
rm -f "$work/confdir/10-a.conf"
# Debian's dracut-ng names its images so; the files see the kernel's version.
# shellcheck disable=SC2016 # expanded by the configuration reader
printf 'initrdname="initrd.img-${kernel}"\n' >"$work/confdir/01-debian.conf"
same_config '--printconfig, initrdname from the kernel version' --libdirs /lib
rm -f "$work/confdir/01-debian.conf"

# A kernel without a module directory: dracut-ng stops before it prints, and so does Kindling.
"$ng/dracut.sh" --local --conf /dev/null --confdir "$work/confdir" -N --kver 0.0-no-such-kernel --printconfig \
    >"$work/ng.out" 2>"$work/ng.err"
ng_status=$?
dracutbasedir=$ng "$KINDLING" --conf /dev/null --confdir "$work/confdir" -N --kver 0.0-no-such-kernel --printconfig \
    >"$work/k.out" 2>"$work/k.err"
k_status=$?
if ((ng_status != 0 && k_status != 0)) && [[ ! -s $work/ng.out && ! -s $work/k.out ]] &&
    grep -q 'Cannot find module directory' "$work/ng.err" && grep -q 'cannot find module directory' "$work/k.err"; then
    pass '--printconfig for a kernel without modules: both stop before printing'
else
    fail "--printconfig without a module directory: statuses $ng_status/$k_status: $(cat "$work/k.err")"
fi

# --- --add-confdir ---------------------------------------------------------------------------------
mkdir -p "$work/confdir/extra"
printf 'add_dracutmodules+=" from-extra "\n' >"$work/confdir/extra/20-extra.conf"
same_config '--add-confdir NAME under the drop-in directory' --add-confdir extra --libdirs /lib
same_config "--add-confdir rescue, under dracut-ng's dracut.conf.d" --add-confdir rescue --libdirs /lib
same_config '--add-confdir DIR as a path' --add-confdir "$work/confdir/extra" --libdirs /lib
both --printconfig --add-confdir no-such-directory
if ((ng_status != 0 && k_status != 0)) && grep -q "no-such-directory' not found" "$work/ng.err" &&
    grep -q "no-such-directory' not found" "$work/k.err" && (($(wc -l <"$work/k.err") == 1)); then
    pass '--add-confdir with a missing name: both stop, naming it'
else
    fail "--add-confdir missing: statuses $ng_status/$k_status: $(cat "$work/k.err")"
fi

# --- DRACUT_EXTRA_ARGS -----------------------------------------------------------------------------
export DRACUT_EXTRA_ARGS="-a 'extra-one extra-two' --omit-drivers 'e1 e2' --prefix /from-extra"
same_config 'DRACUT_EXTRA_ARGS, before the command line' --omit-drivers e3 --prefix /from-command-line --libdirs /lib
DRACUT_EXTRA_ARGS='--no-such-option'
both --printconfig
if ((ng_status != 0 && k_status != 0)) && grep -q 'no-such-option' "$work/k.err"; then
    pass 'DRACUT_EXTRA_ARGS with an unknown option: both stop'
else
    fail "DRACUT_EXTRA_ARGS unknown option: statuses $ng_status/$k_status"
fi
# dracut-ng ignores an unterminated quote with a warning; Kindling refuses it in one line.
DRACUT_EXTRA_ARGS="-a 'unterminated"
both --printconfig --libdirs /lib
if ((ng_status == 0 && k_status != 0)) && grep -q 'Ignoring malformed DRACUT_EXTRA_ARGS' "$work/ng.err" &&
    [[ $(cat "$work/k.err") == 'kindling: DRACUT_EXTRA_ARGS has an unterminated quote' ]]; then
    pass 'DRACUT_EXTRA_ARGS malformed: dracut-ng warns and goes on, Kindling refuses in one line (named difference)'
else
    fail "DRACUT_EXTRA_ARGS malformed: statuses $ng_status/$k_status: $(cat "$work/k.err")"
fi
unset DRACUT_EXTRA_ARGS

# --- /run/initramfs/dracut.conf.d --------------------------------------------------------------------
# A private mount namespace with its own /run, so the host's stays untouched.
if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
    export ng KINDLING work kver root
    # shellcheck disable=SC2016 # expanded by the inner bash
    unshare --mount --propagation private bash -c '
        mount -t tmpfs kindling-test-run /run && mkdir -p /run/initramfs/dracut.conf.d || exit 2
        printf "add_dracutmodules+=\" from-run \"\nprefix=/from-run\n" >/run/initramfs/dracut.conf.d/99-run.conf
        common=(--conf /dev/null --confdir "$work/confdir" -N --kmoddir "$root/lib/modules/$kver" --kver "$kver")
        "$ng/dracut.sh" --local "${common[@]}" --printconfig --libdirs /lib >"$work/ng.out" 2>&1 || exit 3
        dracutbasedir=$ng "$KINDLING" "${common[@]}" --printconfig --libdirs /lib >"$work/k.out" 2>&1 || exit 4'
    status=$?
    if ((status == 0)) && grep -q 'from-run' "$work/ng.out" && cmp -s "$work/ng.out" "$work/k.out"; then
        pass '/run/initramfs/dracut.conf.d: read last, the same printed configuration'
    else
        fail "/run/initramfs/dracut.conf.d: status $status; diff:"
        diff "$work/ng.out" "$work/k.out" | head -n 10
    fi
else
    fail '/run/initramfs/dracut.conf.d: needs root and unshare for a private /run'
fi

# --- images: --remove, --compress-level, --nvmf-nbft-mode, --ukify, --sbat --------------------------
build_both() {
    local tag=$1
    shift
    run_ng --no-kernel --no-early-microcode -m base --tmpdir "$work/out" "$@" "$work/out/ng-$tag.img" \
        >"$work/ng-$tag.log" 2>&1
    ng_status=$?
    run_kindling --no-kernel --no-early-microcode -m base --tmpdir "$work/out" "$@" "$work/out/k-$tag.img" \
        >"$work/k-$tag.log" 2>&1
    k_status=$?
}

# The sorted member names of an image (through its compressor).
members() {
    local dir
    dir=$work/unpacked-$(basename "$1")
    unpack_image "$1" "$dir" >/dev/null 2>&1
    (cd "$dir" && find . -mindepth 1 | sed 's,^\./,,' | LC_ALL=C sort)
}

build_both plain --no-compress
build_both removed --no-compress --remove 'usr/bin/less etc/ld.so.conf.d' --remove usr/lib/modprobe.d \
    --nvmf-nbft-mode static --no-ukify --sbat 'kindling,1,Kindling,kindling,1,https://example.org'
if ((ng_status == 0 && k_status == 0)); then
    members "$work/out/ng-plain.img" >"$work/ng-plain.list"
    members "$work/out/ng-removed.img" >"$work/ng-removed.list"
    members "$work/out/k-plain.img" >"$work/k-plain.list"
    members "$work/out/k-removed.img" >"$work/k-removed.list"
    ng_gone=$(comm -23 "$work/ng-plain.list" "$work/ng-removed.list")
    k_gone=$(comm -23 "$work/k-plain.list" "$work/k-removed.list")
    if [[ -n $ng_gone && $ng_gone == "$k_gone" ]] && ! comm -13 "$work/k-plain.list" "$work/k-removed.list" | grep -v build-parameter -q; then
        pass "--remove: the same $(wc -l <<<"$k_gone") members gone, nothing else changed"
    else
        fail '--remove: members gone differ (dracut-ng < > kindling):'
        diff <(echo "$ng_gone") <(echo "$k_gone") | head -n 10
    fi
    # What each stores of its command line: dracut-ng also stores its own --local.
    ng_stored=$(sed 's/^--local //' "$work/unpacked-ng-removed.img/usr/lib/dracut/build-parameter.txt")
    k_stored=$(cat "$work/unpacked-k-removed.img/usr/lib/dracut/build-parameter.txt")
    if [[ -n $k_stored && $ng_stored == "$k_stored" ]]; then
        pass 'build-parameter.txt: --remove, --nvmf-nbft-mode, --no-ukify and --sbat stored as dracut-ng stores them'
    else
        fail "build-parameter.txt differs: dracut-ng '$ng_stored', kindling '$k_stored'"
    fi
else
    fail "--remove builds: statuses $ng_status/$k_status: $(tail -n 2 "$work/k-removed.log")"
fi
build_both escape --no-compress --remove ../outside
if ((k_status != 0)) && grep -q -- "--remove '../outside': climbs out of the image" "$work/k-escape.log"; then
    pass '--remove ../outside: refused (dracut-ng runs rm -rf on the path outside its tree: named difference)'
else
    fail "--remove ../outside: status $k_status: $(tail -n 1 "$work/k-escape.log")"
fi

# The compressor's bytes: each image must be exactly what the expected command makes of its own
# archive, so the level is the one asked for.
for case in 'zstd 3:zstd -3 -q -T0' 'xz 2:xz -2 --check=crc32 --lzma2=dict=1MiB -T0' 'lz4 1:lz4 -l -1'; do
    compressor=${case%% *}
    level=${case#* }
    level=${level%%:*}
    command=${case#*:}
    command -v "$compressor" >/dev/null || {
        fail "--compress-level: $compressor is not installed"
        continue
    }
    build_both "level-$compressor" --"$compressor" --compress-level "$level"
    result=''
    for tool in ng k; do
        image=$work/out/$tool-level-$compressor.img
        $command -d -c <"$image" >"$work/archive" 2>/dev/null || $compressor -d -c <"$image" >"$work/archive" 2>/dev/null
        $command <"$work/archive" >"$work/again" 2>/dev/null
        cmp -s "$image" "$work/again" && result+=" $tool"
    done
    if ((ng_status == 0 && k_status == 0)) && [[ $result == ' ng k' ]]; then
        pass "--compress-level $level --$compressor: both images are '$command' of their archive"
    else
        fail "--compress-level $level --$compressor: statuses $ng_status/$k_status, matching:$result"
    fi
done
# gzip: Kindling's is in process; the header's XFL byte says the level class (4: fastest, 2: best).
build_both level-gzip --gzip --compress-level 1
xfl() { od -An -tu1 -j8 -N1 "$1" | tr -d ' '; }
if ((ng_status == 0 && k_status == 0)) && [[ $(xfl "$work/out/ng-level-gzip.img") == 4 && $(xfl "$work/out/k-level-gzip.img") == 4 ]]; then
    pass '--compress-level 1 --gzip: both gzip streams say fastest (XFL 4)'
else
    fail "--compress-level 1 --gzip: statuses $ng_status/$k_status, XFL $(xfl "$work/out/ng-level-gzip.img")/$(xfl "$work/out/k-level-gzip.img")"
fi
build_both level-bad --zstd --compress-level fast
if ((ng_status != 0 && k_status != 0)) && grep -q "invalid compression level 'fast'" "$work/k-level-bad.log"; then
    pass '--compress-level fast: both fail (dracut-ng when zstd rejects it, Kindling before the build)'
else
    fail "--compress-level fast: statuses $ng_status/$k_status"
fi
build_both nbft-bad --no-compress --nvmf-nbft-mode sometimes
if ((ng_status == 0 && k_status != 0)) && grep -q 'Invalid value "sometimes" for nvmf_nbft_mode' "$work/ng-nbft-bad.log" &&
    grep -q "invalid nvmf_nbft_mode 'sometimes'" "$work/k-nbft-bad.log"; then
    pass '--nvmf-nbft-mode sometimes: dracut-ng logs an error and takes match, Kindling refuses (named difference)'
else
    fail "--nvmf-nbft-mode sometimes: statuses $ng_status/$k_status"
fi

# --- acpi_override: the tables in the early archive --------------------------------------------------
mkdir -p "$work/acpi"
printf 'DSDT-override-one' >"$work/acpi/a.aml"
printf 'SSDT-override-two' >"$work/acpi/b.aml"
printf 'not a table' >"$work/acpi/notes.txt"
printf 'acpi_override=yes\nacpi_table_dir=%s\n' "$work/acpi" >"$work/confdir/30-acpi.conf"
build_both acpi --no-compress --no-early-microcode
rm -f "$work/confdir/30-acpi.conf"
for tool in ng k; do
    mkdir -p "$work/early-$tool"
    (cd "$work/early-$tool" && cpio -id --quiet <"$work/out/$tool-acpi.img" 2>/dev/null)
done
if ((ng_status == 0 && k_status == 0)) && [[ -f $work/early-k/kernel/firmware/acpi/a.aml ]] &&
    diff -r "$work/early-ng" "$work/early-k" >/dev/null &&
    [[ $(cd "$work/early-k" && find . | LC_ALL=C sort | tr '\n' ' ') == '. ./early_cpio ./kernel ./kernel/firmware ./kernel/firmware/acpi ./kernel/firmware/acpi/a.aml ./kernel/firmware/acpi/b.aml ' ]]; then
    pass 'acpi_override: the same early archive of the *.aml tables'
else
    fail "acpi_override: statuses $ng_status/$k_status; $(diff -r "$work/early-ng" "$work/early-k" 2>&1 | head -n 3)"
fi

# --- early_microcode_image_dir/_name: microcode from an early image -----------------------------------
# The firmware directories have none, so both take kernel/x86/microcode/GenuineIntel.bin from the
# first image that holds it.
mkdir -p "$work/ucode/tree/kernel/x86/microcode" "$work/ucode/images" "$work/nofw"
printf 'intel microcode from an image' >"$work/ucode/tree/kernel/x86/microcode/GenuineIntel.bin"
(cd "$work/ucode/tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet >"$work/ucode/images/intel-ucode.img")
printf 'not a cpio archive' >"$work/ucode/images/intel-uc.img"
printf 'early_microcode_image_dir=(%s)\nearly_microcode_image_name=(intel-uc.img intel-ucode.img)\n' \
    "$work/ucode/images" >"$work/confdir/30-ucode.conf"
build_both ucode --no-compress --early-microcode --fwdir "$work/nofw"
rm -f "$work/confdir/30-ucode.conf"
for tool in ng k; do
    mkdir -p "$work/ucode-$tool"
    (cd "$work/ucode-$tool" && cpio -id --quiet <"$work/out/$tool-ucode.img" 2>/dev/null)
done
if ((ng_status == 0 && k_status == 0)) && diff -r "$work/ucode-ng" "$work/ucode-k" >/dev/null &&
    cmp -s "$work/ucode-k/kernel/x86/microcode/GenuineIntel.bin" "$work/ucode/tree/kernel/x86/microcode/GenuineIntel.bin"; then
    pass 'early_microcode_image_dir and _name: the same early archive, the microcode taken from the image'
else
    fail "early microcode images: statuses $ng_status/$k_status; $(diff -r "$work/ucode-ng" "$work/ucode-k" 2>&1 | head -n 3)"
fi

# --- kmsgloglvl: both write their log lines to the kernel's log ---------------------------------------
if [[ $(id -u) == 0 && -w /dev/kmsg ]] && dmesg >/dev/null 2>&1; then
    printf 'kmsgloglvl=4\n' >"$work/confdir/30-kmsg.conf"
    marker=kmsg-$$-$RANDOM
    build_both "$marker" --no-compress
    rm -f "$work/confdir/30-kmsg.conf"
    ng_line=$(dmesg | grep -c "dracut\[[0-9]*\] \*\*\* Creating image file '$work/out/ng-$marker.img' \*\*\*")
    k_line=$(dmesg | grep -c "kindling\[[0-9]*\] \*\*\* Creating image file '$work/out/k-$marker.img' \*\*\*")
    if ((ng_status == 0 && k_status == 0 && ng_line == 1 && k_line == 1)); then
        pass 'kmsgloglvl=4: both write their info lines to the kernel log'
    else
        fail "kmsgloglvl=4: statuses $ng_status/$k_status, lines in dmesg $ng_line/$k_line"
    fi
else
    fail 'kmsgloglvl: needs root, a writable /dev/kmsg and dmesg'
fi

# --- --ukify, --no-ukify, --sbat in a UEFI executable -----------------------------------------------
# Without ukify installed, dracut-ng assembles the executable with objcopy whichever is given; the
# .sbat sections of both executables must be the same bytes: the version line, these lines, then
# the kernel's and the stub's.
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
if [[ -f $stub && -f $root/boot/vmlinuz-$kver ]] && command -v objcopy >/dev/null; then
    sbat_line='kindling,1,Kindling,kindling,1,https://example.org'
    for choice in --ukify --no-ukify; do
        build_both "uki$choice" --uefi --uefi-stub "$stub" --kernel-image "$root/boot/vmlinuz-$kver" \
            --sbat "$sbat_line" "$choice"
        for tool in ng k; do
            objcopy -O binary --only-section=.sbat "$work/out/$tool-uki$choice.img" "$work/$tool.sbat" 2>/dev/null
        done
        if ((ng_status == 0 && k_status == 0)) && [[ -s $work/k.sbat ]] && cmp -s "$work/ng.sbat" "$work/k.sbat" &&
            grep -q "^$sbat_line" "$work/k.sbat"; then
            pass "--sbat with $choice: the same .sbat bytes in both executables"
        else
            fail "--sbat with $choice: statuses $ng_status/$k_status; dracut-ng '$(tr '\n' '|' <"$work/ng.sbat")', kindling '$(tr '\n' '|' <"$work/k.sbat")'"
        fi
    done
else
    fail '--sbat: needs systemd-boot-efi'"'"'s stub, the test kernel'"'"'s vmlinuz and objcopy'
fi

# --- --enhanced-cpio with dracut-cpio present ------------------------------------------------------------
# Both write the archive with dracut-cpio: every member's time is 0, and each file's data starts on
# the block size of the temporary directory's file system.
if [[ -x $ng/dracut-cpio ]]; then
    build_both enhanced --no-compress --enhanced-cpio
    align=$(stat -f -c %s "$work/out")
    layout() {
        python3 - "$1" "$align" <<'EOF'
import sys
data = open(sys.argv[1], 'rb').read()
align = int(sys.argv[2])
offset = 0; times = set(); unaligned = 0; files = 0
while offset < len(data):
    header = data[offset:offset + 110]
    if header[:6] != b'070701':
        offset += 1
        continue
    fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    mode, mtime, size, namesize = fields[1], fields[5], fields[6], fields[11]
    name = data[offset + 110:offset + 110 + namesize - 1]
    start = (offset + 110 + namesize + 3) & ~3
    if name == b'TRAILER!!!':
        break
    times.add(mtime)
    if mode & 0o170000 == 0o100000 and size >= align:
        files += 1
        unaligned += start % align != 0
    offset = (start + size + 3) & ~3
print(f"times={sorted(times)} files>={align}: {files}, unaligned {unaligned}")
EOF
    }
    ng_layout=$(layout "$work/out/ng-enhanced.img")
    k_layout=$(layout "$work/out/k-enhanced.img")
    if ((ng_status == 0 && k_status == 0)) && [[ $ng_layout == "$k_layout" && $ng_layout == "times=[0] files>=$align: "*", unaligned 0" ]]; then
        pass "--enhanced-cpio: both archives by dracut-cpio ($k_layout, block $align)"
    else
        fail "--enhanced-cpio: statuses $ng_status/$k_status, dracut-ng '$ng_layout', kindling '$k_layout'"
        tail -n 2 "$work/k-enhanced.log"
    fi
else
    # Built without cargo: both say they ignore the option (at the info level) and write their
    # usual archive.
    build_both enhanced --no-compress --enhanced-cpio -v
    if ((ng_status == 0 && k_status == 0)) && grep -q -- '--enhanced-cpio ignored due to lack of' "$work/ng-enhanced.log" &&
        grep -q -- '--enhanced-cpio ignored due to lack of dracut-cpio' "$work/k-enhanced.log"; then
        pass '--enhanced-cpio without dracut-cpio (no cargo for the dracut-ng build): both ignore it, saying so'
    else
        fail "--enhanced-cpio without dracut-cpio: statuses $ng_status/$k_status"
    fi
fi

finish
