/* engine.h - the dispatch engine: one thread with its own libuv loop that
 * owns all pacing state. The API reaches it only through the store and
 * engine_wake() (uv_async_send, safe from any thread). */
#ifndef CAMPAIGND_ENGINE_H
#define CAMPAIGND_ENGINE_H

#include "config.h"
#include "engine/engine_stats.h"

#include <stddef.h>

struct engine;
struct store;
struct attempt_end;

/* What the engine is built from (main.c composes it): nothing of the HTTP
 * layer. Borrowed; each must outlive the engine. */
struct engine_deps {
    struct store *store;
    const struct config *cfg;
    int allow_private_webhooks; /* deliver to private addresses (tests, dev) */
    struct engine_stats *stats; /* counters for GET /metrics; may be NULL */
};

/* What changed, so the engine knows what to reload. */
enum engine_event {
    ENGINE_CAMPAIGNS = 1, /* a campaign moved, recipients were added */
    ENGINE_CARRIERS = 2,  /* carrier limits or routes changed */
    ENGINE_PROVIDERS = 4, /* a provider was created, replaced or deleted */
    ENGINE_INBOX = 8,     /* reports from outside wait in the store's inbox */
    ENGINE_ALL = 15       /* everything (at start; after missed notifications) */
};

/* Starts the engine thread: reconciles attempts left in flight by an earlier
 * run, then dispatches. 0, or a negative ERROR_* code (logged). */
int engine_start(const struct engine_deps *deps, struct engine **out);
/* Any thread, after the change committed: something changed; the engine
 * looks within milliseconds, and the other nodes on the database are told
 * (the store's notify; theirs look too). */
void engine_wake(struct engine *e, int events);
/* Any thread: the thread-safe entry for reports that arrive from outside
 * (a provider's HTTP callback). Writes them durably to the store's inbox,
 * then wakes the engine, which applies them (forward only) and empties the
 * inbox. Answer the caller's peer 2xx only after this returned 0; on a
 * negative ERROR_* code nothing was kept (answer 5xx: the peer retries).
 * e may be NULL (the reports wait for the next engine to start). */
int engine_report(struct engine *e, struct store *st, const char *provider,
                  const struct attempt_end *ends, size_t n);
/* Stops dispatching, stores the ends already reported, joins the thread.
 * Attempts still in flight stay dispatched; the next start reconciles them. */
void engine_stop(struct engine *e);

#endif
