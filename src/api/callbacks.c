/* callbacks.c - reports from providers about one attempt:
 * POST /v1/providers/{name}/calls/{call_id} and
 * POST /v1/providers/{name}/messages/{message_id}, the URLs providers call
 * back (contract, Providers). Each provider type checks its callbacks its
 * own way; a provider of type sim takes them with the admin token and a
 * JSON body, so an operator or a test can play a provider's late,
 * repeated or out-of-order reports. The report is written durably through
 * engine_report() before the 204, and the engine applies it forward only.
 * Unknown provider, attempt, or an attempt of another provider: 404. */
#include "api/app.h"
#include "api/handlers.h"
#include "domain/provider_report.h"
#include "engine/engine.h"
#include "engine/inforce.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

/* The provider named in the path must exist and carry the attempt. */
static int find_attempt(struct request *req, enum channel *ch) {
    struct provider_def *defs;
    size_t n;
    int rc = providers_load(req->app->store, req->app->cfg, &defs, &n);
    if (reply_lookup_failed(req, rc, "provider"))
        return -1;
    int found = providers_find(defs, n, req->params[0]) != NULL;
    providers_free(defs, n);
    if (!found) {
        reply_not_found(req, "provider");
        return -1;
    }
    char owner[65] = "";
    rc = req->app->store->ops->attempt_provider(req->app->store, req->params[1], owner, ch);
    if (rc == 0 && strcmp(owner, req->params[0]) != 0)
        rc = STORE_ENOTFOUND; /* another provider's attempt */
    return reply_lookup_failed(req, rc, "attempt") ? -1 : 0;
}

static void report(struct request *req, int voice) {
    enum channel ch = CHANNEL_VOICE;
    if (find_attempt(req, &ch) != 0)
        return;
    if ((ch == CHANNEL_VOICE) != voice) {
        reply_not_found(req, voice ? "call" : "message");
        return;
    }
    struct attempt_end end;
    struct verr e;
    if (provider_report_from_json(req->json, req->params[1], ch, clock_now_ms(), &end, &e) != 0) {
        reply_error(req, 422, "invalid_argument", e.field, "%s", e.message);
        return;
    }
    int rc = engine_report(req->app->engine, req->app->store, req->params[0], &end, 1);
    if (rc)
        reply_store_error(req, rc);
    else
        reply_empty(req, 204);
}

void providers_call_report(struct request *req) {
    report(req, 1);
}

void providers_message_report(struct request *req) {
    report(req, 0);
}
