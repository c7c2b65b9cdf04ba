# shellcheck shell=bash
# SC2154: $work, $status, $here... are the sourcing script's; SC2016: the expect checks are eval'd
# strings; SC2034, SC2119, SC2120: CONF is read by the capture script's functions, and the build
# helpers take optional arguments.
# shellcheck disable=SC2154,SC2016,SC2034,SC2119,SC2120
# Sourced by ../fault-matrix.sh (its helpers and state: run_kindling, expect, expect_failure,
# list_image, unpack_image, $work, $image, $kver, $kroot). What a hostile or unlucky user puts in
# configuration values: CRLF line ends and '..' in kdump.conf, bytes that are not UTF-8 in a
# dracut.conf value, and file helpers given an empty name.

# --- 30. kdump.conf: CRLF line ends, '..' and overlong paths, control characters -------------------
if [[ -n ${kver-} && -d ${kroot-}/lib/modules/$kver ]]; then
    values_conf=$work/values-kdump.conf
    values_kdump_build() {
        KDUMP_CONFIG_FILE=$values_conf run_kindling --kver "$kver" --kmoddir "$kroot/lib/modules/$kver" -m kdumpbase "$@"
    }
    # values_kdump_case WHAT CONTENT PATTERN: CONTENT (printf %b) must fail the build on PATTERN.
    values_kdump_case() {
        printf '%b' "$2" >"$values_conf"
        values_kdump_build
        expect_failure "kdump.conf: $1" 1 "module 'kdumpbase' failed in kdump_minimal_target\(\): $values_conf:$3"
        expect "kdump.conf: $1: no raw control character in the log" eval '! grep -q $'"'"'[\r\x1b]'"'"' "$work/log"'
    }

    # A file saved with CRLF line ends builds, and the image's kdump.conf has plain line ends: the
    # capture gives makedumpfile '-d 31', not '31\r' (which saved no vmcore).
    printf 'ext4 LABEL=kdump\r\npath /var/crash\r\ncore_collector makedumpfile -l --message-level 7 -d 31\r\nfinal_action poweroff\r\n' \
        >"$values_conf"
    KINDLING_IMAGE=$work/values-kdump.img values_kdump_build
    expect "kdump.conf with CRLF line ends: the build succeeds" test "$status" = 0
    rm -rf "$work/values-tree"
    unpack_image "$work/values-kdump.img" "$work/values-tree" 2>/dev/null
    expect "kdump.conf with CRLF line ends: the image's etc/kdump.conf has no CR" \
        eval '[[ -s $work/values-tree/etc/kdump.conf ]] && ! grep -q $'"'"'\r'"'"' "$work/values-tree/etc/kdump.conf"'
    # The capture script's own read_config and run_collector, on the image's kdump.conf, with a
    # makedumpfile that prints the words it gets.
    mkdir -p "$work/values-bin"
    printf '#!/bin/bash\nprintf "%%q\\n" "${0##*/}" "$@"\n' >"$work/values-bin/makedumpfile"
    chmod +x "$work/values-bin/makedumpfile"
    values_words=$(
        CONF=$work/values-tree/etc/kdump.conf
        eval "$(sed -n '/^read_config() {/,/^}/p;/^run_collector() {/,/^}/p' "$work/values-tree/usr/bin/kdump-capture")"
        read_config && PATH=$work/values-bin:$PATH run_collector /proc/vmcore /dump/vmcore-incomplete &&
            printf '%q\n' "$path" "$final_action"
    )
    expect "kdump.conf with CRLF line ends: the capture runs makedumpfile with the right words" \
        test "$(tr '\n' ' ' <<<"$values_words")" = "makedumpfile -l --message-level 7 -d 31 /proc/vmcore /dump/vmcore-incomplete /var/crash poweroff "
    rm -rf "$work/values-tree" "$work/values-kdump.img" "$work/values-bin"

    # A CR inside a line is no line end: refused, and the message shows it ($'...\r...'), never raw.
    values_kdump_case "a CR inside a target line" 'ext4 LABEL=kd\rump\r\n' \
        "1: a control character in \\$'ext4 LABEL=kd\\\\rump'"
    values_kdump_case "an escape sequence in path" 'ext4 LABEL=kdump\npath /var/\033[2Jcrash\n' \
        "2: a control character in \\$'path /var/\\\\E\\[2Jcrash'"

    # '..' would put the vmcore outside the mounted target, into the crash kernel's memory.
    values_kdump_case "a path with '..'" 'ext4 LABEL=kdump\npath /var/crash/../../..\n' \
        "2: path '/var/crash/\.\./\.\./\.\.': a '\.\.' component would leave the directory it names"
    values_kdump_case "a path longer than PATH_MAX" "ext4 LABEL=kdump\npath /$(printf 'a%.0s' {1..4096})\n" \
        "2: path '/a+': longer than 4096 bytes \(4097\)"
    values_kdump_case "a path component longer than NAME_MAX" "ext4 LABEL=kdump\npath /var/$(printf 'b%.0s' {1..256})\n" \
        "2: path '/var/b+': a component is longer than 255 bytes \(256\)"
    # The same class: every other value that names a file or a device.
    values_kdump_case "kdump_pre with '..'" 'ext4 LABEL=kdump\nkdump_pre /usr/../../bin/true\n' \
        "2: kdump_pre '/usr/\.\./\.\./bin/true': a '\.\.' component"
    values_kdump_case "kdump_post with '..'" 'ext4 LABEL=kdump\nkdump_post /../bin/true\n' \
        "2: kdump_post '/\.\./bin/true': a '\.\.' component"
    values_kdump_case "extra_bins with '..'" 'ext4 LABEL=kdump\nextra_bins /usr/bin/../../../bin/true\n' \
        "2: extra_bins '/usr/bin/\.\./\.\./\.\./bin/true': a '\.\.' component"
    values_kdump_case "core_collector with '..'" 'ext4 LABEL=kdump\ncore_collector /../usr/bin/makedumpfile -l\n' \
        "2: core_collector '/\.\./usr/bin/makedumpfile': a '\.\.' component"
    values_kdump_case "extra_modules with '..'" 'ext4 LABEL=kdump\nextra_modules =drivers/../../../../etc\n' \
        "2: extra_modules '=drivers/\.\./\.\./\.\./\.\./etc': a '\.\.' component"
    values_kdump_case "a /dev target with '..'" 'ext4 /dev/../etc/passwd\n' \
        "1: 'ext4' wants one device: .*not '/dev/\.\./etc/passwd'"
    values_kdump_case "a LABEL= target with '..'" 'xfs LABEL=../../vda\n' \
        "1: 'xfs' wants one device: .*not 'LABEL=\.\./\.\./vda'"
    values_kdump_case "a dracut_args --mount device with '..'" "dracut_args --mount '/dev/../etc/passwd /kdumproot ext4'\n" \
        "1: dracut_args --mount: '/dev/\\.\\./etc/passwd' is not one device"
    unset -f values_kdump_build values_kdump_case

    # drivers_dir (--kmoddir) in a dracut.conf, under a directory whose name is Latin-1: libkmod
    # and the checks get the very bytes (it was "cannot find module directory").
    values_kmod=$work/values-caf$'\xe9'/lib/modules
    mkdir -p "$values_kmod"
    ln -s "$kroot/lib/modules/$kver" "$values_kmod/$kver"
    printf 'drivers_dir="%s"\n' "$values_kmod/$kver" >"$work/values-kmod.conf"
    KINDLING_IMAGE=$work/values-kmod.img run_kindling --kver "$kver" -m run --add-drivers virtio_blk --conf "$work/values-kmod.conf"
    expect "a Latin-1 drivers_dir: the build succeeds and installs the driver" \
        eval '((status == 0)) && list_image "$work/values-kmod.img" | grep -q "/virtio_blk\.ko"'
    rm -rf "$work/values-caf"$'\xe9' "$work/values-kmod.conf" "$work/values-kmod.img"
