/* strpool_test.c - tests of util/strpool.c: every string added reads back
 * intact (NUL-terminated, embedded bytes kept) after many chunks were
 * filled, so no later add moves or overwrites an earlier one; strings
 * larger than a chunk, empty strings, and a big string added first and
 * between small ones; strpool_free on an empty pool and twice. Leaks show
 * under the ASan build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/strpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANY 50000

static void test_many_strings_stay(void **state) {
    (void)state;
    struct strpool p;
    strpool_init(&p);
    char **got = malloc(MANY * sizeof *got);
    assert_non_null(got);
    for (size_t i = 0; i < MANY; i++) {
        char tmp[64];
        int n = snprintf(tmp, sizeof tmp, "{\"name\":\"Person %zu\"}", i);
        got[i] = strpool_add(&p, tmp, (size_t)n);
    }
    for (size_t i = 0; i < MANY; i++) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "{\"name\":\"Person %zu\"}", i);
        assert_string_equal(got[i], tmp);
    }
    free(got);
    strpool_free(&p);
    assert_null(p.head);
}

static void test_big_and_empty(void **state) {
    (void)state;
    struct strpool p;
    strpool_init(&p);
    size_t big_n = 200 * 1024;
    char *big = malloc(big_n);
    assert_non_null(big);
    memset(big, 'x', big_n);
    char *b1 = strpool_add(&p, big, big_n); /* first add is big */
    char *e = strpool_add(&p, "", 0);
    char *s1 = strpool_add(&p, "ab\0cd", 5); /* embedded NUL kept */
    char *b2 = strpool_add(&p, big, big_n);
    char *s2 = strpool_add(&p, "after", 5);
    assert_int_equal(strlen(b1), big_n);
    assert_int_equal(strlen(b2), big_n);
    assert_string_equal(e, "");
    assert_memory_equal(s1, "ab\0cd", 6);
    assert_string_equal(s2, "after");
    assert_true(s2 == s1 + 6); /* the big one did not interrupt filling */
    free(big);
    strpool_free(&p);
    strpool_free(&p); /* twice is harmless */
}

static void test_empty_pool(void **state) {
    (void)state;
    struct strpool p;
    strpool_init(&p);
    strpool_free(&p);
    assert_null(p.head);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_strings_stay),
        cmocka_unit_test(test_big_and_empty),
        cmocka_unit_test(test_empty_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
