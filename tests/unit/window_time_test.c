/* window_time_test.c - time arithmetic of domain/window.c and the prefix
 * table of domain/tzmap.c, against fixed instants (the time is always an
 * argument; nothing here reads the clock or the process's TZ):
 *   - DST spring-forward and fall-back in America/New_York and Europe/Berlin
 *     (a start in the skipped hour opens at the transition; a window in the
 *     repeated hour opens at its first occurrence and is open in both);
 *   - a window spanning midnight, with the days filter naming the start day;
 *   - days filters across a week boundary;
 *   - multi-zone "A&B" (open in every zone; INT64_MAX when never together);
 *   - the window's own zone / fallback when a number has no zone;
 *   - a brute-force sweep: window_next_open(t) is the first minute >= t at
 *     which window_open_in says open;
 *   - tzmap: a small table (longest prefix, comments), the real table when
 *     present, ICU's zones of a region.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/tzmap.h"
#include "domain/window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* the table shipped in the repo (data/), passed by CMake */
#define REAL_TABLE CAMPAIGND_TZ_TABLE

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* A UTC instant in ms. */
static int64_t utc(int y, int mo, int d, int h, int mi) {
    return days_from_civil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * MIN_MS;
}

static void fmt(int64_t t, char *out, size_t n) {
    if (t == INT64_MAX) {
        snprintf(out, n, "INT64_MAX");
        return;
    }
    int64_t days = t / DAY_MS, rem = t % DAY_MS;
    snprintf(out, n, "day %lld %02lld:%02lld:%02lld.%03lld UTC", (long long)days,
             (long long)(rem / HOUR_MS), (long long)(rem / MIN_MS % 60),
             (long long)(rem / 1000 % 60), (long long)(rem % 1000));
}

#define assert_instant(got, want)                                                                  \
    do {                                                                                           \
        int64_t g_ = (got), w_ = (want);                                                           \
        if (g_ != w_) {                                                                            \
            char gs_[64], ws_[64];                                                                 \
            fmt(g_, gs_, sizeof gs_);                                                              \
            fmt(w_, ws_, sizeof ws_);                                                              \
            fail_msg("%s: got %s, want %s", #got, gs_, ws_);                                       \
        }                                                                                          \
    } while (0)

/* A window from JSON with single quotes for double quotes. */
static struct call_window W(const char *sq) {
    size_t n = strlen(sq);
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i <= n; i++)
        s[i] = sq[i] == '\'' ? '"' : sq[i];
    json_error_t err;
    json_t *v = json_loads(s, 0, &err);
    if (!v)
        fail_msg("bad test JSON %s: %s", s, err.text);
    struct verr e;
    memset(&e, 0, sizeof e);
    if (window_validate(v, "cw", &e) != 0)
        fail_msg("test window %s invalid: %s", s, e.message);
    struct call_window w;
    assert_int_equal(window_from_json(v, &w), 1);
    json_decref(v);
    free(s);
    return w;
}

static void
expect_open(const struct call_window *w, const char *zone, int64_t t, int want) {
    int got = window_open_in(w, zone, t);
    if (got != want) {
        char ts[64];
        fmt(t, ts, sizeof ts);
        fail_msg("window_open_in(%s, %s) = %d, want %d", zone, ts, got, want);
    }
}

/* ---- sanity: plain days, UTC offsets both sides of DST ---- */

static void test_calendar_helper(void **state) {
    (void)state;
    /* the helper itself: known epoch values */
    assert_int_equal(utc(1970, 1, 1, 0, 0), 0);
    assert_int_equal(utc(2000, 3, 1, 0, 0), 951868800000LL);
    assert_int_equal(utc(2026, 1, 1, 0, 0), 1767225600000LL);
}

static void test_ny_offsets_winter_and_summer(void **state) {
    (void)state;
    struct call_window w = W("{'start':'09:00','end':'17:00','timezone':'America/New_York'}");
    assert_string_equal(w.zone, "America/New_York");
    assert_int_equal(w.per_recipient, 0);
    /* Thu 2026-01-15 07:00 EST (UTC-5): opens 09:00 EST = 14:00 UTC */
    assert_instant(window_next_open(&w, NULL, utc(2026, 1, 15, 12, 0)), utc(2026, 1, 15, 14, 0));
    /* Wed 2026-07-15 08:00 EDT (UTC-4): opens 09:00 EDT = 13:00 UTC */
    assert_instant(window_next_open(&w, NULL, utc(2026, 7, 15, 12, 0)), utc(2026, 7, 15, 13, 0));
    /* open now: t itself, to the millisecond */
    int64_t inside = utc(2026, 1, 15, 15, 0) + 12345;
    assert_instant(window_next_open(&w, NULL, inside), inside);
    expect_open(&w, "America/New_York", utc(2026, 1, 15, 14, 0), 1);
    expect_open(&w, "America/New_York", utc(2026, 1, 15, 14, 0) - 1, 0);
    expect_open(&w, "America/New_York", utc(2026, 1, 15, 22, 0) - 1, 1);
    expect_open(&w, "America/New_York", utc(2026, 1, 15, 22, 0), 0); /* end is exclusive */
    /* the same instant in another zone is another local time */
    expect_open(&w, "Europe/Berlin", utc(2026, 1, 15, 14, 0), 1); /* 15:00 CET */
    expect_open(&w, "Europe/Berlin", utc(2026, 1, 15, 17, 0), 0); /* 18:00 CET */
    expect_open(&w, "Asia/Tokyo", utc(2026, 1, 15, 14, 0), 0);    /* 23:00 JST */
    expect_open(&w, "Asia/Kolkata", utc(2026, 1, 15, 3, 30), 1);  /* 09:00 IST */
    expect_open(&w, "Asia/Kolkata", utc(2026, 1, 15, 3, 29), 0);  /* 08:59 IST */
    /* after today's window: tomorrow's opening */
    assert_instant(window_next_open(&w, NULL, utc(2026, 1, 15, 22, 0)), utc(2026, 1, 16, 14, 0));
}

