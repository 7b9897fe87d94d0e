/* effects.h - one transaction per mutating request, with idempotency.
 *
 * Every POST, PATCH and DELETE runs its store writes inside one transaction
 * opened by api_begin_effects() and closed by api_end_effects() after the
 * handler answered: a 2xx answer commits (saving the answer under the
 * request's Idempotency-Key in the same transaction), anything else rolls
 * back, so a request that fails changes nothing.
 *
 * Idempotency-Key (1..255 chars, scoped to the account): a stored answer
 * younger than 24 h for the same key replays (same status and body, plus
 * the header Idempotent-Replayed: true) when method, path and body match,
 * and answers 409 idempotency_conflict when they do not.
 * Thread: the request's worker. */
#ifndef CAMPAIGND_EFFECTS_H
#define CAMPAIGND_EFFECTS_H

#include "api/request.h"

#define IDEMPOTENCY_TTL_MS (24LL * 3600 * 1000)

/* Opens the request's transaction and checks its Idempotency-Key. Returns 0
 * when the handler should go on; -1 when the answer is already set (a
 * replay, a conflict, a bad key or a store error). */
int api_begin_effects(struct request *req);
/* For routes that validate before their transaction: answers a replay or a
 * conflict from a read of the stored key, before any work. -1 when it
 * answered. The check is repeated inside the transaction. */
int api_precheck_idempotency(struct request *req);
/* Commits or rolls back; a failed commit turns the answer into a 5xx. */
void api_end_effects(struct request *req);

#endif
