/* upload_plan.c - see upload_plan.h. Records are found with the server's
 * own RFC 4180 reader (domain/csv.c), so campaignctl cuts a file exactly
 * where campaignd will read record boundaries; the bytes between are sent
 * untouched. */
#include "ctl/upload_plan.h"
#include "domain/csv.h"
#include "util/alloc.h"
#include "util/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int upload_plan_make(const char *data, size_t len, size_t max_rows, size_t max_bytes,
                     struct upload_plan *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!max_rows)
        max_rows = UPLOAD_CHUNK_ROWS;
    if (!max_bytes)
        max_bytes = UPLOAD_CHUNK_BYTES;
    struct csv_reader rd;
    struct csv_record rec;
    csv_reader_init(&rd, data, len);
    csv_record_init(&rec);
    char why[160];
    int rc = csv_read(&rd, &rec, why, sizeof why);
    if (rc <= 0) {
        snprintf(err, errlen, "%s", rc == 0 ? "the file is empty: it needs a header row" : why);
        csv_record_free(&rec);
        return -1;
    }
    out->header_len = (size_t)(rd.p - data);
    size_t cap = 16;
    out->chunks = xcalloc(cap, sizeof *out->chunks);
    struct upload_chunk *cur = NULL;
    for (;;) {
        size_t start = (size_t)(rd.p - data);
        rc = csv_read(&rd, &rec, why, sizeof why);
        if (rc == 0)
            break;
        if (rc < 0) {
            snprintf(err, errlen, "%s", why);
            upload_plan_free(out);
            csv_record_free(&rec);
            return -1;
        }
        size_t end = (size_t)(rd.p - data);
        if (end - start > max_bytes) {
            snprintf(err, errlen,
                     "line %zu: a record of %zu bytes is over the %zu a request may hold", rec.line,
                     end - start, max_bytes);
            upload_plan_free(out);
            csv_record_free(&rec);
            return -1;
        }
        out->rows++;
        if (!cur || cur->rows == max_rows || end - cur->start > max_bytes) {
            if (out->nchunks == cap) {
                cap *= 2;
                out->chunks = xrealloc(out->chunks, cap * sizeof *out->chunks);
            }
            cur = &out->chunks[out->nchunks++];
            cur->start = start;
            cur->first_row = out->rows;
            cur->rows = 0;
        }
        cur->end = end;
        cur->rows++;
    }
    csv_record_free(&rec);
    return 0;
}

void upload_plan_free(struct upload_plan *p) {
    free(p->chunks);
    memset(p, 0, sizeof *p);
}

void upload_chunk_key(const char *campaign, const char *file_sha256, size_t chunk_rows,
                      size_t index, char out[UPLOAD_KEY_LEN + 1]) {
    char material[512], hex[65];
    int n = snprintf(material, sizeof material, "campaignctl upload v1\n%s\n%s\n%zu\n%zu",
                     file_sha256, campaign, chunk_rows, index);
    crypto_sha256_hex(material, n < 0 ? 0 : (size_t)n, hex);
    snprintf(out, UPLOAD_KEY_LEN + 1, "ctl-%.60s", hex);
}
