/* message_report_test.c - tests of domain/message_report.c, exhaustively:
 * every message status x every reported status x every recipient state
 * (status x disposition), compared with a table of message moves written
 * here and a step-by-step model of the recipient; every delta keeps the
 * counter invariant and equals the difference of counts before and after;
 * the status times stamped; the same report applied twice changes nothing
 * the second time; every sequence of four reports ends where the model
 * says. (The store's side of reports is message_reports_test.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/message_report.h"

#include <string.h>

enum {
    Q = MSG_QUEUED,
    S = MSG_SENT,
    D = MSG_DELIVERED,
    R = MSG_READ,
    F = MSG_FAILED,
    U = MSG_UNDELIVERED,
    X = -1 /* no change */
};

/* [current][reported] -> the message's new status */
static const int TABLE[MSG_STATUS_COUNT][MSG_STATUS_COUNT] = {
    /*        Q  S  D  R  F  U */
    /* Q */ {X, S, D, R, F, U},
    /* S */ {X, X, D, R, U, U},
    /* D */ {X, X, X, R, U, U},
    /* R */ {X, X, X, X, X, X},
    /* F */ {X, X, X, X, X, X},
    /* U */ {X, X, X, X, X, X},
};

static int level(enum disposition d) {
    return d == DISP_SENT ? 1 : d == DISP_DELIVERED ? 2 : d == DISP_READ ? 3 : 0;
}

/* The recipient's row after the message went from cur to to (to != X). */
static struct recipient_row model(struct recipient_row r, int cur, int to) {
    if (cur == Q && r.status == RECIPIENT_DISPATCHED) {
        /* the submit's answer first */
        r.status = to == F ? RECIPIENT_FAILED : RECIPIENT_SUCCEEDED;
        r.disposition = to == F ? DISP_FAILED : DISP_SENT;
    }
    if (to == U && r.status == RECIPIENT_SUCCEEDED) {
        r.status = RECIPIENT_FAILED;
        r.disposition = DISP_UNDELIVERED;
    }
    if ((to == D || to == R) && r.status == RECIPIENT_SUCCEEDED && level(r.disposition) &&
        level(r.disposition) < (to == D ? 2 : 3))
        r.disposition = to == D ? DISP_DELIVERED : DISP_READ;
    return r;
}

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

static void test_exhaustive(void **state) {
    (void)state;
    int cases = 0, moved = 0;
    for (int cur = 0; cur < MSG_STATUS_COUNT; cur++)
        for (int rep = 0; rep < MSG_STATUS_COUNT; rep++)
            for (int rs = 0; rs < RECIPIENT_STATUS_COUNT; rs++)
                for (int rd = DISP_NONE; rd < DISP_COUNT; rd++) {
                    if (rs >= RECIPIENT_SUCCEEDED && rd == DISP_NONE)
                        continue;
                    struct message_report_facts f = {cur, {rs, rd, 0}};
                    struct message_report_decision d;
                    message_report_decide(&f, rep, &d);
                    cases++;
                    int to = TABLE[cur][rep];
                    assert_int_equal(d.applies, to != X);
                    assert_int_equal(d.status, to == X ? cur : to);
                    assert_int_equal(d.released, cur == Q && rep != Q);
                    assert_true(counter_delta_balanced(&d.move.delta));
                    struct counters c = one(&f.row), want;
                    counters_apply_delta(&c, &d.move.delta);
                    if (to == X) {
                        assert_int_equal(d.move.moves, 0);
                        assert_true(counter_delta_is_zero(&d.move.delta));
                        assert_int_equal(d.finished, 0);
                        assert_false(d.stamp_sent || d.stamp_delivered || d.stamp_read ||
                                     d.stamp_failed);
                        continue;
                    }
                    struct recipient_row exp = model(f.row, cur, to);
                    int changes = (int)exp.status != rs || (int)exp.disposition != rd;
                    assert_int_equal(d.move.moves, changes);
                    assert_int_equal(d.move.to.status, exp.status);
                    assert_int_equal(d.move.to.disposition, exp.disposition);
                    want = one(&exp);
                    assert_memory_equal(&c, &want, sizeof c);
                    moved += changes;
                    int becomes_terminal =
                        exp.status >= RECIPIENT_SUCCEEDED && rs < RECIPIENT_SUCCEEDED;
                    int leaves_success =
                        rs == RECIPIENT_SUCCEEDED && exp.status == RECIPIENT_FAILED;
                    assert_int_equal(d.finished, becomes_terminal || leaves_success);
                    /* times: sent once it got past the submit, then each reached one */
                    assert_int_equal(d.stamp_sent,
                                     (cur == Q && to != F) || to == S || to == D || to == R);
                    assert_int_equal(d.stamp_delivered, to == D || to == R);
                    assert_int_equal(d.stamp_read, to == R);
                    assert_int_equal(d.stamp_failed, to == F || to == U);
                    /* the same report again changes nothing */
                    struct message_report_facts again = {d.status, d.move.to};
                    struct message_report_decision d2;
                    message_report_decide(&again, rep, &d2);
                    assert_int_equal(d2.applies, 0);
                    assert_int_equal(d2.move.moves, 0);
                }
    assert_int_equal(cases, 6 * 6 * (2 * (DISP_COUNT + 1) + 2 * DISP_COUNT));
    assert_true(moved > 20);
    /* out of range */
    struct message_report_facts f = {MSG_QUEUED, {RECIPIENT_DISPATCHED, DISP_NONE, 0}};
    struct message_report_decision d;
    message_report_decide(&f, MSG_STATUS_COUNT, &d);
    assert_int_equal(d.applies, 0);
}

/* Every sequence of four reports from a fresh dispatch, one at a time. */
static void test_sequences(void **state) {
    (void)state;
    for (int a = 0; a < 6 * 6 * 6 * 6; a++) {
        int seq[4] = {a % 6, a / 6 % 6, a / 36 % 6, a / 216 % 6};
        struct message_report_facts f = {MSG_QUEUED, {RECIPIENT_DISPATCHED, DISP_NONE, 0}};
        struct counters c = one(&f.row);
        int mcur = Q;
        struct recipient_row mrow = f.row;
        for (int i = 0; i < 4; i++) {
            struct message_report_decision d;
            message_report_decide(&f, seq[i], &d);
            counters_apply_delta(&c, &d.move.delta);
            assert_true(counters_consistent(&c));
            int to = TABLE[mcur][seq[i]];
            if (to != X) {
                mrow = model(mrow, mcur, to);
                mcur = to;
            }
            f.current = d.status;
            f.row = d.move.to;
            assert_int_equal(f.current, mcur);
            assert_int_equal(f.row.status, mrow.status);
            assert_int_equal(f.row.disposition, mrow.disposition);
        }
        struct counters want = one(&mrow);
        assert_memory_equal(&c, &want, sizeof c);
    }
}

static void test_dispositions(void **state) {
    (void)state;
    assert_int_equal(message_disposition(MSG_QUEUED), DISP_NONE);
    assert_int_equal(message_disposition(MSG_SENT), DISP_SENT);
    assert_int_equal(message_disposition(MSG_DELIVERED), DISP_DELIVERED);
    assert_int_equal(message_disposition(MSG_READ), DISP_READ);
    assert_int_equal(message_disposition(MSG_FAILED), DISP_FAILED);
    assert_int_equal(message_disposition(MSG_UNDELIVERED), DISP_UNDELIVERED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustive),
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_dispositions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
