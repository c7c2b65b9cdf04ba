/* kindling-dmload: makes one device-mapper device from a table, with the C library alone, for
 * the kdump image (dmsetup brings 1.1 MB of libraries: libdevmapper, libudev, libselinux,
 * libpcre2, libm). There is no udev in the image, so it makes /dev/mapper/NAME itself.
 *
 *   kindling-dmload create NAME UUID <TABLE   create NAME with UUID, load TABLE, resume it and
 *                                             make /dev/mapper/NAME; on any failure after the
 *                                             create, the device is removed again
 *   kindling-dmload check NAME UUID <TABLE    the same checks, no kernel: prints the table
 *   kindling-dmload table NAME                NAME's live table, as `dmsetup table` prints it
 *
 * TABLE: lines "START LENGTH TARGET PARAMETERS" (sectors), linear or striped, from sector 0 on.
 * Errors: one line on stderr naming the device, and status 1 (2 for a wrong command line). */
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define CONTROL "/dev/mapper/control"
#define TABLE_LIMIT (1024 * 1024)

static const char *device_name = "";

static void say(const char *format, ...) {
    va_list arguments;
    fprintf(stderr, "kindling-dmload: %s: ", device_name);
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fputc('\n', stderr);
}

static int usage(void) {
    fputs("usage: kindling-dmload create NAME UUID <TABLE | check NAME UUID <TABLE | table NAME\n", stderr);
    return 2;
}

/* Standard input, whole, NUL-terminated; NULL (said) when it cannot be read or is too long. */
static char *read_table_text(void) {
    size_t used = 0;
    char *text = malloc(TABLE_LIMIT + 1);
    if (text == NULL) {
        say("out of memory");
        return NULL;
    }
    for (;;) {
        ssize_t n = read(0, text + used, TABLE_LIMIT + 1 - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            say("cannot read the table from standard input: %s", strerror(errno));
            break;
        }
        if (n == 0) {
            text[used] = '\0';
            if (memchr(text, '\0', used) != NULL) {
                say("the table holds a NUL byte");
                break;
            }
            return text;
        }
        used += (size_t)n;
        if (used > TABLE_LIMIT) {
            say("the table is longer than %d bytes", TABLE_LIMIT);
            break;
        }
    }
    free(text);
    return NULL;
}

/* Reads, checks and parses the table of NAME and UUID; -1 (said) when they are not usable. */
static int load_table(const char *uuid, char **text, struct dm_table *table) {
    const char *problem;
    char error[512];
    if ((problem = dm_name_problem(device_name, 0)) != NULL) {
        say("the device name %s", problem);
        return -1;
    }
    if ((problem = dm_name_problem(uuid, 1)) != NULL) {
        say("the uuid '%s' %s", uuid, problem);
        return -1;
    }
    if ((*text = read_table_text()) == NULL) return -1;
    if (dm_table_parse(*text, table, error, sizeof error) != 0) {
        say("%s", error);
        free(*text);
        return -1;
    }
    return 0;
}

/* The control device; made from sysfs when devtmpfs has not (it is a misc device). */
static int open_control(void) {
    int fd = open(CONTROL, O_RDWR | O_CLOEXEC);
    unsigned major_number, minor_number;
    FILE *file;
    if (fd >= 0 || errno != ENOENT) goto opened;
    file = fopen("/sys/class/misc/device-mapper/dev", "re");
    if (file == NULL) {
        say("no " CONTROL " and no /sys/class/misc/device-mapper: is dm_mod loaded?");
        return -1;
    }
    if (fscanf(file, "%u:%u", &major_number, &minor_number) != 2) {
        fclose(file);
        say("cannot read /sys/class/misc/device-mapper/dev");
        return -1;
    }
    fclose(file);
    if ((mkdir("/dev/mapper", 0755) != 0 && errno != EEXIST) ||
        mknod(CONTROL, S_IFCHR | 0600, makedev(major_number, minor_number)) != 0) {
        say("cannot make " CONTROL ": %s", strerror(errno));
        return -1;
    }
    fd = open(CONTROL, O_RDWR | O_CLOEXEC);
opened:
    if (fd < 0) say("cannot open " CONTROL ": %s", strerror(errno));
    return fd;
}

