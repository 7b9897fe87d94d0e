/* call_end_test.c - tests of domain/call_end.c, exhaustively: every call
 * status the row may have x every reported status x every recipient state
 * (status x disposition) x who answered x every campaign status x attempts
 * 1..3 x three retry policies x schedule.end_at (none, cutting the retry,
 * after it),
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

#define P(max, no_answer, busy, voicemail, delay, expo)                                            \
    {                                                                                              \
        .max_attempts = max, .retry_on_no_answer = no_answer, .retry_on_busy = busy,               \
        .retry_on_voicemail = voicemail, .delay_seconds = delay, .exponential = expo               \
    }
static const struct retry_policy POLICIES[] = {
    P(1, 0, 0, 0, 0, 0),  /* no policy: one attempt */
    P(3, 1, 1, 0, 60, 1), /* the default retry_on, exponential */
    P(3, 0, 1, 1, 30, 0), /* busy and voicemail, fixed */
};
#define NPOLICIES (sizeof POLICIES / sizeof POLICIES[0])

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
    long cases = 0, moved = 0, retried = 0, progressed = 0, voicemails = 0;
    for (int cur = 0; cur < CALL_STATUS_COUNT; cur++)
        for (int rep = 0; rep < CALL_STATUS_COUNT; rep++)
            for (int ab = ANSWERED_NONE; ab <= ANSWERED_UNKNOWN; ab++)
                for (int rs = 0; rs < RECIPIENT_STATUS_COUNT; rs++)
                    for (int rd = DISP_NONE; rd < DISP_COUNT; rd++) {
                        if (rs >= RECIPIENT_SUCCEEDED && rd == DISP_NONE)
                            continue; /* terminal rows always have a disposition */
                        for (int cs = 0; cs < CAMPAIGN_STATUS_COUNT; cs++)
                            for (int att = 1; att <= 3; att++)
                                for (size_t p = 0; p < NPOLICIES; p++)
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
                                        call_end_decide(&f, rep, ab, ENDED, &d);
                                        cases++;
                                        check_delta(&d.move);
                                        /* progress: queued < ringing < in_progress */
                                        int progress = !FINAL[cur] && !FINAL[rep] && rep > cur;
                                        int applies = !FINAL[cur] && (FINAL[rep] || progress);
                                        assert_int_equal(d.applies, applies);
                                        assert_int_equal(d.progress, progress);
                                        assert_int_equal(d.status, applies ? rep : cur);
                                        progressed += progress;
                                        if (!applies || progress || rs != RECIPIENT_DISPATCHED) {
                                            assert_int_equal(d.move.moves, 0);
                                            assert_true(counter_delta_is_zero(&d.move.delta));
                                            assert_int_equal(d.retry, 0);
                                            assert_int_equal(d.finished, 0);
                                            continue;
                                        }
                                        moved++;
                                        int machine =
                                            rep == CALL_COMPLETED && ab == ANSWERED_MACHINE;
                                        voicemails += machine;
                                        int wants = machine            ? pol->retry_on_voicemail
                                                    : rep == CALL_BUSY ? pol->retry_on_busy
                                                                       : pol->retry_on_no_answer;
                                        int retryable = machine || OUTCOME[rep].retryable;
                                        enum disposition disp =
                                            machine ? DISP_VOICEMAIL : OUTCOME[rep].disp;
                                        enum recipient_status final_status =
                                            machine ? RECIPIENT_FAILED : OUTCOME[rep].status;
                                        int retry =
                                            retryable && wants && att < pol->max_attempts &&
                                            (cs == CAMPAIGN_RUNNING || cs == CAMPAIGN_PAUSED) &&
                                            ends != 1;
                                        assert_int_equal(d.move.moves, 1);
                                        assert_int_equal(d.move.from.status, RECIPIENT_DISPATCHED);
                                        assert_int_equal(d.move.from.disposition, rd);
                                        assert_int_equal(d.move.to.disposition, disp);
                                        assert_int_equal(d.retry, retry);
                                        assert_int_equal(d.finished, !retry);
                                        if (retry) {
                                            retried++;
                                            assert_int_equal(d.move.to.status, RECIPIENT_QUEUED);
                                            assert_int_equal(d.move.to.due_at, due);
                                            assert_int_equal(d.move.delta.queued, 1);
                                            assert_int_equal(d.move.delta.dispatched, -1);
                                        } else {
                                            assert_int_equal(d.move.to.status, final_status);
                                            assert_int_equal(d.move.to.due_at, 0);
                                            assert_int_equal(d.move.delta.disp[disp], 1);
                                        }
                                        /* the same report again, on the rows it left */
                                        struct call_end_facts again = f;
                                        again.current = d.status;
                                        again.row = d.move.to;
                                        struct call_end_decision d2;
                                        call_end_decide(&again, rep, ab, ENDED + 5, &d2);
                                        assert_int_equal(d2.applies, 0);
                                        assert_int_equal(d2.move.moves, 0);
                                    }
                    }
    assert_true(cases > 100000);
    assert_true(moved > 1000);
    assert_true(retried > 50);
    assert_true(progressed > 100);
    assert_true(voicemails > 100);
}

