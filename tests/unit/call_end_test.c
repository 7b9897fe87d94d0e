/* call_end_test.c - tests of domain/call_end.c, exhaustively: every call
 * status the row may have x every reported status x every recipient state
 * (status x disposition) x every campaign status x attempts 1..3 x three
 * retry policies x schedule.end_at (none, cutting the retry, after it),
 * compared with tables written here independently of retry.c; every delta
 * keeps the counter invariant and equals the difference of counts taken
 * before and after; applying a decision and deciding the same report again
 * changes nothing (at-least-once reports). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/call_end.h"

#include <string.h>

/* queued, ringing, in_progress, completed, busy, no_answer, failed, canceled */
static const int FINAL[CALL_STATUS_COUNT] = {0, 0, 0, 1, 1, 1, 1, 1};

/* What each final status means for a dispatched recipient, before retries. */
static const struct {
    int retryable;
    enum recipient_status status;
    enum disposition disp;
} OUTCOME[CALL_STATUS_COUNT] = {
    [CALL_COMPLETED] = {0, RECIPIENT_SUCCEEDED, DISP_COMPLETED},
    [CALL_BUSY] = {1, RECIPIENT_FAILED, DISP_BUSY},
    [CALL_NO_ANSWER] = {1, RECIPIENT_FAILED, DISP_NO_ANSWER},
    [CALL_FAILED] = {0, RECIPIENT_FAILED, DISP_FAILED},
    [CALL_CANCELED] = {0, RECIPIENT_FAILED, DISP_CANCELLED},
};

static const struct retry_policy POLICIES[] = {
    {1, 0, 0, 0, 0},  /* no policy: one attempt */
    {3, 1, 1, 60, 1}, /* both, exponential */
    {3, 0, 1, 30, 0}, /* busy only, fixed */
};

#define ENDED 1000000

static struct counters one(const struct recipient_row *r) {
    struct counters c;
    memset(&c, 0, sizeof c);
    c.total = 1;
    int64_t *b[] = {&c.queued, &c.dispatched, &c.succeeded, &c.failed};
    *b[r->status] = 1;
    if (r->status >= RECIPIENT_SUCCEEDED)
        c.dispositions[r->disposition] = 1;
    return c;
}

static void check_delta(const struct recipient_move *m) {
    assert_true(counter_delta_balanced(&m->delta));
    struct counters c = one(&m->from), want = one(&m->to);
    counters_apply_delta(&c, &m->delta);
    assert_memory_equal(&c, &want, sizeof c);
}

