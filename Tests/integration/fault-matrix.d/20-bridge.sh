# shellcheck shell=bash
# shellcheck disable=SC2016,SC2154 # expect's code is expanded when it runs; work, image, common: fault-matrix.sh's
# Sourced by ../fault-matrix.sh: what a module or a configuration file leaves behind or redefines
# must not hold the bridge, and a signal must end a build wherever it waits.
#   - a module's daemon (setsid, inheriting the shell's descriptors): the build ends, the image is
#     complete, the next build does not wait; the daemon sees none of the engine's descriptors;
#   - SIGINT while the shell is waited on and a daemon holds its pipes;
#   - one 50 MB line of module output: linear, and cut in the log;
#   - functions named printf, read, local, return, cat, command, [ ... in module code;
#   - a background job, exit and a long command in a configuration file;
#   - SIGTERM while waiting for another build's lock.

bridge=$work/bridge
mkdir -p "$bridge/out" "$bridge/conf.d"
# Ends the daemon a case left running (its pid is in FILE).
end_daemon() {
    local pid
    pid=$(cat "$1" 2>/dev/null) && [[ -n $pid ]] && kill "$pid" 2>/dev/null
    rm -f "$1"
}

# --- a daemon left behind by install() ------------------------------------------------------------
cases=$((cases + 1))
started=$SECONDS
FAULT_PIDFILE=$bridge/daemon.pid FAULT_FD_LIST=$bridge/daemon.fds KINDLING_IMAGE=$bridge/out/initrd.img \
    run_kindling --no-kernel -m "run daemon"
took=$((SECONDS - started))
expect "a module's daemon: the build exits 0 (status $status)" test "$status" = 0
expect "a module's daemon: the build ends within 20 s (took $took s)" test "$took" -le 20
expect "a module's daemon: the image is complete" \
    eval '"$KINDLING_LSINITRD" "$bridge/out/initrd.img" >/dev/null 2>&1 && list_image "$bridge/out/initrd.img" | grep -qx "usr/lib/dracut/modules.txt"'
expect "a module's daemon is still running (the case tests what it holds)" \
    eval 'kill -0 "$(cat "$bridge/daemon.pid")"'
# The daemon's descriptors: the standard ones (/dev/null), the shim's pipes, and nothing of the
# engine's (the lock on the output directory, the temporary image, the staging tree).
expect "a module's daemon holds no descriptor of the engine's" \
    eval '[[ -s $bridge/daemon.fds ]] && ! grep -E "$bridge/out|$TMPDIR|kindling-" "$bridge/daemon.fds"'
started=$SECONDS
KINDLING_IMAGE=$bridge/out/initrd.img run_kindling --no-kernel -m run
took=$((SECONDS - started))
expect "a module's daemon: the next build into the directory does not wait (took $took s)" \
    eval '((status == 0 && took <= 20)) && ! grep -q "Waiting for" "$work/log"'
end_daemon "$bridge/daemon.pid"
rm -f "$bridge/out/initrd.img"

