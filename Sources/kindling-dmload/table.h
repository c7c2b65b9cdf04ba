#ifndef KINDLING_DMLOAD_TABLE_H
#define KINDLING_DMLOAD_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* One line of a device-mapper table: START LENGTH TYPE PARAMS (sectors of 512 bytes). */
struct dm_line {
    uint64_t start;
    uint64_t length;
    char type[16];
    char *params; /* the rest of the line, its outer blanks trimmed; points into the text */
};

struct dm_table {
    struct dm_line *lines;
    size_t count;
};

/* Parses TEXT (changed in place: each line and its params end with a NUL) into TABLE: lines of
 * the linear or striped target, tiling the device from sector 0, blank lines skipped. On an
 * error, returns -1 with one line (no newline) in ERROR naming the table line at fault. */
int dm_table_parse(char *text, struct dm_table *table, char *error, size_t error_size);

void dm_table_free(struct dm_table *table);

/* Returns NULL for a usable device name or uuid (WHAT names which), else why it is not. */
const char *dm_name_problem(const char *name, int is_uuid);

#endif
