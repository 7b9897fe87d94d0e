/* key_cache.h - API keys this process has already checked, so a request
 * with a known key needs no store read (issue 19: the key lookup was 14 %
 * of a GET). Keyed by the SHA-256 of the whole key: the secret itself is
 * never kept. A fixed table (KEY_CACHE_SLOTS entries, a new key takes the
 * slot of its hash), so memory is bounded whatever clients send; only keys
 * the store found live are cached, never failures.
 *
 * Only for a store one process owns (SQLite, held by an exclusive flock):
 * every revocation then passes through this process, which calls
 * key_cache_forget before answering 204, so a revoked key stops working at
 * once. With a shared store (PostgreSQL, several nodes) another node may
 * revoke a key, and the contract says "revokes it at once": main.c makes
 * no cache there and every request reads the key.
 *
 * A check that read the store while a revocation ran must not put the old
 * answer back: key_cache_begin takes a ticket (the count of revocations so
 * far) and key_cache_put drops the entry when a revocation happened since.
 * Thread-safe (one mutex; held for a table probe, never across I/O). */
#ifndef CAMPAIGND_KEY_CACHE_H
#define CAMPAIGND_KEY_CACHE_H

#include <stdint.h>

#define KEY_CACHE_SLOTS 1024

struct key_cache;

struct key_cache *key_cache_new(void);
void key_cache_free(struct key_cache *kc);

/* 1 and account_id (48 bytes) filled when the key of this SHA-256 (64 hex
 * characters, as the store keeps it) is cached live; 0 otherwise. */
int key_cache_get(struct key_cache *kc, const char *sha_hex, char account_id[48]);
/* The ticket to pass to key_cache_put, taken before the store read. */
uint64_t key_cache_begin(struct key_cache *kc);
/* Caches a key the store found live (prefix: its 12-character public
 * prefix), unless a key was revoked since ticket was taken. */
void key_cache_put(struct key_cache *kc, uint64_t ticket, const char *sha_hex, const char *prefix,
                   const char *account_id);
/* Forgets the key of this prefix; call after its revocation committed. */
void key_cache_forget(struct key_cache *kc, const char *prefix);

#endif