fi

# --- 31. bytes that are not UTF-8 in a dracut.conf value ------------------------------------------
# install_items names a Latin-1 file: the image holds that very name, as dracut's does (the value
# was decoded with U+FFFD, which names another file, and the file was left out).
cases=$((cases + 1))
values_dir=$work/values-latin1
mkdir -p "$values_dir"
values_name=$values_dir/caf$'\xe9'
printf 'latin-1 name\n' >"$values_name"
printf 'install_items+=" %s "\n' "$values_name" >"$work/values-latin1.conf"
KINDLING_IMAGE=$work/values-latin1.img run_kindling --no-kernel -m run --conf "$work/values-latin1.conf"
expect "a Latin-1 name in install_items: the build succeeds" test "$status" = 0
expect "a Latin-1 name in install_items: the image holds the very bytes" \
    eval 'LC_ALL=C list_image "$work/values-latin1.img" | grep -qxF "${values_name#/}"'
if command -v dracut >/dev/null; then
    rm -f "$work/values-dracut.img"
    dracut --conf "$work/values-latin1.conf" --confdir "$work/empty.conf.d" --no-hostonly --no-kernel -m base \
        --tmpdir "$TMPDIR" --no-compress "$work/values-dracut.img" >"$work/values-dracut.log" 2>&1
    expect "a Latin-1 name in install_items: dracut 059 installs the same bytes" \
        eval 'LC_ALL=C list_image "$work/values-dracut.img" | grep -qxF "${values_name#/}"'
    rm -f "$work/values-dracut.img"
