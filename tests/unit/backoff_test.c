/* backoff_test.c - the engine's backoff on a failing store
 * (engine/backoff.c): the delay doubles from the minimum to the cap, a few
 * lines while it grows then one per note interval, waiting until retry_at,
 * and a success ends the episode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/backoff.h"

static void test_delay_doubles_up_to_the_cap(void **state) {
    (void)state;
    struct backoff b = {0};
    int64_t now = 1000000;
    assert_false(backoff_waiting(&b, now));
    int64_t last = 0;
    for (int i = 0; i < 20; i++) {
        backoff_failed(&b, now);
        assert_true(b.delay_ms >= BACKOFF_MIN_MS && b.delay_ms <= BACKOFF_MAX_MS);
        assert_true(b.delay_ms >= last); /* never shorter */
        if (last && last < BACKOFF_MAX_MS)
            assert_true(b.delay_ms == 2 * last || b.delay_ms == BACKOFF_MAX_MS);
        assert_int_equal(b.retry_at, now + b.delay_ms);
        assert_true(backoff_waiting(&b, now));
        assert_true(backoff_waiting(&b, b.retry_at - 1));
        assert_false(backoff_waiting(&b, b.retry_at));
        last = b.delay_ms;
        now = b.retry_at;
    }
    assert_int_equal(b.delay_ms, BACKOFF_MAX_MS);
    assert_int_equal(b.failures, 20);
}

static void test_lines_per_change_then_one_per_note_interval(void **state) {
    (void)state;
    struct backoff b = {0};
    int64_t now = 0;
    long lines = 0, tries = 0;
    /* an hour of failures, retried as soon as allowed */
    while (now < 3600 * 1000) {
        if (backoff_failed(&b, now) != BACKOFF_QUIET)
            lines++;
        tries++;
        now = b.retry_at;
    }
    /* min .. cap is 6 changes; then one line a minute */
    assert_true(lines <= 8 + 3600 / (BACKOFF_NOTE_MS / 1000));
    assert_true(lines >= 3600 / (BACKOFF_NOTE_MS / 1000));
    assert_true(tries >= 3600 * 1000 / BACKOFF_MAX_MS);
    assert_true(tries <= 3600 * 1000 / BACKOFF_MAX_MS + 10);
}

static void test_success_ends_the_episode(void **state) {
    (void)state;
    struct backoff b = {0};
    assert_false(backoff_succeeded(&b, 0)); /* nothing to end */
    assert_int_equal(backoff_failed(&b, 10), BACKOFF_LONGER);
    backoff_failed(&b, b.retry_at);
    assert_int_equal(b.since, 10);
    int64_t ok = b.retry_at;
    assert_false(backoff_succeeded(&b, ok)); /* one success: not yet calm */
    assert_false(backoff_waiting(&b, ok));   /* but the next pass runs at once */
    assert_false(backoff_succeeded(&b, ok + BACKOFF_CALM_MS - 1));
    assert_true(backoff_succeeded(&b, ok + BACKOFF_CALM_MS));
    assert_false(backoff_waiting(&b, ok + BACKOFF_CALM_MS));
    assert_int_equal(b.failures, 0);
    /* the next episode starts over at the minimum */
    backoff_failed(&b, 5000);
    assert_int_equal(b.delay_ms, BACKOFF_MIN_MS);
    assert_int_equal(b.since, 5000);
}

/* A store that takes one small write now and then (a nearly full disk):
 * the episode goes on, the delay keeps growing from where it was, and the
 * lines stay a handful, never one per flap. */
static void test_flapping_store_stays_one_episode(void **state) {
    (void)state;
    struct backoff b = {0};
    int64_t now = 0;
    int lines = backoff_failed(&b, now) != BACKOFF_QUIET;
    for (int i = 0; i < 200; i++) {
        now = b.retry_at;
        assert_false(backoff_succeeded(&b, now));
        now += 5;
        lines += backoff_failed(&b, now) != BACKOFF_QUIET;
    }
    assert_int_equal(b.delay_ms, BACKOFF_MAX_MS);
    assert_int_equal(b.since, 0);
    assert_int_equal(b.failures, 201);
    /* 100 ms doubling to the 5 s cap: 7 lines, plus a "still" per minute */
    assert_true(lines <= 7 + (int)(now / BACKOFF_NOTE_MS) + 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delay_doubles_up_to_the_cap),
        cmocka_unit_test(test_lines_per_change_then_one_per_note_interval),
        cmocka_unit_test(test_success_ends_the_episode),
        cmocka_unit_test(test_flapping_store_stays_one_episode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
