/* app.h - what every handler may reach: settings, the store, the page-token
 * secret, the metrics, the API key cache and the campaign cache. Created once in main.c before the
 * HTTP server starts and read-only afterwards (metrics use atomics, the caches mutexes). */
#ifndef CAMPAIGND_APP_H
#define CAMPAIGND_APP_H

#include "config.h"
#include "domain/campaign.h"
#include "store/store.h"

#include <stdint.h>

struct metrics;

struct app {
    const struct config *cfg;
    struct store *store;
    uint8_t page_secret[32];
    struct campaign_rules rules;
    struct metrics *metrics;
    struct engine *engine;  /* NULL in tools that only serve the API */
    struct tzmap *tzmap;    /* phone prefix -> time zones; NULL without the data */
    struct key_cache *keys; /* checked API keys (key_cache.h); NULL on a shared store */
    /* campaigns as their GET wrote them (campaign_cache.h); NULL when the
     * store can tell no generation */
    struct campaign_cache *campaigns;
    /* the write generation of a store other nodes write too
     * (snapshot_gate.h); NULL where the store counts its own commits */
    struct snapshot_gate *gate;
};

/* Loads (or creates on first start) the server secret kept in the store. */
int app_load_secret(struct app *app);

#endif
