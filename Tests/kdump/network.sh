#!/bin/bash
# Network dump targets (nfs, ssh) of Kindling's minimal kdump image, sourced by run-all.sh after
# lib.sh and mkdumprd.sh.
#
# The capture machine's only network is QEMU's user-mode network with restrict=on. Its one exit
# is a guestfwd rule: a connection to the server's address in that network (10.0.2.100, port
# 2049 or 22) runs `busybox nc 127.0.0.1 PORT` on the host, which reaches a server the case
# started on 127.0.0.1 (nfs-ganesha with its VFS backend, or an sshd of the test's) and stopped
# afterwards. No other address is ever contacted. NFS 3 (case nfs3) has three exits, to the
# portmapper, mountd and NFS ports of a server that runs in a network namespace of its own.
#
# The build resolves the target as on a real host: it runs in network and mount namespaces of
# its own, where eth0 (a veth) holds the capture machine's address 10.0.2.15/24, so the route to
# 10.0.2.100 names eth0 and its configuration (a dynamic address: DHCP; a static one: that
# address). Nothing is sent there. A veth has no device driver: kdump.conf names the capture
# machine's NIC (virtio_net) in extra_modules, as the mkdumprd cases name the disk's bus.

KN_SERVER=10.0.2.100

# kn_free_port: a TCP port nothing listens on at 127.0.0.1.
kn_free_port() {
    local _port
    while :; do
        _port=$((20000 + RANDOM % 20000))
        ss -Hltn "sport = :$_port" 2>/dev/null | grep -q . || { echo "$_port"; return 0; }
    done
}

# kn_build NAME CONF dhcp|static [kindling options...]: the capture image, built in namespaces
# where eth0 reaches $KN_SERVER; KN_KNOWN_HOSTS, when set, is the build's /etc/ssh/ssh_known_hosts.
kn_build() {
    local _name=$1 _conf=$2 _config=$3
    shift 3
    # shellcheck disable=SC2016 # expanded by the namespace's bash
    unshare --net --mount --propagation private -- bash -c '
        set -e
        config=$1 known=$2 resolv=$3
        shift 3
        ip link add eth0 type veth peer name kdumppeer
        if [[ $config == dhcp ]]; then
            ip addr add 10.0.2.15/24 dev eth0 valid_lft 86400 preferred_lft 86400
        else
            ip addr add 10.0.2.15/24 dev eth0
        fi
        ip link set kdumppeer up
        ip link set eth0 up
        mount -t sysfs kdump-test /sys
        # Names are looked up on 127.0.0.1 only (nothing answers there): no query leaves.
        printf "nameserver 127.0.0.1\n" >"$resolv"
        mount --bind "$resolv" /etc/resolv.conf
        if [[ -n $known ]]; then
            mount -t tmpfs -o mode=0755 kdump-test /etc/ssh
            cp "$known" /etc/ssh/ssh_known_hosts
        fi
        [[ ! -d /root/.ssh ]] || mount -t tmpfs -o mode=0700 kdump-test /root/.ssh
        "$@"
    ' kn-build "$_config" "${KN_KNOWN_HOSTS-}" "$KD_WORK/$_name.resolv.conf" \
        env KDUMP_CONFIG_FILE="$_conf" "$KINDLING" -f --kver "$KVER" --kmoddir "$KD_KMODDIR" -m kdumpbase "$@" \
        "$KD_WORK/$_name.img" >"$KD_WORK/$_name.build.log" 2>&1 || {
        kd_log "the capture image did not build:"
        sed 's/^/    | /' "$KD_WORK/$_name.build.log" >&2
        return 1
    }
}

# kn_netdev PORT GUEST_PORT: QEMU's options for a NIC whose one exit is 127.0.0.1:PORT.
kn_netdev() {
    kn_netdev_rules "$2:busybox nc 127.0.0.1 $1"
}

# kn_netdev_in PID GUEST_PORT...: QEMU's options for a NIC whose exits are those ports of
# 127.0.0.1 in the network namespace of process PID (the same port numbers).
kn_netdev_in() {
    local _pid=$1 _port
    local -a _rules=()
    shift
    for _port; do _rules+=("$_port:nsenter --net=/proc/$_pid/ns/net busybox nc 127.0.0.1 $_port"); done
    kn_netdev_rules "${_rules[@]}"
}

