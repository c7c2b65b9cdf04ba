#!/bin/bash
# Installation and packaging: make install into a DESTDIR with a non-default layout, the dracut
# alias, make uninstall, the Debian package installed into and removed from a scratch dpkg root,
# the kernel hooks against a scratch root, and --regenerate-all over a scratch sysroot.
# The install and package checks use the release build (make builds it); the hook and
# regeneration checks use $KINDLING (the debug build by default).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
name=packaging

work=$(mktemp -d /tmp/kindling-packaging.XXXXXX)
[[ -n ${KINDLING_KEEP_WORK-} ]] || trap 'rm -rf "$work"' EXIT

# Builds read no host configuration (/etc/dracut.conf.d changes as packages come and go).
mkdir -p "$work/empty.d"
: >"$work/empty.conf"
isolated=(--conf "$work/empty.conf" --confdir "$work/empty.d")

[[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"
read -r real_kver real_root < <("$here/../support/kernel-cache") || give_up "the test kernel is unavailable"
[[ -d ${real_root-}/lib/modules/${real_kver-} ]] || give_up "the test kernel is unavailable"

# A fake kernel KVER under ROOT: two real modules, indexed by depmod, and a /boot/vmlinuz-KVER.
make_fake_kernel() {
    local root=$1 kver=$2 dir=$1/lib/modules/$2
    mkdir -p "$dir/kernel" "$root/boot"
    cp "$real_root/lib/modules/$real_kver"/kernel/drivers/block/loop.ko* \
        "$real_root/lib/modules/$real_kver"/kernel/fs/isofs/isofs.ko* "$dir/kernel/"
    cp "$real_root/lib/modules/$real_kver"/modules.{builtin,builtin.modinfo,order} "$dir/"
    depmod -b "$root" "$kver" 2>/dev/null
    : >"$root/boot/vmlinuz-$kver"
}

# Lists an image's paths with the checkout's lsinitrd.
image_paths() { "$KINDLING_LSINITRD" "$1" 2>/dev/null | awk '{ print $NF }'; }

# Whether IMAGE holds kernel KVER's loop module (under lib or the merged usr/lib).
has_kernel_index() { image_paths "$1" | grep -Eqx "(usr/)?lib/modules/$2/kernel/loop.ko"; }

# --- make install: BINDIR and LIBDIR that are not siblings, run after moving the tree ---------
layout=(PREFIX=/usr BINDIR=/usr/sbin LIBDIR=/usr/lib64 MANDIR=/usr/share/man SYSCONFDIR=/etc)
mkdir -p "$work/docs/man" "$work/docs/completion"
for page in kindling.8 kindling.conf.5 kindling.modules.7 kindling-lsinitrd.1; do
    printf '.TH placeholder\n' >"$work/docs/man/$page"
done
printf '# placeholder\n' | tee "$work/docs/completion/kindling" >"$work/docs/completion/kindling-lsinitrd"
placeholders=(MANSRC="$work/docs/man" COMPLETIONSRC="$work/docs/completion")
if make -s -C "$repo" install DESTDIR="$work/dest" "${layout[@]}" "${placeholders[@]}" >"$work/install.log" 2>&1; then
    pass "make install into a DESTDIR with BINDIR=/usr/sbin LIBDIR=/usr/lib64"
else
    fail "make install: $(tail -n 3 "$work/install.log")"
fi
missing=()
# The shim is the bridge, kindling-shim.bash, and the files beside it that it sources.
shim_files=()
for file in "$repo"/shim/*.bash; do shim_files+=("usr/lib64/kindling/${file##*/}"); done
for path in usr/sbin/kindling usr/sbin/kindling-lsinitrd usr/lib64/kindling/kindling usr/lib64/kindling/kindling-dmload "${shim_files[@]}" \
    usr/lib64/kindling/modules.d/99base/module-setup.sh usr/share/man/man8/kindling.8 usr/share/man/man5/kindling.conf.5 \
    usr/share/man/man7/kindling.modules.7 usr/share/man/man1/kindling-lsinitrd.1 \
    usr/share/bash-completion/completions/kindling usr/share/bash-completion/completions/kindling-lsinitrd; do
    [[ -e $work/dest/$path ]] || missing+=("$path")
done
[[ -d $work/dest/etc/dracut.conf.d ]] || missing+=(etc/dracut.conf.d)
if ((${#missing[@]} == 0)); then
    pass "the layout holds binaries, data, config directory, man pages, completions"
else
    fail "missing after make install: ${missing[*]}"
fi

# No Swift runtime from /opt/swift: only system libraries.
for binary in usr/lib64/kindling/kindling usr/sbin/kindling-lsinitrd usr/lib64/kindling/kindling-dmload; do
    libraries=$(ldd "$work/dest/$binary" 2>&1)
    if grep -q -e swift -e 'not found' <<<"$libraries" || ! grep -q 'libc.so.6 => /lib' <<<"$libraries"; then
        fail "$binary links libraries outside the system: $libraries"
    else
        pass "$binary needs only system libraries ($(grep -c '=>' <<<"$libraries") of them)"
    fi
done
# The kdump image's device-mapper loader needs the C library alone.
needed=$(readelf -d "$work/dest/usr/lib64/kindling/kindling-dmload" 2>&1 | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd ' ')
if [[ $needed == libc.so.6 ]]; then
    pass "the installed kindling-dmload needs libc.so.6 alone"
else
    fail "the installed kindling-dmload needs: $needed"
fi

# Moved elsewhere, the installed binary still finds its data, and only there.
mv "$work/dest" "$work/moved"
installed=$work/moved/usr/sbin/kindling
modules=$("$installed" "${isolated[@]}" --list-modules -v 2>&1 | awk '{ print $2 }' | sort -u | xargs -n 1 dirname | sort -u)
if [[ $modules == "$work/moved/usr/lib64/kindling/modules.d" ]]; then
    pass "the moved install lists its own modules.d"
else
    fail "the moved install's modules come from: $modules"
fi
if "$installed" "${isolated[@]}" --no-kernel -m base "$work/moved.img" >"$work/moved.log" 2>&1 && image_paths "$work/moved.img" | grep -qx init; then
    pass "the moved install builds an image"
else
    fail "the moved install did not build: $(tail -n 3 "$work/moved.log")"
fi
# A build of the moved install that must be refused: WHAT is missing, the log names PATTERN.
refused_build() {
    local name=$1 what=$2 pattern=$3
    if "$installed" "${isolated[@]}" --no-kernel -m base "$work/$name.img" >"$work/$name.log" 2>&1; then
        fail "an install without $what still built"
    elif grep -q "$pattern" "$work/$name.log"; then
        pass "an install without $what fails, naming it"
    else
        fail "an install without $what failed otherwise: $(tail -n 2 "$work/$name.log")"
    fi
}
mv "$work/moved/usr/lib64/kindling/kindling-logger.bash" "$work/logger.bash"
refused_build partial "one of the shim's files (kindling-logger.bash)" 'kindling-logger.bash: No such file'
# The shell dies while the engine writes to it: the write fails and the build says why; it is never
# killed by SIGPIPE (status 141) with nothing said. A race, so it is run several times.
statuses=()
for _ in 1 2 3 4 5 6 7 8 9 10; do
    "$installed" "${isolated[@]}" --no-kernel -m base "$work/partial.img" >"$work/partial.log" 2>&1
    statuses+=("$?")
done
if [[ " ${statuses[*]} " != *" 141 "* && " ${statuses[*]} " != *" 0 "* ]]; then
    pass "a shell that dies at once fails the build with a status, never SIGPIPE (statuses: ${statuses[*]})"
else
    fail "a shell that dies at once: statuses ${statuses[*]} (141: killed by SIGPIPE)"
fi
mv "$work/logger.bash" "$work/moved/usr/lib64/kindling/kindling-logger.bash"
# Without its shim it must not fall back to the checkout's.
rm "$work/moved/usr/lib64/kindling/kindling-shim.bash"
refused_build broken "its shim" 'cannot find the shim'

# --- the dracut alias, then make uninstall -----------------------------------------------------
alias_layout=(PREFIX=/usr SYSCONFDIR=/etc)
if make -s -C "$repo" install-dracut-alias DESTDIR="$work/alias" "${alias_layout[@]}" "${placeholders[@]}" \
    >"$work/alias.log" 2>&1; then
    pass "make install-dracut-alias"
else
    fail "make install-dracut-alias: $(tail -n 3 "$work/alias.log")"
fi
dracut_alias=$work/alias/usr/bin/dracut
version=$("$dracut_alias" --version 2>&1)
if [[ $version == kindling\ * ]]; then
    pass "dracut --version through the alias: $version"
else
    fail "dracut --version: $version"
fi
# Kindling reads /etc/dracut.conf.d; the alias's copy lies under DESTDIR, so it is named here.
confdir=$work/alias/etc/dracut.conf.d
listing=$("$dracut_alias" --conf "$work/empty.conf" --confdir "$confdir" --list-modules -v 2>&1)
if grep -qx $'bash\t/usr/lib/dracut/modules.d/00bash' <<<"$listing" &&
    grep -qx $'base\t/usr/lib/dracut/modules.d/99base' <<<"$listing"; then
    pass "the alias config puts dracut's stock modules first (base is dracut's 99base)"
else
    fail "the alias's module path: $(grep -E '^(bash|base)\b' <<<"$listing" | tr '\n' ' ')"
fi
if "$dracut_alias" --conf "$work/empty.conf" --confdir "$confdir" --no-kernel -m "base bash" "$work/alias.img" >"$work/alias-build.log" 2>&1 &&
    "$work/alias/usr/bin/lsinitrd" "$work/alias.img" 2>&1 | grep -q 'usr/lib/dracut/hooks'; then
    pass "dracut --no-kernel -m 'base bash' through the alias builds with dracut's modules; lsinitrd reads it"
else
    fail "the alias build: $(tail -n 3 "$work/alias-build.log")"
fi
if "$dracut_alias" "${isolated[@]}" --no-kernel -m "base bash" "$work/noalias.img" >/dev/null 2>&1; then
    fail "without the alias config the stock 'bash' module was found anyway: the check above proves nothing"
else
    pass "without the alias config, dracut's modules are not on the path"
fi
# dracut-functions.sh for scripts written for dracut (mkdumprd): in an empty DESTDIR, a link to
# Kindling's, which a plain bash -u can source.
# Whether FILE, sourced by a clean bash -u, gives Kindling's helpers.
sources_helpers() {
    # shellcheck disable=SC2016 # the inner bash expands these
    env -i PATH=/usr/bin:/bin bash --noprofile --norc -u -c \
        '. "$1" && strstr "$(get_maj_min /dev/null)" 1:3 && [[ $(get_persistent_dev /no/such) == /no/such ]]' _ "$1" 2>&1
}
functions_link=$work/alias/usr/lib/dracut/dracut-functions.sh
if [[ -L $functions_link && $(readlink "$functions_link") == ../kindling/dracut-functions.sh ]] &&
    output=$(sources_helpers "$functions_link"); then
    pass "install-dracut-alias links /usr/lib/dracut/dracut-functions.sh to Kindling's; bash -u sources it"
else
    fail "dracut-functions.sh after install-dracut-alias: $(ls -l "$functions_link" 2>&1) ${output-}"
fi
if make -s -C "$repo" install-dracut-alias DESTDIR="$work/alias" "${alias_layout[@]}" "${placeholders[@]}" \
    >"$work/alias-again.log" 2>&1 && ! grep -q "not Kindling's" "$work/alias-again.log" && [[ -L $functions_link ]]; then
    pass "install-dracut-alias again keeps Kindling's link, quietly"
else
    fail "install-dracut-alias again: $(tail -n 3 "$work/alias-again.log")"
fi
make -s -C "$repo" uninstall DESTDIR="$work/alias" "${alias_layout[@]}" >"$work/uninstall.log" 2>&1 ||
    fail "make uninstall: $(tail -n 3 "$work/uninstall.log")"
left=$(find "$work/alias" ! -type d)
if [[ -z $left ]]; then
    pass "make uninstall leaves no file or link behind"
else
    fail "left after uninstall: $left"
fi

# A DESTDIR with dracut's own dracut-functions.sh (a file, or a link of its own), and Kindling
# under /usr/local with BINDIR and LIBDIR that are not siblings: the install and the uninstall
# leave dracut's untouched; without it, the link climbs to /usr/local/lib64/kindling.
local_layout=(PREFIX=/usr/local BINDIR=/usr/local/sbin LIBDIR=/usr/local/lib64 SYSCONFDIR=/etc)
# A file's type, mode, size, link target and contents.
describe() { ls -l --time-style=+ "$1" 2>&1; cat "$1" 2>&1; }
for kind in file link none; do
    dest=$work/alias-$kind
    theirs=$dest/usr/lib/dracut/dracut-functions.sh
    mkdir -p "${theirs%/*}"
    case $kind in
        file) printf '# dracut 059 stands here\nstrstr() { :; }\n' >"$theirs" ;;
        link) ln -s ../../share/dracut-ng/dracut-functions.sh "$theirs" ;;
        none) rmdir "${theirs%/*}" ;;
    esac
    before=$(describe "$theirs")
    make -s -C "$repo" install-dracut-alias DESTDIR="$dest" "${local_layout[@]}" "${placeholders[@]}" \
        >"$dest.log" 2>&1 || fail "install-dracut-alias beside dracut's $kind: $(tail -n 3 "$dest.log")"
    if [[ $kind == none ]]; then
        if [[ $(readlink "$theirs") == ../../local/lib64/kindling/dracut-functions.sh ]] &&
            output=$(sources_helpers "$theirs"); then
            pass "with PREFIX=/usr/local, /usr/lib/dracut/dracut-functions.sh links to /usr/local/lib64/kindling's"
        else
            fail "with PREFIX=/usr/local: $(ls -l "$theirs" 2>&1) ${output-}"
        fi
    elif [[ $(describe "$theirs") == "$before" ]] &&
        grep -q 'dracut-functions.sh is not Kindling.s: left as it is' "$dest.log"; then
        pass "install-dracut-alias leaves dracut's dracut-functions.sh ($kind) as it was, saying so"
    else
        fail "install-dracut-alias over dracut's dracut-functions.sh ($kind): $(ls -l "$theirs"; cat "$dest.log")"
    fi
    make -s -C "$repo" uninstall DESTDIR="$dest" "${local_layout[@]}" >>"$dest.log" 2>&1 ||
        fail "make uninstall beside dracut's $kind: $(tail -n 3 "$dest.log")"
    left=$(cd "$dest" && find . ! -type d | sort | tr '\n' ' ')
    case $kind in
        none) wanted='' ;;
        *) wanted='./usr/lib/dracut/dracut-functions.sh ' ;;
    esac
    if [[ $left == "$wanted" && ( $kind == none || $(describe "$theirs") == "$before" ) ]]; then
        pass "make uninstall removes only Kindling's (dracut's: $kind; left: ${left:-nothing})"
    else
        fail "make uninstall beside dracut's $kind left: $left"
    fi