/* A zeroed ioctl buffer of SIZE bytes for the device, its data right after the header. Version
 * 4.0.0: every kernel of interface 4 accepts it, and nothing newer is asked of it. */
static struct dm_ioctl *new_request(size_t size) {
    struct dm_ioctl *request = calloc(1, size);
    if (request == NULL) {
        say("out of memory");
        return NULL;
    }
    request->version[0] = DM_VERSION_MAJOR;
    request->data_size = (uint32_t)size;
    request->data_start = sizeof *request;
    strncpy(request->name, device_name, sizeof request->name - 1);
    return request;
}

/* A request without data, run; 0, or the errno. */
static int simple_request(int control, unsigned long command, const char *uuid, uint32_t flags, uint64_t *dev) {
    struct dm_ioctl *request = new_request(sizeof *request);
    int status = 0;
    if (request == NULL) return ENOMEM;
    if (uuid != NULL) strncpy(request->uuid, uuid, sizeof request->uuid - 1);
    request->flags = flags;
    if (ioctl(control, command, request) != 0)
        status = errno;
    else if (dev != NULL)
        *dev = request->dev;
    free(request);
    return status;
}

static size_t spec_size(const struct dm_line *line) {
    return (sizeof(struct dm_target_spec) + strlen(line->params) + 1 + 7) & ~(size_t)7;
}

/* DM_TABLE_LOAD of TABLE into the device's inactive slot; 0, or the errno. */
static int load(int control, const struct dm_table *table) {
    size_t size = sizeof(struct dm_ioctl), offset = sizeof(struct dm_ioctl);
    struct dm_ioctl *request;
    int status = 0;
    for (size_t i = 0; i < table->count; i++) size += spec_size(&table->lines[i]);
    if ((request = new_request(size)) == NULL) return ENOMEM;
    request->target_count = (uint32_t)table->count;
    for (size_t i = 0; i < table->count; i++) {
        const struct dm_line *line = &table->lines[i];
        struct dm_target_spec *spec = (struct dm_target_spec *)((char *)request + offset);
        spec->sector_start = line->start;
        spec->length = line->length;
        memcpy(spec->target_type, line->type, sizeof spec->target_type);
        strcpy((char *)(spec + 1), line->params);
        /* From this spec to the next: the kernel walks the list by these steps. */
        spec->next = (uint32_t)spec_size(line);
        offset += spec->next;
    }
    if (ioctl(control, DM_TABLE_LOAD, request) != 0) status = errno;
    free(request);
    return status;
}

/* /dev/mapper/NAME, a block node of DEV (udev would make it; the image has none). */
static int make_node(uint64_t dev) {
    char path[sizeof "/dev/mapper/" + DM_NAME_LEN];
    dev_t number = makedev(major(dev), minor(dev));
    struct stat status;
    snprintf(path, sizeof path, "/dev/mapper/%s", device_name);
    if (mkdir("/dev/mapper", 0755) != 0 && errno != EEXIST) {
        say("cannot make /dev/mapper: %s", strerror(errno));
        return -1;
    }
    if (lstat(path, &status) == 0) {
        if (S_ISBLK(status.st_mode) && status.st_rdev == number) return 0;
        if (unlink(path) != 0) {
            say("cannot replace %s: %s", path, strerror(errno));
            return -1;
        }
    }
    if (mknod(path, S_IFBLK | 0600, number) != 0) {
        say("cannot make %s (%u:%u): %s", path, major(number), minor(number), strerror(errno));
        return -1;
    }
    return 0;
}

