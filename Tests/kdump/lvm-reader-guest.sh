#!/bin/bash
# lvm-reader-guest.sh READER LOADER DISK: run in the builder guest (from lvm-guest.sh), where real
# lvm2 and device-mapper run. The capture image's LVM reader (READER, kdump-lvm.sh, under busybox)
# and its device-mapper loader (LOADER, kindling-dmload) are set against LVM itself: on DISK, two
# partitions make volume group seg-vg with
#   lv-a     three linear segments: 8 MiB on part 1, 8 MiB more on part 1 after the volume gap,
#            8 MiB on part 2
#   gap      linear, between lv-a's first two segments
#   striped  two stripes of 64 KiB over both partitions, extended by a second striped segment
# and, on a third partition, volume group wrap-vg whose metadata text wraps round its area.
# After `vgchange -a y`, each volume's device-mapper uuid and `dmsetup table` must equal, byte for
# byte, what the reader computes from the raw disk. Then, the group deactivated, the loader loads
# each volume from the reader's table as the image does: `dmsetup info` (name, uuid, state,
# tables, segments, devices used) and `dmsetup table` of what it made must be LVM's, byte for
# byte, with /dev/mapper/NAME its block node. The loader must refuse a table the kernel refuses
# and a name in use, leaving nothing made. Then the reader must refuse, with its line:
# a missing physical volume, a metadata area header that fails its checksum, and copies of the
# metadata that disagree (part 2's first MiB put back as it was before the last change).
# Prints PASS/FAIL lines and ends with "N passed, N failed".

set -u
reader=$1 loader=$2 disk=$3
passed=0 failed=0
pass() { echo "PASS $*"; ((++passed)); }
fail() { echo "FAIL $*"; ((++failed)); }

# Busybox's applets first on PATH: the reader runs under busybox in the image.
bin=/run/lvm-reader-bin
mkdir -p "$bin"
for applet in sh awk od dd tail head tr sort wc cmp sed cat mkdir rm; do
    ln -sf "$(command -v busybox)" "$bin/$applet"
done
# reader_run VG LV [SYSFS]: the reader's "uuid ..." line and table for VG/LV (or its refusal).
reader_run() {
    PATH=$bin:$PATH LVM_WORK=/run/lvm-reader-work LVM_SYSFS=${3:-/sys/class/block} \
        busybox sh -c '. "$1"; lvm_scan || exit 1; lvm_table "$2" "$3"' reader "$reader" "$1" "$2" 2>&1
}

printf 'label: gpt\nstart=1MiB, size=96MiB, type=lvm\nstart=97MiB, size=96MiB, type=lvm\nstart=193MiB, type=lvm\n' |
    sfdisk -q "$disk"
for _ in 1 2 3 4 5; do
    [[ -b ${disk}3 ]] && break
    sleep 1
done
devices=(--devices "${disk}1" --devices "${disk}2" --devices "${disk}3")
lvm() { command lvm "$1" -q "${devices[@]}" "${@:2}"; }
lvm pvcreate "${disk}1" "${disk}2"
lvm vgcreate -s 4M seg-vg "${disk}1" "${disk}2"
lvm lvcreate -an -Zn -y -L 8M -n lv-a seg-vg "${disk}1"
lvm lvcreate -an -Zn -y -L 8M -n gap seg-vg "${disk}1"
lvm lvextend -L 16M seg-vg/lv-a "${disk}1"
lvm lvcreate -an -Zn -y -i 2 -I 64k -L 16M -n striped seg-vg
dd if="${disk}2" of=/run/seg-part2.old bs=1M count=1 status=none
lvm lvextend -L 24M seg-vg/lv-a "${disk}2"
lvm lvextend -L 32M seg-vg/striped
lvm lvs -o lv_name,seg_start_pe,seg_size_pe,segtype,stripes,seg_pe_ranges seg-vg
lvm vgchange -a y seg-vg

