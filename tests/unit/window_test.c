/* window_test.c - tests of domain/window.c: window_parse_hhmm (every valid
 * minute and malformed input), window_zone_known (IANA ids through ICU, not
 * the process TZ) and window_validate's error field paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_fixture.h"

#include "domain/window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_parse_hhmm_every_minute(void **state) {
    (void)state;
    char s[8];
    for (int h = 0; h < 24; h++)
        for (int m = 0; m < 60; m++) {
            snprintf(s, sizeof s, "%02d:%02d", h, m);
            assert_int_equal(window_parse_hhmm(s), h * 60 + m);
        }
}

static void test_parse_hhmm_invalid(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        "9:00",
        "09:0",
        "0900",
        "09.00",
        "09:00:00",
        "24:00",
        "23:60",
        "99:99",
        "-1:00",
        "+9:00",
        " 9:00",
        "09:00 ",
        "09: 0",
        "0x:00",
        "ab:cd",
        "09-00",
        "09:00\n",
        "\xd9\xa0\xd9\xa9:00",
        "12:3a",
        "1a:30",
        "::::",
        "00:0 ",
        "1:1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (window_parse_hhmm(bad[i]) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    /* exhaustively: any 5-char string that is not a valid time is -1 */
    char s[6] = "00:00";
    for (int a = 0; a < 100; a++) {
        for (int b = 0; b < 100; b++) {
            s[0] = (char)('0' + a / 10);
            s[1] = (char)('0' + a % 10);
            s[3] = (char)('0' + b / 10);
            s[4] = (char)('0' + b % 10);
            int want = a < 24 && b < 60 ? a * 60 + b : -1;
            assert_int_equal(window_parse_hhmm(s), want);
        }
    }
}

