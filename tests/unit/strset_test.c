/* strset_test.c - tests of util/strset.c: a set of borrowed strings.
 * strset_add answers 1 for a new string and 0 for one already present
 * (compared by content, not pointer); 100,000 distinct strings all found
 * again after many growths; duplicates detected across growths; the table
 * stays at most half full with a power-of-two capacity; an `expected`
 * hint sizes it so that many adds need no growth; empty, long and
 * prefix-sharing strings; a set built from 0 grows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/strset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANY 100000

/* MANY distinct strings "+1555" + a number, each its own allocation. */
static char **make_numbers(size_t n, const char *fmt) {
    char **v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, fmt, i);
        v[i] = strdup(tmp);
        assert_non_null(v[i]);
    }
    return v;
}

static void free_strings(char **v, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int is_pow2(size_t x) {
    return x && (x & (x - 1)) == 0;
}

static void check_shape(const struct strset *s, size_t want_count) {
    assert_int_equal(s->count, want_count);
    assert_true(is_pow2(s->cap));
    if (s->count * 2 > s->cap)
        fail_msg("more than half full: %zu of %zu", s->count, s->cap);
    size_t used = 0;
    for (size_t i = 0; i < s->cap; i++)
        used += s->slots[i] != NULL;
    assert_int_equal(used, want_count);
}

static void test_basic(void **state) {
    (void)state;
    struct strset s;
    strset_init(&s, 4);
    assert_int_equal(strset_add(&s, "alpha"), 1);
    assert_int_equal(strset_add(&s, "beta"), 1);
    assert_int_equal(strset_add(&s, "alpha"), 0);
    /* equal content at another address is a duplicate */
    char copy[] = "beta";
    assert_int_equal(strset_add(&s, copy), 0);
    /* prefixes and extensions are different strings */
    assert_int_equal(strset_add(&s, "alph"), 1);
    assert_int_equal(strset_add(&s, "alphaa"), 1);
    assert_int_equal(strset_add(&s, "Alpha"), 1);
    /* the empty string is a member like any other */
    assert_int_equal(strset_add(&s, ""), 1);
    assert_int_equal(strset_add(&s, ""), 0);
    check_shape(&s, 6);
    strset_free(&s);
    assert_null(s.slots);
}

static void test_many_distinct_then_all_duplicates(void **state) {
    (void)state;
    char **v = make_numbers(MANY, "+1555%07zu");
    struct strset s;
    strset_init(&s, 0); /* no hint: grows all the way */
    size_t initial_cap = s.cap;
    for (size_t i = 0; i < MANY; i++)
        if (strset_add(&s, v[i]) != 1)
            fail_msg("distinct string %zu (%s) reported as a duplicate", i, v[i]);
    check_shape(&s, MANY);
    assert_true(s.cap > initial_cap); /* it grew */
    assert_true(s.cap >= 2 * (size_t)MANY);
    /* copies of every string, at new addresses, in reverse order */
    char **again = make_numbers(MANY, "+1555%07zu");
    for (size_t i = MANY; i-- > 0;)
        if (strset_add(&s, again[i]) != 0)
            fail_msg("duplicate %zu (%s) not detected", i, again[i]);
    check_shape(&s, MANY);
    strset_free(&s);
    free_strings(again, MANY);
    free_strings(v, MANY);
}

/* Duplicates interleaved with new strings are found across every growth:
 * after each add of string i, string i/2 (already present) is re-added. */
static void test_duplicates_across_growth(void **state) {
    (void)state;
    char **v = make_numbers(MANY, "k%zu");
    struct strset s;
    strset_init(&s, 1);
    size_t growths = 0, cap = s.cap;
    for (size_t i = 0; i < MANY; i++) {
        assert_int_equal(strset_add(&s, v[i]), 1);
        if (strset_add(&s, v[i / 2]) != 0)
            fail_msg("after adding %zu: %s not found", i, v[i / 2]);
        if (s.cap != cap) {
            growths++;
            cap = s.cap;
            if (s.count * 2 > s.cap)
                fail_msg("over half full after growth: %zu of %zu", s.count, s.cap);
        }
    }
    assert_true(growths >= 10);
    check_shape(&s, MANY);
    strset_free(&s);
    free_strings(v, MANY);
}

/* With `expected` given, that many adds fit without growth. */
static void test_expected_hint(void **state) {
    (void)state;
    char **v = make_numbers(MANY, "+44%010zu");
    struct strset s;
    strset_init(&s, MANY);
    size_t cap = s.cap;
    assert_true(is_pow2(cap));
    assert_true(cap >= 2 * (size_t)MANY);
    for (size_t i = 0; i < MANY; i++)
        assert_int_equal(strset_add(&s, v[i]), 1);
    assert_int_equal(s.cap, cap);
    check_shape(&s, MANY);
    strset_free(&s);
    free_strings(v, MANY);
}

/* Strings that differ only in their last byte, only in length, or that are
 * long: hashing and comparison look at every byte. */
static void test_similar_and_long(void **state) {
    (void)state;
    enum { LONG = 5000, N = 256 };
    char *base = malloc(LONG + 2);
    assert_non_null(base);
    memset(base, 'x', LONG);
    base[LONG + 1] = '\0';
    char *v[N];
    for (int i = 0; i < N; i++) {
        v[i] = malloc(LONG + 2);
        assert_non_null(v[i]);
        memcpy(v[i], base, LONG);
        v[i][LONG] = (char)(i == 0 ? 1 : i); /* last byte 1..255 */
        v[i][LONG + 1] = '\0';
    }
    struct strset s;
    strset_init(&s, 2);
    for (int i = 1; i < N; i++)
        assert_int_equal(strset_add(&s, v[i]), 1);
    assert_int_equal(strset_add(&s, v[0]), 0); /* v[0] equals v[1] */
    base[LONG] = '\0';                         /* the common prefix alone */
    assert_int_equal(strset_add(&s, base), 1);
    for (int i = 1; i < N; i++)
        assert_int_equal(strset_add(&s, v[i]), 0);
    check_shape(&s, N);
    strset_free(&s);
    for (int i = 0; i < N; i++)
        free(v[i]);
    free(base);
}

/* Random strings checked against a sorted reference: exactly the first
 * occurrence of each distinct string is reported new. */
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_random_against_reference(void **state) {
    (void)state;
    enum { N = 50000 };
    uint64_t x = 0x9e3779b97f4a7c15ull;
    char **v = malloc(N * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        char tmp[8];
        size_t len = x % 4; /* short strings over a small alphabet collide */
        for (size_t k = 0; k < len; k++)
            tmp[k] = (char)('a' + (x >> (8 * (k + 1))) % 6);
        tmp[len] = '\0';
        v[i] = strdup(tmp);
        assert_non_null(v[i]);
    }
    struct strset s;
    strset_init(&s, 0);
    size_t added = 0;
    for (size_t i = 0; i < N; i++) {
        int seen_before = 0;
        for (size_t k = 0; k < i && !seen_before; k++)
            seen_before = strcmp(v[k], v[i]) == 0;
        int rc = strset_add(&s, v[i]);
        if (rc != !seen_before)
            fail_msg("string %zu \"%s\": got %d, want %d", i, v[i], rc, !seen_before);
        added += (size_t)rc;
        if (i == 2000)
            break; /* the quadratic reference is slow: the rest uses sorting */
    }
    char **sorted = malloc(N * sizeof *sorted);
    assert_non_null(sorted);
    memcpy(sorted, v, N * sizeof *v);
    qsort(sorted, N, sizeof *sorted, cmp_str);
    size_t distinct = 0;
    for (size_t i = 0; i < N; i++)
        distinct += i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0;
    for (size_t i = 2001; i < N; i++)
        added += (size_t)strset_add(&s, v[i]);
    assert_int_equal(added, distinct);
    check_shape(&s, distinct);
    free(sorted);
    strset_free(&s);
    free_strings(v, N);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_many_distinct_then_all_duplicates),
        cmocka_unit_test(test_duplicates_across_growth),
        cmocka_unit_test(test_expected_hint),
        cmocka_unit_test(test_similar_and_long),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
