# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034,SC2016 # the matrix sets the shared state; eval strings expand later
# Sourced by ../fault-matrix.sh: the unpacker that an archive could turn against files outside its
# destination, the output lock that another user could hold, what a killed build leaves, and
# symlinks a module made that would lead the engine's writes out of the image.

# --- 15. kindling-lsinitrd --unpack: a member replaces what an earlier one made -------------------
# A directory made setuid, then replaced by a symlink to a file outside: the directory's mode,
# applied at the end, must not reach that file (it did: any file could be made setuid, as root).
# The two members sit in two concatenated archives, as an early and a main cpio would.
cases=$((cases + 1))
unpack=$work/unpack
mkdir -p "$unpack/first/d" "$unpack/second" "$unpack/first-file" "$unpack/second-file" "$unpack/out"
printf 'victim\n' >"$unpack/victim"
chmod 0644 "$unpack/victim"
mkdir -p "$unpack/victim-directory"
chmod 0700 "$unpack/victim-directory"
chmod 04755 "$unpack/first/d"
ln -s "$unpack/victim" "$unpack/second/d"
mkdir "$unpack/first/e"
chmod 0777 "$unpack/first/e"
ln -s ../victim-directory "$unpack/second/e"
for part in first second; do
    (cd "$unpack/$part" && printf '%s\n' d e | cpio -o -H newc --quiet) >"$unpack/$part.cpio"
done
cat "$unpack/first.cpio" "$unpack/second.cpio" >"$unpack/evil.img"
(cd "$unpack/out" && "$KINDLING_LSINITRD" --unpack "$unpack/evil.img") >"$work/log" 2>&1
status=$?
expect "unpack: the archive is unpacked" eval '((status == 0)) && [[ -L $unpack/out/d && -L $unpack/out/e ]]'
expect "unpack: a directory's mode does not follow the symlink that replaced it (file)" \
    test "$(stat -c %a "$unpack/victim")" = 644
expect "unpack: a directory's mode does not follow the symlink that replaced it (directory)" \
    test "$(stat -c %a "$unpack/victim-directory")" = 700
rm -rf "$unpack"

# --- 16. the output lock: another user cannot stall root's builds; a live build is waited for,
# for at most --lock-timeout seconds, and named when the wait ends --------------------------------
# Another user may open (and flock) any directory they can read, /boot included: the lock is a
# root-only file under /run/kindling instead, so that user's lock does not matter.
cases=$((cases + 1))
shared=$(mktemp -d /tmp/kindling-shared.XXXXXX)
chmod 0755 "$shared"
setpriv --reuid=nobody --regid=nogroup --clear-groups flock "$shared" sleep 60 >/dev/null 2>&1 &
squatter=$!
sleep 0.5
KINDLING_IMAGE=$shared/initrd.img run_kindling --no-kernel -m run --lock-timeout 20
expect "lock: another user's lock on the output directory does not stall the build" \
    eval '((status == 0)) && [[ -s $shared/initrd.img ]] && kill -0 "$squatter" 2>/dev/null'
kill "$squatter" 2>/dev/null
wait "$squatter" 2>/dev/null
expect "lock: the lock directory is root's alone" eval '[[ $(stat -c "%U %a" /run/kindling) == "root 700" ]]'
expect "lock: no other user can open a lock file" \
    eval '! setpriv --reuid=nobody --regid=nogroup --clear-groups cat /run/kindling/*.lock >/dev/null 2>&1'

# A slow build (five minutes, ended by the test) holds the lock; the next one gives up after --lock-timeout, naming it, and leaves
# the slow build's directory as it was.
cp -p "$work/old.img" "$shared/initrd.img"
FAULT_INSTALL='sleep 300' "$KINDLING" "${common[@]}" --force --no-kernel -m run "$shared/slow.img" >"$work/slow.log" 2>&1 &
holder=$!
for _ in $(seq 300); do grep -q 'Including module: run' "$work/slow.log" && break; sleep 0.1; done
started=$SECONDS
KINDLING_IMAGE=$shared/initrd.img run_kindling --no-kernel -m run --lock-timeout 2
last=$(tail -n 1 "$work/log")
expect "lock: the wait ends after --lock-timeout" eval '((status == 1 && SECONDS - started <= 10))'
expect "lock: the error names the build that holds the lock" \
    eval '[[ $last == "kindling: cannot lock $shared: build $holder (kindling) has held it for 2 s (--lock-timeout)" ]]'
expect "lock: the image that build would replace is untouched" cmp -s "$shared/initrd.img" "$work/old.img"
# Ctrl-C always ends a build, while it waits for the lock too. (The log is the last case's until
# this build starts writing it.)
rm -f "$work/log"
KINDLING_IMAGE=$shared/initrd.img run_kindling --no-kernel -m run --lock-timeout 0 &
waiter=$!
for _ in $(seq 300); do grep -q 'Waiting for build' "$work/log" && break; sleep 0.1; done
signalled=$SECONDS
pkill -INT -f -- "--lock-timeout 0 $shared/initrd.img"
wait "$waiter"
expect "lock: SIGINT ends a build that waits for the lock" \
    eval '((SECONDS - signalled <= 5)) && tail -n 1 "$work/log" | grep -q "interrupted by signal 2"'
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect "lock: the other build was not disturbed and cleaned up after itself" \
    test -z "$(find "$TMPDIR" "$shared" -mindepth 1 -name '*kindling*' 2>/dev/null)"