static void test_exhaustive(void **state) {
    (void)state;
    long cases = 0, moved = 0, retried = 0;
    for (int cur = 0; cur < CALL_STATUS_COUNT; cur++)
        for (int rep = 0; rep < CALL_STATUS_COUNT; rep++)
            for (int rs = 0; rs < RECIPIENT_STATUS_COUNT; rs++)
                for (int rd = DISP_NONE; rd < DISP_COUNT; rd++) {
                    if (rs >= RECIPIENT_SUCCEEDED && rd == DISP_NONE)
                        continue; /* terminal rows always have a disposition */
                    for (int cs = 0; cs < CAMPAIGN_STATUS_COUNT; cs++)
                        for (int att = 1; att <= 3; att++)
                            for (size_t p = 0; p < 3; p++)
                                for (int ends = 0; ends < 3; ends++) {
                                    const struct retry_policy *pol = &POLICIES[p];
                                    int64_t delay = (int64_t)pol->delay_seconds * 1000;
                                    if (pol->exponential)
                                        delay <<= att - 1;
                                    int64_t due = ENDED + delay;
                                    int64_t end_at = ends == 0   ? 0
                                                     : ends == 1 ? due /* cuts it */
                                                                 : due + 1;
                                    struct call_end_facts f = {cur, {rs, rd, 0}, att,
                                                               pol, cs,          end_at};
                                    struct call_end_decision d;
                                    call_end_decide(&f, rep, ENDED, &d);
                                    cases++;
                                    check_delta(&d.move);
                                    int applies = !FINAL[cur] && FINAL[rep];
                                    assert_int_equal(d.applies, applies);
                                    assert_int_equal(d.status, applies ? rep : cur);
                                    if (!applies || rs != RECIPIENT_DISPATCHED) {
                                        assert_int_equal(d.move.moves, 0);
                                        assert_true(counter_delta_is_zero(&d.move.delta));
                                        assert_int_equal(d.retry, 0);
                                        assert_int_equal(d.finished, 0);
                                        continue;
                                    }
                                    moved++;
                                    int wants = rep == CALL_BUSY ? pol->retry_on_busy
                                                                 : pol->retry_on_no_answer;
                                    int retry = OUTCOME[rep].retryable && wants &&
                                                att < pol->max_attempts &&
                                                (cs == CAMPAIGN_RUNNING || cs == CAMPAIGN_PAUSED) &&
                                                ends != 1;
                                    assert_int_equal(d.move.moves, 1);
                                    assert_int_equal(d.move.from.status, RECIPIENT_DISPATCHED);
                                    assert_int_equal(d.move.from.disposition, rd);
                                    assert_int_equal(d.move.to.disposition, OUTCOME[rep].disp);
                                    assert_int_equal(d.retry, retry);
                                    assert_int_equal(d.finished, !retry);
                                    if (retry) {
                                        retried++;
                                        assert_int_equal(d.move.to.status, RECIPIENT_QUEUED);
                                        assert_int_equal(d.move.to.due_at, due);
                                        assert_int_equal(d.move.delta.queued, 1);
                                        assert_int_equal(d.move.delta.dispatched, -1);
                                    } else {
                                        assert_int_equal(d.move.to.status, OUTCOME[rep].status);
                                        assert_int_equal(d.move.to.due_at, 0);
                                        assert_int_equal(d.move.delta.disp[OUTCOME[rep].disp], 1);
                                    }
                                    /* the same report again, on the rows it left */
                                    struct call_end_facts again = f;
                                    again.current = d.status;
                                    again.row = d.move.to;
                                    struct call_end_decision d2;
                                    call_end_decide(&again, rep, ENDED + 5, &d2);
                                    assert_int_equal(d2.applies, 0);
                                    assert_int_equal(d2.move.moves, 0);
                                }
                }
    assert_true(cases > 100000);
    assert_true(moved > 1000);
    assert_true(retried > 50);
}

/* A whole retry sequence: no_answer, no_answer, completed. */
static void test_sequence(void **state) {
    (void)state;
    struct retry_policy p = {3, 1, 1, 10, 1};
    struct call_end_facts f = {
        CALL_RINGING, {RECIPIENT_DISPATCHED, DISP_NONE, 0}, 1, &p, CAMPAIGN_RUNNING, 0};
    struct call_end_decision d;
    call_end_decide(&f, CALL_NO_ANSWER, 1000, &d);
    assert_int_equal(d.move.to.status, RECIPIENT_QUEUED);
    assert_int_equal(d.move.to.due_at, 11000);
    f.row = (struct recipient_row){RECIPIENT_DISPATCHED, DISP_NO_ANSWER, 0};
    f.attempts = 2;
    call_end_decide(&f, CALL_NO_ANSWER, 20000, &d);
    assert_int_equal(d.move.to.due_at, 40000);
    f.attempts = 3;
    call_end_decide(&f, CALL_COMPLETED, 50000, &d);
    assert_int_equal(d.move.to.status, RECIPIENT_SUCCEEDED);
    assert_int_equal(d.move.to.disposition, DISP_COMPLETED);
    /* the counters of one recipient that retried: no_answer never counted */
    assert_int_equal(d.move.delta.disp[DISP_NO_ANSWER], 0);
    assert_int_equal(d.move.delta.disp[DISP_COMPLETED], 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustive),
        cmocka_unit_test(test_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