done

# --- the Debian kernel hooks and the kernel-install plugin, against a scratch root -------------
hooks=$repo/packaging/kernel
root=$work/root
make_fake_kernel "$root" 1.0.0-kindling-hook
make_fake_kernel "$root" 1.0.0-kindling-other
# The hooks run "kindling"; this one reads the scratch root's modules (the last argument is the
# kernel) and adds the loop driver, whose presence shows which kernel the image was built for.
# shellcheck disable=SC2016 # the wrapper expands ${!#} and $@ when it runs
printf '#!/bin/bash\nexec %q %q %q %q %q --kmoddir %q/lib/modules/"${!#}" --add-drivers loop "$@"\n' \
    "$KINDLING" "${isolated[@]}" "$root" >"$work/kindling-wrapper"
chmod +x "$work/kindling-wrapper"
export KINDLING_HOOK=$work/kindling-wrapper
hook() { KINDLING=$KINDLING_HOOK "$@" >>"$work/hooks.log" 2>&1; }

kver=1.0.0-kindling-hook
hook "$hooks/postinst.d/kindling" "$kver" "$root/boot/vmlinuz-$kver"
image=$root/boot/initrd.img-$kver
if has_kernel_index "$image" "$kver"; then
    pass "postinst.d builds /boot/initrd.img-KVER for that kernel"