static void test_process_tz_is_ignored(void **state) {
    (void)state;
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    struct call_window w = W("{'start':'09:00','end':'17:00','timezone':'Europe/Berlin'}");
    int64_t t = utc(2026, 1, 15, 6, 0);
    int64_t want = utc(2026, 1, 15, 8, 0); /* 09:00 CET */
    const char *tzs[] = {"America/Los_Angeles", "Asia/Tokyo", "UTC"};
    for (size_t i = 0; i < 3; i++) {
        setenv("TZ", tzs[i], 1);
        tzset();
        assert_instant(window_next_open(&w, NULL, t), want);
        expect_open(&w, "Europe/Berlin", want, 1);
    }
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

/* ---- DST: America/New_York ---- */

/* 2026-03-08: 02:00 EST (07:00 UTC) becomes 03:00 EDT; 02:00-02:59 never
 * happens. */
static void test_ny_spring_forward_start_in_skipped_hour(void **state) {
    (void)state;
    struct call_window w = W("{'start':'02:30','end':'04:00','timezone':'America/New_York'}");
    int64_t transition = utc(2026, 3, 8, 7, 0);
    /* from Sat 22:00 EST and from Sun 00:00 EST: opens at the transition */
    assert_instant(window_next_open(&w, NULL, utc(2026, 3, 8, 3, 0)), transition);
    assert_instant(window_next_open(&w, NULL, utc(2026, 3, 8, 5, 0)), transition);
    assert_instant(window_next_open(&w, NULL, transition - 1), transition);
    expect_open(&w, "America/New_York", transition - MIN_MS, 0); /* 01:59 EST */
    expect_open(&w, "America/New_York", transition, 1);          /* 03:00 EDT */
    expect_open(&w, "America/New_York", utc(2026, 3, 8, 7, 59), 1);
    expect_open(&w, "America/New_York", utc(2026, 3, 8, 8, 0), 0); /* 04:00 EDT */
    /* the day before and after: the ordinary 02:30 */
    assert_instant(window_next_open(&w, NULL, utc(2026, 3, 7, 5, 0)), utc(2026, 3, 7, 7, 30));
    assert_instant(window_next_open(&w, NULL, utc(2026, 3, 8, 8, 0)), utc(2026, 3, 9, 6, 30));
}

static void test_ny_spring_forward_window_ending_in_skipped_hour(void **state) {
    (void)state;
    struct call_window w = W("{'start':'01:30','end':'02:30','timezone':'America/New_York'}");
    /* 01:30 EST = 06:30 UTC exists; the window closes when 02:00 EST
     * jumps to 03:00 EDT at 07:00 UTC */
    assert_instant(window_next_open(&w, NULL, utc(2026, 3, 8, 5, 0)), utc(2026, 3, 8, 6, 30));
    expect_open(&w, "America/New_York", utc(2026, 3, 8, 6, 59), 1);
    expect_open(&w, "America/New_York", utc(2026, 3, 8, 7, 0), 0);
    /* from just after the jump: the next day's 01:30 EDT = 05:30 UTC */
    assert_instant(window_next_open(&w, NULL, utc(2026, 3, 8, 7, 0)), utc(2026, 3, 9, 5, 30));
}

/* 2026-11-01: 02:00 EDT (06:00 UTC) becomes 01:00 EST; 01:00-01:59 happens
 * twice: 05:00-06:00 UTC (EDT) and 06:00-07:00 UTC (EST). */
static void test_ny_fall_back_repeated_hour(void **state) {
    (void)state;
    struct call_window w = W("{'start':'01:30','end':'02:00','timezone':'America/New_York'}");
    /* first occurrence of 01:30 */
    assert_instant(window_next_open(&w, NULL, utc(2026, 11, 1, 3, 0)), utc(2026, 11, 1, 5, 30));
    /* open in both occurrences of 01:30-01:59 */
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 5, 29), 0);
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 5, 30), 1);
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 5, 59), 1);
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 6, 0), 0); /* 01:00 EST */
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 6, 29), 0);
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 6, 30), 1); /* 01:30 EST */
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 6, 59), 1);
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 7, 0), 0); /* 02:00 EST */
    /* inside either occurrence: now */
    assert_instant(window_next_open(&w, NULL, utc(2026, 11, 1, 5, 45)), utc(2026, 11, 1, 5, 45));
    assert_instant(window_next_open(&w, NULL, utc(2026, 11, 1, 6, 45)), utc(2026, 11, 1, 6, 45));
    /* after the second occurrence: the next day's 01:30 EST */
    assert_instant(window_next_open(&w, NULL, utc(2026, 11, 1, 7, 0)), utc(2026, 11, 2, 6, 30));
}

