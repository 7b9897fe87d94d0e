/* calls.c - the call resource: every dial attempt, newest first.
 * GET /v1/calls?campaign_id=&recipient_id=&status= and GET /v1/calls/{id}. */
#include "api/app.h"
#include "api/handlers.h"
#include "api/paging.h"
#include "domain/render.h"

#include <stdio.h>
#include <stdlib.h>

void calls_list(struct request *req) {
    struct call_filter f = {0};
    const char *status = paging_query(req, "status");
    f.campaign_id = paging_query(req, "campaign_id");
    f.recipient_id = paging_query(req, "recipient_id");
    if (status) {
        if (call_status_parse(status, &f.status) != 0) {
            reply_error(req, 400, "invalid_argument", "status",
                        "status must be queued, ringing, in_progress, completed, busy, "
                        "no_answer, failed or canceled");
            return;
        }
        f.has_status = 1;
    }
    struct paging p;
    if (paging_parse_attempts(req, "calls", f.campaign_id, f.recipient_id,
                              f.has_status ? call_status_name(f.status) : "", &p) != 0)
        return;
    struct call_page page;
    int rc = req->app->store->ops->call_list(req->app->store, req->account_id, &f, p.cursor,
                                             p.limit, &page);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < page.count; i++)
        json_array_append_new(data, render_call(&page.items[i]));
    paging_reply(req, &p, data, page.more, page.count ? page.items[page.count - 1].seq : 0);
    call_page_clear(&page);
}

void calls_get(struct request *req) {
    struct call c;
    int rc = req->app->store->ops->call_get(req->app->store, req->account_id, req->params[0], &c);
    if (reply_lookup_failed(req, rc, "call"))
        return;
    reply_json(req, 200, render_call(&c));
    call_clear(&c);
}