else
    fail "postinst.d: $(tail -n 3 "$work/hooks.log")"
fi
rm -f "$image"
INITRD=No hook "$hooks/postinst.d/kindling" "$kver" "$root/boot/vmlinuz-$kver"
DEB_MAINT_PARAMS="abort-configure" hook "$hooks/postinst.d/kindling" "$kver" "$root/boot/vmlinuz-$kver"
if [[ ! -e $image ]]; then
    pass "postinst.d builds nothing with INITRD=No or outside 'configure'"
else
    fail "postinst.d built with INITRD=No"
fi
DEB_MAINT_PARAMS="configure 6.1" hook "$hooks/postinst.d/kindling" "$kver" "$root/boot/vmlinuz-$kver"
if [[ -s $image ]]; then
    pass "postinst.d builds on 'configure'"
else
    fail "postinst.d did not build on configure"
fi
hook "$hooks/postinst.d/kindling" 1.0.0-kindling-other "$root/boot/vmlinuz-1.0.0-kindling-other"
: >"$image.bak"
hook "$hooks/postrm.d/kindling" "$kver" "$root/boot/vmlinuz-$kver"
if [[ ! -e $image && ! -e $image.bak && -s $root/boot/initrd.img-1.0.0-kindling-other ]]; then
    pass "postrm.d removes the kernel's image and backup, and no other kernel's"
