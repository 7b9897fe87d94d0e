/* events_due_test.c - the outbox's answer to delivery (events_due and
 * event_body of the SQLite store): only each campaign's oldest due event,
 * at most per_url of those per account and URL and per_account per account,
 * the accounts interleaved, so one account's backlog (or one of its URLs')
 * cannot hide another's events however large it is; and events_lease,
 * the guard that keeps two nodes from sending one event at once.
 *
 * The events are written straight into the events table of a store opened
 * in a temporary file (a second SQLite connection, foreign keys off), then
 * read back through the store's ops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW 5000000

/* An event of campaign (0 = none) to url, due at `at`; its id is "evt_<n>". */
static void add(struct store_fixture *f, const char *account, int64_t campaign, const char *url,
                int64_t at, const char *state) {
    char sql[512], cseq[24] = "NULL";
    if (campaign)
        snprintf(cseq, sizeof cseq, "%lld", (long long)campaign);
    snprintf(sql, sizeof sql,
             "INSERT INTO events(id, account_id, campaign_seq, type, url, body, state, "
             "next_attempt_at, created_at) VALUES ('evt_%d', '%s', %s, 'call.ended', '%s', "
             "'{\"n\":%d}', '%s', %lld, %lld)",
             f->n, account, cseq, url, f->n, state, (long long)at, (long long)at);
    f->n++;
    store_fixture_exec(f, sql);
}

static size_t due(struct store_fixture *f, size_t per_url, size_t per_account, size_t limit,
                  struct outbound_event **out) {
    size_t n = 0;
    assert_int_equal(f->st->ops->events_due(f->st, NOW, per_url, per_account, limit, out, &n), 0);
    return n;
}

static void test_heads_only_due_pending(void **state) {
    struct store_fixture *f = *state;
    add(f, "acct_a", 1, "http://x/1", NOW - 30, "pending");   /* evt_0: head of 1 */
    add(f, "acct_a", 1, "http://x/1", NOW - 40, "pending");   /* evt_1: older: the head */
    add(f, "acct_a", 2, "http://x/1", NOW + 1000, "pending"); /* evt_2: waiting a retry */
    add(f, "acct_a", 2, "http://x/1", NOW - 10, "pending");   /* evt_3: goes ahead */
    add(f, "acct_a", 3, "http://x/1", NOW - 90, "delivered"); /* evt_4 */
    add(f, "acct_a", 3, "http://x/1", NOW - 80, "failed");    /* evt_5 */
    add(f, "acct_a", 0, "http://x/1", NOW - 5, "pending");    /* evt_6, no campaign */
    add(f, "acct_a", 0, "http://x/1", NOW - 6, "pending");    /* evt_7, no campaign */
    struct outbound_event *ev = NULL;
    size_t n = due(f, 10, 10, 100, &ev);
    assert_int_equal(n, 4);
    const char *want[] = {"evt_1", "evt_3", "evt_7", "evt_6"}; /* oldest first */
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(ev[i].id, want[i]);
        assert_null(ev[i].body);
        assert_string_equal(ev[i].url, "http://x/1");
        assert_string_equal(ev[i].account_id, "acct_a");
    }
    assert_int_equal(ev[0].campaign_seq, 1);
    assert_int_equal(ev[2].campaign_seq, 0);
    char *body = NULL;
    assert_int_equal(f->st->ops->event_body(f->st, ev[0].seq, &body), 0);
    assert_string_equal(body, "{\"n\":1}");
    free(body);
    assert_int_equal(f->st->ops->event_body(f->st, 999999, &body), 0);
    assert_null(body);
    outbound_events_free(ev, n);
}

/* 2,000 campaigns of one account, all older than another account's one:
 * the other account's event is still among the first two answered. */
static void test_a_backlog_hides_no_other_account(void **state) {
    struct store_fixture *f = *state;
    store_fixture_exec(f, "BEGIN");
    for (int c = 1; c <= 2000; c++)
        for (int k = 0; k < 2; k++)
            add(f, "acct_big", c, c % 2 ? "http://slow1/h" : "http://slow2/h", NOW - 100000 + c,
                "pending");
    add(f, "acct_small", 5000, "http://quick/h", NOW - 1, "pending");
    add(f, "acct_small", 5001, "http://quick/h", NOW - 1, "pending");
    store_fixture_exec(f, "COMMIT");
    struct outbound_event *ev = NULL;
    size_t n = due(f, 8, 64, 1024, &ev);
    /* acct_big: 8 heads per URL, 2 URLs; acct_small: 2 */
    assert_int_equal(n, 18);
    int big = 0, small = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ev[i].account_id, "acct_small") == 0) {
            small++;
            assert_true(i < 4); /* rank 1 and 2 of each account come first */
        } else {
            big++;
        }
    }
    assert_int_equal(big, 16);
    assert_int_equal(small, 2);
    /* the big account's URLs take turns */
    assert_string_not_equal(strcmp(ev[0].account_id, "acct_big") == 0 ? ev[0].url : ev[1].url,
                            strcmp(ev[2].account_id, "acct_big") == 0 ? ev[2].url : ev[3].url);
    outbound_events_free(ev, n);
    /* a tight limit still reaches both accounts */
    n = due(f, 8, 64, 2, &ev);
    assert_int_equal(n, 2);
    assert_string_not_equal(ev[0].account_id, ev[1].account_id);
    outbound_events_free(ev, n);
    /* per_account caps an account's share of the answer */
    n = due(f, 1000, 5, 1024, &ev);
    assert_int_equal(n, 7);
    outbound_events_free(ev, n);
}

/* events_lease: a node gets an event no live lease holds, not one another
 * node holds until later, nor one no longer pending; the result ends the
 * lease; a lease run out frees the event for another node. */
