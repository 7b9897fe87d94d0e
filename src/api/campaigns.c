/* campaigns.c - the campaign resource: create, get, list, patch and the
 * lifecycle moves. Validation and the lifecycle table live in
 * domain/campaign.c; the move itself is one store transaction. */
#include "api/app.h"
#include "api/auth.h"
#include "api/campaign_cache.h"
#include "api/carriers.h"
#include "api/handlers.h"
#include "api/paging.h"
#include "api/snapshot_gate.h"
#include "domain/campaign_text.h"
#include "domain/render.h"
#include "engine/engine.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/ids.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dump_or_null(json_t *v) {
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* The campaign answer, written without a tree (campaign_text.h); through
 * render_campaign when a string of it is not valid UTF-8. A text written
 * goes into the campaign cache when generation is not 0. */
static void reply_campaign_cached(struct request *req, int status, const struct campaign *c,
                                  uint64_t generation) {
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    if (campaign_text(c, &b) == 0) {
        size_t n = b.len;
        if (generation)
            campaign_cache_put(req->app->campaigns, generation, req->account_id, c->id, b.data, n);
        reply_json_text(req, status, buf_steal(&b), n);
        return;
    }
    buf_free(&b);
    reply_json(req, status, render_campaign(c));
}

static void reply_campaign(struct request *req, int status, const struct campaign *c) {
    reply_campaign_cached(req, status, c, 0);
}

static void reply_verr(struct request *req, const struct verr *e) {
    reply_error(req, 422, "invalid_argument", e->field, "%s", e->message);
}

/* An sms from or a whatsapp sender belongs to the first account whose
 * campaign names it, so inbound opt-outs to it reach that account only.
 * Runs inside the request's write transaction, so two accounts claiming one
 * sender at once cannot both win. Answers and returns -1 when taken. */
static int refuse_taken_sender(struct request *req, enum channel ch, json_t *config) {
    if (ch == CHANNEL_VOICE)
        return 0;
    const char *field = ch == CHANNEL_SMS ? "from" : "sender";
    const char *sender = json_string_value(json_object_get(config, field));
    if (!sender)
        return 0;
    char owner[48] = "";
    struct store *st = req->app->store;
    int rc = st->ops->sender_account(st, ch, sender, owner);
    if (rc == STORE_ENOTFOUND || (rc == 0 && strcmp(owner, req->account_id) == 0))
        return 0;
    if (rc)
        reply_store_error(req, rc);
    else
        reply_error(req, 409, "sender_in_use", ch == CHANNEL_SMS ? "config.from" : "config.sender",
                    "%s %s is used by another account", ch == CHANNEL_SMS ? "from" : "sender",
                    sender);
    return -1;
}

void campaigns_create(struct request *req) {
    struct campaign_input in;
    struct verr e;
    if (campaign_validate_create(req->json, &req->app->rules, &in, &e) != 0) {
        reply_verr(req, &e);
        return;
    }
    if (refuse_taken_sender(req, in.channel, in.config))
        return;
    struct campaign c = {0};
    ids_new("cmp_", c.id);
    snprintf(c.account_id, sizeof c.account_id, "%s", req->account_id);
    c.name = xstrdup(in.name);
    c.agent_id = xstrdup(in.agent_id);
    c.channel = in.channel;
    c.status = CAMPAIGN_DRAFT;
    c.config_json = dump_or_null(in.config);
    c.schedule_json = dump_or_null(in.schedule);
    c.retry_policy_json = dump_or_null(in.retry_policy);
    campaign_schedule_times(in.schedule, &c.start_at, &c.end_at);
    c.created_at = c.updated_at = clock_now_ms();
    int rc = req->app->store->ops->campaign_insert(req->app->store, &c);
    if (rc)
        reply_store_error(req, rc);
    else
        reply_campaign(req, 201, &c);
    campaign_clear(&c);
}

/* With a deferred key the cache is keyed by the key's prefix, and an
 * entry holds the key's row (as read with the campaign) before the text:
 * a hit gives the same verdict a read would (the generation says nothing
 * was committed since, the key's row included). */
