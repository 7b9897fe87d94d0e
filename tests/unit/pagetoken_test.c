/* pagetoken_test.c - tests of domain/pagetoken.c: encode/decode round trip
 * over many cursors, binding to secret, account, list and filters, and
 * rejection of tampered (every character flipped), truncated, extended,
 * garbage, empty and oversized tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/pagetoken.h"
#include "util/base64url.h"
#include "util/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SECRET[] = "0123456789abcdef0123456789abcdef";
#define SLEN (sizeof SECRET - 1)
#define ACCT "acct_7Qm2cV9xL0pZrT4bN8sK1wYe"
#define LIST "campaigns"
#define FILT "status=running&channel="

static int decode(const char *tok, const char *acct, const char *list, const char *filt,
                  int64_t *cur) {
    return pagetoken_decode(SECRET, SLEN, tok, acct, list, filt, cur);
}

static void test_round_trip(void **state) {
    (void)state;
    static const int64_t cursors[] = {0,         1,         -1,        42,        1000000007,
                                      INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 1234567890123};
    for (size_t i = 0; i < sizeof cursors / sizeof cursors[0]; i++) {
        char *t = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, cursors[i]);
        assert_non_null(t);
        /* opaque: url-safe characters and exactly one dot */
        int dots = 0;
        for (const char *p = t; *p; p++) {
            if (*p == '.')
                dots++;
            else if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                             *p))
                fail_msg("token %s has character %c", t, *p);
        }
        assert_int_equal(dots, 1);
        int64_t got = 12345;
        assert_int_equal(decode(t, ACCT, LIST, FILT, &got), 0);
        assert_true(got == cursors[i]);
        free(t);
    }
}

static void test_deterministic_and_distinct(void **state) {
    (void)state;
    char *a = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 10);
    char *b = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 10);
    char *c = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 11);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    free(a);
    free(b);
    free(c);
}

static void test_empty_fields_round_trip(void **state) {
    (void)state;
    char *t = pagetoken_encode(SECRET, SLEN, "", "", "", 5);
    int64_t got = 0;
    assert_int_equal(pagetoken_decode(SECRET, SLEN, t, "", "", "", &got), 0);
    assert_true(got == 5);
    assert_int_equal(pagetoken_decode(SECRET, SLEN, t, "a", "", "", &got), -1);
    free(t);
}

static void test_bound_to_account_list_filters(void **state) {
    (void)state;
    char *t = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 99);
    int64_t got = -7;
    assert_int_equal(decode(t, "acct_other", LIST, FILT, &got), -1);
    assert_int_equal(decode(t, "acct_7Qm2cV9xL0pZrT4bN8sK1wY", LIST, FILT, &got), -1);
    assert_int_equal(decode(t, "acct_7Qm2cV9xL0pZrT4bN8sK1wYe ", LIST, FILT, &got), -1);
    assert_int_equal(decode(t, "ACCT_7Qm2cV9xL0pZrT4bN8sK1wYe", LIST, FILT, &got), -1);
    assert_int_equal(decode(t, "", LIST, FILT, &got), -1);
    assert_int_equal(decode(t, ACCT, "recipients", FILT, &got), -1);
    assert_int_equal(decode(t, ACCT, "campaign", FILT, &got), -1);
    assert_int_equal(decode(t, ACCT, "", FILT, &got), -1);
    assert_int_equal(decode(t, ACCT, LIST, "status=paused&channel=", &got), -1);
    assert_int_equal(decode(t, ACCT, LIST, "status=running&channel=sms", &got), -1);
    assert_int_equal(decode(t, ACCT, LIST, "", &got), -1);
    /* fields shifted across the separators */
    assert_int_equal(decode(t, ACCT, LIST "|" FILT, "", &got), -1);
    assert_int_equal(decode(t, ACCT "|" LIST, FILT, "", &got), -1);
    assert_true(got == -7); /* untouched on failure */
    assert_int_equal(decode(t, ACCT, LIST, FILT, &got), 0);
    assert_true(got == 99);
    free(t);
}

static void test_wrong_secret(void **state) {
    (void)state;
    char *t = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 3);
    int64_t got = -7;
    char other[sizeof SECRET];
    memcpy(other, SECRET, sizeof SECRET);
    for (size_t i = 0; i < SLEN; i++) {
        other[i] ^= 1;
        assert_int_equal(pagetoken_decode(other, SLEN, t, ACCT, LIST, FILT, &got), -1);
        other[i] ^= 1;
    }
    assert_int_equal(pagetoken_decode(SECRET, SLEN - 1, t, ACCT, LIST, FILT, &got), -1);
    assert_int_equal(pagetoken_decode("x", 1, t, ACCT, LIST, FILT, &got), -1);
    assert_true(got == -7);
    free(t);
}

