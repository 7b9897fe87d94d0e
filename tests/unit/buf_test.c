/* buf_test.c - tests of util/buf.c: the cap (BUF_ETOOBIG with nothing
 * appended, including size_t overflow attempts), NUL termination, binary
 * data, growth through many appends and large buf_printf output, reset,
 * steal and free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_init(void **state) {
    (void)state;
    struct buf b;
    memset(&b, 0x5a, sizeof b);
    buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 100);
    buf_free(&b);
}

static void test_append_and_terminate(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(buf_appends(&b, "hello"), 0);
    assert_int_equal(buf_append(&b, ", ", 2), 0);
    assert_int_equal(buf_appends(&b, "world"), 0);
    assert_int_equal(b.len, 12);
    assert_string_equal(b.data, "hello, world");
    assert_true(b.alloc > b.len);
    /* zero-length appends change nothing */
    assert_int_equal(buf_append(&b, "xyz", 0), 0);
    assert_int_equal(buf_appends(&b, ""), 0);
    assert_int_equal(b.len, 12);
    assert_string_equal(b.data, "hello, world");
    buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    buf_free(&b); /* twice is harmless */
}

static void test_binary(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 64);
    const char bin[] = {'a', 0, 'b', 0, (char)0xff};
    assert_int_equal(buf_append(&b, bin, sizeof bin), 0);
    assert_int_equal(b.len, sizeof bin);
    assert_memory_equal(b.data, bin, sizeof bin);
    assert_int_equal(b.data[b.len], '\0');
    buf_free(&b);
}

static void test_cap_exact_and_over(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_appends(&b, "0123456"), 0);
    /* one byte too many: refused, nothing appended, contents intact */
    assert_int_equal(buf_appends(&b, "7890"), BUF_ETOOBIG);
    assert_int_equal(b.len, 7);
    assert_string_equal(b.data, "0123456");
    /* exactly to the cap */
    assert_int_equal(buf_appends(&b, "789"), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    /* full: even one byte is refused */
    assert_int_equal(buf_append(&b, "x", 1), BUF_ETOOBIG);
    assert_int_equal(buf_append(&b, "x", 0), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    buf_free(&b);
}

static void test_cap_single_oversized(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 100);
    char big[101];
    memset(big, 'x', sizeof big);
    assert_int_equal(buf_append(&b, big, 101), BUF_ETOOBIG);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_append(&b, big, 100), 0);
    assert_int_equal(b.len, 100);
    buf_free(&b);
}

static void test_cap_zero(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "x", 1), BUF_ETOOBIG);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_printf(&b, "%d", 1), BUF_ETOOBIG);
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(b.len, 0);
    if (b.data)
        assert_string_equal(b.data, "");
    buf_free(&b);
}

/* Lengths near SIZE_MAX must not wrap around the cap check. */
static void test_cap_overflow(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 1000);
    assert_int_equal(buf_appends(&b, "abc"), 0);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), BUF_ETOOBIG);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), BUF_ETOOBIG);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX - 2), BUF_ETOOBIG);
    assert_int_equal(buf_append(&b, "x", (size_t)-1 / 2 + 1), BUF_ETOOBIG);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    buf_free(&b);

    /* with an unlimited cap, the huge lengths are still refused */
    buf_init(&b, SIZE_MAX);
    assert_int_equal(buf_appends(&b, "abc"), 0);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), BUF_ETOOBIG);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX - 2), BUF_ETOOBIG);
    assert_int_equal(b.len, 3);
    buf_free(&b);
}

static void test_growth_many_appends(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 100000; i++) {
        char c = (char)('a' + i % 26);
        assert_int_equal(buf_append(&b, &c, 1), 0);
        assert_true(b.alloc > b.len);
    }
    assert_int_equal(b.len, 100000);
    for (int i = 0; i < 100000; i++)
        if (b.data[i] != (char)('a' + i % 26))
            fail_msg("byte %d is %c", i, b.data[i]);
    assert_int_equal(b.data[100000], '\0');
    buf_free(&b);
}

static void test_printf(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(buf_printf(&b, "%s=%d;", "a", 42), 0);
    assert_int_equal(buf_printf(&b, "%05.1f|%x", 3.14159, 255), 0);
    assert_string_equal(b.data, "a=42;003.1|ff");
    assert_int_equal(b.len, strlen("a=42;003.1|ff"));
    assert_int_equal(buf_printf(&b, "%s", ""), 0);
    assert_int_equal(b.len, strlen("a=42;003.1|ff"));
    buf_free(&b);

    /* output lengths around the internal 256-byte stack buffer and far above */
    size_t sizes[] = {254, 255, 256, 257, 511, 512, 4096, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        buf_init(&b, 1 << 20);
        assert_int_equal(buf_appends(&b, "<"), 0);
        assert_int_equal(buf_printf(&b, "%0*d", (int)sizes[i], 7), 0);
        assert_int_equal(b.len, sizes[i] + 1);
        assert_int_equal(b.data[0], '<');
        for (size_t k = 1; k < sizes[i]; k++)
            if (b.data[k] != '0')
                fail_msg("size %zu: byte %zu is %c", sizes[i], k, b.data[k]);
        assert_int_equal(b.data[sizes[i]], '7');
        assert_int_equal(b.data[sizes[i] + 1], '\0');
        buf_free(&b);
    }
}

static void test_printf_cap(void **state) {
    (void)state;
    struct buf b;
    /* small output over the cap */
    buf_init(&b, 8);
    assert_int_equal(buf_appends(&b, "abc"), 0);
    assert_int_equal(buf_printf(&b, "%s", "123456"), BUF_ETOOBIG);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    assert_int_equal(buf_printf(&b, "%s", "12345"), 0);
    assert_string_equal(b.data, "abc12345");
    buf_free(&b);
    /* large output (past the stack buffer) over the cap */
    buf_init(&b, 1000);
    assert_int_equal(buf_appends(&b, "abc"), 0);
    assert_int_equal(buf_printf(&b, "%0*d", 998, 1), BUF_ETOOBIG);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    assert_int_equal(buf_printf(&b, "%0*d", 997, 1), 0);
    assert_int_equal(b.len, 1000);
    buf_free(&b);
}

static void test_reset(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 5);
    buf_reset(&b); /* before any allocation */
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_appends(&b, "12345"), 0);
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(b.cap, 5);
    /* the cap counts from empty again */
    assert_int_equal(buf_appends(&b, "abcde"), 0);
    assert_string_equal(b.data, "abcde");
    assert_int_equal(buf_appends(&b, "f"), BUF_ETOOBIG);
    buf_free(&b);
}

static void test_steal(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 100);
    char *s = buf_steal(&b); /* nothing appended yet */
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(buf_appends(&b, "payload"), 0);
    s = buf_steal(&b);
    assert_string_equal(s, "payload");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.alloc, 0);
    /* the buffer is usable again, with the same cap */
    assert_int_equal(buf_appends(&b, "again"), 0);
    assert_string_equal(b.data, "again");
    assert_string_equal(s, "payload");
    free(s);
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_append_and_terminate),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_cap_exact_and_over),
        cmocka_unit_test(test_cap_single_oversized),
        cmocka_unit_test(test_cap_zero),
        cmocka_unit_test(test_cap_overflow),
        cmocka_unit_test(test_growth_many_appends),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_printf_cap),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_steal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
