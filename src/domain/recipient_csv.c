/* recipient_csv.c - CSV rows of the recipient export, see recipient_csv.h.
 * params are stored as compact JSON already (the upload writes them with
 * JSON_COMPACT), so they are copied as they are, not parsed again. */
#include "domain/recipient_csv.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

static int needs_quotes(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return 1;
    return 0;
}

void csv_append_field(struct buf *b, const char *s, size_t len) {
    if (!needs_quotes(s, len)) {
        buf_append(b, s, len);
        return;
    }
    buf_append(b, "\"", 1);
    const char *end = s + len;
    while (s < end) {
        const char *q = memchr(s, '"', (size_t)(end - s));
        size_t run = q ? (size_t)(q - s) + 1 : (size_t)(end - s);
        buf_append(b, s, run);
        if (q)
            buf_append(b, "\"", 1); /* the quote, doubled */
        s += run;
    }
    buf_append(b, "\"", 1);
}

static void text_field(struct buf *b, const char *s) {
    if (s)
        csv_append_field(b, s, strlen(s));
    buf_append(b, ",", 1);
}

static void time_field(struct buf *b, int64_t ms) {
    if (ms) {
        char ts[CLOCK_RFC3339_LEN];
        clock_format_rfc3339(ms, ts);
        buf_appends(b, ts);
    }
    buf_append(b, ",", 1);
}

void recipient_csv_header(struct buf *b) {
    buf_appends(b, RECIPIENT_CSV_COLUMNS "\r\n");
}

void recipient_csv_row(struct buf *b, const struct recipient *r) {
    text_field(b, r->id);
    text_field(b, r->phone_number);
    text_field(b, recipient_status_name(r->status));
    text_field(b, disposition_name(r->disposition));
    buf_printf(b, "%d,", r->attempts);
    time_field(b, r->last_attempt_at);
    text_field(b, r->last_call_id);
    text_field(b, r->last_message_id);
    const char *params = r->params_json && r->params_json[0] ? r->params_json : "{}";
    csv_append_field(b, params, strlen(params));
    buf_append(b, "\r\n", 2);
}
