/* optouts.c - opt-outs (suppression) per account: POST/GET/DELETE
 * /v1/opt-outs, and the simulated provider's inbound messages, whose
 * keywords (domain/keywords.c) opt a number out of or back into sms.
 * Suppression itself is checked by the engine when a recipient's turn
 * comes, so an opt-out recorded after the upload still wins. */
#include "api/app.h"
#include "api/handlers.h"
#include "api/paging.h"
#include "domain/render.h"
#include "domain/keywords.h"
#include "domain/phone.h"
#include "engine/inbound.h"
#include "util/clock.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void optouts_create(struct request *req) {
    static const char *const known[] = {"phone_number", "channel", "category", NULL};
    json_t *phone = json_object_get(req->json, "phone_number");
    json_t *channel = json_object_get(req->json, "channel");
    json_t *category = json_object_get(req->json, "category");
    struct opt_out o = {0};
    if (!json_is_string(phone) || !phone_is_e164(json_string_value(phone))) {
        reply_error(req, 422, "invalid_argument", "phone_number",
                    "phone_number must be an E.164 number");
        return;
    }
    if (!json_is_string(channel) || channel_parse(json_string_value(channel), &o.channel) != 0) {
        reply_error(req, 422, "invalid_argument", "channel",
                    "channel must be sms, whatsapp or voice");
        return;
    }
    if (category && !json_is_null(category)) {
        if (o.channel != CHANNEL_WHATSAPP) {
            reply_error(req, 422, "invalid_argument", "category",
                        "%s opt-outs are always blanket: category must be null",
                        channel_name(o.channel));
            return;
        }
        const char *name =
            json_is_string(category) ? category_name_valid(json_string_value(category)) : NULL;
        if (!name) {
            reply_error(req, 422, "invalid_argument", "category",
                        "category must be marketing, utility, authentication or null");
            return;
        }
        snprintf(o.category, sizeof o.category, "%s", name);
    }
    if (reply_if_unknown_field(req, known))
        return;
    ids_new("opt_", o.id);
    snprintf(o.account_id, sizeof o.account_id, "%s", req->account_id);
    snprintf(o.phone_number, sizeof o.phone_number, "%s", json_string_value(phone));
    snprintf(o.source, sizeof o.source, "api");
    o.created_at = clock_now_ms();
    int created = 0;
    int rc = req->app->store->ops->opt_out_insert(req->app->store, &o, &created);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    /* the same opt-out twice is one opt-out: the first is answered again */
    reply_json(req, created ? 201 : 200, render_opt_out(&o));
}

void optouts_list(struct request *req) {
    struct opt_out_filter f = {0};
    const char *channel = paging_query(req, "channel");
    const char *phone = paging_query(req, "phone_number");
    if (channel) {
        if (channel_parse(channel, &f.channel) != 0) {
            reply_error(req, 400, "invalid_argument", "channel",
                        "channel must be sms, whatsapp or voice");
            return;
        }
        f.has_channel = 1;
    }
    if (phone) {
        if (!phone_is_e164(phone)) {
            reply_error(req, 400, "invalid_argument", "phone_number",
                        "phone_number must be an E.164 number");
            return;
        }
        f.phone_number = phone;
    }
    char filters[96];
    snprintf(filters, sizeof filters, "channel=%s&phone=%s",
             f.has_channel ? channel_name(f.channel) : "", f.phone_number ? f.phone_number : "");
    struct paging p;
    if (paging_parse(req, "opt_outs", filters, &p) != 0)
        return;
    struct opt_out_page page;
    int rc = req->app->store->ops->opt_out_list(req->app->store, req->account_id, &f, p.cursor,
                                                p.limit, &page);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < page.count; i++)
        json_array_append_new(data, render_opt_out(&page.items[i]));
    paging_reply(req, &p, data, page.more, page.count ? page.items[page.count - 1].seq : 0);
    free(page.items);
}

void optouts_delete(struct request *req) {
    int rc = req->app->store->ops->opt_out_delete(req->app->store, req->account_id, req->params[0]);
    if (rc == STORE_ENOTFOUND)
        reply_not_found(req, "opt-out");
    else if (rc)
        reply_store_error(req, rc);
    else
        reply_empty(req, 204);
}

void providers_sim_inbound(struct request *req) {
    static const char *const known[] = {"channel", "from", "to", "body", NULL};
    json_t *channel = json_object_get(req->json, "channel");
    json_t *from = json_object_get(req->json, "from");
    json_t *to = json_object_get(req->json, "to");
    json_t *body = json_object_get(req->json, "body");
    enum channel ch = CHANNEL_SMS;
    if (channel && !json_is_null(channel) &&
        (!json_is_string(channel) || channel_parse(json_string_value(channel), &ch) != 0 ||
         ch == CHANNEL_VOICE)) {
        reply_error(req, 422, "invalid_argument", "channel", "channel must be sms or whatsapp");
        return;
    }
    if (!json_is_string(from) || !phone_is_e164(json_string_value(from))) {
        reply_error(req, 422, "invalid_argument", "from", "from must be an E.164 number");
        return;
    }
    if (!json_is_string(to) || json_string_length(to) == 0 || json_string_length(to) > 128) {
        reply_error(req, 422, "invalid_argument", "to",
                    "to must be the sender the campaign sends from");
        return;
    }
    if (!json_is_string(body) || json_string_length(body) > 4096) {
        reply_error(req, 422, "invalid_argument", "body", "body must be a string of text");
        return;
    }
    if (reply_if_unknown_field(req, known))
        return;
    enum keyword_action action = KEYWORD_NONE;
    int rc = inbound_record(req->app->store, ch, json_string_value(from), json_string_value(to),
                            json_string_value(body), &action);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    reply_json(req, 200, json_pack("{s:s}", "action", keyword_action_name(action)));
}
