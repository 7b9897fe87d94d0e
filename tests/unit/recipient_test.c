/* recipient_test.c - tests of domain/recipient.c: recipient_check_number
 * (not_e164 for bad syntax, embedded NULs and lengths that disagree with
 * the string; invalid_number for E.164-shaped numbers outside their
 * country's plan, including national trunk prefixes written inside E.164;
 * the region of valid numbers), recipient_params_valid (an object of at
 * most 64 string, number or boolean values; keys [A-Za-z_][A-Za-z0-9_]* of
 * 1..64 characters; strings at most 4096 bytes of valid UTF-8 without
 * NUL), recipient_param_name_valid, reject_reason_name and
 * recipient_clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_fixture.h"

#include "domain/recipient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

static enum reject_reason check_n(const char *number, size_t len, char region[4]) {
    /* an exact-size copy: a read past len (and past the terminator the
     * caller promises) is caught by AddressSanitizer */
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, number, len);
    copy[len] = '\0';
    enum reject_reason r = recipient_check_number(copy, len, region);
    free(copy);
    return r;
}

static void expect_number(const char *number, enum reject_reason want, const char *want_region) {
    char region[4] = "zz";
    enum reject_reason got = check_n(number, strlen(number), region);
    if (got != want)
        fail_msg("%s: got %s, want %s", number, reject_reason_name(got), reject_reason_name(want));
    if (want_region && strcmp(region, want_region) != 0)
        fail_msg("%s: region \"%s\", want \"%s\"", number, region, want_region);
}

static void expect_params(const char *sq, int want) {
    json_t *v = J(sq);
    int got = recipient_params_valid(v);
    json_decref(v);
    if (got != want)
        fail_msg("params %s: got %d, want %d", sq, got, want);
}

/* Checks params {key: value} (value stolen). */
static int one_param(const char *key, json_t *value) {
    json_t *o = json_object();
    assert_int_equal(json_object_set_new(o, key, value), 0);
    int rc = recipient_params_valid(o);
    json_decref(o);
    return rc;
}

/* ---- numbers ---------------------------------------------------------- */

static void test_not_e164(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        "+",
        "12345",
        "14155550100",                                                       /* no "+" */
        "+0123456789",                                                       /* leading zero */
        "+1234567",                                                          /* 7 digits */
        "+1234567890123456",                                                 /* 16 digits */
        "+12345678901234567",                                                /* 17 digits */
        "++14155550100",                                                     /* two pluses */
        "+1 415 555 0100",                                                   /* spaces */
        "+1-415-555-0100",                                                   /* dashes */
        "+1(415)5550100",                                                    /* brackets */
        "+1415555010a",                                                      /* a letter */
        " +14155550100",                                                     /* leading blank */
        "+14155550100 ",                                                     /* trailing blank */
        "+14155550100\n",                                                    /* trailing newline */
        "+\xd9\xa1\xd9\xa4\xd9\xa1\xd9\xa5\xd9\xa5\xd9\xa5\xd9\xa0\xd9\xa1", /* Arabic digits */
        "\xef\xbc\x8b"
        "14155550100",   /* fullwidth plus */
        "0014155550100", /* international prefix */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_number(bad[i], REJECT_NOT_E164, NULL);
}

/* The length given must be the string's: an embedded NUL (a length longer
 * than strlen) is not E.164, even when the bytes before it are. */
static void test_embedded_nul(void **state) {
    (void)state;
    char region[4];
    assert_int_equal(check_n("+14155550100\0"
                             "99",
                             15, region),
                     REJECT_NOT_E164);
    assert_int_equal(check_n("+1415\0"
                             "5550100",
                             12, region),
                     REJECT_NOT_E164);
    assert_int_equal(check_n("\0+14155550100", 13, region), REJECT_NOT_E164);
    /* same bytes, honest length: fine */
    assert_int_equal(check_n("+14155550100", 12, region), REJECT_NONE);
    assert_string_equal(region, "US");
    /* a length shorter than the string is a mismatch too */
    assert_int_equal(recipient_check_number("+14155550100", 11, region), REJECT_NOT_E164);
    assert_int_equal(recipient_check_number("+14155550100", 0, region), REJECT_NOT_E164);
}

