/* paging.c - see paging.h. */
#include "api/paging.h"
#include "api/app.h"
#include "domain/pagetoken.h"
#include "domain/render.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int paging_parse(struct request *req, const char *list, const char *filters, struct paging *out) {
    out->list = list;
    snprintf(out->filters, sizeof out->filters, "%s",
             filters); /* a copy: callers' may be on their stack */
    out->limit = 50;
    out->cursor = 0;
    const char *size = request_query(req, "page_size"); /* "" is a bad size, not none */
    if (size) {
        char *end = NULL;
        errno = 0;
        long v = strtol(size, &end, 10);
        /* digits only: strtol would also take " 5" and "+5" */
        if (errno || !isdigit((unsigned char)size[0]) || *end || v < 1 || v > 1000) {
            reply_error(req, 400, "invalid_argument", "page_size",
                        "page_size must be an integer 1..1000");
            return -1;
        }
        out->limit = (size_t)v;
    }
    const char *token = paging_query(req, "page_token");
    if (token) {
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

void paging_reply(struct request *req, const struct paging *p, json_t *data, int more,
                  int64_t last_seq) {
    char *next = more ? paging_next_token(req, p, last_seq) : NULL;
    reply_json(req, 200, render_list(data, next));
    free(next);
}

const char *paging_query(struct request *req, const char *name) {
    const char *v = request_query(req, name);
    return v && v[0] ? v : NULL;
}

int paging_parse_attempts(struct request *req, const char *list, const char *campaign_id,
                          const char *recipient_id, const char *status, struct paging *out) {
    char filters[200];
    snprintf(filters, sizeof filters, "campaign=%s&recipient=%s&status=%s",
             campaign_id ? campaign_id : "", recipient_id ? recipient_id : "", status);
    return paging_parse(req, list, filters, out);
}
