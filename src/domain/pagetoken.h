/* pagetoken.h - opaque, tamper-evident list cursors.
 *
 * A token carries the keyset cursor (the store's int64 `seq` of the last row
 * served) and is bound to the account, the list and its filters:
 *   token = base64url(payload) "." base64url(HMAC-SHA256(secret, payload))
 *   payload = "1|" len ":" account "|" len ":" list "|" len ":" filters "|" cursor
 * Decoding checks the MAC in constant time, then that account, list and
 * filters are the ones of the request. Pure, thread-safe. */
#ifndef CAMPAIGND_PAGETOKEN_H
#define CAMPAIGND_PAGETOKEN_H

#include <stddef.h>
#include <stdint.h>

/* Returns a new token string (caller frees). filters is a canonical string
 * of the list's filters (e.g. "status=running&channel="). */
char *pagetoken_encode(const void *secret, size_t secret_len, const char *account, const char *list,
                       const char *filters, int64_t cursor);
/* 0 and *cursor set when the token is genuine and bound to the same
 * account, list and filters; -1 otherwise. */
int pagetoken_decode(const void *secret, size_t secret_len, const char *token, const char *account,
                     const char *list, const char *filters, int64_t *cursor);

#endif
