/* upload_plan.h - how `campaignctl upload` cuts a CSV file into requests:
 * the header record, then chunks of at most UPLOAD_CHUNK_ROWS records and
 * UPLOAD_CHUNK_BYTES bytes, cut only between records (RFC 4180: a quoted
 * field's commas and newlines stay inside its record), each sent with the
 * header in front, its bytes exactly as in the file. Each chunk's
 * Idempotency-Key is derived from the campaign, the SHA-256 of the whole
 * file and the chunk's index, so a rerun of the same upload sends the same
 * keys and the server replays the chunks it already took.
 * Pure (reads a borrowed buffer; the plan owns its chunk list). */
#ifndef CAMPAIGNCTL_UPLOAD_PLAN_H
#define CAMPAIGNCTL_UPLOAD_PLAN_H

#include <stddef.h>

#define UPLOAD_CHUNK_ROWS 10000
/* under the server's 16 MiB body limit, with room for the header */
#define UPLOAD_CHUNK_BYTES (15u * 1024 * 1024)
#define UPLOAD_KEY_LEN 64 /* "ctl-" + 60 hex */

struct upload_chunk {
    size_t start, end; /* bytes of the file: whole records */
    size_t first_row;  /* 1-based data row number of the first record */
    size_t rows;
};

struct upload_plan {
    size_t header_len; /* the header record, its line end included */
    size_t rows;       /* data records in the file */
    struct upload_chunk *chunks;
    size_t nchunks;
};

/* Plans data[0..len). max_rows / max_bytes: the chunk limits (0 = the
 * defaults above). 0, or -1 with a reason in err (no header, a malformed
 * record naming its line, a record over max_bytes). */
int upload_plan_make(const char *data, size_t len, size_t max_rows, size_t max_bytes,
                     struct upload_plan *out, char *err, size_t errlen);
void upload_plan_free(struct upload_plan *p);

/* The Idempotency-Key of chunk index of the file whose SHA-256 (hex) is
 * file_sha256, cut in chunks of chunk_rows, uploaded to campaign: "ctl-"
 * and 60 hex digits of the SHA-256 of the four. out: UPLOAD_KEY_LEN + 1
 * bytes. */
void upload_chunk_key(const char *campaign, const char *file_sha256, size_t chunk_rows,
                      size_t index, char out[UPLOAD_KEY_LEN + 1]);

#endif
