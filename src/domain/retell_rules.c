/* retell_rules.c - see retell_rules.h. The reason table names every
 * disconnection_reason Retell documents
 * (tests/data/runtimes/retell_disconnection_reasons.txt, checked by
 * tests/unit/runtime_rules_test.c). */
#include "domain/retell_rules.h"
#include "util/alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct runtime_reason retell_reasons[] = {
    /* the recipient talked with the agent */
    {"user_hangup", RUNTIME_COMPLETED},
    {"agent_hangup", RUNTIME_COMPLETED},
    {"call_transfer", RUNTIME_COMPLETED},
    {"inactivity", RUNTIME_COMPLETED},
    {"max_duration_reached", RUNTIME_COMPLETED},
    {"transfer_bridged", RUNTIME_COMPLETED},
    {"transfer_cancelled", RUNTIME_COMPLETED},
    {"call_take_over", RUNTIME_COMPLETED},
    /* a machine answered */
    {"voicemail_reached", RUNTIME_VOICEMAIL},
    {"ivr_reached", RUNTIME_VOICEMAIL},
    /* never reached */
    {"dial_no_answer", RUNTIME_NO_ANSWER},
    {"dial_busy", RUNTIME_BUSY},
    {"user_declined", RUNTIME_BUSY},
    {"concurrency_limit_reached", RUNTIME_BUSY},
    {"no_concurrency_fallback", RUNTIME_BUSY},
    /* failures of the runtime, its setup or the number */
    {"no_valid_payment", RUNTIME_FAILED},
    {"scam_detected", RUNTIME_FAILED},
    {"dial_failed", RUNTIME_FAILED},
    {"invalid_destination", RUNTIME_FAILED},
    {"telephony_provider_permission_denied", RUNTIME_FAILED},
    {"telephony_provider_unavailable", RUNTIME_FAILED},
    {"sip_routing_error", RUNTIME_FAILED},
    {"marked_as_spam", RUNTIME_FAILED},
    {"registered_call_timeout", RUNTIME_FAILED},
    {"manual_stopped", RUNTIME_FAILED},
    {"error_*", RUNTIME_FAILED},
};
const size_t retell_nreasons = sizeof retell_reasons / sizeof retell_reasons[0];

/* A dynamic variable's value as Retell takes it: a string. New reference,
 * or NULL for a value that is no string, number or boolean. */
static json_t *as_string(json_t *v) {
    if (json_is_string(v))
        return json_incref(v);
    if (json_is_boolean(v))
        return json_string(json_is_true(v) ? "true" : "false");
    if (json_is_number(v)) {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        json_t *s = text ? json_string(text) : NULL;
        free(text);
        return s;
    }
    return NULL;
}

json_t *retell_call_body(const struct attempt *a, const char *params, const char *from_number,
                         const char *webhook_url) {
    json_t *given = params ? json_loads(params, 0, NULL) : json_object();
    if (!json_is_object(given)) {
        json_decref(given);
        return NULL;
    }
    json_t *vars = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(given, key, v) {
        json_t *s = as_string(v);
        if (s)
            json_object_set_new(vars, key, s);
    }
    json_decref(given);
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:s, s:s}}", "from_number",
                  from_number && from_number[0] ? from_number : a->from, "to_number", a->to,
                  "override_agent_id", a->agent_id, "retell_llm_dynamic_variables", vars,
                  "metadata", RETELL_CALL_ID_KEY, a->call_id, "campaignd_campaign_id",
                  a->campaign_id, "campaignd_recipient_id", a->recipient_id);
    if (body && webhook_url)
        json_object_set_new(body, "agent_override",
                            json_pack("{s:{s:s}}", "agent", "webhook_url", webhook_url));
    return body;
}

void retell_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                        struct runtime_answer *out) {
    runtime_answer_read(status, body, n, retry_after_ms, "call_id", out);
}

/* The message Retell signs: the body followed by the timestamp digits. */
static char *signed_text(const char *body, size_t n, const char *digits, size_t *len) {
    size_t dlen = strlen(digits);
    char *msg = xmalloc(n + dlen + 1);
    if (n)
        memcpy(msg, body, n);
    memcpy(msg + n, digits, dlen + 1);
    *len = n + dlen;
    return msg;
}

void retell_signature(const char *api_key, const char *body, size_t n, int64_t ms, char out[96]) {
    char digits[24];
    snprintf(digits, sizeof digits, "%" PRId64, ms);
    size_t len;
    char *msg = signed_text(body, n, digits, &len);
    char hex[65];
    runtime_hmac_sha256_hex(api_key, msg, len, hex);
    free(msg);
    snprintf(out, 96, "v=%s,d=%s", digits, hex);
}

