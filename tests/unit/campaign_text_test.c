/* campaign_text_test.c - tests of domain/campaign_text.c: the campaign
 * JSON written straight must be byte for byte json_dumps(render_campaign,
 * JSON_COMPACT), the jansson path it replaced, over every status and
 * channel, unicode and escaped names, null and odd stored JSON (schedule,
 * retry_policy, reals, nesting, an unreadable text), set and unset times
 * and extreme counters; and must refuse (-1) what jansson would drop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/campaign_text.h"
#include "domain/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct campaign base(void) {
    struct campaign c = {0};
    snprintf(c.id, sizeof c.id, "%s", "cmp_0000abcdEFGHijklMNOPqrst");
    snprintf(c.account_id, sizeof c.account_id, "%s", "acc_1");
    c.name = "spring";
    c.agent_id = "agt_1";
    c.config_json = "{\"caller_id\":\"+14155550100\"}";
    c.created_at = 1764979200123;
    c.updated_at = 1764979260456;
    return c;
}

/* The new writer's text equals the jansson path's. */
static void assert_same(const struct campaign *c) {
    json_t *tree = render_campaign(c);
    char *want = json_dumps(tree, JSON_COMPACT);
    json_decref(tree);
    assert_non_null(want);
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    assert_int_equal(campaign_text(c, &b), 0);
    assert_non_null(b.data);
    if (strcmp(b.data, want) != 0)
        fail_msg("differs:\n got  %s\n want %s", b.data, want);
    assert_int_equal(b.len, strlen(want));
    buf_free(&b);
    free(want);
}

static void test_every_status_and_channel(void **state) {
    (void)state;
    for (int ch = 0; ch < CHANNEL_COUNT; ch++)
        for (int st = 0; st < CAMPAIGN_STATUS_COUNT; st++) {
            struct campaign c = base();
            c.channel = (enum channel)ch;
            c.status = (enum campaign_status)st;
            assert_same(&c);
        }
}

static void test_names(void **state) {
    (void)state;
    const char *names[] = {
        "",
        "Rentrée été 2026 — relance",
        "キャンペーン 🎉 \xf0\x9f\x91\x8d", /* 3- and 4-byte characters */
        "quote \" backslash \\ slash / end",
        "tab\tnewline\ncr\rbs\bff\f",
        "controls \x01\x02\x1f del \x7f",
        "\xc2\xa0nbsp \xe2\x80\xa8 line separator \xef\xbf\xbf",
        "{\"looks\":\"like json\"}",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        struct campaign c = base();
        c.name = (char *)names[i];
        c.agent_id = (char *)names[(i + 1) % (sizeof names / sizeof *names)];
        assert_same(&c);
    }
}

static void test_stored_json(void **state) {
    (void)state;
    const char *texts[] = {
        NULL,
        "{}",
        "{\"caller_id\":\"+14155550100\",\"webhook_url\":\"https://example.com/a/b?c=d\"}",
        "{\"template\":{\"name\":\"promo\",\"params\":[\"a\",1,2.5,true,false,null]}}",
        "{\"max_attempts\":3,\"backoff_seconds\":[60,300.25,1e3],\"on\":[\"busy\"]}",
        "{\"tz\":\"Europe/Paris\",\"start_at\":\"2026-12-01T08:00:00Z\",\"days\":[1,2,3]}",
        "{\"unicode\":\"\xc3\xa9\\u00e9\\ud83d\\ude00\",\"esc\":\"\\\"\\\\\\/\\n\"}",
        "{ \"spaced\" : [ 1 , 2 ] }",
        "{\"x\":0.1,\"y\":-0.0,\"z\":123456789012345678}",
        "not json",
        "[1,2]",
    };
    size_t n = sizeof texts / sizeof *texts;
    for (size_t i = 0; i < n; i++) {
        struct campaign c = base();
        c.config_json = (char *)texts[i];
        c.schedule_json = (char *)texts[(i + 3) % n];
        c.retry_policy_json = (char *)texts[(i + 7) % n];
        assert_same(&c);
    }
}

static void test_times_and_counters(void **state) {
    (void)state;
    struct campaign c = base();
    assert_same(&c); /* started, completed, cancelled: null */
    c.started_at = 1764979300000;
    c.completed_at = 1764979400999;
    c.cancelled_at = 1;
    c.counters.total = INT64_MAX;
    c.counters.queued = INT64_MIN;
    c.counters.dispatched = -1;
    c.counters.succeeded = 0;
    c.counters.failed = 1234567890123;
    for (int d = 0; d < DISP_COUNT; d++)
        c.counters.dispositions[d] = d * 1000003 - 7;
    assert_same(&c);
    c.created_at = c.updated_at = 0;
    assert_same(&c);
}

/* jansson drops a member whose string is missing or not UTF-8: the
 * writer refuses, and the caller takes the jansson path. */
static void test_refuses_what_jansson_drops(void **state) {
    (void)state;
    const char *bad[] = {"bad \xff byte", "cut \xe2\x82", "overlong \xc0\xaf",
                         "surrogate \xed\xa0\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct campaign c = base();
        c.name = (char *)bad[i];
        struct buf b;
        buf_init(&b, SIZE_MAX / 2);
        assert_int_equal(campaign_text(&c, &b), -1);
        buf_free(&b);
    }
    struct campaign c = base();
    c.agent_id = NULL;
    struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    assert_int_equal(campaign_text(&c, &b), -1);
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_status_and_channel),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_stored_json),
        cmocka_unit_test(test_times_and_counters),
        cmocka_unit_test(test_refuses_what_jansson_drops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
