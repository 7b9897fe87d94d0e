/* provider_report_test.c - domain/provider_report.c: a call's end and a
 * message status read from a callback body, times parsed with their
 * offset, ended_at defaulting to now, the provider's id kept, and each
 * refusal naming its field (a non-final call status, queued, a bad time, a
 * provider id too long or holding NUL, an unknown field). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "domain/provider_report.h"
#include <stdio.h>
#include <string.h>

#define NOW 1765000000000LL

static int parse(const char *json, enum channel ch, struct attempt_end *end, struct verr *e) {
    json_t *b = json_loads(json, JSON_ALLOW_NUL, NULL);
    assert_non_null(b);
    int rc = provider_report_from_json(b, "call_x", ch, NOW, end, e);
    json_decref(b);
    return rc;
}

static void expect_refused(const char *json, enum channel ch, const char *field) {
    struct attempt_end end;
    struct verr e;
    assert_int_equal(parse(json, ch, &end, &e), -1);
    assert_string_equal(e.field, field);
}

static void test_call_end(void **state) {
    (void)state;
    struct attempt_end end;
    struct verr e;
    assert_int_equal(parse("{\"status\":\"busy\"}", CHANNEL_VOICE, &end, &e), 0);
    assert_int_equal(end.status, CALL_BUSY);
    assert_string_equal(end.call_id, "call_x");
    assert_int_equal(end.ended_at, NOW);
    assert_string_equal(end.provider_call_id, "");
    assert_int_equal(
        parse("{\"status\":\"completed\",\"answered_at\":\"2026-12-06T10:00:00Z\","
              "\"ended_at\":\"2026-12-06T11:01:00.500+01:00\",\"provider_id\":\"CA9\"}",
              CHANNEL_VOICE, &end, &e),
        0);
    assert_int_equal(end.ended_at - end.answered_at, 60500);
    assert_string_equal(end.provider_call_id, "CA9");
}

static void test_message_status(void **state) {
    (void)state;
    struct attempt_end end;
    struct verr e;
    assert_int_equal(parse("{\"status\":\"read\"}", CHANNEL_WHATSAPP, &end, &e), 0);
    assert_int_equal(end.mstatus, MSG_READ);
    assert_int_equal(end.channel, CHANNEL_WHATSAPP);
}

static void test_refusals(void **state) {
    (void)state;
    expect_refused("{}", CHANNEL_VOICE, "status");
    expect_refused("{\"status\":\"queued\"}", CHANNEL_VOICE, "status");
    expect_refused("{\"status\":\"busy\",\"answered_by\":\"robot\"}", CHANNEL_VOICE, "answered_by");
    expect_refused("{\"status\":\"busy\",\"duration_seconds\":-1}", CHANNEL_VOICE,
                   "duration_seconds");
    expect_refused("{\"status\":\"busy\",\"duration_seconds\":\"9\"}", CHANNEL_VOICE,
                   "duration_seconds");
    expect_refused("{\"status\":\"sent\",\"answered_by\":\"human\"}", CHANNEL_SMS, "answered_by");
    expect_refused("{\"status\":\"failed\",\"error_code\":"
                   "\"0123456789012345678901234567890123\"}",
                   CHANNEL_SMS, "error_code");
    expect_refused("{\"status\":\"delivered\"}", CHANNEL_VOICE, "status");
    expect_refused("{\"status\":\"queued\"}", CHANNEL_SMS, "status");
    expect_refused("{\"status\":\"busy\"}", CHANNEL_SMS, "status");
    expect_refused("{\"status\":\"busy\",\"ended_at\":\"yesterday\"}", CHANNEL_VOICE, "ended_at");
    expect_refused("{\"status\":\"busy\",\"answered_at\":5}", CHANNEL_VOICE, "answered_at");
    expect_refused("{\"status\":\"busy\",\"provider_id\":\"a\\u0000b\"}", CHANNEL_VOICE,
                   "provider_id");
    char long_id[200];
    memset(long_id, 'x', 64);
    long_id[64] = '\0';
    char json[300];
    snprintf(json, sizeof json, "{\"status\":\"busy\",\"provider_id\":\"%s\"}", long_id);
    expect_refused(json, CHANNEL_VOICE, "provider_id");
    expect_refused("{\"status\":\"busy\",\"colour\":1}", CHANNEL_VOICE, "colour");
}

static void test_details(void **state) {
    (void)state;
    struct attempt_end end;
    struct verr e;
    assert_int_equal(parse("{\"status\":\"ringing\"}", CHANNEL_VOICE, &end, &e), 0);
    assert_int_equal(end.status, CALL_RINGING);
    assert_int_equal(end.has_duration, 0);
    assert_int_equal(end.answered_by, ANSWERED_NONE);
    assert_int_equal(parse("{\"status\":\"completed\",\"answered_by\":\"machine\","
                           "\"ended_reason\":\"voicemail\",\"error_code\":\"E1\","
                           "\"duration_seconds\":12.25}",
                           CHANNEL_VOICE, &end, &e),
                     0);
    assert_int_equal(end.answered_by, ANSWERED_MACHINE);
    assert_string_equal(end.ended_reason, "voicemail");
    assert_string_equal(end.error_code, "E1");
    assert_int_equal(end.has_duration, 1);
    assert_int_equal(end.duration_ms, 12250);
    assert_int_equal(
        parse("{\"status\":\"undelivered\",\"error_code\":\"30008\"}", CHANNEL_SMS, &end, &e), 0);
    assert_string_equal(end.error_code, "30008");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_end),
        cmocka_unit_test(test_message_status),
        cmocka_unit_test(test_details),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
