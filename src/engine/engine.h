/* engine.h - the dispatch engine: one thread with its own libuv loop that
 * owns all pacing state. The API reaches it only through the store and
 * engine_wake() (uv_async_send, safe from any thread). */
#ifndef CAMPAIGND_ENGINE_H
#define CAMPAIGND_ENGINE_H

#include "config.h"
#include "engine/engine_stats.h"

struct engine;
struct store;

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
    ENGINE_PROVIDERS = 4  /* a provider was created, replaced or deleted */
};

/* Starts the engine thread: reconciles attempts left in flight by an earlier
 * run, then dispatches. 0, or a negative ERROR_* code (logged). */
int engine_start(const struct engine_deps *deps, struct engine **out);
/* Any thread: something changed; the engine looks within milliseconds. */
void engine_wake(struct engine *e, int events);
/* Stops dispatching, stores the ends already reported, joins the thread.
 * Attempts still in flight stay dispatched; the next start reconciles them. */
void engine_stop(struct engine *e);

#endif