static void test_valid_numbers_and_regions(void **state) {
    (void)state;
    expect_number("+14155550100", REJECT_NONE, "US");
    expect_number("+442071838750", REJECT_NONE, "GB");
    expect_number("+4930123456", REJECT_NONE, "DE");
    expect_number("+33612345678", REJECT_NONE, "FR");
    expect_number("+61212345678", REJECT_NONE, "AU");
    expect_number("+5511987654321", REJECT_NONE, "BR");
    expect_number("+819012345678", REJECT_NONE, "JP");
    expect_number("+16135550123", REJECT_NONE, "CA"); /* +1 is shared: Ottawa */
    expect_number("+393123456789", REJECT_NONE, "IT");
    expect_number("+390612345678", REJECT_NONE, "IT"); /* Italian leading zero */
}

static void test_invalid_numbers(void **state) {
    (void)state;
    const char *bad[] = {
        "+11234567890",   /* US area code 123 does not exist */
        "+10234567890",   /* area codes never start with 0 */
        "+14150550100",   /* exchange codes never start with 0 */
        "+1415555010",    /* 9 national digits */
        "+141555501000",  /* 11 national digits */
        "+4402071838750", /* UK trunk prefix 0 written inside E.164 */
        "+114155550100",  /* NANP trunk prefix 1 written inside E.164 */
        "+49030123456",   /* German trunk prefix 0 */
        "+3306123456789", /* French trunk prefix 0 */
        "+2999999999",    /* country code 299 (Greenland) with a bad number */
        "+8091234567",    /* no country code 80, 809 */
        "+999123456789",  /* no country code 999 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_number(bad[i], REJECT_INVALID_NUMBER, NULL);
}

/* The region is written only for valid numbers, NUL-terminated within 4. */
static void test_region_buffer(void **state) {
    (void)state;
    char region[5] = {'x', 'x', 'x', 'x', 'G'};
    assert_int_equal(recipient_check_number("+442071838750", 13, region), REJECT_NONE);
    assert_string_equal(region, "GB");
    assert_int_equal(region[4], 'G'); /* nothing past the 4 bytes */
}

/* Many numbers of every length: the syntax rule is "+", a nonzero digit,
 * 8..15 digits in all; whatever passes it is either valid or
 * invalid_number, never not_e164. */
static void test_lengths_sweep(void **state) {
    (void)state;
    char region[4];
    for (size_t digits = 1; digits <= 18; digits++) {
        char num[24] = "+";
        for (size_t i = 0; i < digits; i++)
            num[1 + i] = (char)('1' + (i * 7) % 9);
        num[1 + digits] = '\0';
        enum reject_reason r = check_n(num, digits + 1, region);
        if (digits < 8 || digits > 15) {
            if (r != REJECT_NOT_E164)
                fail_msg("%s (%zu digits): %s", num, digits, reject_reason_name(r));
        } else if (r == REJECT_NOT_E164) {
            fail_msg("%s (%zu digits) is E.164-shaped", num, digits);
        }
    }
}

static void test_reject_reason_names(void **state) {
    (void)state;
    assert_string_equal(reject_reason_name(REJECT_NOT_E164), "not_e164");
    assert_string_equal(reject_reason_name(REJECT_INVALID_NUMBER), "invalid_number");
    assert_string_equal(reject_reason_name(REJECT_INVALID_PARAMS), "invalid_params");
    assert_string_equal(reject_reason_name(REJECT_DUPLICATE), "duplicate");
    assert_string_equal(reject_reason_name(REJECT_NONE), "none");
    assert_non_null(reject_reason_name((enum reject_reason)99));
}

/* ---- params ----------------------------------------------------------- */

static void test_params_valid(void **state) {
    (void)state;
    assert_int_equal(recipient_params_valid(NULL), 1);
    expect_params("null", 1);
    expect_params("{}", 1);
    expect_params("{'name':'Ann','age':42,'balance':-12.5,'vip':true,'late':false}", 1);
    expect_params("{'_x':'','A1_b2':'\\u00e9t\\u00e9 \\ud83d\\ude00'}", 1);
    expect_params("{'big':1e308,'neg':-9223372036854775808}", 1);
}

static void test_params_invalid_values(void **state) {
    (void)state;
    expect_params("{'a':{}}", 0);
    expect_params("{'a':{'b':'c'}}", 0);
    expect_params("{'a':[]}", 0);
    expect_params("{'a':['x']}", 0);
    expect_params("{'a':null}", 0);
    expect_params("{'ok':'x','a':null}", 0); /* one bad value is enough */
}

static void test_params_not_an_object(void **state) {
    (void)state;
    expect_params("[]", 0);
    expect_params("[{'a':'b'}]", 0);
    expect_params("'name'", 0);
    expect_params("42", 0);
    expect_params("true", 0);
}

static void test_param_names(void **state) {
    (void)state;
    const char *ok[] = {
        "a",
        "_",
        "A",
        "name",
        "first_name",
        "_private",
        "x1",
        "Z9_",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}; /* 64 */
    const char *bad[] = {
        "",           "1a",
        "9",          "first-name",
        "first name", "a.b",
        "a$",         "caf\xc3\xa9",
        "\xc3\xa9",   "{{x}}",
        "a\tb",       " a",
        "a ",         "-",
        "ä",          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (recipient_param_name_valid(ok[i]) != 1)
            fail_msg("name \"%s\" rejected", ok[i]);
        if (one_param(ok[i], json_string("v")) != 1)
            fail_msg("params key \"%s\" rejected", ok[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (recipient_param_name_valid(bad[i]) != 0)
            fail_msg("name \"%s\" accepted", bad[i]);
        if (one_param(bad[i], json_string("v")) != 0)
            fail_msg("params key \"%s\" accepted", bad[i]);
    }
}

static void test_params_key_count(void **state) {
    (void)state;
    json_t *o = json_object();
    for (int i = 0; i < RECIPIENT_MAX_PARAMS; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        json_object_set_new(o, key, json_integer(i));
    }
    assert_int_equal(json_object_size(o), 64);
    assert_int_equal(recipient_params_valid(o), 1);
    json_object_set_new(o, "one_more", json_true());
    assert_int_equal(recipient_params_valid(o), 0);
    json_decref(o);
}

static void test_params_string_size(void **state) {
    (void)state;
    char *s = malloc(RECIPIENT_MAX_PARAM_BYTES + 8);
    assert_non_null(s);
    memset(s, 'a', RECIPIENT_MAX_PARAM_BYTES + 8);
    assert_int_equal(one_param("a", json_stringn(s, RECIPIENT_MAX_PARAM_BYTES)), 1);
    assert_int_equal(one_param("a", json_stringn(s, RECIPIENT_MAX_PARAM_BYTES + 1)), 0);
    /* bytes, not characters: 2048 two-byte characters fit, 2049 do not */
    for (int i = 0; i < RECIPIENT_MAX_PARAM_BYTES + 2; i += 2)
        memcpy(s + i, "\xc3\xa9", 2);
    assert_int_equal(one_param("a", json_stringn(s, RECIPIENT_MAX_PARAM_BYTES)), 1);
    assert_int_equal(one_param("a", json_stringn(s, RECIPIENT_MAX_PARAM_BYTES + 2)), 0);
    free(s);
}

static void test_params_string_nul(void **state) {
    (void)state;
    /* \u0000 in a value: parsed with JSON_ALLOW_NUL, and built directly */
    json_error_t err;
    json_t *v = json_loads("{\"a\":\"x\\u0000y\"}", JSON_ALLOW_NUL, &err);
    assert_non_null(v);
    assert_int_equal(json_string_length(json_object_get(v, "a")), 3);
    assert_int_equal(recipient_params_valid(v), 0);
    json_decref(v);
    assert_int_equal(one_param("a", json_stringn("\0", 1)), 0);
    assert_int_equal(one_param("a", json_stringn("ok\0", 3)), 0);
    assert_int_equal(one_param("a", json_stringn("ok", 2)), 1);
}

static void test_recipient_clear(void **state) {
    (void)state;
    struct recipient r;
    memset(&r, 0, sizeof r);
    r.phone_number = strdup("+14155550100");
    r.params_json = strdup("{}");
    r.carrier = strdup("default-voice");
    r.last_call_id = strdup("call_1");
    recipient_clear(&r);
    assert_null(r.phone_number);
    assert_null(r.params_json);
    assert_null(r.carrier);
    assert_null(r.last_call_id);
    assert_null(r.last_message_id);
    recipient_clear(&r); /* twice is harmless */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_e164),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_valid_numbers_and_regions),
        cmocka_unit_test(test_invalid_numbers),
        cmocka_unit_test(test_region_buffer),
        cmocka_unit_test(test_lengths_sweep),
        cmocka_unit_test(test_reject_reason_names),
        cmocka_unit_test(test_params_valid),
        cmocka_unit_test(test_params_invalid_values),
        cmocka_unit_test(test_params_not_an_object),
        cmocka_unit_test(test_param_names),
        cmocka_unit_test(test_params_key_count),
        cmocka_unit_test(test_params_string_size),
        cmocka_unit_test(test_params_string_nul),
        cmocka_unit_test(test_recipient_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
