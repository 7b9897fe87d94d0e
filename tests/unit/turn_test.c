/* turn_test.c - tests of domain/turn.c, exhaustively: every campaign
 * status x every recipient state (status x disposition) x every channel x
 * schedule ended or not x not yet runnable (start_at ahead, or a retry's
 * due_at ahead, or outside the call window) or runnable x opted out or not
 * x params that fill the text or not, compared with the rule's order
 * written here as a table of priorities; each decision's move and delta
 * (balanced, exact); the rendered texts (sms body, whatsapp template with
 * its parameters filled); the opt-out category. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/turn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H 3600000LL
#define MON 1704067200000LL /* 2024-01-01T00:00:00Z, a Monday */

static const char *CONFIGS[CHANNEL_COUNT] = {
    "{\"caller_id\":\"+14155550100\"}",
    "{\"from\":\"+14155550100\",\"body\":\"Hi {{name}}\"}",
    "{\"sender\":\"s1\",\"template\":{\"name\":\"t\",\"language\":\"en\",\"category\":"
    "\"utility\",\"parameters\":[\"{{name}}\",\"x\"]}}",
};

enum { RUNNABLE, LATE_START, LATE_DUE, OUTSIDE_WINDOW, NWHEN };

static void test_exhaustive(void **state) {
    (void)state;
    json_t *with = json_pack("{s:s}", "name", "Ann"), *without = json_object();
    int cases = 0;
    for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
        json_t *config = json_loads(CONFIGS[ch], 0, NULL);
        assert_non_null(config);
        for (int cs = 0; cs < CAMPAIGN_STATUS_COUNT; cs++)
            for (int rs = 0; rs < RECIPIENT_STATUS_COUNT; rs++)
                for (int rd = DISP_NONE; rd < DISP_COUNT; rd++)
                    for (int ended = 0; ended < 2; ended++)
                        for (int when = 0; when < NWHEN; when++)
                            for (int opted = 0; opted < 2; opted++)
                                for (int filled = 0; filled < 2; filled++) {
                                    if (rs >= RECIPIENT_SUCCEEDED && rd == DISP_NONE)
                                        continue;
                                    int64_t now = MON + (when == OUTSIDE_WINDOW ? 3 : 10) * H;
                                    struct due_rules r = {0};
                                    r.has_window = 1;
                                    r.window =
                                        (struct call_window){9 * 60, 17 * 60, 0x7f, 0, "UTC"};
                                    if (when == LATE_START)
                                        r.start_at = now + 5000;
                                    if (ended)
                                        r.end_at = now - 1;
                                    struct turn_facts f = {
                                        cs,
                                        ch,
                                        config,
                                        &r,
                                        {rs, rd, when == LATE_DUE ? now + 7000 : now - 5},
                                        NULL,
                                        filled ? with : without,
                                        opted};
                                    struct turn_decision d;
                                    turn_decide(&f, now, &d);
                                    cases++;
                                    /* the rule's order */
                                    enum turn_kind kind;
                                    enum disposition disp = DISP_NONE;
                                    if (cs != CAMPAIGN_RUNNING || rs != RECIPIENT_QUEUED)
                                        kind = TURN_SKIP;
                                    else if (ended)
                                        kind = TURN_FAIL, disp = DISP_EXPIRED;
                                    else if (when != RUNNABLE)
                                        kind = TURN_DEFER;
                                    else if (opted)
                                        kind = TURN_FAIL, disp = DISP_OPTED_OUT;
                                    else if (ch != CHANNEL_VOICE && !filled)
                                        kind = TURN_FAIL, disp = DISP_MISSING_PARAM;
                                    else
                                        kind = TURN_DISPATCH;
                                    assert_int_equal(d.kind, kind);
                                    assert_true(counter_delta_balanced(&d.move.delta));
                                    assert_int_equal(d.move.from.status, rs);
                                    switch (kind) {
                                    case TURN_SKIP:
                                        assert_int_equal(d.move.moves, 0);
                                        assert_true(counter_delta_is_zero(&d.move.delta));
                                        break;
                                    case TURN_DEFER: {
                                        int64_t want = when == LATE_START ? now + 5000
                                                       : when == LATE_DUE ? now + 7000
                                                                          : MON + 9 * H;
                                        assert_int_equal(d.move.moves, 1);
                                        assert_int_equal(d.move.to.status, RECIPIENT_QUEUED);
                                        assert_int_equal(d.move.to.disposition, rd);
                                        assert_int_equal(d.move.to.due_at, want);
                                        assert_true(counter_delta_is_zero(&d.move.delta));
                                        break;
                                    }
                                    case TURN_FAIL:
                                        assert_int_equal(d.move.to.status, RECIPIENT_FAILED);
                                        assert_int_equal(d.move.to.disposition, disp);
                                        assert_int_equal(d.move.delta.queued, -1);
                                        assert_int_equal(d.move.delta.failed, 1);
                                        assert_int_equal(d.move.delta.disp[disp], 1);
                                        break;
                                    case TURN_DISPATCH:
                                        assert_int_equal(d.move.to.status, RECIPIENT_DISPATCHED);
                                        assert_int_equal(d.move.delta.queued, -1);
                                        assert_int_equal(d.move.delta.dispatched, 1);
                                        break;
                                    }
                                    if (kind == TURN_DISPATCH && ch == CHANNEL_SMS)
                                        assert_string_equal(d.text, "Hi Ann");
                                    else if (kind == TURN_DISPATCH && ch == CHANNEL_WHATSAPP)
                                        assert_non_null(strstr(d.text, "[\"Ann\",\"x\"]"));
                                    else if (kind == TURN_DISPATCH && ch == CHANNEL_VOICE)
                                        assert_string_equal(d.text,
                                                            filled ? "{\"name\":\"Ann\"}" : "{}");
                                    else
                                        assert_null(d.text);
                                    free(d.text);
                                }
        json_decref(config);
    }
    json_decref(with);
    json_decref(without);
    assert_int_equal(cases, 3 * 5 * (2 * (DISP_COUNT + 1) + 2 * DISP_COUNT) * 2 * NWHEN * 2 * 2);
}

