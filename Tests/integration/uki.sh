#!/bin/bash
# --uefi: unified kernel images. Side by side with dracut 059's --uefi on the same kernel, modules
# and command line (the same sections, the same .osrel, .cmdline and .linux, the same files in
# .initrd); signed with a key pair made here (sbverify accepts it, and rejects a copy with one
# byte of .initrd changed); a key that does not match its certificate, or one that is missing,
# stops the build naming the file and leaves the old output as it was; two builds are
# byte-identical; uefi=yes in a conf.d file; the default EFI/Linux path; kindling-lsinitrd on a
# UKI; and a boot of the UKI under UEFI firmware (OVMF), straight from an ESP, to the marker of
# a disk it mounts.
#   TIMEOUT             seconds the UEFI boot may take (default: 400)
#   KVM_PROBE_TIMEOUT   seconds a KVM boot may take before TCG is tried instead (default: 20)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=uki
dracut=/usr/bin/dracut
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
PATH=$PATH:/usr/sbin:/sbin

make_work_directory
require_kindling_dracut_and_kernel
for tool in objcopy objdump sbsign sbverify openssl mkfs.vfat mcopy sfdisk; do
    command -v "$tool" >/dev/null || give_up "$tool is not installed (make deps)"
done
[[ -s $stub ]] || give_up "no UEFI stub at $stub (apt-get install systemd-boot-efi)"
[[ -s $ovmf_code && -s $ovmf_vars ]] || give_up "no OVMF firmware at $ovmf_code (apt-get install ovmf)"

vmlinuz=$root/boot/vmlinuz-$kver
mkdir -p "$work/confdir"
export SOURCE_DATE_EPOCH=1700000000
common=(--force --conf /dev/null --confdir "$work/confdir" --no-hostonly --kver "$kver" --no-early-microcode)
# Any bytes serve as the splash: neither tool reads the bitmap.
head -c 3000 /dev/urandom >"$work/splash.bmp"
image_args=(-m "base bash" --no-kernel --uefi --kernel-image "$vmlinuz" --kernel-cmdline "root=/dev/vda console=ttyS0"
    --uefi-splash-image "$work/splash.bmp")
kindling() { "$KINDLING" "${common[@]}" --modules-dir /usr/lib/dracut/modules.d "$@"; }

