/* utf8_test.c - tests of util/utf8.c (utf8_valid): valid 1..4 byte
 * sequences at every range boundary, overlong forms, UTF-16 surrogates,
 * code points above U+10FFFF, truncated sequences (at the end of the input
 * and followed by more bytes), lone continuation bytes, NUL rejected, the
 * length argument honoured (no read past n), and an exhaustive comparison
 * with a reference built from Unicode's table of well-formed byte sequences
 * (Table 3-7) over every 1, 2 and 3 byte input and many 4 byte ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* utf8_valid over an exact-size heap copy, so a read past n is caught by
 * AddressSanitizer. */
static int valid_n(const char *s, size_t n) {
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n)
        memcpy(copy, s, n);
    int rc = utf8_valid(copy, n);
    free(copy);
    return rc;
}

static char *hex(const char *s, size_t n, char *out, size_t outlen) {
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o + 4 < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%02X ", (unsigned char)s[i]);
    return out;
}

static void expect(const char *s, size_t n, int want) {
    int got = valid_n(s, n);
    if (got != want) {
        char h[128];
        fail_msg("utf8_valid(%s) = %d, want %d", hex(s, n, h, sizeof h), got, want);
    }
}

/* Unicode 15, Table 3-7 "Well-Formed UTF-8 Byte Sequences", with NUL
 * excluded as utf8.h asks; returns the length of the sequence at s, or 0. */
static size_t ref_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c == 0)
        return 0;
    if (c <= 0x7f)
        return 1;
    unsigned lo = 0x80, hi = 0xbf;
    size_t len;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c == 0xe0) {
        len = 3;
        lo = 0xa0;
    } else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
        len = 3;
    } else if (c == 0xed) {
        len = 3;
        hi = 0x9f;
    } else if (c == 0xf0) {
        len = 4;
        lo = 0x90;
    } else if (c >= 0xf1 && c <= 0xf3) {
        len = 4;
    } else if (c == 0xf4) {
        len = 4;
        hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if (s[k] < 0x80 || s[k] > 0xbf)
            return 0;
    return len;
}

static int ref_valid(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t len = ref_seq(s + i, n - i);
        if (len == 0)
            return 0;
        i += len;
    }
    return 1;
}

/* ---- tests ------------------------------------------------------------ */

static void test_empty(void **state) {
    (void)state;
    assert_int_equal(utf8_valid("", 0), 1);
}

