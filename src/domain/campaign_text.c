/* campaign_text.c - the campaign's JSON written field by field, see
 * campaign_text.h. Strings are escaped as jansson escapes them without
 * flags (", \ and control characters; \b \f \n \r \t by name, the others
 * as \u00XX with upper-case hex; everything else as UTF-8). The stored
 * JSON texts (config, schedule, retry_policy) still go through jansson,
 * parsed and dumped as render.c does, so they come out as they always
 * did: they are small, and the member's bytes must not depend on how the
 * text was stored. */
#include "domain/campaign_text.h"
#include "util/clock.h"
#include "util/utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put(struct buf *out, const char *s, size_t n) {
    return buf_append(out, s, n) == 0 ? 0 : -1;
}

#define PUT_LIT(out, lit) put(out, lit, sizeof lit - 1)

static int put_string(struct buf *out, const char *s) {
    if (!s)
        return -1;
    size_t n = strlen(s);
    if (!utf8_valid(s, n))
        return -1;
    if (PUT_LIT(out, "\""))
        return -1;
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        if (put(out, s + from, i - from))
            return -1;
        char esc[8];
        const char *named = ch == '"'    ? "\\\""
                            : ch == '\\' ? "\\\\"
                            : ch == '\b' ? "\\b"
                            : ch == '\f' ? "\\f"
                            : ch == '\n' ? "\\n"
                            : ch == '\r' ? "\\r"
                            : ch == '\t' ? "\\t"
                                         : NULL;
        if (!named) {
            snprintf(esc, sizeof esc, "\\u%04X", ch);
            named = esc;
        }
        if (put(out, named, strlen(named)))
            return -1;
        from = i + 1;
    }
    if (put(out, s + from, n - from))
        return -1;
    return PUT_LIT(out, "\"");
}

/* ,"name": */
static int put_key(struct buf *out, const char *name, int first) {
    if (!first && PUT_LIT(out, ","))
        return -1;
    if (put_string(out, name))
        return -1;
    return PUT_LIT(out, ":");
}

/* As jansson's "%lld", without printf's cost (19 numbers per campaign). */
static int put_int(struct buf *out, int64_t v) {
    char num[24];
    char *p = num + sizeof num;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return put(out, p, (size_t)(num + sizeof num - p));
}

static int put_time(struct buf *out, int64_t ms) {
    if (!ms)
        return PUT_LIT(out, "null");
    char ts[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(ms, ts);
    return put_string(out, ts);
}

/* A stored JSON text as render.c embeds it: parsed (null when absent or
 * unreadable) and dumped compact. */
static int put_stored(struct buf *out, const char *text) {
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (!v)
        return PUT_LIT(out, "null");
    char *dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    if (!dumped)
        return -1;
    int rc = put(out, dumped, strlen(dumped));
    free(dumped);
    return rc;
}

static int put_counters(struct buf *out, const struct counters *k) {
    if (PUT_LIT(out, "{\"total\":") || put_int(out, k->total) || PUT_LIT(out, ",\"queued\":") ||
        put_int(out, k->queued) || PUT_LIT(out, ",\"dispatched\":") ||
        put_int(out, k->dispatched) || PUT_LIT(out, ",\"succeeded\":") ||
        put_int(out, k->succeeded) || PUT_LIT(out, ",\"failed\":") || put_int(out, k->failed) ||
        PUT_LIT(out, ",\"dispositions\":{"))
        return -1;
    int first = 1;
    for (int i = 0; i < DISP_COUNT; i++) {
        const char *name = disposition_name((enum disposition)i);
        if (!name)
            continue;
        if (put_key(out, name, first) || put_int(out, k->dispositions[i]))
            return -1;
        first = 0;
    }
    return PUT_LIT(out, "}}");
}

int campaign_text(const struct campaign *c, struct buf *out) {
    if (PUT_LIT(out, "{") || put_key(out, "id", 1) || put_string(out, c->id) ||
        put_key(out, "name", 0) || put_string(out, c->name) || put_key(out, "agent_id", 0) ||
        put_string(out, c->agent_id) || put_key(out, "channel", 0) ||
        put_string(out, channel_name(c->channel)) || put_key(out, "status", 0) ||
        put_string(out, campaign_status_name(c->status)) || put_key(out, "config", 0) ||
        put_stored(out, c->config_json) || put_key(out, "schedule", 0) ||
        put_stored(out, c->schedule_json) || put_key(out, "retry_policy", 0) ||
        put_stored(out, c->retry_policy_json) || put_key(out, "counters", 0) ||
        put_counters(out, &c->counters) || put_key(out, "created_at", 0) ||
        put_time(out, c->created_at) || put_key(out, "updated_at", 0) ||
        put_time(out, c->updated_at) || put_key(out, "started_at", 0) ||
        put_time(out, c->started_at) || put_key(out, "completed_at", 0) ||
        put_time(out, c->completed_at) || put_key(out, "cancelled_at", 0) ||
        put_time(out, c->cancelled_at))
        return -1;
    return PUT_LIT(out, "}");
}