/* Replacing any single character by any other character breaks the token. */
static void test_flip_every_char(void **state) {
    (void)state;
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ |%\x01\xff";
    char *t = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 123456);
    size_t n = strlen(t);
    int64_t got = -7;
    for (size_t i = 0; i < n; i++) {
        char orig = t[i];
        for (const char *a = alphabet; *a; a++) {
            if (*a == orig)
                continue;
            t[i] = *a;
            if (decode(t, ACCT, LIST, FILT, &got) != -1)
                fail_msg("token accepted with position %zu changed from %c to %c: %s", i, orig, *a,
                         t);
        }
        t[i] = orig;
    }
    assert_true(got == -7);
    assert_int_equal(decode(t, ACCT, LIST, FILT, &got), 0);
    free(t);
}

static void test_truncated_and_extended(void **state) {
    (void)state;
    char *t = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 77);
    size_t n = strlen(t);
    int64_t got = -7;
    char *buf = malloc(n + 8);
    assert_non_null(buf);
    for (size_t k = 0; k < n; k++) {
        memcpy(buf, t, k);
        buf[k] = '\0';
        assert_int_equal(decode(buf, ACCT, LIST, FILT, &got), -1);
    }
    /* appended characters */
    const char *tails[] = {"A", "AA", "=", ".", ".x", "\n", " "};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        snprintf(buf, n + 8, "%s%s", t, tails[i]);
        assert_int_equal(decode(buf, ACCT, LIST, FILT, &got), -1);
    }
    /* prepended characters */
    snprintf(buf, n + 8, "A%s", t);
    assert_int_equal(decode(buf, ACCT, LIST, FILT, &got), -1);
    snprintf(buf, n + 8, ".%s", t);
    assert_int_equal(decode(buf, ACCT, LIST, FILT, &got), -1);
    assert_true(got == -7);
    free(buf);
    free(t);
}

static void test_swapped_parts(void **state) {
    (void)state;
    char *a = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 1);
    char *b = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 2);
    /* payload of a with the MAC of b */
    const char *da = strchr(a, '.'), *db = strchr(b, '.');
    char mix[512];
    snprintf(mix, sizeof mix, "%.*s%s", (int)(da - a), a, db);
    int64_t got = -7;
    assert_int_equal(decode(mix, ACCT, LIST, FILT, &got), -1);
    /* MAC first, payload second */
    snprintf(mix, sizeof mix, "%s.%.*s", da + 1, (int)(da - a), a);
    assert_int_equal(decode(mix, ACCT, LIST, FILT, &got), -1);
    assert_true(got == -7);
    free(a);
    free(b);
}

/* A forger who knows the format but not the secret cannot mint a token,
 * whatever MAC they try: all-zero, the untruncated one of another key, the
 * plain SHA-256, or a full 32-byte MAC. */
static void test_forged(void **state) {
    (void)state;
    char payload[256];
    snprintf(payload, sizeof payload, "1|%zu:%s|%zu:%s|%zu:%s|%d", strlen(ACCT), ACCT, strlen(LIST),
             LIST, strlen(FILT), FILT, 5);
    char *p64 = base64url_encode(payload, strlen(payload));
    uint8_t macs[4][32];
    memset(macs[0], 0, 32);
    crypto_hmac_sha256("guess", 5, payload, strlen(payload), macs[1]);
    crypto_hmac_sha256("", 0, payload, strlen(payload), macs[2]);
    crypto_hmac_sha256(SECRET, SLEN, payload, strlen(payload), macs[3]);
    int64_t got = -7;
    char tok[512];
    for (int i = 0; i < 3; i++) {
        char *m64 = base64url_encode(macs[i], 16);
        snprintf(tok, sizeof tok, "%s.%s", p64, m64);
        assert_int_equal(decode(tok, ACCT, LIST, FILT, &got), -1);
        free(m64);
    }
    /* the genuine MAC, but not truncated to 16 bytes: wrong length */
    char *m64 = base64url_encode(macs[3], 32);
    snprintf(tok, sizeof tok, "%s.%s", p64, m64);
    assert_int_equal(decode(tok, ACCT, LIST, FILT, &got), -1);
    free(m64);
    /* the genuine truncated MAC: this is exactly what encode produces */
    m64 = base64url_encode(macs[3], 16);
    snprintf(tok, sizeof tok, "%s.%s", p64, m64);
    assert_int_equal(decode(tok, ACCT, LIST, FILT, &got), 0);
    assert_true(got == 5);
    char *enc = pagetoken_encode(SECRET, SLEN, ACCT, LIST, FILT, 5);
    assert_string_equal(tok, enc);
    free(enc);
    free(m64);
    free(p64);
}

/* Tokens carrying a well-formed MAC over a malformed payload (what a leak of
 * the secret or a future format change could produce) are still refused. */