# kn_netdev_rules GUEST_PORT:COMMAND...: a NIC on QEMU's restricted user network whose only
# exits are these: a connection to $KN_SERVER:GUEST_PORT runs COMMAND on the host.
kn_netdev_rules() {
    local _rule _netdev="user,id=n0,restrict=on"
    for _rule; do _netdev+=",guestfwd=tcp:$KN_SERVER:${_rule%%:*}-cmd:${_rule#*:}"; done
    printf '%s\n' -netdev "$_netdev" -device virtio-net-pci,netdev=n0,romfile=
}

# kn_ganesha_start DIR PORT: nfs-ganesha on 127.0.0.1:PORT, NFSv4 over TCP only, exporting
# DIR/export as /export (VFS backend); its log and pid file in DIR. KN_GANESHA is its pid.
kn_ganesha_start() {
    local _dir=$1 _port=$2
    kn_ganesha_config "$_dir" 4 "Bind_addr = 127.0.0.1; NFS_Port = $_port;" || return 1
    ganesha.nfsd -F -f "$_dir/ganesha.conf" -L "$_dir/ganesha.log" -p "$_dir/ganesha.pid" -N NIV_EVENT &
    # shellcheck disable=SC2034 # read by name: kn_wait_listening, kn_stop
    KN_GANESHA=$!
    kn_wait_listening nfs-ganesha KN_GANESHA "$_port" "$_dir/ganesha.log"
}

# kn_ganesha3_start DIR: nfs-ganesha serving NFS 3 and 4 with an rpcbind of its own (NFS 3 needs
# the portmapper), both in network and mount namespaces of their own: they listen on the standard
# ports (111, nfs 2049, mountd 20048) of that namespace's loopback only, and no other rpcbind
# sees them. Guests reach them through kn_netdev_in "$KN_GANESHA3" 111 2049 20048. KN_GANESHA3
# is the namespace's shell, which stops both when it is stopped.
kn_ganesha3_start() {
    local _dir=$1 _left=30
    command -v rpcbind >/dev/null || { kd_log "rpcbind is missing (rpcbind)"; return 1; }
    # Mount_Path_Pseudo: NFS 3 clients mount /export, as NFS 4 clients do.
    kn_ganesha_config "$_dir" "3, 4" "NFS_Port = 2049; MNT_Port = 20048; Mount_Path_Pseudo = true;" || return 1
    # shellcheck disable=SC2016 # expanded by the namespace's bash
    unshare --net --mount --propagation private -- bash -c '
        ip link set lo up
        mount -t tmpfs -o mode=0755 kdump-test /run
        rpcbind -f &
        rpcbind=$!
        for _ in 1 2 3 4 5 6 7 8 9 10; do [[ -S /run/rpcbind.sock ]] && break; sleep 0.2; done
        ganesha.nfsd -F -f "$1/ganesha.conf" -L "$1/ganesha.log" -p "$1/ganesha.pid" -N NIV_EVENT &
        ganesha=$!
        trap "kill \$ganesha \$rpcbind 2>/dev/null; wait" TERM
        wait
    ' kn-nfs3 "$_dir" &
    KN_GANESHA3=$!
    until nsenter --net="/proc/$KN_GANESHA3/ns/net" rpcinfo -p 127.0.0.1 2>/dev/null | grep -q ' 3 *tcp *20048 *mountd'; do
        if ((_left-- == 0)) || ! kill -0 "$KN_GANESHA3" 2>/dev/null; then
            kd_log "nfs-ganesha (NFS 3) did not start: $(grep -v DBUS "$_dir/ganesha.log" 2>/dev/null | tail -n 3)"
            kn_stop KN_GANESHA3
            return 1
        fi
        sleep 1
    done
    kd_log "nfs-ganesha (NFS 3 and 4) and rpcbind in a network namespace of their own"
}

