/* key_cache.c - the table of checked API keys, see key_cache.h. A slot is
 * chosen by the first hex digits of the key's SHA-256 (uniform), holds the
 * full digest to compare, the public prefix (for key_cache_forget) and the
 * account. Forgetting scans the table: revocations are rare. */
#include "api/key_cache.h"
#include "util/alloc.h"
#include "util/crypto.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct key_slot {
    int used;
    char sha[64];
    char prefix[16];
    char account_id[48];
};

struct key_cache {
    pthread_mutex_t mu;
    uint64_t revocations; /* key_cache_forget calls so far: the tickets */
    struct key_slot slots[KEY_CACHE_SLOTS];
};

struct key_cache *key_cache_new(void) {
    struct key_cache *kc = xcalloc(1, sizeof *kc);
    pthread_mutex_init(&kc->mu, NULL);
    return kc;
}

void key_cache_free(struct key_cache *kc) {
    if (!kc)
        return;
    pthread_mutex_destroy(&kc->mu);
    free(kc);
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return 0;
}

static struct key_slot *slot_of(struct key_cache *kc, const char *sha_hex) {
    unsigned h = 0;
    for (int i = 0; i < 4; i++)
        h = h * 16 + (unsigned)hex_digit(sha_hex[i]);
    return &kc->slots[h % KEY_CACHE_SLOTS];
}

int key_cache_get(struct key_cache *kc, const char *sha_hex, char account_id[48]) {
    pthread_mutex_lock(&kc->mu);
    struct key_slot *s = slot_of(kc, sha_hex);
    int hit = s->used && crypto_equal(s->sha, sha_hex, sizeof s->sha);
    if (hit)
        memcpy(account_id, s->account_id, sizeof s->account_id);
    pthread_mutex_unlock(&kc->mu);
    return hit;
}

uint64_t key_cache_begin(struct key_cache *kc) {
    pthread_mutex_lock(&kc->mu);
    uint64_t t = kc->revocations;
    pthread_mutex_unlock(&kc->mu);
    return t;
}

void key_cache_put(struct key_cache *kc, uint64_t ticket, const char *sha_hex, const char *prefix,
                   const char *account_id) {
    pthread_mutex_lock(&kc->mu);
    if (kc->revocations == ticket) {
        struct key_slot *s = slot_of(kc, sha_hex);
        s->used = 1;
        memcpy(s->sha, sha_hex, sizeof s->sha);
        snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
        snprintf(s->account_id, sizeof s->account_id, "%s", account_id);
    }
    pthread_mutex_unlock(&kc->mu);
}

void key_cache_forget(struct key_cache *kc, const char *prefix) {
    pthread_mutex_lock(&kc->mu);
    kc->revocations++;
    for (size_t i = 0; i < KEY_CACHE_SLOTS; i++)
        if (kc->slots[i].used && strcmp(kc->slots[i].prefix, prefix) == 0)
            memset(&kc->slots[i], 0, sizeof kc->slots[i]);
    pthread_mutex_unlock(&kc->mu);
}
