/* fairness_test.c - fair_share (engine/fairness.c): a lane's starts shared
 * among its campaigns with due work: totals, even shares, the remainder
 * given in round-robin order, rotation across passes, and a simulated big
 * and small campaign sharing a lane. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/fairness.h"

static void test_nothing_due_or_no_budget(void **state) {
    (void)state;
    int due[3] = {0, 0, 0};
    size_t want[3] = {9, 9, 9};
    assert_int_equal(fair_share(due, 3, 0, 10, want), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(want[i], 0);
    int due2[2] = {1, 1};
    assert_int_equal(fair_share(due2, 2, 0, 0, want), 0);
    assert_int_equal(want[0] + want[1], 0);
}

static void test_even_split_and_remainder_in_turn_order(void **state) {
    (void)state;
    int due[4] = {1, 0, 1, 1};
    size_t want[4];
    /* 7 starts over 3 due campaigns: 2 each, and the first one in turn
     * order from rr = 2 (campaign 2) gets the extra */
    assert_int_equal(fair_share(due, 4, 2, 7, want), 7);
    assert_int_equal(want[0], 2);
    assert_int_equal(want[1], 0);
    assert_int_equal(want[2], 3);
    assert_int_equal(want[3], 2);
    /* from rr = 3: campaign 3 gets it */
    fair_share(due, 4, 3, 7, want);
    assert_int_equal(want[3], 3);
    assert_int_equal(want[2], 2);
}

static void test_fewer_starts_than_campaigns_rotate(void **state) {
    (void)state;
    int due[3] = {1, 1, 1};
    size_t want[3], got[3] = {0, 0, 0};
    /* one start a pass, rr moving on by one: each campaign gets a third */
    for (size_t pass = 0; pass < 300; pass++) {
        assert_int_equal(fair_share(due, 3, pass % 3, 1, want), 1);
        for (int i = 0; i < 3; i++)
            got[i] += want[i];
    }
    assert_int_equal(got[0], 100);
    assert_int_equal(got[1], 100);
    assert_int_equal(got[2], 100);
}

static void test_big_campaign_cannot_starve_small(void **state) {
    (void)state;
    /* campaign 0 has 10,000 queued, campaign 1 has 100; 3 starts a pass */
    long left[2] = {10000, 100};
    long started[2] = {0, 0};
    size_t pass = 0, small_done_at = 0;
    while (left[0] + left[1] > 0 && pass < 100000) {
        int due[2] = {left[0] > 0, left[1] > 0};
        size_t want[2];
        fair_share(due, 2, pass % 2, 3, want);
        for (int i = 0; i < 2; i++) {
            long w = (long)want[i] < left[i] ? (long)want[i] : left[i];
            left[i] -= w;
            started[i] += w;
        }
        if (left[1] == 0 && !small_done_at)
            small_done_at = pass + 1;
        pass++;
    }
    assert_int_equal(started[0], 10000);
    assert_int_equal(started[1], 100);
    /* the small one took half the lane while both ran: done in ~67 passes,
     * not after the big one's 3,334 */
    assert_true(small_done_at <= 70);
}

static void test_sum_is_budget_whenever_something_is_due(void **state) {
    (void)state;
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 10000; round++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = 1 + x % 9, budget = (x >> 8) % 50, rr = (x >> 20) % n;
        int due[9];
        size_t ndue = 0;
        for (size_t i = 0; i < n; i++) {
            due[i] = (x >> (30 + i)) & 1;
            ndue += due[i];
        }
        size_t want[9];
        size_t total = fair_share(due, n, rr, budget, want);
        size_t sum = 0, lo = (size_t)-1, hi = 0;
        for (size_t i = 0; i < n; i++) {
            sum += want[i];
            if (!due[i])
                assert_int_equal(want[i], 0);
            else {
                lo = want[i] < lo ? want[i] : lo;
                hi = want[i] > hi ? want[i] : hi;
            }
        }
        assert_int_equal(sum, total);
        assert_int_equal(total, ndue ? budget : 0);
        if (ndue)
            assert_true(hi - lo <= 1); /* shares differ by at most one */
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_due_or_no_budget),
        cmocka_unit_test(test_even_split_and_remainder_in_turn_order),
        cmocka_unit_test(test_fewer_starts_than_campaigns_rotate),
        cmocka_unit_test(test_big_campaign_cannot_starve_small),
        cmocka_unit_test(test_sum_is_budget_whenever_something_is_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