static void test_valid_sequences(void **state) {
    (void)state;
    const char *ok[] = {
        "plain ASCII !~",
        "\x01\x7f",                               /* lowest and highest 1-byte (NUL aside) */
        "\xc2\x80",                               /* U+0080 */
        "\xc3\xa9t\xc3\xa9",                      /* été */
        "\xdf\xbf",                               /* U+07FF */
        "\xe0\xa0\x80",                           /* U+0800 */
        "\xe2\x82\xac",                           /* € */
        "\xed\x9f\xbf",                           /* U+D7FF, just below the surrogates */
        "\xee\x80\x80",                           /* U+E000, just above them */
        "\xef\xbf\xbd",                           /* U+FFFD */
        "\xef\xbf\xbf",                           /* U+FFFF */
        "\xf0\x90\x80\x80",                       /* U+10000 */
        "\xf0\x9f\x98\x80",                       /* 😀 */
        "\xf3\xbf\xbf\xbf",                       /* U+FFFFF */
        "\xf4\x80\x80\x80",                       /* U+100000 */
        "\xf4\x8f\xbf\xbf",                       /* U+10FFFF, the last code point */
        "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", /* mixed lengths */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        expect(ok[i], strlen(ok[i]), 1);
}

static void test_overlongs(void **state) {
    (void)state;
    const char *bad[] = {
        "\xc0\x80",             /* NUL, 2 bytes */
        "\xc0\xaf",             /* '/', 2 bytes */
        "\xc1\xbf",             /* U+007F, 2 bytes */
        "\xe0\x80\x80",         /* NUL, 3 bytes */
        "\xe0\x80\xaf",         /* '/', 3 bytes */
        "\xe0\x9f\xbf",         /* U+07FF, 3 bytes */
        "\xf0\x80\x80\x80",     /* NUL, 4 bytes */
        "\xf0\x80\x80\xaf",     /* '/', 4 bytes */
        "\xf0\x8f\xbf\xbf",     /* U+FFFF, 4 bytes */
        "\xf8\x88\x80\x80\x80", /* 5-byte forms */
        "\xfc\x84\x80\x80\x80\x80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(bad[i], strlen(bad[i]), 0);
}

static void test_surrogates(void **state) {
    (void)state;
    const char *bad[] = {
        "\xed\xa0\x80",             /* U+D800 */
        "\xed\xad\xbf",             /* U+DB7F */
        "\xed\xae\x80",             /* U+DB80 */
        "\xed\xaf\xbf",             /* U+DBFF */
        "\xed\xb0\x80",             /* U+DC00 */
        "\xed\xbf\xbf",             /* U+DFFF */
        "\xed\xa0\xbd\xed\xb8\x80", /* CESU-8 pair for U+1F600 */
        "ok\xed\xa0\x80ok",         /* in the middle */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(bad[i], strlen(bad[i]), 0);
}

static void test_above_max(void **state) {
    (void)state;
    const char *bad[] = {
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf4\xbf\xbf\xbf", /* U+13FFFF */
        "\xf5\x80\x80\x80", /* lead bytes F5..FF never appear */
        "\xf6\x80\x80\x80", "\xf7\xbf\xbf\xbf", "\xf8", "\xfb", "\xfe", "\xff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(bad[i], strlen(bad[i]), 0);
}

static void test_truncated(void **state) {
    (void)state;
    const char *whole[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        size_t n = strlen(whole[i]);
        expect(whole[i], n, 1);
        for (size_t cut = 1; cut < n; cut++) {
            char buf[16];
            /* cut short at the end of the input */
            memcpy(buf, "ab", 2);
            memcpy(buf + 2, whole[i], cut);
            expect(buf, 2 + cut, 0);
            /* cut short and followed by ASCII */
            buf[2 + cut] = 'z';
            expect(buf, 3 + cut, 0);
            /* followed by a fresh complete sequence */
            memcpy(buf + 2 + cut, whole[i], n);
            expect(buf, 2 + cut + n, 0);
        }
    }
}

static void test_continuation_bytes_alone(void **state) {
    (void)state;
    for (unsigned c = 0x80; c <= 0xbf; c++) {
        char s[3] = {'a', (char)c, 'b'};
        expect(s + 1, 1, 0);
        expect(s, 3, 0);
    }
    /* one too many continuation bytes */
    expect("\xc3\xa9\xa9", 3, 0);
    expect("\xe2\x82\xac\x80", 4, 0);
}

static void test_nul_rejected(void **state) {
    (void)state;
    expect("\0", 1, 0);
    expect("a\0b", 3, 0);
    expect("abc\0", 4, 0);
    expect("\xc3\xa9\0", 3, 0);
    /* bytes after n are not looked at, so a string's terminator is fine */
    assert_int_equal(utf8_valid("abc", 3), 1);
}

static void test_length_honoured(void **state) {
    (void)state;
    /* n cuts a sequence: invalid even though the bytes after n would
     * complete it */
    expect("\xe2\x82\xac", 2, 0);
    expect("\xf0\x9f\x98\x80", 3, 0);
    /* n stops before an invalid byte: valid */
    expect("ab\xff", 2, 1);
    expect("\xc3\xa9\xc0", 2, 1);
}

/* Every input of 1, 2 and 3 bytes against the reference. */
static void test_exhaustive_short(void **state) {
    (void)state;
    unsigned char s[3];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        if (utf8_valid((const char *)s, 1) != ref_valid(s, 1))
            fail_msg("1 byte %02X", a);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            if (utf8_valid((const char *)s, 2) != ref_valid(s, 2))
                fail_msg("2 bytes %02X %02X", a, b);
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (unsigned char)c;
                if (utf8_valid((const char *)s, 3) != ref_valid(s, 3))
                    fail_msg("3 bytes %02X %02X %02X", a, b, c);
            }
        }
    }
}

/* Every lead byte 0xE0..0xFF with every second byte, and the third and
 * fourth bytes at the edges of the continuation range. */
static void test_exhaustive_four(void **state) {
    (void)state;
    static const unsigned edges[] = {0x00, 0x41, 0x7f, 0x80, 0x81, 0x8f, 0x90,
                                     0x9f, 0xa0, 0xbf, 0xc0, 0xf4, 0xff};
    const size_t ne = sizeof edges / sizeof edges[0];
    unsigned char s[4];
    size_t valid_count = 0;
    for (unsigned a = 0xe0; a < 256; a++) {
        s[0] = (unsigned char)a;
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            for (size_t i = 0; i < ne; i++) {
                s[2] = (unsigned char)edges[i];
                for (size_t k = 0; k < ne; k++) {
                    s[3] = (unsigned char)edges[k];
                    int want = ref_valid(s, 4);
                    valid_count += (size_t)want;
                    if (utf8_valid((const char *)s, 4) != want)
                        fail_msg("4 bytes %02X %02X %02X %02X: want %d", a, b, s[2], s[3], want);
                }
            }
        }
    }
    assert_true(valid_count > 1000); /* the sweep did reach valid inputs */
}