# dm_state NAME: what `dmsetup info` says of NAME that LVM and the loader must agree on (not its
# numbers, open count or event number), then its table.
dm_state() {
    dmsetup info -c --noheadings --separator ' ' -o name,uuid,attr,tables_loaded,suspended,readonly,segments,blkdevs_used "$1"
    dmsetup table "$1"
}
declare -A lvm_state=() lvm_read_ahead=()
for lv in lv-a gap striped; do
    name=seg--vg-${lv//-/--}
    lvm_state[$name]=$(dm_state "$name")
    lvm_read_ahead[$lv]=$(dmsetup info -c --noheadings -o read_ahead "$name")
    want="uuid $(dmsetup info -c --noheadings -o uuid "$name")
$(dmsetup table "$name")"
    got=$(reader_run seg-vg "$lv")
    if [[ $got == "$want" ]]; then
        pass "seg-vg/$lv: the reader's table is LVM's: $(paste -sd '|' <<<"$got")"
    else
        fail "seg-vg/$lv: LVM loaded:"$'\n'"$want"$'\n'"the reader computed:"$'\n'"$got"
    fi
done
if [[ $(dmsetup table seg--vg-lv--a | wc -l) == 3 && $(dmsetup table seg--vg-striped | grep -c ' striped 2 128 ') == 2 ]]; then
    pass "lv-a has three segments and striped two striped ones"
else
    fail "the layout is not the one meant"
fi
lvm vgchange -a n seg-vg

# loader_check VG LV: with VG inactive, the loader loads VG/LV from the reader's table as the
# image does; what it made must be what LVM made (lvm_state), and /dev/mapper/NAME its node.
loader_check() {
    local _name _out _uuid _error _got _node _devno
    _name=$(printf '%s-%s' "${1//-/--}" "${2//-/--}")
    rm -f "/dev/mapper/$_name"
    _out=$(reader_run "$1" "$2")
    _uuid=$(sed -n '1s/^uuid //p' <<<"$_out")
    if ! _error=$(sed 1d <<<"$_out" | "$loader" create "$_name" "$_uuid" 2>&1); then
        fail "$1/$2: the loader failed: $_error"
        return
    fi
    _got=$(dm_state "$_name")
    _devno=$(dmsetup info -c --noheadings -o devno "$_name")
    _node=$(stat -c '%F %Hr:%Lr' "/dev/mapper/$_name" 2>&1)
    if [[ $_got != "${lvm_state[$_name]}" ]]; then
        fail "$1/$2: LVM made:"$'\n'"${lvm_state[$_name]}"$'\n'"the loader made:"$'\n'"$_got"
    elif [[ $_node != "block special file $_devno" ]]; then
        fail "$1/$2: /dev/mapper/$_name is '$_node', not the block node $_devno"
    elif [[ $("$loader" table "$_name") != "$(dmsetup table "$_name")" ]]; then
        fail "$1/$2: the loader's own table listing differs from dmsetup's: $("$loader" table "$_name" 2>&1)"
    else
        pass "$1/$2: the loader made what LVM made (read ahead: LVM's $3, its $(dmsetup info -c --noheadings -o read_ahead "$_name")), /dev/mapper/$_name $_devno: $(paste -sd '|' <<<"$_got")"
    fi
    dmsetup remove "$_name"
}
for lv in lv-a gap striped; do
    loader_check seg-vg "$lv" "${lvm_read_ahead[$lv]}"
done

# A table the kernel refuses (a device that does not exist), and a name in use: one line naming
# the device, and nothing left made (the first) or changed (the second).
if out=$(echo "0 8192 linear 250:250 0" | "$loader" create kd-bad LVM-bad 2>&1); then
    fail "the loader loaded a table on a missing device"
elif [[ $out == "kindling-dmload: kd-bad: the kernel refused its table: "* ]] && ! dmsetup info kd-bad >/dev/null 2>&1 &&
    [[ ! -e /dev/mapper/kd-bad ]]; then
    pass "a table the kernel refuses: $out; no device left"
else
    fail "a table the kernel refuses: '$out'; left: $(dmsetup info -c --noheadings kd-bad 2>&1)"
fi
first=$(reader_run seg-vg gap)
sed 1d <<<"$first" | "$loader" create seg--vg-gap "$(sed -n '1s/^uuid //p' <<<"$first")"
before=$(dm_state seg--vg-gap)
if out=$(echo "0 8 linear ${disk}1 2048" | "$loader" create seg--vg-gap LVM-other 2>&1); then
    fail "the loader created a second seg--vg-gap"
elif [[ $out == "kindling-dmload: seg--vg-gap: cannot create it: a device of this name or of uuid LVM-other exists already" &&
    $(dm_state seg--vg-gap) == "$before" ]]; then
    pass "a name in use: $out; the device is as it was"
else
    fail "a name in use: '$out'; now: $(dm_state seg--vg-gap 2>&1)"
fi
dmsetup remove seg--vg-gap

# Volume group wrap-vg on part 3, with a 60 KiB metadata area: tags added one by one until the
# committed text wraps round the end of the circular area (the text's offset in the area plus
# its size past the area's size: header bytes 40 and 48, the area's size at 32).
lvm pvcreate --metadatasize 40k --dataalignment 64k "${disk}3"
lvm vgcreate wrap-vg "${disk}3"
lvm lvcreate -an -Zn -y -L 4M -n lv wrap-vg
wrapped=''
for i in $(seq 1 120); do
    lvm lvchange --addtag "tag-number-$i" wrap-vg/lv >/dev/null
    read -r area_size text_offset text_size <<<"$(od -An -v -t u8 -j $((4096 + 32)) -N 24 "${disk}3" | tr '\n' ' ')"
    if ((text_offset + text_size > area_size)); then
        wrapped="after $i changes: text at $text_offset, $text_size bytes, area $area_size bytes"
        break
    fi
done
if [[ -z $wrapped ]]; then
    fail "wrap-vg's metadata never wrapped round"
else
    lvm vgchange -a y wrap-vg
    lvm_state[wrap--vg-lv]=$(dm_state wrap--vg-lv)
    read_ahead=$(dmsetup info -c --noheadings -o read_ahead wrap--vg-lv)
    want="uuid $(dmsetup info -c --noheadings -o uuid wrap--vg-lv)
$(dmsetup table wrap--vg-lv)"
    got=$(reader_run wrap-vg lv)
    if [[ $got == "$want" ]]; then
        pass "wrap-vg/lv, its metadata wrapped round $wrapped: $(paste -sd '|' <<<"$got")"
    else
        fail "wrap-vg/lv ($wrapped): LVM loaded:"$'\n'"$want"$'\n'"the reader computed:"$'\n'"$got"
    fi
    lvm vgchange -a n wrap-vg
    loader_check wrap-vg lv "$read_ahead"
fi

# expect_refusal WHAT LINE VG LV [SYSFS]: the reader refuses, and its last line is LINE.
expect_refusal() {
    local _got
    # shellcheck disable=SC2053 # LINE is a pattern
    if _got=$(reader_run "$3" "$4" "${5-}"); then
        fail "$1: the reader gave a table: $(paste -sd '|' <<<"$_got")"
    elif [[ $(tail -n 1 <<<"$_got") == $2 ]]; then
        pass "$1: $(tail -n 1 <<<"$_got")"
    else
        fail "$1: the reader said: $_got"
    fi
}
expect_refusal "a volume that is not there" "logical volume seg-vg/none is not in volume group seg-vg" seg-vg none
# Part 2 out of sight: the striped volume's second physical volume is missing.
mkdir -p /run/lvm-reader-sys
ln -sf "/sys/class/block/${disk#/dev/}1" /run/lvm-reader-sys/
expect_refusal "a missing physical volume" "physical volume * (pv1 of volume group seg-vg, was ${disk}2) is missing" \
    seg-vg striped /run/lvm-reader-sys
# Part 2 back as it was before the last two changes: its copy is older (a lower seqno).
dd if="${disk}2" of=/run/seg-part2.new bs=1M count=1 status=none
dd if=/run/seg-part2.old of="${disk}2" bs=1M conv=notrunc status=none
expect_refusal "copies that disagree" "the metadata copies of volume group seg-vg disagree (seqno *" seg-vg lv-a
dd if=/run/seg-part2.new of="${disk}2" bs=1M conv=notrunc status=none
# One byte of part 1's metadata area header (a reserved zero byte, under its checksum) changed.
printf '\001' | dd of="${disk}1" bs=1 seek=$((4096 + 200)) conv=notrunc status=none
expect_refusal "a header that fails its checksum" "${disk}1: the LVM metadata area header at byte 4096 fails its checksum" seg-vg lv-a
echo "$passed passed, $failed failed"
((failed == 0))