static int keyed_from_cache(struct request *req, uint64_t generation) {
    char *body;
    size_t n;
    if (!campaign_cache_claim(req->app->campaigns, generation, req->key_prefix, req->params[0],
                              &body, &n))
        return 0;
    if (n < sizeof(struct api_key)) {
        free(body);
        return 0;
    }
    struct api_key key;
    memcpy(&key, body, sizeof key);
    if (auth_finish_deferred(req, STORE_OK, &key) != 0) {
        free(body);
        return 1;
    }
    size_t len = n - sizeof key;
    memmove(body, body + sizeof key, len);
    reply_json_text(req, 200, body, len);
    return 1;
}

static void keyed_to_cache(struct request *req, uint64_t generation, const struct api_key *key,
                           const struct campaign *c) {
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    buf_append(&b, key, sizeof *key);
    size_t at = b.len;
    if (campaign_text(c, &b) == 0) {
        campaign_cache_put(req->app->campaigns, generation, req->key_prefix, req->params[0], b.data,
                           b.len);
        char *text = xmalloc(b.len - at + 1);
        memcpy(text, b.data + at, b.len - at);
        text[b.len - at] = '\0';
        reply_json_text(req, 200, text, b.len - at);
        buf_free(&b);
        return;
    }
    buf_free(&b);
    campaign_cache_release(req->app->campaigns, generation, req->key_prefix, req->params[0]);
    reply_json(req, 200, render_campaign(c));
}

/* A deferred key (auth.h) and the campaign in one store read; from the
 * campaign cache while the snapshot gate's generation holds (PostgreSQL). */
static void campaign_get_keyed(struct request *req) {
    struct store *st = req->app->store;
    uint64_t generation = 0;
    if (req->gated)
        generation = req->app->campaigns ? req->gate_generation : 0;
    else if (req->app->gate && req->app->campaigns)
        generation = snapshot_gate_generation(req->app->gate);
    if (generation && keyed_from_cache(req, generation))
        return;
    struct api_key key;
    struct campaign c;
    int found = STORE_ENOTFOUND;
    int rc = st->ops->campaign_get_with_key(st, req->key_prefix, req->params[0], &key, &c, &found);
    if (auth_finish_deferred(req, rc, &key) != 0 || reply_lookup_failed(req, found, "campaign")) {
        if (rc == STORE_OK && found == STORE_OK)
            campaign_clear(&c);
        campaign_cache_release(req->app->campaigns, generation, req->key_prefix, req->params[0]);
        return;
    }
    if (generation)
        keyed_to_cache(req, generation, &key, &c);
    else
        reply_campaign(req, 200, &c);
    campaign_clear(&c);
}

/* From the campaign cache while the store's write generation has not moved
 * since the text was rendered (campaign_cache.h), else read and rendered;
 * with a deferred key, read with the campaign. */
void campaigns_get(struct request *req) {
    if (req->key_deferred) {
        campaign_get_keyed(req);
        return;
    }
    struct store *st = req->app->store;
    uint64_t generation = req->app->campaigns ? st->ops->write_generation(st) : 0;
    char *text;
    size_t n;
    if (campaign_cache_get(req->app->campaigns, generation, req->account_id, req->params[0], &text,
                           &n)) {
        reply_json_text(req, 200, text, n);
        return;
    }
    struct campaign c;
    int rc = st->ops->campaign_get(st, req->account_id, req->params[0], &c);
    if (reply_lookup_failed(req, rc, "campaign"))
        return;
    reply_campaign_cached(req, 200, &c, generation);
    campaign_clear(&c);
}

