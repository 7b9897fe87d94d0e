/* inforce.h - what is in force now: the carriers (the stored ones, plus
 * each built-in carrier with its limits from configuration unless an
 * operator stored new ones), the providers (the stored ones plus the
 * built-in sim), and the lane router built from the carriers. Read by the
 * admin API, the upload (to route numbers) and the dispatch engine.
 * Thread-safe: each call reads the store on the caller's thread. */
#ifndef CAMPAIGND_INFORCE_H
#define CAMPAIGND_INFORCE_H

#include "config.h"
#include "domain/carrier.h"
#include "domain/provider_def.h"
#include "store/store.h"

#include <stddef.h>

/* 0 or a STORE_E* code; the list is sorted by name. */
int carriers_load(struct store *st, const struct config *cfg, struct carrier **out, size_t *n);
void carriers_free(struct carrier *list, size_t n);

/* 0 or a STORE_E* code; sorted by name, the built-in "sim" included. */
int providers_load(struct store *st, const struct config *cfg, struct provider_def **out,
                   size_t *n);
void providers_free(struct provider_def *list, size_t n);
/* The provider named name in list, or NULL. Borrowed. */
const struct provider_def *providers_find(const struct provider_def *list, size_t n,
                                          const char *name);

/* Decides each recipient's carrier and lane from the carriers in force. */
struct lane_router {
    struct carrier *list;
    size_t n;
    struct route_table table[CHANNEL_COUNT];
};
int lane_router_load(struct store *st, const struct config *cfg, struct lane_router *r);
void lane_router_free(struct lane_router *r);
/* Carrier and lane of a number in a campaign of channel ch: voice and sms
 * route the number (lane = carrier); whatsapp routes the config's sender
 * (lane = carrier|sender|category). */
void lane_router_route(const struct lane_router *r, enum channel ch, const char *number,
                       json_t *config, char *carrier, size_t carrier_size, char *lane,
                       size_t lane_size);

#endif
