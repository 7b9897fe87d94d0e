/* vapi_rules.c - see vapi_rules.h. The reason table covers every
 * endedReason Vapi documents (tests/data/runtimes/vapi_ended_reasons.txt,
 * checked by tests/unit/runtime_rules_test.c): the ones that mean
 * something for a campaign by name, the rest by family (every
 * call.in-progress.error-*, pipeline-error-*, call.start.*, call.ringing.*
 * is a failure of the runtime or its setup, not of the recipient). */
#include "domain/vapi_rules.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct runtime_reason vapi_reasons[] = {
    /* the recipient talked with the agent */
    {"assistant-ended-call", RUNTIME_COMPLETED},
    {"assistant-ended-call-after-message-spoken", RUNTIME_COMPLETED},
    {"assistant-ended-call-with-hangup-task", RUNTIME_COMPLETED},
    {"assistant-forwarded-call", RUNTIME_COMPLETED},
    {"assistant-said-end-call-phrase", RUNTIME_COMPLETED},
    {"customer-ended-call", RUNTIME_COMPLETED},
    {"customer-ended-call-after-warm-transfer-attempt", RUNTIME_COMPLETED},
    {"customer-ended-call-before-warm-transfer", RUNTIME_COMPLETED},
    {"customer-ended-call-during-transfer", RUNTIME_COMPLETED},
    {"exceeded-max-duration", RUNTIME_COMPLETED},
    {"silence-timed-out", RUNTIME_COMPLETED},
    {"vonage-completed", RUNTIME_COMPLETED},
    {"call.in-progress.sip-completed-call", RUNTIME_COMPLETED},
    {"call.in-progress.twilio-completed-call", RUNTIME_COMPLETED},
    {"call.ending.hook-executed-say", RUNTIME_COMPLETED},
    {"call.ending.hook-executed-transfer", RUNTIME_COMPLETED},
    {"call.forwarding.no-answer", RUNTIME_COMPLETED},     /* the transfer target's, not ours */
    {"call.forwarding.operator-busy", RUNTIME_COMPLETED}, /* idem */
    {"call.in-progress.error-transfer-failed", RUNTIME_COMPLETED},
    {"call.in-progress.error-warm-transfer-assistant-cancelled", RUNTIME_COMPLETED},
    {"call.in-progress.error-warm-transfer-max-duration", RUNTIME_COMPLETED},
    {"call.in-progress.error-warm-transfer-microphone-timeout", RUNTIME_COMPLETED},
    {"call.in-progress.error-warm-transfer-silence-timeout", RUNTIME_COMPLETED},
    /* never reached */
    {"customer-did-not-answer", RUNTIME_NO_ANSWER},
    {"customer-busy", RUNTIME_BUSY},
    {"vonage-rejected", RUNTIME_BUSY},
    {"call.start.error-subscription-concurrency-limit-reached", RUNTIME_BUSY},
    {"voicemail", RUNTIME_VOICEMAIL},
    /* failures of the runtime, its setup or the number */
    {"assistant-join-timed-out", RUNTIME_FAILED},
    {"assistant-not-found", RUNTIME_FAILED},
    {"assistant-not-valid", RUNTIME_FAILED},
    {"call-deleted", RUNTIME_FAILED},
    {"call-start-error-neither-assistant-nor-server-set", RUNTIME_FAILED},
    {"customer-did-not-give-microphone-permission", RUNTIME_FAILED},
    {"manually-canceled", RUNTIME_FAILED},
    {"phone-call-provider-bypass-enabled-but-no-call-received", RUNTIME_FAILED},
    {"phone-call-provider-closed-websocket", RUNTIME_FAILED},
    {"scheduled-call-deleted", RUNTIME_FAILED},
    {"twilio-failed-to-connect-call", RUNTIME_FAILED},
    {"twilio-reported-customer-misdialed", RUNTIME_FAILED},
    {"vonage-disconnected", RUNTIME_FAILED},
    {"vonage-failed-to-connect-call", RUNTIME_FAILED},
    {"worker-shutdown", RUNTIME_FAILED},
    {"assistant-request-*", RUNTIME_FAILED},
    {"call.in-progress.error-*", RUNTIME_FAILED},
    {"call.ringing.*", RUNTIME_FAILED},
    {"call.start.*", RUNTIME_FAILED},
    {"pipeline-error-*", RUNTIME_FAILED},
};
const size_t vapi_nreasons = sizeof vapi_reasons / sizeof vapi_reasons[0];

