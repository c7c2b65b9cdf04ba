#ifndef KINDLING_PROCESS_ARGUMENTS_H
#define KINDLING_PROCESS_ARGUMENTS_H

/* The process's own argc and argv, as the C library hands them to initialisers. The Swift
 * runtime on Linux reads CommandLine from /proc/self/cmdline, which a chroot or a container
 * without /proc lacks (CommandLine.argc is then 0); these never depend on /proc. */
int kindling_process_argc(void);
char **kindling_process_argv(void);

#endif
