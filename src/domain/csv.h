/* csv.h - an RFC 4180 reader for recipient uploads: comma-separated fields,
 * records ended by CRLF or LF, quoted fields with embedded commas, newlines
 * and doubled quotes, an optional UTF-8 byte-order mark, blank lines
 * skipped. Fields may hold any bytes (NUL included); callers check UTF-8.
 * Reads from a borrowed buffer; a record's fields live in the record's own
 * scratch buffer until the next read. Not thread-safe per reader. */
#ifndef CAMPAIGND_CSV_H
#define CAMPAIGND_CSV_H

#include "util/buf.h"

#include <stddef.h>

#define CSV_MAX_FIELDS 256

struct csv_reader {
    const char *p, *end;
    size_t line; /* 1-based line where the next record starts */
};

struct csv_record {
    struct buf text; /* unquoted field bytes, each followed by a NUL */
    size_t start[CSV_MAX_FIELDS];
    size_t len[CSV_MAX_FIELDS];
    size_t nfields;
    size_t line; /* line the record started on */
};

void csv_reader_init(struct csv_reader *r, const char *data, size_t len);
void csv_record_init(struct csv_record *rec);
void csv_record_free(struct csv_record *rec);
/* Reads the next record: 1 read, 0 at the end, -1 malformed (err says why
 * and where). */
int csv_read(struct csv_reader *r, struct csv_record *rec, char *err, size_t errlen);
/* Field i of the last record (NUL-terminated; may contain NULs: use len). */
const char *csv_field(const struct csv_record *rec, size_t i);

#endif
