/* meta_whatsapp.c - the meta_whatsapp provider: whatsapp template sends
 * through the WhatsApp Cloud API (contract, Providers, meta_whatsapp).
 *
 * submit() turns each attempt into one JSON POST to
 * {base_url}/{api_version}/{sender}/messages (the campaign's sender is the
 * phone number id) with Authorization: Bearer {access_token}, sent over
 * http_submit (connections kept and reused, many in flight). The body is
 * built by domain/meta_rules.c from the template the attempt carries (body
 * parameters, and the header and buttons of wa_template.h, each filled from
 * the recipient's params at its turn). The answer becomes the attempt's
 * fate (meta_answer_read): 2xx accepted with messages[0].id (the wamid,
 * provider_message_id); codes 130429 (throughput) and 131056 (pair rate),
 * HTTP 429 and 5xx put back, no attempt used; other answers rejected with
 * Meta's error.code (131026, 131047, ...). No answer: http_submit's rule
 * (never left: put back; may have arrived: unknown, never sent again).
 * Statuses come later as signed webhooks (api/callbacks_meta.c); this
 * provider keeps no state, so it has no lookup() and nothing to ack().
 * The access token is never logged. Thread: the engine's loop. */
#include "domain/meta_rules.h"
#include "providers/http_submit.h"
#include "util/alloc.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct meta {
    struct provider base;
    struct http_submit *http;
    char *token;
    char *base_url; /* {base_url}/{api_version}, no trailing '/' */
};

static const char *setting(const struct provider_def *def, const char *name) {
    return json_string_value(json_object_get(def->settings, name));
}

static void classify(void *ctx, const struct attempt *a, const struct http_answer *ans,
                     struct provider_event *ev) {
    struct meta *m = ctx;
    struct meta_answer got;
    meta_answer_read(ans->status, ans->body, ans->body_len, ans->retry_after_ms, &got);
    switch (got.fate) {
    case META_ACCEPTED:
        ev->fate = PROVIDER_ACCEPTED;
        snprintf(ev->end.provider_call_id, sizeof ev->end.provider_call_id, "%s", got.wamid);
        if (!got.wamid[0])
            log_warn("meta_whatsapp %s: %s accepted without messages[0].id: its statuses cannot "
                     "be matched",
                     m->base.name, a->call_id);
        break;
    case META_REJECTED:
        ev->fate = PROVIDER_REJECTED;
        snprintf(ev->error_code, sizeof ev->error_code, "%s", got.error_code);
        log_info("meta_whatsapp %s: %s refused with HTTP %ld, code %s", m->base.name, a->call_id,
                 ans->status, got.error_code);
        break;
    case META_PUT_BACK:
        ev->fate = PROVIDER_THROTTLED;
        ev->retry_after_ms = got.retry_after_ms;
        log_info("meta_whatsapp %s: %s put back (HTTP %ld), over Meta's limits or Meta down",
                 m->base.name, a->call_id, ans->status);
        break;
    }
}

static int meta_submit(struct provider *p, struct attempt *batch, size_t n) {
    struct meta *m = (struct meta *)p;
    for (size_t i = 0; i < n; i++) {
        struct attempt *a = &batch[i];
        const char *refused = NULL, *why = "";
        char *body = NULL;
        if (a->channel != CHANNEL_WHATSAPP)
            refused = "channel_not_carried";
        else if (!meta_sender_valid(a->from))
            refused = "invalid_sender", why = "the sender is no phone number id";
        else if (meta_send_body(a->to, a->text, &body, &why) != 0)
            refused = "invalid_template";
        if (refused) {
            log_warn("meta_whatsapp %s: %s refused before any request: %s %s", m->base.name,
                     a->call_id, refused, why);
            http_submit_defer(m->http, a, PROVIDER_REJECTED, refused);
        } else {
            struct http_request req = {.url = xasprintf("%s/%s/messages", m->base_url, a->from),
                                       .body = body,
                                       .content_type = "application/json",
                                       .bearer = m->token};
            http_submit_start(m->http, a, &req, classify, m);
        }
        free(a->text);
    }
    free(batch);
    return 0;
}

static void meta_ack(struct provider *p, const struct attempt_end *ends, size_t n) {
    (void)p, (void)ends, (void)n; /* statuses arrive as webhooks: nothing kept here */
}

static void meta_close(struct provider *p) {
    struct meta *m = (struct meta *)p;
    http_submit_close(m->http); /* fates of requests in flight delivered now */
    free(m->token);
    free(m->base_url);
    free(m);
}

static const struct provider_ops meta_ops = {
    .type = "meta_whatsapp",
    .submit = meta_submit,
    .lookup = NULL,
    .ack = meta_ack,
    .close = meta_close,
};

int provider_meta_whatsapp_open(const struct provider_def *def, const struct provider_env *env,
                                struct provider **out) {
    const char *token = setting(def, "access_token"), *base = setting(def, "base_url");
    const char *version = setting(def, "api_version");
    if (!token || !base || !version) {
        log_error("meta_whatsapp %s: access_token, base_url and api_version are needed", def->name);
        return ERROR_INVALID;
    }
    struct meta *m = xcalloc(1, sizeof *m);
    provider_base_init(&m->base, &meta_ops, def, env);
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    m->base_url = xasprintf("%.*s/%s", (int)blen, base, version);
    m->token = xstrdup(token);
    m->http = http_submit_new(&m->base, env);
    log_info("meta_whatsapp %s: sending to %s", def->name, m->base_url);
    *out = &m->base;
    return 0;
}