# section FILE NAME: the section's contents on standard output.
section() { objcopy -O binary --only-section="$2" "$1" /dev/stdout 2>/dev/null; }
section_names() { objdump -h "$1" | awk '$1 ~ /^[0-9]+$/ { print $2 }' | tr '\n' ' '; }
# section_table FILE: "NAME SIZE ADDRESS FILE-OFFSET" a line, in decimal.
section_table() {
    local index section size address _ offset _
    objdump -h "$1" | while read -r index section size address _ offset _; do
        [[ $index =~ ^[0-9]+$ ]] && printf '%s %d %d %d\n' "$section" $((16#$size)) $((16#$address)) $((16#$offset))
    done
}

# --- side by side with dracut 059 --------------------------------------------------------------
"$dracut" "${common[@]}" "${image_args[@]}" "$work/dracut.efi" >"$work/dracut.log" 2>&1 ||
    give_up "dracut --uefi failed: $(tail -n 2 "$work/dracut.log")"
started=$(date +%s%N)
kindling "${image_args[@]}" "$work/kindling.efi" >"$work/kindling.log" 2>&1 ||
    give_up "kindling --uefi failed: $(tail -n 2 "$work/kindling.log")"
kindling_ms=$((($(date +%s%N) - started) / 1000000))

if [[ $(section_names "$work/kindling.efi") == "$(section_names "$work/dracut.efi")" ]]; then
    pass "the same sections as dracut 059's UKI: $(section_names "$work/kindling.efi")"
else
    fail "sections: kindling $(section_names "$work/kindling.efi"), dracut $(section_names "$work/dracut.efi")"
fi
for name_of in .osrel .cmdline .splash .linux .sbat .text .data; do
    if cmp -s <(section "$work/kindling.efi" "$name_of") <(section "$work/dracut.efi" "$name_of"); then
        pass "$name_of: the same bytes as dracut 059's ($(section "$work/kindling.efi" "$name_of" | wc -c) bytes)"
    else
        fail "$name_of differs from dracut 059's"
    fi
done
section "$work/kindling.efi" .initrd >"$work/kindling-initrd.img"
section "$work/dracut.efi" .initrd >"$work/dracut-initrd.img"
unpack_image "$work/kindling-initrd.img" "$work/k"
unpack_image "$work/dracut-initrd.img" "$work/d"
# Kindling also stores its --modules-dir among the build's parameters.
if compare_trees "$work/d" "$work/k" usr/lib/dracut/build-parameter.txt >"$work/initrd.diff"; then
    pass ".initrd: the same $(manifest "$work/k" | wc -l) entries as dracut 059's, file for file"
else
    fail ".initrd differs from dracut 059's: $(head -n 5 "$work/initrd.diff" | tr '\n' ' ')"
fi
if [[ ! -e $work/k/etc/cmdline.d/01-default.conf && ! -e $work/d/etc/cmdline.d/01-default.conf ]]; then
    pass "the command line is in .cmdline only, not in the image's /etc/cmdline.d, as dracut"
else
    fail "a UKI's image holds /etc/cmdline.d/01-default.conf"
fi
# The layout: every section after the one before, none overlapping, as the PE rules ask.
overlaps=0 end=0
while read -r _ size address _; do
    ((address < end)) && overlaps=$((overlaps + 1))
    end=$((address + size))
done < <(section_table "$work/kindling.efi")
if ((overlaps == 0)); then
    pass "no section overlaps another, whatever the kernel's size"
else
    fail "$overlaps sections overlap the one before"
fi

# --- kindling-lsinitrd on a UKI ----------------------------------------------------------------
"$KINDLING_LSINITRD" "$work/kindling.efi" >"$work/lsinitrd.out" 2>&1
if grep -qx "Kernel Version: $kver .*" "$work/lsinitrd.out" && grep -qx 'root=/dev/vda' "$work/lsinitrd.out" &&
    grep -qE '^  \.initrd +[0-9]+$' "$work/lsinitrd.out" && grep -qE ' usr/lib/initrd-release$' "$work/lsinitrd.out"; then
    pass "kindling-lsinitrd on a UKI: kernel version, command line, sections, then the .initrd's files"
else
    fail "kindling-lsinitrd on a UKI: $(head -n 12 "$work/lsinitrd.out" | tr '\n' '|')"
fi
if [[ -z $(find "$TMPDIR" -name 'kindling-lsinitrd-initrd.*') ]]; then
    pass "kindling-lsinitrd leaves no copy of the .initrd behind"
else
    fail "kindling-lsinitrd left $(find "$TMPDIR" -name 'kindling-lsinitrd-initrd.*')"
fi

# --- reproducible, and uefi=yes in a configuration file ----------------------------------------
kindling "${image_args[@]}" "$work/again.efi" >"$work/again.log" 2>&1
if cmp -s "$work/kindling.efi" "$work/again.efi"; then
    pass "with SOURCE_DATE_EPOCH two UKIs are byte-identical"
else
    fail "two UKIs of the same build differ"
fi
mkdir -p "$work/uefi.d"
printf 'uefi=yes\nkernel_image=%s\n' "$vmlinuz" >"$work/uefi.d/50-uefi.conf"
"$KINDLING" --force --conf /dev/null --confdir "$work/uefi.d" --no-hostonly --kver "$kver" -m base --no-kernel \
    --modules-dir /usr/lib/dracut/modules.d "$work/conf.efi" >"$work/conf.log" 2>&1
if [[ $(head -c 2 "$work/conf.efi" 2>/dev/null) == MZ ]] && section "$work/conf.efi" .linux | cmp -s - "$vmlinuz"; then
    pass "uefi=yes and kernel_image= in a conf.d file give a UKI of that kernel"
else
    fail "uefi=yes in a conf.d file: $(tail -n 2 "$work/conf.log")"
fi

# --- the default path: EFI/Linux/linux-KVER-MACHINEID-BUILDID.efi ------------------------------
# A module that installs only two command line files, as host-only modules do: the sysroot has
# no programs for dracut's or Kindling's base.
sysroot=$work/sysroot
mkdir -p "$sysroot/etc" "$sysroot/boot/efi/EFI" "$work/modules/90nothing"
cat >"$work/modules/90nothing/module-setup.sh" <<'MODULE'
#!/bin/bash
check() { return 0; }
depends() { return 0; }
install() {
    mkdir -p "$initdir/etc/cmdline.d"
    printf 'rd.second=2\n' >"$initdir/etc/cmdline.d/20-second.conf"
    printf 'rd.first=1\n\n' >"$initdir/etc/cmdline.d/10-first.conf"
}
MODULE
printf '0123456789abcdef0123456789abcdef\n' >"$sysroot/etc/machine-id"
printf 'ID=test\nBUILD_ID="2026.12"\n' >"$sysroot/etc/os-release"
"$KINDLING" --force --conf /dev/null --confdir "$work/confdir" --no-hostonly --kver "$kver" -m nothing --no-kernel \
    --modules-dir "$work/modules" --sysroot "$sysroot" --hostonly-cmdline --uefi --uefi-stub "$stub" --kernel-image "$vmlinuz" >"$work/default.log" 2>&1
expected=$sysroot/boot/efi/EFI/Linux/linux-$kver-0123456789abcdef0123456789abcdef-2026.12.efi
if [[ -s $expected ]] && section "$expected" .osrel | grep -qx 'BUILD_ID="2026.12"'; then
    pass "no image named: ${expected#"$sysroot"}, with the sysroot's os-release in .osrel"
else
    fail "the default UKI path: $(find "$sysroot/boot" -type f) $(tail -n 2 "$work/default.log")"
fi
if section "$expected" .cmdline | cmp -s - <(printf 'rd.first=1 rd.second=2 \0'); then
    pass "--hostonly-cmdline without --kernel-cmdline: .cmdline joins the image's cmdline.d files, as dracut"
else
    fail "the host-only .cmdline: $(section "$expected" .cmdline | od -An -c)"
fi

# --- signing -----------------------------------------------------------------------------------
make_key_pair() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Kindling test $1/" \
        -keyout "$work/$1.key" -out "$work/$1.crt" >/dev/null 2>&1
}
make_key_pair one || give_up "openssl cannot make a key pair"
make_key_pair two
signing=(--kernel-image "$vmlinuz" -m "base bash" --no-kernel --uefi)
sign_conf() {
    mkdir -p "$work/sign-$1.d"
    printf 'uefi_secureboot_key=%s\nuefi_secureboot_cert=%s\n' "$2" "$3" >"$work/sign-$1.d/60-sign.conf"
}
signed_build() {
    "$KINDLING" --force --conf /dev/null --confdir "$work/sign-$1.d" --no-hostonly --kver "$kver" \
        --modules-dir /usr/lib/dracut/modules.d "${signing[@]}" "$2"
}
sign_conf good "$work/one.key" "$work/one.crt"
signed_build good "$work/signed.efi" >"$work/signed.log" 2>&1
if sbverify --cert "$work/one.crt" "$work/signed.efi" >/dev/null 2>&1; then
    pass "uefi_secureboot_key and _cert sign the UKI: sbverify accepts it with the certificate"
else
    fail "sbverify rejects the signed UKI: $(tail -n 2 "$work/signed.log")"
fi
if ! sbverify --cert "$work/two.crt" "$work/signed.efi" >/dev/null 2>&1; then
    pass "sbverify rejects the signed UKI with another certificate"
else
    fail "sbverify accepts the UKI with a certificate that did not sign it"
fi
cp "$work/signed.efi" "$work/tampered.efi"
offset=$(section_table "$work/tampered.efi" | awk '$1 == ".initrd" { print $4 + 4096 }')
byte=$(od -An -tu1 -j "$offset" -N1 "$work/tampered.efi" | tr -d ' ')
printf '%b' "\\$(printf '%03o' $((255 - byte)))" | dd of="$work/tampered.efi" bs=1 seek="$offset" conv=notrunc 2>/dev/null
if ! cmp -s "$work/signed.efi" "$work/tampered.efi" && ! sbverify --cert "$work/one.crt" "$work/tampered.efi" >/dev/null 2>&1; then
    pass "a copy with one byte of .initrd changed fails sbverify"
else
    fail "sbverify accepts a tampered UKI"
fi

# A key that is not the certificate's, or a missing one: one line naming the file, the old
# output untouched, no unsigned executable left.
printf 'the old image\n' >"$work/kept.efi"
sign_conf mismatch "$work/one.key" "$work/two.crt"
if signed_build mismatch "$work/kept.efi" >"$work/mismatch.log" 2>&1; then
    fail "a key that does not match the certificate built a UKI"
elif grep -qx "kindling: uefi_secureboot_key '$work/one.key' does not match uefi_secureboot_cert '$work/two.crt'" "$work/mismatch.log" &&
    [[ $(<"$work/kept.efi") == "the old image" ]] && [[ -z $(find "$work" -maxdepth 1 -name '.kept.efi.*') ]]; then
    pass "a key that does not match its certificate: $(grep -o 'uefi_secureboot_key.*' "$work/mismatch.log" | head -n 1 | cut -c1-60)..., old output kept"
else
    fail "mismatched key: $(tail -n 2 "$work/mismatch.log") / output: $(head -c 40 "$work/kept.efi")"
fi
sign_conf missing "$work/none.key" "$work/one.crt"
if ! signed_build missing "$work/kept.efi" >"$work/missing.log" 2>&1 &&
    grep -q "uefi_secureboot_key '$work/none.key': cannot read it" "$work/missing.log" &&
    [[ $(<"$work/kept.efi") == "the old image" ]] && ! grep -q 'Including module' "$work/missing.log"; then
    pass "a missing key stops the build before it starts, naming the file"
else
    fail "missing key: $(tail -n 2 "$work/missing.log")"
fi
mkdir -p "$work/half.d"
printf 'uefi_secureboot_key=%s\n' "$work/one.key" >"$work/half.d/60-sign.conf"
if ! "$KINDLING" --force --conf /dev/null --confdir "$work/half.d" --no-kernel -m base --uefi \
    "$work/half.efi" >"$work/half.log" 2>&1 && grep -q 'give both or neither' "$work/half.log"; then
    pass "a key without a certificate is refused: $(grep -o 'uefi_secureboot.*' "$work/half.log" | head -n 1)"
else
    fail "a key without a certificate: $(tail -n 1 "$work/half.log")"
fi
if ! kindling -m base --no-kernel --uefi --uefi-stub "$work/one.crt" "$work/bad-stub.efi" >"$work/stub.log" 2>&1 &&
    grep -q "cannot use the UEFI stub '$work/one.crt': not a PE executable" "$work/stub.log"; then
    pass "a stub that is not a PE executable is refused, naming it"
else
    fail "a bad stub: $(tail -n 1 "$work/stub.log")"
fi

# --- --sbat, as dracut-ng: the version line once, the user's lines, then the stub's -----------
kindling -m base --no-kernel --uefi --kernel-image "$vmlinuz" --sbat "kindling,1,Test,kindling,1,https://example.invalid/" \
    --uefi-splash-image "$work/no-such.bmp" "$work/sbat.efi" >"$work/sbat.log" 2>&1
if grep -q "the UEFI splash image '$work/no-such.bmp' (uefi_splash_image) is missing" "$work/sbat.log" &&
    ! objdump -h "$work/sbat.efi" | grep -q ' \.splash '; then
    pass "a missing splash image is left out with a warning naming it, as dracut leaves it out"
else
    fail "a missing splash: $(grep -c splash "$work/sbat.log") lines; $(section_names "$work/sbat.efi")"
fi
section "$work/sbat.efi" .sbat >"$work/sbat.txt"
section "$stub" .sbat | tr -d '\0' | grep -v '^sbat,1,' >"$work/stub-sbat.txt"
if [[ $(head -n 1 "$work/sbat.txt") == sbat,1,* && $(sed -n 2p "$work/sbat.txt") == kindling,1,Test,* ]] &&
    [[ $(grep -c '^sbat,1,' "$work/sbat.txt") == 1 ]] && tail -n +3 "$work/sbat.txt" | cmp -s - "$work/stub-sbat.txt" &&
    [[ $(objdump -h "$work/sbat.efi" | grep -c ' \.sbat ') == 1 ]]; then
    pass "--sbat: one .sbat of the version line, the given line and the stub's own lines"
else
    fail "--sbat: $(tr '\n' '|' <"$work/sbat.txt")"
fi

# --- a boot under UEFI firmware: OVMF runs the UKI from an ESP as EFI/BOOT/BOOTX64.EFI ----------
token="kindling-uki-$$-$RANDOM"
mkdir -p "$work/disk"
printf '%s\n' "$token" >"$work/disk/marker"
mkfs.ext4 -q -F -d "$work/disk" "$work/disk.raw" 16M >/dev/null 2>&1 || give_up "mkfs.ext4 -d failed"
"$KINDLING" --force --no-hostonly --conf /dev/null --confdir "$work/confdir" \
    --modules-dir "$here/../fixtures/modules.d" -m kmodtest --kmoddir "$root/lib/modules/$kver" --kver "$kver" \
    --no-early-microcode --uefi --kernel-image "$vmlinuz" --kernel-cmdline "console=ttyS0 panic=-1 kindling.uki=$token" \
    "$work/boot.efi" >"$work/boot-build.log" 2>&1 || give_up "kindling could not build the boot UKI"
make_esp() {
    truncate -s 48M "$work/esp.img"
    printf 'label: gpt\nstart=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n' | sfdisk -q "$work/esp.img" >/dev/null &&
        mkfs.vfat --offset 2048 -F 32 "$work/esp.img" $(((48 * 2048 - 2048 - 34) / 2)) >/dev/null 2>&1 &&
        mmd -i "$work/esp.img@@1M" ::/EFI ::/EFI/BOOT &&
        mcopy -i "$work/esp.img@@1M" "$work/boot.efi" ::/EFI/BOOT/BOOTX64.EFI
}
make_esp || give_up "cannot make the ESP image"
cp "$ovmf_vars" "$work/vars.fd"
boot_started=$(date +%s)
# The ESP is on IDE, which the image has no driver for: /dev/vda stays the marker disk.
boot_kvm_or_tcg "${KVM_PROBE_TIMEOUT:-20}" "${TIMEOUT:-400}" "$work/serial" -m 512 \
    -drive "if=pflash,format=raw,readonly=on,file=$ovmf_code" -drive "if=pflash,format=raw,file=$work/vars.fd" \
    -drive "file=$work/esp.img,format=raw,if=ide" -drive "file=$work/disk.raw,format=raw,if=virtio"
boot_seconds=$(($(date +%s) - boot_started))
if grep -q "Kernel command line:.*kindling.uki=$token" "$log" && grep -q "kmodtest: marker: $token" "$log"; then
    pass "OVMF boots the UKI from the ESP: its .cmdline reaches the kernel and its .initrd reads the disk's marker ($accel, ${boot_seconds} s)"
else
    tail -n 30 "$log"
    fail "the UEFI boot did not reach the marker (QEMU status $status, $accel, ${boot_seconds} s)"
fi

echo "uki: kindling --uefi $((kindling_ms / 1000)).$((kindling_ms % 1000 / 100)) s, $(stat -c %s "$work/kindling.efi") bytes; dracut's $(stat -c %s "$work/dracut.efi") bytes"
finish
