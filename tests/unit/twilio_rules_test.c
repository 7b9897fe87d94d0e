/* twilio_rules_test.c - tests of domain/twilio_rules.c: answers to fates
 * (2xx with sid, 429 and code 20429 with Retry-After, 5xx, 4xx with
 * Twilio's code or the HTTP status), X-Twilio-Signature (Twilio's own
 * documented example, values signed by the official python library:
 * non-ASCII, the port variants, a repeated name; wrong token, wrong URL,
 * wrong length, missing), and status callbacks read into attempt ends
 * (every CallStatus and MessageStatus, AnsweredBy, CallDuration,
 * ErrorCode, statuses that move nothing, malformed fields). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/twilio_rules.h"

#include <stdio.h>
#include <string.h>

static void answer(long status, const char *body, int64_t retry, struct twilio_answer *out) {
    twilio_answer_read(status, body, body ? strlen(body) : 0, retry, out);
}

static void test_answers(void **state) {
    (void)state;
    struct twilio_answer a;
    answer(201, "{\"sid\": \"CA0123456789abcdef0123456789abcdef\", \"status\": \"queued\"}", 0, &a);
    assert_int_equal(a.fate, TWILIO_ACCEPTED);
    assert_string_equal(a.sid, "CA0123456789abcdef0123456789abcdef");
    answer(200, "not json", 0, &a);
    assert_int_equal(a.fate, TWILIO_ACCEPTED);
    assert_string_equal(a.sid, "");
    answer(429, "{\"code\": 20429, \"message\": \"Too Many Requests\"}", 2000, &a);
    assert_int_equal(a.fate, TWILIO_PUT_BACK);
    assert_int_equal(a.retry_after_ms, 2000);
    answer(400, "{\"code\": 20429}", 0, &a); /* the code alone is a throttle too */
    assert_int_equal(a.fate, TWILIO_PUT_BACK);
    assert_int_equal(a.retry_after_ms, 0);
    answer(503, "", 5000, &a);
    assert_int_equal(a.fate, TWILIO_PUT_BACK);
    assert_int_equal(a.retry_after_ms, 5000);
    answer(500, NULL, 0, &a);
    assert_int_equal(a.fate, TWILIO_PUT_BACK);
    answer(400,
           "{\"code\": 21211, \"message\": \"The 'To' number is not a valid phone number.\", "
           "\"more_info\": \"https://www.twilio.com/docs/errors/21211\", \"status\": 400}",
           0, &a);
    assert_int_equal(a.fate, TWILIO_REJECTED);
    assert_string_equal(a.error_code, "21211");
    answer(401, "{\"code\": \"20003\"}", 0, &a);
    assert_int_equal(a.fate, TWILIO_REJECTED);
    assert_string_equal(a.error_code, "20003");
    answer(404, "<html>", 0, &a);
    assert_int_equal(a.fate, TWILIO_REJECTED);
    assert_string_equal(a.error_code, "http_404");
    answer(302, "", 0, &a);
    assert_int_equal(a.fate, TWILIO_REJECTED);
    assert_string_equal(a.error_code, "http_302");
}

static void parse(const char *body, struct form *f) {
    assert_int_equal(form_parse(body, strlen(body), 100, f), 0);
}

