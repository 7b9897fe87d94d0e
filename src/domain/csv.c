/* csv.c - RFC 4180 reader, see csv.h. A small state machine over the bytes
 * of one record: unquoted field, quoted field, just after a closing quote. */
#include "domain/csv.h"

#include <stdio.h>
#include <string.h>

void csv_reader_init(struct csv_reader *r, const char *data, size_t len) {
    r->p = data;
    r->end = data + len;
    r->line = 1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->p += 3;
}

void csv_record_init(struct csv_record *rec) {
    memset(rec, 0, sizeof *rec);
    buf_init(&rec->text, (size_t)1 << 30);
}

void csv_record_free(struct csv_record *rec) {
    buf_free(&rec->text);
}

const char *csv_field(const struct csv_record *rec, size_t i) {
    return rec->text.data + rec->start[i];
}

static int end_field(struct csv_record *rec, size_t field_start, char *err, size_t errlen) {
    if (rec->nfields == CSV_MAX_FIELDS) {
        snprintf(err, errlen, "line %zu: more than %d fields", rec->line, CSV_MAX_FIELDS);
        return -1;
    }
    rec->start[rec->nfields] = field_start;
    rec->len[rec->nfields] = rec->text.len - field_start;
    rec->nfields++;
    buf_append(&rec->text, "", 1); /* NUL after each field */
    return 0;
}

int csv_read(struct csv_reader *r, struct csv_record *rec, char *err, size_t errlen) {
    /* skip blank lines */
    while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) {
        if (*r->p == '\n')
            r->line++;
        r->p++;
    }
    if (r->p >= r->end)
        return 0;
    buf_reset(&rec->text);
    rec->nfields = 0;
    rec->line = r->line;
    size_t field_start = 0;
    enum { UNQUOTED, QUOTED, AFTER_QUOTE } state = UNQUOTED;
    int field_has_bytes = 0;
    while (r->p < r->end) {
        char c = *r->p;
        if (state == QUOTED) {
            const char *q = memchr(r->p, '"', (size_t)(r->end - r->p));
            const char *stop = q ? q : r->end;
            for (const char *s = r->p; s < stop; s++)
                if (*s == '\n')
                    r->line++;
            buf_append(&rec->text, r->p, (size_t)(stop - r->p));
            r->p = stop;
            if (!q) {
                snprintf(err, errlen, "line %zu: unterminated quoted field", rec->line);
                return -1;
            }
            r->p++;
            if (r->p < r->end && *r->p == '"') {
                buf_append(&rec->text, "\"", 1);
                r->p++;
            } else {
                state = AFTER_QUOTE;
            }
            continue;
        }
        if (c == ',') {
            if (end_field(rec, field_start, err, errlen))
                return -1;
            field_start = rec->text.len;
            state = UNQUOTED;
            field_has_bytes = 0;
            r->p++;
            continue;
        }
        if (c == '\n' || c == '\r') {
            r->p++;
            if (c == '\r' && r->p < r->end && *r->p == '\n')
                r->p++;
            r->line++;
            break;
        }
        if (state == AFTER_QUOTE) {
            snprintf(err, errlen, "line %zu: unexpected character after a closing quote", r->line);
            return -1;
        }
        if (c == '"') {
            if (field_has_bytes) {
                snprintf(err, errlen, "line %zu: quote inside an unquoted field", r->line);
                return -1;
            }
            state = QUOTED;
            r->p++;
            continue;
        }
        /* a run of plain bytes */
        const char *s = r->p;
        while (s < r->end && *s != ',' && *s != '\n' && *s != '\r' && *s != '"')
            s++;
        buf_append(&rec->text, r->p, (size_t)(s - r->p));
        field_has_bytes = 1;
        r->p = s;
    }
    if (state == QUOTED) { /* the input ended inside a quoted field */
        snprintf(err, errlen, "line %zu: unterminated quoted field", rec->line);
        return -1;
    }
    return end_field(rec, field_start, err, errlen) ? -1 : 1;
}
