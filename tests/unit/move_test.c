/* move_test.c - tests of domain/move.c: every move between every pair of
 * recipient states (status x disposition, null included) gives a delta that
 * keeps total = queued + dispatched + succeeded + failed and counts
 * dispositions of terminal recipients only, compared with counts taken
 * independently (two one-recipient counter snapshots, before and after);
 * the claim, the throttle give-back and the failures of queued recipients
 * only move from their one expected status; deltas add, scale and apply to
 * counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/move.h"

#include <string.h>

/* The counters of a campaign holding one recipient in (s, d), counted
 * the way the contract states them. */
static struct counters one(enum recipient_status s, enum disposition d) {
    struct counters c;
    memset(&c, 0, sizeof c);
    c.total = 1;
    if (s == RECIPIENT_QUEUED)
        c.queued = 1;
    if (s == RECIPIENT_DISPATCHED)
        c.dispatched = 1;
    if (s == RECIPIENT_SUCCEEDED)
        c.succeeded = 1;
    if (s == RECIPIENT_FAILED)
        c.failed = 1;
    if ((s == RECIPIENT_SUCCEEDED || s == RECIPIENT_FAILED) && d != DISP_NONE)
        c.dispositions[d] = 1;
    return c;
}

static void test_every_pair_balanced_and_exact(void **state) {
    (void)state;
    int n = 0;
    for (int fs = 0; fs < RECIPIENT_STATUS_COUNT; fs++)
        for (int fd = DISP_NONE; fd < DISP_COUNT; fd++)
            for (int ts = 0; ts < RECIPIENT_STATUS_COUNT; ts++)
                for (int td = DISP_NONE; td < DISP_COUNT; td++) {
                    /* a terminal row without a disposition is not a state */
                    if ((fs == RECIPIENT_SUCCEEDED || fs == RECIPIENT_FAILED) && fd == DISP_NONE)
                        continue;
                    if ((ts == RECIPIENT_SUCCEEDED || ts == RECIPIENT_FAILED) && td == DISP_NONE)
                        continue;
                    struct recipient_row from = {fs, fd, 0}, to = {ts, td, 5};
                    struct recipient_move m;
                    recipient_move_make(&m, &from, &to);
                    assert_int_equal(m.moves, 1);
                    assert_true(counter_delta_balanced(&m.delta));
                    assert_int_equal(m.delta.total, 0);
                    /* apply to a campaign of one recipient: matches a fresh count */
                    struct counters c = one(fs, fd), want = one(ts, td);
                    counters_apply_delta(&c, &m.delta);
                    assert_memory_equal(&c, &want, sizeof c);
                    assert_true(counters_consistent(&c));
                    n++;
                }
    assert_true(n > 1000);
}

static void test_none(void **state) {
    (void)state;
    struct recipient_row at = {RECIPIENT_FAILED, DISP_BUSY, 7};
    struct recipient_move m;
    memset(&m, 0x5a, sizeof m);
    recipient_move_none(&m, &at);
    assert_int_equal(m.moves, 0);
    assert_true(counter_delta_is_zero(&m.delta));
    assert_memory_equal(&m.from, &at, sizeof at);
    assert_memory_equal(&m.to, &at, sizeof at);
}

/* The special moves, from every state: they move from exactly one status. */
static void test_claim_unclaim_fail_from_every_state(void **state) {
    (void)state;
    for (int s = 0; s < RECIPIENT_STATUS_COUNT; s++)
        for (int d = DISP_NONE; d < DISP_COUNT; d++) {
            struct recipient_row r = {s, d, 99};
            struct recipient_move m;
            move_claim(&r, &m);
            assert_int_equal(m.moves, s == RECIPIENT_QUEUED);
            if (m.moves) {
                assert_int_equal(m.to.status, RECIPIENT_DISPATCHED);
                assert_int_equal(m.to.disposition, d);
                assert_int_equal(m.delta.queued, -1);
                assert_int_equal(m.delta.dispatched, 1);
            } else {
                assert_true(counter_delta_is_zero(&m.delta));
            }
            assert_true(counter_delta_balanced(&m.delta));

            move_unclaim(&r, 1234, &m);
            assert_int_equal(m.moves, s == RECIPIENT_DISPATCHED);
            if (m.moves) {
                assert_int_equal(m.to.status, RECIPIENT_QUEUED);
                assert_int_equal(m.to.due_at, 1234);
                assert_int_equal(m.delta.queued, 1);
                assert_int_equal(m.delta.dispatched, -1);
            }
            assert_true(counter_delta_balanced(&m.delta));

            for (int fd = DISP_NONE; fd <= DISP_COUNT; fd++) {
                move_fail_queued(&r, fd, &m);
                int want = s == RECIPIENT_QUEUED && fd != DISP_NONE && fd != DISP_COUNT;
                assert_int_equal(m.moves, want);
                if (want) {
                    assert_int_equal(m.to.status, RECIPIENT_FAILED);
                    assert_int_equal(m.to.disposition, fd);
                    assert_int_equal(m.to.due_at, 0);
                    assert_int_equal(m.delta.queued, -1);
                    assert_int_equal(m.delta.failed, 1);
                    assert_int_equal(m.delta.disp[fd], 1);
                }
                assert_true(counter_delta_balanced(&m.delta));
            }
        }
}

static void test_add_scale_zero_balanced(void **state) {
    (void)state;
    struct counter_delta sum = {0}, d = {0};
    assert_true(counter_delta_is_zero(&sum));
    counter_delta_move(&d, RECIPIENT_QUEUED, DISP_NONE, RECIPIENT_FAILED, DISP_EXPIRED);
    counter_delta_add(&sum, &d, 64);
    assert_int_equal(sum.queued, -64);
    assert_int_equal(sum.failed, 64);
    assert_int_equal(sum.disp[DISP_EXPIRED], 64);
    assert_true(counter_delta_balanced(&sum));
    assert_false(counter_delta_is_zero(&sum));
    sum.total = 1; /* an upload must add to queued as well */
    assert_false(counter_delta_balanced(&sum));
    sum.queued++;
    assert_true(counter_delta_balanced(&sum));
    sum.disp[DISP_READ]++;
    assert_false(counter_delta_balanced(&sum));
    /* an unknown status changes nothing */
    struct counter_delta z = {0};
    counter_delta_move(&z, RECIPIENT_STATUS_COUNT, DISP_NONE, RECIPIENT_QUEUED, DISP_NONE);
    assert_true(counter_delta_is_zero(&z));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair_balanced_and_exact),
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_claim_unclaim_fail_from_every_state),
        cmocka_unit_test(test_add_scale_zero_balanced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