# --- SIGINT while install() runs and a daemon holds the shell's pipes -------------------------------
# Starts a build in the background with ENVIRONMENT (NAME=VALUE...) and the arguments after "--",
# waits until FILE exists and is not empty or LOG-PATTERN is in the log, then sends SIGNAL.
# Sets status and took (seconds from the signal to the end).
signal_when() {
    local signal=$1 ready=$2 pid signalled
    shift 2
    local -a environment=()
    while [[ $1 != -- ]]; do environment+=("$1"); shift; done
    shift
    env "${environment[@]}" "$KINDLING" "${common[@]}" --force "$@" "$image" >"$work/log" 2>&1 &
    pid=$!
    for _ in $(seq 400); do
        if [[ $ready == /* ]]; then [[ -s $ready ]] && break; else grep -q -- "$ready" "$work/log" && break; fi
        sleep 0.05
    done
    sleep 0.3
    signalled=$SECONDS
    kill "-$signal" "$pid"
    wait "$pid"
    status=$?
    took=$((SECONDS - signalled))
}
signal_when INT "$bridge/daemon.pid" FAULT_PIDFILE="$bridge/daemon.pid" FAULT_DAEMON_THEN='sleep 30' -- \
    --no-kernel -m "run daemon"
expect_failure "SIGINT while install() runs, a daemon holding the shell's pipes" 130 "interrupted by signal 2"
expect "the build stops within seconds of SIGINT with a daemon about (took $took s)" test "$took" -le 5
end_daemon "$bridge/daemon.pid"

# --- one 50 MB line of module output ------------------------------------------------------------------
cases=$((cases + 1))
started=$SECONDS
KINDLING_IMAGE=$bridge/out/long.img run_kindling --no-kernel -m long-line
took=$((SECONDS - started))
expect "a 50 MB line: the build exits 0 within 60 s (status $status, $took s)" eval '((status == 0 && took <= 60))'
expect "a 50 MB line: the log keeps its start and says how much was cut" \
    grep -q "long-line: x*x \[kindling: [0-9]* more bytes of this line not kept\]" "$work/log"
expect "a 50 MB line: the log stays small" test "$(stat -c %s "$work/log")" -lt 1000000
rm -f "$bridge/out/long.img"

# --- module code that defines functions named after builtins and commands ------------------------------
cases=$((cases + 1))
KINDLING_IMAGE=$bridge/out/overrides.img run_kindling --no-kernel -m "run overrides" --module-timeout 60
expect "functions named printf, read, local, return, cat, ...: the build exits 0 (status $status)" test "$status" = 0
expect "functions named after builtins: the helpers still work" eval '
    list_image "$bridge/out/overrides.img" >"$bridge/overrides.list" &&
    grep -qx etc/overrides-survived "$bridge/overrides.list" && grep -qx etc/overrides-dir "$bridge/overrides.list" &&
    grep -qx etc/overrides-link "$bridge/overrides.list" && grep -qx usr/lib/dracut/need-initqueue "$bridge/overrides.list" &&
    grep -qx usr/lib/dracut/hooks/cmdline/10-module-setup.sh "$bridge/overrides.list" &&
    grep -q "overrides: vercmp works" "$work/log"'
rm -f "$bridge/out/overrides.img" "$bridge/overrides.list"

# --- configuration files: a background job, exit, a long command --------------------------------------
cases=$((cases + 1))
printf 'add_drivers+=" loop "\n(sleep 100) &\necho "$!" >%q\n' "$bridge/job.pid" >"$bridge/conf.d/10-job.conf"
printf 'kernel_cmdline+=" after-the-job "\n' >"$bridge/conf.d/20-after.conf"
started=$SECONDS
KINDLING_IMAGE=$bridge/out/conf.img run_kindling --no-kernel -m run --confdir "$bridge/conf.d"
took=$((SECONDS - started))
expect "a config file's background job does not hold the build (status $status, $took s)" \
    eval '((status == 0 && took <= 20))'
expect "a config file's background job: the files after it are read" \
    eval 'list_image "$bridge/out/conf.img" >/dev/null && mkdir -p "$bridge/conf-tree" && unpack_image "$bridge/out/conf.img" "$bridge/conf-tree" &&
        grep -rqs after-the-job "$bridge/conf-tree/etc/cmdline.d"'
end_daemon "$bridge/job.pid"
rm -rf "$bridge/out/conf.img" "$bridge/conf-tree" "$bridge/conf.d"/*

printf 'add_drivers+=" loop "\nexit 0\n' >"$bridge/conf.d/10-exit.conf"
printf 'kernel_cmdline+=" lost "\n' >"$bridge/conf.d/20-after.conf"
run_kindling --no-kernel -m run --confdir "$bridge/conf.d"
expect_failure "exit in a config file" 1 "configuration file $bridge/conf\.d/10-exit\.conf ended the reading of the configuration early"
rm -f "$bridge/conf.d"/*

printf 'echo "$$" >%q\nsleep 30\n' "$bridge/conf.pid" >"$bridge/conf.d/10-slow.conf"
signal_when TERM "$bridge/conf.pid" -- --no-kernel -m run --confdir "$bridge/conf.d"
expect_failure "SIGTERM while a config file runs a command" 143 "interrupted by signal 15"
expect "the build stops within seconds of SIGTERM while the configuration is read (took $took s)" test "$took" -le 5
rm -f "$bridge/conf.d"/* "$bridge/conf.pid"

# --- SIGTERM while waiting for another build's lock on the output directory -----------------------------
mkdir -p "$work/holder-tmp" # the holder's staging directory is not this case's to check
FAULT_INSTALL='sleep 300' "$KINDLING" "${common[@]}" --tmpdir "$work/holder-tmp" --force --no-kernel -m run \
    "${image%/*}/holder.img" >"$work/holder.log" 2>&1 &
holder=$!
for _ in $(seq 300); do grep -q 'Including module: run' "$work/holder.log" && break; sleep 0.1; done
signal_when TERM "Waiting for build $holder" -- --no-kernel -m run
expect_failure "SIGTERM while waiting for another build's lock" 143 "interrupted by signal 15"
expect "the build stops within seconds of SIGTERM while it waits for the lock (took $took s)" test "$took" -le 5
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
rm -rf "$bridge"
