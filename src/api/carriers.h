/* carriers.h - the carriers in force: the stored ones, plus each built-in
 * carrier with its limits from configuration unless an operator stored new
 * ones. Used by the admin API, the upload (to route numbers) and the
 * dispatch engine. Thread-safe (reads the store on the caller's thread). */
#ifndef CAMPAIGND_CARRIERS_H
#define CAMPAIGND_CARRIERS_H

#include "api/app.h"
#include "domain/carrier.h"

#include <stddef.h>

/* 0 or a STORE_E* code; the list is sorted by name. */
int carriers_load(struct app *app, struct carrier **out, size_t *n);
void carriers_free(struct carrier *list, size_t n);

struct request;
/* Re-decides carrier and lane of the queued recipients of the channel's
 * campaigns, in the request's transaction (after a route change, or a
 * whatsapp campaign's new sender). 0 or STORE_E*. */
int carriers_relane(struct request *req, enum channel ch);

/* Decides each recipient's carrier and lane from the carriers in force. */
struct lane_router {
    struct carrier *list;
    size_t n;
    struct route_table table[CHANNEL_COUNT];
};
int lane_router_load(struct app *app, struct lane_router *r);
void lane_router_free(struct lane_router *r);
/* Carrier and lane of a number in a campaign of channel ch: voice and sms
 * route the number (lane = carrier); whatsapp routes the config's sender
 * (lane = carrier|sender|category). */
void lane_router_route(const struct lane_router *r, enum channel ch, const char *number,
                       json_t *config, char *carrier, size_t carrier_size, char *lane,
                       size_t lane_size);

#endif