json_t *vapi_call_body(const struct attempt *a, const char *params, const char *phone_number_id,
                       const char *server_url, const char *credential_id) {
    json_t *vars = params ? json_loads(params, 0, NULL) : json_object();
    if (!json_is_object(vars)) {
        json_decref(vars);
        return NULL;
    }
    json_t *meta =
        json_pack("{s:s, s:s, s:s}", VAPI_CALL_ID_KEY, a->call_id, "campaignd_campaign_id",
                  a->campaign_id, "campaignd_recipient_id", a->recipient_id);
    json_t *overrides = json_pack("{s:o, s:o}", "variableValues", vars, "metadata", meta);
    if (server_url) {
        json_t *server = json_pack("{s:s}", "url", server_url);
        if (credential_id && credential_id[0])
            json_object_set_new(server, "credentialId", json_string(credential_id));
        json_object_set_new(overrides, "server", server);
    }
    return json_pack("{s:s, s:s, s:{s:s}, s:s, s:o}", "assistantId", a->agent_id, "phoneNumberId",
                     phone_number_id, "customer", "number", a->to, "name", a->call_id,
                     "assistantOverrides", overrides);
}

void vapi_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                      struct runtime_answer *out) {
    runtime_answer_read(status, body, n, retry_after_ms, "id", out);
    if (out->fate != RUNTIME_ACCEPTED)
        return;
    json_t *j = json_loadb(body ? body : "", body ? n : 0, 0, NULL);
    json_t *limits = json_object_get(j, "subscriptionLimits");
    if (json_is_true(json_object_get(limits, "concurrencyBlocked"))) {
        out->fate = RUNTIME_PUT_BACK;
        out->retry_after_ms = retry_after_ms > 0 ? retry_after_ms : 0;
        out->id[0] = '\0';
    }
    json_decref(j);
}

int vapi_auth_mode_parse(const char *s, enum vapi_auth_mode *out) {
    if (!s)
        return -1;
    if (strcmp(s, "hmac") == 0)
        *out = VAPI_AUTH_HMAC;
    else if (strcmp(s, "bearer") == 0)
        *out = VAPI_AUTH_BEARER;
    else if (strcmp(s, "x-vapi-secret") == 0)
        *out = VAPI_AUTH_SECRET_HEADER;
    else
        return -1;
    return 0;
}

/* A timestamp header's value in ms, or -1 when it is not digits. */
static int64_t timestamp_ms(const char *t) {
    if (!t[0] || strlen(t) > 16)
        return -1;
    int64_t v = 0;
    for (const char *p = t; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v > 100000000000LL ? v : v * 1000;
}

int vapi_hmac_valid(const char *secret, const char *body, size_t n, const char *timestamp,
                    const char *signature, int64_t now_ms) {
    if (!secret || !signature)
        return 0;
    if (strncmp(signature, "sha256=", 7) == 0)
        signature += 7;
    if (!timestamp)
        return runtime_hmac_sha256_hex_valid(secret, body, n, signature);
    int64_t at = timestamp_ms(timestamp);
    if (at < 0 || llabs(now_ms - at) > VAPI_TIMESTAMP_TOLERANCE_MS)
        return 0;
    size_t tlen = strlen(timestamp);
    char *msg = xmalloc(tlen + 1 + n + 1);
    memcpy(msg, timestamp, tlen);
    msg[tlen] = '.';
    if (n)
        memcpy(msg + tlen + 1, body, n);
    int ok = runtime_hmac_sha256_hex_valid(secret, msg, tlen + 1 + n, signature);
    free(msg);
    return ok;
}

int vapi_bearer_valid(const char *secret, const char *authorization) {
    if (!secret || !authorization || strncmp(authorization, "Bearer ", 7) != 0)
        return 0;
    return crypto_str_equal(secret, authorization + 7);
}

int vapi_secret_header_valid(const char *secret, const char *header) {
    return secret && header && crypto_str_equal(secret, header);
}

/* ---- server messages ---- */

/* An optional RFC 3339 time field: 0 (absent: *ms untouched) or -1 with e. */
static int time_field(json_t *m, const char *name, int64_t *ms, struct verr *e) {
    json_t *v = json_object_get(m, name);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || clock_parse_rfc3339(json_string_value(v), ms) != 0) {
        char field[48];
        snprintf(field, sizeof field, "message.%s", name);
        return verr_set(e, field, "message.%s must be an ISO 8601 date-time", name);
    }
    return 0;
}

/* An optional string field of o: its value, NULL when absent or not a string. */
static const char *str_at(json_t *o, const char *name) {
    return json_string_value(json_object_get(o, name));
}

