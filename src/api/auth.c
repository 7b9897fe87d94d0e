/* auth.c - bearer credentials, see auth.h; a key already checked is
 * answered from key_cache.c when the app has one. */
#include "api/auth.h"
#include "api/app.h"
#include "api/key_cache.h"
#include "api/router.h"
#include "util/crypto.h"
#include "util/ids.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *bearer(struct request *req) {
    const char *h = request_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

int auth_admin(struct request *req) {
    const char *token = bearer(req);
    const char *admin = req->app->cfg->admin_token;
    if (!admin) {
        reply_error(req, 404, "not_found", NULL, "the admin API is off (no admin token)");
        return -1;
    }
    if (!token || !crypto_str_equal(token, admin)) {
        reply_error(req, 401, "unauthenticated", NULL, "missing or wrong admin token");
        return -1;
    }
    req->is_admin = 1;
    snprintf(req->account_id, sizeof req->account_id, "%s", "admin");
    return 0;
}

/* The verdict on a key read from the store (rc: key_get's answer) for a
 * request whose key's SHA-256 is hash: 0 with req->account_id set, or -1
 * when it answered (401, or the store's error). */
static int key_verdict(struct request *req, int rc, const struct api_key *k, const char *hash) {
    if (rc == STORE_ENOTFOUND || (rc == STORE_OK && k->revoked_at)) {
        reply_error(req, 401, "unauthenticated", NULL, "missing or unknown API key");
        return -1;
    }
    if (rc) {
        reply_store_error(req, rc);
        return -1;
    }
    if (!crypto_equal(hash, k->hash, 64)) {
        reply_error(req, 401, "unauthenticated", NULL, "missing or unknown API key");
        return -1;
    }
    snprintf(req->account_id, sizeof req->account_id, "%s", k->account_id);
    return 0;
}

/* The store's answer for a key whose SHA-256 is hash: 0 and the account
 * filled, or -1 when it answered. A live key goes into the cache (when
 * there is one) unless a revocation ran meanwhile (key_cache.h). */
static int key_from_store(struct request *req, const char *token, const char *hash) {
    struct key_cache *cache = req->app->keys;
    uint64_t ticket = cache ? key_cache_begin(cache) : 0;
    char prefix[AUTH_PREFIX_LEN + 1];
    memcpy(prefix, token, AUTH_PREFIX_LEN);
    prefix[AUTH_PREFIX_LEN] = '\0';
    struct api_key k;
    int rc = req->app->store->ops->key_get(req->app->store, prefix, &k);
    if (key_verdict(req, rc, &k, hash) != 0)
        return -1;
    if (cache)
        key_cache_put(cache, ticket, hash, prefix, k.account_id);
    return 0;
}

int auth_check(struct request *req) {
    if (req->route->auth == AUTH_NONE || req->route->auth == AUTH_PROVIDER)
        return 0;
    if (req->route->auth == AUTH_ADMIN)
        return auth_admin(req);
    const char *token = bearer(req);
    if (!token || strlen(token) != AUTH_KEY_LEN) {
        reply_error(req, 401, "unauthenticated", NULL, "missing or unknown API key");
        return -1;
    }
    char hash[65];
    crypto_sha256_hex(token, AUTH_KEY_LEN, hash);
    if (req->app->keys && key_cache_get(req->app->keys, hash, req->account_id))
        return 0;
    if (!req->app->keys && (req->route->flags & ROUTE_KEY_WITH_OBJECT)) {
        /* the handler reads the key with its object (auth.h) */
        memcpy(req->key_prefix, token, AUTH_PREFIX_LEN);
        req->key_prefix[AUTH_PREFIX_LEN] = '\0';
        memcpy(req->key_hash, hash, sizeof req->key_hash);
        req->key_deferred = 1;
        return 0;
    }
    return key_from_store(req, token, hash);
}

int auth_finish_deferred(struct request *req, int rc, const struct api_key *k) {
    req->key_deferred = 0;
    return key_verdict(req, rc, k, req->key_hash);
}

void auth_after_request(struct request *req) {
    if (req->revoked_key[0] && req->app->keys)
        key_cache_forget(req->app->keys, req->revoked_key);
}

int auth_issue_key(struct app *app, const char *account_id, int64_t now, char *key, char *prefix) {
    for (int attempt = 0; attempt < 5; attempt++) {
        memcpy(key, "ck_", 3);
        ids_random_base62(key + 3, AUTH_KEY_LEN - 3);
        struct api_key k = {.created_at = now};
        memcpy(k.prefix, key, AUTH_PREFIX_LEN);
        k.prefix[AUTH_PREFIX_LEN] = '\0';
        snprintf(k.account_id, sizeof k.account_id, "%s", account_id);
        crypto_sha256_hex(key, AUTH_KEY_LEN, k.hash);
        int rc = app->store->ops->key_insert(app->store, &k);
        if (rc == STORE_ECONFLICT)
            continue; /* prefix taken (1 in 62^9): draw again */
        if (rc == STORE_OK)
            memcpy(prefix, k.prefix, AUTH_PREFIX_LEN + 1);
        return rc;
    }
    return STORE_ECONFLICT;
}
