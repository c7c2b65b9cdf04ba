#!/bin/bash
# Writes a seed corpus for every harness under OUT/<Harness>/, made with this machine's own
# tools (cpio, gzip, xz, gcc) and files (ELF binaries, ld.so.cache, kernel modules), so that no
# binary seed is kept in the repository. Harnesses whose input starts with a few control bytes
# (chunk sizes, selectors) get them prepended here; see each harness's FuzzInput calls.
#   Fuzz/seeds.sh OUT
set -euo pipefail
out=${1:?usage: seeds.sh OUT}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$work/newc.cpio"
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H crc --quiet) > "$work/crc.cpio"
(cd "$tree" && find etc | LC_ALL=C sort | cpio -o -H newc --quiet) > "$work/small.cpio"
# Hostile: members climbing out through '..', an absolute path, and a symlinked directory.
mkdir -p "$work/evil/a"
printf 'x' > "$work/evil/a/file"
ln -s /tmp "$work/evil/link"
(cd "$work/evil" && printf '%s\n' a a/file link | cpio -o -H newc --quiet) > "$work/evil-base.cpio"
(cd "$work/evil" && printf '%s\n' a/../../escape link/escape /abs | cpio -o -H newc --quiet 2>/dev/null) > "$work/evil-paths.cpio" || true
gzip -9n < "$work/newc.cpio" > "$work/newc.cpio.gz"

for name in newc crc small evil-base evil-paths; do
    { printf '\x00\x10\x01'; cat "$work/$name.cpio"; } | seed FuzzCpioReader "$name"
    { printf '\x00\x07\x00'; cat "$work/$name.cpio"; } | seed FuzzCpioReader "$name-chunks-of-8"
    seed FuzzArchiveExtractor "$name" < "$work/$name.cpio"
done
cat "$work/evil-base.cpio" "$work/evil-paths.cpio" | seed FuzzArchiveExtractor evil-combined

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

# ELF binaries and libraries of this machine, 64-bit and (when present) 32-bit.
for file in /usr/bin/true /usr/lib/x86_64-linux-gnu/libz.so.1 /lib64/ld-linux-x86-64.so.2 /usr/lib32/libc.so.6; do
    [[ -f $file ]] && seed FuzzELFParser "$(basename "$file")" < "$file"
done
printf '#!/bin/sh -e\n' | seed FuzzELFParser script

# Kernel modules: a fake one built here, and the smallest real ones the test kernel cache has.
cat > "$work/module.c" <<'C'
extern int printk(const char *, ...);
extern void kfree(const void *);
static const char firmware[] __attribute__((section(".modinfo"), used)) = "firmware=vendor/device.bin";
static const char license[] __attribute__((section(".modinfo"), used)) = "license=GPL";
struct version { unsigned long crc; char name[56]; };
static const struct version versions[] __attribute__((section("__versions"), used)) = {
    { 0x1234, "module_layout" }, { 0x5678, "printk" } };
int init_module(void) { kfree(0); return printk("fuzz seed\n"); }
C
if have gcc && gcc -c -O1 -o "$work/module.ko" "$work/module.c" 2>/dev/null; then
    seed FuzzModuleELF fake < "$work/module.ko"
    gcc -m32 -c -O1 -o "$work/module32.ko" "$work/module.c" 2>/dev/null && seed FuzzModuleELF fake-32 < "$work/module32.ko"
fi
modules=$(find "${KINDLING_TEST_CACHE:-/var/cache/kindling-test}" /lib/modules -name '*.ko' -size -24k 2>/dev/null | head -n 3 || true)
for module in $modules; do seed FuzzModuleELF "$(basename "$module")" < "$module"; done

[[ -f /etc/ld.so.cache ]] && seed FuzzLoaderCache host < /etc/ld.so.cache

# The shim protocol (after the harness's cut count and cuts).
printf '\x02\x05\x00\x11\x00REQ\x004\x00inst\x00\x00/bin/sh\x00/bin/bash\x00LOG\x002\x003\x00a line\x00DONE\x002\x000\x00output\x00' | seed FuzzShellMessages session
printf '\x00REQ\x002\x00inst_multiple\x001\x00' | seed FuzzShellMessages hostonly

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
echo "seeds in $out: $(find "$out" -type f | wc -l) files"
