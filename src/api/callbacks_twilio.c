/* callbacks_twilio.c - the twilio type's status callbacks (contract,
 * Providers, twilio): POST /v1/providers/{name}/calls/{call_id} and
 * .../messages/{message_id}, a form body signed with X-Twilio-Signature
 * (HMAC-SHA1 under the provider's auth_token over CAMPAIGND_PUBLIC_URL +
 * the path and query as sent, then every field sorted by name; checked in
 * constant time by domain/twilio_rules.c). A missing or wrong signature is
 * 403 forbidden and changes nothing; it is checked before the attempt is
 * looked up. The fields become a report (twilio_report_read) written
 * durably with engine_report() before the 204; statuses that move nothing
 * (queued, initiated, sending, ...) are answered 204 and dropped. */
#include "api/app.h"
#include "api/callback_types.h"
#include "domain/twilio_rules.h"
#include "engine/engine.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/form.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TWILIO_MAX_FIELDS 256

static void form_release(void *p) {
    form_clear(p);
}

/* The request's form (request-scoped), or NULL answered. */
static struct form *read_form(struct request *req) {
    const char *ct = req->content_type ? req->content_type : "";
    if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
        (ct[33] && ct[33] != ';' && ct[33] != ' ')) {
        reply_error(req, 415, "unsupported_media_type", NULL,
                    "a twilio callback is application/x-www-form-urlencoded");
        return NULL;
    }
    struct form *f = request_alloc(req, 1, sizeof *f);
    if (form_parse(req->body.data ? req->body.data : "", req->body.len, TWILIO_MAX_FIELDS, f)) {
        reply_error(req, 422, "invalid_argument", NULL, "a twilio callback has at most %d fields",
                    TWILIO_MAX_FIELDS);
        return NULL;
    }
    request_defer(req, form_release, f);
    return f;
}

static int twilio_authorize(struct request *req, const struct provider_def *def) {
    struct form *f = read_form(req);
    if (!f)
        return -1;
    const char *token = json_string_value(json_object_get(def->settings, "auth_token"));
    char *url =
        xasprintf("%s%s", req->app->cfg->public_url, req->raw_uri ? req->raw_uri : req->url);
    int ok =
        token && twilio_signature_valid(token, url, f, request_header(req, "X-Twilio-Signature"));
    free(url);
    if (ok)
        return 0;
    log_warn("twilio %s: a callback to %s failed its signature check (X-Twilio-Signature %s)",
             def->name, req->url, request_header(req, "X-Twilio-Signature") ? "wrong" : "missing");
    reply_error(req, 403, "forbidden", NULL,
                "X-Twilio-Signature is missing or does not match this request (signed over "
                "CAMPAIGND_PUBLIC_URL and the provider's auth_token)");
    return -1;
}

static void twilio_report(struct request *req, const struct provider_def *def, enum channel ch) {
    struct form *f = read_form(req); /* again: authorize's is request-scoped but not kept */
    if (!f)
        return;
    struct attempt_end end;
    struct verr e;
    int rc = twilio_report_read(f, req->params[1], ch, clock_now_ms(), &end, &e);
    if (rc < 0) {
        reply_error(req, 422, "invalid_argument", e.field, "%s", e.message);
        return;
    }
    if (rc == 0 && (rc = engine_report(req->app->engine, req->app->store, def->name, &end, 1))) {
        reply_store_error(req, rc);
        return;
    }
    reply_empty(req, 204);
}

const struct callback_type callbacks_twilio = {
    .type = "twilio", .authorize = twilio_authorize, .report = twilio_report, .webhook = NULL};