# kn_ganesha_config DIR PROTOCOLS CORE_SETTINGS: DIR/ganesha.conf exporting DIR/export as /export
# (VFS backend, root not squashed) over TCP with PROTOCOLS; no NLM, rquota or UDP.
kn_ganesha_config() {
    local _dir=$1 _protocols=$2 _core=$3
    command -v ganesha.nfsd >/dev/null || { kd_log "ganesha.nfsd is missing (nfs-ganesha, nfs-ganesha-vfs)"; return 1; }
    mkdir -p "$_dir/export" "$_dir/recovery"
    cat >"$_dir/ganesha.conf" <<CONF
NFS_CORE_PARAM {
    $_core
    Protocols = $_protocols;
    Enable_NLM = false;
    Enable_RQUOTA = false;
    Enable_UDP = false;
}
NFSV4 { Graceless = true; RecoveryBackend = fs; RecoveryRoot = "$_dir/recovery"; }
NFS_KRB5 { Active_krb5 = false; }
EXPORT {
    Export_Id = 1;
    Path = "$_dir/export";
    Pseudo = /export;
    Access_Type = RW;
    Squash = No_Root_Squash;
    SecType = sys;
    Protocols = $_protocols;
    Transports = TCP;
    FSAL { Name = VFS; }
}
CONF
}

# kn_stop VARIABLE: ends the process whose pid VARIABLE holds, and waits for it.
# kn_wait_listening NAME PIDVAR PORT LOG: waits up to 30 s for the server whose pid PIDVAR holds to
# listen on 127.0.0.1:PORT; stops it and returns 1, quoting LOG, when it dies or never does.
kn_wait_listening() {
    local _server=$1 _pidvar=$2 _port=$3 _log=$4 _left=30
    local -n _server_pid=$2
    until ss -Hltn "sport = :$_port" 2>/dev/null | grep -q 127.0.0.1; do
        if ((_left-- == 0)) || ! kill -0 "$_server_pid" 2>/dev/null; then
            kd_log "$_server did not start: $(tail -n 3 "$_log" 2>/dev/null)"
            kn_stop "$_pidvar"
            return 1
        fi
        sleep 1
    done
    kd_log "$_server on $(ss -Hltn "sport = :$_port" | awk '{ print $4 }')"
}

kn_stop() {
    local -n _pid=$1
    [[ -n ${_pid-} ]] || return 0
    kill "$_pid" 2>/dev/null
    wait "$_pid" 2>/dev/null
    _pid=''
}

# kn_nfs_capture NAME DIR PORT CRASHKERNEL: boots, crashes and captures onto the export.
kn_nfs_capture() {
    local _dir=$2 _marker _dump
    kn_capture_run "$1" "$4" "$_dir/export/var/crash" kn_netdev "$3" 2049 || return 1
    kd_log "dump directory on the server: ${_dump#"$_dir/"}"
    kd_check_dump "$_dump" "$_marker"
}

# kn_capture_run NAME CRASHKERNEL DUMPS NETDEV...: boots NAME's image with the NIC that the
# command NETDEV... prints the options of (kn_netdev, kn_netdev_in), crashes it, and sets the
# caller's _marker and _dump (the newest 10.0.2.15-* directory under DUMPS).
kn_capture_run() {
    local _name=$1 _crashkernel=$2 _dumps=$3 _status=0
    local -a _netdev=()
    shift 3
    mapfile -t _netdev < <("$@")
    kd_log "capture image: $(stat -c %s "$KD_WORK/$_name.img") bytes"
    kd_build_first "$KD_WORK/$_name.first.img" "$KD_WORK/$_name.img" || return 1
    _marker=$(kd_new_marker)
    kd_boot "$KD_WORK/$_name.first.img" "$KD_WORK/$_name.serial.log" "$_marker" "$_crashkernel" "${_netdev[@]}" || _status=$?
    kd_log "QEMU ran ${KD_ELAPSED}s (crashkernel=$_crashkernel), status $_status"
    kd_show_log "$KD_WORK/$_name.serial.log" 14
    ((_status != 124)) || { kd_log "QEMU timed out"; return 1; }
    _dump=$(find "$_dumps" -mindepth 1 -maxdepth 1 -type d -name '10.0.2.15-*' 2>/dev/null | sort | tail -n 1)
    [[ -n $_dump ]] || { kd_log "no 10.0.2.15-* directory in $_dumps"; return 1; }
}

