#!/bin/bash
# --explain-svg and kindling-lsinitrd --svg: the image drawn as a treemap. The map is well-formed
# XML that loads nothing, its total is the sum of --explain's sizes, each module of --explain is a
# top-level box with the module's bytes; lsinitrd draws a dracut 059 image by directory; and a
# real browser (headless Chromium) draws the map of a kdump image with each module's share of the
# pixels equal to its share of the bytes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
modules=$here/../fixtures/engine/modules.d
map_pixels=$here/../support/map-pixels
name=explain-svg

make_work_directory
command -v xmllint >/dev/null || give_up "xmllint is not installed (apt-get install libxml2-utils)"
command -v python3 >/dev/null || give_up "python3 is not installed"
[[ -x $KINDLING ]] || give_up "no kindling binary at $KINDLING"

# XPath over a map: the SVG's elements are in its namespace, so they are matched by local name.
svg_value() { xmllint --xpath "$2" "$1" 2>/dev/null; }
map_total() { svg_value "$1" 'string(//*[local-name()="g"][@id="map"]/@data-bytes)'; }
# "BYTES NAME" for each top-level box, one a line.
top_level_boxes() {
    local svg=$1 count index
    count=$(svg_value "$svg" 'count(//*[@id="map"]/*[local-name()="g"])')
    for ((index = 1; index <= count; index++)); do
        printf '%s %s\n' "$(svg_value "$svg" "string(//*[@id=\"map\"]/*[local-name()=\"g\"][$index]/@data-bytes)")" \
            "$(svg_value "$svg" "string(//*[@id=\"map\"]/*[local-name()=\"g\"][$index]/@data-name)")"
    done
}
# The bytes --explain's rows add up to, and its summary as "BYTES MODULE" lines.
report_total() { grep -av '^#' "$1" | awk -F'\t' '{ s += $1 } END { print s + 0 }'; }
report_modules() { grep -aP '^#\t[0-9]+\t' "$1" | awk -F'\t' '{ print $2, $3 }'; }

# Checks MAP against REPORT (both of one build): well formed, nothing loaded, the same total,
# and each module a top-level box with the module's bytes (a module without bytes has no area:
# the title line names it). LABEL starts each check's name.
check_map_against_report() {
    local label=$1 map=$2 report=$3 missing=() bytes module caption
    if xmllint --noout "$map" 2>"$work/xmllint.log"; then pass "$label: the map is well-formed XML"; else
        fail "$label: the map is well-formed XML: $(head -n 3 "$work/xmllint.log")"
    fi
    if ! grep -qiE '<script|<image|<foreignObject|href=|url\(|@import' "$map"; then
        pass "$label: the map loads nothing and runs nothing"
    else
        fail "$label: the map loads nothing and runs nothing: $(grep -oiE '<script|<image|<foreignObject|href=|url\(|@import' "$map" | sort -u | tr '\n' ' ')"
    fi
    if [[ $(map_total "$map") == "$(report_total "$report")" && $(report_total "$report") -gt 0 ]]; then
        pass "$label: the map's total is the sum of --explain's sizes ($(report_total "$report") bytes)"
    else
        fail "$label: the map's total is the sum of --explain's sizes: $(map_total "$map") vs $(report_total "$report")"
    fi
    top_level_boxes "$map" >"$work/boxes"
    caption=$(svg_value "$map" 'string(/*/*[local-name()="title"])')
    while read -r bytes module; do
        if ((bytes > 0)); then
            grep -qxF "$bytes $module" "$work/boxes" || missing+=("$module ($bytes bytes)")
        else
            [[ $caption == *"no bytes from: "*"$module"* ]] || missing+=("$module (no bytes, not in the title)")
        fi
    done < <(report_modules "$report")
    if ((${#missing[@]} == 0)) && (($(wc -l <"$work/boxes") == $(report_modules "$report" | awk '$1 > 0' | wc -l))); then
        pass "$label: each module of --explain is a top-level box with its bytes ($(wc -l <"$work/boxes") boxes)"
    else
        fail "$label: each module of --explain is a top-level box with its bytes; not so: ${missing[*]-} (boxes: $(tr '\n' ',' <"$work/boxes"))"
    fi
}

# --- --explain and --explain-svg together, with file names that are not text -------------------
# Markup characters, a byte that is not UTF-8 and a control character, included with -i.
mkdir -p "$work/odd"
printf 'odd' >"$work/odd/"$'a&b<c>"\'d\xff\x01'
if "$KINDLING" --no-kernel --no-hostonly --modules-dir "$modules" -m helpers --force --nostrip \
    --include "$work/odd" /odd --explain "$work/report" --explain-svg "$work/map.svg" \
    "$work/helpers.img" >"$work/log" 2>&1; then
    pass "builds with --explain and --explain-svg"
else
    fail "builds with --explain and --explain-svg"; cat "$work/log"
fi
check_map_against_report helpers "$work/map.svg" "$work/report"
if grep -q '<title>/odd/a&amp;b&lt;c&gt;&quot;&apos;d' "$work/map.svg"; then
    pass "a file name with markup, a raw byte and a control character is in its tooltip, escaped"
else
    fail "a file name with markup, a raw byte and a control character is in its tooltip, escaped"
fi

# --explain FILE.svg draws the same map.
if "$KINDLING" --no-kernel --no-hostonly --modules-dir "$modules" -m helpers --force --nostrip \
    --include "$work/odd" /odd --explain "$work/alone.svg" "$work/helpers.img" >"$work/log" 2>&1 &&
    cmp -s "$work/alone.svg" "$work/map.svg"; then
    pass "--explain FILE.svg draws the map --explain-svg draws"
else
    fail "--explain FILE.svg draws the map --explain-svg draws"; head -c 300 "$work/alone.svg"; tail -n 3 "$work/log"
fi

# A map that cannot be written stops the build before it starts, naming the file, and the old
# image stays.
cp "$work/helpers.img" "$work/before.img"
if "$KINDLING" --no-kernel --no-hostonly --modules-dir "$modules" -m helpers --force \
    --explain-svg "$work/no/such/dir/map.svg" "$work/helpers.img" >"$work/log" 2>&1; then
    fail "an unwritable map fails the build"
else
    expected="kindling: cannot write the --explain-svg map to '$work/no/such/dir/map.svg': directory $work/no/such/dir does not exist"
    if grep -qxF "$expected" "$work/log" && ! grep -q 'Including module' "$work/log" &&
        cmp -s "$work/helpers.img" "$work/before.img"; then
        pass "an unwritable map fails before the build, in one line naming it, and keeps the image"
    else
        fail "an unwritable map fails before the build, in one line naming it, and keeps the image"; cat "$work/log"
    fi
fi

# --- kindling-lsinitrd --svg on an image dracut 059 built -----------------------------------------
# Early microcode (from a firmware directory) and a zstd main archive: both of lsinitrd's paths.
dracut_image() {
    command -v dracut >/dev/null || { fail "lsinitrd --svg on a dracut image: dracut is not installed"; return 1; }
    mkdir -p "$work/fw/intel-ucode"
    printf 'intel microcode' >"$work/fw/intel-ucode/06-55-04"
    printf 'fw_dir="%s"\n' "$work/fw" >"$work/microcode.conf"
    dracut --force --zstd --conf "$work/microcode.conf" --no-kernel --no-hostonly -m "base bash" \
        "$work/dracut.img" >"$work/dracut.log" 2>&1 || { fail "lsinitrd --svg: dracut failed"; cat "$work/dracut.log"; return 1; }
}
if dracut_image; then
    if "$KINDLING_LSINITRD" --svg "$work/dracut.svg" "$work/dracut.img" >"$work/lsinitrd.out" 2>&1 &&
        xmllint --noout "$work/dracut.svg" 2>"$work/xmllint.log"; then
        pass "lsinitrd --svg draws dracut's image as well-formed XML"
    else
        fail "lsinitrd --svg draws dracut's image as well-formed XML"; cat "$work/lsinitrd.out" "$work/xmllint.log"
    fi
    top_level_boxes "$work/dracut.svg" >"$work/dracut-boxes"
    directories=$(svg_value "$work/dracut.svg" 'count(//*[local-name()="g"][@class="directory"])')
    if grep -qx '[0-9]* usr' "$work/dracut-boxes" && grep -qx '[0-9]* early' "$work/dracut-boxes" && ((directories >= 10)); then
        pass "lsinitrd --svg: top directories and the early archive at the top, $directories directory boxes"
    else
        fail "lsinitrd --svg: top directories and the early archive at the top ($directories directory boxes): $(tr '\n' ',' <"$work/dracut-boxes")"
    fi
    # The map's total is what the archives hold: every regular file once (hardlinks share data).
    mkdir -p "$work/dracut-main"
    /usr/lib/dracut/skipcpio "$work/dracut.img" | zstd -dcq | (cd "$work/dracut-main" && cpio -id --quiet 2>/dev/null)
    unpack_early "$work/dracut.img" "$work/dracut-early"
    unpacked=$(find "$work/dracut-main" "$work/dracut-early" -type f -printf '%D %i %s\n' | sort -u | awk '{ s += $3 } END { print s }')
    if [[ $(map_total "$work/dracut.svg") == "$unpacked" ]]; then
        pass "lsinitrd --svg: the total is the bytes of the image's files ($unpacked)"
    else
        fail "lsinitrd --svg: the total is the bytes of the image's files: $(map_total "$work/dracut.svg") vs $unpacked"
    fi
fi

# --- a kdump image, drawn by a real browser -------------------------------------------------------
kdump_map() {
    local kver root
    read -r kver root < <("$here/../support/kernel-cache") || { fail "kdump map: the test kernel is unavailable"; return 1; }
    KDUMP_CONFIG_FILE=$here/../../Documentation/examples/kdump.conf "$KINDLING" --force --kver "$kver" \
        --kmoddir "$root/lib/modules/$kver" -m kdumpbase -o "plymouth resume ifcfg earlykdump" \
        --explain "$work/kdump.txt" --explain-svg "$work/kdump.svg" "$work/kdump.img" >"$work/kdump.log" 2>&1 ||
        { fail "kdump map: the kdump image did not build"; tail -n 5 "$work/kdump.log"; return 1; }
}
if kdump_map; then
    check_map_against_report kdump "$work/kdump.svg" "$work/kdump.txt"
    # lsinitrd draws the same bytes from the image itself (leaving out an early archive, which
    # --explain does not see).
    "$KINDLING_LSINITRD" --svg "$work/kdump-lsinitrd.svg" "$work/kdump.img" >/dev/null 2>&1
    lsinitrd_total=$(top_level_boxes "$work/kdump-lsinitrd.svg" | awk '$2 != "early" { s += $1 } END { print s + 0 }')
    if [[ $lsinitrd_total == "$(map_total "$work/kdump.svg")" ]]; then
        pass "kdump: lsinitrd --svg counts the bytes --explain-svg counts ($lsinitrd_total)"
    else
        fail "kdump: lsinitrd --svg counts the bytes --explain-svg counts: $lsinitrd_total vs $(map_total "$work/kdump.svg")"
    fi

    if command -v chromium >/dev/null; then
        width=$(svg_value "$work/kdump.svg" 'string(/*/@width)')
        height=$(svg_value "$work/kdump.svg" 'string(/*/@height)')
        # As root, Chromium runs only without its sandbox; its profile goes into $work.
        timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
            --user-data-dir="$work/chromium" --screenshot="$work/kdump.png" --window-size="$width,$height" \
            "file://$work/kdump.svg" >"$work/chromium.log" 2>&1
        if [[ -s $work/kdump.png ]] && "$map_pixels" "$work/kdump.svg" "$work/kdump.png" >"$work/pixels"; then
            pass "Chromium draws the kdump map (${width}x$height)"
        else
            fail "Chromium draws the kdump map"; tail -n 5 "$work/chromium.log"
        fi
        colours=$(awk '$1 == "colours" { print $2 }' "$work/pixels")
        if ((${colours:-0} >= 100)); then pass "the drawing is not blank ($colours colours)"; else fail "the drawing is not blank: ${colours:-no} colours"; fi
        # Boxes are listed largest first: the first must have the most pixels of its hue.
        largest=$(awk '$1 == "box" { print $4; exit }' "$work/pixels")
        most_pixels=$(awk '$1 == "box" && $3 > best { best = $3; name = $4 } END { print name }' "$work/pixels")
        if [[ -n $largest && $largest == "$most_pixels" ]]; then
            pass "the largest module ($largest) has the largest area on screen"
        else
            fail "the largest module ($largest) has the largest area on screen, not $most_pixels"; cat "$work/pixels"
        fi
        # And each module's share of the coloured pixels is its share of the bytes, to within
        # one point (frames and labels take a little).
        off=$(awk '$1 == "box" { bytes[$4] = $2; pixels[$4] = $3; b += $2; p += $3 }
            END { for (m in bytes) { d = 100 * (pixels[m] / p - bytes[m] / b); if (d > 1 || d < -1) printf "%s %+.1f points ", m, d } }' "$work/pixels")
        if [[ -z $off ]]; then pass "each module's share of the screen is its share of the bytes"; else
            fail "each module's share of the screen is its share of the bytes: $off"; cat "$work/pixels"
        fi
    else
        fail "kdump map: chromium is not installed (apt-get install chromium), so no browser drew it"
    fi
fi
finish
