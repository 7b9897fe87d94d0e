/* runtime_rules.h - what the AI voice agent runtimes (vapi, retell) share,
 * as pure functions (contract, Providers, vapi and retell): the outcome an
 * ended reason maps to, the answer to a create-call request turned into a
 * fate, the report a webhook carries (an end with its transcript and
 * recording, a progress, or nothing to apply), and the HMAC-SHA256 checks
 * both sign with. Each runtime's own words are in vapi_rules.c and
 * retell_rules.c. No I/O, no clock; thread-safe. */
#ifndef CAMPAIGND_RUNTIME_RULES_H
#define CAMPAIGND_RUNTIME_RULES_H

#include "domain/attempt.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Where an ended reason leaves the recipient (contract, call object). */
enum runtime_outcome {
    RUNTIME_COMPLETED, /* the recipient talked with the agent */
    RUNTIME_NO_ANSWER,
    RUNTIME_BUSY,      /* busy, declined, or the runtime's own lines full */
    RUNTIME_VOICEMAIL, /* a machine answered */
    RUNTIME_FAILED     /* hard: not retried */
};

/* One documented reason. A table ends with families: a reason ending in
 * '*' matches every reason that starts with the text before it. */
struct runtime_reason {
    const char *reason;
    enum runtime_outcome outcome;
};

/* The entry that covers reason (exact first, then the longest family), or
 * NULL when the runtime documents no such reason. */
const struct runtime_reason *runtime_reason_find(const struct runtime_reason *table, size_t n,
                                                 const char *reason);
/* "completed", "no_answer", "busy", "voicemail", "failed". */
const char *runtime_outcome_name(enum runtime_outcome o);
/* The call status and answered_by an outcome sets on an end: voicemail is
 * completed + machine (the engine's voicemail disposition); completed is
 * answered by a human; the others were never answered (answered_by unset). */
void runtime_outcome_to_end(enum runtime_outcome o, struct attempt_end *end);

/* Sets an end's times from what a runtime reported (started, ended: ms,
 * 0 or less = absent; duration_ms: -1 = absent): ended_at = ended, else
 * now; for an answered end (answered_by set) the duration (given, else
 * ended - started when both are known and in order; kept only when at most
 * 31 days) and answered_at = started, else ended_at - duration, else
 * ended_at (never 0 or less). An unanswered end keeps neither. */
void runtime_end_times(struct attempt_end *end, int64_t started, int64_t ended, int64_t duration_ms,
                       int64_t now);

/* ---- the answer to a create-call request ---- */

enum runtime_fate {
    RUNTIME_ACCEPTED, /* 2xx: the runtime has the call; id names it */
    RUNTIME_REJECTED, /* other 4xx: this attempt fails, error_code says why */
    RUNTIME_PUT_BACK  /* 429, a concurrency refusal, 5xx: back to the queue */
};

struct runtime_answer {
    enum runtime_fate fate;
    char id[64];            /* accepted: the runtime's call id ("" when none) */
    char error_code[32];    /* rejected: "http_<status>" */
    int64_t retry_after_ms; /* put back: Retry-After (0: the engine's backoff) */
};

/* Reads an HTTP answer (status, body of n bytes, Retry-After in ms or 0);
 * id_field names the call id in a 2xx body ("id" for Vapi, "call_id" for
 * Retell). An answer of any status whose error message speaks of
 * concurrency ("concurrency" or "concurrent", any case, in "message" or
 * "error") is put back: the runtime's lines are full, not the recipient's
 * fault. */
void runtime_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                         const char *id_field, struct runtime_answer *out);

/* ---- webhook reports ---- */

enum runtime_report_kind {
    RUNTIME_REPORT_END,      /* the call ended: apply end, write transcript / recording */
    RUNTIME_REPORT_PROGRESS, /* ringing or in progress */
    RUNTIME_REPORT_IGNORED   /* a message that moves nothing (answered 2xx) */
};

struct runtime_report {
    enum runtime_report_kind kind;
    char call_id[48];       /* ours, from the metadata we sent ("" when absent) */
    struct attempt_end end; /* provider_call_id: the runtime's id; call_id = call_id */
    char *transcript;       /* new, or NULL when the report has none */
    char *recording_url;    /* new, or NULL */
    char what[64];          /* the message or event type, for logs */
    int undocumented;       /* END: a reason the runtime does not document (failed) */
};

void runtime_report_clear(struct runtime_report *r);

/* Fills r's media and times from strings (borrowed; NULL or "" = absent). */
void runtime_report_set_media(struct runtime_report *r, const char *transcript,
                              const char *recording_url);
/* Copies a JSON string (at most size-1 bytes, no NUL inside) into out;
 * 0, or -1 when it is not a string or does not fit. Absent (NULL): "" and 0. */
int runtime_copy_string(json_t *v, char *out, size_t size);

/* ---- signatures ---- */

/* 1 when hex (any case) is the HMAC-SHA256 under key of msg, compared in
 * constant time; 0 otherwise (NULL, wrong length, not hex). */
int runtime_hmac_sha256_hex_valid(const char *key, const void *msg, size_t msglen, const char *hex);
/* Lowercase hex of HMAC-SHA256 under key of msg into out (65 bytes). */
void runtime_hmac_sha256_hex(const char *key, const void *msg, size_t msglen, char out[65]);

#endif
