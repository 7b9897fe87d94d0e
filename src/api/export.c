/* export.c - GET /v1/campaigns/{id}/recipients/export: the campaign's
 * recipients as CSV (domain/recipient_csv.c), in upload order, optionally
 * filtered by status and disposition, gzip-compressed when the client's
 * Accept-Encoding allows it.
 *
 * Constant memory: the handler checks the campaign and the filters and
 * answers 200 with a stream (reply_stream); libmicrohttpd then asks the
 * stream for bytes only as the client takes them. Each time the pending
 * bytes run out, the stream reads the next page of EXPORT_PAGE rows from
 * the store by keyset (seq after the last one sent), renders it, and
 * compresses it when asked; nothing else is held. Rows added during an
 * export come at the end (upload order), so they appear at most once.
 * A store failure mid-stream cuts the connection: the body then ends
 * without the chunked terminator and the client knows it is incomplete.
 * Thread: the connection's libmicrohttpd worker (the store gives it its
 * own connection). */
#include "api/app.h"
#include "api/handlers.h"
#include "api/recipients.h"
#include "domain/recipient_csv.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/gzip.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_PAGE 1000
/* pending bytes of one page: 1,000 rows of at most 64 params of 4 KiB */
#define EXPORT_MAX_PENDING (512u * 1024 * 1024)

struct export_stream {
    struct store *st;
    char account_id[48];
    char campaign_id[48];
    struct recipient_filter filter;
    int64_t after_seq;
    int rows_done; /* the store has no rows left */
    int ended;     /* everything, trailer included, is in pending */
    int gzip;
    struct gzip_stream gz;
    struct buf csv;     /* rendered, not yet compressed (gzip only) */
    struct buf pending; /* bytes to send */
    size_t sent;        /* of pending */
};

static void export_free(void *p) {
    struct export_stream *x = p;
    if (x->gzip)
        gzip_stream_free(&x->gz);
    buf_free(&x->csv);
    buf_free(&x->pending);
    free(x);
}

/* Renders the next page into out. 0, or a STORE_E* code. */
static int read_page(struct export_stream *x, struct buf *out) {
    struct recipient_page page;
    int rc = x->st->ops->recipient_list(x->st, x->account_id, x->campaign_id, &x->filter,
                                        x->after_seq, EXPORT_PAGE, &page);
    if (rc)
        return rc;
    for (size_t i = 0; i < page.count; i++)
        recipient_csv_row(out, &page.items[i]);
    if (page.count)
        x->after_seq = page.items[page.count - 1].seq;
    x->rows_done = !page.more;
    recipient_page_clear(&page);
    return 0;
}

/* Fills pending with the next bytes to send. 0, or -1 on a failure. */
static int refill(struct export_stream *x) {
    buf_reset(&x->pending);
    x->sent = 0;
    while (x->pending.len == 0 && !x->ended) {
        struct buf *out = x->gzip ? &x->csv : &x->pending;
        buf_reset(&x->csv);
        if (!x->rows_done) {
            int rc = read_page(x, out);
            if (rc) {
                log_error("export of %s stopped: %s", x->campaign_id, store_strerror(rc));
                return -1;
            }
        }
        if (x->gzip &&
            gzip_stream_write(&x->gz, x->csv.data, x->csv.len, x->rows_done, &x->pending) != 0) {
            log_error("export of %s stopped: gzip failed", x->campaign_id);
            return -1;
        }
        x->ended = x->rows_done;
    }
    return 0;
}

static long export_read(void *cls, char *dst, size_t max) {
    struct export_stream *x = cls;
    if (x->sent == x->pending.len && refill(x) != 0)
        return -1;
    size_t n = x->pending.len - x->sent;
    if (n == 0)
        return 0;
    if (n > max)
        n = max;
    memcpy(dst, x->pending.data + x->sent, n);
    x->sent += n;
    return (long)n;
}

void recipients_export(struct request *req) {
    struct recipient_filter f = {0};
    if (recipients_parse_filter(req, &f) != 0)
        return;
    struct store *st = req->app->store;
    struct campaign c;
    int rc = st->ops->campaign_get(st, req->account_id, req->params[0], &c);
    if (reply_lookup_failed(req, rc, "campaign"))
        return;
    campaign_clear(&c);

    struct export_stream *x = xcalloc(1, sizeof *x);
    x->st = st;
    snprintf(x->account_id, sizeof x->account_id, "%s", req->account_id);
    snprintf(x->campaign_id, sizeof x->campaign_id, "%s", req->params[0]);
    x->filter = f;
    buf_init(&x->csv, EXPORT_MAX_PENDING);
    buf_init(&x->pending, EXPORT_MAX_PENDING);
    x->gzip = gzip_accepted(request_header(req, "Accept-Encoding"));
    if (x->gzip && gzip_stream_init(&x->gz, 6) != 0) {
        x->gzip = 0;
        log_warn("export: zlib refused to start; answering uncompressed");
    }
    /* the header row goes out first; rows follow page by page */
    struct buf *head = x->gzip ? &x->csv : &x->pending;
    recipient_csv_header(head);
    if (x->gzip && gzip_stream_write(&x->gz, x->csv.data, x->csv.len, 0, &x->pending) != 0) {
        export_free(x);
        reply_error(req, 500, "internal", NULL, "internal error");
        return;
    }
    buf_reset(&x->csv);
    reply_stream(req, 200, "text/csv; charset=utf-8", x->gzip ? "gzip" : NULL, export_read, x,
                 export_free);
    reply_header(req, "Vary", "Accept-Encoding");
}