/* Regression (fixed): from inside the second occurrence of the repeated hour, before the
 * window's start, window_next_open skips the second occurrence's opening
 * (which window_open_in reports open) and answers the next day. */
static void test_ny_fall_back_next_open_in_second_occurrence(void **state) {
    (void)state;
    struct call_window w = W("{'start':'01:30','end':'02:00','timezone':'America/New_York'}");
    int64_t t = utc(2026, 11, 1, 6, 5); /* 01:05 EST, the second 01:05 */
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 6, 30), 1);
    assert_instant(window_next_open(&w, NULL, t), utc(2026, 11, 1, 6, 30));
}

static void test_ny_fall_back_window_over_the_repeat(void **state) {
    (void)state;
    /* 00:30-03:00 local lasts 3.5 h of real time on the fall-back day */
    struct call_window w = W("{'start':'00:30','end':'03:00','timezone':'America/New_York'}");
    int64_t open = utc(2026, 11, 1, 4, 30); /* 00:30 EDT */
    assert_instant(window_next_open(&w, NULL, utc(2026, 11, 1, 2, 0)), open);
    for (int64_t t = open; t < utc(2026, 11, 1, 8, 0); t += 5 * MIN_MS)
        expect_open(&w, "America/New_York", t, 1);
    expect_open(&w, "America/New_York", utc(2026, 11, 1, 8, 0), 0); /* 03:00 EST */
}

/* ---- DST: Europe/Berlin ---- */

/* 2026-03-29: 02:00 CET (01:00 UTC) becomes 03:00 CEST. */
static void test_berlin_spring_forward(void **state) {
    (void)state;
    struct call_window w = W("{'start':'02:15','end':'05:00','timezone':'Europe/Berlin'}");
    int64_t transition = utc(2026, 3, 29, 1, 0);
    assert_instant(window_next_open(&w, NULL, utc(2026, 3, 28, 23, 0)), transition);
    expect_open(&w, "Europe/Berlin", transition - MIN_MS, 0); /* 01:59 CET */
    expect_open(&w, "Europe/Berlin", transition, 1);          /* 03:00 CEST */
    expect_open(&w, "Europe/Berlin", utc(2026, 3, 29, 2, 59), 1);
    expect_open(&w, "Europe/Berlin", utc(2026, 3, 29, 3, 0), 0); /* 05:00 CEST */
    /* the next day: 02:15 CEST = 00:15 UTC */
    assert_instant(window_next_open(&w, NULL, utc(2026, 3, 29, 3, 0)), utc(2026, 3, 30, 0, 15));
    /* a days filter that allows only the transition Sunday */
    struct call_window sun = W("{'start':'02:30','end':'03:30','days':['sun'],"
                               "'timezone':'Europe/Berlin'}");
    assert_instant(window_next_open(&sun, NULL, utc(2026, 3, 25, 12, 0)), transition);
    expect_open(&sun, "Europe/Berlin", transition, 1);
    expect_open(&sun, "Europe/Berlin", utc(2026, 3, 29, 1, 30), 0); /* 03:30 CEST */
}

/* 2026-10-25: 03:00 CEST (01:00 UTC) becomes 02:00 CET; 02:00-02:59 happens
 * twice: 00:00-01:00 UTC (CEST) and 01:00-02:00 UTC (CET). */
