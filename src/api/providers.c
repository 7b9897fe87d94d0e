/* providers.c - the admin provider endpoints: PUT/GET/DELETE
 * /v1/admin/providers[/{name}]. Validation is domain/provider_def.c's;
 * answers never carry secrets (provider_def_to_json). A change wakes the
 * engine, which rebuilds its providers within a second. */
#include "api/app.h"
#include "api/handlers.h"
#include "engine/engine.h"
#include "engine/inforce.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

void admin_list_providers(struct request *req) {
    struct provider_def *list;
    size_t n;
    int rc = providers_load(req->app->store, req->app->cfg, &list, &n);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, provider_def_to_json(&list[i]));
    providers_free(list, n);
    reply_json(req, 200, json_pack("{s:o, s:n}", "data", data, "next_page_token"));
}

void admin_get_provider(struct request *req) {
    struct provider_def *list;
    size_t n;
    int rc = providers_load(req->app->store, req->app->cfg, &list, &n);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    const struct provider_def *d = providers_find(list, n, req->params[0]);
    if (d)
        reply_json(req, 200, provider_def_to_json(d));
    else
        reply_not_found(req, "provider");
    providers_free(list, n);
}

static int refuse_builtin(struct request *req) {
    if (strcmp(req->params[0], PROVIDER_BUILTIN) != 0)
        return 0;
    reply_error(req, 409, "provider_builtin", NULL,
                "sim is the built-in provider: its delays are server settings "
                "(CAMPAIGND_SIM_CALL_MS, CAMPAIGND_SIM_REPORT_MS); create another sim provider "
                "under a new name instead");
    return 1;
}

/* A carrier that names the provider, or NULL when none does (or on error:
 * *rc says). */
static int carrier_using(struct request *req, const char *provider, char *carrier, size_t size) {
    struct carrier *list;
    size_t n;
    int rc = carriers_load(req->app->store, req->app->cfg, &list, &n);
    if (rc)
        return rc;
    carrier[0] = '\0';
    for (size_t i = 0; i < n && !carrier[0]; i++)
        if (strcmp(list[i].provider, provider) == 0)
            snprintf(carrier, size, "%s", list[i].name);
    carriers_free(list, n);
    return 0;
}

void admin_put_provider(struct request *req) {
    if (refuse_builtin(req))
        return;
    struct provider_def d;
    struct verr e;
    if (provider_def_from_json(req->params[0], req->json,
                               req->app->cfg->provider_allow_private != 0, &d, &e) != 0) {
        reply_error(req, 422, "invalid_argument", e.field, "%s", e.message);
        return;
    }
    /* a carrier using it must still be carried: a new type may not carry
     * that carrier's channel */
    struct carrier *list;
    size_t n;
    int rc = carriers_load(req->app->store, req->app->cfg, &list, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(list[i].provider, d.name) == 0 && !provider_def_carries(&d, list[i].channel)) {
            int by_type = !provider_type_carries(d.type, list[i].channel);
            reply_error(req, 409, "provider_in_use", by_type ? "type" : NULL,
                        "carrier %s sends %s through %s, which this %s provider cannot carry%s",
                        list[i].name, channel_name(list[i].channel), d.name, d.type,
                        by_type ? "" : " (a twilio provider needs voice_url to carry voice)");
            carriers_free(list, n);
            provider_def_clear(&d);
            return;
        }
    }
    if (rc == 0) {
        carriers_free(list, n);
        rc = req->app->store->ops->provider_put(req->app->store, &d, clock_now_ms());
    }
    if (rc) {
        reply_store_error(req, rc);
    } else {
        reply_json(req, 200, provider_def_to_json(&d));
        req->wake = ENGINE_PROVIDERS;
    }
    provider_def_clear(&d);
}

void admin_delete_provider(struct request *req) {
    if (strcmp(req->params[0], PROVIDER_BUILTIN) == 0) {
        reply_error(req, 409, "provider_builtin", NULL,
                    "sim is the built-in provider; it cannot be deleted");
        return;
    }
    char carrier[CARRIER_NAME_MAX + 1];
    int rc = carrier_using(req, req->params[0], carrier, sizeof carrier);
    if (rc == 0 && carrier[0]) {
        reply_error(req, 409, "provider_in_use", NULL,
                    "carrier %s sends through %s: point it at another provider first", carrier,
                    req->params[0]);
        return;
    }
    if (rc == 0)
        rc = req->app->store->ops->provider_delete(req->app->store, req->params[0]);
    if (rc == STORE_ENOTFOUND) {
        reply_not_found(req, "provider");
        return;
    }
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    reply_empty(req, 204);
    req->wake = ENGINE_PROVIDERS;
}
