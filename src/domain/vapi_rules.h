/* vapi_rules.h - what Vapi's wire means, as pure functions (contract,
 * Providers, vapi; docs/providers.md "Vapi"): the POST /call body of an
 * attempt, the answer to it, the authentication of a server message, and a
 * server message (end-of-call-report, status-update) read into a report.
 * No I/O, no clock (now is an argument); thread-safe. */
#ifndef CAMPAIGND_VAPI_RULES_H
#define CAMPAIGND_VAPI_RULES_H

#include "domain/attempt.h"
#include "domain/runtime_rules.h"
#include "domain/verr.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The metadata key under assistantOverrides.metadata that carries our call
 * id to Vapi and back in every server message. */
#define VAPI_CALL_ID_KEY "campaignd_call_id"
/* How old (or early) a signed timestamp may be. */
#define VAPI_TIMESTAMP_TOLERANCE_MS (5 * 60 * 1000)

/* Every endedReason Vapi documents, exactly or as a family ("prefix*"). */
extern const struct runtime_reason vapi_reasons[];
extern const size_t vapi_nreasons;

/* The POST {base_url}/call body for attempt a (params: the recipient's
 * params as JSON text, or NULL): assistantId = agent_id, phoneNumberId,
 * customer.number = to, name = our call id, assistantOverrides with
 * variableValues = params, metadata = our call, campaign and recipient ids,
 * and server = {url: server_url, credentialId} when server_url is given
 * (credential_id may be NULL). New reference; NULL when params is not a
 * JSON object. */
json_t *vapi_call_body(const struct attempt *a, const char *params, const char *phone_number_id,
                       const char *server_url, const char *credential_id);

/* The answer to POST /call: runtime_answer_read with the call's "id", and a
 * 2xx whose subscriptionLimits.concurrencyBlocked is true put back (the call
 * could not start: every line of the account was busy). */
void vapi_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                      struct runtime_answer *out);

/* How the server messages of a provider are authenticated (its
 * webhook_auth setting): Vapi's HMAC credential, a Bearer token credential,
 * or the legacy server secret sent as X-Vapi-Secret. */
enum vapi_auth_mode { VAPI_AUTH_HMAC, VAPI_AUTH_BEARER, VAPI_AUTH_SECRET_HEADER };
/* "hmac", "bearer", "x-vapi-secret"; 0, or -1 when unknown. */
int vapi_auth_mode_parse(const char *s, enum vapi_auth_mode *out);

/* An HMAC credential's check (algorithm sha256, hex): signature (the
 * signature header's value; a "sha256=" prefix is allowed) must be the
 * HMAC-SHA256 under secret of "{timestamp}.{body}" when timestamp (the
 * timestamp header's value) is given, else of the body alone. A timestamp
 * is unix seconds, or milliseconds when above 10^11, and must be within
 * VAPI_TIMESTAMP_TOLERANCE_MS of now. 1 when it holds, else 0. */
int vapi_hmac_valid(const char *secret, const char *body, size_t n, const char *timestamp,
                    const char *signature, int64_t now_ms);
/* A Bearer credential: authorization is "Bearer <secret>" (constant time). */
int vapi_bearer_valid(const char *secret, const char *authorization);
/* The legacy server secret: header is the secret (constant time). */
int vapi_secret_header_valid(const char *secret, const char *header);

/* Reads a server message ({"message": {"type": ...}}) into out at time
 * now. end-of-call-report: an END with endedReason mapped by vapi_reasons
 * (an undocumented reason: failed), ended_reason kept as sent, our call id
 * from call.assistantOverrides.metadata (else assistant.metadata), the
 * runtime's id from call.id, transcript and recording URL from artifact
 * (artifact.transcript, artifact.recordingUrl or
 * artifact.recording.mono.combinedUrl; the older top-level transcript and
 * recordingUrl too), ended_at from endedAt (else now), and for an answered
 * call answered_at = startedAt and the duration between them
 * (durationSeconds when sent). status-update: ringing and in-progress are
 * PROGRESS; other statuses and every other type are IGNORED. 0 with out
 * filled (runtime_report_clear it), or -1 with e naming the field at
 * fault (out holds nothing to free). */
int vapi_report_read(json_t *body, int64_t now, struct runtime_report *out, struct verr *e);

#endif
