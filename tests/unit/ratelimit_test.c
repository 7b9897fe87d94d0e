/* ratelimit_test.c - ratelimit_allow (util/ratelimit.c): the first line
 * passes, the window holds back and counts the rest, the next line reports
 * how many were held back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/ratelimit.h"

static void test_one_line_per_window_with_the_count_held_back(void **state) {
    (void)state;
    struct ratelimit r = RATELIMIT_INIT;
    long held = -1;
    assert_true(ratelimit_allow(&r, 1000, 10000, &held));
    assert_int_equal(held, 0);
    for (int i = 0; i < 25000; i++)
        assert_false(ratelimit_allow(&r, 1000 + i % 9000, 10000, &held));
    assert_false(ratelimit_allow(&r, 10999, 10000, &held));
    assert_true(ratelimit_allow(&r, 11000, 10000, &held));
    assert_int_equal(held, 25001);
    assert_false(ratelimit_allow(&r, 11001, 10000, &held));
    assert_true(ratelimit_allow(&r, 99999, 10000, &held));
    assert_int_equal(held, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_line_per_window_with_the_count_held_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
