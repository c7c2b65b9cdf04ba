#!/bin/bash
# dracut-ng's stock modules give the same image under Kindling, inside a Debian 13 root
# (Tests/support/trixie-root): a matrix of module sets, each built by dracut and by Kindling
# (--modules-dir pointing at that dracut's modules.d) with the same options and the Debian 6.1
# test kernel, then compared entry by entry (types, modes, link counts, symlink targets) and byte
# by byte. First against the root's own dracut, Debian 13's 106, then against dracut-ng 112 built
# from its release tarball inside the root (Tests/support/dracut-ng-build) and run from its tree
# with --local. Every difference is printed; only the intended ones below are allowed.
#
# Both tools run inside the root through Tests/support/trixie-run: each run in a private mount
# namespace with bind mounts of /proc, /sys, /dev, /run, the checkout (Kindling's release build,
# statically linked to the Swift runtime, and its shim), the test kernel's modules at
# /lib/modules/KVER and the work directory, so nothing stays mounted when a run ends, however it
# ends. The mount points the root lacks are made for the test and removed at exit.
#
# Needs root, debootstrap (the first run builds the root, about two minutes), and the release
# build (make builds it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
name=parity-vs-dracut-ng

prepare_trixie_root
root=$trixie
[[ -x $root/usr/bin/dracut && -f $root/usr/lib/dracut/dracut-version.sh ]] || give_up "the root at $root has no dracut"
mkdir -p "$work/confdir"

# Runs COMMAND... inside the root, in its own mount namespace (Tests/support/trixie-run).
in_root() { in_trixie "$kernel_root/lib/modules/$kver" "$@"; }

kindling=/opt/kindling/.build/release/kindling
common=(--force --no-compress --kver "$kver" --conf /dev/null --confdir /kindling-work/confdir)

# Differences that are intended, as "SET:PATH reason" ("*" for every set).
declare -A intended=(
    ["112-network-manager:etc/machine-id"]="network-manager writes a new random machine-id when the image has none"
)

# Sets reason to the entry's reason when LINE is an intended difference of SET.
is_intended() {
    local set=$1 line=$2 key
    for key in "${!intended[@]}"; do
        [[ $line == *" ${key#*:}"* || $line == *"${key#*:} "* || $line == "content differs: ${key#*:}" ]] || continue
        if [[ ${key%%:*} == "*" || ${key%%:*} == "$set" ]]; then
            reason=${intended[$key]}
            return 0
        fi
    done
    return 1
}

timings=()
# compare_set LABEL DRACUT MODULES_DIR -- OPTIONS...: DRACUT is the command inside the root.
compare_set() {
    local set=$1 dracut=$2 modules_dir=$3 started dracut_ms kindling_ms line unexplained=0 entries reason
    shift 4
    local -a dracut_command
    read -r -a dracut_command <<<"$dracut"
    started=$(now_ms)
    in_root "${dracut_command[@]}" "${common[@]}" "$@" "/kindling-work/$set-dracut.img" >"$work/$set-dracut.log" 2>&1 ||
        { fail "$set: dracut failed"; tail -n 5 "$work/$set-dracut.log"; return; }
    dracut_ms=$(($(now_ms) - started))
    started=$(now_ms)
    in_root "$kindling" "${common[@]}" --modules-dir "$modules_dir" "$@" "/kindling-work/$set-kindling.img" \
        >"$work/$set-kindling.log" 2>&1 ||
        { fail "$set: kindling failed"; tail -n 5 "$work/$set-kindling.log"; return; }
    kindling_ms=$(($(now_ms) - started))
    timings+=("$(printf '%-16s dracut %4d.%d s   kindling %3d.%d s   %3d modules' "$set" \
        $((dracut_ms / 1000)) $((dracut_ms % 1000 / 100)) \
        $((kindling_ms / 1000)) $((kindling_ms % 1000 / 100)) \
        "$(grep -c 'Including module:' "$work/$set-kindling.log")")")

    write_set_differences "$work" "$set"
    while IFS= read -r line; do
        [[ $line =~ ^(modules:\ )?[0-9,]+[acd][0-9,]+$ || $line == "---" || $line == "modules: ---" ]] && continue
        if same_parameters_but_modules_dir "$work/$set-d" "$work/$set-k" "$line"; then
            printf '    intended: %s (Kindling records --modules-dir, dracut-ng from its tree --local)\n' "$line"
        elif is_intended "$set" "$line"; then
            printf '    intended: %s (%s)\n' "$line" "$reason"
        elif linked_by_timing "$set" "$line"; then
            printf '    intended: %s (hardlinked or not as the clock ticked, the same bytes)\n' "$line"
        else
            printf '    DIFFERS: %s\n' "$line"
            unexplained=$((unexplained + 1))
        fi
    done <"$work/$set.diff"
    entries=$(manifest "$work/$set-k" | wc -l)
    if ((unexplained == 0)); then
        pass "$set: the same image as $release ($entries entries, $(grep -c 'Including module:' "$work/$set-kindling.log") modules)"
    else
        fail "$set: $unexplained unexplained differences from $release"
    fi
    rm -rf "$work/$set-d" "$work/$set-k" "$work/$set-dracut.img" "$work/$set-kindling.img"
}

