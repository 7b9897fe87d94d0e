/* runtime_rules.c - see runtime_rules.h. */
#include "domain/runtime_rules.h"
#include "util/alloc.h"
#include "util/crypto.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct runtime_reason *runtime_reason_find(const struct runtime_reason *table, size_t n,
                                                 const char *reason) {
    if (!reason)
        return NULL;
    const struct runtime_reason *family = NULL;
    size_t family_len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *r = table[i].reason;
        size_t len = strlen(r);
        if (len > 0 && r[len - 1] == '*') {
            if (strncmp(reason, r, len - 1) == 0 && len - 1 > family_len) {
                family = &table[i];
                family_len = len - 1;
            }
        } else if (strcmp(reason, r) == 0) {
            return &table[i];
        }
    }
    return family;
}

const char *runtime_outcome_name(enum runtime_outcome o) {
    switch (o) {
    case RUNTIME_COMPLETED:
        return "completed";
    case RUNTIME_NO_ANSWER:
        return "no_answer";
    case RUNTIME_BUSY:
        return "busy";
    case RUNTIME_VOICEMAIL:
        return "voicemail";
    case RUNTIME_FAILED:
    default:
        return "failed";
    }
}

void runtime_outcome_to_end(enum runtime_outcome o, struct attempt_end *end) {
    switch (o) {
    case RUNTIME_COMPLETED:
        end->status = CALL_COMPLETED;
        end->answered_by = ANSWERED_HUMAN;
        break;
    case RUNTIME_VOICEMAIL:
        end->status = CALL_COMPLETED;
        end->answered_by = ANSWERED_MACHINE;
        break;
    case RUNTIME_NO_ANSWER:
        end->status = CALL_NO_ANSWER;
        break;
    case RUNTIME_BUSY:
        end->status = CALL_BUSY;
        break;
    case RUNTIME_FAILED:
    default:
        end->status = CALL_FAILED;
        break;
    }
}

void runtime_end_times(struct attempt_end *end, int64_t started, int64_t ended, int64_t duration_ms,
                       int64_t now) {
    const int64_t max_ms = 31LL * 86400 * 1000;
    end->ended_at = ended > 0 ? ended : now;
    if (end->answered_by == ANSWERED_NONE)
        return;
    if (duration_ms < 0 && started > 0 && ended >= started)
        duration_ms = ended - started;
    if (duration_ms >= 0 && duration_ms <= max_ms) {
        end->has_duration = 1;
        end->duration_ms = duration_ms;
    }
    end->answered_at = started > 0 ? started
                       : end->has_duration && end->ended_at - end->duration_ms > 0
                           ? end->ended_at - end->duration_ms
                           : end->ended_at;
}

/* 1 when s speaks of concurrency (any case). */
static int speaks_of_concurrency(const char *s) {
    if (!s)
        return 0;
    static const char *const words[] = {"concurrency", "concurrent"};
    for (const char *p = s; *p; p++)
        for (size_t w = 0; w < 2; w++) {
            size_t len = strlen(words[w]);
            if (strncasecmp(p, words[w], len) == 0)
                return 1;
        }
    return 0;
}

/* The error text of an answer: "message" (a string, or the first of an
 * array, as NestJS answers validation errors) or "error". */
static int answer_speaks_of_concurrency(json_t *j) {
    json_t *m = json_object_get(j, "message");
    if (json_is_array(m))
        m = json_array_get(m, 0);
    return speaks_of_concurrency(json_string_value(m)) ||
           speaks_of_concurrency(json_string_value(json_object_get(j, "error")));
}

void runtime_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                         const char *id_field, struct runtime_answer *out) {
    memset(out, 0, sizeof *out);
    json_t *j = json_loadb(body ? body : "", body ? n : 0, 0, NULL);
    if (status >= 200 && status < 300) {
        out->fate = RUNTIME_ACCEPTED;
        runtime_copy_string(json_object_get(j, id_field), out->id, sizeof out->id);
    } else if (status == 429 || status >= 500 || answer_speaks_of_concurrency(j)) {
        out->fate = RUNTIME_PUT_BACK;
        out->retry_after_ms = retry_after_ms > 0 ? retry_after_ms : 0;
    } else {
        out->fate = RUNTIME_REJECTED;
        snprintf(out->error_code, sizeof out->error_code, "http_%ld", status);
    }
    json_decref(j);
}

void runtime_report_clear(struct runtime_report *r) {
    free(r->transcript);
    free(r->recording_url);
    r->transcript = r->recording_url = NULL;
}

void runtime_report_set_media(struct runtime_report *r, const char *transcript,
                              const char *recording_url) {
    if (transcript && transcript[0] && !r->transcript)
        r->transcript = xstrdup(transcript);
    if (recording_url && recording_url[0] && !r->recording_url)
        r->recording_url = xstrdup(recording_url);
}

int runtime_copy_string(json_t *v, char *out, size_t size) {
    out[0] = '\0';
    if (!v)
        return 0;
    if (!json_is_string(v))
        return -1;
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (len >= size || strlen(s) != len)
        return -1;
    memcpy(out, s, len + 1);
    return 0;
}

void runtime_hmac_sha256_hex(const char *key, const void *msg, size_t msglen, char out[65]) {
    uint8_t mac[32];
    crypto_hmac_sha256(key, strlen(key), msg, msglen, mac);
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

int runtime_hmac_sha256_hex_valid(const char *key, const void *msg, size_t msglen,
                                  const char *hex) {
    if (!key || !hex || strlen(hex) != 64)
        return 0;
    char lower[65];
    for (size_t i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)hex[i]))
            return 0;
        lower[i] = (char)tolower((unsigned char)hex[i]);
    }
    lower[64] = '\0';
    char want[65];
    runtime_hmac_sha256_hex(key, msg, msglen, want);
    return crypto_equal(want, lower, 64);
}
