/* recipient_csv.h - the export's CSV rendering of recipients (GET
 * /v1/campaigns/{id}/recipients/export): the header row and one row per
 * recipient, RFC 4180 (fields holding a comma, a quote, CR or LF are
 * quoted, quotes doubled; records end with CRLF). Pure: appends to a buf,
 * reads no clock. Thread-safe. */
#ifndef CAMPAIGND_RECIPIENT_CSV_H
#define CAMPAIGND_RECIPIENT_CSV_H

#include "domain/recipient.h"
#include "util/buf.h"

#include <stddef.h>

/* The columns, in order, as the contract names them. */
#define RECIPIENT_CSV_COLUMNS                                                                      \
    "id,phone_number,status,disposition,attempts,last_attempt_at,last_call_id,last_message_id,"    \
    "params"

/* Appends one field, quoted when it must be (s[0..len), any bytes). */
void csv_append_field(struct buf *b, const char *s, size_t len);
/* Appends the header row. */
void recipient_csv_header(struct buf *b);
/* Appends the row of r: times as RFC 3339 UTC with milliseconds, nulls as
 * empty fields, params as compact JSON ({} when none). */
void recipient_csv_row(struct buf *b, const struct recipient *r);

#endif
