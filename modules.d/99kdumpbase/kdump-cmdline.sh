#!/bin/sh
# cmdline hook: a crash kernel has no root= (kdump drops it), and dracut's shell init stops at
# an empty root. Give it a placeholder; the pre-mount hook saves the dump and never returns.
if [ -e /proc/vmcore ] && [ -z "${root-}" ]; then
    root=kdump
    # shellcheck disable=SC2034 # read by dracut's init, which sources this hook
    rootok=1
fi
