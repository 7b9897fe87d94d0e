/* callbacks_meta.c - the meta_whatsapp type's webhook (contract, Providers,
 * meta_whatsapp) at /v1/providers/{name}/webhook.
 *
 * GET is Meta's subscription handshake: hub.mode=subscribe with the
 * provider's verify_token answers hub.challenge as text/plain; anything
 * else is 403 forbidden.
 *
 * POST carries statuses and inbound messages. It is checked first with
 * X-Hub-Signature-256 (HMAC-SHA256 of the raw body under app_secret,
 * constant time; missing or wrong: 403 forbidden, nothing read, nothing
 * changed), then read by domain/meta_rules.c (meta_webhook_read). Then, in
 * one store transaction (api_begin_effects; committed only when the answer
 * is 200): each status finds its message by wamid
 * (attempt_by_provider_id; one not known is skipped and logged, unless
 * its timestamp is of the last minute: then the whole webhook is answered
 * 503 and changes nothing, because Meta's answer to that send may not be
 * stored yet, and Meta sends it again), the first pricing.category reported is kept on the message
 * (pricing_category), and all of them are written to the inbox with one engine_report() call, which
 * the engine applies forward only (sent, delivered, read; failed -> undelivered with
 * errors[0].code); each inbound text message whose text is an opt-out keyword (domain/keywords.c)
 * records a blanket whatsapp opt-out of its sender for the account that
 * sends from that phone number id (START and UNSTOP remove it), and is
 * recorded as an inbound message. A kill at any point leaves all of it or
 * none of it; Meta repeats a webhook that got no 200, and repeats apply
 * forward only, so nothing moves twice. HTTP worker threads. */
#include "api/app.h"
#include "api/callback_types.h"
#include "api/effects.h"
#include "api/handlers.h"
#include "domain/keywords.h"
#include "domain/meta_rules.h"
#include "engine/engine.h"
#include "engine/inbound.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

#include <stdio.h>

/* A status for a message not known yet that is younger than this is
 * answered 503 (Meta sends it again): the answer to its send may be on its
 * way to the store. An older one is of a message this server never sent
 * (another system sending from the number), or of a send whose answer never
 * came: skipped. */
#define UNKNOWN_GRACE_MS 60000
#include <stdlib.h>
#include <string.h>

static const char *setting(const struct provider_def *def, const char *name) {
    return json_string_value(json_object_get(def->settings, name));
}

static int meta_authorize(struct request *req, const struct provider_def *def) {
    const char *sig = request_header(req, "X-Hub-Signature-256");
    if (meta_signature_valid(setting(def, "app_secret"), req->body.data ? req->body.data : "",
                             req->body.len, sig))
        return 0;
    log_warn("meta_whatsapp %s: a webhook failed its signature check (X-Hub-Signature-256 %s)",
             def->name, sig ? "wrong" : "missing");
    reply_error(req, 403, "forbidden", NULL,
                "X-Hub-Signature-256 is missing or is not the HMAC-SHA256 of this body under the "
                "provider's app_secret");
    return -1;
}

static void handshake(struct request *req, const struct provider_def *def) {
    const char *challenge = request_query(req, "hub.challenge");
    if (!meta_handshake_ok(request_query(req, "hub.mode"), request_query(req, "hub.verify_token"),
                           challenge, setting(def, "verify_token"))) {
        log_warn("meta_whatsapp %s: a webhook handshake with a wrong verify token or mode",
                 def->name);
        reply_error(req, 403, "forbidden", NULL,
                    "hub.mode must be subscribe and hub.verify_token the provider's verify_token");
        return;
    }
    reply_raw(req, 200, "text/plain; charset=utf-8", challenge, strlen(challenge));
}

static void webhook_release(void *p) {
    meta_webhook_clear(p);
}

/* The statuses as reports on the messages this provider sent (ends, n),
 * each status's pricing category written on its message; 0 or a store
 * error. *early: a status of the last UNKNOWN_GRACE_MS names a message not
 * known yet (Meta's answer to its send may not be stored yet). */
