/* messages.c - the message resource: every sms or whatsapp send, newest
 * first. GET /v1/messages?campaign_id=&recipient_id=&status= and
 * GET /v1/messages/{id}. */
#include "api/app.h"
#include "api/handlers.h"
#include "api/paging.h"
#include "domain/render.h"

#include <stdio.h>
#include <stdlib.h>

void messages_list(struct request *req) {
    struct message_filter f = {0};
    const char *status = paging_query(req, "status");
    f.campaign_id = paging_query(req, "campaign_id");
    f.recipient_id = paging_query(req, "recipient_id");
    if (status) {
        if (message_status_parse(status, &f.status) != 0) {
            reply_error(req, 400, "invalid_argument", "status",
                        "status must be queued, sent, delivered, read, failed or undelivered");
            return;
        }
        f.has_status = 1;
    }
    struct paging p;
    if (paging_parse_attempts(req, "messages", f.campaign_id, f.recipient_id,
                              f.has_status ? message_status_name(f.status) : "", &p) != 0)
        return;
    struct message_page page;
    int rc = req->app->store->ops->message_list(req->app->store, req->account_id, &f, p.cursor,
                                                p.limit, &page);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < page.count; i++)
        json_array_append_new(data, render_message(&page.items[i]));
    paging_reply(req, &p, data, page.more, page.count ? page.items[page.count - 1].seq : 0);
    message_page_clear(&page);
}

void messages_get(struct request *req) {
    struct message m;
    int rc =
        req->app->store->ops->message_get(req->app->store, req->account_id, req->params[0], &m);
    if (reply_lookup_failed(req, rc, "message"))
        return;
    reply_json(req, 200, render_message(&m));
    message_clear(&m);
}
