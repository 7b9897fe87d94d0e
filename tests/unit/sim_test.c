/* sim_test.c - the simulated provider through the asynchronous interface
 * (providers/sim.c over a real SQLite store): submit returns before any
 * fate; every attempt's fate comes once through the callback (accepted
 * with the provider's id, a refused sms rejected); owed reports follow in
 * the digit table's order; a second submit of an id starts nothing new;
 * lookup tells which ids it holds; a reopened provider delivers the
 * reports it still owed; ack makes it forget them; a stored batch goes
 * once every report of it is acked (with the next submit's write, or on
 * its own soon after), not before; two sim providers keep their state
 * apart by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "providers/provider.h"
#include "store/store.h"
#include "store_fixture.h"
#include "util/alloc.h"
#include "util/clock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define MAX_EVENTS 64

struct seen {
    struct provider_event ev[MAX_EVENTS];
    size_t n;
    int in_submit; /* set while submit() runs: no event may come then */
};

static void on_event(void *ctx, struct provider *p, const struct provider_event *ev) {
    (void)p;
    struct seen *s = ctx;
    assert_false(s->in_submit);
    assert_true(s->n < MAX_EVENTS);
    s->ev[s->n++] = *ev;
}

struct fixture {
    struct store_fixture *sf; /* the store, on SQLite or PostgreSQL */
    struct store *st;
    uv_loop_t loop;
    struct seen seen;
};

static int setup(void **state) {
    struct fixture *f = xcalloc(1, sizeof *f);
    f->sf = store_fixture_open();
    f->st = f->sf->st;
    uv_loop_init(&f->loop);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_loop_close(&f->loop);
    store_fixture_close(f->sf);
    free(f);
    return 0;
}

static struct provider *open_sim(struct fixture *f, const char *name, long call_ms,
                                 long report_ms) {
    struct provider_def def;
    provider_def_builtin(call_ms, report_ms, &def);
    snprintf(def.name, sizeof def.name, "%s", name);
    struct provider_env env = {
        .loop = &f->loop, .store = f->st, .on_event = on_event, .ctx = &f->seen};
    struct provider *p = NULL;
    assert_int_equal(provider_open(&def, &env, &p), 0);
    provider_def_clear(&def);
    return p;
}

static struct attempt *batch(size_t n, const char *const *ids, const char *const *to,
                             enum channel ch) {
    struct attempt *a = xcalloc(n, sizeof *a);
    for (size_t i = 0; i < n; i++) {
        snprintf(a[i].call_id, sizeof a[i].call_id, "%s", ids[i]);
        snprintf(a[i].to, sizeof a[i].to, "%s", to[i]);
        a[i].channel = ch;
        a[i].attempt = 1;
        a[i].created_at = clock_now_ms();
        if (ch != CHANNEL_VOICE)
            a[i].text = xstrdup("hi");
    }
    return a;
}

static void submit(struct fixture *f, struct provider *p, struct attempt *a, size_t n) {
    f->seen.in_submit = 1;
    assert_int_equal(p->ops->submit(p, a, n), 0);
    f->seen.in_submit = 0;
    assert_int_equal(f->seen.n, 0); /* nothing came from inside submit */
}

/* Runs the loop until want events arrived (or a generous time passed). */
static void wait_events(struct fixture *f, size_t want) {
    int64_t until = clock_now_ms() + 5000;
    while (f->seen.n < want && clock_now_ms() < until)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_true(f->seen.n >= want);
}

static const struct provider_event *find(struct fixture *f, const char *id,
                                         enum provider_event_kind kind, size_t nth) {
    for (size_t i = 0; i < f->seen.n; i++)
        if (strcmp(f->seen.ev[i].end.call_id, id) == 0 && f->seen.ev[i].kind == kind && nth-- == 0)
            return &f->seen.ev[i];
    fail_msg("no event %d #%zu for %s", (int)kind, nth, id);
    return NULL;
}

static void test_sms_fates_and_reports(void **state) {
    struct fixture *f = *state;
    struct provider *p = open_sim(f, "sim", 20, 5);
    const char *ids[] = {"msg_a", "msg_b", "msg_c"};
    const char *to[] = {"+14155550100", "+14155550108", "+14155550107"};
    submit(f, p, batch(3, ids, to, CHANNEL_SMS), 3);
    /* 3 fates, then msg_a's delivery (digit 0); digit 7 is only sent */
    wait_events(f, 4);
    const struct provider_event *a = find(f, "msg_a", PROVIDER_EVENT_FATE, 0);
    assert_int_equal(a->fate, PROVIDER_ACCEPTED);
    assert_string_equal(a->end.provider_call_id, "SIMa");
    assert_int_equal(find(f, "msg_b", PROVIDER_EVENT_FATE, 0)->fate, PROVIDER_REJECTED);
    assert_int_equal(find(f, "msg_c", PROVIDER_EVENT_FATE, 0)->fate, PROVIDER_ACCEPTED);
    assert_int_equal(find(f, "msg_a", PROVIDER_EVENT_REPORT, 0)->end.mstatus, MSG_DELIVERED);
    int held[3] = {-1, -1, -1};
    char pids[3][64];
    assert_int_equal(p->ops->lookup(p, ids, 3, held, pids), 0);
    assert_string_equal(pids[0], "SIMa");
    assert_string_equal(pids[1], "");
    assert_int_equal(held[0], 1);
    assert_int_equal(held[1], 0); /* refused: never held */
    assert_int_equal(held[2], 1);
    p->ops->close(p);
}

