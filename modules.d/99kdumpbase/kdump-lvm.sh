#!/bin/sh
# kdump-lvm.sh: activates the dump target's LVM logical volume without the lvm tool. LVM2's
# on-disk metadata is read here (busybox dd, od and awk), the device-mapper table LVM would load
# is built from it, and kindling-dmload (Kindling's device-mapper loader, needing only the C
# library) loads it: only the target's volume, nothing else.
#
# What is read, per block device:
#   - the label: one of sectors 0-3 starts with "LABELONE"; it holds its own sector number, a
#     crc32 of the rest of its sector, the type "LVM2 001", then the PV header: the PV's uuid
#     (32 characters), its data areas and its metadata areas (offset and size in bytes), each
#     list ending with a zero pair;
#   - each metadata area's header (512 bytes): crc32 of its last 508 bytes, the magic
#     " LVM2 x[5A%r0N*>", version 1, its own offset and size, then the location of the
#     committed metadata text (offset in the area, size with its NUL, crc32, flags); the area
#     after the header is circular, so the text may wrap round to the area's byte 512;
#   - the metadata text, whose crc32 must match.
# LVM's crc32 is the reflected CRC-32 (polynomial 0xEDB88320) from 0xf597a6cf, not inverted.
#
# Refused, with one line naming the cause (the caller then runs failure_action): a metadata area
# header or text whose checksum fails (on a physical volume of the group), copies of the group's
# metadata that disagree (seqno or text), two volume groups of the name, a metadata text placed
# outside its circular area (one that wraps round is read in its two parts), a segment type other than striped, a physical volume of the
# group that is missing (a label failing its checksum makes one), seen twice or flagged (any of
# the group's, used by the target or not: the disks seen are then not the ones expected), a
# volume group or volume with status or flags other than those known here (READ, WRITE,
# VISIBLE, RESIZEABLE, ALLOCATABLE, NOAUTOACTIVATE), segments that do not tile the volume from
# extent 0, areas beyond their physical volume's extents.
#
# Sourced by kdump-capture (it uses log and error, $timeout, $lvm_vg and $lvm_lv) and by the
# LVM tests (lvm_scan and lvm_table only).
# shellcheck disable=SC2154 # timeout, lvm_vg and lvm_lv are kdump-capture's

LVM_WORK=${LVM_WORK:-/run/kdump-lvm}
# The block devices scanned (a test narrows them with a directory of /sys/class/block's links).
LVM_SYSFS=${LVM_SYSFS:-/sys/class/block}

# lvm_crc_awk: the awk functions for LVM's crc32, over byte values (decimal).
lvm_crc_awk='
function crc_init(   i, j, c) {
    for (i = 0; i < 256; i++) {
        c = i
        for (j = 0; j < 8; j++) c = and(c, 1) ? xor(rshift(c, 1), 3988292384) : rshift(c, 1)
        CRCT[i] = c
    }
}
function crc_add(c, byte) { return xor(rshift(c, 8), CRCT[and(xor(c, byte), 255)]) }
function le(first, count,   i, v) { v = 0; for (i = first + count - 1; i >= first; i--) v = v * 256 + B[i]; return v }
function str(first, count,   i, s) { s = ""; for (i = first; i < first + count; i++) s = s sprintf("%c", B[i]); return s }
'

# lvm_label DEVICE: "UUID MDA_OFFSET MDA_SIZE..." for an LVM2 physical volume's label; nothing for
# a device without one; status 1 and a line on stderr for a label that fails its checksum.
lvm_label() {
    dd if="$1" bs=512 count=4 2>/dev/null | od -An -v -tu1 | awk -v dev="$1" "$lvm_crc_awk"'
        { for (i = 1; i <= NF; i++) B[n++] = $i }
        END {
            crc_init()
            for (s = 0; s < 4 && s * 512 + 512 <= n; s++) {
                base = s * 512
                if (str(base, 8) != "LABELONE") continue
                if (le(base + 8, 8) != s || str(base + 24, 8) != "LVM2 001") continue
                c = 4120356559
                for (i = base + 20; i < base + 512; i++) c = crc_add(c, B[i])
                if (c != le(base + 16, 4)) { print dev ": the LVM label fails its checksum" > "/dev/stderr"; exit 1 }
                p = base + le(base + 20, 4)
                if (p + 32 + 16 > base + 512) { print dev ": the LVM label is malformed" > "/dev/stderr"; exit 1 }
                out = str(p, 32)
                # Data areas, then metadata areas: each list ends with a zero offset.
                for (q = p + 40; q + 16 <= base + 512 && le(q, 8) != 0; q += 16) {}
                for (q += 16; q + 16 <= base + 512 && le(q, 8) != 0; q += 16) out = out " " le(q, 8) " " le(q + 8, 8)
                print out
                exit 0
            }
        }'
}

