/* ids_test.c - tests of util/ids.c: prefix and length of ids_new, the base62
 * alphabet, uniqueness over 10,000 draws, a rough uniformity check of the
 * characters, long prefixes truncated within IDS_MAX_LEN, ids_random_base62
 * bounds, the time prefix's order, and ids_valid on good and hostile
 * strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int is_base62(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void test_shape(void **state) {
    (void)state;
    const char *prefixes[] = {"cmp_", "acct_", "rcp_", "x", ""};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        char id[IDS_MAX_LEN];
        ids_new(prefixes[i], id);
        size_t plen = strlen(prefixes[i]);
        assert_int_equal(strlen(id), plen + IDS_CHARS);
        assert_memory_equal(id, prefixes[i], plen);
        for (size_t k = plen; id[k]; k++)
            if (!is_base62(id[k]))
                fail_msg("%s: %c not base62", id, id[k]);
        if (plen)
            assert_int_equal(ids_valid(id, prefixes[i]), 1);
    }
}

static int cmp(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

static void test_unique_and_uniform(void **state) {
    (void)state;
    enum { N = 10000 };
    char(*ids)[IDS_MAX_LEN] = malloc(sizeof *ids * N);
    assert_non_null(ids);
    long counts[256] = {0};
    for (int i = 0; i < N; i++) {
        ids_new("cmp_", ids[i]);
        for (const char *p = ids[i] + 4 + IDS_TIME_CHARS; *p; p++)
            counts[(unsigned char)*p]++;
    }
    qsort(ids, N, sizeof *ids, cmp);
    for (int i = 1; i < N; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("duplicate id %s", ids[i]);
    /* 160,000 random characters over 62 symbols: about 2581 each, sd about 50 */
    for (int c = 0; c < 256; c++) {
        if (!is_base62((char)c)) {
            assert_int_equal(counts[c], 0);
            continue;
        }
        if (counts[c] < 2250 || counts[c] > 2900)
            fail_msg("character %c drawn %ld times of 160000", c, counts[c]);
    }
    free(ids);
}

/* The time prefix: fixed width, and its order is the order of the times,
 * so ids of one type sort by creation. */
static void test_time_order(void **state) {
    (void)state;
    const int64_t times[] = {0,
                             1,
                             61,
                             62,
                             3843,
                             3844,
                             999999999,
                             1765000000000,
                             1765000000001,
                             1765000000062,
                             4102444800000 /* 2100 */};
    char prev[IDS_TIME_CHARS + 1] = "", cur[IDS_TIME_CHARS + 1];
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        ids_time_base62(times[i], cur);
        cur[IDS_TIME_CHARS] = '\0';
        for (int k = 0; k < IDS_TIME_CHARS; k++)
            assert_true(is_base62(cur[k]));
        if (i)
            assert_true(strcmp(prev, cur) < 0);
        memcpy(prev, cur, sizeof cur);
    }
    ids_time_base62(0, cur);
    assert_memory_equal(cur, "00000000", IDS_TIME_CHARS);
    ids_time_base62(-5, cur); /* before the epoch: clamped */
    assert_memory_equal(cur, "00000000", IDS_TIME_CHARS);
    /* two ids a few milliseconds apart */
    char a[IDS_MAX_LEN], b[IDS_MAX_LEN];
    ids_new("rcp_", a);
    struct timespec ts = {0, 3 * 1000 * 1000};
    nanosleep(&ts, NULL);
    ids_new("rcp_", b);
    assert_true(strcmp(a, b) < 0);
    assert_true(memcmp(a + 4 + IDS_TIME_CHARS, b + 4 + IDS_TIME_CHARS, IDS_RANDOM_CHARS) != 0);
}

static void test_long_prefix(void **state) {
    (void)state;
    char buf[IDS_MAX_LEN + 16];
    memset(buf, '#', sizeof buf);
    const char *prefix = "a_very_long_prefix_that_does_not_fit_in_the_id_";
    ids_new(prefix, buf);
    size_t len = strlen(buf);
    assert_true(len < IDS_MAX_LEN);
    assert_int_equal(len, IDS_MAX_LEN - 1);
    for (size_t k = IDS_MAX_LEN; k < sizeof buf; k++)
        assert_int_equal(buf[k], '#'); /* nothing written past IDS_MAX_LEN */
    for (size_t k = len - IDS_RANDOM_CHARS; k < len; k++)
        assert_true(is_base62(buf[k]));
}

static void test_random_base62(void **state) {
    (void)state;
    char buf[300];
    for (size_t n = 0; n < 256; n++) {
        memset(buf, '#', sizeof buf);
        ids_random_base62(buf, n);
        assert_int_equal(strlen(buf), n);
        for (size_t k = 0; k < n; k++)
            assert_true(is_base62(buf[k]));
        for (size_t k = n + 1; k < sizeof buf; k++)
            assert_int_equal(buf[k], '#');
    }
    char a[65], b[65];
    ids_random_base62(a, 64);
    ids_random_base62(b, 64);
    assert_string_not_equal(a, b);
}

static void test_valid(void **state) {
    (void)state;
    char s[128];
    /* 1..40 base62 characters after the prefix */
    for (int n = 0; n <= 45; n++) {
        snprintf(s, sizeof s, "cmp_");
        memset(s + 4, 'Z', (size_t)n);
        s[4 + n] = '\0';
        assert_int_equal(ids_valid(s, "cmp_"), n >= 1 && n <= 40);
    }
    const char *bad[] = {
        "",           "cmp",       "cmp_",         "cmpx_abc",    "CMP_abc",
        "acct_abc",   "_cmp_abc",  " cmp_abc",     "cmp_abc ",    "cmp_abc\n",
        "cmp_ab-c",   "cmp_ab_c",  "cmp_ab.c",     "cmp_ab/c",    "cmp_../x",
        "cmp_abc%00", "cmp_'or'1", "cmp_\xc3\xa9", "cmp_abc\xff", "cmp_abc\x01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ids_valid(bad[i], "cmp_") != 0)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(ids_valid("cmp_a", "cmp_"), 1);
    assert_int_equal(ids_valid("cmp_0aZ9", "cmp_"), 1);
    assert_int_equal(ids_valid("acct_abc", "acct_"), 1);
    assert_int_equal(ids_valid("acct_abc", "cmp_"), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),         cmocka_unit_test(test_unique_and_uniform),
        cmocka_unit_test(test_time_order),    cmocka_unit_test(test_long_prefix),
        cmocka_unit_test(test_random_base62), cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
