# The bash behind FuzzKdumpConfig: one process for a whole run, started by the harness as
#   bash --noprofile --norc driver.bash REPOSITORY SANDBOX
# Each line read from standard input is one round on SANDBOX/sysroot/etc/kdump.conf:
#   1. kdumpbase's build-time parser reads it (module-setup.sh, unmodified) and writes the
#      image's kdump.conf to out/written, its values to out/build.values, its log to out/first.log;
#   2. on success, the written file is parsed and written again (out/rewritten, out/second.log),
#      without the image-only "rootfs" line, which the build parser does not take;
#   3. and kdump-capture.sh's reader reads the written file (out/capture.values).
# The answer is one line on standard output: the two exit statuses, "-" for a pass not run.
# The working directory, SANDBOX/work, stays empty unless something in a configuration was run.
# Each pass runs in a subshell, since the parser ends the build with `exit 1`. No `set -u`:
# module code runs with bash's defaults, in Kindling as in dracut.
repository=$1 sandbox=$2
sysroot=$sandbox/sysroot out=$sandbox/out
# A command the configuration managed to run would leave its files here, for the harness to see.
cd "$sandbox/work" || exit 2

# dracut's logging and find_binary, as the engine answers them, over the sandbox's sysroot.
dfatal() { printf 'ERROR: %s\n' "$*" >&2; }
derror() { printf 'ERROR: %s\n' "$*" >&2; }
dwarn() { printf 'WARN: %s\n' "$*" >&2; }
ddebug() { :; }
find_binary() {
    local dir
    if [[ $1 == /* ]]; then
        [[ -f $sysroot$1 && -x $sysroot$1 ]] && printf '%s\n' "$1"
        return
    fi
    [[ $1 == */* ]] && return 1
    for dir in /usr/sbin /usr/bin /sbin /bin; do
        [[ -f $sysroot$dir/$1 && -x $sysroot$dir/$1 ]] && { printf '%s\n' "$dir/$1"; return 0; }
    done
    return 1
}
# The host's mounts: / is ext4 on /dev/vda1 and /var is xfs on /dev/vdb1.
findmnt() {
    local target=${*: -1}
    if [[ $* == *-T* ]]; then
        target=${target#"$sysroot"}
        if [[ $target == /var || $target == /var/* ]]; then
            printf '/dev/vdb1 xfs %s 89ab-cdef\n' "$sysroot/var"
        else
            printf '/dev/vda1 ext4 %s 0123-4567\n' "$sysroot"
        fi
    else
        printf '/dev/vda1 ext4 0123-4567\n'
    fi
}

# shellcheck source-path=SCRIPTDIR/../../../modules.d/99kdumpbase # for what module-setup.sh sources
source "$repository/modules.d/99kdumpbase/module-setup.sh"
# The capture script's reader alone: the rest of the script captures a vmcore.
reader=$(sed -n '/^read_config() {$/,/^}$/p' "$repository/modules.d/99kdumpbase/kdump-capture.sh")
[[ -n $reader ]] || { echo "driver: no read_config in kdump-capture.sh" >&2; exit 2; }
eval "$reader"

# The values both sides agree on, a line each; the collector without makedumpfile's -F, which
# the writer adds for raw targets.
print_values() { # FS DEV PATH COLLECTOR FAILURE FINAL PRE POST EMERGENCY ROOTFS_FS ROOTFS_DEV
    local -a words=() kept=()
    local word
    read -ra words <<<"$4"
    for word in "${words[@]}"; do [[ $word == -F ]] || kept+=("$word"); done
    printf 'target %s %s\npath %s\ncollector %s\nfailure %s\nfinal %s\npre %s\npost %s\nemergency %s\nrootfs %s %s\n' \
        "$1" "$2" "$3" "${kept[*]}" "$5" "$6" "$7" "$8" "$9" "${10}" "${11}"
}

build_pass() { # WRITTEN VALUES
    (
        unset kdumpbase_config_read kdumpbase_dracut_mount kdump_storage_targets kdump_storage_filesystems
        dracutsysrootdir=$sysroot KDUMP_CONFIG_FILE=/etc/kdump.conf
        kdumpbase_read_config
        kdumpbase_write_config >"$1"
        print_values "$kdumpbase_target_fs" "$kdumpbase_target_dev" "$kdumpbase_path" "$kdumpbase_collector" \
            "$kdumpbase_failure_action" "$kdumpbase_final_action" "$kdumpbase_pre" "$kdumpbase_post" \
            "$kdumpbase_emergency" "$kdumpbase_rootfs_fs" "$kdumpbase_rootfs_dev" >"$2"
    ) </dev/null
}

# shellcheck disable=SC2034,SC2154 # read_config (eval'd above) reads CONF and sets the values
capture_pass() {
    (
        CONF=$out/written
        read_config
        print_values "$target_fs" "$target_dev" "$path" "$collector" "$failure_action" "$final_action" \
            "$kdump_pre" "$kdump_post" "$kdump_emergency" "$rootfs_fs" "$rootfs_dev" >"$out/capture.values"
    ) </dev/null
}

while read -r _; do
    # Nothing of the round before can pass for this round's result.
    for file in written rewritten build.values rebuilt.values capture.values; do : >"$out/$file"; done
    build_pass "$out/written" "$out/build.values" >"$out/first.stdout" 2>"$out/first.log"
    first=$? second=-
    if ((first == 0)); then
        capture_pass 2>"$out/capture.log"
        while IFS= read -r line; do
            [[ $line == "rootfs "* ]] || printf '%s\n' "$line"
        done <"$out/written" >"$sysroot/etc/kdump.conf"
        build_pass "$out/rewritten" "$out/rebuilt.values" >"$out/second.stdout" 2>"$out/second.log"
        second=$?
    fi
    printf '%s %s\n' "$first" "$second"
done
