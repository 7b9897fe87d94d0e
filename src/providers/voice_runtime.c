/* voice_runtime.c - the vapi and retell providers: AI voice agent runtimes
 * that dial the recipient and talk with it themselves (contract, Providers,
 * vapi and retell; docs/providers.md). One implementation, two small
 * tables: each runtime's create-call URL, its request body and its answer
 * reader (domain/vapi_rules.c, domain/retell_rules.c).
 *
 * submit() turns each voice attempt into one JSON POST with
 * "Authorization: Bearer <api_key>" over http_submit (connections kept and
 * reused, many in flight):
 *   vapi:   {base_url}/call, the assistant (agent_id), phoneNumberId, the
 *           recipient, params as variableValues, our ids as metadata and,
 *           with set_server_url, the assistant's server URL pointed at
 *           {public_url}/v1/providers/{name}/webhook;
 *   retell: {base_url}/v2/create-phone-call, from_number, to_number, the
 *           agent as override_agent_id, params as dynamic variables, our
 *           ids as metadata and, with set_webhook_url, the agent's webhook
 *           URL pointed at the same webhook.
 * The answer becomes the attempt's fate: 2xx accepted with the runtime's
 * call id; 429, a concurrency refusal or 5xx put back (Retry-After); other
 * 4xx rejected as http_<status>. No answer: http_submit's rule. The call's
 * end comes later as a webhook (api/callbacks_vapi.c, callbacks_retell.c);
 * the provider keeps no state, so it has no lookup() and ack() has nothing
 * to forget. Thread: the engine's loop. */
#include "domain/retell_rules.h"
#include "domain/vapi_rules.h"
#include "providers/http_submit.h"
#include "util/alloc.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct voice_runtime;

/* What differs between runtimes. */
struct runtime_kind {
    const char *type;
    const char *path; /* appended to base_url */
    /* The request body of attempt a; NULL when it cannot be built. */
    json_t *(*body)(const struct voice_runtime *r, const struct attempt *a);
    void (*answer)(long status, const char *body, size_t n, int64_t retry_after_ms,
                   struct runtime_answer *out);
};

struct voice_runtime {
    struct provider base;
    const struct runtime_kind *kind;
    struct http_submit *http;
    char *url;
    char *api_key;
    char *webhook_url;     /* NULL: the runtime's own setting is left alone */
    char *phone_number_id; /* vapi */
    char *credential_id;   /* vapi, or NULL */
    char *from_number;     /* retell, or NULL: the campaign's caller_id */
};

static const char *setting(const struct provider_def *def, const char *name) {
    return json_string_value(json_object_get(def->settings, name));
}

static char *dup_or_null(const char *s) {
    return s ? xstrdup(s) : NULL;
}

static json_t *vapi_body(const struct voice_runtime *r, const struct attempt *a) {
    return vapi_call_body(a, a->text, r->phone_number_id, r->webhook_url, r->credential_id);
}

static json_t *retell_body(const struct voice_runtime *r, const struct attempt *a) {
    return retell_call_body(a, a->text, r->from_number, r->webhook_url);
}

static const struct runtime_kind kinds[] = {
    {"vapi", "/call", vapi_body, vapi_answer_read},
    {"retell", "/v2/create-phone-call", retell_body, retell_answer_read},
};

/* The start of an answer's body as one log line's worth of text. */
static void one_line(const char *body, char out[201]) {
    size_t i = 0;
    for (; body && body[i] && i < 200; i++)
        out[i] = (unsigned char)body[i] < 0x20 ? ' ' : body[i];
    out[i] = '\0';
}

static void classify(void *ctx, const struct attempt *a, const struct http_answer *ans,
                     struct provider_event *ev) {
    struct voice_runtime *r = ctx;
    struct runtime_answer got;
    r->kind->answer(ans->status, ans->body, ans->body_len, ans->retry_after_ms, &got);
    switch (got.fate) {
    case RUNTIME_ACCEPTED:
        ev->fate = PROVIDER_ACCEPTED;
        snprintf(ev->end.provider_call_id, sizeof ev->end.provider_call_id, "%s", got.id);
        break;
    case RUNTIME_REJECTED:
        ev->fate = PROVIDER_REJECTED;
        snprintf(ev->error_code, sizeof ev->error_code, "%s", got.error_code);
        char text[201];
        one_line(ans->body, text);
        log_info("%s %s: %s refused with HTTP %ld: %s", r->kind->type, r->base.name, a->call_id,
                 ans->status, text);
        break;
    case RUNTIME_PUT_BACK:
        ev->fate = PROVIDER_THROTTLED;
        ev->retry_after_ms = got.retry_after_ms;
        log_info("%s %s: %s put back (HTTP %ld, its lines full or down), retry after %lld ms",
                 r->kind->type, r->base.name, a->call_id, ans->status,
                 (long long)got.retry_after_ms);
        break;
    }
}