static void test_signed_but_malformed_payload(void **state) {
    (void)state;
    const char *payloads[] = {
        "",
        "1",
        "1|acct_7Qm2cV9xL0pZrT4bN8sK1wYe|campaigns|status=running&channel=|",
        "1|acct_7Qm2cV9xL0pZrT4bN8sK1wYe|campaigns|status=running&channel=|12x",
        "1|acct_7Qm2cV9xL0pZrT4bN8sK1wYe|campaigns|status=running&channel=| 12",
        "1|acct_7Qm2cV9xL0pZrT4bN8sK1wYe|campaigns|status=running&channel=|+12",
        "1|acct_7Qm2cV9xL0pZrT4bN8sK1wYe|campaigns|status=running&channel=|012",
        "1|acct_7Qm2cV9xL0pZrT4bN8sK1wYe|campaigns|status=running&channel=|99999999999999999999",
        "1|acct_7Qm2cV9xL0pZrT4bN8sK1wYe|campaigns|status=running&channel=|-0",
        "2|acct_7Qm2cV9xL0pZrT4bN8sK1wYe|campaigns|status=running&channel=|12",
        "1|acct_7Qm2cV9xL0pZrT4bN8sK1wYe|campaigns|12",
        "|||||",
    };
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        uint8_t mac[32];
        crypto_hmac_sha256(SECRET, SLEN, payloads[i], strlen(payloads[i]), mac);
        char *p64 = base64url_encode(payloads[i], strlen(payloads[i]));
        char *m64 = base64url_encode(mac, 16);
        char tok[512];
        snprintf(tok, sizeof tok, "%s.%s", p64, m64);
        int64_t got = -7;
        if (decode(tok, ACCT, LIST, FILT, &got) != -1)
            fail_msg("accepted signed payload \"%s\" (cursor %lld)", payloads[i], (long long)got);
        free(p64);
        free(m64);
    }
    /* a NUL byte inside a signed payload */
    static const char withnul[] = "1|acct_7Qm2cV9xL0pZrT4bN8sK1wYe\0|campaigns|"
                                  "status=running&channel=|12";
    uint8_t mac[32];
    crypto_hmac_sha256(SECRET, SLEN, withnul, sizeof withnul - 1, mac);
    char *p64 = base64url_encode(withnul, sizeof withnul - 1);
    char *m64 = base64url_encode(mac, 16);
    char tok[512];
    snprintf(tok, sizeof tok, "%s.%s", p64, m64);
    int64_t got = -7;
    assert_int_equal(decode(tok, ACCT, LIST, FILT, &got), -1);
    free(p64);
    free(m64);
}

static void test_garbage(void **state) {
    (void)state;
    const char *bad[] = {
        "",          ".",
        "..",        "abc",
        "abc.",      ".abc",
        "a.b.c",     "MXxh.AAAAAAAAAAAAAAAAAAAAAA",
        "====.====", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        "null",      "\xff\xfe\xfd.\x80\x81",
        "\n",        " . ",
        "%2E",       "A.AAAAAAAAAAAAAAAAAAAAAA",
    };
    int64_t got = -7;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (decode(bad[i], ACCT, LIST, FILT, &got) != -1)
            fail_msg("accepted garbage \"%s\"", bad[i]);
    }
    assert_true(got == -7);
}

static void test_very_long(void **state) {
    (void)state;
    int64_t got = -7;
    size_t sizes[] = {2047, 2048, 2049, 10000, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *s = malloc(sizes[i] + 1);
        assert_non_null(s);
        memset(s, 'A', sizes[i]);
        s[sizes[i] / 2] = '.';
        s[sizes[i]] = '\0';
        assert_int_equal(decode(s, ACCT, LIST, FILT, &got), -1);
        free(s);
    }
    /* a genuine token whose fields are long enough to pass the length limit */
    char *longfilt = malloc(3000);
    assert_non_null(longfilt);
    memset(longfilt, 'f', 2999);
    longfilt[2999] = '\0';
    char *t = pagetoken_encode(SECRET, SLEN, ACCT, LIST, longfilt, 9);
    assert_true(strlen(t) > 2048);
    assert_int_equal(decode(t, ACCT, LIST, longfilt, &got), -1); /* over the limit */
    assert_true(got == -7);
    free(t);
    free(longfilt);
}

/* The payload once joined account, list and filters with '|' without
 * lengths, so a token minted for one (account, list, filters) triple was
 * accepted for another whose concatenation is the same. */
static void test_separator_ambiguity_bug(void **state) {
    (void)state;
    int64_t got = -7;
    char *t = pagetoken_encode(SECRET, SLEN, ACCT, "campaigns", "a|b", 4);
    assert_int_equal(decode(t, ACCT, "campaigns|a", "b", &got), -1);
    free(t);
    t = pagetoken_encode(SECRET, SLEN, "acct_a|campaigns", "x", "", 4);
    assert_int_equal(decode(t, "acct_a", "campaigns|x", "", &got), -1);
    free(t);
    assert_true(got == -7);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_deterministic_and_distinct),
        cmocka_unit_test(test_empty_fields_round_trip),
        cmocka_unit_test(test_bound_to_account_list_filters),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_flip_every_char),
        cmocka_unit_test(test_truncated_and_extended),
        cmocka_unit_test(test_swapped_parts),
        cmocka_unit_test(test_forged),
        cmocka_unit_test(test_signed_but_malformed_payload),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_very_long),
        cmocka_unit_test(test_separator_ambiguity_bug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
