#!/bin/bash
# Writes the seed corpus of every harness, Tests/fuzz-corpus/<Harness>/, which is committed: run
# it again when a harness's input format changes, and commit what changes. Every seed is made
# here with cpio, gzip, xz, gcc and ldconfig, from files this script writes: no binary of the
# machine is copied. Harnesses whose input starts with a few control bytes (chunk sizes,
# selectors) get them prepended; see each harness's FuzzInput calls.
#   Fuzz/make-corpus.sh [OUT]      (default Tests/fuzz-corpus, from the repository's top)
set -euo pipefail
out=${1:-Tests/fuzz-corpus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"/Fuzz*
mkdir -p "$out"
seed() { mkdir -p "$out/$1"; cat > "$out/$1/$2"; }
have() { command -v "$1" >/dev/null 2>&1; }

# A small tree with every member type the harnesses handle, as GNU cpio archives it.
tree=$work/tree
mkdir -p "$tree/etc/dir" "$tree/bin"
printf 'root:x:0:0::/root:/bin/sh\n' > "$tree/etc/passwd"
printf '#!/bin/sh\necho hello\n' > "$tree/bin/script"
chmod 755 "$tree/bin/script"
ln "$tree/bin/script" "$tree/bin/hardlink"
ln -s ../etc/passwd "$tree/bin/symlink"
mkfifo "$tree/etc/fifo"
: > "$tree/etc/empty"
# Fixed times and device-independent archives: running the script again changes no seed.
find "$tree" -exec touch -h -d @1700000000 {} +
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) > "$work/newc.cpio"
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H crc --quiet --reproducible) > "$work/crc.cpio"
(cd "$tree" && find etc | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) > "$work/small.cpio"
# Hostile: members climbing out through '..', an absolute path, and a symlinked directory.
mkdir -p "$work/evil/a"
printf 'x' > "$work/evil/a/file"
ln -s /tmp "$work/evil/link"
find "$work/evil" -exec touch -h -d @1700000000 {} +
(cd "$work/evil" && printf '%s\n' a a/file link | cpio -o -H newc --quiet --reproducible) > "$work/evil-base.cpio"
(cd "$work/evil" && printf '%s\n' a/../../escape link/escape /abs | cpio -o -H newc --quiet --reproducible 2>/dev/null) > "$work/evil-paths.cpio" || true
gzip -9n < "$work/newc.cpio" > "$work/newc.cpio.gz"

for name in newc crc small evil-base evil-paths; do
    { printf '\x00\x10\x01'; cat "$work/$name.cpio"; } | seed FuzzCpioReader "$name"
    { printf '\x00\x07\x00'; cat "$work/$name.cpio"; } | seed FuzzCpioReader "$name-chunks-of-8"
    seed FuzzArchiveExtractor "$name" < "$work/$name.cpio"
done
cat "$work/evil-base.cpio" "$work/evil-paths.cpio" | seed FuzzArchiveExtractor evil-combined

