/* fuzz_csv.c - the CSV recipient upload: csv_read (src/domain/csv.c) over
 * any bytes, record after record, and the header row checked as
 * api/recipients.c checks column names.
 * Input: the CSV body.
 * Invariants: a record has 1..CSV_MAX_FIELDS fields, each NUL-terminated at
 * its length inside the record's buffer; line numbers never go back; the
 * reader always moves forward and ends; and when the whole input reads
 * without error, writing every record back as quoted CSV and reading that
 * again gives the same fields. */
#include "fuzz.h"

#include "domain/csv.h"
#include "domain/recipient.h"

struct fields {
    struct buf out; /* the records written back, every field quoted */
    size_t records;
};

static void write_back(struct fields *w, const struct csv_record *rec) {
    for (size_t i = 0; i < rec->nfields; i++) {
        const char *f = csv_field(rec, i);
        buf_append(&w->out, i ? ",\"" : "\"", i ? 2 : 1);
        for (size_t k = 0; k < rec->len[i]; k++)
            buf_append(&w->out, f[k] == '"' ? "\"\"" : &f[k], f[k] == '"' ? 2 : 1);
        buf_append(&w->out, "\"", 1);
    }
    buf_append(&w->out, "\r\n", 2);
    w->records++;
}

/* Reads data; -1 at the first error, else the number of records, each
 * written back to w when w is given, or compared with the one in want. */
static long read_all(const char *data, size_t len, struct fields *w, struct csv_reader *want,
                     struct csv_record *want_rec) {
    struct csv_reader r;
    struct csv_record rec;
    char err[160];
    csv_reader_init(&r, data, len);
    csv_record_init(&rec);
    long n = 0;
    size_t last_line = 0;
    int rc;
    const char *before = r.p;
    while ((rc = csv_read(&r, &rec, err, sizeof err)) == 1) {
        FUZZ_CHECK(r.p > before && r.p <= r.end);
        before = r.p;
        FUZZ_CHECK(rec.nfields >= 1 && rec.nfields <= CSV_MAX_FIELDS);
        FUZZ_CHECK(rec.line >= last_line && rec.line < r.line + 1);
        last_line = rec.line;
        for (size_t i = 0; i < rec.nfields; i++) {
            FUZZ_CHECK(rec.start[i] + rec.len[i] < rec.text.len + 1);
            FUZZ_CHECK(csv_field(&rec, i)[rec.len[i]] == '\0');
        }
        if (n == 0) /* the header row, as the upload reads it */
            for (size_t i = 0; i < rec.nfields; i++)
                (void)recipient_param_name_valid(csv_field(&rec, i));
        if (w)
            write_back(w, &rec);
        if (want) {
            FUZZ_CHECK(csv_read(want, want_rec, err, sizeof err) == 1);
            FUZZ_CHECK(want_rec->nfields == rec.nfields);
            for (size_t i = 0; i < rec.nfields; i++)
                FUZZ_CHECK(want_rec->len[i] == rec.len[i] &&
                           memcmp(csv_field(want_rec, i), csv_field(&rec, i), rec.len[i]) == 0);
        }
        n++;
    }
    if (rc < 0)
        FUZZ_CHECK(err[0] != '\0');
    csv_record_free(&rec);
    return rc < 0 ? -1 : n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fields w;
    buf_init(&w.out, (size_t)1 << 26);
    w.records = 0;
    long n = read_all((const char *)data, size, &w, NULL, NULL);
    if (n >= 0) {
        /* read the written-back copy, comparing record by record */
        struct csv_reader orig;
        struct csv_record orig_rec;
        csv_reader_init(&orig, (const char *)data, size);
        csv_record_init(&orig_rec);
        FUZZ_CHECK(read_all(w.out.data ? w.out.data : "", w.out.len, NULL, &orig, &orig_rec) == n);
        csv_record_free(&orig_rec);
    }
    buf_free(&w.out);
    return 0;
}
