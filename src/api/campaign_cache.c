/* campaign_cache.c - the table of rendered campaigns, see campaign_cache.h.
 * A slot is chosen by an FNV-1a hash of the account and campaign ids and
 * keeps both ids to compare, the generation and a body buffer it reuses
 * (grown, never past CAMPAIGN_CACHE_MAX_BODY). Slots share
 * CAMPAIGN_CACHE_LOCKS mutexes by index. */
#include "api/campaign_cache.h"
#include "util/alloc.h"
#include "util/strcopy.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CAMPAIGN_CACHE_LOCKS 16
#define ID_MAX 48

struct campaign_slot {
    uint64_t generation; /* 0: empty */
    char account_id[ID_MAX];
    char id[ID_MAX];
    char *body;
    size_t len, cap;
};

struct campaign_cache {
    uint64_t hits, misses; /* atomics */
    pthread_mutex_t locks[CAMPAIGN_CACHE_LOCKS];
    struct campaign_slot slots[CAMPAIGN_CACHE_SLOTS];
};

struct campaign_cache *campaign_cache_new(void) {
    struct campaign_cache *cc = xcalloc(1, sizeof *cc);
    for (int i = 0; i < CAMPAIGN_CACHE_LOCKS; i++)
        pthread_mutex_init(&cc->locks[i], NULL);
    return cc;
}

void campaign_cache_free(struct campaign_cache *cc) {
    if (!cc)
        return;
    for (int i = 0; i < CAMPAIGN_CACHE_SLOTS; i++)
        free(cc->slots[i].body);
    for (int i = 0; i < CAMPAIGN_CACHE_LOCKS; i++)
        pthread_mutex_destroy(&cc->locks[i]);
    free(cc);
}

static size_t slot_index(const char *account_id, const char *id) {
    uint64_t h = 14695981039346656037ull;
    for (const char *p = account_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull; /* a separator no id holds */
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (size_t)(h % CAMPAIGN_CACHE_SLOTS);
}

static pthread_mutex_t *lock_of(struct campaign_cache *cc, size_t index) {
    return &cc->locks[index % CAMPAIGN_CACHE_LOCKS];
}

int campaign_cache_get(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                       const char *id, char **body, size_t *len) {
    *body = NULL;
    if (!cc || !generation)
        return 0;
    size_t i = slot_index(account_id, id);
    struct campaign_slot *s = &cc->slots[i];
    char *copy = NULL;
    pthread_mutex_lock(lock_of(cc, i));
    if (s->generation == generation && strcmp(s->account_id, account_id) == 0 &&
        strcmp(s->id, id) == 0) {
        copy = xmalloc(s->len + 1);
        memcpy(copy, s->body, s->len);
        copy[s->len] = '\0';
        *len = s->len;
    }
    pthread_mutex_unlock(lock_of(cc, i));
    __atomic_fetch_add(copy ? &cc->hits : &cc->misses, 1, __ATOMIC_RELAXED);
    *body = copy;
    return copy != NULL;
}

void campaign_cache_counts(struct campaign_cache *cc, uint64_t *hits, uint64_t *misses) {
    *hits = cc ? __atomic_load_n(&cc->hits, __ATOMIC_RELAXED) : 0;
    *misses = cc ? __atomic_load_n(&cc->misses, __ATOMIC_RELAXED) : 0;
}

void campaign_cache_put(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                        const char *id, const char *body, size_t len) {
    if (!cc || !generation || len > CAMPAIGN_CACHE_MAX_BODY || strlen(account_id) >= ID_MAX ||
        strlen(id) >= ID_MAX)
        return;
    size_t i = slot_index(account_id, id);
    struct campaign_slot *s = &cc->slots[i];
    pthread_mutex_lock(lock_of(cc, i));
    if (s->cap < len) {
        free(s->body);
        s->body = xmalloc(len);
        s->cap = len;
    }
    memcpy(s->body, body, len);
    s->len = len;
    STR_COPY(s->account_id, account_id);
    STR_COPY(s->id, id);
    s->generation = generation;
    pthread_mutex_unlock(lock_of(cc, i));
}