# NFSv4 through nfs-ganesha: DHCP (the build host's address is dynamic), the mount, the dump.
case_nfs() {
    local _name=nfs _dir=$KD_WORK/ganesha _port _status=0
    _port=$(kn_free_port)
    printf '%s\n' "nfs $KN_SERVER:/export" "path /var/crash" "core_collector makedumpfile -l --message-level 7 -d 31" \
        "extra_modules virtio_net virtio_pci" "failure_action poweroff" >"$KD_WORK/$_name.conf"
    kn_build "$_name" "$KD_WORK/$_name.conf" dhcp || return 1
    kn_expect_image "$_name" "^nfs $KN_SERVER:/export$" "^nfs_version 4$" "^net_config dhcp$" || return 1
    kn_ganesha_start "$_dir" "$_port" || return 1
    kn_nfs_capture "$_name" "$_dir" "$_port" "${KD_CRASHKERNEL:-256M}" || _status=$?
    kn_stop KN_GANESHA
    return $_status
}

# NFS 3, as the build host's mount options ask (dracut_args --mount ... vers=3): the image has
# nfsv3 only, and the capture mounts the export through the server's portmapper and mountd.
case_nfs3() {
    local _name=nfs3 _dir=$KD_WORK/ganesha3 _marker _dump _status=0
    printf '%s\n' 'dracut_args --mount "10.0.2.100:/export /var/crash nfs vers=3,nolock"' \
        "core_collector makedumpfile -l --message-level 7 -d 31" "extra_modules virtio_net virtio_pci" \
        "failure_action poweroff" >"$KD_WORK/$_name.conf"
    kn_build "$_name" "$KD_WORK/$_name.conf" dhcp || return 1
    kn_expect_image "$_name" "^nfs $KN_SERVER:/export$" "^nfs_version 3$" || return 1
    kn_ganesha3_start "$_dir" || return 1
    kn_capture_run "$_name" "${KD_CRASHKERNEL:-256M}" "$_dir/export/var/crash" kn_netdev_in "$KN_GANESHA3" 111 2049 20048 ||
        _status=1
    kn_stop KN_GANESHA3
    ((_status == 0)) || return 1
    grep -aq "kdump: mounting $KN_SERVER:/export (NFS 3)" "$KD_WORK/$_name.serial.log" || { kd_log "no NFS 3 mount in the log"; return 1; }
    kd_log "dump directory on the server: ${_dump#"$_dir/"}"
    kd_check_dump "$_dump" "$_marker"
}

# kn_expect_image NAME PATTERN...: the image's kdump.conf has a line matching each (grep -E).
kn_expect_image() {
    local _name=$1 _conf _pattern
    shift
    _conf=$("$KINDLING_LSINITRD" -f etc/kdump.conf "$KD_WORK/$_name.img")
    for _pattern in "$@"; do
        grep -qE -- "$_pattern" <<<"$_conf" || {
            kd_log "the image's kdump.conf has no line /$_pattern/:"
            printf '%s\n' "$_conf" | sed 's/^/    | /' >&2
            return 1
        }
    done
    kd_log "image kdump.conf: $(grep -v '^#' <<<"$_conf" | paste -sd '|')"
}

# kn_sshd_start DIR PORT: Debian's sshd (unpacked by ku_ssh_server, which also makes the host key,
# the client key pair and the /etc layer with the privilege separation user) on 127.0.0.1:PORT,
# in a mount namespace of its own for that /etc and a private /run; root logs in with the
# client key only. KN_SSHD is its pid; KN_KNOWN_HOSTS names the server's key as the capture
# machine reaches it.
kn_sshd_start() {
    local _dir=$1 _port=$2
    command -v ssh-keygen >/dev/null || { kd_log "ssh-keygen is missing (openssh-client)"; return 1; }
    ku_ssh_server "$_dir" || return 1
    sed -i "s/^ListenAddress .*/ListenAddress 127.0.0.1:$_port/" "$_dir/sshd_config"
    printf '%s %s\n' "$KN_SERVER" "$(cut -d' ' -f1,2 "$_dir/host_key.pub")" >"$_dir/known_hosts"
    KN_KNOWN_HOSTS=$_dir/known_hosts
    # shellcheck disable=SC2016 # expanded by the namespace's bash
    unshare --mount --propagation private -- bash -c '
        mount -t overlay kdump-test -o "lowerdir=$1/etc:/etc" /etc
        mount -t tmpfs -o mode=0755 kdump-test /run
        mkdir -p /run/sshd
        exec "$1/sshd" -D -f "$1/sshd_config" -E "$1/sshd.log"
    ' kn-sshd "$_dir" &
    # shellcheck disable=SC2034 # read by name: kn_wait_listening, kn_stop
    KN_SSHD=$!
    kn_wait_listening sshd KN_SSHD "$_port" "$_dir/sshd.log"
}

