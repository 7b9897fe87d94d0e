/* twilio_rules.c - see twilio_rules.h. */
#include "domain/twilio_rules.h"
#include "domain/provider_report.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/crypto.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void twilio_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                        struct twilio_answer *out) {
    memset(out, 0, sizeof *out);
    json_t *j = json_loadb(body ? body : "", body ? n : 0, 0, NULL);
    json_t *code = json_object_get(j, "code");
    long long code_value = json_is_integer(code) ? (long long)json_integer_value(code) : 0;
    if (status == 429 || code_value == 20429 || status >= 500) {
        out->fate = TWILIO_PUT_BACK;
        out->retry_after_ms = retry_after_ms > 0 ? retry_after_ms : 0;
    } else if (status >= 200 && status < 300) {
        out->fate = TWILIO_ACCEPTED;
        const char *sid = json_string_value(json_object_get(j, "sid"));
        snprintf(out->sid, sizeof out->sid, "%s", sid ? sid : "");
    } else {
        out->fate = TWILIO_REJECTED;
        provider_error_code(code, status, out->error_code);
    }
    json_decref(j);
}

/* ---- signatures ---- */

static int by_name_then_value(const void *a, const void *b) {
    const struct form_field *x = *(const struct form_field *const *)a;
    const struct form_field *y = *(const struct form_field *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

void twilio_signature(const char *auth_token, const char *url, const struct form *f, char out[29]) {
    const struct form_field **sorted = xcalloc(f->n + 1, sizeof *sorted);
    for (size_t i = 0; i < f->n; i++)
        sorted[i] = &f->fields[i];
    qsort(sorted, f->n, sizeof *sorted, by_name_then_value);
    struct buf text;
    buf_init(&text, (size_t)-1);
    buf_appends(&text, url);
    for (size_t i = 0; i < f->n; i++) {
        buf_append(&text, sorted[i]->name, sorted[i]->name_len);
        buf_append(&text, sorted[i]->value, sorted[i]->value_len);
    }
    uint8_t mac[20];
    crypto_hmac_sha1(auth_token, strlen(auth_token), text.data ? text.data : "", text.len, mac);
    crypto_base64(mac, sizeof mac, out);
    buf_free(&text);
    free(sorted);
}

/* url with its port removed when it has one, else with the scheme's
 * default port added; NULL when url has no scheme://host. New string. */
static char *port_variant(const char *url) {
    const char *sep = strstr(url, "://");
    if (!sep)
        return NULL;
    const char *host = sep + 3;
    size_t hlen = strcspn(host, "/?#");
    const char *colon = NULL;
    for (const char *p = host; p < host + hlen; p++) {
        if (*p == ']')
            colon = NULL; /* an IPv6 literal's colons are no port */
        else if (*p == ':')
            colon = p;
    }
    if (colon) /* without the port */
        return xasprintf("%.*s%s", (int)(colon - url), url, host + hlen);
    int https = (size_t)(sep - url) == 5 && strncmp(url, "https", 5) == 0;
    return xasprintf("%.*s:%s%s", (int)(host + hlen - url), url, https ? "443" : "80", host + hlen);
}

int twilio_signature_valid(const char *auth_token, const char *url, const struct form *f,
                           const char *header) {
    if (!header || strlen(header) != 28)
        return 0;
    char sig[29];
    twilio_signature(auth_token, url, f, sig);
    int ok = crypto_equal(sig, header, 28);
    char *other = port_variant(url);
    if (other) {
        twilio_signature(auth_token, other, f, sig);
        ok |= crypto_equal(sig, header, 28);
        free(other);
    }
    return ok;
}

/* ---- status callbacks ---- */

/* An optional field copied to out (size bytes with the NUL); -1 with e when
 * it does not fit or holds a NUL. */
static int text_field(const struct form *f, const char *name, char *out, size_t size,
                      struct verr *e) {
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->fields[i].name, name) != 0)
            continue;
        if (f->fields[i].value_len >= size || strlen(f->fields[i].value) != f->fields[i].value_len)
            return verr_set(e, name, "%s must be at most %zu bytes", name, size - 1);
        snprintf(out, size, "%s", f->fields[i].value);
        return 0;
    }
    return 0;
}

