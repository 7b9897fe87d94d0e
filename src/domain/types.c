/* types.c - name tables for the enums in types.h. */
#include "domain/types.h"

#include <string.h>

static const char *const channel_names[CHANNEL_COUNT] = {"voice", "sms", "whatsapp"};
static const char *const campaign_status_names[CAMPAIGN_STATUS_COUNT] = {
    "draft", "running", "paused", "completed", "cancelled"};
static const char *const recipient_status_names[RECIPIENT_STATUS_COUNT] = {"queued", "dispatched",
                                                                           "succeeded", "failed"};
static const char *const disposition_names[DISP_COUNT] = {
    "completed", "no_answer", "busy",        "failed",        "cancelled", "opted_out", "sent",
    "delivered", "read",      "undelivered", "missing_param", "expired",   "voicemail", "unknown"};
static const char *const answered_by_names[] = {"human", "machine", "unknown"};

static const char *const call_status_names[CALL_STATUS_COUNT] = {
    "queued", "ringing", "in_progress", "completed", "busy", "no_answer", "failed", "canceled"};

static const char *const message_status_names[MSG_STATUS_COUNT] = {
    "queued", "sent", "delivered", "read", "failed", "undelivered"};

static int lookup(const char *const *names, int n, const char *s) {
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

const char *channel_name(enum channel c) {
    return (unsigned)c < CHANNEL_COUNT ? channel_names[c] : "unknown";
}

int channel_parse(const char *s, enum channel *out) {
    int i = lookup(channel_names, CHANNEL_COUNT, s);
    if (i < 0)
        return -1;
    *out = (enum channel)i;
    return 0;
}

const char *campaign_status_name(enum campaign_status s) {
    return (unsigned)s < CAMPAIGN_STATUS_COUNT ? campaign_status_names[s] : "unknown";
}

int campaign_status_parse(const char *s, enum campaign_status *out) {
    int i = lookup(campaign_status_names, CAMPAIGN_STATUS_COUNT, s);
    if (i < 0)
        return -1;
    *out = (enum campaign_status)i;
    return 0;
}

const char *recipient_status_name(enum recipient_status s) {
    return (unsigned)s < RECIPIENT_STATUS_COUNT ? recipient_status_names[s] : "unknown";
}

int recipient_status_parse(const char *s, enum recipient_status *out) {
    int i = lookup(recipient_status_names, RECIPIENT_STATUS_COUNT, s);
    if (i < 0)
        return -1;
    *out = (enum recipient_status)i;
    return 0;
}

const char *disposition_name(enum disposition d) {
    return (d >= 0 && d < DISP_COUNT) ? disposition_names[d] : NULL;
}

int disposition_parse(const char *s, enum disposition *out) {
    int i = lookup(disposition_names, DISP_COUNT, s);
    if (i < 0)
        return -1;
    *out = (enum disposition)i;
    return 0;
}

const char *call_status_name(enum call_status s) {
    return (unsigned)s < CALL_STATUS_COUNT ? call_status_names[s] : "unknown";
}

int call_status_parse(const char *s, enum call_status *out) {
    int i = lookup(call_status_names, CALL_STATUS_COUNT, s);
    if (i < 0)
        return -1;
    *out = (enum call_status)i;
    return 0;
}

int call_status_is_final(enum call_status s) {
    return s >= CALL_COMPLETED && s < CALL_STATUS_COUNT;
}

const char *message_status_name(enum message_status s) {
    return (unsigned)s < MSG_STATUS_COUNT ? message_status_names[s] : "unknown";
}

int message_status_parse(const char *s, enum message_status *out) {
    int i = lookup(message_status_names, MSG_STATUS_COUNT, s);
    if (i < 0)
        return -1;
    *out = (enum message_status)i;
    return 0;
}

const char *category_name_valid(const char *s) {
    static const char *const names[] = {"marketing", "utility", "authentication"};
    int i = s ? lookup(names, 3, s) : -1;
    return i < 0 ? NULL : names[i];
}

int counters_consistent(const struct counters *c) {
    if (c->total != c->queued + c->dispatched + c->succeeded + c->failed)
        return 0;
    int64_t terminal = 0;
    for (int i = 0; i < DISP_COUNT; i++) {
        if (c->dispositions[i] < 0)
            return 0;
        terminal += c->dispositions[i];
    }
    return c->queued >= 0 && c->dispatched >= 0 && c->succeeded >= 0 && c->failed >= 0 &&
           terminal == c->succeeded + c->failed;
}

const char *answered_by_name(enum answered_by a) {
    return a > ANSWERED_NONE && a <= ANSWERED_UNKNOWN ? answered_by_names[a - 1] : NULL;
}

int answered_by_parse(const char *s, enum answered_by *out) {
    int i = lookup(answered_by_names, 3, s);
    if (i < 0)
        return -1;
    *out = (enum answered_by)(i + 1);
    return 0;
}
