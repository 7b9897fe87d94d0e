/* provider_report.c - see provider_report.h. */
#include "domain/provider_report.h"
#include "util/clock.h"

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

int provider_report_from_json(json_t *body, const char *attempt_id, enum channel ch, int64_t now,
                              struct attempt_end *out, struct verr *e) {
    static const char *const known[] = {"status", "answered_at", "ended_at", "provider_id"};
    int voice = ch == CHANNEL_VOICE;
    memset(out, 0, sizeof *out);
    out->channel = ch;
    snprintf(out->call_id, sizeof out->call_id, "%s", attempt_id);
    const char *status = json_string_value(json_object_get(body, "status"));
    int ok = 0;
    if (status && voice)
        ok = call_status_parse(status, &out->status) == 0 && call_status_is_final(out->status);
    else if (status)
        ok = message_status_parse(status, &out->mstatus) == 0 && out->mstatus != MSG_QUEUED;
    if (!ok)
        return verr_set(e, "status",
                        voice ? "status must be a call's end: completed, no_answer, busy or failed"
                              : "status must be sent, delivered, read, undelivered or failed");
    if (time_field(body, "answered_at", &out->answered_at, e) ||
        time_field(body, "ended_at", &out->ended_at, e))
        return -1;
    if (!out->ended_at)
        out->ended_at = now;
    json_t *pid = json_object_get(body, "provider_id");
    if (pid && (!json_is_string(pid) || json_string_length(pid) >= sizeof out->provider_call_id ||
                strlen(json_string_value(pid)) != json_string_length(pid)))
        return verr_set(e, "provider_id", "provider_id must be a string of at most 63 bytes");
    if (pid)
        snprintf(out->provider_call_id, sizeof out->provider_call_id, "%s", json_string_value(pid));
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        int found = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !found; i++)
            found = strcmp(known[i], key) == 0;
        if (!found)
            return verr_set(e, key, "unknown field %s", key);
    }
    return 0;
}