static void test_berlin_fall_back(void **state) {
    (void)state;
    struct call_window w = W("{'start':'02:30','end':'04:00','timezone':'Europe/Berlin'}");
    assert_instant(window_next_open(&w, NULL, utc(2026, 10, 24, 22, 0)), utc(2026, 10, 25, 0, 30));
    expect_open(&w, "Europe/Berlin", utc(2026, 10, 25, 0, 29), 0);
    expect_open(&w, "Europe/Berlin", utc(2026, 10, 25, 0, 30), 1); /* 02:30 CEST */
    expect_open(&w, "Europe/Berlin", utc(2026, 10, 25, 0, 59), 1);
    expect_open(&w, "Europe/Berlin", utc(2026, 10, 25, 1, 0), 0); /* 02:00 CET: before 02:30 */
    expect_open(&w, "Europe/Berlin", utc(2026, 10, 25, 1, 29), 0);
    expect_open(&w, "Europe/Berlin", utc(2026, 10, 25, 1, 30), 1); /* 02:30 CET */
    expect_open(&w, "Europe/Berlin", utc(2026, 10, 25, 2, 59), 1); /* 03:59 CET */
    expect_open(&w, "Europe/Berlin", utc(2026, 10, 25, 3, 0), 0);  /* 04:00 CET */
    /* a window wholly inside the repeated hour: first occurrence, and both */
    struct call_window r = W("{'start':'02:00','end':'02:59','timezone':'Europe/Berlin'}");
    assert_instant(window_next_open(&r, NULL, utc(2026, 10, 24, 20, 0)), utc(2026, 10, 25, 0, 0));
    expect_open(&r, "Europe/Berlin", utc(2026, 10, 25, 0, 10), 1);
    expect_open(&r, "Europe/Berlin", utc(2026, 10, 25, 1, 10), 1);
    expect_open(&r, "Europe/Berlin", utc(2026, 10, 25, 2, 0), 0);
}

/* ---- midnight ---- */

static void test_window_spanning_midnight(void **state) {
    (void)state;
    struct call_window w = W("{'start':'22:00','end':'02:00'}");
    assert_string_equal(w.zone, "UTC");
    assert_int_equal(w.days, 0x7f);
    expect_open(&w, "UTC", utc(2026, 1, 14, 21, 59), 0);
    expect_open(&w, "UTC", utc(2026, 1, 14, 22, 0), 1);
    expect_open(&w, "UTC", utc(2026, 1, 14, 23, 59), 1);
    expect_open(&w, "UTC", utc(2026, 1, 15, 0, 0), 1);
    expect_open(&w, "UTC", utc(2026, 1, 15, 1, 59), 1);
    expect_open(&w, "UTC", utc(2026, 1, 15, 2, 0), 0);
    expect_open(&w, "UTC", utc(2026, 1, 15, 12, 0), 0);
    assert_instant(window_next_open(&w, NULL, utc(2026, 1, 15, 2, 0)), utc(2026, 1, 15, 22, 0));
    assert_instant(window_next_open(&w, NULL, utc(2026, 1, 15, 0, 30)), utc(2026, 1, 15, 0, 30));
    /* in New York: 22:00 EST = 03:00 UTC next day */
    expect_open(&w, "America/New_York", utc(2026, 1, 15, 3, 0), 1);
    expect_open(&w, "America/New_York", utc(2026, 1, 15, 6, 59), 1); /* 01:59 EST */
    expect_open(&w, "America/New_York", utc(2026, 1, 15, 7, 0), 0);
}

/* 2026-01-16 is a Friday. The days filter names the start day. */
static void test_midnight_window_day_filter_applies_to_start_day(void **state) {
    (void)state;
    struct call_window w = W("{'start':'22:00','end':'02:00','days':['fri']}");
    expect_open(&w, "UTC", utc(2026, 1, 16, 21, 59), 0); /* Fri */
    expect_open(&w, "UTC", utc(2026, 1, 16, 22, 0), 1);  /* Fri */
    expect_open(&w, "UTC", utc(2026, 1, 17, 1, 0), 1);   /* Sat 01:00: Friday's window */
    expect_open(&w, "UTC", utc(2026, 1, 17, 2, 0), 0);   /* Sat 02:00 */
    expect_open(&w, "UTC", utc(2026, 1, 17, 22, 30), 0); /* Sat 22:30: Saturday not allowed */
    expect_open(&w, "UTC", utc(2026, 1, 18, 1, 0), 0);   /* Sun 01:00: Saturday's window */
    expect_open(&w, "UTC", utc(2026, 1, 16, 1, 0), 0);   /* Fri 01:00: Thursday's window */
    /* next opening from Saturday 03:00: the next Friday 22:00 */
    assert_instant(window_next_open(&w, NULL, utc(2026, 1, 17, 3, 0)), utc(2026, 1, 23, 22, 0));
    assert_instant(window_next_open(&w, NULL, utc(2026, 1, 18, 1, 0)), utc(2026, 1, 23, 22, 0));
    assert_instant(window_next_open(&w, NULL, utc(2026, 1, 17, 1, 0)), utc(2026, 1, 17, 1, 0));
    /* a Saturday-only midnight window is open early Sunday, not early Saturday */
    struct call_window sat = W("{'start':'23:00','end':'01:00','days':['sat'],"
                               "'timezone':'Europe/Berlin'}");
    expect_open(&sat, "Europe/Berlin", utc(2026, 1, 17, 22, 30), 1); /* Sat 23:30 CET */
    expect_open(&sat, "Europe/Berlin", utc(2026, 1, 17, 23, 30), 1); /* Sun 00:30 CET */
    expect_open(&sat, "Europe/Berlin", utc(2026, 1, 16, 23, 30), 0); /* Sat 00:30 CET */
    assert_instant(window_next_open(&sat, NULL, utc(2026, 1, 18, 0, 0)), utc(2026, 1, 24, 22, 0));
}

