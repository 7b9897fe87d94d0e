/* carriers.c - the admin carrier endpoints, PUT/GET/DELETE
 * /v1/admin/carriers[/{name}], and re-laning queued recipients after a
 * route change. The carriers in force are engine/inforce.c's. */
#include "api/carriers.h"
#include "api/handlers.h"
#include "engine/engine.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct relane_ctx {
    struct lane_router router;
    enum channel ch;
};

static void relane_route(void *ctx, const char *number, const char *config_json, char *carrier,
                         size_t carrier_size, char *lane, size_t lane_size) {
    struct relane_ctx *rc = ctx;
    json_t *config = rc->ch == CHANNEL_WHATSAPP ? json_loads(config_json, 0, NULL) : NULL;
    lane_router_route(&rc->router, rc->ch, number, config, carrier, carrier_size, lane, lane_size);
    json_decref(config);
}

/* After a route change: move queued recipients of the channel to their new
 * carrier, in the request's transaction. */
int carriers_relane(struct request *req, enum channel ch) {
    struct relane_ctx ctx = {.ch = ch};
    int rc = lane_router_load(req->app->store, req->app->cfg, &ctx.router);
    if (rc)
        return rc;
    int64_t changed = 0;
    rc = req->app->store->ops->relane(req->app->store, ch, relane_route, &ctx, &changed);
    lane_router_free(&ctx.router);
    if (rc == 0 && changed)
        log_info("carriers: %lld queued %s recipients moved to a new carrier", (long long)changed,
                 channel_name(ch));
    return rc;
}

/* The carriers in force, request-scoped (request_defer). */
struct carrier_list {
    struct carrier *items;
    size_t n;
};

static void carrier_list_release(void *p) {
    struct carrier_list *l = p;
    carriers_free(l->items, l->n);
}

/* NULL when the store failed (answered). */
static struct carrier_list *scoped_carriers(struct request *req) {
    struct carrier_list *l = request_alloc(req, 1, sizeof *l);
    int rc = carriers_load(req->app->store, req->app->cfg, &l->items, &l->n);
    if (rc) {
        reply_store_error(req, rc);
        return NULL;
    }
    request_defer(req, carrier_list_release, l);
    return l;
}

void admin_list_carriers(struct request *req) {
    struct carrier_list *l = scoped_carriers(req);
    if (!l)
        return;
    json_t *data = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(data, carrier_to_json(&l->items[i]));
    reply_json(req, 200, json_pack("{s:o, s:n}", "data", data, "next_page_token"));
}

void admin_get_carrier(struct request *req) {
    struct carrier_list *l = scoped_carriers(req);
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i].name, req->params[0]) == 0) {
            reply_json(req, 200, carrier_to_json(&l->items[i]));
            return;
        }
    }
    reply_not_found(req, "carrier");
}

/* The name of another carrier of the channel already routing prefix, or
 * NULL. */
static const char *prefix_owner(struct carrier *list, size_t n, const struct carrier *c,
                                const char *prefix) {
    for (size_t i = 0; i < n; i++) {
        if (list[i].channel != c->channel || strcmp(list[i].name, c->name) == 0)
            continue;
        for (size_t k = 0; k < list[i].nprefixes; k++)
            if (strcmp(list[i].prefixes[k], prefix) == 0)
                return list[i].name;
    }
    return NULL;
}

/* The carrier's provider must exist and carry its channel: answers 422
 * (field provider) and returns -1 otherwise. */
static int refuse_provider(struct request *req, const struct carrier *c) {
    struct provider_def *list;
    size_t n;
    int rc = providers_load(req->app->store, req->app->cfg, &list, &n);
    if (rc) {
        reply_store_error(req, rc);
        return -1;
    }
    const struct provider_def *d = providers_find(list, n, c->provider);
    if (!d)
        reply_error(req, 422, "invalid_argument", "provider", "no provider named %s", c->provider);
    else if (!provider_def_carries(d, c->channel))
        reply_error(req, 422, "invalid_argument", "provider",
                    "%s (a %s provider) cannot carry %s%s", d->name, d->type,
                    channel_name(c->channel),
                    provider_type_carries(d->type, c->channel) ? ": it has no voice_url" : "");
    int refused = !d || !provider_def_carries(d, c->channel);
    providers_free(list, n);
    return refused ? -1 : 0;
}

static void carrier_release(void *p) {
    carrier_clear(p);
}

void admin_put_carrier(struct request *req) {
    struct carrier *c = request_alloc(req, 1, sizeof *c);
    request_defer(req, carrier_release, c);
    struct verr e;
    if (carrier_from_json(req->params[0], req->json, c, &e) != 0) {
        reply_error(req, 422, "invalid_argument", e.field, "%s", e.message);
        return;
    }
    if (refuse_provider(req, c) != 0)
        return;
    struct carrier_list *l = scoped_carriers(req);
    if (!l)
        return;
    for (size_t k = 0; k < c->nprefixes; k++) {
        const char *owner = prefix_owner(l->items, l->n, c, c->prefixes[k]);
        if (owner) {
            char f[32];
            snprintf(f, sizeof f, "prefixes[%zu]", k);
            reply_error(req, 422, "invalid_argument", f, "%s is already routed to carrier %s",
                        c->prefixes[k], owner);
            return;
        }
    }
    int rc = req->app->store->ops->carrier_put(req->app->store, c, clock_now_ms());
    for (int ch = 0; ch < CHANNEL_COUNT && rc == 0; ch++)
        rc = carriers_relane(req, (enum channel)ch); /* the carrier may also have changed channel */
    if (rc)
        reply_store_error(req, rc);
    else
        reply_json(req, 200, carrier_to_json(c));
    req->wake = ENGINE_CARRIERS | ENGINE_CAMPAIGNS; /* limits, and lanes re-routed */
}

void admin_delete_carrier(struct request *req) {
    if (carrier_is_builtin(req->params[0], NULL)) {
        reply_error(req, 409, "carrier_builtin", NULL,
                    "%s is a built-in carrier: change its limits with PUT; it cannot be deleted",
                    req->params[0]);
        return;
    }
    int rc = req->app->store->ops->carrier_delete(req->app->store, req->params[0]);
    for (int ch = 0; ch < CHANNEL_COUNT && rc == 0; ch++)
        rc = carriers_relane(req, (enum channel)ch);
    if (rc == STORE_ENOTFOUND)
        reply_not_found(req, "carrier");
    else if (rc)
        reply_store_error(req, rc);
    else
        reply_empty(req, 204);
    req->wake = ENGINE_CARRIERS | ENGINE_CAMPAIGNS; /* limits, and lanes re-routed */
}