int retell_signature_valid(const char *api_key, const char *body, size_t n, const char *header,
                           int64_t now_ms) {
    if (!api_key || !header || strncmp(header, "v=", 2) != 0)
        return 0;
    const char *p = header + 2;
    size_t dlen = 0;
    int64_t at = 0;
    while (p[dlen] >= '0' && p[dlen] <= '9' && dlen < 16) {
        at = at * 10 + (p[dlen] - '0');
        dlen++;
    }
    if (dlen == 0 || strncmp(p + dlen, ",d=", 3) != 0)
        return 0;
    if (llabs(now_ms - at) > RETELL_SIGNATURE_TOLERANCE_MS)
        return 0;
    char digits[24];
    snprintf(digits, sizeof digits, "%.*s", (int)dlen, p);
    size_t len;
    char *msg = signed_text(body, n, digits, &len);
    int ok = runtime_hmac_sha256_hex_valid(api_key, msg, len, p + dlen + 3);
    free(msg);
    return ok;
}

/* An optional non-negative integer field of call (ms): 0 (absent: *v
 * untouched) or -1 with e. */
static int ms_field(json_t *call, const char *name, int64_t *v, struct verr *e) {
    json_t *j = json_object_get(call, name);
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_integer(j) || json_integer_value(j) < 0) {
        char field[48];
        snprintf(field, sizeof field, "call.%s", name);
        return verr_set(e, field, "call.%s must be a non-negative integer (ms)", name);
    }
    *v = (int64_t)json_integer_value(j);
    return 0;
}

static int read_ids(json_t *call, struct runtime_report *out, struct verr *e) {
    if (runtime_copy_string(json_object_get(json_object_get(call, "metadata"), RETELL_CALL_ID_KEY),
                            out->call_id, sizeof out->call_id) != 0)
        return verr_set(e, "call.metadata." RETELL_CALL_ID_KEY, "%s must be a call id",
                        RETELL_CALL_ID_KEY);
    if (runtime_copy_string(json_object_get(call, "call_id"), out->end.provider_call_id,
                            sizeof out->end.provider_call_id) != 0)
        return verr_set(e, "call.call_id", "call.call_id must be a string of at most %zu bytes",
                        sizeof out->end.provider_call_id - 1);
    return 0;
}

static int read_end(json_t *call, int64_t now, struct runtime_report *out, struct verr *e) {
    json_t *reason = json_object_get(call, "disconnection_reason");
    if (!json_is_string(reason) || json_string_length(reason) == 0)
        return verr_set(e, "call.disconnection_reason",
                        "call.disconnection_reason is required on an end");
    if (runtime_copy_string(reason, out->end.ended_reason, sizeof out->end.ended_reason) != 0)
        return verr_set(e, "call.disconnection_reason",
                        "call.disconnection_reason must be at most %zu bytes",
                        sizeof out->end.ended_reason - 1);
    const struct runtime_reason *r =
        runtime_reason_find(retell_reasons, retell_nreasons, out->end.ended_reason);
    enum runtime_outcome o = r ? r->outcome : RUNTIME_FAILED;
    out->undocumented = r == NULL;
    json_t *voicemail = json_object_get(json_object_get(call, "call_analysis"), "in_voicemail");
    if (o == RUNTIME_COMPLETED && json_is_true(voicemail))
        o = RUNTIME_VOICEMAIL;
    int64_t started = 0, ended = 0, duration = -1;
    if (ms_field(call, "start_timestamp", &started, e) ||
        ms_field(call, "end_timestamp", &ended, e) || ms_field(call, "duration_ms", &duration, e))
        return -1;
    out->kind = RUNTIME_REPORT_END;
    runtime_outcome_to_end(o, &out->end);
    runtime_end_times(&out->end, started, ended, duration, now);
    runtime_report_set_media(out, json_string_value(json_object_get(call, "transcript")),
                             json_string_value(json_object_get(call, "recording_url")));
    return 0;
}

int retell_report_read(json_t *body, int64_t now, struct runtime_report *out, struct verr *e) {
    memset(out, 0, sizeof *out);
    out->end.channel = CHANNEL_VOICE;
    const char *event = json_string_value(json_object_get(body, "event"));
    if (!event)
        return verr_set(e, "event", "event is required (call_started, call_ended, ...)");
    snprintf(out->what, sizeof out->what, "%s", event);
    json_t *call = json_object_get(body, "call");
    out->kind = RUNTIME_REPORT_IGNORED;
    int ends = strcmp(event, "call_ended") == 0 || strcmp(event, "call_analyzed") == 0;
    int starts = strcmp(event, "call_started") == 0;
    if (!ends && !starts)
        return 0;
    if (!json_is_object(call))
        return verr_set(e, "call", "call is required: the call object");
    int rc = read_ids(call, out, e);
    if (rc == 0 && ends) {
        rc = read_end(call, now, out, e);
    } else if (rc == 0) {
        int64_t started = 0;
        rc = ms_field(call, "start_timestamp", &started, e);
        out->kind = RUNTIME_REPORT_PROGRESS;
        out->end.status = CALL_IN_PROGRESS;
        out->end.ended_at = now;
        out->end.answered_at = started ? started : now;
    }
    if (rc) {
        runtime_report_clear(out);
        return -1;
    }
    snprintf(out->end.call_id, sizeof out->end.call_id, "%s", out->call_id);
    return 0;
}
