/* callbacks.c - what providers send back (contract, Providers):
 * POST /v1/providers/{name}/calls/{call_id} and .../messages/{message_id}
 * (a report on one attempt), GET and POST /v1/providers/{name}/webhook.
 * Finds the provider named in the path and hands the request to its
 * type's functions (callback_types.h), which check it their own way. The
 * sim type lives here: the admin token and a JSON body, so an operator or a
 * test can play a provider's late, repeated or out-of-order reports. A
 * report is written durably through engine_report() before the 2xx, and
 * the engine applies it forward only. Unknown provider, attempt, an
 * attempt of another provider or of the other kind: 404; the type's check
 * comes first once the provider is known, so a forged callback learns
 * nothing of attempts. */
#include "api/app.h"
#include "api/auth.h"
#include "api/callback_types.h"
#include "api/handlers.h"
#include "domain/provider_report.h"
#include "engine/engine.h"
#include "engine/inforce.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

/* Every provider type that takes callbacks. */
static const struct callback_type *const types[] = {&callbacks_sim, &callbacks_twilio,
                                                    &callbacks_meta};

static const struct callback_type *type_of(const struct provider_def *d) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i]->type, d->type) == 0)
            return types[i];
    return NULL;
}

struct provider_defs {
    struct provider_def *items;
    size_t n;
};

static void defs_release(void *p) {
    struct provider_defs *l = p;
    providers_free(l->items, l->n);
}

/* The provider named in the path (request-scoped), or NULL answered 404. */
static const struct provider_def *find_provider(struct request *req) {
    struct provider_defs *l = request_alloc(req, 1, sizeof *l);
    int rc = providers_load(req->app->store, req->app->cfg, &l->items, &l->n);
    if (reply_lookup_failed(req, rc, "provider"))
        return NULL;
    request_defer(req, defs_release, l);
    const struct provider_def *d = providers_find(l->items, l->n, req->params[0]);
    if (!d)
        reply_not_found(req, "provider");
    return d;
}

/* The attempt in the path must be the provider's, of the path's kind. */
static int find_attempt(struct request *req, int voice, enum channel *ch) {
    char owner[65] = "";
    int rc = req->app->store->ops->attempt_provider(req->app->store, req->params[1], owner, ch);
    if (rc == 0 && (strcmp(owner, req->params[0]) != 0 || (*ch == CHANNEL_VOICE) != voice))
        rc = STORE_ENOTFOUND; /* another provider's attempt, or a call is no message */
    return reply_lookup_failed(req, rc, voice ? "call" : "message") ? -1 : 0;
}

static void report(struct request *req, int voice) {
    const struct provider_def *d = find_provider(req);
    if (!d)
        return;
    const struct callback_type *t = type_of(d);
    if (!t || !t->report) {
        reply_error(req, 404, "not_found", NULL, "a %s provider takes no reports here", d->type);
        return;
    }
    if (t->authorize(req, d) != 0)
        return;
    enum channel ch = CHANNEL_VOICE;
    if (find_attempt(req, voice, &ch) != 0)
        return;
    t->report(req, d, ch);
}

void providers_call_report(struct request *req) {
    report(req, 1);
}

void providers_message_report(struct request *req) {
    report(req, 0);
}

void providers_webhook(struct request *req) {
    const struct provider_def *d = find_provider(req);
    if (!d)
        return;
    const struct callback_type *t = type_of(d);
    if (!t || !t->webhook) {
        reply_error(req, 404, "not_found", NULL, "a %s provider has no webhook", d->type);
        return;
    }
    t->webhook(req, d); /* a handshake may need no signature: the type checks */
}

/* ---- sim: the admin token and a JSON body ---- */

static int sim_authorize(struct request *req, const struct provider_def *def) {
    (void)def;
    return auth_admin(req);
}

static void sim_report(struct request *req, const struct provider_def *def, enum channel ch) {
    if (request_parse_json(req) != 0)
        return;
    struct attempt_end end;
    struct verr e;
    if (provider_report_from_json(req->json, req->params[1], ch, clock_now_ms(), &end, &e) != 0) {
        reply_error(req, 422, "invalid_argument", e.field, "%s", e.message);
        return;
    }
    int rc = engine_report(req->app->engine, req->app->store, def->name, &end, 1);
    if (rc)
        reply_store_error(req, rc);
    else
        reply_empty(req, 204);
}

const struct callback_type callbacks_sim = {
    .type = "sim", .authorize = sim_authorize, .report = sim_report, .webhook = NULL};