/* A whole retry sequence: no_answer, no_answer, completed. */
static void test_sequence(void **state) {
    (void)state;
    struct retry_policy p = P(3, 1, 1, 0, 10, 1);
    struct call_end_facts f = {
        CALL_RINGING, {RECIPIENT_DISPATCHED, DISP_NONE, 0}, 1, &p, CAMPAIGN_RUNNING, 0};
    struct call_end_decision d;
    call_end_decide(&f, CALL_NO_ANSWER, ANSWERED_NONE, 1000, &d);
    assert_int_equal(d.move.to.status, RECIPIENT_QUEUED);
    assert_int_equal(d.move.to.due_at, 11000);
    f.row = (struct recipient_row){RECIPIENT_DISPATCHED, DISP_NO_ANSWER, 0};
    f.attempts = 2;
    call_end_decide(&f, CALL_NO_ANSWER, ANSWERED_NONE, 20000, &d);
    assert_int_equal(d.move.to.due_at, 40000);
    f.attempts = 3;
    call_end_decide(&f, CALL_COMPLETED, ANSWERED_HUMAN, 50000, &d);
    assert_int_equal(d.move.to.status, RECIPIENT_SUCCEEDED);
    assert_int_equal(d.move.to.disposition, DISP_COMPLETED);
    /* the counters of one recipient that retried: no_answer never counted */
    assert_int_equal(d.move.delta.disp[DISP_NO_ANSWER], 0);
    assert_int_equal(d.move.delta.disp[DISP_COMPLETED], 1);
}

/* A machine answers: voicemail, retried only when retry_on names it; a
 * progress report first changes nothing but the call. */
static void test_voicemail(void **state) {
    (void)state;
    struct retry_policy with = P(3, 1, 1, 1, 10, 0), without = P(3, 1, 1, 0, 10, 0);
    struct call_end_facts f = {
        CALL_QUEUED, {RECIPIENT_DISPATCHED, DISP_NONE, 0}, 1, &with, CAMPAIGN_RUNNING, 0};
    struct call_end_decision d;
    call_end_decide(&f, CALL_IN_PROGRESS, ANSWERED_MACHINE, 500, &d);
    assert_int_equal(d.applies, 1);
    assert_int_equal(d.progress, 1);
    assert_int_equal(d.status, CALL_IN_PROGRESS);
    assert_int_equal(d.move.moves, 0);
    f.current = CALL_IN_PROGRESS;
    call_end_decide(&f, CALL_RINGING, ANSWERED_NONE, 600, &d); /* late: backwards */
    assert_int_equal(d.applies, 0);
    call_end_decide(&f, CALL_COMPLETED, ANSWERED_MACHINE, 1000, &d);
    assert_int_equal(d.move.to.status, RECIPIENT_QUEUED);
    assert_int_equal(d.move.to.disposition, DISP_VOICEMAIL);
    assert_int_equal(d.move.to.due_at, 11000);
    f.policy = &without;
    call_end_decide(&f, CALL_COMPLETED, ANSWERED_MACHINE, 1000, &d);
    assert_int_equal(d.move.to.status, RECIPIENT_FAILED);
    assert_int_equal(d.move.to.disposition, DISP_VOICEMAIL);
    assert_int_equal(d.move.delta.disp[DISP_VOICEMAIL], 1);
    call_end_decide(&f, CALL_COMPLETED, ANSWERED_HUMAN, 1000, &d);
    assert_int_equal(d.move.to.status, RECIPIENT_SUCCEEDED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustive),
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_voicemail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