static int runtime_submit(struct provider *p, struct attempt *batch, size_t n) {
    struct voice_runtime *r = (struct voice_runtime *)p;
    for (size_t i = 0; i < n; i++) {
        struct attempt *a = &batch[i];
        json_t *body = a->channel == CHANNEL_VOICE ? r->kind->body(r, a) : NULL;
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        if (!text) {
            const char *why =
                a->channel == CHANNEL_VOICE ? "invalid_params" : "channel_not_carried";
            log_warn("%s %s: %s refused before any request: %s", r->kind->type, r->base.name,
                     a->call_id, why);
            http_submit_defer(r->http, a, PROVIDER_REJECTED, why);
        } else {
            struct http_request req = {.url = xstrdup(r->url),
                                       .body = text,
                                       .content_type = "application/json",
                                       .bearer = r->api_key};
            http_submit_start(r->http, a, &req, classify, r);
        }
        free(a->text);
    }
    free(batch);
    return 0;
}

static void runtime_ack(struct provider *p, const struct attempt_end *ends, size_t n) {
    (void)p, (void)ends, (void)n; /* ends arrive as webhooks: nothing kept here */
}

static void runtime_close(struct provider *p) {
    struct voice_runtime *r = (struct voice_runtime *)p;
    http_submit_close(r->http); /* fates of requests in flight delivered now */
    free(r->url);
    free(r->api_key);
    free(r->webhook_url);
    free(r->phone_number_id);
    free(r->credential_id);
    free(r->from_number);
    free(r);
}

static const struct provider_ops vapi_ops = {.type = "vapi",
                                             .submit = runtime_submit,
                                             .lookup = NULL,
                                             .ack = runtime_ack,
                                             .close = runtime_close};
static const struct provider_ops retell_ops = {.type = "retell",
                                               .submit = runtime_submit,
                                               .lookup = NULL,
                                               .ack = runtime_ack,
                                               .close = runtime_close};

static int runtime_open(const struct runtime_kind *kind, const struct provider_ops *ops,
                        const struct provider_def *def, const struct provider_env *env,
                        const char *webhook_flag, struct provider **out) {
    const char *key = setting(def, "api_key"), *base = setting(def, "base_url");
    if (!key || !base || !env->public_url) {
        log_error("%s %s: api_key, base_url and the public URL are needed", kind->type, def->name);
        return ERROR_INVALID;
    }
    struct voice_runtime *r = xcalloc(1, sizeof *r);
    provider_base_init(&r->base, ops, def, env);
    r->kind = kind;
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    r->url = xasprintf("%.*s%s", (int)blen, base, kind->path);
    r->api_key = xstrdup(key);
    if (json_is_true(json_object_get(def->settings, webhook_flag)))
        r->webhook_url = xasprintf("%s/v1/providers/%s/webhook", env->public_url, def->name);
    r->phone_number_id = dup_or_null(setting(def, "phone_number_id"));
    r->credential_id = dup_or_null(setting(def, "credential_id"));
    r->from_number = dup_or_null(setting(def, "from_number"));
    r->http = http_submit_new(&r->base, env);
    log_info("%s %s: dialling through %s (webhook %s)", kind->type, def->name, r->url,
             r->webhook_url ? r->webhook_url : "as the runtime has it");
    *out = &r->base;
    return 0;
}

int provider_vapi_open(const struct provider_def *def, const struct provider_env *env,
                       struct provider **out) {
    if (!setting(def, "phone_number_id")) {
        log_error("vapi %s: phone_number_id is needed", def->name);
        return ERROR_INVALID;
    }
    return runtime_open(&kinds[0], &vapi_ops, def, env, "set_server_url", out);
}

int provider_retell_open(const struct provider_def *def, const struct provider_env *env,
                         struct provider **out) {
    return runtime_open(&kinds[1], &retell_ops, def, env, "set_webhook_url", out);
}
