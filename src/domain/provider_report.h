/* provider_report.h - the body of a simulated provider's callback about
 * one attempt (POST /v1/providers/{name}/calls/{id} and .../messages/{id}):
 * {"status", "answered_at"?, "ended_at"?, "provider_id"?, "error_code"?, and
 * for calls "answered_by"?, "ended_reason"?, "duration_seconds"?}, read into the
 * attempt_end the engine applies. Other provider types bring their own
 * parsers (Twilio's form fields, Meta's webhook JSON). Pure; thread-safe. */
#ifndef CAMPAIGND_PROVIDER_REPORT_H
#define CAMPAIGND_PROVIDER_REPORT_H

#include "domain/attempt.h"
#include "domain/verr.h"

#include <jansson.h>
#include <stdint.h>

/* Reads body (an object) as a report on the attempt attempt_id of channel
 * ch: a call's progress (ringing, in_progress) or end (completed,
 * no_answer, busy, failed, canceled), or a message status (sent,
 * delivered, read, undelivered, failed). ended_at defaults to now. 0 and
 * *out filled, or -1 with e naming the field (status, a malformed field, or
 * an unknown field: messages take no call fields). */
int provider_report_from_json(json_t *body, const char *attempt_id, enum channel ch, int64_t now,
                              struct attempt_end *out, struct verr *e);

/* The error_code of a provider's refusal: its answer's code (an integer,
 * or a non-empty string), else "http_<status>". Every HTTP provider's
 * answer reader uses it (twilio_rules.c, meta_rules.c). */
void provider_error_code(json_t *code, long status, char out[32]);

#endif
