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
#include <time.h>

#define CAMPAIGN_CACHE_LOCKS 16
#define ID_MAX 48

struct campaign_slot {
    uint64_t generation; /* 0: empty */
    char account_id[ID_MAX];
    char id[ID_MAX];
    char *body;
    size_t len, cap;
    uint64_t filling; /* a claim: generation being read by one caller; 0 none */
    char fill_account_id[ID_MAX];
    char fill_id[ID_MAX];
};

struct campaign_cache {
    uint64_t hits, misses; /* atomics */
    pthread_mutex_t locks[CAMPAIGN_CACHE_LOCKS];
    pthread_cond_t filled[CAMPAIGN_CACHE_LOCKS];
    struct campaign_slot slots[CAMPAIGN_CACHE_SLOTS];
};

struct campaign_cache *campaign_cache_new(void) {
    struct campaign_cache *cc = xcalloc(1, sizeof *cc);
    for (int i = 0; i < CAMPAIGN_CACHE_LOCKS; i++) {
        pthread_mutex_init(&cc->locks[i], NULL);
        pthread_cond_init(&cc->filled[i], NULL);
    }
    return cc;
}

void campaign_cache_free(struct campaign_cache *cc) {
    if (!cc)
        return;
    for (int i = 0; i < CAMPAIGN_CACHE_SLOTS; i++)
        free(cc->slots[i].body);
    for (int i = 0; i < CAMPAIGN_CACHE_LOCKS; i++) {
        pthread_mutex_destroy(&cc->locks[i]);
        pthread_cond_destroy(&cc->filled[i]);
    }
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

static int holds(const struct campaign_slot *s, uint64_t generation, const char *account_id,
                 const char *id) {
    return s->generation == generation && strcmp(s->account_id, account_id) == 0 &&
           strcmp(s->id, id) == 0;
}

static int claimed_by_another(const struct campaign_slot *s, uint64_t generation,
                              const char *account_id, const char *id) {
    return s->filling == generation && strcmp(s->fill_account_id, account_id) == 0 &&
           strcmp(s->fill_id, id) == 0;
}

static void deadline_after_ms(struct timespec *ts, long ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ms * 1000000L;
    ts->tv_sec += ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

/* The lookup of campaign_cache_get and campaign_cache_claim; with `claim`
 * a miss waits (bounded) for another caller's claim on the same entry and
 * generation, and otherwise takes the claim. */
static int lookup(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                  const char *id, char **body, size_t *len, int claim) {
    *body = NULL;
    if (!cc || !generation)
        return 0;
    size_t i = slot_index(account_id, id);
    struct campaign_slot *s = &cc->slots[i];
    char *copy = NULL;
    struct timespec deadline;
    int waited = 0;
    pthread_mutex_lock(lock_of(cc, i));
    for (;;) {
        if (holds(s, generation, account_id, id)) {
            copy = xmalloc(s->len + 1);
            memcpy(copy, s->body, s->len);
            copy[s->len] = '\0';
            *len = s->len;
            break;
        }
        if (!claim || strlen(account_id) >= ID_MAX || strlen(id) >= ID_MAX)
            break;
        if (!claimed_by_another(s, generation, account_id, id) || waited) {
            if (s->filling < generation) {
                s->filling = generation;
                STR_COPY(s->fill_account_id, account_id);
                STR_COPY(s->fill_id, id);
            }
            break;
        }
        if (!waited++)
            deadline_after_ms(&deadline, CAMPAIGN_CACHE_CLAIM_WAIT_MS);
        while (claimed_by_another(s, generation, account_id, id))
            if (pthread_cond_timedwait(&cc->filled[i % CAMPAIGN_CACHE_LOCKS], lock_of(cc, i),
                                       &deadline) != 0)
                break;
    }
    pthread_mutex_unlock(lock_of(cc, i));
    __atomic_fetch_add(copy ? &cc->hits : &cc->misses, 1, __ATOMIC_RELAXED);
    *body = copy;
    return copy != NULL;
}

int campaign_cache_get(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                       const char *id, char **body, size_t *len) {
    return lookup(cc, generation, account_id, id, body, len, 0);
}

int campaign_cache_claim(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                         const char *id, char **body, size_t *len) {
    return lookup(cc, generation, account_id, id, body, len, 1);
}

/* Ends a claim on the slot (its lock held), waking whoever waits on it. */
static void end_claim(struct campaign_cache *cc, size_t i, uint64_t generation,
                      const char *account_id, const char *id) {
    struct campaign_slot *s = &cc->slots[i];
    if (claimed_by_another(s, generation, account_id, id)) {
        s->filling = 0;
        pthread_cond_broadcast(&cc->filled[i % CAMPAIGN_CACHE_LOCKS]);
    }
}

void campaign_cache_release(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                            const char *id) {
    if (!cc || !generation)
        return;
    size_t i = slot_index(account_id, id);
    pthread_mutex_lock(lock_of(cc, i));
    end_claim(cc, i, generation, account_id, id);
    pthread_mutex_unlock(lock_of(cc, i));
}

void campaign_cache_counts(struct campaign_cache *cc, uint64_t *hits, uint64_t *misses) {
    *hits = cc ? __atomic_load_n(&cc->hits, __ATOMIC_RELAXED) : 0;
    *misses = cc ? __atomic_load_n(&cc->misses, __ATOMIC_RELAXED) : 0;
}

void campaign_cache_put(struct campaign_cache *cc, uint64_t generation, const char *account_id,
                        const char *id, const char *body, size_t len) {
    if (!cc || !generation || strlen(account_id) >= ID_MAX || strlen(id) >= ID_MAX)
        return;
    size_t i = slot_index(account_id, id);
    struct campaign_slot *s = &cc->slots[i];
    pthread_mutex_lock(lock_of(cc, i));
    if (len <= CAMPAIGN_CACHE_MAX_BODY) {
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
    }
    end_claim(cc, i, generation, account_id, id);
    pthread_mutex_unlock(lock_of(cc, i));
}