static int create(const char *uuid) {
    struct dm_table table;
    char *text;
    uint64_t dev = 0;
    int control, error;
    if (load_table(uuid, &text, &table) != 0) return 1;
    if ((control = open_control()) < 0) goto fail_parsed;
    if ((error = simple_request(control, DM_DEV_CREATE, uuid, 0, &dev)) != 0) {
        if (error == EBUSY)
            say("cannot create it: a device of this name or of uuid %s exists already", uuid);
        else
            say("cannot create it: %s", strerror(error));
        goto fail_open;
    }
    if ((error = load(control, &table)) != 0) {
        say("the kernel refused its table: %s (the kernel log says why)", strerror(error));
        goto fail_created;
    }
    /* DM_DEV_SUSPEND without DM_SUSPEND_FLAG resumes: the loaded table becomes the live one. */
    if ((error = simple_request(control, DM_DEV_SUSPEND, NULL, 0, NULL)) != 0) {
        say("cannot resume it: %s", strerror(error));
        goto fail_created;
    }
    if (make_node(dev) != 0) goto fail_created;
    close(control);
    dm_table_free(&table);
    free(text);
    return 0;
fail_created:
    /* Nothing half-made stays: the device goes, so that a retry starts afresh. */
    if ((error = simple_request(control, DM_DEV_REMOVE, NULL, 0, NULL)) != 0)
        say("cannot remove it after the failure: %s", strerror(error));
fail_open:
    close(control);
fail_parsed:
    dm_table_free(&table);
    free(text);
    return 1;
}

static int check(const char *uuid) {
    struct dm_table table;
    char *text;
    if (load_table(uuid, &text, &table) != 0) return 1;
    for (size_t i = 0; i < table.count; i++) {
        const struct dm_line *line = &table.lines[i];
        printf("%llu %llu %s %s\n", (unsigned long long)line->start, (unsigned long long)line->length, line->type,
               line->params);
    }
    dm_table_free(&table);
    free(text);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* The live table, from DM_TABLE_STATUS with DM_STATUS_TABLE_FLAG, in dmsetup's format. */
static int show_table(void) {
    int control = open_control(), error = 0;
    size_t size = 16 * 1024;
    struct dm_ioctl *request = NULL;
    if (control < 0) return 1;
    for (;;) {
        if ((request = new_request(size)) == NULL) break;
        request->flags = DM_STATUS_TABLE_FLAG;
        if (ioctl(control, DM_TABLE_STATUS, request) != 0) {
            error = errno;
            break;
        }
        if (!(request->flags & DM_BUFFER_FULL_FLAG)) break;
        free(request);
        request = NULL;
        size *= 2;
    }
    close(control);
    if (request == NULL || error != 0) {
        if (error != 0) say("cannot read its table: %s", strerror(error));
        free(request);
        return 1;
    }
    /* Each spec's next is its successor's offset from the start of the data. */
    char *data = (char *)request + request->data_start;
    size_t offset = 0;
    for (uint32_t i = 0; i < request->target_count; i++) {
        struct dm_target_spec *spec = (struct dm_target_spec *)(data + offset);
        printf("%llu %llu %.*s %s\n", (unsigned long long)spec->sector_start, (unsigned long long)spec->length,
               (int)sizeof spec->target_type, spec->target_type, (char *)(spec + 1));
        offset = spec->next;
    }
    free(request);
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "create") == 0) {
        device_name = argv[2];
        return create(argv[3]);
    }
    if (argc == 4 && strcmp(argv[1], "check") == 0) {
        device_name = argv[2];
        return check(argv[3]);
    }
    if (argc == 3 && strcmp(argv[1], "table") == 0) {
        device_name = argv[2];
        if (dm_name_problem(device_name, 0) != NULL) {
            say("the device name %s", dm_name_problem(device_name, 0));
            return 1;
        }
        return show_table();
    }
    return usage();
}
