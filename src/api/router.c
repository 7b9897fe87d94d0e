/* router.c - the routing table and its matcher, see router.h. Matching walks
 * the table segment by segment; with a few dozen routes a linear walk costs
 * less than one syscall of the request. */
#include "api/router.h"
#include "api/handlers.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct route routes[] = {
    {"GET", "/healthz", ops_healthz, AUTH_NONE, BODY_NONE, 0},
    {"GET", "/readyz", ops_readyz, AUTH_NONE, BODY_NONE, 0},
    {"GET", "/metrics", ops_metrics, AUTH_NONE, BODY_NONE, 0},
    {"GET", "/dashboard", dashboard_redirect, AUTH_NONE, BODY_NONE, 0},
    {"GET", "/dashboard/", dashboard_index, AUTH_NONE, BODY_NONE, 0},
    {"GET", "/dashboard/{file}", dashboard_file, AUTH_NONE, BODY_NONE, 0},

    {"POST", "/v1/admin/accounts", admin_create_account, AUTH_ADMIN, BODY_JSON,
     ROUTE_SECRET_ANSWER | ROUTE_BODY_REQUIRED},
    {"POST", "/v1/admin/accounts/{id}/keys", admin_create_key, AUTH_ADMIN, BODY_JSON,
     ROUTE_SECRET_ANSWER},
    {"DELETE", "/v1/admin/keys/{prefix}", admin_revoke_key, AUTH_ADMIN, BODY_NONE, 0},
    {"GET", "/v1/admin/carriers", admin_list_carriers, AUTH_ADMIN, BODY_NONE, 0},
    {"GET", "/v1/admin/carriers/{name}", admin_get_carrier, AUTH_ADMIN, BODY_NONE, 0},
    {"PUT", "/v1/admin/carriers/{name}", admin_put_carrier, AUTH_ADMIN, BODY_JSON,
     ROUTE_BODY_REQUIRED},
    {"DELETE", "/v1/admin/carriers/{name}", admin_delete_carrier, AUTH_ADMIN, BODY_NONE, 0},
    {"GET", "/v1/admin/providers", admin_list_providers, AUTH_ADMIN, BODY_NONE, 0},
    {"GET", "/v1/admin/providers/{name}", admin_get_provider, AUTH_ADMIN, BODY_NONE, 0},
    {"PUT", "/v1/admin/providers/{name}", admin_put_provider, AUTH_ADMIN, BODY_JSON,
     ROUTE_BODY_REQUIRED},
    {"DELETE", "/v1/admin/providers/{name}", admin_delete_provider, AUTH_ADMIN, BODY_NONE, 0},

    {"POST", "/v1/campaigns", campaigns_create, AUTH_ACCOUNT, BODY_JSON, ROUTE_BODY_REQUIRED},
    {"GET", "/v1/campaigns", campaigns_list, AUTH_ACCOUNT, BODY_NONE, 0},
    {"GET", "/v1/campaigns/{id}", campaigns_get, AUTH_ACCOUNT, BODY_NONE,
     ROUTE_KEY_WITH_OBJECT | ROUTE_SNAPSHOT},
    {"PATCH", "/v1/campaigns/{id}", campaigns_patch, AUTH_ACCOUNT, BODY_JSON, ROUTE_BODY_REQUIRED},
    {"POST", "/v1/campaigns/{id}/start", campaigns_start, AUTH_ACCOUNT, BODY_JSON, 0},
    {"POST", "/v1/campaigns/{id}/pause", campaigns_pause, AUTH_ACCOUNT, BODY_JSON, 0},
    {"POST", "/v1/campaigns/{id}/resume", campaigns_resume, AUTH_ACCOUNT, BODY_JSON, 0},
    {"POST", "/v1/campaigns/{id}/cancel", campaigns_cancel, AUTH_ACCOUNT, BODY_JSON, 0},
    {"POST", "/v1/campaigns/{id}/recipients", recipients_upload, AUTH_ACCOUNT, BODY_JSON_OR_CSV,
     ROUTE_LATE_EFFECTS},
    {"GET", "/v1/campaigns/{id}/recipients", recipients_list, AUTH_ACCOUNT, BODY_NONE, 0},
    /* before {rid}: the literal segment wins */
    {"GET", "/v1/campaigns/{id}/recipients/export", recipients_export, AUTH_ACCOUNT, BODY_NONE, 0},
    {"GET", "/v1/campaigns/{id}/recipients/{rid}", recipients_get, AUTH_ACCOUNT, BODY_NONE, 0},
    {"GET", "/v1/calls", calls_list, AUTH_ACCOUNT, BODY_NONE, 0},
    {"GET", "/v1/calls/{id}", calls_get, AUTH_ACCOUNT, BODY_NONE, 0},
    {"GET", "/v1/messages", messages_list, AUTH_ACCOUNT, BODY_NONE, 0},
    {"GET", "/v1/messages/{id}", messages_get, AUTH_ACCOUNT, BODY_NONE, 0},
    {"POST", "/v1/opt-outs", optouts_create, AUTH_ACCOUNT, BODY_JSON, ROUTE_BODY_REQUIRED},
    {"GET", "/v1/opt-outs", optouts_list, AUTH_ACCOUNT, BODY_NONE, 0},
    {"DELETE", "/v1/opt-outs/{id}", optouts_delete, AUTH_ACCOUNT, BODY_NONE, 0},
    {"GET", "/v1/events", events_list, AUTH_ACCOUNT, BODY_NONE, 0},
    {"POST", "/v1/events/{id}/redeliver", events_redeliver, AUTH_ACCOUNT, BODY_JSON, 0},
    {"GET", "/v1/webhook-secret", webhook_secret_get, AUTH_ACCOUNT, BODY_NONE, 0},
    {"POST", "/v1/webhook-secret/rotate", webhook_secret_rotate, AUTH_ACCOUNT, BODY_JSON,
     ROUTE_SECRET_ANSWER},
    {"POST", "/v1/providers/{name}/calls/{call_id}", providers_call_report, AUTH_PROVIDER, BODY_RAW,
     ROUTE_LATE_EFFECTS},
    {"POST", "/v1/providers/{name}/messages/{message_id}", providers_message_report, AUTH_PROVIDER,
     BODY_RAW, ROUTE_LATE_EFFECTS},
    {"GET", "/v1/providers/{name}/webhook", providers_webhook, AUTH_PROVIDER, BODY_NONE, 0},
    {"POST", "/v1/providers/{name}/webhook", providers_webhook, AUTH_PROVIDER, BODY_RAW,
     ROUTE_LATE_EFFECTS},
    {"POST", "/v1/providers/sim/inbound", providers_sim_inbound, AUTH_ADMIN, BODY_JSON,
     ROUTE_BODY_REQUIRED},
};