struct status_map {
    const char *twilio;
    int status;  /* enum call_status or enum message_status */
    int applies; /* 0: a status that moves nothing */
};

static const struct status_map call_statuses[] = {
    {"queued", CALL_QUEUED, 0},       {"initiated", CALL_QUEUED, 0},
    {"ringing", CALL_RINGING, 1},     {"in-progress", CALL_IN_PROGRESS, 1},
    {"completed", CALL_COMPLETED, 1}, {"busy", CALL_BUSY, 1},
    {"no-answer", CALL_NO_ANSWER, 1}, {"failed", CALL_FAILED, 1},
    {"canceled", CALL_FAILED, 1},
};

static const struct status_map message_statuses[] = {
    {"accepted", MSG_QUEUED, 0},
    {"scheduled", MSG_QUEUED, 0},
    {"queued", MSG_QUEUED, 0},
    {"sending", MSG_QUEUED, 0},
    {"sent", MSG_SENT, 1},
    {"delivered", MSG_DELIVERED, 1},
    {"read", MSG_READ, 1},
    {"undelivered", MSG_UNDELIVERED, 1},
    {"failed", MSG_FAILED, 1},
    {"canceled", MSG_FAILED, 1},
    {"partially_delivered", MSG_DELIVERED, 1},
};

static const struct status_map *status_find(const struct status_map *m, size_t n, const char *s) {
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(m[i].twilio, s) == 0)
            return &m[i];
    return NULL;
}

static int call_fields(const struct form *f, int64_t now, struct attempt_end *out, struct verr *e) {
    const char *by = form_get(f, "AnsweredBy");
    if (by && strncmp(by, "machine", 7) == 0)
        out->answered_by = ANSWERED_MACHINE;
    else if (by && strcmp(by, "human") == 0)
        out->answered_by = ANSWERED_HUMAN;
    else if (by && by[0])
        out->answered_by = ANSWERED_UNKNOWN; /* unknown, fax */
    const char *dur = form_get(f, "CallDuration");
    if (dur && dur[0]) {
        char *end = NULL;
        long secs = strtol(dur, &end, 10);
        if (*end != '\0' || secs < 0 || secs > 31L * 86400)
            return verr_set(e, "CallDuration", "CallDuration must be whole seconds 0..2678400");
        out->has_duration = 1;
        out->duration_ms = (int64_t)secs * 1000;
        if (out->status == CALL_COMPLETED && secs > 0)
            out->answered_at = now - out->duration_ms; /* when no in-progress came */
    }
    if (out->status == CALL_IN_PROGRESS)
        out->answered_at = now;
    if (call_status_is_final(out->status))
        snprintf(out->ended_reason, sizeof out->ended_reason, "%s", form_get(f, "CallStatus"));
    return text_field(f, "CallSid", out->provider_call_id, sizeof out->provider_call_id, e);
}

int twilio_report_read(const struct form *f, const char *attempt_id, enum channel ch, int64_t now,
                       struct attempt_end *out, struct verr *e) {
    int voice = ch == CHANNEL_VOICE;
    memset(out, 0, sizeof *out);
    out->channel = ch;
    out->ended_at = now;
    snprintf(out->call_id, sizeof out->call_id, "%s", attempt_id);
    const char *field = voice ? "CallStatus" : "MessageStatus";
    const char *status = form_get(f, field);
    const struct status_map *m =
        voice ? status_find(call_statuses, sizeof call_statuses / sizeof *call_statuses, status)
              : status_find(message_statuses, sizeof message_statuses / sizeof *message_statuses,
                            status);
    if (!status)
        return verr_set(e, field, "%s is required", field);
    if (!m)
        return verr_set(e, field, "%s is not a status Twilio reports", field);
    if (!m->applies)
        return 1;
    if (text_field(f, "ErrorCode", out->error_code, sizeof out->error_code, e))
        return -1;
    if (voice) {
        out->status = (enum call_status)m->status;
        return call_fields(f, now, out, e);
    }
    out->mstatus = (enum message_status)m->status;
    return text_field(f, "MessageSid", out->provider_call_id, sizeof out->provider_call_id, e);
}
