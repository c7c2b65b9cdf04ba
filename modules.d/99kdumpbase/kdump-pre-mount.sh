#!/bin/sh
# pre-mount hook: on a crash boot, save the dump. kdump-capture ends with final_action or
# failure_action (a reboot, halt or poweroff), so the boot goes no further.
if [ -e /proc/vmcore ]; then
    /usr/bin/kdump-capture
fi
