/* retell_rules.h - what Retell's wire means, as pure functions (contract,
 * Providers, retell; docs/providers.md "Retell"): the
 * POST /v2/create-phone-call body of an attempt, the answer to it, the
 * x-retell-signature of a webhook, and a webhook ({"event", "call"}) read
 * into a report. No I/O, no clock (now is an argument); thread-safe. */
#ifndef CAMPAIGND_RETELL_RULES_H
#define CAMPAIGND_RETELL_RULES_H

#include "domain/attempt.h"
#include "domain/runtime_rules.h"
#include "domain/verr.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The key of the call's metadata that carries our call id. */
#define RETELL_CALL_ID_KEY "campaignd_call_id"
/* How far the signature's timestamp may be from now (Retell's SDKs: 5 min). */
#define RETELL_SIGNATURE_TOLERANCE_MS (5 * 60 * 1000)

/* Every disconnection_reason Retell documents, exactly or as a family. */
extern const struct runtime_reason retell_reasons[];
extern const size_t retell_nreasons;

/* The create-phone-call body for attempt a (params: the recipient's params
 * as JSON text, or NULL): from_number (from_number, else the campaign's
 * caller id), to_number, override_agent_id = agent_id,
 * retell_llm_dynamic_variables = params with every value as a string
 * (numbers and booleans as their JSON text), metadata = our call, campaign
 * and recipient ids, and agent_override.agent.webhook_url = webhook_url
 * when given. New reference; NULL when params is not a JSON object. */
json_t *retell_call_body(const struct attempt *a, const char *params, const char *from_number,
                         const char *webhook_url);

/* The answer to create-phone-call: runtime_answer_read with "call_id". */
void retell_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                        struct runtime_answer *out);

/* x-retell-signature: "v=<unix ms>,d=<hex HMAC-SHA256 under api_key of the
 * raw body followed by the ms digits>", the timestamp within
 * RETELL_SIGNATURE_TOLERANCE_MS of now. 1 when header is that, else 0. */
int retell_signature_valid(const char *api_key, const char *body, size_t n, const char *header,
                           int64_t now_ms);
/* The header Retell would send for body at ms (tests, fuzzing). out: 96. */
void retell_signature(const char *api_key, const char *body, size_t n, int64_t ms, char out[96]);

/* Reads a webhook body at time now. call_ended and call_analyzed: an END
 * with call.disconnection_reason mapped by retell_reasons (undocumented:
 * failed), kept as ended_reason; call_analysis.in_voicemail true turns a
 * completed call into voicemail; our call id from call.metadata, the
 * runtime's from call.call_id, transcript and recording_url, ended_at from
 * end_timestamp (else now), answered_at from start_timestamp and duration
 * from duration_ms for an answered call. call_started: PROGRESS
 * (in_progress, answered at start_timestamp). Every other event: IGNORED.
 * 0 with out filled (runtime_report_clear it), or -1 with e. */
int retell_report_read(json_t *body, int64_t now, struct runtime_report *out, struct verr *e);

#endif
