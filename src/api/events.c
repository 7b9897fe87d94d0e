/* events.c - webhook events and secrets: GET /v1/events (campaign_id,
 * type), POST /v1/events/{id}/redeliver, GET /v1/webhook-secret,
 * POST /v1/webhook-secret/rotate. Delivery itself is engine/webhooks.c. */
#include "api/app.h"
#include "api/handlers.h"
#include "api/paging.h"
#include "domain/render.h"
#include "engine/engine.h"
#include "util/clock.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROTATION_OVERLAP_MS (24LL * 3600 * 1000)

static json_t *render_event(const struct event_row *e) {
    json_t *o = json_loads(e->body, 0, NULL);
    if (!o)
        o = json_pack("{s:s, s:s}", "id", e->id, "type", e->type);
    json_t *d = json_object();
    json_object_set_new(d, "state", json_string(e->state));
    json_object_set_new(d, "url", e->url ? json_string(e->url) : json_null());
    json_object_set_new(d, "attempts", json_integer(e->attempts));
    json_object_set_new(d, "last_attempt_at", render_time(e->last_attempt_at));
    json_object_set_new(d, "last_status",
                        e->last_status ? json_integer(e->last_status) : json_null());
    json_object_set_new(d, "last_error", e->last_error ? json_string(e->last_error) : json_null());
    json_object_set_new(d, "next_attempt_at",
                        strcmp(e->state, "pending") == 0 ? render_time(e->next_attempt_at)
                                                         : json_null());
    json_object_set_new(d, "delivered_at", render_time(e->delivered_at));
    json_object_set_new(o, "delivery", d);
    return o;
}

void events_list(struct request *req) {
    static const char *const types[] = {"call.ended", "message.updated", "recipient.finished",
                                        "campaign.status_changed"};
    const char *campaign = paging_query(req, "campaign_id");
    const char *type = paging_query(req, "type");
    if (type) {
        int ok = 0;
        for (size_t i = 0; i < 4; i++)
            ok |= strcmp(types[i], type) == 0;
        if (!ok) {
            reply_error(req, 400, "invalid_argument", "type",
                        "type must be call.ended, message.updated, recipient.finished or "
                        "campaign.status_changed");
            return;
        }
    }
    char filters[160];
    snprintf(filters, sizeof filters, "campaign=%s&type=%s", campaign ? campaign : "",
             type ? type : "");
    struct paging p;
    if (paging_parse(req, "events", filters, &p) != 0)
        return;
    struct event_page page;
    int rc = req->app->store->ops->event_list(req->app->store, req->account_id, campaign, type,
                                              p.cursor, p.limit, &page);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < page.count; i++)
        json_array_append_new(data, render_event(&page.items[i]));
    paging_reply(req, &p, data, page.more, page.count ? page.items[page.count - 1].seq : 0);
    event_page_clear(&page);
}

void events_redeliver(struct request *req) {
    if (reply_if_any_field(req))
        return;
    struct event_row e;
    int rc = req->app->store->ops->event_redeliver(req->app->store, req->account_id, req->params[0],
                                                   clock_now_ms(), &e);
    if (reply_lookup_failed(req, rc, "event"))
        return;
    reply_json(req, 200, render_event(&e));
    event_row_clear(&e);
    req->wake = ENGINE_CAMPAIGNS;
}

static void new_secret(char out[64]) {
    memcpy(out, "whsec_", 6);
    ids_random_base62(out + 6, 32);
}

void webhook_secret_get(struct request *req) {
    char fresh[64];
    new_secret(fresh);
    struct webhook_secrets sec;
    int rc = req->app->store->ops->webhook_secrets(req->app->store, req->account_id, fresh, &sec);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    reply_json(req, 200, json_pack("{s:s}", "secret", sec.current));
}

void webhook_secret_rotate(struct request *req) {
    if (reply_if_any_field(req))
        return;
    char fresh[64], first[64];
    new_secret(first);
    new_secret(fresh);
    struct store *st = req->app->store;
    struct webhook_secrets sec;
    int64_t now = clock_now_ms();
    int rc = st->ops->webhook_secrets(st, req->account_id, first, &sec); /* one to rotate out */
    if (rc == 0)
        rc = st->ops->webhook_rotate(st, req->account_id, fresh, now + ROTATION_OVERLAP_MS);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    char until[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(now + ROTATION_OVERLAP_MS, until);
    reply_json(req, 200,
               json_pack("{s:s, s:s}", "secret", fresh, "previous_secret_expires_at", until));
}
