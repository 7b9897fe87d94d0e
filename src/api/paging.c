/* paging.c - see paging.h. */
#include "api/paging.h"
#include "api/app.h"
#include "domain/pagetoken.h"

#include <errno.h>
#include <stdlib.h>

int paging_parse(struct request *req, const char *list, const char *filters, struct paging *out) {
    out->list = list;
    out->filters = filters;
    out->limit = 50;
    out->cursor = 0;
    const char *size = request_query(req, "page_size");
    if (size) {
        char *end = NULL;
        errno = 0;
        long v = strtol(size, &end, 10);
        if (errno || end == size || *end || v < 1 || v > 1000) {
            reply_error(req, 400, "invalid_argument", "page_size",
                        "page_size must be an integer 1..1000");
            return -1;
        }
        out->limit = (size_t)v;
    }
    const char *token = request_query(req, "page_token");
    if (token && token[0]) {
        if (pagetoken_decode(req->app->page_secret, sizeof req->app->page_secret, token,
                             req->account_id, list, filters, &out->cursor) != 0 ||
            out->cursor <= 0) {
            reply_error(req, 400, "invalid_page_token", "page_token",
                        "page_token is not valid for this list");
            return -1;
        }
    }
    return 0;
}

char *paging_next_token(struct request *req, const struct paging *p, int64_t last_seq) {
    return pagetoken_encode(req->app->page_secret, sizeof req->app->page_secret, req->account_id,
                            p->list, p->filters, last_seq);
}
