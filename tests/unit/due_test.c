/* due_test.c - tests of domain/due.c, "when may a queued recipient run":
 * the latest of now, due_at and schedule.start_at; then the next window
 * opening (fixed zone, and per recipient zones); zones whose windows never
 * meet look again a day ahead (or at the later instant); DUE_NEVER stays;
 * end_at ends everything at and after it; the engine's lane question
 * (due_lane_ready) against an independently written expectation over a
 * grid of due, start and end times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/due.h"

#include <stdio.h>
#include <string.h>

#define H 3600000LL
#define DAY (24 * H)
/* 2024-01-01T00:00:00Z, a Monday */
#define MON 1704067200000LL

static struct due_rules window_9_17(const char *zone, int per_recipient) {
    struct due_rules r;
    memset(&r, 0, sizeof r);
    r.has_window = 1;
    r.window.start = 9 * 60;
    r.window.end = 17 * 60;
    r.window.days = 0x7f;
    r.window.per_recipient = per_recipient;
    snprintf(r.window.zone, sizeof r.window.zone, "%s", zone);
    return r;
}

static void test_no_rules(void **state) {
    (void)state;
    struct due_rules r = {0};
    assert_int_equal(due_earliest(&r, 0, NULL, 1000), 1000);
    assert_int_equal(due_earliest(&r, 999, NULL, 1000), 1000);
    assert_int_equal(due_earliest(&r, 5000, NULL, 1000), 5000);
    assert_true(due_earliest(&r, DUE_NEVER, NULL, 1000) == DUE_NEVER);
    assert_false(due_ended(&r, 1000));
}

static void test_start_at(void **state) {
    (void)state;
    struct due_rules r = {.start_at = 10000};
    assert_int_equal(due_earliest(&r, 0, NULL, 1000), 10000);
    assert_int_equal(due_earliest(&r, 20000, NULL, 1000), 20000);
    assert_int_equal(due_earliest(&r, 0, NULL, 30000), 30000);
}

static void test_end_at(void **state) {
    (void)state;
    struct due_rules r = {.end_at = 10000};
    assert_false(due_ended(&r, 9999));
    assert_true(due_ended(&r, 10000));
    assert_true(due_ended(&r, 10001));
    /* end_at is not due_earliest's business */
    assert_int_equal(due_earliest(&r, 20000, NULL, 1000), 20000);
}

static void test_window_fixed_zone(void **state) {
    (void)state;
    struct due_rules r = window_9_17("UTC", 0);
    assert_int_equal(due_earliest(&r, 0, NULL, MON + 10 * H), MON + 10 * H); /* open */
    assert_int_equal(due_earliest(&r, 0, NULL, MON + 3 * H), MON + 9 * H);
    assert_int_equal(due_earliest(&r, 0, NULL, MON + 18 * H), MON + DAY + 9 * H);
    /* a retry due after today's close: tomorrow's opening */
    assert_int_equal(due_earliest(&r, MON + 17 * H, NULL, MON + 10 * H), MON + DAY + 9 * H);
    /* start_at before the window */
    r.start_at = MON + 2 * DAY;
    assert_int_equal(due_earliest(&r, 0, NULL, MON), MON + 2 * DAY + 9 * H);
    /* zones are not read for a fixed zone */
    r.start_at = 0;
    assert_int_equal(due_earliest(&r, 0, "Asia/Tokyo", MON + 3 * H), MON + 9 * H);
}

static void test_window_per_recipient(void **state) {
    (void)state;
    struct due_rules r = window_9_17("UTC", 1);
    /* 10:00 UTC is 19:00 in Tokyo: closed; it opens at 00:00 UTC next day */
    assert_int_equal(due_earliest(&r, 0, "Asia/Tokyo", MON + 10 * H), MON + DAY);
    /* unknown zones: the window's own zone */
    assert_int_equal(due_earliest(&r, 0, NULL, MON + 10 * H), MON + 10 * H);
    /* zones whose windows never meet: a day ahead */
    int64_t at = due_earliest(&r, 0, "Asia/Tokyo&America/New_York", MON + 10 * H);
    assert_int_equal(at, MON + 10 * H + DUE_RECHECK_MS);
    /* ... or the later due time when that is later */
    at = due_earliest(&r, MON + 5 * DAY, "Asia/Tokyo&America/New_York", MON + 10 * H);
    assert_int_equal(at, MON + 5 * DAY);
    /* DUE_NEVER never reaches the window */
    assert_true(due_earliest(&r, DUE_NEVER, "Asia/Tokyo", MON) == DUE_NEVER);
}

/* The engine's question, against a plain restatement of the rule. */
static void test_lane_ready_grid(void **state) {
    (void)state;
    const int64_t times[] = {0, 1, 500, 999, 1000, 1001, 2000, DUE_NEVER};
    const int64_t now = 1000;
    for (size_t a = 0; a < 8; a++)
        for (size_t b = 0; b < 7; b++)
            for (size_t c = 0; c < 7; c++) {
                int64_t due = times[a], start = times[b], end = times[c];
                struct due_rules r = {.start_at = start, .end_at = end};
                int want = due != DUE_NEVER && due <= now && start <= now && !(end && end <= now);
                assert_int_equal(due_lane_ready(&r, due, now), want);
            }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_rules),
        cmocka_unit_test(test_start_at),
        cmocka_unit_test(test_end_at),
        cmocka_unit_test(test_window_fixed_zone),
        cmocka_unit_test(test_window_per_recipient),
        cmocka_unit_test(test_lane_ready_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
