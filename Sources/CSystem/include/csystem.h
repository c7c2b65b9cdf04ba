#ifndef KINDLING_CSYSTEM_H
#define KINDLING_CSYSTEM_H

#include <spawn.h>

/* The process's own argc and argv, as the C library hands them to initialisers. The Swift
 * runtime on Linux reads CommandLine from /proc/self/cmdline, which a chroot or a container
 * without /proc lacks (CommandLine.argc is then 0); these never depend on /proc. */
int kindling_process_argc(void);
char **kindling_process_argv(void);

/* Linux and GNU calls and constants that Swift's Glibc module leaves out (it is built without
 * _GNU_SOURCE); system_calls.c defines _GNU_SOURCE and passes them through. */
int kindling_pipe_cloexec(int ends[2]);
int kindling_mkstemp_cloexec(char *template_path);
/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes every descriptor from
 * `lowest` up. */
int kindling_spawn_add_close_from(posix_spawn_file_actions_t *actions, int lowest);
/* Sets the directory's FS_TOPDIR_FL (chattr +T): ext2/3/4 spread its subdirectories over the
 * disk as they do the root's. -1 with errno where the filesystem has no such flag. */
int kindling_mark_top_directory(int fd);
/* sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE): starts writing the file's dirty pages to
 * disk, without waiting for them. */
int kindling_start_writeback(int fd);
extern const int kindling_O_PATH;
extern const int kindling_AT_EMPTY_PATH;

#endif