else
    fail "postrm.d: $(ls "$root/boot")"
fi
if hook "$hooks/postinst.d/kindling"; then
    fail "postinst.d without a kernel version succeeded"
else
    pass "postinst.d without a kernel version fails"
fi

plugin=$hooks/install.d/50-kindling.install
entry=$root/boot/machine/$kver
hook "$plugin" add "$kver" "$entry" "$root/boot/vmlinuz-$kver"
if has_kernel_index "$entry/initrd" "$kver"; then
    pass "50-kindling.install add builds ENTRY_DIR/initrd"
else
    fail "kernel-install add: $(tail -n 3 "$work/hooks.log")"
fi
mkdir -p "$work/staging"
KERNEL_INSTALL_LAYOUT=bls KERNEL_INSTALL_STAGING_AREA=$work/staging hook "$plugin" add "$kver" "$work/entry2" "$root/boot/vmlinuz-$kver"
if [[ -s $work/staging/initrd && ! -e $work/entry2/initrd ]]; then
    pass "50-kindling.install builds into the staging area"
else
    fail "50-kindling.install ignored KERNEL_INSTALL_STAGING_AREA"
fi
KERNEL_INSTALL_LAYOUT=other hook "$plugin" add "$kver" "$work/entry3" "$root/boot/vmlinuz-$kver"
hook "$plugin" add "$kver" "$work/entry4" "$root/boot/vmlinuz-$kver" "$work/user-initrd"
if [[ ! -e $work/entry3/initrd && ! -e $work/entry4/initrd ]]; then
    pass "50-kindling.install builds nothing for layout 'other' or when initrds are given"