static void test_leases_guard_sending(void **state) {
    struct store_fixture *f = *state;
    add(f, "acct_a", 1, "http://x/1", NOW - 30, "pending");   /* evt_0 */
    add(f, "acct_a", 2, "http://x/1", NOW - 30, "delivered"); /* evt_1 */
    struct outbound_event *ev = NULL;
    size_t n = due(f, 10, 10, 100, &ev);
    assert_int_equal(n, 1);
    int64_t seqs[2] = {ev[0].seq, ev[0].seq + 1};
    int taken[2] = {7, 7};
    const struct store_ops *o = f->st->ops;
    assert_int_equal(o->events_lease(f->st, seqs, 2, "node-a", NOW, NOW + 1000, taken), 0);
    assert_int_equal(taken[0], 1); /* free: a's now */
    assert_int_equal(taken[1], 0); /* delivered already */
    assert_int_equal(o->events_lease(f->st, seqs, 1, "node-b", NOW + 999, NOW + 2000, taken), 0);
    assert_int_equal(taken[0], 0); /* a holds it */
    /* a's lease ran out: b takes it over */
    assert_int_equal(o->events_lease(f->st, seqs, 1, "node-b", NOW + 1000, NOW + 2000, taken), 0);
    assert_int_equal(taken[0], 1);
    /* b's result (a retry later) ends its lease: due again, anyone may take it */
    assert_int_equal(
        o->event_result(f->st, ev[0].id, "pending", 503, "HTTP 503", NOW + 1100, NOW + 1050), 0);
    assert_int_equal(o->events_lease(f->st, seqs, 1, "node-c", NOW + 1100, NOW + 3000, taken), 0);
    assert_int_equal(taken[0], 1);
    assert_int_equal(
        o->event_result(f->st, ev[0].id, "delivered", 200, NULL, NOW + 1200, NOW + 1200), 0);
    assert_int_equal(o->events_lease(f->st, seqs, 1, "node-a", NOW + 9000, NOW + 9999, taken), 0);
    assert_int_equal(taken[0], 0); /* delivered: never again */
    outbound_events_free(ev, n);
}

/* The seq of event evt_<n>. */
static int64_t seq_of(struct store_fixture *f, int n) {
    char sql[96], out[32];
    snprintf(sql, sizeof sql, "SELECT seq FROM events WHERE id = 'evt_%d'", n);
    assert_int_equal(store_fixture_text(f, sql, 0, out, sizeof out), 1);
    return strtoll(out, NULL, 10);
}

/* Whether node may lease event evt_<n> at `at` (until at + 1000). */
static int lease_one(struct store_fixture *f, int n, const char *node, int64_t at) {
    int64_t seq = seq_of(f, n);
    int taken = 7;
    assert_int_equal(f->st->ops->events_lease(f->st, &seq, 1, node, at, at + 1000, &taken), 0);
    return taken;
}

/* One delivery in flight per campaign across the nodes: while one node
 * holds an event of a campaign no node gets another event of it (even one
 * it may think is the head), other campaigns go on; a node may lease again
 * what it holds; renew_leases keeps a node's events; once the lease runs
 * out or the result is stored, the campaign's next event is free. */
static void test_one_delivery_per_campaign_across_nodes(void **state) {
    struct store_fixture *f = *state;
    add(f, "acct_a", 1, "http://x/1", NOW - 30, "pending"); /* evt_0 */
    add(f, "acct_a", 1, "http://x/1", NOW - 20, "pending"); /* evt_1 */
    add(f, "acct_a", 2, "http://x/1", NOW - 10, "pending"); /* evt_2 */
    add(f, "acct_a", 0, "http://x/1", NOW - 10, "pending"); /* evt_3, no campaign */
    add(f, "acct_a", 0, "http://x/1", NOW - 10, "pending"); /* evt_4, no campaign */
    assert_int_equal(lease_one(f, 1, "node-a", NOW), 1);
    assert_int_equal(lease_one(f, 0, "node-b", NOW), 0); /* campaign 1 has one out */
    assert_int_equal(lease_one(f, 2, "node-b", NOW), 1); /* campaign 2 is free */
    assert_int_equal(lease_one(f, 3, "node-a", NOW), 1); /* no campaign: alone */
    assert_int_equal(lease_one(f, 4, "node-b", NOW), 1);
    assert_int_equal(lease_one(f, 1, "node-a", NOW + 10), 1); /* a holds it: again */
    /* a renews: its events stay out past the first lease's end */
    assert_int_equal(f->st->ops->renew_leases(f->st, "node-a", NOW + 5000), 0);
    assert_int_equal(lease_one(f, 0, "node-b", NOW + 2000), 0);
    assert_int_equal(lease_one(f, 1, "node-b", NOW + 2000), 0);
    /* b's lease on evt_2 was not renewed by a's renewal */
    assert_int_equal(lease_one(f, 2, "node-c", NOW + 2000), 1);
    /* a's lease runs out (a died): the campaign's events are free again */
    assert_int_equal(lease_one(f, 0, "node-b", NOW + 5000), 1);
    assert_int_equal(lease_one(f, 1, "node-c", NOW + 5000), 0); /* b has evt_0 out */
    /* b's result ends its lease: the next one may go */
    assert_int_equal(
        f->st->ops->event_result(f->st, "evt_0", "delivered", 200, NULL, NOW + 5100, NOW + 5100),
        0);
    assert_int_equal(lease_one(f, 1, "node-c", NOW + 5100), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_heads_only_due_pending, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_backlog_hides_no_other_account, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_leases_guard_sending, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_one_delivery_per_campaign_across_nodes,
                                        store_fixture_setup, store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