# lvm_bytes DEVICE START COUNT: COUNT bytes of DEVICE from byte START (read in whole sectors).
lvm_bytes() {
    local _skip=$(($2 % 512))
    dd if="$1" bs=512 skip=$(($2 / 512)) count=$(((_skip + $3 + 511) / 512)) 2>/dev/null |
        tail -c +$((_skip + 1)) | head -c "$3"
}

# lvm_mda DEVICE OFFSET SIZE TEXTFILE: the committed metadata text of the area at OFFSET into
# TEXTFILE, its checksum verified; status 2 (no line) when the area holds none or is ignored.
lvm_mda() {
    local _dev="$1" _offset="$2" _size="$3" _text="$4" _loc
    if [ $((_offset % 512)) != 0 ]; then
        echo "$_dev: LVM metadata area at byte $_offset is not sector-aligned" >&2
        return 1
    fi
    _loc=$(dd if="$_dev" bs=512 skip=$((_offset / 512)) count=1 2>/dev/null | od -An -v -tu1 |
        awk -v dev="$_dev" -v off="$_offset" -v size="$_size" "$lvm_crc_awk"'
        { for (i = 1; i <= NF; i++) B[n++] = $i }
        END {
            crc_init()
            if (n != 512) { print dev ": cannot read the LVM metadata area at byte " off > "/dev/stderr"; exit 1 }
            if (str(4, 16) != " LVM2 x[5A%r0N*>" || le(20, 4) != 1 || le(24, 8) != off || le(32, 8) != size) {
                print dev ": the LVM metadata area at byte " off " has an unknown header" > "/dev/stderr"; exit 1
            }
            c = 4120356559
            for (i = 4; i < 512; i++) c = crc_add(c, B[i])
            if (c != le(0, 4)) { print dev ": the LVM metadata area header at byte " off " fails its checksum" > "/dev/stderr"; exit 1 }
            # The first raw location is the committed metadata; flag 1: this area is ignored.
            o = le(40, 8); s = le(48, 8)
            if (o == 0 || s == 0 || and(le(60, 4), 1)) exit 2
            # The area after its header is circular: a text may wrap round to byte 512.
            if (o < 512 || o >= size || s > size - 512) { print dev ": the LVM metadata area at byte " off " locates its text outside the area" > "/dev/stderr"; exit 1 }
            print o, s, le(56, 4)
        }')
    case $? in
        0) ;;
        2) return 2 ;;
        *) return 1 ;;
    esac
    # shellcheck disable=SC2086 # three numbers, one word each
    set -- $_loc
    local _first _len="$2" _crc="$3"
    _first=$((_size - $1))
    if [ "$_len" -le "$_first" ]; then
        lvm_bytes "$_dev" $((_offset + $1)) "$_len" >"$_text.raw"
    else
        # Wrapped: the end of the area, then its start after the header.
        {
            lvm_bytes "$_dev" $((_offset + $1)) "$_first"
            lvm_bytes "$_dev" $((_offset + 512)) $((_len - _first))
        } >"$_text.raw"
    fi
    od -An -v -tu1 "$_text.raw" | awk -v dev="$_dev" -v len="$_len" -v want="$_crc" "$lvm_crc_awk"'
        BEGIN { crc_init(); c = 4120356559 }
        { for (i = 1; i <= NF; i++) { c = crc_add(c, $i); n++ } }
        END {
            if (n != len || c != want) { print dev ": the LVM metadata text fails its checksum" > "/dev/stderr"; exit 1 }
        }' || return 1
    tr -d '\000' <"$_text.raw" >"$_text"
    rm -f "$_text.raw"
}