else
    fail "50-kindling.install built for layout other or over given initrds"
fi
hook "$plugin" remove "$kver" "$entry"
if [[ ! -e $entry/initrd ]]; then
    pass "50-kindling.install remove deletes ENTRY_DIR/initrd"
else
    fail "remove left $entry/initrd"
fi
# Through systemd's kernel-install, with its loader-entry plugin copying the staged initrd: the
# layout is BLS because BOOT_ROOT has loader/entries and a directory named by the machine ID.
if command -v kernel-install >/dev/null && read -r machine_id </etc/machine-id 2>/dev/null; then
    mkdir -p "$root/efi/loader/entries" "$root/efi/$machine_id"
    kernel_install() {
        KERNEL_INSTALL_PLUGINS="$plugin /usr/lib/kernel/install.d/90-loaderentry.install" BOOT_ROOT=$root/efi \
            hook kernel-install "$@"
    }
    kernel_install add "$kver" "$root/boot/vmlinuz-$kver"
    entry=$root/efi/$machine_id/$kver
    if has_kernel_index "$entry/initrd" "$kver"; then
        pass "kernel-install add with the plugin puts the initrd in the BLS entry"
    else
        fail "kernel-install add: $(tail -n 5 "$work/hooks.log")"
    fi
    kernel_install remove "$kver"
    if [[ ! -e $entry/initrd ]]; then
        pass "kernel-install remove takes the initrd away"
    else
        fail "kernel-install remove left $entry/initrd"
    fi