static int our_call_id(json_t *m, struct runtime_report *out, struct verr *e) {
    json_t *call = json_object_get(m, "call");
    json_t *id = json_object_get(
        json_object_get(json_object_get(call, "assistantOverrides"), "metadata"), VAPI_CALL_ID_KEY);
    if (!id)
        id = json_object_get(json_object_get(json_object_get(m, "assistant"), "metadata"),
                             VAPI_CALL_ID_KEY);
    if (runtime_copy_string(id, out->call_id, sizeof out->call_id) != 0)
        return verr_set(e, "message.call.assistantOverrides.metadata." VAPI_CALL_ID_KEY,
                        "%s must be a call id", VAPI_CALL_ID_KEY);
    if (runtime_copy_string(json_object_get(call, "id"), out->end.provider_call_id,
                            sizeof out->end.provider_call_id) != 0)
        return verr_set(e, "message.call.id",
                        "message.call.id must be a string of at most %zu bytes",
                        sizeof out->end.provider_call_id - 1);
    return 0;
}

static int read_end(json_t *m, int64_t now, struct runtime_report *out, struct verr *e) {
    json_t *reason = json_object_get(m, "endedReason");
    if (!json_is_string(reason) || json_string_length(reason) == 0)
        return verr_set(e, "message.endedReason", "message.endedReason is required");
    if (runtime_copy_string(reason, out->end.ended_reason, sizeof out->end.ended_reason) != 0)
        return verr_set(e, "message.endedReason", "message.endedReason must be at most %zu bytes",
                        sizeof out->end.ended_reason - 1);
    const struct runtime_reason *r =
        runtime_reason_find(vapi_reasons, vapi_nreasons, out->end.ended_reason);
    enum runtime_outcome o = r ? r->outcome : RUNTIME_FAILED;
    out->undocumented = r == NULL;
    int64_t started = 0, ended = 0;
    if (time_field(m, "startedAt", &started, e) || time_field(m, "endedAt", &ended, e))
        return -1;
    out->kind = RUNTIME_REPORT_END;
    runtime_outcome_to_end(o, &out->end);
    json_t *secs = json_object_get(m, "durationSeconds");
    int64_t duration = -1;
    if (json_is_number(secs) && json_number_value(secs) >= 0 &&
        json_number_value(secs) < 31.0 * 86400)
        duration = (int64_t)(json_number_value(secs) * 1000.0);
    runtime_end_times(&out->end, started, ended, duration, now);
    json_t *art = json_object_get(m, "artifact");
    const char *rec = str_at(art, "recordingUrl");
    if (!rec)
        rec = str_at(json_object_get(json_object_get(art, "recording"), "mono"), "combinedUrl");
    const char *transcript = str_at(art, "transcript");
    runtime_report_set_media(out, transcript ? transcript : str_at(m, "transcript"),
                             rec ? rec : str_at(m, "recordingUrl"));
    return 0;
}

int vapi_report_read(json_t *body, int64_t now, struct runtime_report *out, struct verr *e) {
    memset(out, 0, sizeof *out);
    out->end.channel = CHANNEL_VOICE;
    json_t *m = json_object_get(body, "message");
    if (!json_is_object(m))
        return verr_set(e, "message", "a Vapi server message is {\"message\": {\"type\": ...}}");
    const char *type = str_at(m, "type");
    if (!type)
        return verr_set(e, "message.type", "message.type is required");
    snprintf(out->what, sizeof out->what, "%s", type);
    out->kind = RUNTIME_REPORT_IGNORED;
    int rc = 0;
    if (strcmp(type, "end-of-call-report") == 0) {
        rc = our_call_id(m, out, e) || read_end(m, now, out, e);
    } else if (strcmp(type, "status-update") == 0) {
        const char *status = str_at(m, "status");
        if (!status)
            return verr_set(e, "message.status", "message.status is required");
        if (strcmp(status, "ringing") == 0 || strcmp(status, "in-progress") == 0) {
            rc = our_call_id(m, out, e);
            out->kind = RUNTIME_REPORT_PROGRESS;
            out->end.status = status[0] == 'r' ? CALL_RINGING : CALL_IN_PROGRESS;
            out->end.ended_at = now;
            if (out->end.status == CALL_IN_PROGRESS)
                out->end.answered_at = now;
        }
    }
    if (rc) {
        runtime_report_clear(out);
        return -1;
    }
    snprintf(out->end.call_id, sizeof out->end.call_id, "%s", out->call_id);
    return 0;
}
