# shellcheck shell=bash
# Sourced first by the test libraries. The tests compare tools and check behaviour; the host's
# own dracut configuration (dracut-network's /etc/dracut.conf.d/11-ifcfg.conf adds a module, for
# one) is not under test. When it has drop-ins, the calling script runs again in a private mount
# namespace with an empty /etc/dracut.conf.d, for dracut and Kindling alike. Nothing changes
# outside that process.
if [[ -z ${KINDLING_TEST_PRIVATE_CONFIG-} ]] && compgen -G '/etc/dracut.conf.d/*.conf' >/dev/null; then
    export KINDLING_TEST_PRIVATE_CONFIG=1
    if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
        # shellcheck disable=SC2016 # $0 and $@ are the inner bash's
        exec unshare --mount --propagation private -- bash -c \
            'mount -t tmpfs -o mode=0755 kindling-test-confdir /etc/dracut.conf.d && exec bash "$0" "$@"' "$0" "$@"
    fi
    echo "warning: /etc/dracut.conf.d has drop-ins that these tests will read (not root, or no unshare)" >&2
fi