static void test_per_recipient_zones(void **state) {
    (void)state;
    json_t *config = json_loads(CONFIGS[0], 0, NULL);
    struct due_rules r = {0};
    r.has_window = 1;
    r.window = (struct call_window){9 * 60, 17 * 60, 0x7f, 1, "UTC"};
    struct turn_facts f = {
        CAMPAIGN_RUNNING, CHANNEL_VOICE, config, &r, {RECIPIENT_QUEUED, DISP_NONE, 0},
        "Asia/Tokyo",     NULL,          0};
    struct turn_decision d;
    turn_decide(&f, MON + 10 * H, &d); /* 19:00 in Tokyo */
    assert_int_equal(d.kind, TURN_DEFER);
    assert_int_equal(d.move.to.due_at, MON + 24 * H);
    f.zones = "Europe/London";
    turn_decide(&f, MON + 10 * H, &d);
    assert_int_equal(d.kind, TURN_DISPATCH);
    json_decref(config);
}

static void test_category_and_render(void **state) {
    (void)state;
    json_t *wa = json_loads(CONFIGS[CHANNEL_WHATSAPP], 0, NULL);
    json_t *sms = json_loads(CONFIGS[CHANNEL_SMS], 0, NULL);
    assert_string_equal(turn_category(CHANNEL_WHATSAPP, wa), "utility");
    assert_null(turn_category(CHANNEL_SMS, sms));
    assert_null(turn_category(CHANNEL_VOICE, wa));
    char *text = NULL;
    json_t *p = json_pack("{s:i}", "name", 42);
    assert_int_equal(turn_render(CHANNEL_SMS, sms, p, &text), 0);
    assert_string_equal(text, "Hi 42");
    free(text);
    assert_int_equal(turn_render(CHANNEL_WHATSAPP, wa, p, &text), 0);
    assert_string_equal(text, "{\"name\":\"t\",\"language\":\"en\",\"category\":\"utility\","
                              "\"parameters\":[\"42\",\"x\"]}");
    free(text);
    assert_int_equal(turn_render(CHANNEL_WHATSAPP, wa, NULL, &text), -1);
    assert_null(text);
    /* the config is not changed by rendering */
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(wa, "template"), "parameters"), 0)),
                        "{{name}}");
    json_decref(p);
    json_decref(wa);
    json_decref(sms);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustive),
        cmocka_unit_test(test_per_recipient_zones),
        cmocka_unit_test(test_category_and_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
