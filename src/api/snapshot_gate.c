/* snapshot_gate.c - see snapshot_gate.h. `sent` counts checks sent,
 * `done` the last one answered; a caller needs a check numbered after the
 * `sent` it found on arrival. With none in flight it sends that check
 * itself on its own store connection, outside the mutex; otherwise it
 * waits on the condition variable, and when the check in flight returns
 * one of the waiters sends the next. Parked callers are a list the parking
 * thread (answer_parked) swaps out whole: it then asks for a generation
 * like any caller, on its own store connection, and answers the batch. */
#include "api/snapshot_gate.h"
#include "store/store.h"
#include "util/alloc.h"

#include <pthread.h>
#include <string.h>

#define SNAPSHOT_MAX 1024 /* a longer text (many transactions in flight) is not kept */

/* A caller waiting without a thread (snapshot_gate_park). */
struct parked {
    snapshot_gate_answer fn;
    void *arg;
    struct parked *next;
};

struct snapshot_gate {
    struct store *st;
    pthread_mutex_t mu;
    pthread_cond_t answered;
    uint64_t sent, done; /* checks sent; the number of the last one answered */
    int busy;            /* a check is in flight */
    uint64_t generation; /* of the last answer; 0 when it failed */
    uint64_t counter;    /* distinct snapshots seen */
    char last[SNAPSHOT_MAX];
    /* parked callers and the thread that answers them */
    pthread_t parker;
    pthread_cond_t arrived;
    struct parked *parked; /* last parked first */
    int parking;           /* the thread runs and takes callers */
};

static void *answer_parked(void *arg);

struct snapshot_gate *snapshot_gate_new(struct store *st) {
    struct snapshot_gate *g = xcalloc(1, sizeof *g);
    g->st = st;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->answered, NULL);
    pthread_cond_init(&g->arrived, NULL);
    /* marked before the thread starts: a thread that ran before the mark
     * would find parking off and end at once, leaving every caller parked
     * later unanswered (test_a_new_gate_answers_its_first_parked_caller) */
    g->parking = 1;
    if (pthread_create(&g->parker, NULL, answer_parked, g) != 0)
        g->parking = 0;
    return g;
}

void snapshot_gate_stop_parking(struct snapshot_gate *g) {
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    int was = g->parking;
    g->parking = 0;
    pthread_cond_signal(&g->arrived);
    pthread_mutex_unlock(&g->mu);
    if (was)
        pthread_join(g->parker, NULL);
}

void snapshot_gate_free(struct snapshot_gate *g) {
    if (!g)
        return;
    snapshot_gate_stop_parking(g);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->arrived);
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

/* The mutex held on entry and on return. */
static uint64_t generation_locked(struct snapshot_gate *g) {
    uint64_t need = g->sent + 1; /* a check not sent yet when this call began */
    while (g->done < need) {
        if (!g->busy)
            check(g, ++g->sent);
        else
            pthread_cond_wait(&g->answered, &g->mu);
    }
    return g->generation;
}

uint64_t snapshot_gate_generation(struct snapshot_gate *g) {
    pthread_mutex_lock(&g->mu);
    uint64_t generation = generation_locked(g);
    pthread_mutex_unlock(&g->mu);
    return generation;
}

int snapshot_gate_park(struct snapshot_gate *g, snapshot_gate_answer fn, void *arg) {
    struct parked *p = xcalloc(1, sizeof *p);
    p->fn = fn;
    p->arg = arg;
    pthread_mutex_lock(&g->mu);
    int taken = g->parking;
    if (taken) {
        p->next = g->parked;
        g->parked = p;
        pthread_cond_signal(&g->arrived);
    }
    pthread_mutex_unlock(&g->mu);
    if (!taken)
        free(p);
    return taken ? 0 : -1;
}

/* The parking thread: takes every caller parked so far, gets a generation
 * checked after they all arrived, and answers them; again until stopped
 * with none left. */
static void *answer_parked(void *arg) {
    struct snapshot_gate *g = arg;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (!g->parked && g->parking)
            pthread_cond_wait(&g->arrived, &g->mu);
        struct parked *batch = g->parked;
        g->parked = NULL;
        if (!batch)
            break; /* stopped, and nobody waits */
        uint64_t generation = generation_locked(g);
        pthread_mutex_unlock(&g->mu);
        while (batch) {
            struct parked *next = batch->next;
            batch->fn(batch->arg, generation);
            free(batch);
            batch = next;
        }
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

uint64_t snapshot_gate_checks(struct snapshot_gate *g) {
    pthread_mutex_lock(&g->mu);
    uint64_t n = g->sent;
    pthread_mutex_unlock(&g->mu);
    return n;
}