/* ---- days of the week ---- */

static void test_days_filter_skips_disallowed_days(void **state) {
    (void)state;
    struct call_window wk =
        W("{'start':'09:00','end':'17:00','days':['mon','tue','wed','thu','fri']}");
    assert_int_equal(wk.days, 0x1f);
    /* Fri 2026-01-16 18:00: the weekend is skipped, Monday 09:00 */
    assert_instant(window_next_open(&wk, NULL, utc(2026, 1, 16, 18, 0)), utc(2026, 1, 19, 9, 0));
    /* Saturday noon and Sunday 23:59 (across the week boundary) */
    assert_instant(window_next_open(&wk, NULL, utc(2026, 1, 17, 12, 0)), utc(2026, 1, 19, 9, 0));
    assert_instant(window_next_open(&wk, NULL, utc(2026, 1, 18, 23, 59)), utc(2026, 1, 19, 9, 0));
    expect_open(&wk, "UTC", utc(2026, 1, 17, 12, 0), 0);
    expect_open(&wk, "UTC", utc(2026, 1, 19, 12, 0), 1);

    struct call_window mon = W("{'start':'09:00','end':'17:00','days':['mon']}");
    assert_int_equal(mon.days, 0x01);
    /* Monday after the window: a whole week later */
    assert_instant(window_next_open(&mon, NULL, utc(2026, 1, 19, 17, 0)), utc(2026, 1, 26, 9, 0));
    /* Monday before the window: the same day */
    assert_instant(window_next_open(&mon, NULL, utc(2026, 1, 19, 8, 59)), utc(2026, 1, 19, 9, 0));
    /* Tuesday: six days on */
    assert_instant(window_next_open(&mon, NULL, utc(2026, 1, 20, 0, 0)), utc(2026, 1, 26, 9, 0));

    struct call_window sun = W("{'start':'10:00','end':'11:00','days':['sun']}");
    assert_int_equal(sun.days, 0x40);
    /* Monday: the following Sunday, crossing into the next ISO week */
    assert_instant(window_next_open(&sun, NULL, utc(2026, 1, 19, 12, 0)), utc(2026, 1, 25, 10, 0));
    /* Sunday after the window: the next Sunday */
    assert_instant(window_next_open(&sun, NULL, utc(2026, 1, 25, 11, 0)), utc(2026, 2, 1, 10, 0));

    /* the day is the local day: Tokyo's Monday 08:00 is Sunday 23:00 UTC */
    struct call_window tk =
        W("{'start':'08:00','end':'09:00','days':['mon'],'timezone':'Asia/Tokyo'}");
    assert_instant(window_next_open(&tk, NULL, utc(2026, 1, 14, 0, 0)), utc(2026, 1, 18, 23, 0));
    expect_open(&tk, "Asia/Tokyo", utc(2026, 1, 18, 23, 30), 1);
    expect_open(&tk, "Asia/Tokyo", utc(2026, 1, 19, 23, 30), 0); /* Tuesday in Tokyo */

    /* duplicates are harmless */
    struct call_window dup = W("{'start':'09:00','end':'17:00','days':['sat','sat','sun']}");
    assert_int_equal(dup.days, 0x60);
}

/* ---- several zones ---- */

static void test_multi_zone_opens_when_all_are_open(void **state) {
    (void)state;
    struct call_window w = W("{'start':'09:00','end':'17:00','timezone':'recipient'}");
    const char *both = "America/New_York&America/Los_Angeles";
    /* Thu 2026-01-15 13:00 UTC: 08:00 New York, 05:00 Los Angeles: opens at
     * 09:00 Los Angeles = 17:00 UTC (12:00 in New York) */
    assert_instant(window_next_open(&w, both, utc(2026, 1, 15, 13, 0)), utc(2026, 1, 15, 17, 0));
    /* the order of the zones does not matter */
    assert_instant(
        window_next_open(&w, "America/Los_Angeles&America/New_York", utc(2026, 1, 15, 13, 0)),
        utc(2026, 1, 15, 17, 0));
    /* New York alone would open at 14:00 UTC */
    assert_instant(window_next_open(&w, "America/New_York", utc(2026, 1, 15, 13, 0)),
                   utc(2026, 1, 15, 14, 0));
    /* both open 17:00-22:00 UTC; at 22:00 New York closes: next day 17:00 */
    assert_instant(window_next_open(&w, both, utc(2026, 1, 15, 19, 0)), utc(2026, 1, 15, 19, 0));
    assert_instant(window_next_open(&w, both, utc(2026, 1, 15, 22, 0)), utc(2026, 1, 16, 17, 0));
    /* with a days filter: Friday only; Fri 2026-01-16 17:00 UTC */
    struct call_window fri =
        W("{'start':'09:00','end':'17:00','days':['fri'],'timezone':'recipient'}");
    assert_instant(window_next_open(&fri, both, utc(2026, 1, 16, 22, 0)), utc(2026, 1, 23, 17, 0));
    /* in summer (both on DST) still 09:00 Los Angeles = 16:00 UTC */
    assert_instant(window_next_open(&w, both, utc(2026, 7, 15, 12, 0)), utc(2026, 7, 15, 16, 0));
    /* between the US (2026-03-08) and EU (2026-03-29) changes, Berlin and
     * London disagree by one hour as always: London 09:00 = 09:00 UTC */
    assert_instant(window_next_open(&w, "Europe/Berlin&Europe/London", utc(2026, 3, 16, 6, 0)),
                   utc(2026, 3, 16, 9, 0));
}

