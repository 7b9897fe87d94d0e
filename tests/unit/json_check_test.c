/* json_check_test.c - tests of util/json_check.c: json_prescan counts
 * containers and items outside strings (escaped quotes and brackets inside
 * strings do not count) and stops at the limits; json_find_unsafe finds
 * NUL in strings and nesting past the limit, names the path as the
 * contract writes fields, skips the named top-level member, and cuts a long
 * path without overflowing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "util/json_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int prescan(const char *s, size_t containers, size_t items) {
    struct json_limits lim = {.max_containers = containers, .max_items = items};
    return json_prescan(s, strlen(s), &lim);
}

static void test_prescan_counts(void **state) {
    (void)state;
    assert_int_equal(prescan("{}", 1, 2), JSON_CHECK_OK);
    assert_int_equal(prescan("{}", 0, 10), JSON_CHECK_TOO_MANY);
    assert_int_equal(prescan("[{},{},{}]", 4, 100), JSON_CHECK_OK);
    assert_int_equal(prescan("[{},{},{}]", 3, 100), JSON_CHECK_TOO_MANY);
    /* 3 pairs: 3 colons and 2 commas, plus the object and the top */
    assert_int_equal(prescan("{\"a\":1,\"b\":2,\"c\":3}", 10, 7), JSON_CHECK_OK);
    assert_int_equal(prescan("{\"a\":1,\"b\":2,\"c\":3}", 10, 6), JSON_CHECK_TOO_MANY);
}

static void test_prescan_ignores_strings(void **state) {
    (void)state;
    assert_int_equal(prescan("\"[[[[,,,,::::{{{{\"", 0, 1), JSON_CHECK_OK);
    /* an escaped quote does not end the string */
    assert_int_equal(prescan("\"a\\\"[[[,,,\"", 0, 1), JSON_CHECK_OK);
    assert_int_equal(prescan("\"a\\\\\"[", 0, 10), JSON_CHECK_TOO_MANY);
    /* a trailing backslash does not read past the end */
    assert_int_equal(prescan("\"\\", 0, 1), JSON_CHECK_OK);
}

static void test_prescan_big_input(void **state) {
    (void)state;
    size_t n = 3 * 100000;
    char *s = malloc(n + 3);
    s[0] = '[';
    for (size_t i = 0; i < 100000; i++)
        memcpy(s + 1 + 3 * i, "{},", 3);
    s[n] = '{';
    s[n + 1] = '}';
    s[n + 2] = ']';
    struct json_limits lim = {.max_containers = 40000, .max_items = 400000};
    assert_int_equal(json_prescan(s, n + 3, &lim), JSON_CHECK_TOO_MANY);
    lim.max_containers = 200000;
    assert_int_equal(json_prescan(s, n + 3, &lim), JSON_CHECK_OK);
    free(s);
}

static json_t *parse(const char *s) {
    json_error_t e;
    json_t *v = json_loads(s, JSON_ALLOW_NUL | JSON_DECODE_ANY, &e);
    if (!v)
        fail_msg("parse %s: %s", s, e.text);
    return v;
}

static void expect_unsafe(const char *json, int depth, const char *skip, int want,
                          const char *want_path) {
    json_t *v = parse(json);
    char path[64];
    int rc = json_find_unsafe(v, depth, skip, path, sizeof path);
    json_decref(v);
    if (rc != want)
        fail_msg("%s: want %d, got %d (%s)", json, want, rc, path);
    if (want_path)
        assert_string_equal(path, want_path);
}

static void test_find_nul(void **state) {
    (void)state;
    expect_unsafe("{\"a\":\"x\"}", 8, NULL, JSON_CHECK_OK, NULL);
    expect_unsafe("{\"a\":\"x\\u0000\"}", 8, NULL, JSON_CHECK_NUL, "a");
    expect_unsafe("{\"config\":{\"b\":[1,\"\\u0000\"]}}", 8, NULL, JSON_CHECK_NUL, "config.b[1]");
    expect_unsafe("[[\"\\u0000\"]]", 8, NULL, JSON_CHECK_NUL, "[0][0]");
    /* the skipped member is not walked, only at the top */
    expect_unsafe("{\"recipients\":[\"\\u0000\"]}", 8, "recipients", JSON_CHECK_OK, NULL);
    expect_unsafe("{\"x\":{\"recipients\":\"\\u0000\"}}", 8, "recipients", JSON_CHECK_NUL,
                  "x.recipients");
    /* the path of an earlier, clean sibling does not stay in the answer */
    expect_unsafe("{\"aaaa\":{\"b\":1},\"c\":\"\\u0000\"}", 8, NULL, JSON_CHECK_NUL, "c");
}

static void test_find_depth(void **state) {
    (void)state;
    expect_unsafe("{\"a\":{\"b\":{}}}", 3, NULL, JSON_CHECK_OK, NULL);
    expect_unsafe("{\"a\":{\"b\":{}}}", 2, NULL, JSON_CHECK_DEPTH, "a.b");
    expect_unsafe("[[[[1]]]]", 3, NULL, JSON_CHECK_DEPTH, "[0][0][0]");
    /* scalars do not count as a level */
    expect_unsafe("{\"a\":{\"b\":1}}", 2, NULL, JSON_CHECK_OK, NULL);
}

static void test_long_path_is_cut(void **state) {
    (void)state;
    char json[4096] = "";
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(json + n, sizeof json - n, "{\"abcdefgh\":");
    n += (size_t)snprintf(json + n, sizeof json - n, "\"\\u0000\"");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(json + n, sizeof json - n, "}");
    json_t *v = parse(json);
    char path[64];
    assert_int_equal(json_find_unsafe(v, 200, NULL, path, sizeof path), JSON_CHECK_NUL);
    assert_true(strlen(path) < sizeof path);
    assert_memory_equal(path, "abcdefgh.abcdefgh", 17);
    json_decref(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prescan_counts),    cmocka_unit_test(test_prescan_ignores_strings),
        cmocka_unit_test(test_prescan_big_input), cmocka_unit_test(test_find_nul),
        cmocka_unit_test(test_find_depth),        cmocka_unit_test(test_long_path_is_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
