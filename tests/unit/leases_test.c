/* leases_test.c - leases on attempts in flight against the SQLite store:
 * a claim leases its attempts to the claiming node; reconciliation
 * (in_flight) takes over a node's own attempts (at start) and another's
 * only once its lease ran out, reports the others' live ones untaken at
 * start; renewal keeps a live node's attempts its own; an end applied twice
 * and a give-back applied twice change nothing the second time (guarded
 * moves), and the counters stay consistent throughout.
 * Shared pacing (claims carrying the lane's limits, as nodes sharing a
 * PostgreSQL store send them): two nodes' claims together never exceed the
 * burst, the rate or max_concurrent; a stored carrier's limits win over the
 * request's; an end frees its slot (in flight counted from the rows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"
#include "store_fixture.h"
#include "store_objects.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1000000
#define N 4

struct fx {
    struct store_fixture *sf; /* the store, on SQLite or PostgreSQL */
    struct store *st;
    char account[48], campaign[48];
};

static void fx_open(struct fx *f) {
    memset(f, 0, sizeof *f);
    f->sf = store_fixture_open();
    f->st = f->sf->st;
    store_objects_voice_running(f->st, "leases", T0, N, "default-voice", f->account, f->campaign,
                                NULL);
}

static void fx_close(struct fx *f) {
    store_fixture_close(f->sf);
}

static struct counters counters(struct fx *f) {
    struct campaign c;
    assert_int_equal(f->st->ops->campaign_get(f->st, f->account, f->campaign, &c), 0);
    struct counters k = c.counters;
    campaign_clear(&c);
    assert_true(counters_consistent(&k));
    return k;
}

/* Claims up to want; pace (NULL = none) carries the lane's limits in and
 * its shared state out. */
static size_t claim_paced(struct fx *f, const char *node, int64_t now, int64_t lease_until,
                          size_t want, struct pacer *pace, struct attempt *out) {
    struct engine_campaign *list = NULL;
    size_t nc = 0;
    assert_int_equal(f->st->ops->engine_campaigns(f->st, &list, &nc), 0);
    assert_int_equal(nc, 1);
    struct claim_request req = {.lane = "default-voice",
                                .campaign = &list[0],
                                .from = "+14155550100",
                                .provider = "sim",
                                .node = node,
                                .lease_until = lease_until,
                                .want = want};
    if (pace)
        req.pace = *pace;
    size_t got = 0;
    assert_int_equal(f->st->ops->claim(f->st, &req, 1, now, out, &got), 0);
    assert_true(req.want <= want);
    if (pace)
        *pace = req.pace;
    for (size_t i = 0; i < nc; i++)
        engine_campaign_clear(&list[i]);
    free(list);
    return got;
}

static size_t claim(struct fx *f, const char *node, int64_t now, int64_t lease_until,
                    struct attempt *out) {
    return claim_paced(f, node, now, lease_until, N, NULL, out);
}

/* A completed call's end, answered at T0 + 50. */
static struct attempt_end completed_end(const char *call_id, int64_t ended_at) {
    struct attempt_end e = {.channel = CHANNEL_VOICE,
                            .status = CALL_COMPLETED,
                            .answered_at = T0 + 50,
                            .ended_at = ended_at};
    snprintf(e.call_id, sizeof e.call_id, "%s", call_id);
    return e;
}

/* in_flight as node at now; returns how many came back and how many taken. */
static size_t take(struct fx *f, const char *node, int64_t now, int64_t until, int with_own,
                   size_t *taken) {
    struct attempt *list = NULL;
    size_t n = 0;
    assert_int_equal(f->st->ops->in_flight(f->st, node, now, until, with_own, &list, &n), 0);
    *taken = 0;
    for (size_t i = 0; i < n; i++) {
        *taken += list[i].taken != 0;
        free(list[i].text);
    }
    free(list);
    return n;
}

