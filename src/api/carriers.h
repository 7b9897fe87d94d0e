/* carriers.h - re-laning after a route change, for the admin carrier
 * endpoints and a whatsapp campaign's new sender. The carriers in force and
 * the lane router are engine/inforce.h's. */
#ifndef CAMPAIGND_CARRIERS_H
#define CAMPAIGND_CARRIERS_H

#include "api/app.h"
#include "engine/inforce.h"

struct request;
/* Re-decides carrier and lane of the queued recipients of the channel's
 * campaigns, in the request's transaction (after a route change, or a
 * whatsapp campaign's new sender). 0 or STORE_E*. */
int carriers_relane(struct request *req, enum channel ch);

#endif
