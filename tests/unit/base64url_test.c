/* base64url_test.c - tests of util/base64url.c: RFC 4648 section 5 vectors,
 * round trip at every length 0..64 (random and all-0x00 / all-0xff bytes),
 * unpadded output over the url-safe alphabet, rejection of characters
 * outside it at every position, impossible lengths, and non-canonical
 * trailing bits (each string has exactly one accepted spelling). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/base64url.h"
#include "util/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void test_vectors(void **state) {
    (void)state;
    static const struct {
        const char *in, *out;
    } v[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *e = base64url_encode(v[i].in, strlen(v[i].in));
        assert_string_equal(e, v[i].out);
        free(e);
        size_t n = 999;
        unsigned char *d = base64url_decode(v[i].out, &n);
        assert_non_null(d);
        assert_int_equal(n, strlen(v[i].in));
        assert_memory_equal(d, v[i].in, n);
        free(d);
    }
    /* the url-safe characters, where standard base64 has + and / */
    const unsigned char b[] = {0xfb, 0xff, 0xbf};
    char *e = base64url_encode(b, 3);
    assert_string_equal(e, "-_-_");
    free(e);
    const unsigned char z[] = {0, 0, 0};
    e = base64url_encode(z, 3);
    assert_string_equal(e, "AAAA");
    free(e);
}

static void round_trip(const unsigned char *data, size_t n) {
    char *e = base64url_encode(data, n);
    assert_non_null(e);
    size_t want_len = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    assert_int_equal(strlen(e), want_len);
    for (const char *p = e; *p; p++)
        if (!strchr(ALPHABET, *p))
            fail_msg("length %zu: character %c outside the alphabet", n, *p);
    size_t m = 12345;
    unsigned char *d = base64url_decode(e, &m);
    if (!d)
        fail_msg("length %zu: own encoding %s rejected", n, e);
    assert_int_equal(m, n);
    if (n)
        assert_memory_equal(d, data, n);
    free(d);
    free(e);
}

static void test_round_trip_every_length(void **state) {
    (void)state;
    unsigned char buf[64];
    for (size_t n = 0; n <= 64; n++) {
        for (int rep = 0; rep < 50; rep++) {
            crypto_random(buf, sizeof buf);
            round_trip(buf, n);
        }
        memset(buf, 0, sizeof buf);
        round_trip(buf, n);
        memset(buf, 0xff, sizeof buf);
        round_trip(buf, n);
    }
    /* every byte value in every position of a 3-byte group */
    unsigned char all[256 * 3];
    for (int i = 0; i < 256 * 3; i++)
        all[i] = (unsigned char)(i / 3 + i % 3 * 85);
    round_trip(all, sizeof all);
}

static void test_decode_empty(void **state) {
    (void)state;
    size_t n = 99;
    unsigned char *d = base64url_decode("", &n);
    assert_non_null(d);
    assert_int_equal(n, 0);
    free(d);
}

static void test_invalid_characters(void **state) {
    (void)state;
    const char bad[] = "+/= \t\n\r.,!*~%\"'\\\x7f\x80\xc3\xff";
    char s[] = "Zm9vYmFy"; /* foobar */
    for (size_t pos = 0; pos < sizeof s - 1; pos++) {
        char orig = s[pos];
        for (const char *c = bad; *c; c++) {
            s[pos] = *c;
            size_t n = 0;
            unsigned char *d = base64url_decode(s, &n);
            if (d)
                fail_msg("accepted %02x at %zu", (unsigned char)*c, pos);
        }
        s[pos] = orig;
    }
    /* padding, as standard base64 writes it, is not accepted */
    const char *padded[] = {"Zg==", "Zm8=", "Zg=", "Zm9vYg==", "===="};
    for (size_t i = 0; i < sizeof padded / sizeof padded[0]; i++) {
        size_t n = 0;
        assert_null(base64url_decode(padded[i], &n));
    }
    /* the standard alphabet's spelling of bytes the url-safe one accepts */
    size_t n = 0;
    unsigned char *d = base64url_decode("-_-_", &n);
    assert_non_null(d);
    free(d);
    assert_null(base64url_decode("+/+/", &n));
}

static void test_impossible_lengths(void **state) {
    (void)state;
    char s[70];
    for (size_t len = 0; len < sizeof s; len++) {
        memset(s, 'A', len);
        s[len] = '\0';
        size_t n = 0;
        unsigned char *d = base64url_decode(s, &n);
        if (len % 4 == 1) {
            assert_null(d);
        } else {
            assert_non_null(d);
            assert_int_equal(n, len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0));
            free(d);
        }
    }
}

/* For a final group of 2 or 3 characters, only a last character whose
 * unused low bits are zero is accepted, and it re-encodes to itself. */
static void test_non_canonical_trailing_bits(void **state) {
    (void)state;
    const char *prefixes[] = {"Z", "Zm", "Zm9vZ", "Zm9vYm"};
    for (size_t p = 0; p < 4; p++) {
        size_t plen = strlen(prefixes[p]);
        int unused = (plen + 1) % 4 == 2 ? 4 : 2;
        int accepted = 0;
        for (int v = 0; v < 64; v++) {
            char s[16];
            snprintf(s, sizeof s, "%s%c", prefixes[p], ALPHABET[v]);
            size_t n = 0;
            unsigned char *d = base64url_decode(s, &n);
            int canonical = (v & ((1 << unused) - 1)) == 0;
            if (canonical != (d != NULL))
                fail_msg("%s: decode %s, canonical %d", s, d ? "accepted" : "refused", canonical);
            if (d) {
                accepted++;
                char *e = base64url_encode(d, n);
                assert_string_equal(e, s);
                free(e);
                free(d);
            }
        }
        assert_int_equal(accepted, 1 << (6 - unused));
    }
    size_t n = 0;
    assert_null(base64url_decode("Zh", &n));  /* "f" is Zg */
    assert_null(base64url_decode("Zm9", &n)); /* "fo" is Zm8 */
    assert_null(base64url_decode("AB", &n));
    assert_null(base64url_decode("AAB", &n));
}

static void test_large(void **state) {
    (void)state;
    size_t n = 1 << 20;
    unsigned char *data = malloc(n);
    assert_non_null(data);
    crypto_random(data, n);
    round_trip(data, n);
    round_trip(data, n - 1);
    round_trip(data, n - 2);
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_round_trip_every_length),
        cmocka_unit_test(test_decode_empty),
        cmocka_unit_test(test_invalid_characters),
        cmocka_unit_test(test_impossible_lengths),
        cmocka_unit_test(test_non_canonical_trailing_bits),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
