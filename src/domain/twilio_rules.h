/* twilio_rules.h - what Twilio's wire means, as pure functions (contract,
 * Providers, twilio): the answer to a Calls.json / Messages.json request
 * turned into a fate, the X-Twilio-Signature of a callback, and a status
 * callback's form fields read into the attempt_end the engine applies.
 * No I/O, no clock; thread-safe. */
#ifndef CAMPAIGND_TWILIO_RULES_H
#define CAMPAIGND_TWILIO_RULES_H

#include "domain/attempt.h"
#include "domain/verr.h"
#include "util/form.h"

#include <stddef.h>
#include <stdint.h>

enum twilio_fate {
    TWILIO_ACCEPTED, /* 2xx: Twilio has it; sid names it */
    TWILIO_REJECTED, /* 4xx but 429: this attempt fails, error_code is Twilio's code */
    TWILIO_PUT_BACK  /* 429, code 20429, 5xx: over its limits or down; back to the queue */
};

struct twilio_answer {
    enum twilio_fate fate;
    char sid[64];           /* accepted: the answer's "sid" ("" when it has none) */
    char error_code[32];    /* rejected: the answer's "code", else "http_<status>" */
    int64_t retry_after_ms; /* put back: Retry-After (0: the engine's backoff) */
};

/* Reads an HTTP answer (status, body of n bytes, Retry-After in ms or 0). */
void twilio_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                        struct twilio_answer *out);

/* X-Twilio-Signature of a form request to url: base64 of HMAC-SHA1 under
 * auth_token over url followed by every field's name and value, sorted by
 * name (bytewise, then by value for a name that repeats). out: 28 chars. */
void twilio_signature(const char *auth_token, const char *url, const struct form *f, char out[29]);
/* 1 when header is the signature of the request at url (or at url with
 * its default port added or its port removed, as Twilio's own validators
 * accept), compared in constant time; 0 otherwise (NULL header too). */
int twilio_signature_valid(const char *auth_token, const char *url, const struct form *f,
                           const char *header);

/* Reads a status callback's fields as a report on attempt attempt_id of
 * channel ch at time now. Voice: CallStatus (ringing → ringing;
 * in-progress → in_progress, answered now; completed → completed, with
 * AnsweredBy machine* → answered_by machine (the voicemail disposition),
 * human → human, others → unknown; busy, no-answer → busy, no_answer;
 * failed, canceled → failed), CallDuration (seconds), ErrorCode, CallSid;
 * ended_reason is the CallStatus of an end. Messaging: MessageStatus
 * (sent, delivered, read, undelivered, failed; canceled → failed),
 * ErrorCode, MessageSid. 0 with out filled; 1 when the status is one that
 * moves nothing (queued, initiated, accepted, sending, ...): answer it and
 * apply nothing; -1 with e (the field at fault) when the status is missing
 * or unknown or a field is malformed. */
int twilio_report_read(const struct form *f, const char *attempt_id, enum channel ch, int64_t now,
                       struct attempt_end *out, struct verr *e);

#endif
