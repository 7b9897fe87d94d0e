/* types.h - the plain enums shared by every layer: channels, campaign and
 * recipient statuses, dispositions, and the campaign's stored counters.
 * Names convert with the *_name / *_parse functions in types.c. */
#ifndef CAMPAIGND_TYPES_H
#define CAMPAIGND_TYPES_H

#include <stdint.h>

enum channel { CHANNEL_VOICE, CHANNEL_SMS, CHANNEL_WHATSAPP, CHANNEL_COUNT };

enum campaign_status {
    CAMPAIGN_DRAFT,
    CAMPAIGN_RUNNING,
    CAMPAIGN_PAUSED,
    CAMPAIGN_COMPLETED,
    CAMPAIGN_CANCELLED,
    CAMPAIGN_STATUS_COUNT
};

enum recipient_status {
    RECIPIENT_QUEUED,
    RECIPIENT_DISPATCHED,
    RECIPIENT_SUCCEEDED,
    RECIPIENT_FAILED,
    RECIPIENT_STATUS_COUNT
};

enum disposition {
    DISP_NONE = -1,
    DISP_COMPLETED = 0,
    DISP_NO_ANSWER,
    DISP_BUSY,
    DISP_FAILED,
    DISP_CANCELLED,
    DISP_OPTED_OUT,
    DISP_SENT,
    DISP_DELIVERED,
    DISP_READ,
    DISP_UNDELIVERED,
    DISP_MISSING_PARAM,
    DISP_EXPIRED,
    DISP_VOICEMAIL, /* a machine answered (transient, like no_answer) */
    DISP_UNKNOWN,   /* the submit's fate never became known */
    DISP_COUNT
};

/* Who answered a call, as the provider's answering-machine detection or a
 * voice agent runtime reports it; NONE when nothing was reported. */
enum answered_by { ANSWERED_NONE = 0, ANSWERED_HUMAN, ANSWERED_MACHINE, ANSWERED_UNKNOWN };

enum call_status {
    CALL_QUEUED,
    CALL_RINGING,
    CALL_IN_PROGRESS,
    CALL_COMPLETED,
    CALL_BUSY,
    CALL_NO_ANSWER,
    CALL_FAILED,
    CALL_CANCELED,
    CALL_STATUS_COUNT
};

/* Messages only move forward: queued → sent → delivered → read; failed
 * (refused at submit) and undelivered (a failure report after sent) are
 * terminal. */
enum message_status {
    MSG_QUEUED,
    MSG_SENT,
    MSG_DELIVERED,
    MSG_READ,
    MSG_FAILED,
    MSG_UNDELIVERED,
    MSG_STATUS_COUNT
};

/* Stored per campaign and moved in the same transaction as the recipient
 * that changes; never computed by counting rows.
 * Invariant: total = queued + dispatched + succeeded + failed, and the
 * dispositions count terminal (succeeded or failed) recipients only. */
struct counters {
    int64_t total, queued, dispatched, succeeded, failed;
    int64_t dispositions[DISP_COUNT];
};

const char *channel_name(enum channel c);
int channel_parse(const char *s, enum channel *out); /* 0 or -1 */
const char *campaign_status_name(enum campaign_status s);
int campaign_status_parse(const char *s, enum campaign_status *out);
const char *recipient_status_name(enum recipient_status s);
int recipient_status_parse(const char *s, enum recipient_status *out);
const char *disposition_name(enum disposition d); /* NULL for DISP_NONE */
int disposition_parse(const char *s, enum disposition *out);
const char *call_status_name(enum call_status s);
int call_status_parse(const char *s, enum call_status *out);
/* 1 for completed, busy, no_answer, failed and canceled. */
int call_status_is_final(enum call_status s);
/* "human", "machine", "unknown"; NULL for ANSWERED_NONE. */
const char *answered_by_name(enum answered_by a);
int answered_by_parse(const char *s, enum answered_by *out);
const char *message_status_name(enum message_status s);
int message_status_parse(const char *s, enum message_status *out);
/* The channel's name for an opt-out category, or NULL. */
const char *category_name_valid(const char *s);
/* 1 when the counters obey the invariant. */
int counters_consistent(const struct counters *c);

#endif