fi

# layout=uki: the plugin builds a unified kernel image of the kernel and, as systemd 252 has no
# 90-uki-copy.install, installs it as BOOT_ROOT/EFI/Linux/TOKEN-KVER.efi; remove takes it away.
if command -v kernel-install >/dev/null && [[ -s /usr/lib/systemd/boot/efi/linuxx64.efi.stub ]]; then
    mkdir -p "$work/uki-conf" "$root/esp"
    printf 'layout=uki\n' >"$work/uki-conf/install.conf"
    uki_install() {
        KERNEL_INSTALL_CONF_ROOT=$work/uki-conf KERNEL_INSTALL_PLUGINS=$plugin BOOT_ROOT=$root/esp \
            MACHINE_ID=0123456789abcdef0123456789abcdef hook kernel-install "$@"
    }
    uki=$root/esp/EFI/Linux/0123456789abcdef0123456789abcdef-$kver.efi
    # The fake kernel's vmlinuz is empty: the build stops naming it, and nothing is installed.
    if ! uki_install add "$kver" "$root/boot/vmlinuz-$kver" && [[ ! -e $uki ]] &&
        grep -q "cannot find a kernel image '$root/boot/vmlinuz-$kver'" "$work/hooks.log"; then
        pass "kernel-install layout=uki with an empty kernel image fails naming it, and installs nothing"
    else
        fail "kernel-install layout=uki over an empty kernel image: $(tail -n 3 "$work/hooks.log")"
    fi
    uki_install add "$kver" "$real_root/boot/vmlinuz-$real_kver"
    if [[ $(head -c 2 "$uki" 2>/dev/null) == MZ ]] && has_kernel_index "$uki" "$kver" &&
        "$KINDLING_LSINITRD" "$uki" | grep -qx '  .linux *[0-9]*'; then
        pass "kernel-install add with layout=uki installs a UKI of the kernel as a type 2 entry"
    else
        fail "kernel-install layout=uki: $(find "$root/esp" | tr '\n' ' ') $(tail -n 5 "$work/hooks.log")"
    fi
    uki_install remove "$kver"
    if [[ ! -e $uki ]]; then
        pass "kernel-install remove with layout=uki takes the UKI away"
    else
        fail "kernel-install remove left $uki"
    fi
fi

# --- --regenerate-all over a scratch sysroot ---------------------------------------------------
sysroot=$work/sysroot
make_fake_kernel "$sysroot" 1.0.0-kindling-a
make_fake_kernel "$sysroot" 1.0.0-kindling-b
mkdir -p "$sysroot/lib/modules/1.0.0-kindling-noindex" "$sysroot/var/tmp"
regenerate=("${isolated[@]}" --sysroot "$sysroot" --regenerate-all --kernel-only -m kdump-storage --add-drivers loop)
for mode in sequential parallel; do
    rm -f "$sysroot"/boot/initrd.img-*
    extra=()
    [[ $mode == parallel ]] && extra=(--parallel)
    "$KINDLING" "${regenerate[@]}" "${extra[@]}" >"$work/regenerate.log" 2>&1
    status=$?
    built=$(cd "$sysroot/boot" && for file in initrd.img-*; do [[ -e $file ]] && printf '%s ' "$file"; done)
    if ((status == 0)) && [[ $built == "initrd.img-1.0.0-kindling-a initrd.img-1.0.0-kindling-b " ]] &&
            has_kernel_index "$sysroot/boot/initrd.img-1.0.0-kindling-b" 1.0.0-kindling-b; then
        pass "--regenerate-all ($mode) builds each indexed kernel's /boot/initrd.img-KVER"
    else
        fail "--regenerate-all ($mode): status $status, built '$built': $(tail -n 3 "$work/regenerate.log")"
    fi