void campaigns_list(struct request *req) {
    struct campaign_filter f = {0};
    const char *status = paging_query(req, "status");
    const char *channel = paging_query(req, "channel");
    if (status) {
        if (campaign_status_parse(status, &f.status) != 0) {
            reply_error(req, 400, "invalid_argument", "status",
                        "status must be draft, running, paused, completed or cancelled");
            return;
        }
        f.has_status = 1;
    }
    if (channel) {
        if (channel_parse(channel, &f.channel) != 0) {
            reply_error(req, 400, "invalid_argument", "channel",
                        "channel must be voice, sms or whatsapp");
            return;
        }
        f.has_channel = 1;
    }
    char filters[96];
    snprintf(filters, sizeof filters, "status=%s&channel=%s",
             f.has_status ? campaign_status_name(f.status) : "",
             f.has_channel ? channel_name(f.channel) : "");
    struct paging p;
    if (paging_parse(req, "campaigns", filters, &p) != 0)
        return;
    struct campaign_page page;
    int rc = req->app->store->ops->campaign_list(req->app->store, req->account_id, &f, p.cursor,
                                                 p.limit, &page);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < page.count; i++)
        json_array_append_new(data, render_campaign(&page.items[i]));
    paging_reply(req, &p, data, page.more, page.count ? page.items[page.count - 1].seq : 0);
    campaign_page_clear(&page);
}

static void replace(char **slot, json_t *v) {
    free(*slot);
    *slot = dump_or_null(v);
}

void campaigns_patch(struct request *req) {
    struct store *st = req->app->store;
    struct campaign c;
    int rc = st->ops->campaign_get(st, req->account_id, req->params[0], &c);
    if (reply_lookup_failed(req, rc, "campaign"))
        return;
    struct campaign_input in;
    struct verr e;
    rc = campaign_validate_patch(req->json, c.channel, c.status, &req->app->rules, &in, &e);
    if (rc == -2) {
        reply_error(req, 409, "invalid_transition", e.field,
                    "campaign is %s: only name can change after draft",
                    campaign_status_name(c.status));
    } else if (rc != 0) {
        reply_verr(req, &e);
    } else if (in.has_config && refuse_taken_sender(req, c.channel, in.config)) {
        /* answered */
    } else {
        if (in.has_name) {
            free(c.name);
            c.name = xstrdup(in.name);
        }
        if (in.has_config)
            replace(&c.config_json, in.config);
        if (in.has_schedule) {
            replace(&c.schedule_json, in.schedule);
            campaign_schedule_times(in.schedule, &c.start_at, &c.end_at);
        }
        if (in.has_retry_policy)
            replace(&c.retry_policy_json, in.retry_policy);
        c.updated_at = clock_now_ms();
        rc = st->ops->campaign_update(st, &c);
        /* a whatsapp lane is carrier|sender|category: a new sender or
         * category moves the campaign's recipients */
        if (rc == 0 && in.has_config && c.channel == CHANNEL_WHATSAPP)
            rc = carriers_relane(req, CHANNEL_WHATSAPP);
        if (rc)
            reply_store_error(req, rc);
        else
            reply_campaign(req, 200, &c);
    }
    campaign_clear(&c);
}

static void move(struct request *req, enum campaign_move m) {
    if (reply_if_any_field(req))
        return;
    struct campaign c;
    enum move_result result;
    int rc = req->app->store->ops->campaign_move(req->app->store, req->account_id, req->params[0],
                                                 m, clock_now_ms(), &result, &c);
    if (reply_lookup_failed(req, rc, "campaign"))
        return;
    if (result == MOVE_INVALID)
        reply_error(req, 409, "invalid_transition", NULL, "cannot %s a campaign that is %s",
                    campaign_move_name(m), campaign_status_name(c.status));
    else if (result == MOVE_EMPTY)
        reply_error(req, 409, "campaign_empty", NULL, "cannot start a campaign with no recipients");
    else
        reply_campaign(req, 200, &c);
    if (result == MOVE_OK)
        req->wake = ENGINE_CAMPAIGNS;
    campaign_clear(&c);
}

void campaigns_start(struct request *req) {
    move(req, MOVE_START);
}

void campaigns_pause(struct request *req) {
    move(req, MOVE_PAUSE);
}

void campaigns_resume(struct request *req) {
    move(req, MOVE_RESUME);
}

void campaigns_cancel(struct request *req) {
    move(req, MOVE_CANCEL);
}