# kn_ssh_capture NAME DUMPS PORT CRASHKERNEL: boots, crashes and captures through ssh into DUMPS.
kn_ssh_capture() {
    local _marker _dump _check=$KD_WORK/$1.dump
    kn_capture_run "$1" "$4" "$2" kn_netdev "$3" 22 || return 1
    kd_log "dump directory on the server: $_dump: $(cd "$_dump" && echo *)"
    [[ -s $_dump/vmcore.flat && ! -e $_dump/vmcore-incomplete ]] || { kd_log "no vmcore.flat, or vmcore-incomplete is left"; return 1; }
    mkdir -p "$_check"
    makedumpfile -R "$_check/vmcore" <"$_dump/vmcore.flat" >/dev/null 2>&1 || { kd_log "makedumpfile -R cannot read vmcore.flat"; return 1; }
    cp "$_dump/vmcore-dmesg.txt" "$_check/" 2>/dev/null
    kd_check_dump "$_check" "$_marker"
}

# ssh_case NAME dropbear|openssh: ssh with sshkey through the test's sshd: a static address (the
# build host's is not dynamic), the server's key checked against the build host's known hosts,
# the flattened vmcore piped into vmcore-incomplete and renamed vmcore.flat. The client is
# chosen with kdump_ssh_client in a dracut.conf file (dropbear's key is converted at build time).
ssh_case() {
    local _name=$1 _client=$2 _dir=$KD_WORK/$1.sshd _port _status=0 _program=dbclient
    [[ $_client == openssh ]] && _program=ssh
    _port=$(kn_free_port)
    kn_sshd_start "$_dir" "$_port" || return 1
    mkdir -p "$KD_WORK/$_name-dumps"
    printf '%s\n' "ssh root@$KN_SERVER" "sshkey $_dir/kdump_id" "path $KD_WORK/$_name-dumps" \
        "core_collector makedumpfile -F -l --message-level 7 -d 31" "extra_modules virtio_net virtio_pci" \
        "failure_action poweroff" >"$KD_WORK/$_name.conf"
    printf 'kdump_ssh_client=%s\n' "$_client" >"$KD_WORK/$_name.dracut.conf"
    if kn_build "$_name" "$KD_WORK/$_name.conf" static -c "$KD_WORK/$_name.dracut.conf"; then
        kn_expect_image "$_name" "^ssh root@$KN_SERVER$" "^net_config static 10.0.2.15/24 -$" "^ssh_client $_program$" \
            "^core_collector makedumpfile -l --message-level 7 -d 31 -F$" || _status=1
    else
        _status=1
    fi
    ((_status == 0)) && { kn_ssh_capture "$_name" "$KD_WORK/$_name-dumps" "$_port" "${KD_CRASHKERNEL:-256M}" || _status=$?; }
    kn_stop KN_SSHD
    return $_status
}

case_ssh() {
    ssh_case ssh dropbear
}

# The same with OpenSSH's ssh and its libraries.
case_ssh-openssh() {
    ssh_case ssh-openssh openssh
}

