/* snapshot_gate_test.c - tests of api/snapshot_gate.c against a fake store
 * whose snapshot is a text the test changes ("commits") and whose check
 * can be made slow: equal texts keep the generation and a changed text
 * takes the next; a failed check answers 0 and the next answer starts a new
 * generation; under concurrency one check serves several callers, yet a
 * caller that committed before it asked never gets the generation it saw
 * before its commit (the check it waited for was sent after it arrived).
 * Parked callers (snapshot_gate_park) get the same guarantee on the gate's
 * own thread, share checks, and are all answered when parking stops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/snapshot_gate.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct fake_store {
    struct store base;
    pthread_mutex_t mu;
    uint64_t version; /* bumped by a "commit" */
    int fail;         /* the next checks fail */
    long check_us;    /* how long a check takes */
    uint64_t checks;
};

static int fake_snapshot(struct store *st, char *out, size_t cap) {
    struct fake_store *f = (struct fake_store *)st;
    pthread_mutex_lock(&f->mu);
    uint64_t v = f->version;
    int fail = f->fail;
    long us = f->check_us;
    f->checks++;
    pthread_mutex_unlock(&f->mu);
    if (us)
        usleep((useconds_t)us);
    if (fail)
        return STORE_EIO;
    snprintf(out, cap, "%llu:%llu:", (unsigned long long)v, (unsigned long long)v);
    return STORE_OK;
}

static const struct store_ops fake_ops = {.snapshot = fake_snapshot};

/* A fake store at version 100 whose checks take check_us. */
static void fake_init(struct fake_store *f, long check_us) {
    memset(f, 0, sizeof *f);
    f->check_us = check_us;
    f->base.ops = &fake_ops;
    f->version = 100;
    pthread_mutex_init(&f->mu, NULL);
}

static void commit(struct fake_store *f) {
    pthread_mutex_lock(&f->mu);
    f->version++;
    pthread_mutex_unlock(&f->mu);
}

static void test_generations_follow_the_snapshot(void **state) {
    (void)state;
    struct fake_store f;
    fake_init(&f, 0);
    struct snapshot_gate *g = snapshot_gate_new(&f.base);
    uint64_t g1 = snapshot_gate_generation(g);
    assert_true(g1 > 0);
    assert_int_equal(snapshot_gate_generation(g), g1); /* nothing committed */
    assert_int_equal(snapshot_gate_checks(g), 2);      /* each call asked */
    commit(&f);
    uint64_t g2 = snapshot_gate_generation(g);
    assert_true(g2 > g1);
    assert_int_equal(snapshot_gate_generation(g), g2);
    /* a failed check: 0, and the next answer is a new generation even
     * though the text did not change (what happened meanwhile is unknown) */
    f.fail = 1;
    assert_int_equal(snapshot_gate_generation(g), 0);
    f.fail = 0;
    uint64_t g3 = snapshot_gate_generation(g);
    assert_true(g3 > g2);
    assert_int_equal(snapshot_gate_generation(g), g3);
    assert_int_equal(snapshot_gate_checks(g), f.checks);
    snapshot_gate_free(g);
    snapshot_gate_free(NULL);
}

#define THREADS 8
#define ROUNDS 150

struct worker {
    struct fake_store *f;
    struct snapshot_gate *g;
    int stale; /* a generation from before the worker's own commit */
    int backwards;
};

static void *work(void *arg) {
    struct worker *w = arg;
    uint64_t last = 0;
    for (int i = 0; i < ROUNDS; i++) {
        uint64_t before = snapshot_gate_generation(w->g);
        if (before < last)
            w->backwards++;
        if (i % 3 == 0) {
            commit(w->f);
            uint64_t after = snapshot_gate_generation(w->g);
            if (after == before)
                w->stale++;
            before = after;
        }
        last = before;
    }
    return NULL;
}

static void test_shared_checks_are_never_older_than_the_caller(void **state) {
    (void)state;
    struct fake_store f;
    fake_init(&f, 300);
    struct snapshot_gate *g = snapshot_gate_new(&f.base);
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.f = &f, .g = g};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].stale, 0);
        assert_int_equal(w[i].backwards, 0);
    }
    /* every call returned, and callers shared checks: fewer than calls */
    uint64_t calls = THREADS * (ROUNDS + (ROUNDS + 2) / 3);
    uint64_t checks = snapshot_gate_checks(g);
    assert_int_equal(checks, f.checks);
    assert_true(checks < calls);
    snapshot_gate_free(g);
}

/* A parked caller: the generation it saw before its own commit, and what
 * the gate answered. */
struct parked_call {
    uint64_t before;
    uint64_t answer;
    int answered; /* times called back */
};

static pthread_mutex_t answers_mu = PTHREAD_MUTEX_INITIALIZER;
static int answers;

