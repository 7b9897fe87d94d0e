/* callbacks_vapi.c - the vapi type's webhook (contract, Providers, vapi):
 * POST /v1/providers/{name}/webhook takes Vapi's server messages. Each is
 * authenticated as the provider's webhook_auth says, over the raw body,
 * before anything is read (domain/vapi_rules.c): an HMAC credential
 * (hmac_signature_header over "{timestamp}.{body}" with the timestamp in
 * hmac_timestamp_header, or over the body when the request has no
 * timestamp), a Bearer token credential, or the legacy X-Vapi-Secret. A
 * message that fails is 403 forbidden and changes nothing. An
 * end-of-call-report ends the call (its transcript and recording written
 * first); a status-update of ringing or in-progress moves it forward;
 * every other message is answered 200 {} and dropped. */
#include "api/app.h"
#include "api/callback_types.h"
#include "api/callbacks_runtime.h"
#include "domain/vapi_rules.h"
#include "util/clock.h"
#include "util/log.h"

#include <string.h>

static const char *setting(const struct provider_def *def, const char *name) {
    return json_string_value(json_object_get(def->settings, name));
}

static int vapi_authorize(struct request *req, const struct provider_def *def) {
    const char *secret = setting(def, "webhook_secret");
    const char *body = req->body.data ? req->body.data : "";
    enum vapi_auth_mode mode = VAPI_AUTH_HMAC;
    vapi_auth_mode_parse(setting(def, "webhook_auth"), &mode);
    int ok = 0;
    switch (mode) {
    case VAPI_AUTH_HMAC:
        ok = vapi_hmac_valid(
            secret, body, req->body.len, request_header(req, setting(def, "hmac_timestamp_header")),
            request_header(req, setting(def, "hmac_signature_header")), clock_now_ms());
        break;
    case VAPI_AUTH_BEARER:
        ok = vapi_bearer_valid(secret, request_header(req, "Authorization"));
        break;
    case VAPI_AUTH_SECRET_HEADER:
        ok = vapi_secret_header_valid(secret, request_header(req, "X-Vapi-Secret"));
        break;
    }
    if (ok)
        return 0;
    log_warn("vapi %s: a server message failed its %s check", def->name,
             setting(def, "webhook_auth"));
    reply_error(req, 403, "forbidden", NULL,
                "the server message is not authenticated as this provider's webhook_auth (%s) "
                "and webhook_secret require",
                setting(def, "webhook_auth"));
    return -1;
}

static void vapi_webhook(struct request *req, const struct provider_def *def) {
    runtime_webhook(req, def, vapi_authorize, vapi_report_read, 200, "{}");
}

const struct callback_type callbacks_vapi = {
    .type = "vapi", .authorize = vapi_authorize, .report = NULL, .webhook = vapi_webhook};