fi
rm -f "$work/values-latin1.img"
# A --conf file whose own name is Latin-1 is read (it was "not found").
cp "$work/values-latin1.conf" "$values_dir/conf-"$'\xe9'
KINDLING_IMAGE=$work/values-latin1.img run_kindling --no-kernel -m run --conf "$values_dir/conf-"$'\xe9'
expect "a --conf file with a Latin-1 name is read" \
    eval '((status == 0)) && LC_ALL=C list_image "$work/values-latin1.img" | grep -qxF "${values_name#/}"'
rm -f "$work/values-latin1.img"
# A tmpdir whose name is not UTF-8 cannot hold the build yet: refused by name, the byte shown.
mkdir -p "$work/tmp-"$'\xe9'
run_kindling --no-kernel -m run --tmpdir "$work/tmp-"$'\xe9'
expect_failure "a tmpdir that is not UTF-8" 1 "Invalid tmpdir \\$'.*tmp-\\\\xe9': the name is not UTF-8"
expect "a tmpdir that is not UTF-8: nothing left in it" test -z "$(ls -A "$work/tmp-"$'\xe9')"
rm -rf "$work/tmp-"$'\xe9' "$values_dir" "$work/values-latin1.conf"

# --- 32. file helpers given an empty name ---------------------------------------------------------
# inst_simple "" DST made a directory at DST (the sysroot's root taken for the source). As dracut
# 059: fail where it fails, succeed where it succeeds, and add nothing it does not add.
FAULT_INSTALL='inst_simple "" /etc/empty-source || exit 1' run_kindling --no-kernel -m run
expect_failure 'inst_simple "" DST' 1 "inst_simple: an empty file name installs nothing"
FAULT_INSTALL='inst_library "" /etc/empty-source || exit 1' run_kindling --no-kernel -m run
expect_failure 'inst_library "" DST' 1 "inst_library: an empty file name installs nothing"
FAULT_INSTALL='inst "" /etc/empty-source || exit 1' run_kindling --no-kernel -m run
expect_failure 'inst "" DST' 1 "FAILED: inst  /etc/empty-source"

# Side by side with dracut 059: each call's status and what it added to the image.
values_calls=('inst ""' 'inst_simple ""' 'inst_simple "" /etc/x' 'inst_simple /etc/hostname ""' 'inst /etc/hostname ""'
    'inst_multiple ""' 'inst_multiple -o ""' 'inst_dir ""' 'inst_symlink ""' 'inst_symlink "" /etc/x' 'inst_library ""'
    'inst_library "" /etc/x' 'inst_binary ""' 'inst_script ""')
: >"$work/values-kindling.out"
for values_call in "${values_calls[@]}"; do
    EMPTY_CALL=$values_call EMPTY_OUT=$work/values-kindling.out KINDLING_IMAGE=$work/values-empty.img \
        run_kindling --no-kernel -m empty-args
done
expect "empty names: every call's status and additions as in dracut 059 (Kindling's side ran)" \
    test "$(wc -l <"$work/values-kindling.out")" = "${#values_calls[@]}"
expect "empty names: inst_simple \"\" /etc/x fails and adds nothing" \
    grep -qxF 'inst_simple "" /etc/x: status 1, added []' "$work/values-kindling.out"
if command -v dracut >/dev/null && [[ -d /usr/lib/dracut/modules.d ]]; then
    rm -rf "$work/values-dracut"
    cp -a /usr/lib/dracut "$work/values-dracut"
    cp -a "$here/../fixtures/faults/modules.d/70empty-args" "$work/values-dracut/modules.d/"
    : >"$work/values-dracut.out"
    for values_call in "${values_calls[@]}"; do
        EMPTY_CALL=$values_call EMPTY_OUT=$work/values-dracut.out dracutbasedir=$work/values-dracut \
            dracut --conf "$work/empty.conf" --confdir "$work/empty.conf.d" --no-hostonly --no-kernel -m "base empty-args" \
            --tmpdir "$TMPDIR" --no-compress --force "$work/values-empty.img" >"$work/values-dracut.log" 2>&1
    done
    expect "empty names: Kindling answers every call as dracut 059 does" \
        diff "$work/values-dracut.out" "$work/values-kindling.out"
    rm -rf "$work/values-dracut"
fi
rm -f "$work/values-empty.img" "$work/values-kindling.out" "$work/values-dracut.out" "$work/values-dracut.log"
