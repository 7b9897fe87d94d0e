/* snapshot_gate.c - see snapshot_gate.h. `sent` counts checks sent,
 * `done` the last one answered; a caller needs a check numbered after the
 * `sent` it found on arrival. With none in flight it sends that check
 * itself on its own store connection, outside the mutex; otherwise it
 * waits on the condition variable, and when the check in flight returns
 * one of the waiters sends the next. */
#include "api/snapshot_gate.h"
#include "store/store.h"
#include "util/alloc.h"

#include <pthread.h>
#include <string.h>

#define SNAPSHOT_MAX 1024 /* a longer text (many transactions in flight) is not kept */

struct snapshot_gate {
    struct store *st;
    pthread_mutex_t mu;
    pthread_cond_t answered;
    uint64_t sent, done; /* checks sent; the number of the last one answered */
    int busy;            /* a check is in flight */
    uint64_t generation; /* of the last answer; 0 when it failed */
    uint64_t counter;    /* distinct snapshots seen */
    char last[SNAPSHOT_MAX];
};

struct snapshot_gate *snapshot_gate_new(struct store *st) {
    struct snapshot_gate *g = xcalloc(1, sizeof *g);
    g->st = st;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->answered, NULL);
    return g;
}

void snapshot_gate_free(struct snapshot_gate *g) {
    if (!g)
        return;
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->answered);
    free(g);
}

/* Sends check number `mine` (the mutex held on entry and on return). */
static void check(struct snapshot_gate *g, uint64_t mine) {
    char now[SNAPSHOT_MAX];
    g->busy = 1;
    pthread_mutex_unlock(&g->mu);
    int rc = g->st->ops->snapshot(g->st, now, sizeof now);
    pthread_mutex_lock(&g->mu);
    g->busy = 0;
    g->done = mine;
    if (rc != 0) {
        g->generation = 0;
        g->last[0] = '\0'; /* the next answer starts a new number */
    } else {
        if (!g->last[0] || strcmp(now, g->last) != 0) {
            g->counter++;
            memcpy(g->last, now, strlen(now) + 1);
        }
        g->generation = g->counter;
    }
    pthread_cond_broadcast(&g->answered);
}

uint64_t snapshot_gate_generation(struct snapshot_gate *g) {
    pthread_mutex_lock(&g->mu);
    uint64_t need = g->sent + 1; /* a check not sent yet when this call began */
    while (g->done < need) {
        if (!g->busy)
            check(g, ++g->sent);
        else
            pthread_cond_wait(&g->answered, &g->mu);
    }
    uint64_t generation = g->generation;
    pthread_mutex_unlock(&g->mu);
    return generation;
}

uint64_t snapshot_gate_checks(struct snapshot_gate *g) {
    pthread_mutex_lock(&g->mu);
    uint64_t n = g->sent;
    pthread_mutex_unlock(&g->mu);
    return n;
}