rm -rf "$shared"

# --- 17. leftovers of a build killed with SIGKILL ---------------------------------------------------
# The partial image beside the target and the staging directory are removed by the next build of
# that image, and only they: not a file of another pattern, not another user's, not a live build's.
cases=$((cases + 1))
head -c $((48 << 20)) /dev/urandom >"$work/huge"
"$KINDLING" "${common[@]}" --force --no-kernel -m run -I "$work/huge" --compress "xz -6 -T1" "$image" >"$work/killed.log" 2>&1 &
killed=$!
for _ in $(seq 600); do
    [[ -n $(find "${image%/*}" -maxdepth 1 -name ".${image##*/}.kindling-*" -size +0 2>/dev/null) ]] && break
    sleep 0.05
done
kill -KILL "$killed"
wait "$killed" 2>/dev/null
pkill -KILL -x xz
rm -f "$work/huge"
leftovers=$(find "${image%/*}" "$TMPDIR" -mindepth 1 -maxdepth 1 -name '*kindling*' | wc -l)
expect "leftovers: a killed build leaves its partial image and staging directory" test "$leftovers" = 2
others=("${image%/*}/.${image##*/}.kindling-short" "${image%/*}/.${image##*/}.kindling-NOBODY")
: >"${others[0]}"
: >"${others[1]}"
chown nobody "${others[1]}"
mkdir "$TMPDIR/kindling.nobody"
chown nobody "$TMPDIR/kindling.nobody"
touch -d '1 hour ago' "${others[@]}" "$TMPDIR/kindling.nobody"
sleep 2.1 # the staging directory is older than the next build by two seconds, the image by one
run_kindling --no-kernel -m run
expect "leftovers: the next build succeeds and says what it removed" \
    eval '((status == 0)) && (($(grep -c "left by a build that was killed" "$work/log") == 2))'
expect "leftovers: the killed build's partial image and staging directory are gone" \
    test -z "$(find "${image%/*}" "$TMPDIR" -mindepth 1 -maxdepth 1 -name '*kindling*' \
        ! -name 'kindling.nobody' ! -name '*kindling-short' ! -name '*kindling-NOBODY')"
expect "leftovers: files of another pattern or owner are kept" \
    eval '[[ -e ${others[0]} && -e ${others[1]} && -d $TMPDIR/kindling.nobody ]]'
rm -rf "${others[@]}" "$TMPDIR/kindling.nobody"
cp -p "$work/old.img" "$image"

# --- 18. symlinks that module code made in the image, out of it -------------------------------------
# What the engine writes after the modules ran (modules.txt, build-parameter.txt, fstab, the
# command line, hostonly-files...) goes where the image's own paths lead: an absolute symlink in
# the image means the image's path, and one that leads nowhere in the image is refused, naming it,
# instead of being followed onto the host.
cases=$((cases + 1))
victim=$work/victim
mkdir -p "$victim"
FAULT_INSTALL='rm -rf "$initdir/lib/dracut"; ln -sfn '"$victim"' "$initdir/lib/dracut"' run_kindling --no-kernel -m run
expect_failure "a module's symlink out of the image" 1 "/lib/dracut: .* is a symlink in the image that leads nowhere in it"
expect "nothing was written through it onto the host" test -z "$(ls -A "$victim")"
FAULT_INSTALL='mkdir -p "$initdir/elsewhere"; rm -rf "$initdir/lib/dracut"; ln -sfn /elsewhere "$initdir/lib/dracut"' \
    KINDLING_IMAGE=$work/inside.img run_kindling --no-kernel -m run --kernel-cmdline quiet
mkdir -p "$work/inside-tree"
unpack_image "$work/inside.img" "$work/inside-tree"
expect "an absolute symlink in the image leads to the image's own path" \
    eval '((status == 0)) && [[ -s $work/inside-tree/elsewhere/build-parameter.txt && -s $work/inside-tree/elsewhere/modules.txt ]] && [[ ! -e /elsewhere ]]'
rm -rf "$victim" "$work/inside.img" "$work/inside-tree"
# depmod -b follows the host's view of the image: a module that moved lib/modules behind an
# absolute symlink (to a directory the image has and the host has not) must not send it elsewhere.
if [[ -n ${tree-} && -d ${tree-} ]]; then
    FAULT_KMODS=virtio_blk FAULT_INSTALL='mkdir -p "$initdir/opt/kindling-mods"; cp -a "$initdir/lib/modules/." "$initdir/opt/kindling-mods/"
        rm -rf "$initdir/lib/modules"; ln -s /opt/kindling-mods "$initdir/lib/modules"' \
        run_kindling --kver "$kver" --kmoddir "$tree" -m "kmods run"
    expect_failure "depmod through a module's symlink" 1 "/lib/modules/$kver: .*a symlink in the image leads out of it"
    expect "depmod wrote nothing on the host" test ! -e /opt/kindling-mods
fi