# lvm_scan: every block device's LVM label and metadata: LVM_WORK/pvs gets "UUID MAJ:MIN DEVICE",
# LVM_WORK/copies "VGNAME VGID SEQNO TEXTFILE DEVICE" per metadata copy, LVM_WORK/bad "UUID CAUSE"
# per metadata area that cannot be read (refused by lvm_table when the volume group lists UUID).
lvm_scan() {
    local _sys _name _dev _label _uuid _n=0 _status _text _cause
    rm -rf "$LVM_WORK"
    mkdir -p "$LVM_WORK"
    : >"$LVM_WORK/pvs"
    : >"$LVM_WORK/copies"
    : >"$LVM_WORK/bad"
    for _sys in "$LVM_SYSFS"/*; do
        _name=${_sys##*/}
        _dev=/dev/$_name
        case $_name in dm-* | ram* | zram*) continue ;; esac
        if [ "$(cat "$_sys/size" 2>/dev/null)" = 0 ] || [ ! -b "$_dev" ]; then
            continue
        fi
        # A label that fails its checksum is not a physical volume (its line goes to stderr).
        _label=$(lvm_label "$_dev") || continue
        [ -n "$_label" ] || continue
        # shellcheck disable=SC2086 # the uuid, then offset and size pairs: one word each
        set -- $_label
        _uuid=$1
        shift
        echo "$_uuid $(cat "$_sys/dev") $_dev" >>"$LVM_WORK/pvs"
        while [ $# -ge 2 ]; do
            _n=$((_n + 1))
            _text=$LVM_WORK/meta.$_n
            _status=0
            _cause=$(lvm_mda "$_dev" "$1" "$2" "$_text" 2>&1) || _status=$?
            shift 2
            [ "$_status" = 2 ] && continue
            if [ "$_status" != 0 ]; then
                echo "$_uuid ${_cause##*
}" >>"$LVM_WORK/bad"
                continue
            fi
            awk -v text="$_text" -v dev="$_dev" '
                NR == 1 && $2 == "{" { vg = $1; next }
                vg != "" && $1 == "id" && id == "" { id = $3 }
                vg != "" && $1 == "seqno" && seq == "" { seq = $3 }
                END { if (vg != "") print vg, id, seq, text, dev }' "$_text" >>"$LVM_WORK/copies"
        done
    done
}

