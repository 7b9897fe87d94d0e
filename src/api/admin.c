/* admin.c - operator endpoints under /v1/admin/ (admin token): accounts and
 * their API keys. Keys are shown once, at creation. */
#include "api/app.h"
#include "api/auth.h"
#include "api/handlers.h"
#include "domain/campaign.h"
#include "util/clock.h"
#include "util/ids.h"

#include <string.h>

void admin_create_account(struct request *req) {
    static const char *const known[] = {"name", NULL};
    json_t *name = json_object_get(req->json, "name");
    if (!name || !json_is_string(name) || utf8_length(json_string_value(name)) < 1 ||
        utf8_length(json_string_value(name)) > 200) {
        reply_error(req, 422, "invalid_argument", "name",
                    "name must be a string of 1..200 characters");
        return;
    }
    if (reply_if_unknown_field(req, known))
        return;
    struct store *st = req->app->store;
    struct account a = {.name = (char *)json_string_value(name), .created_at = clock_now_ms()};
    ids_new("acct_", a.id);
    int rc = st->ops->account_insert(st, &a);
    char api_key[AUTH_KEY_LEN + 1], prefix[AUTH_PREFIX_LEN + 1];
    if (rc == 0)
        rc = auth_issue_key(req->app, a.id, a.created_at, api_key, prefix);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    char ts[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(a.created_at, ts);
    reply_json(req, 201,
               json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", a.id, "name", a.name, "api_key",
                         api_key, "key_prefix", prefix, "created_at", ts));
}

void admin_create_key(struct request *req) {
    if (reply_if_any_field(req))
        return;
    struct store *st = req->app->store;
    const char *account = req->params[0];
    int rc = st->ops->account_exists(st, account);
    if (rc == STORE_ENOTFOUND) {
        reply_not_found(req, "account");
        return;
    }
    char api_key[AUTH_KEY_LEN + 1], prefix[AUTH_PREFIX_LEN + 1];
    if (rc == 0)
        rc = auth_issue_key(req->app, account, clock_now_ms(), api_key, prefix);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    reply_json(req, 201,
               json_pack("{s:s, s:s, s:s}", "account_id", account, "api_key", api_key, "key_prefix",
                         prefix));
}

void admin_revoke_key(struct request *req) {
    struct store *st = req->app->store;
    int rc = st->ops->key_revoke(st, req->params[0], clock_now_ms());
    /* the cache forgets it once the revocation committed (server.c) */
    snprintf(req->revoked_key, sizeof req->revoked_key, "%s", req->params[0]);
    if (reply_lookup_failed(req, rc, "key"))
        return;
    reply_empty(req, 204);
}
