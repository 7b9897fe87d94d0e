/* clock_test.c - tests of util/clock.c: RFC 3339 parsing (offsets,
 * fractional seconds, lowercase t/z, leap years, invalid dates and times,
 * malformed input), formatting (pre-1970 and negative milliseconds), the
 * format/parse round trip, a day-by-day sweep against timegm(3) over
 * 1600..2400, and sanity of the clock reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t parse_ok(const char *s) {
    int64_t ms = 0x5a5a5a5a;
    if (clock_parse_rfc3339(s, &ms) != 0)
        fail_msg("rejected \"%s\"", s);
    return ms;
}

static void expect_bad(const char *s) {
    int64_t ms = 0x5a5a5a5a;
    if (clock_parse_rfc3339(s, &ms) != -1)
        fail_msg("accepted \"%s\" as %lld", s, (long long)ms);
    assert_true(ms == 0x5a5a5a5a); /* untouched */
}

static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * 1000;
}

static void test_parse_known(void **state) {
    (void)state;
    assert_true(parse_ok("1970-01-01T00:00:00Z") == 0);
    assert_true(parse_ok("1970-01-01T00:00:01Z") == 1000);
    assert_true(parse_ok("2026-11-29T08:00:00Z") == utc_ms(2026, 11, 29, 8, 0, 0));
    assert_true(parse_ok("2000-02-29T12:34:56Z") == 951827696000LL);
    assert_true(parse_ok("2038-01-19T03:14:08Z") == 2147483648000LL);
    assert_true(parse_ok("9999-12-31T23:59:59Z") == 253402300799000LL);
    assert_true(parse_ok("2026-11-29t08:00:00z") == parse_ok("2026-11-29T08:00:00Z"));
}

static void test_parse_pre_1970(void **state) {
    (void)state;
    assert_true(parse_ok("1969-12-31T23:59:59Z") == -1000);
    assert_true(parse_ok("1969-12-31T23:59:59.999Z") == -1);
    assert_true(parse_ok("1969-12-31T23:59:59.001Z") == -999);
    assert_true(parse_ok("1969-12-31T00:00:00Z") == -86400000);
    assert_true(parse_ok("1900-01-01T00:00:00Z") == -2208988800000LL);
    assert_true(parse_ok("0001-01-01T00:00:00Z") == -62135596800000LL);
    assert_true(parse_ok("0000-01-01T00:00:00Z") == -62167219200000LL);
    assert_true(parse_ok("0000-02-29T00:00:00Z") == -62167219200000LL + 59LL * 86400000);
    assert_true(parse_ok("1970-01-01T00:00:00+01:00") == -3600000);
}