# An nfs server that does not answer at capture time (nothing listens behind the guestfwd
# rule): the mount fails within rd.timeout=10, the log line names the export and the cause, and
# failure_action (poweroff) runs.
case_nfs-unreachable() {
    local _name=nfs-unreachable _port
    local -a _netdev=()
    _port=$(kn_free_port)
    printf '%s\n' "nfs $KN_SERVER:/export" "extra_modules virtio_net virtio_pci" "failure_action poweroff" >"$KD_WORK/$_name.conf"
    kn_build "$_name" "$KD_WORK/$_name.conf" dhcp || return 1
    mapfile -t _netdev < <(kn_netdev "$_port" 2049)
    kd_capture_fails "$_name" "$KD_WORK/$_name.img" "kdump: cannot mount $KN_SERVER:/export (NFS 4): " \
        "naming the failed mount" "${_netdev[@]}"
}

# Build time only: NFS version 3 when the mount options say so (dracut_args --mount), the
# interface's static address and gateway when the route has one, the ssh key and known host
# refusals naming their lines, and a host that does not resolve.
case_net-config() {
    # The ssh cases before it in the same run leave their server's key named: none here.
    local _name=net-config _list KN_KNOWN_HOSTS=
    printf '%s\n' 'dracut_args --mount "10.0.2.100:/export /var/crash nfs vers=3,nolock"' "extra_modules virtio_net" \
        >"$KD_WORK/$_name.v3.conf"
    kn_build "$_name.v3" "$KD_WORK/$_name.v3.conf" static || return 1
    kn_expect_image "$_name.v3" "^nfs 10.0.2.100:/export$" "^nfs_version 3$" "^net_config static 10.0.2.15/24 -$" || return 1
    _list=$("$KINDLING_LSINITRD" "$KD_WORK/$_name.v3.img")
    if ! grep -q "fs/nfs/nfsv3.ko" <<<"$_list" || grep -q "fs/nfs/nfsv4.ko" <<<"$_list"; then
        kd_log "the NFS 3 image does not have nfsv3 without nfsv4"
        return 1
    fi
    ! grep -qE "virtio_blk|ahci|nvme|usb-storage" <<<"$_list" || { kd_log "a network image has storage drivers"; return 1; }
    printf '%s\n' "ssh root@10.0.2.100" "sshkey $KD_WORK/no-such-key" >"$KD_WORK/$_name.key.conf"
    if kn_build "$_name.key" "$KD_WORK/$_name.key.conf" static 2>/dev/null; then
        kd_log "a missing sshkey did not fail the build"
        return 1
    fi
    grep -q "$_name.key.conf:2: sshkey: cannot read the private key '$KD_WORK/no-such-key'" "$KD_WORK/$_name.key.build.log" ||
        { kd_log "no line naming the missing key"; sed 's/^/    | /' "$KD_WORK/$_name.key.build.log" >&2; return 1; }
    grep -q "$_name.key.conf:1: ssh: no host key for '10.0.2.100'" "$KD_WORK/$_name.key.build.log" ||
        { kd_log "no line naming the unknown host key"; return 1; }
    printf '%s\n' "nfs kdump-nowhere.invalid:/export" >"$KD_WORK/$_name.name.conf"
    if kn_build "$_name.name" "$KD_WORK/$_name.name.conf" static 2>/dev/null; then
        kd_log "a host that does not resolve did not fail the build"
        return 1
    fi
    grep -q "$_name.name.conf:1: nfs: cannot resolve 'kdump-nowhere.invalid' to an IPv4 address" "$KD_WORK/$_name.name.build.log" ||
        { kd_log "no line naming the host that does not resolve"; sed 's/^/    | /' "$KD_WORK/$_name.name.build.log" >&2; return 1; }
    kd_log "$(grep -m1 "cannot resolve" "$KD_WORK/$_name.name.build.log")"
}

# --- figures (Tests/kdump/figures.sh network) ------------------------------------------------------

# kn_capture_seconds SERIAL_LOG: the capture kernel's uptime when kdump-capture started and when
# it ran the final action.
kn_capture_seconds() {
    sed -n 's/^\[ *\([0-9.]*\)\] kdump: \(target\|running\)[: ].*/\2 \1/p' "$1" |
        awk '$1 == "target" { s = $2 } $1 == "running" { e = $2 }
            END { printf "dump %.1fs (capture kernel uptime %.1fs at the start, %.1fs at the final action)", e - s, s, e }'
}

