/* call_ends_test.c - a batch of voice reports applied in one apply_ends,
 * on SQLite or PostgreSQL (store_fixture.h): the store reads the facts of
 * the whole batch at once (sqlite_end_facts.c), so reports of one call
 * later in the batch must see what the earlier ones wrote (a progress then
 * the end; the same end twice applies once), reports of unknown calls and
 * of ids a JSON list cannot carry change nothing, and the counters keep
 * total = queued + dispatched + succeeded + failed. On PostgreSQL the
 * batch's writes are also pipelined (pg_pipeline.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/pg_internal.h"
#include "store/store.h"
#include "store_fixture.h"
#include "store_objects.h"
#include "util/ids.h"
#include "util/strcopy.h"

#define T0 1700000000000LL
#define LANE "default-voice|US"
#define N 4

struct fx {
    struct store_fixture *sf;
    struct store *st;
    char account[48], campaign[48];
    char rids[N][48], calls[N][48];
};

/* A running voice campaign of N recipients, every one claimed. */
static void fx_open(struct fx *f) {
    memset(f, 0, sizeof *f);
    f->sf = store_fixture_open();
    f->st = f->sf->st;
    store_objects_voice_running(f->st, "ends", T0, N, LANE, f->account, f->campaign, f->rids);

    struct engine_campaign *list = NULL;
    size_t nc = 0;
    assert_int_equal(f->st->ops->engine_campaigns(f->st, &list, &nc), 0);
    assert_int_equal(nc, 1);
    struct claim_request req = {
        .lane = LANE, .campaign = &list[0], .from = "+14155550100", .provider = "sim", .want = N};
    struct attempt got[N + 1];
    size_t n = 0;
    assert_int_equal(f->st->ops->claim(f->st, &req, 1, T0 + 1000, got, &n), 0);
    assert_int_equal(n, N);
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)(got[i].to[strlen(got[i].to) - 1] - '0');
        STR_COPY(f->calls[k], got[i].call_id);
        free(got[i].text);
    }
    for (size_t i = 0; i < nc; i++)
        engine_campaign_clear(&list[i]);
    free(list);
}

static void fx_close(struct fx *f) {
    store_fixture_close(f->sf);
}

static struct attempt_end report(const char *call_id, enum call_status s, int64_t at) {
    struct attempt_end e;
    memset(&e, 0, sizeof e);
    snprintf(e.call_id, sizeof e.call_id, "%s", call_id);
    e.channel = CHANNEL_VOICE;
    e.status = s;
    e.ended_at = at;
    if (s == CALL_IN_PROGRESS || s == CALL_COMPLETED)
        e.answered_at = T0 + 2000;
    /* "CA" then the id past its "call_" prefix, cut to the field's size */
    e.provider_call_id[0] = 'C';
    e.provider_call_id[1] = 'A';
    str_copy(e.provider_call_id + 2, sizeof e.provider_call_id - 2, call_id + 5);
    return e;
}

static enum call_status call_status_of(struct fx *f, size_t i, int64_t *answered) {
    struct call c;
    memset(&c, 0, sizeof c);
    assert_int_equal(f->st->ops->call_get(f->st, f->account, f->calls[i], &c), 0);
    enum call_status s = c.status;
    *answered = c.answered_at;
    call_clear(&c);
    return s;
}

static enum recipient_status recipient_status_of(struct fx *f, size_t i) {
    return store_objects_recipient_status(f->st, f->account, f->campaign, f->rids[i]);
}

static void test_reports_of_one_call_in_one_batch_see_each_other(void **state) {
    (void)state;
    struct fx f;
    fx_open(&f);
    struct attempt_end ends[] = {
        report(f.calls[0], CALL_IN_PROGRESS, T0 + 2000), /* progress, then its end */
        report(f.calls[1], CALL_COMPLETED, T0 + 3000),
        report(f.calls[0], CALL_COMPLETED, T0 + 4000),
        report("call_nope", CALL_COMPLETED, T0 + 4000),         /* no such call */
        report(f.calls[1], CALL_COMPLETED, T0 + 5000),          /* the same end again */
        report("call_\xc3\xa9t\xc3\xa9", CALL_BUSY, T0 + 5000), /* not in the id list */
        report(f.calls[2], CALL_COMPLETED, T0 + 6000),
    };
    size_t n = sizeof ends / sizeof ends[0];
    struct attempt_applied applied[sizeof ends / sizeof ends[0]];
    assert_int_equal(f.st->ops->apply_ends(f.st, ends, n, T0 + 7000, applied), 0);
    int want[] = {1, 1, 1, 0, 0, 0, 1};
    for (size_t k = 0; k < n; k++)
        if (applied[k].applied != want[k])
            fail_msg("report %zu: applied %d, want %d", k, applied[k].applied, want[k]);
    assert_string_equal(applied[2].lane, LANE);

    int64_t answered = 0;
    assert_int_equal(call_status_of(&f, 0, &answered), CALL_COMPLETED);
    assert_true(answered > 0);
    assert_int_equal(call_status_of(&f, 1, &answered), CALL_COMPLETED);
    assert_int_equal(call_status_of(&f, 3, &answered), CALL_RINGING); /* no report yet */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(recipient_status_of(&f, i), RECIPIENT_SUCCEEDED);
    assert_int_equal(recipient_status_of(&f, 3), RECIPIENT_DISPATCHED);

    struct campaign c;
    memset(&c, 0, sizeof c);
    assert_int_equal(f.st->ops->campaign_get(f.st, f.account, f.campaign, &c), 0);
    assert_int_equal(c.counters.succeeded, 3);
    assert_int_equal(c.counters.dispatched, 1);
    assert_int_equal(c.counters.dispositions[DISP_COMPLETED], 3);
    assert_int_equal(c.counters.total, c.counters.queued + c.counters.dispatched +
                                           c.counters.succeeded + c.counters.failed);
    campaign_clear(&c);
    fx_close(&f);
}

