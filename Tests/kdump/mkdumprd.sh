#!/bin/bash
# Fedora's own mkdumprd (kdump-utils 1.0.61, unmodified) with Kindling as `dracut`, sourced by
# run-all.sh after lib.sh.
#
# kdump-utils is a test input: its source tarball is unpacked and installed (make install
# DESTDIR=...) under the test cache, and Kindling (make install-dracut-alias) into the work
# directory. Each mkdumprd run happens in a private mount namespace where overlays put both in
# place over /usr and /etc, so the host's dracut, /etc and /usr are never changed:
#   /usr/bin/dracut      Kindling's alias, or real dracut 059 for the side-by-side builds
#   /usr/sbin/mkdumprd, /usr/lib/kdump, /usr/lib/dracut/modules.d/99kdumpbase   kdump-utils'
#   /etc/kdump.conf      the case's
#   /etc/dracut.conf.d   the alias's file (with Kindling) and the case's own, nothing of the host's
#   /lib/modules/KVER    the test kernel's modules
# Two things Fedora has and Debian lacks are given in the namespace, not in the image: Fedora's
# kdumpbase installs /sbin/makedumpfile (Debian's is in /usr/bin), and its capture script runs
# grep, which Fedora's dracut base installs and Debian's does not (passed with -I).
#
# The dump target must exist on the build host (mkdumprd mounts it to check the path): it is the
# case's disk image on a loop device. The capture machine sees that disk on another bus, whose
# drivers kdump.conf's extra_modules names. Where no udev runs (a container), the namespace's
# /dev gets the /dev/disk/by-* links udev would make for the loop device, so mkdumprd and dracut
# name the target as on a real host (UUID=..., not /dev/loopN).

KU_VERSION=1.0.61

# ku_setup: kdump-utils under the test cache (KU_ROOT) and Kindling installed with its alias
# (KU_KINDLING_ROOT). Says what is missing and fails when the tarball cannot be found.
ku_setup() {
    [[ -n ${KU_ROOT-} ]] && return 0
    local _thirdparty
    _thirdparty=$("$KD_CHECKOUT/Tests/support/thirdparty-dir")
    local _tarball=$_thirdparty/kdump-utils-$KU_VERSION.tar.gz _cache=${KINDLING_TEST_CACHE:-/var/cache/kindling-test}
    local _root=$_cache/kdump-utils-$KU_VERSION
    if [[ ! -f $_tarball ]]; then
        kd_log "kdump-utils: $_tarball is missing (KINDLING_THIRDPARTY names the directory that holds it)"
        return 1
    fi
    if [[ ! -x $_root/usr/sbin/mkdumprd ]]; then
        rm -rf "$_root" "$_root.partial"
        mkdir -p "$_root.partial/src"
        if ! { tar -xzf "$_tarball" -C "$_root.partial/src" --strip-components=1 &&
            make -s -C "$_root.partial/src" install DESTDIR="$_root.partial/root" >"$_root.partial/install.log" 2>&1; }; then
            kd_log "kdump-utils: make install failed: $(tail -n 3 "$_root.partial/install.log" 2>/dev/null)"
            return 1
        fi
        mv "$_root.partial/root" "$_root"
        rm -rf "$_root.partial"
    fi
    KU_KINDLING_ROOT=$KD_WORK/kindling-root
    if ! make -s -C "$KD_CHECKOUT" install-dracut-alias DESTDIR="$KU_KINDLING_ROOT" PREFIX=/usr BINDIR=/usr/bin \
        LIBDIR=/usr/lib MANDIR=/usr/share/man SYSCONFDIR=/etc >"$KD_WORK/kindling-install.log" 2>&1; then
        kd_log "make install-dracut-alias failed: $(tail -n 3 "$KD_WORK/kindling-install.log")"
        return 1
    fi
    KU_ROOT=$_root
    mkdir -p "$KD_WORK/fedora-sbin"
    ln -sf /usr/bin/makedumpfile "$KD_WORK/fedora-sbin/makedumpfile"
}

