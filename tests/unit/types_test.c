/* types_test.c - tests of domain/types.c: name <-> enum conversions for
 * channels, campaign and recipient statuses and dispositions (round trip,
 * exact spelling, out-of-range values), and counters_consistent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/types.h"

#include <string.h>

static const char *const HOSTILE[] = {"",          " ",     "VOICE",   "voice ",
                                      " voice",    "Draft", "unknown", "queued\n",
                                      "no-answer", "NULL",  "\xff"};

static void test_channels(void **state) {
    (void)state;
    const char *names[] = {"voice", "sms", "whatsapp"};
    for (int i = 0; i < CHANNEL_COUNT; i++) {
        assert_string_equal(channel_name((enum channel)i), names[i]);
        enum channel c = CHANNEL_COUNT;
        assert_int_equal(channel_parse(names[i], &c), 0);
        assert_int_equal(c, i);
    }
    assert_string_equal(channel_name(CHANNEL_COUNT), "unknown");
    assert_string_equal(channel_name((enum channel) - 1), "unknown");
    for (size_t i = 0; i < sizeof HOSTILE / sizeof HOSTILE[0]; i++) {
        enum channel c = CHANNEL_COUNT;
        assert_int_equal(channel_parse(HOSTILE[i], &c), -1);
        assert_int_equal(c, CHANNEL_COUNT);
    }
}

static void test_campaign_statuses(void **state) {
    (void)state;
    const char *names[] = {"draft", "running", "paused", "completed", "cancelled"};
    for (int i = 0; i < CAMPAIGN_STATUS_COUNT; i++) {
        assert_string_equal(campaign_status_name((enum campaign_status)i), names[i]);
        enum campaign_status s = CAMPAIGN_STATUS_COUNT;
        assert_int_equal(campaign_status_parse(names[i], &s), 0);
        assert_int_equal(s, i);
    }
    assert_string_equal(campaign_status_name(CAMPAIGN_STATUS_COUNT), "unknown");
    assert_string_equal(campaign_status_name((enum campaign_status) - 1), "unknown");
    enum campaign_status s = CAMPAIGN_STATUS_COUNT;
    assert_int_equal(campaign_status_parse("canceled", &s), -1);
    for (size_t i = 0; i < sizeof HOSTILE / sizeof HOSTILE[0]; i++)
        assert_int_equal(campaign_status_parse(HOSTILE[i], &s), -1);
    assert_int_equal(s, CAMPAIGN_STATUS_COUNT);
}

static void test_recipient_statuses(void **state) {
    (void)state;
    const char *names[] = {"queued", "dispatched", "succeeded", "failed"};
    for (int i = 0; i < RECIPIENT_STATUS_COUNT; i++) {
        assert_string_equal(recipient_status_name((enum recipient_status)i), names[i]);
        enum recipient_status s = RECIPIENT_STATUS_COUNT;
        assert_int_equal(recipient_status_parse(names[i], &s), 0);
        assert_int_equal(s, i);
    }
    assert_string_equal(recipient_status_name(RECIPIENT_STATUS_COUNT), "unknown");
    enum recipient_status s = RECIPIENT_STATUS_COUNT;
    for (size_t i = 0; i < sizeof HOSTILE / sizeof HOSTILE[0]; i++)
        assert_int_equal(recipient_status_parse(HOSTILE[i], &s), -1);
    assert_int_equal(s, RECIPIENT_STATUS_COUNT);
}

static void test_dispositions(void **state) {
    (void)state;
    const char *names[] = {"completed",     "no_answer", "busy",      "failed", "cancelled",
                           "opted_out",     "sent",      "delivered", "read",   "undelivered",
                           "missing_param", "expired",   "voicemail", "unknown"};
    assert_int_equal(sizeof names / sizeof names[0], DISP_COUNT);
    for (int i = 0; i < DISP_COUNT; i++) {
        assert_string_equal(disposition_name((enum disposition)i), names[i]);
        enum disposition d = DISP_NONE;
        assert_int_equal(disposition_parse(names[i], &d), 0);
        assert_int_equal(d, i);
    }
    assert_null(disposition_name(DISP_NONE));
    assert_null(disposition_name(DISP_COUNT));
    assert_null(disposition_name((enum disposition) - 7));
    enum disposition d = DISP_NONE;
    assert_int_equal(disposition_parse("none", &d), -1);
    for (size_t i = 0; i < sizeof HOSTILE / sizeof HOSTILE[0]; i++)
        if (strcmp(HOSTILE[i], "unknown") != 0) /* a disposition (an unknown submit fate) */
            assert_int_equal(disposition_parse(HOSTILE[i], &d), -1);
    assert_int_equal(d, DISP_NONE);
}

static void test_counters(void **state) {
    (void)state;
    struct counters c;
    memset(&c, 0, sizeof c);
    assert_int_equal(counters_consistent(&c), 1);

    c.total = 10;
    c.queued = 3;
    c.dispatched = 2;
    c.succeeded = 4;
    c.failed = 1;
    c.dispositions[DISP_COMPLETED] = 4;
    c.dispositions[DISP_NO_ANSWER] = 1;
    assert_int_equal(counters_consistent(&c), 1);

    c.total = 11; /* total off by one */
    assert_int_equal(counters_consistent(&c), 0);
    c.total = 10;

    c.dispositions[DISP_BUSY] = 1; /* dispositions count more than terminal */
    assert_int_equal(counters_consistent(&c), 0);
    c.dispositions[DISP_BUSY] = 0;

    c.dispositions[DISP_NO_ANSWER] = 0; /* fewer */
    assert_int_equal(counters_consistent(&c), 0);
    c.dispositions[DISP_NO_ANSWER] = 1;

    /* negative counts that still sum correctly */
    c.queued = -1;
    c.dispatched = 6;
    assert_int_equal(counters_consistent(&c), 0);
    c.queued = 3;
    c.dispatched = 2;

    c.dispositions[DISP_COMPLETED] = 6; /* 6 + 1 - 2 = 5 terminal, but -2 is not a count */
    c.dispositions[DISP_EXPIRED] = -2;
    assert_int_equal(counters_consistent(&c), 0);
    c.dispositions[DISP_COMPLETED] = 4;
    c.dispositions[DISP_EXPIRED] = 0;
    assert_int_equal(counters_consistent(&c), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channels),           cmocka_unit_test(test_campaign_statuses),
        cmocka_unit_test(test_recipient_statuses), cmocka_unit_test(test_dispositions),
        cmocka_unit_test(test_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
