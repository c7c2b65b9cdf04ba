#!/bin/sh
# kdump-net: the network targets of kdump-capture, which sources this file for an nfs or ssh
# target (the image's /etc/kdump.conf, written and checked by Kindling's kdumpbase at build time).
#
#   net_interface NAME MAC        the build host's interface that reaches the server ('-': none)
#   net_config dhcp | static ADDRESS/PREFIX GATEWAY|-
#   nfs ADDRESS:/export  with  nfs_version 4|3
#   ssh USER@ADDRESS     with  ssh_client dbclient|ssh, sshkey (the image's key)
#
# The interface: the one with that MAC, else that name, else the first Ethernet interface. NFS
# is mounted by the kernel (busybox mount passes the options as text; no mount.nfs). ssh writes
# <path>/<address>-<date>/ on the server: vmcore-dmesg.txt, then makedumpfile's flattened
# stream as vmcore-incomplete, renamed vmcore.flat when complete (read it with makedumpfile -R),
# and kexec-dmesg.log. Remote paths are single-quoted for the server's shell: never evaluated.

# shellcheck disable=SC2154 # set by kdump-capture, which sources this file: timeout, target_dev, path, collector, CONF, MNT

net_interface='' net_mac='' net_config='' nfs_version=4 ssh_client='' sshkey=''
# The capture host's address, the first part of the dump directory's name.
dump_host_ip=''

net_read_config() {
    local _key _value
    while read -r _key _value; do
        case $_key in
            net_interface)
                net_interface=${_value%% *}
                net_mac=${_value#* }
                ;;
            net_config) net_config=$_value ;;
            nfs_version) nfs_version=$_value ;;
            ssh_client) ssh_client=$_value ;;
            sshkey) sshkey=$_value ;;
        esac
    done <"$CONF"
    [ "$net_interface" = - ] && net_interface=''
    [ "$net_mac" = - ] && net_mac=''
}

# The interface to bring up, once its driver has made it.
net_find_interface() {
    local _dir _name _first=''
    for _dir in /sys/class/net/*; do
        [ -e "$_dir" ] || continue
        _name=${_dir##*/}
        [ "$(cat "$_dir/type" 2>/dev/null)" = 1 ] || continue
        [ "$_name" = lo ] && continue
        if [ -n "$net_mac" ] && [ "$(cat "$_dir/address" 2>/dev/null)" = "$net_mac" ]; then
            echo "$_name"
            return 0
        fi
        [ -z "$_first" ] && _first=$_name
    done
    if [ -n "$net_interface" ] && [ -e "/sys/class/net/$net_interface" ]; then
        echo "$net_interface"
        return 0
    fi
    [ -n "$_first" ] && echo "$_first"
}

net_up() {
    local _left="$timeout" _if _address _gateway
    net_read_config
    while :; do
        _if=$(net_find_interface) && [ -n "$_if" ] && break
        [ "$_left" -gt 0 ] || {
            error "no network interface appeared within ${timeout}s"
            return 1
        }
        _left=$((_left - 1))
        sleep 1
    done
    bb ip link set lo up 2>/dev/null
    bb ip link set "$_if" up || {
        error "cannot bring up $_if"
        return 1
    }
    case $net_config in
        static*)
            set -f
            # shellcheck disable=SC2086 # "static ADDRESS/PREFIX GATEWAY": split on purpose
            set -- $net_config
            set +f
            _address=$2 _gateway=${3:--}
            log "$_if: static address $_address${_gateway#-}"
            bb ip addr add "$_address" dev "$_if" || {
                error "cannot set $_address on $_if"
                return 1
            }
            if [ "$_gateway" != - ]; then
                bb ip route add default via "$_gateway" dev "$_if" || error "cannot add the route through $_gateway"
            fi
            ;;
        *)
            log "$_if: asking for an address with DHCP"
            bb udhcpc -i "$_if" -s /usr/lib/kindling-kdump/udhcpc.sh -f -q -n -t 10 -T 2 >/dev/null 2>&1 || {
                error "$_if: no DHCP lease"
                return 1
            }
            ;;
    esac
    dump_host_ip=$(bb ip -4 -o addr show dev "$_if" | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -n 1)
    [ -n "$dump_host_ip" ] || {
        error "$_if has no IPv4 address"
        return 1
    }
    log "$_if is up: $dump_host_ip"
}

dump_nfs() {
    local _type=nfs _options _out
    net_up || return 1
    _options="vers=$nfs_version,addr=${target_dev%%:*}"
    if [ "$nfs_version" = 3 ]; then
        _options="$_options,nolock"
    else
        _type=nfs4
    fi
    mkdir -p "$MNT"
    log "mounting $target_dev (NFS $nfs_version) on $MNT"
    # -i: no mount.nfs helper, the kernel parses the text options. A server that never answers
    # would hold the mount for minutes: give it rd.timeout.
    _out=$(bb timeout "$timeout" busybox mount -i -t "$_type" -o "$_options" "$target_dev" "$MNT" 2>&1) || {
        error "cannot mount $target_dev (NFS $nfs_version): ${_out:-no answer within ${timeout}s}"
        return 1
    }
    dump_fs "$MNT" nfs
}

# shell_quote TEXT: TEXT single-quoted for the server's shell.
shell_quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# ssh_run COMMAND: runs COMMAND on the server; stdin goes to it.
ssh_run() {
    if [ "$ssh_client" = dbclient ]; then
        HOME=/root dbclient -q -i "$sshkey" "$target_dev" "$1"
    else
        HOME=/root ssh -q -i "$sshkey" -o BatchMode=yes -o StrictHostKeyChecking=yes \
            -o UserKnownHostsFile=/root/.ssh/known_hosts -o GlobalKnownHostsFile=/dev/null "$target_dev" "$1"
    fi
}

dump_ssh() {
    local _dir _quoted _failed=/tmp/kdump-collector.failed
    net_up || return 1
    _dir=$(printf '%s' "/${path#/}/$dump_host_ip-$(date +%Y-%m-%d-%H:%M:%S)" | tr -s /)
    _quoted=$(shell_quote "$_dir")
    log "saving to $target_dev:$_dir with $ssh_client"
    ssh_run "mkdir -p -- $_quoted" </dev/null || {
        error "cannot create $_dir on $target_dev over ssh"
        return 1
    }
    mkdir -p /tmp
    if makedumpfile --dump-dmesg /proc/vmcore /tmp/vmcore-dmesg.txt >/dev/null 2>&1; then
        ssh_run "umask 0077 && cat > $_quoted/vmcore-dmesg-incomplete.txt && mv -- $_quoted/vmcore-dmesg-incomplete.txt $_quoted/vmcore-dmesg.txt" \
            </tmp/vmcore-dmesg.txt || error "saving vmcore-dmesg.txt failed"
        rm -f /tmp/vmcore-dmesg.txt
    else
        error "saving vmcore-dmesg.txt failed"
    fi
    log "saving vmcore with: $collector"
    rm -f "$_failed"
    { run_collector /proc/vmcore || : >"$_failed"; } | ssh_run "umask 0077 && cat > $_quoted/vmcore-incomplete" || {
        error "sending the vmcore over ssh failed"
        return 1
    }
    [ ! -e "$_failed" ] || {
        error "the core collector failed"
        return 1
    }
    ssh_run "mv -- $_quoted/vmcore-incomplete $_quoted/vmcore.flat" </dev/null || {
        error "cannot rename vmcore-incomplete on $target_dev"
        return 1
    }
    dmesg 2>/dev/null | ssh_run "cat > $_quoted/kexec-dmesg.log"
    log "saved vmcore.flat in $target_dev:$_dir"
}
