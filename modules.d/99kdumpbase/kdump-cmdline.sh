#!/bin/sh
# cmdline hook: a crash kernel has no root= (kdump drops it), and dracut's shell init stops at
# an empty root. Give it a placeholder; the pre-mount hook saves the dump and never returns.
if [ -e /proc/vmcore ] && [ -z "${root-}" ]; then
    root=kdump
    # shellcheck disable=SC2034 # read by dracut's init, which sources this hook
    rootok=1
fi
# Before any module loads (the init loads the build's list after the cmdline hooks): a crash
# kernel has no file pages or swap to reclaim, so the watermark boost the page allocator adds
# after a fragmenting allocation (2 MB of ~47 MB at crashkernel=96M) is never paid back and
# only makes loading xfs run out of memory (see module-setup.sh, kdumpbase_compress_modules).
if [ -e /proc/vmcore ] && [ -w /proc/sys/vm/watermark_boost_factor ]; then
    echo 0 >/proc/sys/vm/watermark_boost_factor
fi
# busybox's modprobe reads modules.dep, modules.alias, modules.symbols and modprobe.d only:
# the binary indexes, modules.order and modules.builtin.modinfo are only weight in the tree,
# which is the crash kernel's memory (225 KB for an LVM target, 310 KB for every bus).
if [ -e /proc/vmcore ]; then
    case $(readlink -f /sbin/modprobe 2>/dev/null) in
        */busybox*)
            rm -f /lib/modules/*/modules.order /lib/modules/*/modules.builtin.modinfo \
                /lib/modules/*/modules.*.bin
            ;;
    esac
fi