done
# A kernel whose image exists already fails without --force; the others still build, and the
# failure names it.
rm -f "$sysroot"/boot/initrd.img-*
make_fake_kernel "$sysroot" 1.0.0-kindling-broken
: >"$sysroot/boot/initrd.img-1.0.0-kindling-broken"
"$KINDLING" "${regenerate[@]}" --parallel >"$work/regenerate.log" 2>&1
status=$?
if ((status != 0)) && grep -q 'kernel 1.0.0-kindling-broken failed' "$work/regenerate.log" &&
    [[ -s $sysroot/boot/initrd.img-1.0.0-kindling-a && -s $sysroot/boot/initrd.img-1.0.0-kindling-b ]]; then
    pass "a failing kernel is named and makes the exit non-zero; the others are built"
else
    fail "a failing kernel: status $status: $(grep -v '\*\*\*' "$work/regenerate.log" | tail -n 3)"
fi
for extra in "--kver 1.0.0-kindling-a" "$work/explicit.img"; do
    # shellcheck disable=SC2086 # the option and its value are two words
    message=$("$KINDLING" --sysroot "$sysroot" --regenerate-all $extra 2>&1)
    status=$?
    if ((status != 0)) && [[ $(wc -l <<<"$message") == 1 && $message == *"--regenerate-all cannot be called with a"* ]]; then
        pass "--regenerate-all with $extra is refused: $message"
    else
        fail "--regenerate-all with $extra: status $status: $message"
    fi
done

# --- the Debian package into a scratch dpkg root -----------------------------------------------
if make -s -C "$repo" deb >"$work/deb.log" 2>&1; then
    pass "make deb"
else
    fail "make deb: $(tail -n 3 "$work/deb.log")"
fi
deb=
for candidate in "$repo"/.build/deb/kindling_*.deb; do
    [[ -e $candidate ]] && { deb=$candidate; break; }
done
version=$("$repo/.build/release/kindling" --version | awk '{ print $2 }')
if [[ -n $deb && $(dpkg-deb -f "$deb" Version) == "$version" ]]; then
    pass "the package's version is kindling --version's ($version)"
else
    fail "package ${deb:-missing}: version $( [[ -n $deb ]] && dpkg-deb -f "$deb" Version) vs $version"