static int statuses_to_ends(struct request *req, const struct provider_def *def,
                            const struct meta_webhook *w, int64_t now, struct attempt_end *ends,
                            size_t *n, int *early) {
    struct store *st = req->app->store;
    *n = 0;
    *early = 0;
    for (size_t i = 0; i < w->nstatuses; i++) {
        const struct meta_status *s = &w->statuses[i];
        struct attempt_end *e = &ends[*n];
        memset(e, 0, sizeof *e);
        int rc = st->ops->attempt_by_provider_id(st, def->name, s->wamid, e->call_id, &e->channel);
        if (rc == STORE_ENOTFOUND && s->timed && s->at > now - UNKNOWN_GRACE_MS) {
            log_info("meta_whatsapp %s: a status %s for %s, a message not known yet: the webhook "
                     "is answered 503 and comes again",
                     def->name, message_status_name(s->mstatus), s->wamid);
            *early = 1;
            return 0;
        }
        if (rc == STORE_ENOTFOUND || (rc == 0 && e->channel != CHANNEL_WHATSAPP)) {
            log_info("meta_whatsapp %s: a status %s for %s, a message it never sent: skipped",
                     def->name, message_status_name(s->mstatus), s->wamid);
            continue;
        }
        if (rc == 0 && s->pricing_category[0])
            rc = st->ops->message_set_pricing(st, e->call_id, s->pricing_category);
        if (rc)
            return rc;
        e->mstatus = s->mstatus;
        e->ended_at = s->at;
        snprintf(e->provider_call_id, sizeof e->provider_call_id, "%s", s->wamid);
        if (s->mstatus == MSG_UNDELIVERED)
            snprintf(e->error_code, sizeof e->error_code, "%s", s->error_code);
        (*n)++;
    }
    return 0;
}

/* Applies the inbound messages (opt-outs, recorded messages); 0 or a
 * store error. */
static int apply_inbound(struct request *req, const struct meta_webhook *w, int64_t now) {
    struct store *st = req->app->store;
    for (size_t i = 0; i < w->ninbound; i++) {
        const struct meta_inbound *m = &w->inbound[i];
        char account[48] = "";
        int rc = st->ops->sender_account(st, CHANNEL_WHATSAPP, m->phone_number_id, account);
        if (rc && rc != STORE_ENOTFOUND)
            return rc;
        enum keyword_action action = account[0] ? keyword_classify(m->text) : KEYWORD_NONE;
        rc = inbound_apply(st, account, CHANNEL_WHATSAPP, m->from, m->phone_number_id, m->text,
                           action, now);
        if (rc)
            return rc;
    }
    return 0;
}

static void notification(struct request *req, const struct provider_def *def) {
    if (meta_authorize(req, def) != 0 || request_parse_json(req) != 0)
        return;
    struct meta_webhook *w = request_alloc(req, 1, sizeof *w);
    struct verr e;
    int64_t now = clock_now_ms();
    if (meta_webhook_read(req->json, now, w, &e) != 0) {
        reply_error(req, 422, "invalid_argument", e.field, "%s", e.message);
        return;
    }
    request_defer(req, webhook_release, w);
    if (api_begin_effects(req) != 0)
        return;
    struct attempt_end *ends = request_alloc(req, w->nstatuses + 1, sizeof *ends);
    size_t n = 0;
    int early = 0;
    int rc = statuses_to_ends(req, def, w, now, ends, &n, &early);
    if (rc == 0 && early) {
        req->retry_after = 5;
        reply_error(req, 503, "unavailable", NULL,
                    "a status names a message sent moments ago that is not recorded yet: send "
                    "the webhook again");
        return;
    }
    if (rc == 0 && n > 0)
        rc = engine_report(req->app->engine, req->app->store, def->name, ends, n);
    if (rc == 0)
        rc = apply_inbound(req, w, now);
    if (rc) {
        reply_store_error(req, rc); /* rolled back: Meta sends it again */
        return;
    }
    req->wake = ENGINE_INBOX; /* again once committed: the engine reads the inbox then */
    reply_json(req, 200,
               json_pack("{s:I, s:I, s:I}", "statuses", (json_int_t)n, "messages",
                         (json_int_t)w->ninbound, "ignored",
                         (json_int_t)(w->ignored + w->nstatuses - n)));
}

static void meta_webhook(struct request *req, const struct provider_def *def) {
    if (strcmp(req->method, "GET") == 0)
        handshake(req, def);
    else
        notification(req, def);
}

const struct callback_type callbacks_meta = {
    .type = "meta_whatsapp", .authorize = meta_authorize, .report = NULL, .webhook = meta_webhook};