static void test_signatures(void **state) {
    (void)state;
    struct form f;
    char sig[29];
    /* Twilio's documented example */
    parse("CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&"
          "To=%2B18005551212",
          &f);
    const char *url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    twilio_signature("12345", url, &f, sig);
    assert_string_equal(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    assert_true(twilio_signature_valid("12345", url, &f, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    assert_false(twilio_signature_valid("12346", url, &f, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    assert_false(twilio_signature_valid("12345", "https://mycompany.com/myapp.php?foo=1", &f,
                                        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    assert_false(twilio_signature_valid("12345", url, &f, "0/KCTR6DLpKmkAf8muzZqo1nDgQ"));
    assert_false(twilio_signature_valid("12345", url, &f, "1/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    assert_false(twilio_signature_valid("12345", url, &f, NULL));
    assert_false(twilio_signature_valid("12345", url, &f, ""));
    form_clear(&f);
    /* the field order of the body does not matter; non-ASCII values;
     * signed by twilio's python RequestValidator with and without :8080 */
    parse("Caller=Zo%C3%AB+%C3%A9&CallStatus=completed&AnsweredBy=machine_start", &f);
    assert_true(twilio_signature_valid("12345",
                                       "http://127.0.0.1:8080/v1/providers/tw/calls/call_x", &f,
                                       "Koewbvj8P0GRchkcY0UoSXqejCA="));
    assert_true(twilio_signature_valid("12345",
                                       "http://127.0.0.1:8080/v1/providers/tw/calls/call_x", &f,
                                       "8j/AsmDe5XF3+tG5iFQeFfJxrC4="));
    assert_true(twilio_signature_valid("12345", "http://127.0.0.1/v1/providers/tw/calls/call_x", &f,
                                       "8j/AsmDe5XF3+tG5iFQeFfJxrC4="));
    /* without a port, the default one (80) is tried: not 8080 */
    assert_false(twilio_signature_valid("12345", "http://127.0.0.1/v1/providers/tw/calls/call_x",
                                        &f, "Koewbvj8P0GRchkcY0UoSXqejCA="));
    form_clear(&f);
    /* a repeated name: both values, sorted, each after the name */
    parse("B=2&A=y&A=x", &f);
    char again[29];
    twilio_signature("t", "https://h/p", &f, sig);
    form_clear(&f);
    parse("A=x&A=y&B=2", &f);
    twilio_signature("t", "https://h/p", &f, again);
    assert_string_equal(sig, again);
    form_clear(&f);
}

static int read_report(const char *body, enum channel ch, struct attempt_end *out, struct verr *e) {
    struct form f;
    parse(body, &f);
    int rc = twilio_report_read(&f, "call_1", ch, 1000000, out, e);
    form_clear(&f);
    return rc;
}

static void test_call_reports(void **state) {
    (void)state;
    struct attempt_end o;
    struct verr e;
    static const struct {
        const char *twilio;
        enum call_status want;
    } map[] = {{"ringing", CALL_RINGING},     {"in-progress", CALL_IN_PROGRESS},
               {"completed", CALL_COMPLETED}, {"busy", CALL_BUSY},
               {"no-answer", CALL_NO_ANSWER}, {"failed", CALL_FAILED},
               {"canceled", CALL_FAILED}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        char body[128];
        snprintf(body, sizeof body, "CallSid=CA9&CallStatus=%s", map[i].twilio);
        assert_int_equal(read_report(body, CHANNEL_VOICE, &o, &e), 0);
        assert_int_equal(o.status, map[i].want);
        assert_string_equal(o.call_id, "call_1");
        assert_string_equal(o.provider_call_id, "CA9");
        assert_int_equal(o.ended_at, 1000000);
        assert_string_equal(o.ended_reason, call_status_is_final(o.status) ? map[i].twilio : "");
    }
    assert_int_equal(read_report("CallStatus=in-progress&AnsweredBy=human", CHANNEL_VOICE, &o, &e),
                     0);
    assert_int_equal(o.answered_at, 1000000);
    assert_int_equal(o.answered_by, ANSWERED_HUMAN);
    assert_int_equal(read_report("CallStatus=completed&AnsweredBy=machine_end_beep&CallDuration=21",
                                 CHANNEL_VOICE, &o, &e),
                     0);
    assert_int_equal(o.answered_by, ANSWERED_MACHINE);
    assert_true(o.has_duration);
    assert_int_equal(o.duration_ms, 21000);
    assert_int_equal(o.answered_at, 1000000 - 21000);
    assert_int_equal(read_report("CallStatus=completed&AnsweredBy=fax", CHANNEL_VOICE, &o, &e), 0);
    assert_int_equal(o.answered_by, ANSWERED_UNKNOWN);
    assert_false(o.has_duration);
    assert_int_equal(read_report("CallStatus=failed&ErrorCode=13224", CHANNEL_VOICE, &o, &e), 0);
    assert_string_equal(o.error_code, "13224");
    /* statuses that move nothing */
    assert_int_equal(read_report("CallStatus=initiated", CHANNEL_VOICE, &o, &e), 1);
    assert_int_equal(read_report("CallStatus=queued", CHANNEL_VOICE, &o, &e), 1);
    /* refusals */
    assert_int_equal(read_report("CallSid=CA1", CHANNEL_VOICE, &o, &e), -1);
    assert_string_equal(e.field, "CallStatus");
    assert_int_equal(read_report("CallStatus=answered", CHANNEL_VOICE, &o, &e), -1);
    assert_string_equal(e.field, "CallStatus");
    assert_int_equal(read_report("CallStatus=completed&CallDuration=-1", CHANNEL_VOICE, &o, &e),
                     -1);
    assert_string_equal(e.field, "CallDuration");
    assert_int_equal(read_report("CallStatus=completed&CallDuration=2x", CHANNEL_VOICE, &o, &e),
                     -1);
    assert_int_equal(read_report("CallStatus=completed&ErrorCode=123456789012345678901234567890123",
                                 CHANNEL_VOICE, &o, &e),
                     -1);
    assert_string_equal(e.field, "ErrorCode");
    assert_int_equal(read_report("CallStatus=completed&CallSid=a%00b", CHANNEL_VOICE, &o, &e), -1);
    assert_string_equal(e.field, "CallSid");
}

static void test_message_reports(void **state) {
    (void)state;
    struct attempt_end o;
    struct verr e;
    static const struct {
        const char *twilio;
        enum message_status want;
    } map[] = {{"sent", MSG_SENT},     {"delivered", MSG_DELIVERED},
               {"read", MSG_READ},     {"undelivered", MSG_UNDELIVERED},
               {"failed", MSG_FAILED}, {"canceled", MSG_FAILED}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        char body[128];
        snprintf(body, sizeof body, "MessageSid=SM1&MessageStatus=%s&ErrorCode=30003",
                 map[i].twilio);
        assert_int_equal(read_report(body, CHANNEL_SMS, &o, &e), 0);
        assert_int_equal(o.mstatus, map[i].want);
        assert_string_equal(o.provider_call_id, "SM1");
        assert_string_equal(o.error_code, "30003");
        assert_int_equal(o.channel, CHANNEL_SMS);
    }
    assert_int_equal(read_report("MessageStatus=sending", CHANNEL_SMS, &o, &e), 1);
    assert_int_equal(read_report("MessageStatus=queued", CHANNEL_SMS, &o, &e), 1);
    assert_int_equal(read_report("CallStatus=completed", CHANNEL_SMS, &o, &e), -1);
    assert_string_equal(e.field, "MessageStatus");
    assert_int_equal(read_report("MessageStatus=lost", CHANNEL_SMS, &o, &e), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_call_reports),
        cmocka_unit_test(test_message_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
