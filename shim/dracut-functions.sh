# shellcheck shell=bash
# Kindling's dracut-functions.sh: the file that scripts written for dracut source to get its
# helpers (Fedora's mkdumprd, mkfadumprd and kdumpctl source "$dracutbasedir"/dracut-functions.sh,
# /usr/lib/dracut by default). Where Kindling is the `dracut`, `make install-dracut-alias` links
# that path here (see Documentation/kdump.md).
#
# It holds no helper of its own: it sources kindling-functions.bash from Kindling's data directory,
# the library the module shell uses, with the block device, filesystem, string and log helpers
# (get_maj_min, get_persistent_dev, check_block_and_slaves_all, strstr, dinfo, ...). The engine's
# helpers (inst, instmods, ...) need a build and stay undefined or fail without one.
#
# Sourcing it sets none of the caller's variables, options or traps and exports nothing (dracut's
# file exports LC_MESSAGES=C); it works under `set -u` and `set -e`. The names it adds are the
# helpers and internal ones that begin with `__kindling`. A caller may redefine any of them
# afterwards, as mkdumprd does dinfo, dwarn, derror and ddebug by sourcing kdump-logger.sh: the
# other helpers then log through the caller's.

if [ -z "${BASH_VERSION-}" ]; then
    echo "dracut-functions.sh: Kindling's helpers need bash" >&2
    # shellcheck disable=SC2317 # exit when the file is run rather than sourced
    return 1 2>/dev/null || exit 1
fi

# Through the link (DRACUT_BASEDIR/dracut-functions.sh) to this file, whose directory holds the
# rest of the library.
__kindling_dracut_functions=$(builtin command readlink -f -- "${BASH_SOURCE[0]}") || builtin return 66
# shellcheck source=kindling-functions.bash
if ! builtin . "${__kindling_dracut_functions%/*}/kindling-functions.bash"; then
    builtin unset __kindling_dracut_functions
    builtin return 66
fi
builtin unset __kindling_dracut_functions