fi
depends=$(dpkg-deb -f "$deb" Depends 2>/dev/null)
missing=()
# Each library the binaries name (not those the libraries pull in) must come from a dependency.
for binary in kindling kindling-lsinitrd kindling-dmload; do
    libraries=$(ldd "$repo/.build/release/$binary")
    for soname in $(readelf -d "$repo/.build/release/$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        # "name => /path (address)", or "/path (address)" for the dynamic loader.
        library=$(awk -v name="$soname" '$1 == name && $3 ~ /^\// { print $3 }
            $1 ~ "/" name "$" { print $1 }' <<<"$libraries")
        package=$(dpkg -S "$library" 2>/dev/null || dpkg -S "$(readlink -f "$library")" 2>/dev/null)
        package=${package%%:*}
        [[ -n $package && $depends == *"$package"* ]] || missing+=("$soname (${package:-no package})")
    done
done
# The shim runs in bash, depmod indexes the image's modules, Kindling's base module needs busybox.
for tool in bash kmod busybox; do [[ $depends == *"$tool"* ]] || missing+=("$tool"); done
if ((${#missing[@]} == 0)); then
    pass "Depends covers every linked library and bash, kmod, busybox: $depends"
else
    fail "Depends ($depends) lacks: ${missing[*]}"
fi

dpkg_root=$work/dpkg-root
# dpkg logs to the host's /var/log/dpkg.log even with --root: keep the log with the test.
dpkg_options=(--root="$dpkg_root" --log="$work/dpkg-actions.log" --force-depends)
mkdir -p "$dpkg_root"/var/lib/dpkg/{info,updates,triggers,alternatives} "$dpkg_root/tmp"
: >"$dpkg_root/var/lib/dpkg/status"
: >"$dpkg_root/var/lib/dpkg/available"
# The scratch root has no libc6, bash, kmod ... packages: only their dependencies are forced.
if dpkg "${dpkg_options[@]}" --force-script-chrootless -i "$deb" >"$work/dpkg.log" 2>&1; then
    pass "dpkg --root -i installs the package"
else
    fail "dpkg -i: $(tail -n 3 "$work/dpkg.log")"
fi
packaged=$dpkg_root/usr/bin/kindling
if [[ -x $dpkg_root/usr/lib/kindling/kindling-dmload ]]; then
    pass "the package ships kindling-dmload beside the kindling binary"
else
    fail "the package has no /usr/lib/kindling/kindling-dmload"
fi
if [[ $("$packaged" --version 2>&1) == "kindling $version"* ]]; then
    pass "the packaged kindling --version runs"
else
    fail "the packaged kindling --version: $("$packaged" --version 2>&1)"
fi
if "$packaged" "${isolated[@]}" --no-kernel -m base "$work/packaged.img" >"$work/packaged.log" 2>&1 &&
    "$dpkg_root/usr/bin/kindling-lsinitrd" "$work/packaged.img" | grep -q 'dracut modules:' &&
    [[ $("$packaged" "${isolated[@]}" --list-modules -v | awk '$1 == "base" { print $2 }') == "$dpkg_root/usr/lib/kindling/modules.d/99base" ]]; then
    pass "the packaged kindling builds an image with its installed modules"
else
    fail "the packaged build: $(tail -n 3 "$work/packaged.log")"
fi
# The package ships dracut-functions.sh in its data directory and makes no alias: /usr/bin/dracut
# and /usr/lib/dracut are dracut-core's. The links Documentation/kdump.md gives for a machine
# without dracut work, and are taken away again before dpkg removes the package.
if [[ -f $dpkg_root/usr/lib/kindling/dracut-functions.sh && ! -e $dpkg_root/usr/lib/dracut && ! -e $dpkg_root/usr/bin/dracut ]] &&
    output=$(sources_helpers "$dpkg_root/usr/lib/kindling/dracut-functions.sh"); then
    pass "the package ships /usr/lib/kindling/dracut-functions.sh, and nothing in dracut's places"
else
    fail "the package's dracut-functions.sh: $(cd "$dpkg_root" && ls -d usr/lib/dracut usr/bin/dracut usr/lib/kindling/dracut-functions.sh 2>&1) ${output-}"
fi
ln -s kindling "$dpkg_root/usr/bin/dracut"
mkdir -p "$dpkg_root/usr/lib/dracut"
ln -s ../kindling/dracut-functions.sh "$dpkg_root/usr/lib/dracut/dracut-functions.sh"
if output=$(sources_helpers "$dpkg_root/usr/lib/dracut/dracut-functions.sh") &&
    [[ $("$dpkg_root/usr/bin/dracut" --version 2>&1) == "kindling $version"* ]]; then
    pass "the packaged Kindling as dracut, with the links kdump.md gives"
else
    fail "the links kdump.md gives: ${output-}"
fi
rm -r "$dpkg_root/usr/bin/dracut" "$dpkg_root/usr/lib/dracut"
for hook_file in etc/kernel/postinst.d/kindling etc/kernel/postrm.d/kindling usr/lib/kernel/install.d/50-kindling.install; do
    [[ -x $dpkg_root/$hook_file ]] || fail "the package lacks $hook_file"
done
dpkg "${dpkg_options[@]}" -r kindling >>"$work/dpkg.log" 2>&1 || fail "dpkg -r: $(tail -n 3 "$work/dpkg.log")"
left=$(cd "$dpkg_root" && find . -path ./var/lib/dpkg -prune -o ! -type d -print | sort | tr '\n' ' ')
if [[ $left == "./etc/kernel/postinst.d/kindling ./etc/kernel/postrm.d/kindling " ]]; then
    pass "dpkg -r leaves only the conffiles"
else
    fail "left after dpkg -r: $left"
fi
dpkg "${dpkg_options[@]}" --purge kindling >>"$work/dpkg.log" 2>&1 || fail "dpkg --purge: $(tail -n 3 "$work/dpkg.log")"
left=$(cd "$dpkg_root" && find . -path ./var/lib/dpkg -prune -o ! -type d -print)
status=$(dpkg --root="$dpkg_root" -s kindling 2>&1 | grep '^Status')
if [[ -z $left && -z $status ]]; then
    pass "dpkg --purge leaves nothing of the package"
else
    fail "left after purge: $left $status"
fi

finish
