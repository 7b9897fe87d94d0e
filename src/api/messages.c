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
    const char *campaign = request_query(req, "campaign_id");
    const char *recipient = request_query(req, "recipient_id");
    const char *status = request_query(req, "status");
    f.campaign_id = campaign && campaign[0] ? campaign : NULL;
    f.recipient_id = recipient && recipient[0] ? recipient : NULL;
    if (status && status[0]) {
        if (message_status_parse(status, &f.status) != 0) {
            reply_error(req, 400, "invalid_argument", "status",
                        "status must be queued, sent, delivered, read, failed or undelivered");
            return;
        }
        f.has_status = 1;
    }
    char filters[200];
    snprintf(filters, sizeof filters, "campaign=%s&recipient=%s&status=%s",
             f.campaign_id ? f.campaign_id : "", f.recipient_id ? f.recipient_id : "",
             f.has_status ? message_status_name(f.status) : "");
    struct paging p;
    if (paging_parse(req, "messages", filters, &p) != 0)
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
    char *next = page.more ? paging_next_token(req, &p, page.items[page.count - 1].seq) : NULL;
    reply_json(req, 200, render_list(data, next));
    free(next);
    message_page_clear(&page);
}

void messages_get(struct request *req) {
    struct message m;
    int rc =
        req->app->store->ops->message_get(req->app->store, req->account_id, req->params[0], &m);
    if (rc == STORE_ENOTFOUND) {
        reply_not_found(req, "message");
        return;
    }
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    reply_json(req, 200, render_message(&m));
    message_clear(&m);
}