# The sets, each as "LABEL|OPTIONS": the same for both releases, in the order of the issue.
systemd_modules="systemd systemd-initrd dracut-systemd systemd-ask-password systemd-modules-load systemd-sysctl \
systemd-tmpfiles systemd-journald systemd-udevd base rootfs-block kernel-modules"
sets=(
    "base-bash|-m 'base bash'"
    "base-dash|-m 'base dash'"
    "kernel|--no-hostonly -m 'base bash kernel-modules kernel-modules-extra kernel-network-modules rootfs-block'"
    "systemd|--no-hostonly -m '$systemd_modules'"
    "default|--no-hostonly"
    "hostonly|-H"
    "storage|--no-hostonly -m 'base bash lvm mdraid crypt dm rootfs-block kernel-modules'"
    "network-manager|--no-hostonly -m 'base bash network-manager network nfs'"
    "networkd|--no-hostonly -m 'base systemd-networkd network nfs'"
)
# dracut-ng keeps --add-device's devices in user_devs, which its base module waits for by name
# too: a set for the block device this host's root is on, when it is one.
host_root=$(findmnt -n -o SOURCE / 2>/dev/null)
if [[ -b $host_root ]]; then
    sets+=("add-device|-H --hostonly-cmdline --add-device '$host_root' -m 'base bash rootfs-block'")
fi
run_sets() {
    local dracut=$1 modules_dir=$2 label=$3 entry options
    shift 3
    for entry in "${sets[@]}"; do
        [[ " $* " == *" ${entry%%|*} "* ]] || continue
        options=()
        eval "options=(${entry#*|})"
        compare_set "$label-${entry%%|*}" "$dracut" "$modules_dir" -- "${options[@]}"
    done
}

# 1. Debian 13's dracut 106.
release="dracut $(sed -n 's/^DRACUT_VERSION=//p' "$root/usr/lib/dracut/dracut-version.sh")"
run_sets /usr/bin/dracut /usr/lib/dracut/modules.d 106 \
    base-bash base-dash kernel systemd default hostonly storage network-manager networkd

# 2. dracut-ng 112 from source, run from its tree.
if ng_tree=$("$repo/Tests/support/dracut-ng-build" --root "$root" 2>"$work/ng-build.log"); then
    release="dracut-ng $(sed -n 's/^DRACUT_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root$ng_tree/dracut.sh")"
    # -v: dracut-ng 112 logs only warnings by default, and the module lists are compared too.
    common+=(-v)
    run_sets "$ng_tree/dracut.sh --local" "$ng_tree/modules.d" 112 \
        base-bash base-dash kernel systemd default hostonly storage network-manager networkd add-device
else
    fail "dracut-ng 112 did not build in the root: $(tail -n 3 "$work/ng-build.log")"
fi

echo "build times (no compression; dracut vs Kindling release build, in the Debian 13 root):"
printf '  %s\n' "${timings[@]}"
finish