static void test_resubmit_starts_nothing_and_restart_redelivers(void **state) {
    struct fixture *f = *state;
    struct provider *p = open_sim(f, "sim", 50, 5);
    const char *ids[] = {"call_x"};
    const char *to[] = {"+14155550100"};
    submit(f, p, batch(1, ids, to, CHANNEL_VOICE), 1);
    wait_events(f, 1); /* the fate (the end may follow in the same turn) */
    size_t before = f->seen.n;
    f->seen.in_submit = 1;
    assert_int_equal(p->ops->submit(p, batch(1, ids, to, CHANNEL_VOICE), 1), 0);
    f->seen.in_submit = 0;
    assert_int_equal(f->seen.n, before); /* nothing from inside submit */
    wait_events(f, 3);                   /* two fates and one end, in some order */
    assert_int_equal(find(f, "call_x", PROVIDER_EVENT_FATE, 0)->fate, PROVIDER_ACCEPTED);
    assert_int_equal(find(f, "call_x", PROVIDER_EVENT_FATE, 1)->fate, PROVIDER_ACCEPTED);
    assert_int_equal(find(f, "call_x", PROVIDER_EVENT_REPORT, 0)->end.status, CALL_COMPLETED);
    int64_t until = clock_now_ms() + 200;
    while (clock_now_ms() < until)
        uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->seen.n, 3); /* no second end */
    /* not acked: a reopened provider owes it again */
    p->ops->close(p);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    f->seen.n = 0;
    p = open_sim(f, "sim", 50, 5);
    wait_events(f, 1);
    struct provider_event end = f->seen.ev[0];
    assert_int_equal(end.kind, PROVIDER_EVENT_REPORT);
    /* acked: forgotten */
    p->ops->ack(p, &end.end, 1);
    p->ops->close(p);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    f->seen.n = 0;
    p = open_sim(f, "sim", 50, 5);
    until = clock_now_ms() + 100;
    while (clock_now_ms() < until)
        uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->seen.n, 0);
    p->ops->close(p);
}

/* The batches the store holds for provider name. */
static size_t stored_batches(struct fixture *f, const char *name) {
    struct sim_batch *b = NULL;
    size_t n = 0;
    assert_int_equal(f->st->ops->sim_batches(f->st, name, &b, &n), 0);
    for (size_t i = 0; i < n; i++)
        free(b[i].reports);
    free(b);
    return n;
}

static void run_for(struct fixture *f, int64_t ms) {
    int64_t until = clock_now_ms() + ms;
    while (clock_now_ms() < until)
        uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void test_a_batch_goes_once_all_its_reports_are_acked(void **state) {
    struct fixture *f = *state;
    struct provider *p = open_sim(f, "sim", 10, 5);
    const char *ids[] = {"call_1", "call_2"};
    const char *to[] = {"+14155550100", "+14155550106"};
    submit(f, p, batch(2, ids, to, CHANNEL_VOICE), 2);
    assert_int_equal(stored_batches(f, "sim"), 1); /* stored before any fate */
    wait_events(f, 4);                             /* two fates, two ends */
    const struct provider_event *one = find(f, "call_1", PROVIDER_EVENT_REPORT, 0);
    const struct provider_event *two = find(f, "call_2", PROVIDER_EVENT_REPORT, 0);
    p->ops->ack(p, &one->end, 1);
    p->ops->ack(p, &one->end, 1); /* a repeat counts once */
    run_for(f, 400);
    assert_int_equal(stored_batches(f, "sim"), 1); /* call_2's end is still owed */
    p->ops->ack(p, &two->end, 1);
    run_for(f, 400);
    assert_int_equal(stored_batches(f, "sim"), 0); /* on its own */

    /* acked, then the next submit's write deletes it */
    f->seen.n = 0;
    const char *ids3[] = {"call_3"}, *ids4[] = {"call_4"};
    submit(f, p, batch(1, ids3, to, CHANNEL_VOICE), 1);
    wait_events(f, 2);
    p->ops->ack(p, &find(f, "call_3", PROVIDER_EVENT_REPORT, 0)->end, 1);
    f->seen.n = 0;
    submit(f, p, batch(1, ids4, to, CHANNEL_VOICE), 1);
    assert_int_equal(stored_batches(f, "sim"), 1); /* call_4's only */
    int held[2] = {-1, -1};
    char pids[2][64];
    const char *both[] = {"call_3", "call_4"};
    assert_int_equal(p->ops->lookup(p, both, 2, held, pids), 0);
    assert_int_equal(held[0], 0);
    assert_int_equal(held[1], 1);
    p->ops->close(p);
}

static void test_providers_are_apart(void **state) {
    struct fixture *f = *state;
    struct provider *one = open_sim(f, "sim", 10, 5);
    struct provider *two = open_sim(f, "sim-two", 10, 5);
    const char *ids[] = {"call_shared"};
    const char *to[] = {"+14155550106"};
    submit(f, one, batch(1, ids, to, CHANNEL_VOICE), 1);
    wait_events(f, 2);
    int held = -1;
    char pid[1][64];
    assert_int_equal(two->ops->lookup(two, ids, 1, &held, pid), 0);
    assert_int_equal(held, 0);
    assert_int_equal(one->ops->lookup(one, ids, 1, &held, pid), 0);
    assert_int_equal(held, 1);
    assert_int_equal(find(f, "call_shared", PROVIDER_EVENT_REPORT, 0)->end.status, CALL_NO_ANSWER);
    one->ops->close(one);
    two->ops->close(two);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sms_fates_and_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resubmit_starts_nothing_and_restart_redelivers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_batch_goes_once_all_its_reports_are_acked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_providers_are_apart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