# The unpacker beside its sentinel tree (../sentinel/{file,program,dir/inner,link}): members that
# replace what an earlier member made, written field by field (cpio -o cannot write a name twice).
# newc NAME MODE(octal) NLINK INODE [DATA]
newc() {
    local name=$1 mode=$2 links=$3 inode=$4 data=${5-}
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' "$inode" "$((8#$mode))" 0 0 "$links" \
        1700000000 "${#data}" 0 0 0 0 $((${#name} + 1)) 0
    printf '%s\0' "$name"
    head -c $(((4 - (110 + ${#name} + 1) % 4) % 4)) /dev/zero
    printf '%s' "$data"
    head -c $(((4 - ${#data} % 4) % 4)) /dev/zero
}
trailer() { newc 'TRAILER!!!' 0 1 0; }
{ newc d 044755 2 1; newc d 0120777 1 2 ../sentinel/file; newc e 040777 2 3; newc e 0120777 1 4 ../sentinel/dir
  trailer; } | seed FuzzUnpackConfinement directory-then-symlink
{ newc a 0100644 2 5; newc a 0120777 1 6 ../sentinel/program; newc b 0104755 2 5 evil; trailer; } |
    seed FuzzUnpackConfinement hardlink-then-symlink
{ newc f 010644 1 7; newc f 0120777 1 8 ../sentinel/file; newc s 0140600 1 9; newc s 0120777 1 10 ../sentinel/link
  trailer; } | seed FuzzUnpackConfinement special-then-symlink
{ newc l 0120777 1 11 ../sentinel; newc l/file 0100644 1 12 evil; newc ../sentinel/file 0104755 1 13 x
  newc l/dir 040777 2 14; newc /tmp/x 0100644 1 15 x; trailer; } | seed FuzzUnpackConfinement through-symlinks

# Images: an early uncompressed archive, zero padding, then the compressed main archive.
seed FuzzInitramfsImage plain < "$work/newc.cpio"
seed FuzzInitramfsImage gzip < "$work/newc.cpio.gz"
{ cat "$work/small.cpio"; head -c 512 /dev/zero; cat "$work/newc.cpio.gz"; } | seed FuzzInitramfsImage early-and-gzip
{ cat "$work/newc.cpio.gz" "$work/newc.cpio.gz"; } | seed FuzzInitramfsImage two-gzip-members
{ gzip -9n < "$work/small.cpio"; gzip -1n < "$work/crc.cpio"; } | seed FuzzInitramfsImage concatenated-members
have xz && { cat "$work/small.cpio"; xz -c --check=crc32 < "$work/newc.cpio"; } | seed FuzzInitramfsImage early-and-xz

# Raw gzip streams (after the harness's 3-byte read size).
{ printf '\x00\x10\x00'; cat "$work/newc.cpio.gz"; } | seed FuzzGunzip cpio
{ printf '\x00\x00\x01'; printf 'hello, ' | gzip -n; printf 'world\n' | gzip -n; } | seed FuzzGunzip two-members
{ printf '\x01\x00\x00'; printf 'stored' | gzip -n -1; head -c 64 /dev/zero; } | seed FuzzGunzip trailing-zeros

# Round trips: control bytes, then a payload.
{ printf '\x09\x00\x40\x00\x02\x00'; head -c 3000 "$work/newc.cpio"; } | seed FuzzGzipRoundTrip cpio
{ printf '\x06\x10\x00\x00\x01'; printf 'abcabcabcabc%.0s' {1..40}; } | seed FuzzGzipRoundTrip repetitive
printf '\x03\x01\x00\x00\x00\x04abcd\x02\x08\x00\x00\x00\x00\x00\x00\x05\x0Aa/b\x05\x04\x00\x00\x01\x00\x00\x00\x00\x01\x00' | seed FuzzCpioRoundTrip three
printf '\x06\x02aa\x05\x03xyz\xa4\x01\x01\x01\x00\x00\x00\x01\x01\x02bb\x05\x03xyz\xa4\x01\x01\x01\x00\x00\x00\x01\x01' | seed FuzzCpioRoundTrip hardlinks

# ELF files built here: a static executable without libc, a shared library with a SONAME, and
# an executable that needs it through a $ORIGIN RUNPATH; 32-bit too when gcc can link them.
cat > "$work/start.c" <<'C'
void _start(void) { __asm__ volatile("mov $60, %eax\n xor %edi, %edi\n syscall"); }
C
cat > "$work/lib.c" <<'C'
int seed_value(void) { return 42; }
C
cat > "$work/main.c" <<'C'
int seed_value(void);
int main(void) { return seed_value() != 42; }
C
elf_flags=(-Os -s '-Wl,--build-id=none' '-Wl,-z,noseparate-code')
elf() { # ARCH-FLAG SUFFIX
    local dir=$work/elf$2
    mkdir -p "$dir"
    gcc "$1" "${elf_flags[@]}" -static -nostdlib -o "$dir/static" "$work/start.c" 2>/dev/null || return 0
    # shellcheck disable=SC2016 # $ORIGIN is the dynamic loader's, not the shell's
    gcc "$1" "${elf_flags[@]}" -shared -fPIC -Wl,-soname,libseed.so.1 -o "$dir/libseed.so.1" "$work/lib.c" 2>/dev/null &&
        gcc "$1" "${elf_flags[@]}" -o "$dir/needs-libseed" "$work/main.c" -L"$dir" -l:libseed.so.1 \
            -Wl,-rpath,'$ORIGIN/../lib' -Wl,--enable-new-dtags &&
        gcc "$1" "${elf_flags[@]}" -o "$dir/needs-libseed-rpath" "$work/main.c" -L"$dir" -l:libseed.so.1 \
            -Wl,-rpath,/opt/seed/lib -Wl,--disable-new-dtags
    local file
    for file in "$dir"/*; do
        seed FuzzELFParser "${file##*/}$2" < "$file"
        seed FuzzStripProbe "${file##*/}$2" < "$file"
    done
    # With debugging sections and a symbol table: what the strip pass hands to strip.
    gcc "$1" -g -O1 -o "$dir/debug" "$work/main.c" "$work/lib.c" 2>/dev/null && seed FuzzStripProbe "debug$2" < "$dir/debug"
}
if have gcc; then
    elf -m64 ""
    elf -m32 -32
fi
printf '#!/bin/sh -e\n' | seed FuzzELFParser script
# A PE32+ EFI application of a stub's shape, byte by byte: DOS header, PE headers with 16 data
# directories, a .text and a .sbat of 0x200 bytes each; and the same with room for no more section.
le16() { printf '%b' "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))"; }
le32() { le16 $(($1 & 65535)); le16 $(($1 >> 16)); }
pe_stub() {
    local headers=$1
    {
        printf 'MZ'; head -c 58 /dev/zero; le32 64
        printf 'PE\0\0'; le16 0x8664; le16 2; le32 0; le32 0; le32 0; le16 240; le16 0x206
        le16 0x20b; head -c 6 /dev/zero; le32 0x200; head -c 4 /dev/zero; le32 0x1000; le32 0x1000
        head -c 8 /dev/zero; le32 0x1000; le32 0x200; head -c 16 /dev/zero; le32 0x3000; le32 "$headers"
        le32 0; le16 10; head -c 38 /dev/zero; le32 16; head -c 128 /dev/zero
        printf '.text\0\0\0'; le32 0x1f0; le32 0x1000; le32 0x200; le32 "$headers"; head -c 12 /dev/zero; le32 0x60000020
        printf '.sbat\0\0\0'; le32 0x20; le32 0x2000; le32 0x200; le32 $((headers + 0x200)); head -c 12 /dev/zero; le32 0x40000040
        head -c $((headers - 64 - 24 - 240 - 80)) /dev/zero
        head -c 496 /dev/zero | tr '\0' '\220'; head -c 16 /dev/zero
        printf 'sbat,1,SBAT Version,sbat,1,x\n'; head -c $((512 - 29)) /dev/zero
    }
}
pe_stub 0x400 | seed FuzzPEImage stub
pe_stub 0x200 | seed FuzzPEImage stub-without-room


# Kernel modules: object files shaped like one (.modinfo, __versions, undefined symbols).
cat > "$work/module.c" <<'C'
extern int printk(const char *, ...);
extern void kfree(const void *);
static const char firmware[] __attribute__((section(".modinfo"), used)) = "firmware=vendor/device.bin";
static const char license[] __attribute__((section(".modinfo"), used)) = "license=GPL";
static const char depends[] __attribute__((section(".modinfo"), used)) = "depends=libseed,other";
static const char softdep[] __attribute__((section(".modinfo"), used)) = "softdep=pre: crc32c";
struct version { unsigned long crc; char name[56]; };
static const struct version versions[] __attribute__((section("__versions"), used)) = {
    { 0x1234, "module_layout" }, { 0x5678, "printk" } };
int init_module(void) { kfree(0); return printk("fuzz seed\n"); }
C
if have gcc && gcc -c -O1 -o "$work/module.ko" "$work/module.c" 2>/dev/null; then
    seed FuzzModuleELF fake < "$work/module.ko"
    gcc -m32 -c -O1 -o "$work/module32.ko" "$work/module.c" 2>/dev/null && seed FuzzModuleELF fake-32 < "$work/module32.ko"
fi

# An ld.so.cache of a small root holding the libraries above.
if have ldconfig && [[ -f $work/elf/libseed.so.1 ]]; then
    root=$work/root
    mkdir -p "$root/etc" "$root/usr/lib/seed" "$root/usr/lib32/seed"
    cp "$work/elf/libseed.so.1" "$root/usr/lib/seed/"
    [[ -f $work/elf-32/libseed.so.1 ]] && cp "$work/elf-32/libseed.so.1" "$root/usr/lib32/seed/"
    printf '/usr/lib/seed\n/usr/lib32/seed\n' > "$root/etc/ld.so.conf"
    ldconfig -r "$root" -C /etc/ld.so.cache -f /etc/ld.so.conf 2>/dev/null && seed FuzzLoaderCache small < "$root/etc/ld.so.cache"
fi

# The shim protocol (after the harness's cut count and cuts).
printf '\x02\x05\x00\x11\x00REQ\x006\x00inst\x00\x00\x00\x00/bin/sh\x00/bin/bash\x00LOG\x002\x003\x00a line\x00DONE\x002\x000\x00output\x00' | seed FuzzShellMessages session
printf '\x00REQ\x004\x00inst_multiple\x001\x00/sysroot\x001\x00' | seed FuzzShellMessages hostonly

# What the config-reading bash prints.
printf 'S\x00hostonly\x00yes\x00A\x00add_drivers\x002\x00virtio_blk\x00nvme\x00H\x00map\x001\x00k\x00v\x00' | seed FuzzConfigRecords records

# Command lines, NUL-separated.
printf -- '--kver\x006.1.0\x00-m\x00base bash\x00--include\x00/a\x00/b\x00-fv\x00--host=no\x00out.img' | seed FuzzCommandLine long
printf -- '-mbase\x00--\x00-not-an-option\x00--add-dri\x00x' | seed FuzzCommandLine clusters

# Text formats: a selector byte, then the text.
printf '\x00kernel/a.ko: kernel/b.ko kernel/c.ko\nkernel/b.ko:\n/abs/c.ko: \n' | seed FuzzTextFormats modules.dep
printf '\x01include /etc/ld.so.conf.d/*.conf\n/usr/lib/x86_64-linux-gnu\n\x00/lib=libc6\n# comment\nhwcap 0 x\n\x00include b.conf\n' | seed FuzzTextFormats ld.so.conf
printf '\x02#! /bin/sh -e\n' | seed FuzzTextFormats shebang
printf '\x03/lib/modules/x.ko.xz' | seed FuzzTextFormats module-argument
printf '\x04KERNEL=="sd*", PROGRAM="/bin/id %%k", IMPORT{program}=="blkid", OWNER="root", GROUP="disk"' | seed FuzzTextFormats udev
printf '\x05ACTION=="add", RUN+="/sbin/initqueue --onetime x", RUN=="/bin/true"' | seed FuzzTextFormats udev-run
# kdump.conf files, as FuzzKdumpConfig's sandbox sees them: makedumpfile, cp, kdump-pre.sh and
# kdump-post.sh are installed there, / is ext4 on /dev/vda1 and /var is xfs on /dev/vdb1.
printf 'path /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n' | seed FuzzKdumpConfig default
printf '# a comment\next4 UUID=0123-4567 # trailing comment\npath /crash\nfailure_action shell\nfinal_action poweroff\n' | seed FuzzKdumpConfig ext4-uuid
printf 'raw /dev/vdc\ncore_collector makedumpfile -F -c -d 31\ndefault halt\n' | seed FuzzKdumpConfig raw
printf 'xfs LABEL=dump\nkdump_pre /usr/sbin/kdump-pre.sh\nkdump_post /usr/sbin/kdump-post.sh\nkdump_emergency /usr/sbin/kdump-pre.sh\nextra_bins cp /usr/bin/cp\nextra_modules xfs virtio_blk\n' | seed FuzzKdumpConfig hooks
printf 'path /var/crash\nfailure_action dump_to_rootfs\ndracut_args --add-drivers "nvme ahci" --mount "/dev/vdd /kdumproot vfat defaults" --quiet\nauto_reset_crashkernel yes\n' | seed FuzzKdumpConfig dracut-args
# shellcheck disable=SC2016 # the seeds hold shell syntax that nothing may ever expand
printf 'nfs server:/export\nssh user@host\nnet eth0\nbtrfs /dev/vda2\nvfat PARTUUID=1234\next4 /dev/vda1\npath\nunknown value\ncore_collector makedumpfile $(touch canary); `touch canary`\n' | seed FuzzKdumpConfig refused
# shellcheck disable=SC2016 # as above
printf 'path /var/crash/$(touch canary)/`touch canary`/${x:=y}\next4 LABEL=a;touch canary\nextra_modules $(touch canary)\n' | seed FuzzKdumpConfig no-evaluation
printf 'path /var/crash\r\nfinal_action reboot\t\n\tcore_collector\tcp\x20\x20--sparse=always\n\x00ext4 /dev/\xff\xfe\n' | seed FuzzKdumpConfig odd-bytes

echo "seeds in $out: $(find "$out" -type f | wc -l) files"
