/* engine_stats.h - counters the engine keeps for GET /metrics: plain
 * integers updated with relaxed atomics on the engine thread and read from
 * any thread. The composer (main.c) owns the struct and hands it both to
 * the engine (writer) and to the metrics (reader), so the engine needs
 * nothing of the HTTP layer. */
#ifndef CAMPAIGND_ENGINE_STATS_H
#define CAMPAIGND_ENGINE_STATS_H

#include <stdint.h>

struct engine_stats {
    uint64_t webhook_delivered;       /* events delivered (2xx) */
    uint64_t webhook_failed_attempts; /* delivery attempts that failed */
    uint64_t webhook_given_up;        /* events marked failed for good */
    uint64_t engine_passes;           /* dispatch passes run (engine.c, pass) */
};

/* One webhook delivery: delivered, or one failed attempt (given_up: the
 * event was marked failed for good). stats may be NULL. */
static inline void engine_stats_webhook(struct engine_stats *stats, int delivered, int given_up) {
    if (!stats)
        return;
    if (delivered)
        __atomic_fetch_add(&stats->webhook_delivered, 1, __ATOMIC_RELAXED);
    else
        __atomic_fetch_add(&stats->webhook_failed_attempts, 1, __ATOMIC_RELAXED);
    if (given_up)
        __atomic_fetch_add(&stats->webhook_given_up, 1, __ATOMIC_RELAXED);
}

/* One pass of the dispatch loop. stats may be NULL. */
static inline void engine_stats_pass(struct engine_stats *stats) {
    if (stats)
        __atomic_fetch_add(&stats->engine_passes, 1, __ATOMIC_RELAXED);
}

#endif