static int begin_batch(struct store *st) {
    return st->ops->begin_batch ? st->ops->begin_batch(st) : st->ops->begin(st);
}

#define LONG 24 /* more than a run needs to go as one statement on PostgreSQL */

/* A claim and a batch of ends long enough that PostgreSQL writes each kind
 * of row of them as one statement (pg_coalesce.c): the outcome is the
 * rows one by one would give, and a repeated report (read again after the
 * moves before it) still applies once. */
static void test_a_long_batch_applies_as_row_by_row(void **state) {
    (void)state;
    struct store_fixture *sf = store_fixture_open();
    struct store *st = sf->st;
    char account[48], campaign[48], rids[LONG][48], calls[LONG][48];
    store_objects_voice_running(st, "long", T0, LONG, LANE, account, campaign, rids);
    struct pg_conn *pc = store_fixture_pg_server() ? pg_conn_get(st) : NULL;
    uint64_t twins = pc ? pc->coalesced_statements : 0;

    struct engine_campaign *list = NULL;
    size_t nc = 0;
    assert_int_equal(st->ops->engine_campaigns(st, &list, &nc), 0);
    struct claim_request req = {.lane = LANE,
                                .campaign = &list[0],
                                .from = "+14155550100",
                                .provider = "sim",
                                .want = LONG};
    struct attempt got[LONG + 1];
    size_t n = 0;
    assert_int_equal(begin_batch(st), 0); /* as the engine's pass: a batch unit */
    assert_int_equal(st->ops->claim(st, &req, 1, T0 + 1000, got, &n), 0);
    assert_int_equal(st->ops->commit(st), 0);
    assert_int_equal(n, LONG);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < LONG && strcmp(rids[k], got[i].recipient_id) != 0)
            k++;
        assert_true(k < LONG);
        STR_COPY(calls[k], got[i].call_id);
        free(got[i].text);
    }
    engine_campaign_clear(&list[0]);
    free(list);
    if (pc) /* the claim: its calls' rows, its recipients' moves */
        assert_true(pc->coalesced_statements >= twins + 2);

    struct attempt_end ends[LONG + 1];
    for (size_t i = 0; i < LONG; i++)
        ends[i] = report(calls[i], i % 2 ? CALL_FAILED : CALL_COMPLETED, T0 + 3000 + (int64_t)i);
    ends[LONG] = report(calls[0], CALL_COMPLETED, T0 + 9000); /* again */
    struct attempt_applied applied[LONG + 1];
    uint64_t before_ends = pc ? pc->coalesced_statements : 0;
    assert_int_equal(begin_batch(st), 0);
    assert_int_equal(st->ops->apply_ends(st, ends, LONG + 1, T0 + 10000, applied), 0);
    assert_int_equal(st->ops->commit(st), 0);
    if (pc) /* the calls' ends, the recipients' moves */
        assert_true(pc->coalesced_statements >= before_ends + 2);
    for (size_t i = 0; i < LONG; i++) {
        assert_int_equal(applied[i].applied, 1);
        enum recipient_status want = i % 2 ? RECIPIENT_FAILED : RECIPIENT_SUCCEEDED;
        assert_int_equal(store_objects_recipient_status(st, account, campaign, rids[i]), want);
    }
    assert_int_equal(applied[LONG].applied, 0);

    struct campaign c;
    memset(&c, 0, sizeof c);
    assert_int_equal(st->ops->campaign_get(st, account, campaign, &c), 0);
    assert_int_equal(c.counters.succeeded, LONG / 2);
    assert_int_equal(c.counters.failed, LONG / 2);
    assert_int_equal(c.counters.total, c.counters.queued + c.counters.dispatched +
                                           c.counters.succeeded + c.counters.failed);
    campaign_clear(&c);
    store_fixture_close(sf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reports_of_one_call_in_one_batch_see_each_other),
        cmocka_unit_test(test_a_long_batch_applies_as_row_by_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