# ku_mkdumprd OPTIONS -- IMAGE KDUMP_CONF [mkdumprd arguments...]: runs mkdumprd -f IMAGE KVER in
# the namespace. Options:
#   --dracut kindling|real   which dracut answers (default: kindling)
#   --no-dracut              dracut's own files are hidden: /usr/lib/dracut holds only
#                            kdump-utils' modules and what Kindling's alias install put there
#   --squashfs               mksquashfs stays visible (hidden by default: mkdumprd would add squash)
#   --no-distro-kdumpbase    kdump-utils' 99kdumpbase is left out
#   --conf TEXT              a dracut.conf.d file of the case (e.g. kdump_image=distro)
#   --ssh DIR                an ssh server on 127.0.0.1 in a network namespace of its own, as
#                            ku_ssh_server prepared it in DIR
# Output goes to IMAGE.log.
ku_mkdumprd() {
    local _dracut=kindling _hide_dracut='' _squashfs='' _distro=yes _conf='' _ssh=''
    while [[ $1 != -- ]]; do
        case $1 in
            --dracut) _dracut=$2; shift ;;
            --ssh) _ssh=$2; shift ;;
            --no-dracut) _hide_dracut=yes ;;
            --squashfs) _squashfs=yes ;;
            --no-distro-kdumpbase) _distro='' ;;
            --conf) _conf=$2; shift ;;
        esac
        shift
    done
    shift
    local _image=$1 _kdump_conf=$2 _etc _lib
    shift 2
    _etc=$(mktemp -d "$KD_WORK/etc.XXXXXX")
    cp "$_kdump_conf" "$_etc/kdump.conf"
    mkdir -p "$_etc/dracut.conf.d"
    [[ $_dracut == kindling ]] && cp "$KU_KINDLING_ROOT"/etc/dracut.conf.d/*.conf "$_etc/dracut.conf.d/"
    [[ -n $_conf ]] && printf '%s\n' "$_conf" >"$_etc/dracut.conf.d/90-case.conf"
    # kdump-utils' /usr/lib, without its kdumpbase when the case wants none.
    _lib=$KU_ROOT/usr/lib
    if [[ -z $_distro ]]; then
        _lib=$(mktemp -d "$KD_WORK/lib.XXXXXX")
        cp -a "$KU_ROOT/usr/lib/kdump" "$_lib/"
    fi
    local -a _namespaces=(--mount --propagation private)
    [[ -n $_ssh ]] && _namespaces+=(--net)
    # shellcheck disable=SC2016 # expanded by the namespace's bash, from its arguments
    unshare "${_namespaces[@]}" -- bash -c '
        set -e
        lib=$1 kindling=$2 etc=$3 sbin=$4 dracut=$5 hide_dracut=$6 squashfs=$7 ku=$8 links=$9 kernel_lib=${10}
        ssh=${11}
        shift 11
        if [[ -n $links && ! -d /dev/disk ]]; then
            mount -t overlay kdump-utils -o "lowerdir=$links:/dev" /dev
            mount -t devpts -o newinstance devpts /dev/pts
        fi
        # The test kernel at /lib/modules/KVER, as an installed one: dracut 059 asks modprobe
        # about it there for a module check, whatever --kmoddir says.
        usr_lib=$lib:/usr/lib:$kernel_lib
        if [[ $dracut == kindling ]]; then
            # The host first: Kindling does not replace what real dracut installed.
            usr_lib=$lib:/usr/lib:$kindling/usr/lib:$kernel_lib
            mount -t overlay kdump-utils -o "lowerdir=$kindling/usr/bin:/usr/bin" /usr/bin
        fi
        mount -t overlay kdump-utils -o "lowerdir=$usr_lib" /usr/lib
        mount -t overlay kdump-utils -o "lowerdir=$ku/usr/sbin:$sbin:/usr/sbin" /usr/sbin
        mount -t overlay kdump-utils -o "lowerdir=$etc:${ssh:+$ssh/etc:}$ku/etc:/etc" /etc
        # An overlay shows the host directory under a mount point, not what is mounted there.
        mount -t tmpfs -o mode=0755 kdump-utils /etc/dracut.conf.d
        cp "$etc"/dracut.conf.d/* /etc/dracut.conf.d/ 2>/dev/null || true
        if [[ -n $hide_dracut ]]; then
            mount -t tmpfs -o mode=0755 kdump-utils /usr/lib/dracut
            mkdir -p /usr/lib/dracut/modules.d
            [[ ! -d $lib/dracut/modules.d ]] || cp -a "$lib"/dracut/modules.d/. /usr/lib/dracut/modules.d/
            [[ ! -e $kindling/usr/lib/dracut/dracut-functions.sh ]] ||
                cp -a "$kindling"/usr/lib/dracut/dracut-functions.sh /usr/lib/dracut/
            echo "namespace: dracut-functions.sh is $(readlink -f /usr/lib/dracut/dracut-functions.sh)," \
                "dracut is $(readlink -f /usr/bin/dracut), $(find /usr/lib/dracut -type f | wc -l) files under /usr/lib/dracut"
        fi
        if [[ -z $squashfs ]]; then
            for tool in mksquashfs mkfs.erofs; do
                path=$(command -v "$tool") && mount --bind /dev/null "$path"
            done
        fi
        [[ -n $ssh ]] || exec mkdumprd "$@"
        # Only this namespace sees the server: its own loopback, its own /run.
        ip link set lo up
        mount -t tmpfs -o mode=0755 kdump-utils /run
        mkdir -p /run/sshd /run/lock
        "$ssh/sshd" -f "$ssh/sshd_config" -E "$ssh/sshd.log"
        status=0
        mkdumprd "$@" || status=$?
        kill "$(cat "$ssh/sshd.pid")"
        exit "$status"
    ' ku-mkdumprd "$_lib" "$KU_KINDLING_ROOT" "$_etc" "$KD_WORK/fedora-sbin" "$_dracut" "$_hide_dracut" "$_squashfs" \
        "$KU_ROOT" "${KU_DEV_LINKS-}" "$KD_KROOT/lib" "$_ssh" -f "$_image" "$KVER" --kmoddir "$KD_KMODDIR" "$@" \
        >"$_image.log" 2>&1
}

# ku_ssh_server DIR: what ku_mkdumprd --ssh DIR needs: Debian's sshd (its package unpacked under
# the test cache, never installed), a host key and a client key made now, sshd_config (127.0.0.1:22,
# the client key authorised for root), and an /etc layer with the host key in ssh_known_hosts
# (mkdumprd connects with StrictHostKeyChecking=yes) and the privilege separation user sshd.
ku_ssh_server() {
    local _dir=$1 _cache=${KINDLING_TEST_CACHE:-/var/cache/kindling-test} _package _root
    _package=$(apt-cache policy openssh-server | sed -n 's/^ *Candidate: //p')
    [[ -n $_package && $_package != "(none)" ]] || { kd_log "apt-cache knows no openssh-server (apt-get update)"; return 1; }
    _root=$_cache/openssh-server-${_package//[:~]/_}
    if [[ ! -x $_root/usr/sbin/sshd ]]; then
        rm -rf "$_root" "$_root.download"
        mkdir -p "$_root.download"
        if ! { (cd "$_root.download" && apt-get download -qq -o APT::Sandbox::User=root openssh-server >/dev/null 2>&1) &&
            dpkg -x "$_root.download"/openssh-server_*.deb "$_root"; }; then
            kd_log "cannot fetch openssh-server"
            return 1
        fi
        rm -rf "$_root.download"
    fi
    mkdir -p "$_dir/etc/ssh"
    ln -sfn "$_root/usr/sbin/sshd" "$_dir/sshd"
    ssh-keygen -q -t ed25519 -N '' -f "$_dir/host_key" || return 1
    ssh-keygen -q -t ed25519 -N '' -C kdump -f "$_dir/kdump_id" || return 1
    cp "$_dir/kdump_id.pub" "$_dir/authorized_keys"
    printf '127.0.0.1 %s\n' "$(cat "$_dir/host_key.pub")" >"$_dir/etc/ssh/ssh_known_hosts"
    cp /etc/passwd "$_dir/etc/passwd"
    grep -q '^sshd:' "$_dir/etc/passwd" || echo 'sshd:x:998:65534::/run/sshd:/usr/sbin/nologin' >>"$_dir/etc/passwd"
    printf '%s\n' "ListenAddress 127.0.0.1:22" "HostKey $_dir/host_key" "AuthorizedKeysFile $_dir/authorized_keys" \
        "PermitRootLogin prohibit-password" "StrictModes no" "UsePAM no" "PidFile $_dir/sshd.pid" >"$_dir/sshd_config"
}

# ku_loop_disk IMAGE: attaches IMAGE (a whole-disk filesystem) and prints the loop device.
ku_loop_disk() {
    losetup --find --show "$1"
}

# ku_disk_links LOOP DIR: DIR/disk/by-{uuid,label}/ links to LOOP, as udev's
# persistent-storage rules make them.
ku_disk_links() {
    local _key _value
    rm -rf "$2"
    mkdir -p "$2/disk/by-uuid" "$2/disk/by-label"
    while IFS='=' read -r _key _value; do
        case $_key in
            UUID) ln -sfn "../../${1#/dev/}" "$2/disk/by-uuid/$_value" ;;
            LABEL) ln -sfn "../../${1#/dev/}" "$2/disk/by-label/$_value" ;;
        esac
    done < <(blkid -o export "$1")
}

# ku_build NAME KDUMP_CONF DISK [ku_mkdumprd options --] [mkdumprd arguments...]: mkdumprd with
# DISK attached, so the target resolves as on a real host; the image is $KD_WORK/NAME.img. An
# empty DISK: the case attached its own.
ku_build() {
    local _name=$1 _conf=$2 _disk=$3 _loop='' _status=0
    shift 3
    local -a _options=()
    if [[ " $* " == *" -- "* ]]; then
        while [[ $1 != -- ]]; do _options+=("$1"); shift; done
        shift
    fi
    if [[ -n $_disk ]]; then
        _loop=$(ku_loop_disk "$_disk") || { kd_log "losetup $_disk failed"; return 1; }
        ku_disk_links "$_loop" "$KD_WORK/$_name.dev"
    fi
    KU_DEV_LINKS=${_loop:+$KD_WORK/$_name.dev} ku_mkdumprd "${_options[@]}" -- "$KD_WORK/$_name.img" "$_conf" "$@" ||
        _status=$?
    [[ -z $_loop ]] || losetup -d "$_loop"
    if ((_status != 0)); then
        kd_log "mkdumprd failed ($_status):"
        sed 's/^/    | /' "$KD_WORK/$_name.img.log" >&2
    fi
    return $_status
}

# ku_expect_log NAME PATTERN: the build's output has a line matching PATTERN (grep -E).
ku_expect_log() {
    if ! grep -qE -- "$2" "$KD_WORK/$1.img.log"; then
        kd_log "the build's output lacks /$2/:"
        sed 's/^/    | /' "$KD_WORK/$1.img.log" >&2
        return 1
    fi
    kd_log "$(grep -m1 -E -- "$2" "$KD_WORK/$1.img.log")"
}

# ku_ext4_disk NAME UUID: an ext4 disk whose /var/crash exists (mkdumprd checks the path).
ku_ext4_disk() {
    local _tree=$KD_WORK/$1.tree
    mkdir -p "$_tree/var/crash"
    rm -f "$KD_WORK/$1.disk"
    truncate -s 1G "$KD_WORK/$1.disk"
    mkfs.ext4 -q -F -U "$2" -L kdumptest -d "$_tree" "$KD_WORK/$1.disk"
}

# ku_ext4_target NAME: a fresh UUID (KU_UUID), NAME's ext4 disk with it, and its kdump.conf.
ku_ext4_target() {
    KU_UUID=$(kd_new_uuid)
    ku_ext4_disk "$1" "$KU_UUID"
    ku_ext4_conf "$1" "$KU_UUID"
}

# ku_ext4_conf NAME UUID [directive lines...]: kdump.conf for that disk on virtio.
ku_ext4_conf() {
    local _name=$1 _uuid=$2
    shift 2
    printf '%s\n' "ext4 UUID=$_uuid" "path /var/crash" "core_collector makedumpfile -l --message-level 7 -d 31" \
        "extra_modules virtio_blk virtio_pci" "$@" >"$KD_WORK/$_name.conf"
}

# ku_capture_ext4 NAME CRASHKERNEL: the case's image captures a real panic onto its virtio disk.
ku_capture_ext4() {
    KD_CRASHKERNEL=$2 run_capture "$1" "$KD_WORK/$1.img" kd_fetch_ext4 "$KD_WORK/$1.disk" \
        -drive "file=$KD_WORK/$1.disk,if=virtio,format=raw"
}

# ku_listing IMAGE: the image's paths, sorted (lsinitrd's listing, names only).
ku_listing() {
    "$KINDLING_LSINITRD" "$1" | awk 'length($1) == 10 && $1 ~ /^[-dlcbps][-rwxsStT]+$/ { print $9 }' | sort
}

# --- cases ---------------------------------------------------------------------------------------

# The default: kdump_image unset, Fedora's kdumpbase first on the module path (the alias puts
# dracut's stock modules, where kdump-utils installs it, before Kindling's). The minimal image
# is built, says so, and captures at crashkernel=96M.
case_mkdumprd-minimal() {
    local _name=mkdumprd-minimal
    ku_setup || return 1
    ku_ext4_target "$_name"
    # -v: mkdumprd passes --quiet; the line saying which image was built is an info line.
    ku_build "$_name" "$KD_WORK/$_name.conf" "$KD_WORK/$_name.disk" -v || return 1
    ku_expect_log "$_name" "kdump: minimal image \(ext4 UUID=$KU_UUID\)" || return 1
    "$KINDLING_LSINITRD" -f usr/lib/dracut/build-parameter.txt "$KD_WORK/$_name.img" | grep -q -- "--kdump-image 'minimal'" ||
        { kd_log "build-parameter.txt does not record the minimal image"; return 1; }
    "$KINDLING_LSINITRD" -f usr/lib/dracut/modules.txt "$KD_WORK/$_name.img" | paste -sd ' ' | grep -qx "busybox kdump-storage base kdumpbase" ||
        { kd_log "modules.txt: $("$KINDLING_LSINITRD" -f usr/lib/dracut/modules.txt "$KD_WORK/$_name.img" | paste -sd ' ')"; return 1; }
    ku_capture_ext4 "$_name" 96M
}

# kdump_image=distro: Fedora's kdumpbase, as dracut takes it. The image holds the same files as
# real dracut 059's from the same mkdumprd call, and captures at crashkernel=256M.
case_mkdumprd-distro() {
    local _name=mkdumprd-distro
    ku_setup || return 1
    ku_ext4_target "$_name"
    ku_build "$_name" "$KD_WORK/$_name.conf" "$KD_WORK/$_name.disk" --conf kdump_image=distro -- -v -I /usr/bin/grep || return 1
    ku_expect_log "$_name" "kdump: distribution image \(kdump_image=distro\)" || return 1
    ku_build "$_name.dracut" "$KD_WORK/$_name.conf" "$KD_WORK/$_name.disk" --dracut real -- -I /usr/bin/grep || return 1
    ku_same_files "$_name" || return 1
    ku_capture_ext4 "$_name" 256M
}

# An nfs target (dracut_args --mount, which mkdumprd does not mount at build time): the minimal
# image serves it (NFS 4, the nfs modules, the network scripts, no storage driver). 127.0.0.1 is
# no interface's: the build says so, and the image takes DHCP and common NICs. The same export
# by an IPv6 address is not served: the build falls back to Fedora's kdumpbase and says why.
case_mkdumprd-nfs() {
    local _name=mkdumprd-nfs _list
    ku_setup || return 1
    ku_ext4_disk "$_name" "$(kd_new_uuid)"
    printf '%s\n' "path /var/crash" "core_collector makedumpfile -l --message-level 7 -d 31" \
        "dracut_args --mount \"127.0.0.1:/export /var/crash nfs defaults\"" >"$KD_WORK/$_name.conf"
    ku_build "$_name" "$KD_WORK/$_name.conf" "$KD_WORK/$_name.disk" -v || return 1
    ku_expect_log "$_name" "kdump: minimal image \(nfs 127.0.0.1:/export\)" || return 1
    ku_expect_log "$_name" "no network interface on this host reaches 127.0.0.1" || return 1
    "$KINDLING_LSINITRD" -f etc/kdump.conf "$KD_WORK/$_name.img" | grep -qx "nfs_version 4" ||
        { kd_log "the image's kdump.conf does not say NFS 4"; return 1; }
    _list=$(ku_listing "$KD_WORK/$_name.img")
    for _file in usr/lib/kindling-kdump/kdump-net.sh usr/lib/kindling-kdump/udhcpc.sh nfsv4.ko.xz virtio_net.ko.xz; do
        grep -q -- "$_file$" <<<"$_list" || { kd_log "the image lacks $_file"; return 1; }
    done
    ! grep -qE "virtio_blk|/ahci|/nvme\.|usb-storage|ext4\.ko" <<<"$_list" || { kd_log "the nfs image has storage drivers"; return 1; }
    printf '%s\n' "path /var/crash" "dracut_args --mount \"[fd00::1]:/export /var/crash nfs defaults\"" >"$KD_WORK/$_name.v6.conf"
    ku_build "$_name.v6" "$KD_WORK/$_name.v6.conf" "$KD_WORK/$_name.disk" || return 1
    ku_expect_log "$_name.v6" "kdump: distribution image: .*dracut_args --mount: NFS from an IPv6 address is not supported by the minimal image" ||
        return 1
    "$KINDLING_LSINITRD" -f usr/lib/dracut/modules.txt "$KD_WORK/$_name.v6.img" | grep -qx nfs ||
        { kd_log "the distribution image lacks dracut's nfs module"; return 1; }
}

# A USB stick by LABEL, the minimal image by default: ext4 (Fedora's mkdumprd takes no vfat
# target), which the capture machine has on qemu-xhci, whose drivers kdump.conf names.
case_mkdumprd-usb() {
    local _name=mkdumprd-usb
    ku_setup || return 1
    ku_ext4_disk "$_name" "$(kd_new_uuid)"
    e2label "$KD_WORK/$_name.disk" KDUMPSTICK
    printf '%s\n' "ext4 LABEL=KDUMPSTICK" "path /var/crash" "core_collector makedumpfile -l --message-level 7 -d 31" \
        "extra_modules xhci_pci usb_storage sd_mod" >"$KD_WORK/$_name.conf"
    ku_build "$_name" "$KD_WORK/$_name.conf" "$KD_WORK/$_name.disk" -v || return 1
    ku_expect_log "$_name" "kdump: minimal image \(ext4 LABEL=KDUMPSTICK\)" || return 1
    # 96M, the issue's goal (before ext4 loaded first and absent buses' drivers stayed out, this
    # image needed 112M to be safe: once, in a full run, modprobe was killed for memory).
    KD_CRASHKERNEL=${KD_CRASHKERNEL:-96M} run_capture "$_name" "$KD_WORK/$_name.img" kd_fetch_ext4 "$KD_WORK/$_name.disk" \
        -device qemu-xhci,id=xhci -drive "if=none,id=stick,format=raw,file=$KD_WORK/$_name.disk" \
        -device usb-storage,bus=xhci.0,drive=stick
}

# ku_same_files NAME: Kindling's NAME.img holds the same paths as real dracut's NAME.dracut.img.
ku_same_files() {
    local _difference
    _difference=$(diff <(ku_listing "$KD_WORK/$1.img") <(ku_listing "$KD_WORK/$1.dracut.img"))
    if [[ -n $_difference ]]; then
        kd_log "$1: the file lists differ (< Kindling, > dracut):"
        printf '%s\n' "$_difference" | head -n 40 | sed 's/^/    | /' >&2
        return 1
    fi
    kd_log "$1: the same $(ku_listing "$KD_WORK/$1.img" | wc -l) paths as dracut's image"
}

# ku_same_squashed_files NAME: the squash-root.img of Kindling's NAME.img holds the same paths as
# that of real dracut's NAME.dracut.img.
ku_same_squashed_files() {
    local _image _difference
    for _image in "$1" "$1.dracut"; do
        if ! "$KINDLING_LSINITRD" -f squash-root.img "$KD_WORK/$_image.img" >"$KD_WORK/$_image.squash"; then
            kd_log "cannot read $_image.img's squash-root.img"
            return 1
        fi
        unsquashfs -lc -d '' "$KD_WORK/$_image.squash" | sort >"$KD_WORK/$_image.squash.list"
    done
    _difference=$(diff "$KD_WORK/$1.squash.list" "$KD_WORK/$1.dracut.squash.list")
    if [[ -n $_difference || ! -s $KD_WORK/$1.squash.list ]]; then
        kd_log "$1: squash-root.img differs (< Kindling, > dracut):"
        printf '%s\n' "$_difference" | head -n 40 | sed 's/^/    | /' >&2
        return 1
    fi
    kd_log "$1: squash-root.img holds the same $(wc -l <"$KD_WORK/$1.squash.list") paths as dracut's"
}

# The other ways mkdumprd reaches dracut, each built by Kindling (kdump_image=distro) and by
# real dracut 059 from the same mkdumprd call, with the same files as the result:
#   no kdump dracut.conf.d (--add kdumpbase --omit "..."); dracut_args from kdump.conf and extra
#   arguments after mkdumprd's own; a raw target (--device).
case_mkdumprd-vs-dracut() {
    local _name=mkdumprd-paths _uuid _variant _status=0 _raw _disk
    ku_setup || return 1
    _uuid=$(kd_new_uuid)
    ku_ext4_disk "$_name" "$_uuid"
    ku_ext4_conf "$_name.noconfdir" "$_uuid"
    ku_ext4_conf "$_name.args" "$_uuid" "dracut_args --add-drivers 'loop nls_utf8' --omit 'terminfo'"
    kd_disk_raw "$KD_WORK/$_name.raw"
    _raw=$(ku_loop_disk "$KD_WORK/$_name.raw") || return 1
    printf '%s\n' "raw $_raw" "core_collector makedumpfile -F -l --message-level 7 -d 31" >"$KD_WORK/$_name.raw.conf"
    for _variant in noconfdir args raw; do
        local -a _extra=(-I /usr/bin/grep)
        [[ $_variant == args ]] && _extra+=(--add-drivers vfat --install /usr/bin/stat)
        local _confdir=/lib/kdump/dracut.conf.d
        [[ $_variant == noconfdir ]] && _confdir=/nonexistent
        _disk=$KD_WORK/$_name.disk
        [[ $_variant == raw ]] && _disk=''
        kdump_dracut_confdir=$_confdir ku_build "$_name.$_variant" "$KD_WORK/$_name.$_variant.conf" "$_disk" \
            --conf kdump_image=distro -- "${_extra[@]}" || { _status=1; break; }
        kdump_dracut_confdir=$_confdir ku_build "$_name.$_variant.dracut" "$KD_WORK/$_name.$_variant.conf" \
            "$_disk" --dracut real -- "${_extra[@]}" || { _status=1; break; }
        ku_same_files "$_name.$_variant" || _status=1
    done
    losetup -d "$_raw"
    ((_status == 0)) || return 1
    "$KINDLING_LSINITRD" -f usr/lib/dracut/build-parameter.txt "$KD_WORK/$_name.noconfdir.img" |
        grep -q -- "--add 'kdumpbase' --omit 'rdma plymouth resume ifcfg earlykdump'" ||
        { kd_log "mkdumprd did not take the --add kdumpbase path"; return 1; }
    "$KINDLING_LSINITRD" -f usr/lib/dracut/build-parameter.txt "$KD_WORK/$_name.raw.img" | grep -q -- "--device '$_raw'" ||
        { kd_log "mkdumprd did not pass the raw target with --device"; return 1; }
}

# dracut absent: /usr/lib/dracut holds only kdump-utils' modules and the dracut-functions.sh
# link Kindling's alias install made, /usr/bin/dracut is Kindling's. mkdumprd still works and
# the minimal image captures.
case_mkdumprd-no-dracut() {
    local _name=mkdumprd-no-dracut
    ku_setup || return 1
    [[ -L $KU_KINDLING_ROOT/usr/lib/dracut/dracut-functions.sh ]] ||
        { kd_log "make install-dracut-alias made no dracut-functions.sh link"; return 1; }
    ku_ext4_target "$_name"
    ku_build "$_name" "$KD_WORK/$_name.conf" "$KD_WORK/$_name.disk" --no-dracut -- -v || return 1
    ku_expect_log "$_name" "namespace: dracut-functions.sh is /usr/lib/kindling/dracut-functions.sh, dracut is /usr/lib/kindling/kindling" ||
        return 1
    ku_expect_log "$_name" "kdump: minimal image \(ext4 UUID=$KU_UUID\)" || return 1
    ku_capture_ext4 "$_name" 96M
}

# squashfs-tools installed, as on every Fedora host: mkdumprd adds --add squash
# --squash-compressor zstd. The minimal image leaves squash out, saying why, and captures at 96M;
# the distribution's image is a squash image as dracut's (the same outer files) and captures at
# 256M.
case_mkdumprd-squash() {
    local _name=mkdumprd-squash
    ku_setup || return 1
    command -v mksquashfs >/dev/null || { kd_log "mksquashfs is missing (squashfs-tools)"; return 1; }
    [[ -d /usr/lib/dracut/modules.d/99squash ]] || { kd_log "dracut's squash module is missing (dracut-squash)"; return 1; }
    ku_ext4_target "$_name"
    ku_build "$_name.minimal" "$KD_WORK/$_name.conf" "$KD_WORK/$_name.disk" --squashfs -- -v || return 1
    ku_expect_log "$_name.minimal" "kdump: the minimal image leaves out 'squash': " || return 1
    ku_build "$_name.distro" "$KD_WORK/$_name.conf" "$KD_WORK/$_name.disk" --squashfs --conf kdump_image=distro -- \
        -I /usr/bin/grep || return 1
    ku_build "$_name.distro.dracut" "$KD_WORK/$_name.conf" "$KD_WORK/$_name.disk" --squashfs --dracut real -- \
        -I /usr/bin/grep || return 1
    "$KINDLING_LSINITRD" -f usr/lib/dracut/build-parameter.txt "$KD_WORK/$_name.distro.img" |
        grep -q -- "--add 'squash' --squash-compressor 'zstd'" || { kd_log "mkdumprd did not ask for squash"; return 1; }
    ku_listing "$KD_WORK/$_name.distro.img" | grep -qx squash-root.img || { kd_log "the distribution image has no squash-root.img"; return 1; }
    ku_same_files "$_name.distro" || return 1
    ku_same_squashed_files "$_name.distro" || return 1
    cp "$KD_WORK/$_name.disk" "$KD_WORK/$_name.minimal.disk"
    mv "$KD_WORK/$_name.disk" "$KD_WORK/$_name.distro.disk"
    ku_capture_ext4 "$_name.minimal" 96M || return 1
    ku_capture_ext4 "$_name.distro" 256M
}

# An ssh target (ssh root@127.0.0.1 with sshkey): mkdumprd checks it over ssh at build time (an
# sshd of the test's, in a network namespace of its own) and passes --sshkey. The minimal image
# serves it: dbclient, the key in dropbear's format, the server's key from the namespace's
# ssh_known_hosts. With kdump_image=distro, Fedora's kdumpbase holds the same files as real
# dracut 059's from the same call.
case_mkdumprd-ssh() {
    local _name=mkdumprd-ssh _ssh=$KD_WORK/ssh _list
    ku_setup || return 1
    if ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
        kd_log "ssh is missing (openssh-client)"
        return 1
    fi
    ku_ssh_server "$_ssh" || return 1
    printf '%s\n' "ssh root@127.0.0.1" "sshkey $_ssh/kdump_id" "path /var/crash" \
        "core_collector makedumpfile -F -l --message-level 7 -d 31" >"$KD_WORK/$_name.conf"
    ku_build "$_name" "$KD_WORK/$_name.conf" "" --ssh "$_ssh" -- -v || return 1
    ku_expect_log "$_name" "kdump: minimal image \(ssh root@127.0.0.1\)" || return 1
    _list=$(ku_listing "$KD_WORK/$_name.img")
    for _file in usr/bin/dbclient root/.ssh/kdump_id root/.ssh/known_hosts usr/lib/kindling-kdump/kdump-net.sh; do
        grep -qx -- "$_file" <<<"$_list" || { kd_log "the image lacks $_file"; return 1; }
    done
    "$KINDLING_LSINITRD" -f root/.ssh/known_hosts "$KD_WORK/$_name.img" | grep -q "^127.0.0.1 ssh-ed25519 " ||
        { kd_log "the image's known_hosts lacks the server's key"; return 1; }
    "$KINDLING_LSINITRD" -f root/.ssh/kdump_id "$KD_WORK/$_name.img" | grep -q "ssh-ed25519" ||
        { kd_log "the image's key is not in dropbear's format"; return 1; }
    ku_build "$_name.distro" "$KD_WORK/$_name.conf" "" --ssh "$_ssh" --conf kdump_image=distro -- -I /usr/bin/grep || return 1
    ku_build "$_name.distro.dracut" "$KD_WORK/$_name.conf" "" --ssh "$_ssh" --dracut real -- -I /usr/bin/grep || return 1
    "$KINDLING_LSINITRD" -f usr/lib/dracut/build-parameter.txt "$KD_WORK/$_name.distro.img" | grep -q -- "--sshkey '$_ssh/kdump_id'" ||
        { kd_log "mkdumprd did not pass --sshkey"; return 1; }
    ku_listing "$KD_WORK/$_name.distro.img" | grep -qx "${_ssh#/}/kdump_id" || { kd_log "the distribution image lacks the ssh key"; return 1; }
    ku_same_files "$_name.distro"
}
