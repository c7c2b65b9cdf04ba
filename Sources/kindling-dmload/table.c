/* The table kindling-dmload loads, checked before any ioctl: the kernel's answer to a bad table
 * is EINVAL alone (its reason goes to the kernel log), so the checks it would make on the lines
 * of a linear or striped table are made here, with the line named. */
#include "table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static char *skip_blanks(char *p) {
    while (is_blank(*p)) p++;
    return p;
}

/* The next blank-separated word of *CURSOR, NUL-terminated in place; NULL at the end. */
static char *next_word(char **cursor) {
    char *p = skip_blanks(*cursor), *word = p;
    if (*p == '\0') return NULL;
    while (*p != '\0' && !is_blank(*p)) p++;
    if (*p != '\0') *p++ = '\0';
    *cursor = p;
    return word;
}

/* A decimal number without sign, at most 2^64-1; -1 otherwise. */
static int parse_number(const char *word, uint64_t *value) {
    uint64_t v = 0;
    if (*word == '\0') return -1;
    for (const char *p = word; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') return -1;
        unsigned digit = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10) return -1;
        v = v * 10 + digit;
    }
    *value = v;
    return 0;
}

static int fail(char *error, size_t size, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, size, format, arguments);
    va_end(arguments);
    return -1;
}

/* Checks a line's PARAMS for its TYPE, on a copy (the params go to the kernel as written). */
static int check_params(const struct dm_line *line, size_t number, char *error, size_t size) {
    char *copy = strdup(line->params), *cursor = copy, *word, *words[2 + 2 * 128];
    size_t count = 0;
    uint64_t value, stripes, chunk;
    int status = -1;
    if (copy == NULL) return fail(error, size, "out of memory");
    while ((word = next_word(&cursor)) != NULL) {
        if (count == sizeof words / sizeof words[0]) {
            fail(error, size, "table line %zu: too many parameters for %s", number, line->type);
            goto done;
        }
        words[count++] = word;
    }
    if (strcmp(line->type, "linear") == 0) {
        if (count != 2 || parse_number(words[1], &value) != 0) {
            fail(error, size, "table line %zu: linear takes a device and a sector offset, not '%s'", number, line->params);
            goto done;
        }
    } else {
        if (count < 4 || parse_number(words[0], &stripes) != 0 || stripes == 0 || stripes > 128 ||
            count != 2 + 2 * stripes) {
            fail(error, size, "table line %zu: striped takes a stripe count, a chunk size and a device and offset per stripe, not '%s'",
                 number, line->params);
            goto done;
        }
        if (parse_number(words[1], &chunk) != 0 || chunk == 0) {
            fail(error, size, "table line %zu: striped: the chunk size '%s' is not a number of sectors", number, words[1]);
            goto done;
        }
        for (size_t i = 3; i < count; i += 2) {
            if (parse_number(words[i], &value) != 0) {
                fail(error, size, "table line %zu: striped: the offset '%s' is not a number of sectors", number, words[i]);
                goto done;
            }
        }
        if (line->length % stripes != 0 || (line->length / stripes) % chunk != 0) {
            fail(error, size, "table line %zu: striped: %llu sectors are not whole chunks of %llu sectors on each of %llu stripes",
                 number, (unsigned long long)line->length, (unsigned long long)chunk, (unsigned long long)stripes);
            goto done;
        }
    }
    status = 0;
done:
    free(copy);
    return status;
}

int dm_table_parse(char *text, struct dm_table *table, char *error, size_t error_size) {
    size_t capacity = 0, number = 0;
    uint64_t next_sector = 0;
    char *line_text = text;
    table->lines = NULL;
    table->count = 0;
    while (line_text != NULL) {
        char *end = strchr(line_text, '\n'), *cursor = line_text, *word;
        struct dm_line line;
        if (end != NULL) *end++ = '\0';
        number++;
        if (*skip_blanks(line_text) == '\0') {
            line_text = end;
            continue;
        }
        if ((word = next_word(&cursor)) == NULL || parse_number(word, &line.start) != 0)
            goto malformed;
        if ((word = next_word(&cursor)) == NULL || parse_number(word, &line.length) != 0)
            goto malformed;
        if ((word = next_word(&cursor)) == NULL)
            goto malformed;
        if (strcmp(word, "linear") != 0 && strcmp(word, "striped") != 0) {
            fail(error, error_size, "table line %zu: target '%s': only linear and striped are loaded", number, word);
            goto failed;
        }
        strcpy(line.type, word);
        line.params = skip_blanks(cursor);
        for (char *p = line.params + strlen(line.params); p > line.params && is_blank(p[-1]); p--) p[-1] = '\0';
        if (line.start != next_sector) {
            fail(error, error_size, "table line %zu: starts at sector %llu, not %llu (the lines must follow on from sector 0)",
                 number, (unsigned long long)line.start, (unsigned long long)next_sector);
            goto failed;
        }
        if (line.length == 0 || line.length > UINT64_MAX - line.start) {
            fail(error, error_size, "table line %zu: a length of %llu sectors", number, (unsigned long long)line.length);
            goto failed;
        }
        if (check_params(&line, number, error, error_size) != 0) goto failed;
        next_sector = line.start + line.length;
        if (table->count == capacity) {
            size_t grown = capacity ? 2 * capacity : 8;
            struct dm_line *lines = realloc(table->lines, grown * sizeof *lines);
            if (lines == NULL) {
                fail(error, error_size, "out of memory");
                goto failed;
            }
            table->lines = lines;
            capacity = grown;
        }
        table->lines[table->count++] = line;
        line_text = end;
    }
    if (table->count == 0) {
        fail(error, error_size, "the table is empty");
        goto failed;
    }
    return 0;
malformed:
    fail(error, error_size, "table line %zu: not START LENGTH TARGET PARAMETERS", number);
failed:
    dm_table_free(table);
    return -1;
}

void dm_table_free(struct dm_table *table) {
    free(table->lines);
    table->lines = NULL;
    table->count = 0;
}

const char *dm_name_problem(const char *name, int is_uuid) {
    size_t limit = is_uuid ? 129 : 128;
    if (*name == '\0') return "is empty";
    if (strlen(name) >= limit) return is_uuid ? "is longer than 128 bytes" : "is longer than 127 bytes";
    if (!is_uuid && (strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
        return "is not a file name";
    for (const char *p = name; *p != '\0'; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) return "holds a blank or a control or non-ASCII byte";
    }
    return NULL;
}
