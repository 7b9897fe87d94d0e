/* auth.h - bearer authentication. API keys: "ck_" + 43 random base62
 * characters (>= 32 bytes of OS randomness); the first 12 characters are
 * the key's public prefix; the store keeps only the SHA-256 of the key and
 * compares it in constant time. The admin token comes from configuration.
 * A key found live is remembered by its SHA-256 in app->keys (key_cache.h,
 * only when one process owns the store) until it is revoked.
 *
 * Deferred keys: with no key cache (a shared store) a route flagged
 * ROUTE_KEY_WITH_OBJECT does not read its key in auth_check; the key's
 * prefix and SHA-256 wait in the request (req->key_deferred) and its
 * handler reads the key together with its object in one store read
 * (store_ops.campaign_get_with_key), then calls auth_finish_deferred before
 * it answers anything of the object: one round trip to PostgreSQL a
 * request instead of two. Thread-safe. */
#ifndef CAMPAIGND_AUTH_H
#define CAMPAIGND_AUTH_H

#include "api/request.h"
#include "store/store.h"

#define AUTH_KEY_LEN 46 /* "ck_" + 43 */
#define AUTH_PREFIX_LEN 12

/* Checks the request's credentials for its route; on failure answers (401,
 * or 404 for the admin API when no admin token is configured) and returns
 * -1. On success sets req->account_id or req->is_admin. */
int auth_check(struct request *req);
/* The check of a deferred key (req->key_deferred), on the key the store
 * read (rc: STORE_OK, STORE_ENOTFOUND or an error) with the object: 0 with
 * req->account_id set, or -1 when it answered (401, or the store's error),
 * as auth_check would have. */
int auth_finish_deferred(struct request *req, int rc, const struct api_key *k);
/* After the request's transaction ended: a key it revoked
 * (req->revoked_key) leaves the key cache, so it fails from now on. */
void auth_after_request(struct request *req);
/* The admin token alone, whatever the route says (for AUTH_PROVIDER
 * handlers of sim providers): answers and returns -1 when it is wrong. */
int auth_admin(struct request *req);
/* Makes a new key for account_id and stores it: key receives the full key
 * (AUTH_KEY_LEN + 1 bytes), prefix its first 12 characters. 0 or STORE_E*. */
int auth_issue_key(struct app *app, const char *account_id, int64_t now, char *key, char *prefix);

#endif
