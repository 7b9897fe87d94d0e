/* twilio.c - the twilio provider: voice and sms through Twilio's REST API
 * (or one that speaks it, by base_url), contract "Providers, twilio".
 *
 * submit() turns each attempt into one form-encoded POST with HTTP Basic
 * auth (account_sid:auth_token), sent over http_submit (connections kept
 * and reused, many in flight):
 *   voice: {base_url}/2010-04-01/Accounts/{sid}/Calls.json with To, From,
 *          Url (voice_url with {agent_id}, {call_id}, {recipient_id},
 *          {campaign_id} filled in, URL-encoded), StatusCallback
 *          ({public_url}/v1/providers/{name}/calls/{call_id}),
 *          StatusCallbackMethod=POST, StatusCallbackEvent once per event
 *          (initiated, ringing, answered, completed) and
 *          MachineDetection=Enable when machine_detection is set;
 *   sms:   .../Messages.json with To, From (or MessagingServiceSid for an
 *          MG... sender), Body, StatusCallback
 *          ({public_url}/v1/providers/{name}/messages/{message_id}).
 * The answer becomes the attempt's fate (domain/twilio_rules.c): 2xx
 * accepted with its sid; 429, code 20429 or 5xx put back (Retry-After);
 * other 4xx rejected with Twilio's code. No answer: http_submit's rule
 * (never left: put back; may have arrived: unknown, never sent again).
 * Reports come later as signed status callbacks (api/callbacks_twilio.c);
 * this provider keeps no state of its own, so it has no lookup() and its
 * ack() has nothing to forget. Thread: the engine's loop. */
#include "domain/twilio_rules.h"
#include "domain/url_template.h"
#include "providers/http_submit.h"
#include "util/alloc.h"
#include "util/form.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_MAX (64 * 1024) /* a request body: the longest sms is 1600 chars */

struct twilio {
    struct provider base;
    struct http_submit *http;
    char *userpwd;
    char *calls_url, *messages_url;
    char *voice_url; /* NULL: carries no voice */
    char *public_url;
    int machine_detection;
};

static const char *setting(const struct provider_def *def, const char *name) {
    return json_string_value(json_object_get(def->settings, name));
}

static void classify(void *ctx, const struct attempt *a, const struct http_answer *ans,
                     struct provider_event *ev) {
    struct twilio *t = ctx;
    struct twilio_answer got;
    twilio_answer_read(ans->status, ans->body, ans->body_len, ans->retry_after_ms, &got);
    switch (got.fate) {
    case TWILIO_ACCEPTED:
        ev->fate = PROVIDER_ACCEPTED;
        snprintf(ev->end.provider_call_id, sizeof ev->end.provider_call_id, "%s", got.sid);
        break;
    case TWILIO_REJECTED:
        ev->fate = PROVIDER_REJECTED;
        snprintf(ev->error_code, sizeof ev->error_code, "%s", got.error_code);
        log_info("twilio %s: %s refused with HTTP %ld, code %s", t->base.name, a->call_id,
                 ans->status, got.error_code);
        break;
    case TWILIO_PUT_BACK:
        ev->fate = PROVIDER_THROTTLED;
        ev->retry_after_ms = got.retry_after_ms;
        log_info("twilio %s: %s put back (HTTP %ld%s), retry after %lld ms", t->base.name,
                 a->call_id, ans->status, ans->status == 429 ? ", over its limits" : "",
                 (long long)got.retry_after_ms);
        break;
    }
}

