/* campaign_cache.h - campaigns' JSON as GET /v1/campaigns/{id} last wrote
 * it, so a campaign polled while nothing was written needs neither a store
 * read nor a render (issue 19: the SQLite read, with its WAL locks and page
 * reads after every commit, and the render were most of such a GET).
 *
 * Each entry carries the store's write generation read before the read it
 * came from (store_ops.write_generation), and answers only while the
 * generation has not moved: any commit, of the API or the engine, makes
 * every entry stale at once. A read that raced a commit is tagged with the
 * generation before that commit, so it is never taken for current. Keyed
 * by account (on PostgreSQL: API key prefix) and campaign id: an entry
 * answers its own account only.
 *
 * SQLite (one process) counts its own commits; on PostgreSQL, where other
 * nodes write too, the generation comes from the database's snapshot
 * (api/snapshot_gate.h), asked for by every GET. A fixed table of
 * CAMPAIGN_CACHE_SLOTS entries of at most CAMPAIGN_CACHE_MAX_BODY bytes
 * each (a campaign takes the slot of its hash), so memory is bounded
 * whatever clients ask for. Thread-safe: a mutex per group of slots, held
 * to copy a body, never across I/O; a caller waiting on another's claim
 * waits on a condition variable of its group. */
#ifndef CAMPAIGND_CAMPAIGN_CACHE_H
#define CAMPAIGND_CAMPAIGN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CAMPAIGN_CACHE_SLOTS 256
#define CAMPAIGN_CACHE_MAX_BODY 8192

struct campaign_cache;

struct campaign_cache *campaign_cache_new(void);
void campaign_cache_free(struct campaign_cache *cc); /* NULL: nothing */
/* 1 with *body (a copy, the caller's to free) and *len when the slot holds
 * account_id's campaign id written at generation; else 0. */
int campaign_cache_get(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                       const char *id, char **body, size_t *len);
/* As campaign_cache_get; on a miss, when another caller claimed the same
 * entry at the same generation (it is reading the store for it), waits
 * for its answer up to CAMPAIGN_CACHE_CLAIM_WAIT_MS, else claims it: the
 * caller then reads the store and must end the claim with
 * campaign_cache_put or campaign_cache_release. So a new generation costs
 * one store read per entry, not one per concurrent GET. */
#define CAMPAIGN_CACHE_CLAIM_WAIT_MS 250
int campaign_cache_claim(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                         const char *id, char **body, size_t *len);
/* Ends a claim without an answer to keep (the read failed or was refused). */
void campaign_cache_release(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                            const char *id);
/* Keeps body (copied) as account_id's campaign id read at generation, in
 * place of what its slot held. Bodies over CAMPAIGN_CACHE_MAX_BODY, ids
 * too long for a slot and generation 0 are not kept. */
void campaign_cache_put(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                        const char *id, const char *body, size_t len);

/* Answers so far from the table (hits) and from the store (misses: not
 * there, or stale), for GET /metrics. */
void campaign_cache_counts(struct campaign_cache *cc, uint64_t *hits, uint64_t *misses);

#endif