static void test_zones_that_never_overlap(void **state) {
    (void)state;
    struct call_window w = W("{'start':'09:00','end':'10:00','timezone':'recipient'}");
    /* 09:00-10:00 Tokyo = 00:00-01:00 UTC; New York = 14:00-15:00 UTC (13-14 in summer) */
    assert_true(window_next_open(&w, "Asia/Tokyo&America/New_York", utc(2026, 1, 15, 12, 0)) ==
                INT64_MAX);
    assert_true(window_next_open(&w, "America/New_York&Asia/Tokyo", utc(2026, 7, 1, 0, 0)) ==
                INT64_MAX);
    /* each alone does open */
    assert_instant(window_next_open(&w, "Asia/Tokyo", utc(2026, 1, 15, 12, 0)),
                   utc(2026, 1, 16, 0, 0));
    /* a wide window where they do meet: Tokyo 07:00-23:00 = 22:00-14:00 UTC,
     * New York 07:00-23:00 EST = 12:00-04:00 UTC: both 12:00-14:00 UTC */
    struct call_window wide = W("{'start':'07:00','end':'23:00','timezone':'recipient'}");
    assert_instant(window_next_open(&wide, "Asia/Tokyo&America/New_York", utc(2026, 1, 15, 5, 0)),
                   utc(2026, 1, 15, 12, 0));
    /* the same zone twice is that zone */
    assert_instant(window_next_open(&w, "Asia/Tokyo&Asia/Tokyo", utc(2026, 1, 15, 12, 0)),
                   utc(2026, 1, 16, 0, 0));
}

/* ---- a number with no known zone: the window's own zone ---- */

static void test_no_zone_uses_fallback(void **state) {
    (void)state;
    struct call_window tk = W("{'start':'09:00','end':'17:00','timezone':'recipient',"
                              "'fallback_timezone':'Asia/Tokyo'}");
    assert_int_equal(tk.per_recipient, 1);
    assert_string_equal(tk.zone, "Asia/Tokyo");
    int64_t t = utc(2026, 1, 15, 12, 0); /* 21:00 JST */
    int64_t tokyo = utc(2026, 1, 16, 0, 0);
    assert_instant(window_next_open(&tk, NULL, t), tokyo);
    assert_instant(window_next_open(&tk, "", t), tokyo);
    /* a known zone wins over the fallback */
    assert_instant(window_next_open(&tk, "America/New_York", t), utc(2026, 1, 15, 14, 0));

    /* recipient without a fallback: UTC */
    struct call_window u = W("{'start':'09:00','end':'17:00','timezone':'recipient'}");
    assert_int_equal(u.per_recipient, 1);
    assert_string_equal(u.zone, "UTC");
    assert_instant(window_next_open(&u, NULL, utc(2026, 1, 15, 5, 0)), utc(2026, 1, 15, 9, 0));
    /* null fallback: UTC too */
    struct call_window n = W("{'start':'09:00','end':'17:00','timezone':'recipient',"
                             "'fallback_timezone':null}");
    assert_string_equal(n.zone, "UTC");

    /* a fixed zone: per_recipient off, the zone is the window's */
    struct call_window fixed = W("{'start':'09:00','end':'17:00','timezone':'Europe/Berlin',"
                                 "'fallback_timezone':'Asia/Tokyo'}");
    assert_int_equal(fixed.per_recipient, 0);
    assert_string_equal(fixed.zone, "Europe/Berlin");
    assert_instant(window_next_open(&fixed, NULL, utc(2026, 1, 15, 5, 0)), utc(2026, 1, 15, 8, 0));

    /* no window at all */
    struct call_window none;
    assert_int_equal(window_from_json(NULL, &none), 0);
    json_t *nul = json_null();
    assert_int_equal(window_from_json(nul, &none), 0);
    json_decref(nul);
}

/* ---- brute force: next_open agrees with open_in minute by minute ---- */

