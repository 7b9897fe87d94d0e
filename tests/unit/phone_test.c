/* phone_test.c - tests of domain/phone.c: phone_is_e164 ("+", a nonzero
 * digit, 8..15 digits in all, nothing else) and phone_is_sms_sender (E.164
 * or a 1..11 character alphanumeric sender id with at least one letter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/phone.h"

#include <stdio.h>
#include <string.h>

static void test_e164_valid(void **state) {
    (void)state;
    const char *ok[] = {
        "+15551234567",     "+4915112345678", "+12345678", /* 8 digits */
        "+123456789012345",                                /* 15 digits */
        "+999999999",       "+33612345678",   "+861391234567",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (phone_is_e164(ok[i]) != 1)
            fail_msg("rejected %s", ok[i]);
}

static void test_e164_invalid(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        "+",
        "+1",
        "+1234567",          /* 7 digits */
        "+1234567890123456", /* 16 digits */
        "15551234567",       /* no plus */
        "0015551234567",
        "+05551234567", /* leading zero */
        "+00000000",
        "++15551234567",
        "+1 5551234567",
        "+1-555-123-4567",
        "+1(555)1234567",
        " +15551234567",
        "+15551234567 ",
        "+15551234567\n",
        "+1555123456a",
        "+1555123456.",
        "-15551234567",
        "+\xef\xbc\x91\xef\xbc\x95\xef\xbc\x95\xef\xbc\x95\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93"
        "\xef\xbc\x94",                                                      /* fullwidth digits */
        "+\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8", /* Arabic-Indic */
        "+1555123456\xff",
        "tel:+15551234567",
        "+1555123456789012345678901234567890",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (phone_is_e164(bad[i]) != 0)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(phone_is_e164(NULL), 0);
}

static void test_e164_every_length(void **state) {
    (void)state;
    char s[40];
    for (int n = 0; n <= 30; n++) {
        s[0] = '+';
        for (int i = 0; i < n; i++)
            s[1 + i] = (char)('1' + i % 9);
        s[1 + n] = '\0';
        assert_int_equal(phone_is_e164(s), n >= 8 && n <= 15);
    }
}

static void test_e164_first_digit(void **state) {
    (void)state;
    char s[] = "+X5551234567";
    for (int c = 0; c < 256; c++) {
        if (c == 0)
            continue;
        s[1] = (char)c;
        assert_int_equal(phone_is_e164(s), c >= '1' && c <= '9');
    }
}

static void test_sms_sender(void **state) {
    (void)state;
    const char *ok[] = {
        "+15551234567", "A",  "ACME",    "acme",  "ACME Bank",
        "ACMEBANK123", /* 11 */
        "A1",           "1A", "Bank 24", "X Y Z", "MG0123456789abcdef0123456789ABCDEF",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (phone_is_sms_sender(ok[i]) != 1)
            fail_msg("rejected sender \"%s\"", ok[i]);
    const char *bad[] = {
        "",
        " ",
        "1",
        "12345",        /* digits only and not E.164 */
        "15551234567",  /* no plus */
        "+1555",        /* short number, and '+' is not alphanumeric */
        "ACMEBANK1234", /* 12 */
        "ACME-BANK",
        "ACME_BANK",
        "ACME.",
        "ACME!",
        "ACME\tBANK",
        "ACME\nBANK",
        " ACME",
        "ACME ",
        "\xc3\x89TAT", /* non-ASCII letter */
        "ACME\xff",
        "+05551234567",
        "MG0123456789abcdef0123456789ABCDE",   /* 31 hex */
        "MG0123456789abcdef0123456789ABCDEF0", /* 33 */
        "MG0123456789abcdef0123456789ABCDEG",
        "mg0123456789abcdef0123456789ABCDEF",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (phone_is_sms_sender(bad[i]) != 0)
            fail_msg("accepted sender \"%s\"", bad[i]);
}

static void test_sms_sender_lengths(void **state) {
    (void)state;
    char s[64];
    for (int n = 1; n <= 40; n++) {
        memset(s, 'Q', (size_t)n);
        s[n] = '\0';
        assert_int_equal(phone_is_sms_sender(s), n <= 11);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e164_valid),        cmocka_unit_test(test_e164_invalid),
        cmocka_unit_test(test_e164_every_length), cmocka_unit_test(test_e164_first_digit),
        cmocka_unit_test(test_sms_sender),        cmocka_unit_test(test_sms_sender_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
