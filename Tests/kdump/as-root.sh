#!/bin/bash
# as-root.sh NEWROOT DIR... -- COMMAND...: runs COMMAND chrooted in NEWROOT, a filesystem the
# caller has mounted there, with this host's programs: NEWROOT gets this host's top-level
# symbolic links (bin -> usr/bin on a merged /usr), and bind mounts of /usr, /etc, /opt, /dev,
# /proc, /sys and of each DIR (the checkout, the kernel cache, the work directory), each at its
# own path; /run and /tmp are new tmpfs, mounted first, so a DIR below them stays visible. So
# inside, findmnt sees NEWROOT's filesystem at / as on
# a host installed on it (a btrfs subvolume, an LVM volume), and a kdump build takes it for the
# root filesystem.
#
# Run it in a private mount namespace (unshare -m), or in a guest: the mounts are left in place.

set -eu
newroot=$1
shift
declare -a dirs=()
while [[ $1 != -- ]]; do
    dirs+=("$1")
    shift
done
shift

for entry in /*; do
    name=${entry#/}
    if [[ -L $entry && ! -e $newroot/$name && ! -L $newroot/$name ]]; then
        ln -s "$(readlink "$entry")" "$newroot/$name"
    fi
done
# The tmpfs first: a DIR below /tmp or /run (a checkout in /tmp) is then bound on top of it.
for dir in /run /tmp; do
    mkdir -p "$newroot$dir"
    mount -t tmpfs -o mode=1777 as-root "$newroot$dir"
done
for dir in /usr /etc /opt /dev /proc /sys "${dirs[@]}"; do
    [[ -d $dir ]] || continue
    mkdir -p "$newroot$dir"
    mount --rbind "$dir" "$newroot$dir"
done
exec chroot "$newroot" "$@"
