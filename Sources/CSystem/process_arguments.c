#include "csystem.h"

#include <stddef.h>

static int saved_argc;
static char **saved_argv;

/* glibc calls every .init_array entry of the executable with argc, argv and envp. */
static void save_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

__attribute__((section(".init_array"), used)) static void (*const save_arguments_entry)(int, char **, char **) =
    save_arguments;

int kindling_process_argc(void) { return saved_argv == NULL ? 0 : saved_argc; }

char **kindling_process_argv(void) { return saved_argv; }