/* The form of one attempt into b; NULL, or the error code that refuses it. */
static const char *build_form(struct twilio *t, const struct attempt *a, struct buf *b) {
    char *callback = xasprintf("%s/v1/providers/%s/%s/%s", t->public_url, t->base.name,
                               a->channel == CHANNEL_VOICE ? "calls" : "messages", a->call_id);
    int rc = form_add(b, "To", a->to);
    if (a->channel == CHANNEL_VOICE) {
        struct url_var vars[4] = {{voice_url_placeholders[0], a->agent_id},
                                  {voice_url_placeholders[1], a->call_id},
                                  {voice_url_placeholders[2], a->recipient_id},
                                  {voice_url_placeholders[3], a->campaign_id}};
        struct buf url;
        buf_init(&url, 8192);
        const char *why = NULL;
        int filled = url_template_fill(t->voice_url, vars, 4, &url, &why);
        rc = rc || filled || form_add(b, "From", a->from) || form_add(b, "Url", url.data) ||
             form_add(b, "StatusCallback", callback) || form_add(b, "StatusCallbackMethod", "POST");
        static const char *const events[] = {"initiated", "ringing", "answered", "completed"};
        for (size_t i = 0; i < 4; i++)
            rc = rc || form_add(b, "StatusCallbackEvent", events[i]);
        if (t->machine_detection)
            rc = rc || form_add(b, "MachineDetection", "Enable");
        buf_free(&url);
    } else {
        int service = strncmp(a->from, "MG", 2) == 0;
        rc = rc || form_add(b, service ? "MessagingServiceSid" : "From", a->from) ||
             form_add(b, "Body", a->text ? a->text : "") || form_add(b, "StatusCallback", callback);
    }
    free(callback);
    return rc ? "request_too_large" : NULL;
}

static int twilio_submit(struct provider *p, struct attempt *batch, size_t n) {
    struct twilio *t = (struct twilio *)p;
    for (size_t i = 0; i < n; i++) {
        struct attempt *a = &batch[i];
        const char *refused = NULL;
        if (a->channel == CHANNEL_VOICE && !t->voice_url)
            refused = "no_voice_url";
        else if (a->channel != CHANNEL_VOICE && a->channel != CHANNEL_SMS)
            refused = "channel_not_carried";
        struct buf form;
        buf_init(&form, FORM_MAX);
        if (!refused)
            refused = build_form(t, a, &form);
        if (refused) {
            log_warn("twilio %s: %s refused before any request: %s", t->base.name, a->call_id,
                     refused);
            http_submit_defer(t->http, a, PROVIDER_REJECTED, refused);
            buf_free(&form);
        } else {
            struct http_request req = {
                .url = xstrdup(a->channel == CHANNEL_VOICE ? t->calls_url : t->messages_url),
                .body = buf_steal(&form),
                .content_type = "application/x-www-form-urlencoded",
                .userpwd = t->userpwd};
            http_submit_start(t->http, a, &req, classify, t);
        }
        free(a->text);
    }
    free(batch);
    return 0;
}

static void twilio_ack(struct provider *p, const struct attempt_end *ends, size_t n) {
    (void)p, (void)ends, (void)n; /* reports arrive as callbacks: nothing kept here */
}

static void twilio_close(struct provider *p) {
    struct twilio *t = (struct twilio *)p;
    http_submit_close(t->http); /* fates of requests in flight delivered now */
    free(t->userpwd);
    free(t->calls_url);
    free(t->messages_url);
    free(t->voice_url);
    free(t->public_url);
    free(t);
}

static const struct provider_ops twilio_ops = {
    .type = "twilio",
    .submit = twilio_submit,
    .lookup = NULL,
    .ack = twilio_ack,
    .close = twilio_close,
};

int provider_twilio_open(const struct provider_def *def, const struct provider_env *env,
                         struct provider **out) {
    const char *sid = setting(def, "account_sid"), *token = setting(def, "auth_token");
    const char *base = setting(def, "base_url");
    if (!sid || !token || !base || !env->public_url) {
        log_error("twilio %s: account_sid, auth_token, base_url and the public URL are needed",
                  def->name);
        return ERROR_INVALID;
    }
    struct twilio *t = xcalloc(1, sizeof *t);
    provider_base_init(&t->base, &twilio_ops, def, env);
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    t->calls_url = xasprintf("%.*s/2010-04-01/Accounts/%s/Calls.json", (int)blen, base, sid);
    t->messages_url = xasprintf("%.*s/2010-04-01/Accounts/%s/Messages.json", (int)blen, base, sid);
    t->userpwd = xasprintf("%s:%s", sid, token);
    t->voice_url = setting(def, "voice_url") ? xstrdup(setting(def, "voice_url")) : NULL;
    t->public_url = xstrdup(env->public_url);
    t->machine_detection = json_is_true(json_object_get(def->settings, "machine_detection"));
    t->http = http_submit_new(&t->base, env);
    log_info("twilio %s: sending to %.*s as %s (voice %s)", def->name, (int)blen, base, sid,
             t->voice_url ? "on" : "off: no voice_url");
    *out = &t->base;
    return 0;
}
