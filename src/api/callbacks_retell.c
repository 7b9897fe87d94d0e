/* callbacks_retell.c - the retell type's webhook (contract, Providers,
 * retell): POST /v1/providers/{name}/webhook takes Retell's call events,
 * checked first with x-retell-signature ("v=<ms>,d=<hex HMAC-SHA256 under
 * the api_key of the raw body followed by the ms>", within five minutes;
 * domain/retell_rules.c). A missing, wrong or stale signature is 403
 * forbidden and changes nothing. call_ended and call_analyzed end the call
 * (transcript and recording written first; the second one only adds what
 * the first lacked), call_started moves it in progress, every other event
 * is answered 204 and dropped. */
#include "api/app.h"
#include "api/callback_types.h"
#include "api/callbacks_runtime.h"
#include "domain/retell_rules.h"
#include "util/clock.h"
#include "util/log.h"

static int retell_authorize(struct request *req, const struct provider_def *def) {
    const char *key = json_string_value(json_object_get(def->settings, "api_key"));
    const char *sig = request_header(req, "X-Retell-Signature");
    if (retell_signature_valid(key, req->body.data ? req->body.data : "", req->body.len, sig,
                               clock_now_ms()))
        return 0;
    log_warn("retell %s: a webhook failed its signature check (x-retell-signature %s)", def->name,
             sig ? "wrong or stale" : "missing");
    reply_error(req, 403, "forbidden", NULL,
                "x-retell-signature is missing, stale or does not match this body under the "
                "provider's api_key");
    return -1;
}

static void retell_webhook(struct request *req, const struct provider_def *def) {
    runtime_webhook(req, def, retell_authorize, retell_report_read, 204, NULL);
}

const struct callback_type callbacks_retell = {
    .type = "retell", .authorize = retell_authorize, .report = NULL, .webhook = retell_webhook};
