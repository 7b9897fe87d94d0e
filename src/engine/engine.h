/* engine.h - the dispatch engine: one thread with its own libuv loop that
 * owns all pacing state. The API reaches it only through the store and
 * engine_wake() (uv_async_send, safe from any thread). */
#ifndef CAMPAIGND_ENGINE_H
#define CAMPAIGND_ENGINE_H

struct app;
struct engine;

/* What changed, so the engine knows what to reload. */
enum engine_event {
    ENGINE_CAMPAIGNS = 1, /* a campaign moved, recipients were added */
    ENGINE_CARRIERS = 2,  /* carrier limits or routes changed */
    ENGINE_PROVIDERS = 4  /* a provider was created, replaced or deleted */
};

/* Starts the engine thread: reconciles attempts left in flight by an earlier
 * run, then dispatches. 0, or -1 (logged). */
int engine_start(struct app *app, struct engine **out);
/* Any thread: something changed; the engine looks within milliseconds. */
void engine_wake(struct engine *e, int events);
/* Stops dispatching, stores the ends already reported, joins the thread.
 * Attempts still in flight stay dispatched; the next start reconciles them. */
void engine_stop(struct engine *e);

#endif