static void test_leases(void **state) {
    (void)state;
    struct fx f;
    fx_open(&f);
    struct attempt a[N];
    int64_t L = T0 + 30000;
    assert_int_equal(claim(&f, "node_a", T0 + 10, L, a), N);
    assert_int_equal(counters(&f).dispatched, N);
    size_t taken;
    /* another node at start: sees them (to count), takes none */
    assert_int_equal(take(&f, "node_b", T0 + 20, T0 + 40000, 1, &taken), N);
    assert_int_equal(taken, 0);
    /* later sweeps of another node: nothing while the lease lives */
    assert_int_equal(take(&f, "node_b", L - 1, L + 30000, 0, &taken), 0);
    /* the owner at start takes its own back */
    assert_int_equal(take(&f, "node_a", T0 + 30, L, 1, &taken), N);
    assert_int_equal(taken, N);
    /* renewed: still node_a's past the first lease */
    assert_int_equal(f.st->ops->renew_leases(f.st, "node_a", L + 30000), 0);
    assert_int_equal(take(&f, "node_b", L + 1, L + 60000, 0, &taken), 0);
    /* the lease runs out: node_b takes them over, and then node_a cannot */
    assert_int_equal(take(&f, "node_b", L + 30000, L + 60000, 0, &taken), N);
    assert_int_equal(taken, N);
    assert_int_equal(take(&f, "node_a", L + 30001, L + 90000, 0, &taken), 0);
    assert_int_equal(take(&f, "node_b", L + 30002, L + 90000, 0, &taken), 0); /* own: not again */

    /* an end applied twice: the second changes nothing */
    struct attempt_end e = completed_end(a[0].call_id, T0 + 100);
    struct attempt_applied ap;
    assert_int_equal(f.st->ops->apply_ends(f.st, &e, 1, T0 + 100, &ap), 0);
    assert_int_equal(ap.applied, 1);
    struct counters k1 = counters(&f);
    assert_int_equal(k1.succeeded, 1);
    assert_int_equal(f.st->ops->apply_ends(f.st, &e, 1, T0 + 200, &ap), 0);
    assert_int_equal(ap.applied, 0);
    struct counters k2 = counters(&f);
    assert_memory_equal(&k1, &k2, sizeof k1);
    /* an ended attempt is in flight for nobody */
    assert_int_equal(take(&f, "node_c", L + 999999, L + 9999999, 1, &taken), N - 1);

    /* a give-back applied twice: once */
    assert_int_equal(f.st->ops->unclaim(f.st, &a[1], 1, T0 + 5000), 0);
    k1 = counters(&f);
    assert_int_equal(k1.queued, 1);
    assert_int_equal(k1.dispatched, N - 2);
    assert_int_equal(f.st->ops->unclaim(f.st, &a[1], 1, T0 + 5000), 0);
    k2 = counters(&f);
    assert_memory_equal(&k1, &k2, sizeof k1);
    /* and a late end for the given-back attempt changes nothing */
    snprintf(e.call_id, sizeof e.call_id, "%s", a[1].call_id);
    assert_int_equal(f.st->ops->apply_ends(f.st, &e, 1, T0 + 300, &ap), 0);
    assert_int_equal(ap.applied, 0);
    k2 = counters(&f);
    assert_memory_equal(&k1, &k2, sizeof k1);
    for (int i = 0; i < N; i++)
        free(a[i].text);
    fx_close(&f);
}

static void test_shared_pacing(void **state) {
    (void)state;
    struct fx f;
    fx_open(&f);
    struct attempt a[N];
    size_t k = 0;
    int64_t L = T0 + 60000;
    /* 1 a second, burst 2, 3 at once; no carrier row: the request's */
    struct pacer p = {.rate = 1, .burst = 2, .max_concurrent = 3};
    k += claim_paced(&f, "node_a", T0 + 10, L, N, &p, a + k);
    assert_int_equal(k, 2); /* the burst */
    assert_int_equal(p.in_flight, 2);
    p = (struct pacer){.rate = 1, .burst = 2, .max_concurrent = 3};
    assert_int_equal(claim_paced(&f, "node_b", T0 + 20, L, N, &p, a + k), 0); /* the rate */
    assert_true(pacer_next_slot(&p, T0 + 20) >= T0 + 1010 - 1e-6);
    k += claim_paced(&f, "node_b", T0 + 1010, L, N, &p, a + k);
    assert_int_equal(k, 3);
    assert_int_equal(p.in_flight, 3);
    /* the rate allows more, max_concurrent does not */
    assert_int_equal(claim_paced(&f, "node_a", T0 + 9000, L, N, &p, a + k), 0);
    /* an end frees its slot: counted from the rows */
    struct attempt_end e = completed_end(a[0].call_id, T0 + 9100);
    struct attempt_applied ap;
    assert_int_equal(f.st->ops->apply_ends(f.st, &e, 1, T0 + 9100, &ap), 0);
    assert_int_equal(ap.applied, 1);
    k += claim_paced(&f, "node_a", T0 + 9200, L, N, &p, a + k);
    assert_int_equal(k, 4);
    assert_int_equal(p.in_flight, 3);
    /* a stored carrier's limits win: max_concurrent 1 */
    char pfx[] = "+1415", *prefixes[] = {pfx};
    struct carrier c = {.name = "default-voice",
                        .channel = CHANNEL_VOICE,
                        .prefixes = prefixes,
                        .nprefixes = 1,
                        .rate_per_second = 1,
                        .burst = 2,
                        .max_concurrent = 1};
    assert_int_equal(f.st->ops->carrier_put(f.st, &c, T0 + 9300), 0);
    p = (struct pacer){.rate = 1, .burst = 2, .max_concurrent = 3};
    assert_int_equal(claim_paced(&f, "node_b", T0 + 20000, L, 1, &p, a + k), 0);
    assert_int_equal(p.max_concurrent, 1);
    assert_int_equal(p.in_flight, 3);
    assert_true(counters(&f).dispatched == 3);
    for (size_t i = 0; i < k; i++)
        free(a[i].text);
    fx_close(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leases),
        cmocka_unit_test(test_shared_pacing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