static void sweep(const char *json, const char *zone, int64_t from, int64_t to) {
    struct call_window w = W(json);
    int64_t horizon = to + 9 * DAY_MS;
    size_t n = (size_t)((horizon - from) / MIN_MS);
    unsigned char *open = malloc(n);
    int64_t *next = malloc(n * sizeof *next);
    assert_non_null(open);
    assert_non_null(next);
    for (size_t i = 0; i < n; i++)
        open[i] = (unsigned char)window_open_in(&w, zone, from + (int64_t)i * MIN_MS);
    int64_t later = INT64_MAX;
    for (size_t i = n; i-- > 0;) {
        if (open[i])
            later = from + (int64_t)i * MIN_MS;
        next[i] = later;
    }
    for (int64_t t = from; t < to; t += 5 * MIN_MS) {
        int64_t got = window_next_open(&w, zone, t);
        int64_t want = next[(t - from) / MIN_MS];
        if (got != want) {
            char ts[64], gs[64], ws[64];
            fmt(t, ts, sizeof ts);
            fmt(got, gs, sizeof gs);
            fmt(want, ws, sizeof ws);
            free(open);
            free(next);
            fail_msg("%s in %s from %s: next_open %s, first open minute %s", json, zone, ts, gs,
                     ws);
        }
    }
    free(open);
    free(next);
}

static void test_sweep_ordinary_and_spring_forward(void **state) {
    (void)state;
    /* ordinary days */
    sweep("{'start':'09:00','end':'17:00','days':['mon','wed','fri']}", "America/New_York",
          utc(2026, 1, 10, 0, 0), utc(2026, 1, 13, 0, 0));
    sweep("{'start':'22:00','end':'02:00','days':['fri']}", "Europe/Berlin", utc(2026, 1, 15, 0, 0),
          utc(2026, 1, 19, 0, 0));
    /* spring-forward days, windows around and across the skipped hour */
    sweep("{'start':'02:30','end':'04:00'}", "America/New_York", utc(2026, 3, 7, 0, 0),
          utc(2026, 3, 9, 12, 0));
    sweep("{'start':'01:00','end':'03:30'}", "America/New_York", utc(2026, 3, 7, 0, 0),
          utc(2026, 3, 9, 12, 0));
    sweep("{'start':'23:00','end':'02:30'}", "America/New_York", utc(2026, 3, 7, 0, 0),
          utc(2026, 3, 9, 12, 0));
    sweep("{'start':'02:15','end':'05:00'}", "Europe/Berlin", utc(2026, 3, 28, 0, 0),
          utc(2026, 3, 30, 12, 0));
    sweep("{'start':'01:30','end':'02:30'}", "Europe/Berlin", utc(2026, 3, 28, 0, 0),
          utc(2026, 3, 30, 12, 0));
}

/* Regression (fixed): on fall-back days next_open skips the repeated hour's second
 * occurrence of a window start (see test_ny_fall_back_next_open_in_second_occurrence). */
static void test_sweep_fall_back(void **state) {
    (void)state;
    sweep("{'start':'01:30','end':'02:00'}", "America/New_York", utc(2026, 10, 31, 0, 0),
          utc(2026, 11, 2, 12, 0));
    sweep("{'start':'02:30','end':'04:00'}", "Europe/Berlin", utc(2026, 10, 24, 0, 0),
          utc(2026, 10, 26, 12, 0));
    /* a window ending inside the repeated hour closes at 02:30 CEST and is
     * open again from 02:00 to 02:30 CET; next_open answers 22:00 */
    sweep("{'start':'22:00','end':'02:30'}", "Europe/Berlin", utc(2026, 10, 24, 0, 0),
          utc(2026, 10, 26, 12, 0));
}

static void test_sweep_fall_back_outside_the_repeat(void **state) {
    (void)state;
    /* windows whose start is not in the repeated hour */
    sweep("{'start':'00:30','end':'03:00'}", "America/New_York", utc(2026, 10, 31, 0, 0),
          utc(2026, 11, 2, 12, 0));
    sweep("{'start':'03:00','end':'08:00'}", "Europe/Berlin", utc(2026, 10, 24, 0, 0),
          utc(2026, 10, 26, 12, 0));
}

/* ---- tzmap ---- */

static char tmp_path[64];