# lvm_table VG LV: after lvm_scan, the device-mapper uuid and table of VG/LV, as LVM builds them:
# "uuid LVM-..." then one line per segment.
lvm_table() {
    local _vg="$1" _lv="$2" _ids _seqs _first _name _text
    _first=$(awk -v vg="$_vg" '$1 == vg { print $4; exit }' "$LVM_WORK/copies")
    if [ -z "$_first" ]; then
        if [ -s "$LVM_WORK/bad" ]; then
            echo "volume group $_vg not found (and LVM metadata that cannot be read: $(sed -n '1s/^[^ ]* //p' "$LVM_WORK/bad"))"
        else
            echo "volume group $_vg not found"
        fi
        return 1
    fi
    _ids=$(awk -v vg="$_vg" '$1 == vg { print $2 }' "$LVM_WORK/copies" | sort -u | wc -l)
    if [ "$_ids" != 1 ]; then
        echo "several volume groups are named $_vg"
        return 1
    fi
    _seqs=$(awk -v vg="$_vg" '$1 == vg { print $3 }' "$LVM_WORK/copies" | sort -u | wc -l)
    if [ "$_seqs" != 1 ]; then
        echo "the metadata copies of volume group $_vg disagree (seqno $(awk -v vg="$_vg" '$1 == vg { printf "%s%s on %s", n++ ? ", " : "", $3, $5 }' "$LVM_WORK/copies"))"
        return 1
    fi
    # The files are LVM_WORK/meta.N: one word each.
    while read -r _name _ _ _text _; do
        if [ "$_name" = "$_vg" ] && ! cmp -s "$_first" "$_text"; then
            echo "the metadata copies of volume group $_vg disagree (the same seqno, other text)"
            return 1
        fi
    done <"$LVM_WORK/copies"
    awk -v vg="$_vg" -v lv="$_lv" -v pvfile="$LVM_WORK/pvs" -v badfile="$LVM_WORK/bad" '
    function fail(msg) { print msg; failed = 1; exit 1 }
    function token(t) { T[++nt] = t }
    # LVM writes ids with dashes; the label holds the 32 characters alone.
    function bare(id) { gsub(/-/, "", id); return id }
    # The names of a status or flags list, each quoted name checked against the allowed ones.
    function only(list, allowed, what,   n, a, i) {
        n = split(list, a, SUBSEP)
        for (i = 1; i <= n; i++) if (index(" " allowed " ", " " a[i] " ") == 0) fail(what " has status or flag " a[i] ", which the kdump image does not handle")
    }
    function has(list, name,   n, a, i) {
        n = split(list, a, SUBSEP)
        for (i = 1; i <= n; i++) if (a[i] == name) return 1
        return 0
    }
    {
        line = $0
        while (line != "") {
            c = substr(line, 1, 1)
            if (c ~ /[ \t\r]/) { line = substr(line, 2); continue }
            if (c == "#") break
            if (index("{}=,[]", c)) { token(c); line = substr(line, 2); continue }
            if (c == "\"") {
                s = ""; i = 2
                while (i <= length(line) && substr(line, i, 1) != "\"") {
                    if (substr(line, i, 1) == "\\") i++
                    s = s substr(line, i, 1); i++
                }
                token("\"" s); line = substr(line, i + 1); continue
            }
            if (match(line, /^[A-Za-z0-9_.+-]+/)) { token(substr(line, 1, RLENGTH)); line = substr(line, RLENGTH + 1); continue }
            fail("volume group " vg ": unexpected text in its metadata: " line)
        }
    }
    END {
        if (failed) exit 1
        # Sections nest as a path (a/b/c); values are V[path "/" key], lists joined by SUBSEP,
        # quoted strings without their quotes. KIDS[path]: the sections right under path.
        depth = 0; i = 1
        while (i <= nt) {
            t = T[i]
            if (t == "}") { if (depth == 0) fail("volume group " vg ": unbalanced metadata"); depth--; i++; continue }
            if (T[i + 1] == "{") {
                parent = depth ? P[depth] : ""
                P[++depth] = (parent == "" ? "" : parent "/") t
                KIDS[parent] = KIDS[parent] " " t
                i += 2; continue
            }
            if (T[i + 1] != "=") fail("volume group " vg ": unexpected " t " in its metadata")
            key = (depth ? P[depth] "/" : "") t; i += 2
            if (T[i] == "[") {
                v = ""; k = 0
                for (i++; i <= nt && T[i] != "]"; i++) {
                    if (T[i] == ",") continue
                    x = T[i]; sub(/^"/, "", x)
                    v = k++ ? v SUBSEP x : x
                }
                i++
            } else { v = T[i]; sub(/^"/, "", v); i++ }
            V[key] = v
        }
        if (depth != 0) fail("volume group " vg ": unbalanced metadata")
        if (KIDS[""] != " " vg) fail("volume group " vg ": its metadata holds" KIDS[""])
        only(V[vg "/status"], "RESIZEABLE READ WRITE", "volume group " vg)
        if (!has(V[vg "/status"], "WRITE")) fail("volume group " vg " is not writable")
        only(V[vg "/flags"], "NOAUTOACTIVATE", "volume group " vg)
        ext = V[vg "/extent_size"] + 0
        if (ext <= 0) fail("volume group " vg ": no extent_size")
        l = vg "/logical_volumes/" lv
        if (index(KIDS[vg "/logical_volumes"] " ", " " lv " ") == 0)
            fail("logical volume " vg "/" lv " is not in volume group " vg)
        only(V[l "/status"], "READ WRITE VISIBLE", "logical volume " vg "/" lv)
        if (!has(V[l "/status"], "READ") || !has(V[l "/status"], "WRITE") || !has(V[l "/status"], "VISIBLE"))
            fail("logical volume " vg "/" lv " is not READ, WRITE and VISIBLE")
        only(V[l "/flags"], "NOAUTOACTIVATE", "logical volume " vg "/" lv)
        # A physical volume of the group whose metadata area cannot be read: refused.
        while ((getline badline < badfile) > 0) {
            id = badline; sub(/ .*/, "", id); cause = badline; sub(/^[^ ]* /, "", cause)
            BAD[id] = cause
        }
        while ((getline pvline < pvfile) > 0) {
            split(pvline, f, " ")
            SEEN[f[1]]++; DEVNUM[f[1]] = f[2]; DEVNAME[f[1]] = f[3]
        }
        # Every physical volume of the group must be there, once, unflagged: a missing one is
        # refused even when the target does not use it (the disks seen are not the ones expected).
        npv = split(substr(KIDS[vg "/physical_volumes"], 2), pvs, " ")
        for (p = 1; p <= npv; p++) {
            pv = vg "/physical_volumes/" pvs[p]
            id = bare(V[pv "/id"])
            if (id in BAD) fail(BAD[id])
            if (SEEN[id] == 0) fail("physical volume " V[pv "/id"] " (" pvs[p] " of volume group " vg ", was " V[pv "/device"] ") is missing")
            if (SEEN[id] > 1) fail("physical volume " V[pv "/id"] " of volume group " vg " is on several devices")
            only(V[pv "/status"], "ALLOCATABLE", "physical volume " DEVNAME[id])
            only(V[pv "/flags"], "", "physical volume " DEVNAME[id])
        }
        nseg = split(substr(KIDS[l], 2), segs, " ")
        if (nseg == 0 || nseg != V[l "/segment_count"]) fail("logical volume " vg "/" lv ": segment_count " V[l "/segment_count"] " but " nseg " segments")
        # The segments in extent order; they must tile the volume from extent 0.
        for (s = 1; s <= nseg; s++) ORDER[s] = l "/" segs[s]
        for (s = 2; s <= nseg; s++) for (r = s; r > 1 && V[ORDER[r] "/start_extent"] + 0 < V[ORDER[r - 1] "/start_extent"] + 0; r--) { x = ORDER[r]; ORDER[r] = ORDER[r - 1]; ORDER[r - 1] = x }
        print "uuid LVM-" bare(V[vg "/id"]) bare(V[l "/id"])
        next_extent = 0
        for (s = 1; s <= nseg; s++) {
            g = ORDER[s]
            if (V[g "/type"] != "striped") fail("logical volume " vg "/" lv " has a segment of type " V[g "/type"] ": the kdump image activates linear and striped volumes only")
            start = V[g "/start_extent"] + 0; count = V[g "/extent_count"] + 0; n = V[g "/stripe_count"] + 0
            if (start != next_extent || count <= 0 || n < 1 || count % n != 0) fail("logical volume " vg "/" lv ": segment " g " does not follow on (start " start ", " count " extents, " n " stripes)")
            next_extent = start + count
            k = split(V[g "/stripes"], area, SUBSEP)
            if (k != 2 * n) fail("logical volume " vg "/" lv ": segment " g " lists " k / 2 " stripes, not " n)
            if (n > 1) {
                chunk = V[g "/stripe_size"] + 0
                if (chunk <= 0) fail("logical volume " vg "/" lv ": striped segment " g " without stripe_size")
                out = (start * ext) " " (count * ext) " striped " n " " chunk
            } else out = (start * ext) " " (count * ext) " linear"
            for (a = 1; a <= k; a += 2) {
                pv = vg "/physical_volumes/" area[a]
                if (!(pv "/id" in V)) fail("logical volume " vg "/" lv " uses " area[a] ", which volume group " vg " does not list")
                id = bare(V[pv "/id"])
                first = area[a + 1] + 0
                if (first + count / n > V[pv "/pe_count"] + 0) fail("logical volume " vg "/" lv ": segment " g " runs past the end of " DEVNAME[id])
                out = out " " DEVNUM[id] " " (V[pv "/pe_start"] + first * ext)
            }
            print out
        }
    }' "$_first"
}

# lvm_dm_name VG LV: the device-mapper name LVM gives VG/LV: each '-' doubled, joined by one.
lvm_dm_name() {
    printf '%s-%s\n' "$(printf '%s' "$1" | sed 's/-/--/g')" "$(printf '%s' "$2" | sed 's/-/--/g')"
}

# lvm_activate: activates the target's logical volume, and nothing else of its volume group or
# of any other, once it is there (physical volumes may come up late), within rd.timeout.
lvm_activate() {
    local _left="$timeout" _out _cause _name _uuid
    [ -n "$lvm_vg" ] || return 0
    modprobe -q dm_mod 2>/dev/null
    _name=$(lvm_dm_name "$lvm_vg" "$lvm_lv")
    log "activating logical volume $lvm_vg/$lvm_lv (up to ${timeout}s)"
    while :; do
        if ! lvm_scan 2>"$LVM_WORK.err"; then
            _cause=$(tail -n 1 "$LVM_WORK.err")
        elif ! _out=$(lvm_table "$lvm_vg" "$lvm_lv"); then
            _cause=${_out##*
}
        else
            _uuid=$(printf '%s\n' "$_out" | sed -n '1s/^uuid //p')
            # It creates, loads, resumes and makes /dev/mapper/NAME; on a failure it removes
            # what it made, so that nothing half-made stays.
            if ! _out=$(printf '%s\n' "$_out" | sed 1d | kindling-dmload create "$_name" "$_uuid" 2>&1); then
                error "logical volume $lvm_vg/$lvm_lv cannot be activated: ${_out##*
}"
                return 1
            fi
            mkdir -p "/dev/$lvm_vg"
            ln -sf "../mapper/$_name" "/dev/$lvm_vg/$lvm_lv"
            log "logical volume $lvm_vg/$lvm_lv is active: $(kindling-dmload table "$_name" 2>/dev/null | paste -sd '|')"
            return 0
        fi
        [ "$_left" -gt 0 ] || break
        _left=$((_left - 1))
        sleep 1
    done
    error "$_cause"
    return 1
}
