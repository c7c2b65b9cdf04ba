#!/bin/sh
# cmdline hook: a crash kernel has no root= (kdump drops it), and dracut's shell init stops at
# an empty root. Give it a placeholder; the pre-mount hook saves the dump and never returns.
if [ -e /proc/vmcore ] && [ -z "${root-}" ]; then
    root=kdump
    rootok=1
fi