static void test_zone_known(void **state) {
    (void)state;
    const char *known[] = {"America/New_York",  "Europe/Berlin",   "UTC",
                           "Asia/Kolkata",      "Asia/Calcutta",   "Australia/Lord_Howe",
                           "Etc/GMT+5",         "Pacific/Chatham", "America/Argentina/Buenos_Aires",
                           "Africa/Casablanca", "Asia/Kathmandu",  "GMT"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (window_zone_known(known[i]) != 1)
            fail_msg("zone %s unknown", known[i]);
    const char *unknown[] = {"Mars/Olympus",
                             "",
                             "recipient",
                             "America/New York",
                             "America/New_York ",
                             " UTC",
                             "GMT+5",
                             "+05:00",
                             "UTC+1",
                             "Europe/",
                             "/",
                             "../../etc/passwd",
                             "America/New_York\n",
                             "Europe/Berlin/Mitte",
                             "\xff\xfe",
                             "Etc/GMT+15"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        if (window_zone_known(unknown[i]) != 0)
            fail_msg("zone \"%s\" known", unknown[i]);
}

static void test_zone_ignores_process_tz(void **state) {
    (void)state;
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", "Mars/Olympus", 1);
    assert_int_equal(window_zone_known("Mars/Olympus"), 0);
    assert_int_equal(window_zone_known("America/New_York"), 1);
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
}

static void test_zone_long_names(void **state) {
    (void)state;
    char s[4096];
    size_t lens[] = {63, 64, 127, 128, 1000, 4095};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        memset(s, 'A', lens[i]);
        s[lens[i]] = '\0';
        assert_int_equal(window_zone_known(s), 0);
    }
    /* a real zone padded past the length limit */
    snprintf(s, sizeof s, "America/New_York%0100d", 0);
    assert_int_equal(window_zone_known(s), 0);
}

static void expect_window(const char *json, const char *path, const char *field) {
    json_t *w = J(json);
    struct verr e;
    memset(&e, 0, sizeof e);
    int rc = window_validate(w, path, &e);
    if (field == NULL && rc != 0)
        fail_msg("%s rejected: %s %s", json, e.field, e.message);
    if (field != NULL && (rc != -1 || strcmp(e.field, field) != 0))
        fail_msg("%s: rc %d field '%s', want -1 '%s'", json, rc, e.field, field);
    json_decref(w);
}

static void test_validate(void **state) {
    (void)state;
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"{'start':'09:00','end':'20:00'}", NULL},
        {"{'start':'00:00','end':'23:59'}", NULL},
        {"{'start':'20:00','end':'09:00'}", NULL},
        {"{'start':'09:00','end':'20:00','days':['mon','tue','wed','thu','fri','sat','sun']}",
         NULL},
        {"{'start':'09:00','end':'20:00','days':['sat','sat']}", NULL},
        {"{'start':'09:00','end':'20:00','timezone':'recipient','fallback_timezone':'UTC'}", NULL},
        {"{'start':'09:00','end':'20:00','timezone':null,'days':null,'fallback_timezone':null}",
         NULL},
        {"{'start':'09:00','end':'20:00','extra':'kept'}", NULL},
        {"null", "cw"},
        {"[]", "cw"},
        {"'09:00'", "cw"},
        {"{}", "cw.start"},
        {"{'start':null,'end':'20:00'}", "cw.start"},
        {"{'start':'','end':'20:00'}", "cw.start"},
        {"{'start':'9','end':'20:00'}", "cw.start"},
        {"{'start':540,'end':'20:00'}", "cw.start"},
        {"{'start':'09:00'}", "cw.end"},
        {"{'start':'09:00','end':'24:00'}", "cw.end"},
        {"{'start':'09:00','end':['20:00']}", "cw.end"},
        {"{'start':'09:00','end':'09:00'}", "cw.end"},
        {"{'start':'09:00','end':'20:00','days':[]}", "cw.days"},
        {"{'start':'09:00','end':'20:00','days':{}}", "cw.days"},
        {"{'start':'09:00','end':'20:00','days':'mon'}", "cw.days"},
        {"{'start':'09:00','end':'20:00','days':['mon','funday']}", "cw.days[1]"},
        {"{'start':'09:00','end':'20:00','days':['MON']}", "cw.days[0]"},
        {"{'start':'09:00','end':'20:00','days':['mon','tue','wed','thu','fri','sat','sun',0]}",
         "cw.days[7]"},
        {"{'start':'09:00','end':'20:00','days':[null]}", "cw.days[0]"},
        {"{'start':'09:00','end':'20:00','timezone':'Mars/Olympus'}", "cw.timezone"},
        {"{'start':'09:00','end':'20:00','timezone':'Recipient'}", "cw.timezone"},
        {"{'start':'09:00','end':'20:00','timezone':''}", "cw.timezone"},
        {"{'start':'09:00','end':'20:00','timezone':1}", "cw.timezone"},
        {"{'start':'09:00','end':'20:00','fallback_timezone':'recipient'}", "cw.fallback_timezone"},
        {"{'start':'09:00','end':'20:00','fallback_timezone':'Nowhere/Land'}",
         "cw.fallback_timezone"},
        {"{'start':'09:00','end':'20:00','fallback_timezone':[]}", "cw.fallback_timezone"},
        /* first wrong field wins: start, end, days, timezone, fallback_timezone */
        {"{'fallback_timezone':'x','timezone':'x','days':[],'end':'x','start':'x'}", "cw.start"},
        {"{'fallback_timezone':'x','timezone':'x','days':[],'end':'x','start':'09:00'}", "cw.end"},
        {"{'fallback_timezone':'x','timezone':'x','days':[],'end':'10:00','start':'09:00'}",
         "cw.days"},
        {"{'fallback_timezone':'x','timezone':'x','end':'10:00','start':'09:00'}", "cw.timezone"},
        {"{'fallback_timezone':'x','end':'10:00','start':'09:00'}", "cw.fallback_timezone"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_window(cases[i].json, "cw", cases[i].field);
}

static void test_validate_path_prefix(void **state) {
    (void)state;
    expect_window("{'start':'09:00','end':'20:00','days':['x']}", "config.call_window",
                  "config.call_window.days[0]");
    expect_window("{}", "config.call_window", "config.call_window.start");
    expect_window("7", "config.call_window", "config.call_window");
    /* a very long path is truncated safely, never overflows */
    char path[400];
    memset(path, 'p', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    json_t *w = J("{'start':'09:00','end':'20:00','days':['x']}");
    struct verr e;
    assert_int_equal(window_validate(w, path, &e), -1);
    assert_true(strlen(e.field) < sizeof e.field);
    assert_memory_equal(e.field, path, 100);
    json_decref(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_hhmm_every_minute),
        cmocka_unit_test(test_parse_hhmm_invalid),
        cmocka_unit_test(test_zone_known),
        cmocka_unit_test(test_zone_ignores_process_tz),
        cmocka_unit_test(test_zone_long_names),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_validate_path_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