kn_figure_nfs_run() {
    rm -rf "$KD_WORK/ganesha/export/var" "$KD_WORK/fig-nfs.dump"
    kn_nfs_capture fig-nfs "$KD_WORK/ganesha" "$KN_FIGURE_PORT" "$1"
}

kn_figure_ssh_run() {
    rm -rf "$KD_WORK/fig-ssh-dumps" "$KD_WORK/$KN_FIGURE_SSH.dump"
    mkdir -p "$KD_WORK/fig-ssh-dumps"
    kn_ssh_capture "$KN_FIGURE_SSH" "$KD_WORK/fig-ssh-dumps" "$KN_FIGURE_PORT" "$1"
}

# Image sizes (gzip, the Debian kernel) of the nfs image and of the ssh image with each client,
# the smallest crashkernel= at which the nfs and the dbclient ssh image capture, and the capture
# times under QEMU. figure_network_nfs and figure_network_ssh are its halves.
figure_network() {
    figure_network_nfs && figure_network_ssh
}

kn_figure_timeout() {
    KD_TIMEOUT=${KDUMP_TEST_TIMEOUT:-}
    kd_choose_accel
    ((KD_TIMEOUT > 200)) && KD_TIMEOUT=200
}

figure_network_nfs() {
    local _size
    kn_figure_timeout
    printf '%s\n' "nfs $KN_SERVER:/export" "path /var/crash" "extra_modules virtio_net virtio_pci" >"$KD_WORK/fig-nfs.conf"
    kn_build fig-nfs "$KD_WORK/fig-nfs.conf" dhcp || return 1
    _size=$(stat -c %s "$KD_WORK/fig-nfs.img")
    echo "network size, nfs (NFS 4, virtio_net): $_size bytes ($(mib "$_size"))"
    KN_FIGURE_PORT=$(kn_free_port)
    kn_ganesha_start "$KD_WORK/ganesha" "$KN_FIGURE_PORT" 2>/dev/null || return 1
    if kn_figure_nfs_run 256M 2>/dev/null; then
        echo "network capture, nfs at 256M: QEMU ${KD_ELAPSED}s in all (first kernel, crash, capture); $(kn_capture_seconds "$KD_WORK/fig-nfs.serial.log")"
    fi
    echo "network crashkernel, nfs: smallest that captures: $(kd_smallest_crashkernel kn_figure_nfs_run)"
    kn_stop KN_GANESHA
}

figure_network_ssh() {
    local _client _size
    kn_figure_timeout
    KN_FIGURE_PORT=$(kn_free_port)
    kn_sshd_start "$KD_WORK/fig.sshd" "$KN_FIGURE_PORT" 2>/dev/null || return 1
    for _client in dropbear openssh; do
        printf '%s\n' "ssh root@$KN_SERVER" "sshkey $KD_WORK/fig.sshd/kdump_id" "path $KD_WORK/fig-ssh-dumps" \
            "extra_modules virtio_net virtio_pci" >"$KD_WORK/fig-ssh.conf"
        printf 'kdump_ssh_client=%s\n' "$_client" >"$KD_WORK/fig-ssh-$_client.dracut.conf"
        kn_build "fig-ssh-$_client" "$KD_WORK/fig-ssh.conf" static -c "$KD_WORK/fig-ssh-$_client.dracut.conf" || return 1
        _size=$(stat -c %s "$KD_WORK/fig-ssh-$_client.img")
        echo "network size, ssh with $_client: $_size bytes ($(mib "$_size"))"
        KN_FIGURE_SSH=fig-ssh-$_client
        if kn_figure_ssh_run 256M 2>/dev/null; then
            echo "network capture, ssh with $_client at 256M: QEMU ${KD_ELAPSED}s in all; $(kn_capture_seconds "$KD_WORK/fig-ssh-$_client.serial.log")"
        fi
        if [[ $_client == dropbear ]]; then
            echo "network crashkernel, ssh with dropbear: smallest that captures: $(kd_smallest_crashkernel kn_figure_ssh_run)"
        elif kn_figure_ssh_run 96M 2>/dev/null; then
            echo "network crashkernel, ssh with openssh: captures at 96M"
        else
            echo "network crashkernel, ssh with openssh: does not capture at 96M"
        fi
    done
    kn_stop KN_SSHD
}
