#!/bin/sh
# pre-udev hook: on a crash boot, before /init loads the build's driver lists, each module the
# image keeps whole (4 MB and more, xfs: see module-setup.sh, kdumpbase_compress_modules) loads
# first, and its file is emptied as soon as the kernel has read it. finit_module copies the file
# into the kernel, then checks the module's BTF and makes its tracefs directories (579 for xfs)
# before it frees that copy: the file and the copy, 4.2 MB each, would otherwise be held
# together at the moment a crash kernel at crashkernel=96M has the least memory left.

# kdump_module_listed NAME: the kernel lists the module, so it has read its file whole
# (/proc/modules shows a module from the moment its setup starts).
kdump_module_listed() {
    local _module _rest
    while read -r _module _rest; do
        [ "$_module" = "$1" ] && return 0
    done </proc/modules
    return 1
}

# kdump_load_releasing FILE: modprobe of FILE's module in the background; FILE is truncated once
# the module is listed (its pages go back to the kernel; a failed load cannot be retried from it,
# and without this it would not have had the memory to succeed).
kdump_load_releasing() {
    local _name _pid
    _name=${1##*/}
    _name=$(echo "${_name%.ko}" | tr - _)
    kdump_module_listed "$_name" && return 0
    modprobe -q "$_name" &
    _pid=$!
    while kill -0 "$_pid" 2>/dev/null; do
        if kdump_module_listed "$_name"; then
            : >"$1"
            echo "<5>kdump: emptied ${1##*/} once the kernel had read it" >/dev/kmsg 2>/dev/null
            break
        fi
        sleep 0.01
    done
    wait "$_pid"
}

if [ -e /proc/vmcore ]; then
    find "/lib/modules/$(uname -r)" -name '*.ko' -type f -size +3999999c 2>/dev/null | while read -r _kdump_ko; do
        kdump_load_releasing "$_kdump_ko"
    done
fi
