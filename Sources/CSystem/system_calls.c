#define _GNU_SOURCE
#include "csystem.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

int kindling_pipe_cloexec(int ends[2]) { return pipe2(ends, O_CLOEXEC); }

int kindling_mkstemp_cloexec(char *template_path) { return mkostemp(template_path, O_CLOEXEC); }

int kindling_spawn_add_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int kindling_mark_top_directory(int fd) {
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) return -1;
    if (flags & FS_TOPDIR_FL) return 0;
    flags |= FS_TOPDIR_FL;
    return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

int kindling_start_writeback(int fd) { return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); }

const int kindling_O_PATH = O_PATH;
const int kindling_AT_EMPTY_PATH = AT_EMPTY_PATH;
