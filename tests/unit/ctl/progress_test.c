/* progress_test.c - tests of src/ctl/progress.c and watch_view.c, the text
 * campaignctl shows: counts with thousands separators, durations, rate and
 * ETA (unknown before any time passed), the bar's fill, the terminal line
 * within its width on wide and narrow terminals with rows/s and the three
 * counts, the plain line's fields; and the watch screen and line of a
 * campaign object (counters, rate, dispositions that are not 0, the end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctl/progress.h"
#include "ctl/watch_view.h"

#include <stdio.h>
#include <string.h>

static void test_count_and_duration(void **state) {
    (void)state;
    char s[32];
    const struct {
        uint64_t n;
        const char *want;
    } counts[] = {{0, "0"},
                  {999, "999"},
                  {1000, "1,000"},
                  {12345, "12,345"},
                  {1234567, "1,234,567"},
                  {18446744073709551615ull, "18,446,744,073,709,551,615"}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        format_count(counts[i].n, s, sizeof s);
        assert_string_equal(s, counts[i].want);
    }
    format_duration(0, s, sizeof s);
    assert_string_equal(s, "0:00");
    format_duration(7.4, s, sizeof s);
    assert_string_equal(s, "0:07");
    format_duration(754, s, sizeof s);
    assert_string_equal(s, "12:34");
    format_duration(3 * 3600 + 2 * 60 + 1, s, sizeof s);
    assert_string_equal(s, "3:02:01");
    format_duration(-1, s, sizeof s);
    assert_string_equal(s, "--:--");
    format_duration(1.0 / 0.0, s, sizeof s);
    assert_string_equal(s, "--:--");
}

static void test_bar_fill(void **state) {
    (void)state;
    char s[64];
    format_bar(0, 10, s, sizeof s);
    assert_string_equal(s, "          ");
    format_bar(0.5, 10, s, sizeof s);
    assert_string_equal(s, "#####>    ");
    format_bar(1, 10, s, sizeof s);
    assert_string_equal(s, "##########");
    format_bar(2, 4, s, sizeof s);
    assert_string_equal(s, "####");
}

static struct upload_progress sample(void) {
    struct upload_progress p = {.rows_total = 100000,
                                .rows_done = 45000,
                                .accepted = 44990,
                                .invalid = 5,
                                .duplicates = 5,
                                .chunks_total = 10,
                                .chunks_done = 5,
                                .elapsed_s = 3.0};
    return p;
}

static void test_rate_eta(void **state) {
    (void)state;
    struct upload_progress p = sample();
    assert_true(progress_rate(&p) == 15000);
    assert_true(progress_eta(&p) > 3.66 && progress_eta(&p) < 3.67);
    p.elapsed_s = 0;
    assert_true(progress_rate(&p) == 0);
    assert_true(progress_eta(&p) < 0);
    p.rows_done = p.rows_total;
    assert_true(progress_eta(&p) == 0);
}

static void test_bar_line(void **state) {
    (void)state;
    struct upload_progress p = sample();
    char s[512];
    progress_bar(&p, 160, s, sizeof s);
    assert_true(strlen(s) <= 160);
    assert_non_null(strstr(s, " 45% ["));
    assert_non_null(strstr(s, "45,000/100,000 rows"));
    assert_non_null(strstr(s, "15,000 rows/s"));
    assert_non_null(strstr(s, "accepted 44,990"));
    assert_non_null(strstr(s, "invalid 5"));
    assert_non_null(strstr(s, "duplicates 5"));
    assert_non_null(strstr(s, "ETA 0:04"));
    assert_null(strchr(s, '\n'));
    for (int w = 20; w < 200; w += 7) { /* never wider than the terminal */
        progress_bar(&p, w, s, sizeof s);
        assert_true(strlen(s) <= (size_t)w);
    }
    progress_bar(&p, 60, s, sizeof s); /* narrow: no bar, the numbers first */
    assert_null(strchr(s, '['));
    assert_non_null(strstr(s, "45,000/100,000 rows"));
}

static void test_plain_line(void **state) {
    (void)state;
    struct upload_progress p = sample();
    char s[512];
    progress_line(&p, s, sizeof s);
    assert_string_equal(s, "chunk 5/10: 45000/100000 rows (45%), 15000 rows/s, accepted 44990, "
                           "invalid 5, duplicates 5, ETA 0:04");
    p.last_replayed = 1;
    progress_line(&p, s, sizeof s);
    assert_non_null(strstr(s, "chunk 5/10 (already uploaded): "));
}

static json_t *campaign(const char *status) {
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:i, s:i, s:i, s:i, s:i, s:{s:i, s:i, s:i}}}", "id",
                     "cmp_1", "name", "Renewals", "status", status, "channel", "voice", "counters",
                     "total", 100, "queued", 30, "dispatched", 10, "succeeded", 50, "failed", 10,
                     "dispositions", "completed", 50, "busy", 10, "no_answer", 0);
}

static void test_watch_view(void **state) {
    (void)state;
    json_t *c = campaign("running");
    assert_int_equal(watch_finished(c), 60);
    assert_false(watch_is_over(c));
    struct buf b;
    buf_init(&b, 1 << 16);
    watch_screen(c, 4.0, 100, &b);
    assert_non_null(strstr(b.data, "cmp_1  Renewals  [running, voice]\n"));
    assert_non_null(strstr(b.data, " 60%  60 of 100 finished  4.0/s  ETA 0:10\n"));
    assert_non_null(strstr(b.data, "queued 30  dispatched 10  succeeded 50  failed 10\n"));
    assert_non_null(strstr(b.data, "completed 50"));
    assert_non_null(strstr(b.data, "busy 10"));
    assert_null(strstr(b.data, "no_answer")); /* zero counts are left out */
    buf_reset(&b);
    watch_screen(c, 4.0, 50, &b); /* narrow: the bar shrinks, the numbers stay whole */
    assert_non_null(strstr(b.data, "]  60%  60 of 100 finished  4.0/s  ETA 0:10\n"));
    buf_reset(&b);
    watch_screen(c, 4.0, 45, &b); /* narrower: no bar */
    assert_non_null(strstr(b.data, "\n 60%  60 of 100 finished  4.0/s  ETA 0:10\n"));
    buf_reset(&b);
    watch_line(c, 2.5, &b);
    assert_string_equal(b.data, "running total=100 queued=30 dispatched=10 succeeded=50 failed=10 "
                                "rate=2.5/s completed=50 busy=10\n");
    json_decref(c);
    c = campaign("completed");
    assert_true(watch_is_over(c));
    json_decref(c);
    c = campaign("cancelled");
    assert_true(watch_is_over(c));
    buf_reset(&b);
    json_t *empty = json_object();
    watch_screen(empty, -1, 0, &b); /* a strange answer still renders */
    assert_non_null(strstr(b.data, "? "));
    json_decref(empty);
    json_decref(c);
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_and_duration), cmocka_unit_test(test_bar_fill),
        cmocka_unit_test(test_rate_eta),           cmocka_unit_test(test_bar_line),
        cmocka_unit_test(test_plain_line),         cmocka_unit_test(test_watch_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