#define NROUTES (sizeof routes / sizeof routes[0])

const struct route *router_routes(size_t *count) {
    *count = NROUTES;
    return routes;
}

/* Matches one pattern against a path; fills params when out != NULL. */
static int match_pattern(const char *pattern, const char *path, char *scratch,
                         const char **params) {
    const char *p = pattern, *u = path;
    int np = 0;
    char *w = scratch;
    while (*p && *u) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *seg_end = strchr(u, '/');
            size_t n = seg_end ? (size_t)(seg_end - u) : strlen(u);
            if (n == 0 || np >= REQUEST_MAX_PARAMS)
                return 0;
            if (params) {
                memcpy(w, u, n);
                w[n] = '\0';
                params[np] = w;
                w += n + 1;
            }
            np++;
            u += n;
            p = close + 1;
        } else {
            if (*p != *u)
                return 0;
            p++;
            u++;
        }
    }
    return *p == '\0' && *u == '\0';
}

enum route_match router_match(struct request *req) {
    size_t len = strlen(req->url);
    if (!req->path_copy)
        req->path_copy = xmalloc(len + 1);
    int path_known = 0;
    req->allow[0] = '\0';
    for (size_t i = 0; i < NROUTES; i++) {
        if (!match_pattern(routes[i].pattern, req->url, req->path_copy, NULL))
            continue;
        path_known = 1;
        if (strcmp(routes[i].method, req->method) == 0) {
            match_pattern(routes[i].pattern, req->url, req->path_copy, req->params);
            req->route = &routes[i];
            req->route_index = (int)i;
            return ROUTE_FOUND;
        }
        size_t used = strlen(req->allow);
        if (!strstr(req->allow, routes[i].method))
            snprintf(req->allow + used, sizeof req->allow - used, "%s%s", used ? ", " : "",
                     routes[i].method);
    }
    return path_known ? ROUTE_BAD_METHOD : ROUTE_NO_PATH;
}
