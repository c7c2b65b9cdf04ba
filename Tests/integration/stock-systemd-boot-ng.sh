#!/bin/bash
# Boots an image that Kindling builds from Debian 13's dracut 106 stock modules, systemd flavour,
# in QEMU: Kindling runs inside the Debian 13 root (Tests/support/trixie-root, through
# Tests/support/trixie-run) with --modules-dir /usr/lib/dracut/modules.d, so the image holds that
# root's systemd 257 and dracut-ng's hook layout. systemd in the initramfs finds root=LABEL=... on
# a virtio disk, mounts it and switches root; the root's own init prints a marker on the serial
# console, and the test passes when it shows up.
#   TIMEOUT             seconds a boot may take (default: 420; systemd under TCG is slow)
#   KVM_PROBE_TIMEOUT   seconds a KVM boot may take before TCG is tried instead (default: 15)
# Needs root, debootstrap (for the root), QEMU, mkfs.ext4, a static busybox, the release build.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
name='stock-systemd-boot-ng'
timeout_seconds=${TIMEOUT:-420}
kvm_probe_seconds=${KVM_PROBE_TIMEOUT:-15}
PATH=$PATH:/usr/sbin:/sbin

[[ $(id -u) == 0 ]] || { fail "$name: needs root (chroot and bind mounts)"; finish; exit 1; }
make -s -C "$repo" release >/dev/null 2>&1 || give_up "make release failed"
KINDLING=$repo/.build/release/kindling
require_boot_test_tools
if [[ ! -x /bin/busybox ]] || readelf -lW /bin/busybox 2>/dev/null | grep -q 'Requesting program interpreter'; then
    give_up "the root disk needs a static /bin/busybox (apt-get install busybox-static)"
fi
trixie=$("$repo/Tests/support/trixie-root") || give_up "the Debian 13 root did not build (Tests/support/trixie-root)"
[[ -d $trixie/usr/lib/dracut/modules.d/00systemd ]] || give_up "the root at $trixie has no dracut systemd module"

work=$(mktemp -d)
made_mount_points=()
cleanup() {
    local directory
    for directory in "${made_mount_points[@]}"; do rmdir "$directory" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for directory in /opt/kindling "/lib/modules/$kver" /kindling-work; do
    if [[ ! -d $trixie$directory ]]; then
        mkdir -p "$trixie$directory" && made_mount_points+=("$trixie$directory")
    fi
done

# The root filesystem: an os-release (systemd only switches into an OS tree) and an init that
# prints the marker and powers off.
marker="kindling-root-$$-$RANDOM"
label=kindlingroot
mkdir -p "$work/root/bin" "$work/root/sbin" "$work/root/etc" "$work/root/proc" "$work/root/sys" "$work/root/dev" \
    "$work/out/confdir"
cp /bin/busybox "$work/root/bin/busybox"
printf 'ID=kindling-test\nNAME="Kindling test root"\n' >"$work/root/etc/os-release"
cat >"$work/root/sbin/init" <<END
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc 2>/dev/null
echo "root init: $marker (pid \$\$)" >/dev/console
/bin/busybox poweroff -f
END
chmod 0755 "$work/root/sbin/init"
mkfs.ext4 -q -F -L "$label" -d "$work/root" "$work/root.raw" 32M >"$work/mkfs.log" 2>&1 ||
    give_up "mkfs.ext4 -d failed: $(tail -n 1 "$work/mkfs.log")"

modules="systemd systemd-initrd dracut-systemd udev-rules kernel-modules rootfs-block fs-lib base"
if ! "$repo/Tests/support/trixie-run" "$trixie" "$repo" "$root/lib/modules/$kver" "$kver" "$work/out" \
    /opt/kindling/.build/release/kindling --force --no-hostonly --conf /dev/null --confdir /kindling-work/confdir \
    --modules-dir /usr/lib/dracut/modules.d -m "$modules" --kver "$kver" --no-compress --no-early-microcode \
    /kindling-work/initrd.img >"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log"
    give_up "kindling could not build the image in the Debian 13 root"
fi
# The image is dracut-ng's: hooks under var/lib/dracut/hooks, usr/lib/dracut/hooks a link to them.
listing=$(cpio -itv --quiet <"$work/out/initrd.img" 2>/dev/null)
if grep -qE '^l.* usr/lib/dracut/hooks -> \.\./\.\./\.\./var/lib/dracut/hooks$' <<<"$listing" &&
    grep -qE '^d.* var/lib/dracut/hooks/pre-mount$' <<<"$listing"; then
    pass "$name: the image has dracut-ng 106's hook layout"
else
    fail "$name: the image lacks dracut-ng 106's hook layout (var/lib/dracut/hooks, usr/lib/dracut/hooks linking to it)"
fi

boot_kvm_or_tcg "$kvm_probe_seconds" "$timeout_seconds" "$work/serial" -m 1024 \
    -kernel "$root/boot/vmlinuz-$kver" -initrd "$work/out/initrd.img" \
    -append "console=ttyS0 root=LABEL=$label rw panic=-1 systemd.show_status=1 rd.shell=0 rd.emergency=poweroff" \
    -drive "file=$work/root.raw,format=raw,if=virtio"

if grep -q "root init: $marker" "$log"; then
    pass "$name: dracut 106's systemd modules mounted LABEL=$label and switched root into it ($accel, $kver)"
    if grep -q 'systemd\[1\]: Running in initrd' "$log" && grep -q "root init: $marker (pid 1)" "$log"; then
        pass "$name: systemd ran in the initrd and its switch-root made the root's init process 1"
    else
        fail "$name: the console does not show systemd in the initrd switching root to the root's init"
    fi
else
    tail -n 40 "$log"
    if ((status == 124)); then
        fail "$name: no marker from the root's init within the time limit ($accel)"
    else
        fail "$name: no marker from the root's init (QEMU exit status $status, $accel)"
    fi
fi
finish