static void on_answer(void *arg, uint64_t generation) {
    struct parked_call *p = arg;
    pthread_mutex_lock(&answers_mu);
    p->answer = generation;
    p->answered++;
    answers++;
    pthread_mutex_unlock(&answers_mu);
}

static int answered_so_far(void) {
    pthread_mutex_lock(&answers_mu);
    int n = answers;
    pthread_mutex_unlock(&answers_mu);
    return n;
}

#define PARKED 400

static void test_parked_callers_share_checks_sent_after_they_parked(void **state) {
    (void)state;
    struct fake_store f;
    fake_init(&f, 300);
    struct snapshot_gate *g = snapshot_gate_new(&f.base);
    static struct parked_call calls[PARKED];
    memset(calls, 0, sizeof calls);
    answers = 0;
    for (int i = 0; i < PARKED; i++) {
        if (i % 40 == 0)
            calls[i].before = snapshot_gate_generation(g); /* then commits and parks */
        if (i % 40 == 0)
            commit(&f);
        assert_int_equal(snapshot_gate_park(g, on_answer, &calls[i]), 0);
        if (i % 7 == 0)
            usleep(50);
    }
    for (int waited = 0; answered_so_far() < PARKED && waited < 10000; waited++)
        usleep(1000);
    assert_int_equal(answered_so_far(), PARKED);
    for (int i = 0; i < PARKED; i++) {
        assert_int_equal(calls[i].answered, 1);
        assert_true(calls[i].answer > 0);
        if (i % 40 == 0) /* its commit came before it parked: a newer generation */
            assert_true(calls[i].answer > calls[i].before);
        if (i > 0) /* answered in checks that only move forward */
            assert_true(calls[i].answer >= calls[i - 1].answer);
    }
    /* callers parked during a check shared the next one */
    assert_true(f.checks < PARKED / 4);
    snapshot_gate_free(g);
}

static void test_stopping_answers_every_parked_caller(void **state) {
    (void)state;
    struct fake_store f;
    fake_init(&f, 2000);
    struct snapshot_gate *g = snapshot_gate_new(&f.base);
    static struct parked_call calls[50];
    memset(calls, 0, sizeof calls);
    answers = 0;
    for (int i = 0; i < 50; i++)
        assert_int_equal(snapshot_gate_park(g, on_answer, &calls[i]), 0);
    snapshot_gate_stop_parking(g); /* returns once all were answered */
    assert_int_equal(answered_so_far(), 50);
    for (int i = 0; i < 50; i++)
        assert_int_equal(calls[i].answered, 1);
    /* no more parking: the caller asks itself, and is never called back */
    struct parked_call late = {0};
    assert_int_equal(snapshot_gate_park(g, on_answer, &late), -1);
    snapshot_gate_stop_parking(g); /* again: nothing */
    assert_true(snapshot_gate_generation(g) > 0);
    assert_int_equal(late.answered, 0);
    snapshot_gate_free(g);
}

/* Keeps a CPU busy so that a thread that creates another is often
 * preempted between pthread_create and its next statement. */
static volatile int spinning;
static void *spin(void *arg) {
    (void)arg;
    while (spinning)
        ;
    return NULL;
}

/* The gate's thread takes callers from the start, however the new thread
 * and its creator are scheduled: a gate whose thread started before the
 * creator marked it parking used to end at once, and every GET parked on
 * it then waited forever (seen in the end-to-end suite; decision 47). */
static void test_a_new_gate_answers_its_first_parked_caller(void **state) {
    (void)state;
    pthread_t spinners[3];
    spinning = 1;
    for (int i = 0; i < 3; i++)
        pthread_create(&spinners[i], NULL, spin, NULL);
    struct fake_store f;
    fake_init(&f, 0);
    int lost = 0;
    for (int round = 0; round < 3000 && !lost; round++) {
        struct snapshot_gate *g = snapshot_gate_new(&f.base);
        struct parked_call call = {0};
        answers = 0;
        assert_int_equal(snapshot_gate_park(g, on_answer, &call), 0);
        for (int waited = 0; answered_so_far() < 1 && waited < 2000; waited++)
            usleep(1000);
        lost = answered_so_far() != 1;
        if (lost)
            fprintf(stderr, "round %d: the parked caller was never answered\n", round);
        else
            snapshot_gate_free(g); /* a lost one would be answered by its stop */
    }
    spinning = 0;
    for (int i = 0; i < 3; i++)
        pthread_join(spinners[i], NULL);
    assert_false(lost);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generations_follow_the_snapshot),
        cmocka_unit_test(test_shared_checks_are_never_older_than_the_caller),
        cmocka_unit_test(test_parked_callers_share_checks_sent_after_they_parked),
        cmocka_unit_test(test_stopping_answers_every_parked_caller),
        cmocka_unit_test(test_a_new_gate_answers_its_first_parked_caller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
