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

/* An optional RFC 3339 time field; 0 when absent. -1 when it answered. */
static int time_field(struct request *req, const char *name, int64_t *out) {
    json_t *v = json_object_get(req->json, name);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || clock_parse_rfc3339(json_string_value(v), out) != 0) {
        reply_error(req, 422, "invalid_argument", name, "%s must be an RFC 3339 time", name);
        return -1;
    }
    return 0;
}

static void report(struct request *req, int voice) {
    static const char *const known[] = {"status", "answered_at", "ended_at", "provider_id", NULL};
    enum channel ch = CHANNEL_VOICE;
    if (find_attempt(req, &ch) != 0)
        return;
    if ((ch == CHANNEL_VOICE) != voice) {
        reply_not_found(req, voice ? "call" : "message");
        return;
    }
    struct attempt_end end = {.channel = ch};
    snprintf(end.call_id, sizeof end.call_id, "%s", req->params[1]);
    const char *status = json_string_value(json_object_get(req->json, "status"));
    int ok = 0;
    if (status && voice)
        ok = call_status_parse(status, &end.status) == 0 && call_status_is_final(end.status);
    else if (status)
        ok = message_status_parse(status, &end.mstatus) == 0 && end.mstatus != MSG_QUEUED;
    if (!ok) {
        reply_error(req, 422, "invalid_argument", "status",
                    voice ? "status must be a call's end: completed, no_answer, busy or failed"
                          : "status must be sent, delivered, read, undelivered or failed");
        return;
    }
    if (time_field(req, "answered_at", &end.answered_at) ||
        time_field(req, "ended_at", &end.ended_at))
        return;
    if (!end.ended_at)
        end.ended_at = clock_now_ms();
    json_t *pid = json_object_get(req->json, "provider_id");
    if (pid && (!json_is_string(pid) || json_string_length(pid) >= sizeof end.provider_call_id)) {
        reply_error(req, 422, "invalid_argument", "provider_id",
                    "provider_id must be a string of at most 63 bytes");
        return;
    }
    if (pid)
        snprintf(end.provider_call_id, sizeof end.provider_call_id, "%s", json_string_value(pid));
    if (reply_if_unknown_field(req, known))
        return;
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