static void write_table(const char *text) {
    snprintf(tmp_path, sizeof tmp_path, "/tmp/window_time_test_XXXXXX");
    int fd = mkstemp(tmp_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void test_tzmap_small_table(void **state) {
    (void)state;
    write_table("# Copyright line\n"
                "\n"
                "# 1415|Commented/Out\n"
                "1|America/New_York&America/Chicago\n"
                "1201|America/New_York\n"
                "12015|America/Chicago\n"
                "49|Europe/Berlin\n"
                "44|Europe/London\r\n"
                "1212 America/Nowhere\n"
                "not|a/prefix\n");
    struct tzmap *m = tzmap_load(tmp_path);
    unlink(tmp_path);
    assert_non_null(m);
    assert_int_equal(tzmap_size(m), 5);
    /* longest prefix wins */
    assert_string_equal(tzmap_lookup(m, "+12015550123"), "America/Chicago");
    assert_string_equal(tzmap_lookup(m, "+12016550123"), "America/New_York");
    assert_string_equal(tzmap_lookup(m, "+12025550123"), "America/New_York&America/Chicago");
    /* the commented and malformed lines are not entries */
    assert_string_equal(tzmap_lookup(m, "+14155550100"), "America/New_York&America/Chicago");
    assert_string_equal(tzmap_lookup(m, "+12125550100"), "America/New_York&America/Chicago");
    assert_string_equal(tzmap_lookup(m, "+4930123456"), "Europe/Berlin");
    assert_string_equal(tzmap_lookup(m, "+442071234567"), "Europe/London"); /* CR stripped */
    assert_null(tzmap_lookup(m, "+33123456789"));
    assert_null(tzmap_lookup(m, "12015550123")); /* not E.164 */
    assert_null(tzmap_lookup(m, "+"));
    tzmap_free(m);

    assert_null(tzmap_load("/nonexistent/dir/map_data.txt"));
    assert_null(tzmap_lookup(NULL, "+12015550123"));
    assert_int_equal(tzmap_size(NULL), 0);
    tzmap_free(NULL);
}

static void test_tzmap_real_table(void **state) {
    (void)state;
    struct tzmap *m = tzmap_load(REAL_TABLE);
    assert_non_null(m);
    assert_true(tzmap_size(m) > 1000);
    assert_string_equal(tzmap_lookup(m, "+12015550123"), "America/New_York");
    assert_string_equal(tzmap_lookup(m, "+14155550100"), "America/Los_Angeles");
    assert_string_equal(tzmap_lookup(m, "+493012345678"), "Europe/Berlin");
    /* every zone named for a North American number is one ICU knows */
    const char *z = tzmap_lookup(m, "+18005550100");
    assert_non_null(z);
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", z);
    int count = 0;
    for (char *save = NULL, *p = strtok_r(buf, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        if (!window_zone_known(p))
            fail_msg("zone %s from the table unknown to ICU", p);
        count++;
    }
    assert_true(count >= 1);
    tzmap_free(m);
}

static int has_zone(const char *list, const char *zone) {
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *p = strtok_r(buf, "&", &save); p; p = strtok_r(NULL, "&", &save))
        if (strcmp(p, zone) == 0)
            return 1;
    return 0;
}

static void test_tzmap_region_zones(void **state) {
    (void)state;
    char out[8192];
    assert_true(tzmap_region_zones("DE", out, sizeof out) >= 1);
    assert_true(has_zone(out, "Europe/Berlin"));
    assert_false(has_zone(out, "America/New_York"));
    size_t us = tzmap_region_zones("US", out, sizeof out);
    assert_true(us > 1);
    assert_true(has_zone(out, "America/New_York"));
    assert_true(has_zone(out, "America/Los_Angeles"));
    /* one zone per '&'-separated item */
    size_t items = 1;
    for (const char *p = out; *p; p++)
        items += *p == '&';
    assert_int_equal(items, us);
    /* Japan has one zone */
    assert_int_equal(tzmap_region_zones("JP", out, sizeof out), 1);
    assert_string_equal(out, "Asia/Tokyo");
    /* a small buffer: truncated at a whole zone, terminated */
    char small[24];
    memset(small, 'x', sizeof small);
    size_t k = tzmap_region_zones("US", small, sizeof small);
    assert_true(k < us);
    assert_true(strlen(small) < sizeof small);
    char *save = NULL;
    if (k > 0)
        assert_true(window_zone_known(strtok_r(small, "&", &save)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar_helper),
        cmocka_unit_test(test_ny_offsets_winter_and_summer),
        cmocka_unit_test(test_process_tz_is_ignored),
        cmocka_unit_test(test_ny_spring_forward_start_in_skipped_hour),
        cmocka_unit_test(test_ny_spring_forward_window_ending_in_skipped_hour),
        cmocka_unit_test(test_ny_fall_back_repeated_hour),
        cmocka_unit_test(test_ny_fall_back_next_open_in_second_occurrence),
        cmocka_unit_test(test_sweep_fall_back),
        cmocka_unit_test(test_ny_fall_back_window_over_the_repeat),
        cmocka_unit_test(test_berlin_spring_forward),
        cmocka_unit_test(test_berlin_fall_back),
        cmocka_unit_test(test_window_spanning_midnight),
        cmocka_unit_test(test_midnight_window_day_filter_applies_to_start_day),
        cmocka_unit_test(test_days_filter_skips_disallowed_days),
        cmocka_unit_test(test_multi_zone_opens_when_all_are_open),
        cmocka_unit_test(test_zones_that_never_overlap),
        cmocka_unit_test(test_no_zone_uses_fallback),
        cmocka_unit_test(test_sweep_ordinary_and_spring_forward),
        cmocka_unit_test(test_sweep_fall_back_outside_the_repeat),
        cmocka_unit_test(test_tzmap_small_table),
        cmocka_unit_test(test_tzmap_real_table),
        cmocka_unit_test(test_tzmap_region_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
