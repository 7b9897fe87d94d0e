/* provider_report.c - see provider_report.h. */
#include "domain/provider_report.h"
#include "util/clock.h"
#include "util/strcopy.h"

#include <stdio.h>
#include <string.h>

/* An optional RFC 3339 time; 0 when absent or null. */
static int time_field(json_t *body, const char *name, int64_t *out, struct verr *e) {
    json_t *v = json_object_get(body, name);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || clock_parse_rfc3339(json_string_value(v), out) != 0)
        return verr_set(e, name, "%s must be an RFC 3339 time", name);
    return 0;
}

/* An optional string of at most size - 1 bytes with no NUL, copied to out. */
static int text_field(json_t *body, const char *name, char *out, size_t size, struct verr *e) {
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= size ||
        strlen(json_string_value(v)) != json_string_length(v))
        return verr_set(e, name, "%s must be a string of at most %zu bytes", name, size - 1);
    snprintf(out, size, "%s", json_string_value(v));
    return 0;
}

/* Voice only: answered_by and duration_seconds. */
static int voice_fields(json_t *body, struct attempt_end *out, struct verr *e) {
    json_t *v = json_object_get(body, "answered_by");
    if (v && !json_is_null(v) &&
        (!json_is_string(v) || answered_by_parse(json_string_value(v), &out->answered_by) != 0))
        return verr_set(e, "answered_by", "answered_by must be human, machine or unknown");
    v = json_object_get(body, "duration_seconds");
    if (v && !json_is_null(v)) {
        double secs = json_number_value(v);
        if (!json_is_number(v) || secs < 0 || secs > 86400.0 * 31)
            return verr_set(e, "duration_seconds",
                            "duration_seconds must be a number of seconds 0..2678400");
        out->has_duration = 1;
        out->duration_ms = (int64_t)(secs * 1000.0 + 0.5);
    }
    return 0;
}

int provider_report_from_json(json_t *body, const char *attempt_id, enum channel ch, int64_t now,
                              struct attempt_end *out, struct verr *e) {
    static const char *const known_voice[] = {"status",      "answered_at",     "ended_at",
                                              "provider_id", "answered_by",     "ended_reason",
                                              "error_code",  "duration_seconds"};
    static const char *const known_msg[] = {"status", "answered_at", "ended_at", "provider_id",
                                            "error_code"};
    int voice = ch == CHANNEL_VOICE;
    memset(out, 0, sizeof *out);
    out->channel = ch;
    STR_COPY(out->call_id, attempt_id);
    const char *status = json_string_value(json_object_get(body, "status"));
    int ok = 0;
    if (status && voice)
        ok = call_status_parse(status, &out->status) == 0 && out->status != CALL_QUEUED;
    else if (status)
        ok = message_status_parse(status, &out->mstatus) == 0 && out->mstatus != MSG_QUEUED;
    if (!ok)
        return verr_set(e, "status",
                        voice ? "status must be ringing, in_progress, or a call's end: completed, "
                                "no_answer, busy, failed or canceled"
                              : "status must be sent, delivered, read, undelivered or failed");
    if (time_field(body, "answered_at", &out->answered_at, e) ||
        time_field(body, "ended_at", &out->ended_at, e))
        return -1;
    if (!out->ended_at)
        out->ended_at = now;
    if (text_field(body, "provider_id", out->provider_call_id, sizeof out->provider_call_id, e) ||
        text_field(body, "error_code", out->error_code, sizeof out->error_code, e))
        return -1;
    if (voice && (voice_fields(body, out, e) ||
                  text_field(body, "ended_reason", out->ended_reason, sizeof out->ended_reason, e)))
        return -1;
    const char *const *known = voice ? known_voice : known_msg;
    size_t nknown =
        voice ? sizeof known_voice / sizeof *known_voice : sizeof known_msg / sizeof *known_msg;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        int found = 0;
        for (size_t i = 0; i < nknown && !found; i++)
            found = strcmp(known[i], key) == 0;
        if (!found)
            return verr_set(e, key, "unknown field %s", key);
    }
    return 0;
}

void provider_error_code(json_t *code, long status, char out[32]) {
    if (json_is_integer(code))
        snprintf(out, 32, "%lld", (long long)json_integer_value(code));
    else if (json_is_string(code) && json_string_value(code)[0])
        snprintf(out, 32, "%s", json_string_value(code));
    else
        snprintf(out, 32, "http_%ld", status);
}