static void test_parse_offsets(void **state) {
    (void)state;
    int64_t base = parse_ok("2026-11-29T02:30:00Z");
    assert_true(parse_ok("2026-11-29T08:00:00+05:30") == base);
    assert_true(parse_ok("2026-11-28T18:30:00-08:00") == base);
    assert_true(parse_ok("2026-11-29T02:30:00+00:00") == base);
    assert_true(parse_ok("2026-11-29T02:30:00-00:00") == base);
    assert_true(parse_ok("2026-11-30T02:29:00+23:59") == base);
    assert_true(parse_ok("2026-11-28T02:31:00-23:59") == base);
    /* across a year boundary */
    assert_true(parse_ok("2027-01-01T01:00:00+02:00") == parse_ok("2026-12-31T23:00:00Z"));
    /* malformed offsets */
    const char *bad[] = {
        "2026-11-29T08:00:00+24:00", "2026-11-29T08:00:00+05:60",  "2026-11-29T08:00:00+0530",
        "2026-11-29T08:00:00+05",    "2026-11-29T08:00:00+5:30",   "2026-11-29T08:00:00+05:3",
        "2026-11-29T08:00:00+",      "2026-11-29T08:00:00 +05:30", "2026-11-29T08:00:00+05:30Z",
        "2026-11-29T08:00:00UTC",    "2026-11-29T08:00:00GMT",     "2026-11-29T08:00:00+ab:cd",
        "2026-11-29T08:00:00*05:30", "2026-11-29T08:00:00-5:00",   "2026-11-29T08:00:00+05:30:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad(bad[i]);
}

static void test_parse_fraction(void **state) {
    (void)state;
    int64_t base = parse_ok("2026-11-29T08:00:00Z");
    assert_true(parse_ok("2026-11-29T08:00:00.1Z") == base + 100);
    assert_true(parse_ok("2026-11-29T08:00:00.12Z") == base + 120);
    assert_true(parse_ok("2026-11-29T08:00:00.123Z") == base + 123);
    assert_true(parse_ok("2026-11-29T08:00:00.000Z") == base);
    assert_true(parse_ok("2026-11-29T08:00:00.999Z") == base + 999);
    /* below a millisecond is dropped (never rounds up into the next second) */
    assert_true(parse_ok("2026-11-29T08:00:00.1239Z") == base + 123);
    assert_true(parse_ok("2026-11-29T08:00:00.999999999Z") == base + 999);
    assert_true(parse_ok("2026-11-29T08:00:00.5+01:00") == base - 3600000 + 500);
    expect_bad("2026-11-29T08:00:00.Z");
    expect_bad("2026-11-29T08:00:00.+01:00");
    expect_bad("2026-11-29T08:00:00,5Z");
    expect_bad("2026-11-29T08:00:00.5.5Z");
    expect_bad("2026-11-29T08:00:00.-5Z");
    expect_bad("2026-11-29T08:00:00.5");
    expect_bad("2026-11-29T08:00:00. 5Z");
}

static void test_parse_invalid_dates(void **state) {
    (void)state;
    const char *bad[] = {
        "2026-02-30T00:00:00Z", "2026-02-31T00:00:00Z", "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-06-31T00:00:00Z", "2026-09-31T00:00:00Z", "2026-11-31T00:00:00Z",
        "2026-00-10T00:00:00Z", "2026-13-10T00:00:00Z", "2026-01-00T00:00:00Z",
        "2026-01-32T00:00:00Z", "2026-99-99T00:00:00Z", "2026-11-29T24:00:00Z",
        "2026-11-29T25:00:00Z", "2026-11-29T08:60:00Z", "2026-11-29T08:00:61Z",
        "2026-11-29T99:99:99Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad(bad[i]);
    /* leap years that are valid */
    parse_ok("2024-02-29T00:00:00Z");
    parse_ok("2000-02-29T00:00:00Z");
    parse_ok("1600-02-29T00:00:00Z");
    /* a leap second is read as the second before it */
    assert_true(parse_ok("2016-12-31T23:59:60Z") == parse_ok("2016-12-31T23:59:59Z"));
}

static void test_parse_malformed(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        "Z",
        "2026",
        "2026-11-29",
        "2026-11-29T08:00Z",
        "2026-11-29T08:00:00",
        "2026-11-29 08:00:00Z",
        "2026-11-29_08:00:00Z",
        "2026-11-29T08:00:00ZZ",
        "2026-11-29T08:00:00Z ",
        " 2026-11-29T08:00:00Z",
        "2026-11-29T08:00:00Z\n",
        "02026-11-29T08:00:00Z",
        "+2026-11-29T08:00:00Z",
        "-2026-11-29T08:00:00Z",
        "2026/11/29T08:00:00Z",
        "2026-1-29T08:00:00Z",
        "2026-11-9T08:00:00Z",
        "2026-11-29T8:00:00Z",
        "2026-11-29T08:0:00Z",
        "2026-11-29T08:00:0Z",
        "20261129T080000Z",
        "2026-11-29T08.00.00Z",
        "2O26-11-29T08:00:00Z",
        "2026-11-29T08:00:00\xff",
        "1795939200",
        "tomorrow",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad(bad[i]);
    /* every position of a valid string replaced by a letter is refused */
    char s[] = "2026-11-29T08:00:00Z";
    for (size_t i = 0; i < sizeof s - 1; i++) {
        char orig = s[i];
        s[i] = 'x';
        expect_bad(s);
        s[i] = orig;
    }
    /* very long input */
    char *big = malloc(100001);
    assert_non_null(big);
    memset(big, '9', 100000);
    big[100000] = '\0';
    expect_bad(big);
    memcpy(big, "2026-11-29T08:00:00.", 20);
    big[99999] = 'Z';
    expect_bad(big); /* 99979 fraction digits */
    free(big);
}

static void test_format_known(void **state) {
    (void)state;
    char out[CLOCK_RFC3339_LEN];
    static const struct {
        int64_t ms;
        const char *s;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {1, "1970-01-01T00:00:00.001Z"},
        {999, "1970-01-01T00:00:00.999Z"},
        {1000, "1970-01-01T00:00:01.000Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {-999, "1969-12-31T23:59:59.001Z"},
        {-1000, "1969-12-31T23:59:59.000Z"},
        {-1001, "1969-12-31T23:59:58.999Z"},
        {-86400000, "1969-12-31T00:00:00.000Z"},
        {-86400001, "1969-12-30T23:59:59.999Z"},
        {951827696789LL, "2000-02-29T12:34:56.789Z"},
        {2147483648000LL, "2038-01-19T03:14:08.000Z"},
        {-2208988800000LL, "1900-01-01T00:00:00.000Z"},
        {-62135596800000LL, "0001-01-01T00:00:00.000Z"},
        {-62167219200000LL, "0000-01-01T00:00:00.000Z"},
        {253402300799999LL, "9999-12-31T23:59:59.999Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 'X', sizeof out);
        clock_format_rfc3339(cases[i].ms, out);
        if (strcmp(out, cases[i].s) != 0)
            fail_msg("format(%lld) = %s, want %s", (long long)cases[i].ms, out, cases[i].s);
    }
}

static void test_format_out_of_range_is_safe(void **state) {
    (void)state;
    char out[CLOCK_RFC3339_LEN];
    int64_t ms[] = {253402300800000LL, -62167219200001LL, 1000000000000000LL, -1000000000000000LL,
                    INT64_MAX};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        memset(out, 'X', sizeof out);
        clock_format_rfc3339(ms[i], out);
        assert_non_null(memchr(out, '\0', sizeof out));
        assert_int_equal(strlen(out), 24); /* still the fixed shape */
    }
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_round_trip(void **state) {
    (void)state;
    const int64_t lo = -62167219200000LL, hi = 253402300799999LL; /* years 0000..9999 */
    char out[CLOCK_RFC3339_LEN];
    for (int i = 0; i < 200000; i++) {
        int64_t ms = lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
        if (i < 2000)
            ms = (int64_t)i - 1000; /* around the epoch */
        clock_format_rfc3339(ms, out);
        int64_t back = 0;
        if (clock_parse_rfc3339(out, &back) != 0 || back != ms)
            fail_msg("round trip of %lld via %s gave %lld", (long long)ms, out, (long long)back);
    }
}

/* Every day 1600..2400 agrees with timegm, and day+1 past a month's end is
 * refused. */
static void test_sweep_against_timegm(void **state) {
    (void)state;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char s[40];
    for (int y = 1600; y <= 2400; y++) {
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (int m = 1; m <= 12; m++) {
            int last = mdays[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= last + 1; d++) {
                int h = (y + d) % 24, mi = (m * 7 + d) % 60, se = (y + m + d) % 60;
                snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, h, mi, se);
                int64_t got = 0;
                int rc = clock_parse_rfc3339(s, &got);
                if (d > last) {
                    if (rc != -1)
                        fail_msg("accepted %s", s);
                    continue;
                }
                if (rc != 0 || got != utc_ms(y, m, d, h, mi, se))
                    fail_msg("%s: rc %d got %lld want %lld", s, rc, (long long)got,
                             (long long)utc_ms(y, m, d, h, mi, se));
            }
        }
    }
}

static void test_parse_ignores_process_tz(void **state) {
    (void)state;
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    int64_t a = parse_ok("2026-07-01T12:00:00Z");
    setenv("TZ", "America/New_York", 1);
    tzset();
    assert_true(parse_ok("2026-07-01T12:00:00Z") == a);
    char out[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(a, out);
    assert_string_equal(out, "2026-07-01T12:00:00.000Z");
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

static void test_clock_reads(void **state) {
    (void)state;
    int64_t now = clock_now_ms();
    assert_true(now > parse_ok("2024-01-01T00:00:00Z"));
    int64_t sys = (int64_t)time(NULL) * 1000;
    assert_true(now - sys < 5000 && sys - now < 5000);
    uint64_t a = clock_mono_ns();
    for (int i = 0; i < 1000; i++) {
        uint64_t b = clock_mono_ns();
        assert_true(b >= a);
        a = b;
    }
}

/* Regression (fixed): clock_format_rfc3339(INT64_MIN) computes ms - 999, a signed
 * overflow (undefined behaviour; UBSan aborts). */
static void test_format_int64_min_bug(void **state) {
    (void)state;
    char out[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(INT64_MIN, out);
    assert_int_equal(strlen(out), 24);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_known),
        cmocka_unit_test(test_parse_pre_1970),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_fraction),
        cmocka_unit_test(test_parse_invalid_dates),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_format_out_of_range_is_safe),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_sweep_against_timegm),
        cmocka_unit_test(test_parse_ignores_process_tz),
        cmocka_unit_test(test_clock_reads),
        cmocka_unit_test(test_format_int64_min_bug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
