#!/bin/sh
# udhcpc's script for kdump-net.sh: udhcpc runs it with deconfig, bound, renew, leasefail or nak,
# and the lease in the environment (interface, ip, mask as a prefix length, router).
# shellcheck disable=SC2154 # set by udhcpc
ipcmd() {
    if command -v busybox >/dev/null 2>&1; then busybox ip "$@"; else ip "$@"; fi
}
case $1 in
    deconfig)
        ipcmd -4 addr flush dev "$interface"
        ipcmd link set "$interface" up
        ;;
    bound | renew)
        ipcmd -4 addr flush dev "$interface"
        ipcmd addr add "$ip/${mask:-24}" dev "$interface"
        if [ -n "${router-}" ]; then
            ipcmd route add default via "${router%% *}" dev "$interface"
        fi
        ;;
esac
exit 0