/* utf8_sanitize: the output is always valid, invalid bytes become U+FFFD,
 * valid text passes unchanged, and a character is never cut at the cap. */
static void test_sanitize(void **state) {
    (void)state;
    char out[16];
    assert_int_equal(utf8_sanitize(out, sizeof out, "abc", 3), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(utf8_sanitize(out, sizeof out, "x\xffy", 3), 5);
    assert_string_equal(out, "x\xef\xbf\xbdy");
    assert_int_equal(utf8_sanitize(out, sizeof out, "a\0b", 3), 5);
    assert_string_equal(out, "a\xef\xbf\xbd"
                             "b");
    /* "\xc3\xa9" (e acute) x 8 = 16 bytes: only 7 fit in 15 + NUL */
    const char *e8 = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    assert_int_equal(utf8_sanitize(out, sizeof out, e8, 16), 14);
    assert_true(utf8_valid(out, strlen(out)));
    /* a truncated character at the end of the input */
    assert_int_equal(utf8_sanitize(out, sizeof out, "ab\xc3", 3), 5);
    assert_true(utf8_valid(out, strlen(out)));
    assert_int_equal(utf8_sanitize(out, 1, "abc", 3), 0);
    assert_string_equal(out, "");
}

/* Every 2-byte input comes out valid. */
static void test_sanitize_exhaustive_two(void **state) {
    (void)state;
    char in[2], out[16];
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++) {
            in[0] = (char)a;
            in[1] = (char)b;
            size_t n = utf8_sanitize(out, sizeof out, in, 2);
            assert_int_equal(n, strlen(out));
            if (!utf8_valid(out, n))
                fail_msg("sanitize(%02X %02X) is not valid", a, b);
            if (utf8_valid(in, 2))
                assert_memory_equal(out, in, 2);
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_valid_sequences),
        cmocka_unit_test(test_overlongs),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_above_max),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_continuation_bytes_alone),
        cmocka_unit_test(test_nul_rejected),
        cmocka_unit_test(test_length_honoured),
        cmocka_unit_test(test_exhaustive_short),
        cmocka_unit_test(test_exhaustive_four),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_sanitize_exhaustive_two),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
