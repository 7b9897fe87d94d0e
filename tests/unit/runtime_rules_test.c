/* runtime_rules_test.c - tests of the AI voice agent runtimes' pure rules
 * (domain/runtime_rules.c, vapi_rules.c, retell_rules.c): every ended
 * reason each runtime documents (tests/data/runtimes/, from the runtimes'
 * published SDKs) is covered by its table and no exact entry is invented;
 * the outcomes that matter by name; answers to fates (2xx with the id,
 * 429 with Retry-After, concurrency refusals, Vapi's concurrencyBlocked,
 * 5xx, other 4xx); signatures against vectors computed by Python's hmac
 * (Retell's v=/d= header, Vapi's HMAC with and without a timestamp, the
 * sha256= prefix, stale, wrong, malformed; Bearer and X-Vapi-Secret);
 * create-call bodies; and webhook bodies read into reports (ends with
 * transcript, recording, times and duration; progress; ignored types;
 * malformed fields). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/retell_rules.h"
#include "domain/vapi_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t NOW = 1765000000000;

/* Every reason of a data file (comments and blanks skipped) must be
 * covered; returns how many were read. */
static size_t check_documented(const char *file, const struct runtime_reason *t, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/runtimes/%s", CAMPAIGND_TEST_DATA, file);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    size_t count = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (!runtime_reason_find(t, n, line))
            fail_msg("%s: %s is not covered", file, line);
        count++;
    }
    fclose(f);
    return count;
}

/* Every exact entry of a table is a documented reason. */
static void check_not_invented(const char *file, const struct runtime_reason *t, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/runtimes/%s", CAMPAIGND_TEST_DATA, file);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(t[i].reason);
        if (t[i].reason[len - 1] == '*')
            continue;
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char line[256];
        int found = 0;
        while (!found && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = '\0';
            found = strcmp(line, t[i].reason) == 0;
        }
        fclose(f);
        if (!found)
            fail_msg("%s: table entry %s is not documented", file, t[i].reason);
    }
}

static enum runtime_outcome outcome(const struct runtime_reason *t, size_t n, const char *r) {
    const struct runtime_reason *e = runtime_reason_find(t, n, r);
    assert_non_null(e);
    return e->outcome;
}

static void test_reason_tables(void **state) {
    (void)state;
    assert_true(check_documented("vapi_ended_reasons.txt", vapi_reasons, vapi_nreasons) > 500);
    check_not_invented("vapi_ended_reasons.txt", vapi_reasons, vapi_nreasons);
    assert_int_equal(
        check_documented("retell_disconnection_reasons.txt", retell_reasons, retell_nreasons), 34);
    check_not_invented("retell_disconnection_reasons.txt", retell_reasons, retell_nreasons);

    const struct runtime_reason *v = vapi_reasons;
    size_t vn = vapi_nreasons;
    assert_int_equal(outcome(v, vn, "customer-ended-call"), RUNTIME_COMPLETED);
    assert_int_equal(outcome(v, vn, "assistant-ended-call"), RUNTIME_COMPLETED);
    assert_int_equal(outcome(v, vn, "customer-did-not-answer"), RUNTIME_NO_ANSWER);
    assert_int_equal(outcome(v, vn, "customer-busy"), RUNTIME_BUSY);
    assert_int_equal(outcome(v, vn, "voicemail"), RUNTIME_VOICEMAIL);
    assert_int_equal(outcome(v, vn, "call.start.error-subscription-concurrency-limit-reached"),
                     RUNTIME_BUSY); /* an exact entry beats its family */
    assert_int_equal(outcome(v, vn, "call.start.error-get-assistant"), RUNTIME_FAILED);
    assert_int_equal(outcome(v, vn, "pipeline-error-openai-llm-failed"), RUNTIME_FAILED);
    assert_int_equal(outcome(v, vn, "call.in-progress.error-transfer-failed"), RUNTIME_COMPLETED);
    assert_int_equal(outcome(v, vn, "call.in-progress.error-vapifault-worker-died"),
                     RUNTIME_FAILED);
    assert_int_equal(outcome(v, vn, "twilio-failed-to-connect-call"), RUNTIME_FAILED);
    assert_null(runtime_reason_find(v, vn, "no-such-reason"));
    assert_null(runtime_reason_find(v, vn, NULL));

    const struct runtime_reason *r = retell_reasons;
    size_t rn = retell_nreasons;
    assert_int_equal(outcome(r, rn, "user_hangup"), RUNTIME_COMPLETED);
    assert_int_equal(outcome(r, rn, "agent_hangup"), RUNTIME_COMPLETED);
    assert_int_equal(outcome(r, rn, "dial_no_answer"), RUNTIME_NO_ANSWER);
    assert_int_equal(outcome(r, rn, "dial_busy"), RUNTIME_BUSY);
    assert_int_equal(outcome(r, rn, "voicemail_reached"), RUNTIME_VOICEMAIL);
    assert_int_equal(outcome(r, rn, "concurrency_limit_reached"), RUNTIME_BUSY);
    assert_int_equal(outcome(r, rn, "dial_failed"), RUNTIME_FAILED);
    assert_int_equal(outcome(r, rn, "error_llm_websocket_open"), RUNTIME_FAILED);
    assert_null(runtime_reason_find(r, rn, "user_hangup_x"));
    assert_string_equal(runtime_outcome_name(RUNTIME_NO_ANSWER), "no_answer");
}

static void test_outcome_to_end(void **state) {
    (void)state;
    struct attempt_end e = {0};
    runtime_outcome_to_end(RUNTIME_VOICEMAIL, &e);
    assert_int_equal(e.status, CALL_COMPLETED);
    assert_int_equal(e.answered_by, ANSWERED_MACHINE);
    memset(&e, 0, sizeof e);
    runtime_outcome_to_end(RUNTIME_COMPLETED, &e);
    assert_int_equal(e.answered_by, ANSWERED_HUMAN);
    memset(&e, 0, sizeof e);
    runtime_outcome_to_end(RUNTIME_BUSY, &e);
    assert_int_equal(e.status, CALL_BUSY);
    assert_int_equal(e.answered_by, ANSWERED_NONE);
    runtime_outcome_to_end(RUNTIME_NO_ANSWER, &e);
    assert_int_equal(e.status, CALL_NO_ANSWER);
    runtime_outcome_to_end(RUNTIME_FAILED, &e);
    assert_int_equal(e.status, CALL_FAILED);
}

static void test_answers(void **state) {
    (void)state;
    struct runtime_answer a;
#define VAPI(st, b, ra) vapi_answer_read(st, b, strlen(b), ra, &a)
#define RETELL(st, b, ra) retell_answer_read(st, b, strlen(b), ra, &a)
    VAPI(201, "{\"id\": \"0b1c\", \"status\": \"queued\"}", 0);
    assert_int_equal(a.fate, RUNTIME_ACCEPTED);
    assert_string_equal(a.id, "0b1c");
    VAPI(201, "{\"id\": \"0b1c\", \"subscriptionLimits\": {\"concurrencyBlocked\": true}}", 3000);
    assert_int_equal(a.fate, RUNTIME_PUT_BACK);
    assert_int_equal(a.retry_after_ms, 3000);
    VAPI(201, "{\"id\": \"0b1c\", \"subscriptionLimits\": {\"concurrencyBlocked\": false}}", 0);
    assert_int_equal(a.fate, RUNTIME_ACCEPTED);
    VAPI(429, "{\"message\": \"Rate limit exceeded\"}", 1000);
    assert_int_equal(a.fate, RUNTIME_PUT_BACK);
    assert_int_equal(a.retry_after_ms, 1000);
    VAPI(400, "{\"message\": [\"Over Concurrency Limit.\"], \"error\": \"Bad Request\"}", 0);
    assert_int_equal(a.fate, RUNTIME_PUT_BACK);
    VAPI(404, "{\"message\": \"reach concurrency limit\"}", 0);
    assert_int_equal(a.fate, RUNTIME_PUT_BACK);
    VAPI(400, "{\"message\": [\"customer.number must be a valid phone number\"]}", 0);
    assert_int_equal(a.fate, RUNTIME_REJECTED);
    assert_string_equal(a.error_code, "http_400");
    VAPI(502, "bad gateway", 0);
    assert_int_equal(a.fate, RUNTIME_PUT_BACK);
    RETELL(201,
           "{\"call_id\": \"Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6\", \"call_status\": "
           "\"registered\"}",
           0);
    assert_int_equal(a.fate, RUNTIME_ACCEPTED);
    assert_string_equal(a.id, "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6");
    RETELL(402, "{\"status\": \"error\", \"message\": \"no valid payment\"}", 0);
    assert_int_equal(a.fate, RUNTIME_REJECTED);
    assert_string_equal(a.error_code, "http_402");
    RETELL(429, "{\"message\": \"Concurrent call limit reached\"}", 0);
    assert_int_equal(a.fate, RUNTIME_PUT_BACK);
    RETELL(422, "{\"message\": \"Too many CONCURRENT calls\"}", 0);
    assert_int_equal(a.fate, RUNTIME_PUT_BACK);
    RETELL(201, "{\"call_id\": 7}", 0); /* accepted, an id that is no string is none */
    assert_int_equal(a.fate, RUNTIME_ACCEPTED);
    assert_string_equal(a.id, "");
#undef VAPI
#undef RETELL
}

static void test_retell_signature(void **state) {
    (void)state;
    const char *body = "{\"event\":\"call_ended\"}";
    size_t n = strlen(body);
    const char *key = "key_retell_test";
    /* hmac.new(key, body + "1765000000000", sha256).hexdigest() in Python */
    const char *good = "v=1765000000000,d=41d415a98f6bc9ee6700514a13805d1ef12cf10c59dc48bdff35810"
                       "aabc244ce";
    assert_true(retell_signature_valid(key, body, n, good, NOW));
    assert_true(retell_signature_valid(key, body, n, good, NOW + 299000));
    assert_false(retell_signature_valid(key, body, n, good, NOW + 301000)); /* stale */
    assert_false(retell_signature_valid(key, body, n, good, NOW - 301000)); /* early */
    assert_false(retell_signature_valid("other", body, n, good, NOW));
    assert_false(retell_signature_valid(key, "{\"event\":\"call_endex\"}", n, good, NOW));
    assert_false(retell_signature_valid(key, body, n, NULL, NOW));
    assert_false(retell_signature_valid(key, body, n, "", NOW));
    assert_false(retell_signature_valid(key, body, n, "d=41d4,v=1765000000000", NOW));
    assert_false(retell_signature_valid(key, body, n, "v=,d=41d4", NOW));
    assert_false(retell_signature_valid(
        key, body, n,
        "v=1765000000001,d=41d415a98f6bc9ee6700514a13805d1ef12cf10c59dc48bdff35810aabc244ce", NOW));
    char sig[96];
    retell_signature(key, body, n, NOW, sig);
    assert_string_equal(sig, good);
    /* uppercase hex is the same digest */
    assert_true(retell_signature_valid(
        key, body, n,
        "v=1765000000000,d=41D415A98F6BC9EE6700514A13805D1EF12CF10C59DC48BDFF35810AABC244CE", NOW));
}

static void test_vapi_auth(void **state) {
    (void)state;
    const char *body = "{\"message\":{}}";
    size_t n = strlen(body);
    const char *with_ts = "d5ed203fe6bdc67c5bbf0289c03785129ab96afe043dba3e2cb934f5a990ed00";
    const char *body_only = "1dbd58a5ea814d2e027bb86a1ee7e658d94378ad160fdfa314dc5134b63068b0";
    assert_true(vapi_hmac_valid("whsec_vapi", body, n, "1765000000", with_ts, NOW));
    assert_true(vapi_hmac_valid("whsec_vapi", body, n, NULL, body_only, NOW));
    char prefixed[80];
    snprintf(prefixed, sizeof prefixed, "sha256=%s", body_only);
    assert_true(vapi_hmac_valid("whsec_vapi", body, n, NULL, prefixed, NOW));
    assert_false(vapi_hmac_valid("whsec_vapi", body, n, "1765000000", body_only, NOW));
    assert_false(vapi_hmac_valid("whsec_vapi", body, n, NULL, with_ts, NOW));
    assert_false(vapi_hmac_valid("whsec_vapi", body, n, "1765000000", with_ts, NOW + 301000));
    assert_false(vapi_hmac_valid("whsec_vapi", body, n, "17650x0000", with_ts, NOW));
    assert_false(vapi_hmac_valid("other", body, n, NULL, body_only, NOW));
    assert_false(vapi_hmac_valid("whsec_vapi", body, n, NULL, NULL, NOW));
    assert_false(vapi_hmac_valid("whsec_vapi", body, n, NULL, "abc", NOW));
    assert_true(vapi_bearer_valid("tok", "Bearer tok"));
    assert_false(vapi_bearer_valid("tok", "Bearer tok2"));
    assert_false(vapi_bearer_valid("tok", "tok"));
    assert_false(vapi_bearer_valid("tok", NULL));
    assert_true(vapi_secret_header_valid("s3", "s3"));
    assert_false(vapi_secret_header_valid("s3", "s4"));
    assert_false(vapi_secret_header_valid("s3", NULL));
    enum vapi_auth_mode m;
    assert_int_equal(vapi_auth_mode_parse("bearer", &m), 0);
    assert_int_equal(m, VAPI_AUTH_BEARER);
    assert_int_equal(vapi_auth_mode_parse("x-vapi-secret", &m), 0);
    assert_int_equal(m, VAPI_AUTH_SECRET_HEADER);
    assert_int_equal(vapi_auth_mode_parse("basic", &m), -1);
}

static struct attempt sample_attempt(void) {
    struct attempt a;
    memset(&a, 0, sizeof a);
    snprintf(a.call_id, sizeof a.call_id, "call_1");
    snprintf(a.to, sizeof a.to, "+14155550100");
    snprintf(a.from, sizeof a.from, "+14155550199");
    snprintf(a.agent_id, sizeof a.agent_id, "agt_1");
    snprintf(a.campaign_id, sizeof a.campaign_id, "cmp_1");
    snprintf(a.recipient_id, sizeof a.recipient_id, "rcp_1");
    a.channel = CHANNEL_VOICE;
    return a;
}

static void test_call_bodies(void **state) {
    (void)state;
    struct attempt a = sample_attempt();
    json_t *b =
        vapi_call_body(&a, "{\"name\":\"Zoë\",\"n\":3}", "pn_1", "https://c.example/w", "cred_1");
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "assistantId")), "agt_1");
    assert_string_equal(json_string_value(json_object_get(b, "phoneNumberId")), "pn_1");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(b, "customer"), "number")),
        "+14155550100");
    json_t *o = json_object_get(b, "assistantOverrides");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o, "variableValues"), "name")), "Zoë");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "variableValues"), "n")),
                     3);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o, "metadata"), VAPI_CALL_ID_KEY)),
        "call_1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "server"), "url")),
                        "https://c.example/w");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o, "server"), "credentialId")), "cred_1");
    json_decref(b);
    b = vapi_call_body(&a, NULL, "pn_1", NULL, NULL);
    assert_non_null(b);
    assert_null(json_object_get(json_object_get(b, "assistantOverrides"), "server"));
    json_decref(b);
    assert_null(vapi_call_body(&a, "[1]", "pn_1", NULL, NULL));

    b = retell_call_body(&a, "{\"name\":\"Ada\",\"n\":3,\"vip\":true,\"x\":null}", NULL,
                         "https://c.example/w");
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "from_number")), "+14155550199");
    assert_string_equal(json_string_value(json_object_get(b, "to_number")), "+14155550100");
    assert_string_equal(json_string_value(json_object_get(b, "override_agent_id")), "agt_1");
    json_t *vars = json_object_get(b, "retell_llm_dynamic_variables");
    assert_string_equal(json_string_value(json_object_get(vars, "name")), "Ada");
    assert_string_equal(json_string_value(json_object_get(vars, "n")), "3");
    assert_string_equal(json_string_value(json_object_get(vars, "vip")), "true");
    assert_null(json_object_get(vars, "x"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(b, "metadata"), RETELL_CALL_ID_KEY)),
        "call_1");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(b, "agent_override"), "agent"), "webhook_url")),
        "https://c.example/w");
    json_decref(b);
    b = retell_call_body(&a, NULL, "+14155550111", NULL);
    assert_string_equal(json_string_value(json_object_get(b, "from_number")), "+14155550111");
    assert_null(json_object_get(b, "agent_override"));
    json_decref(b);
    assert_null(retell_call_body(&a, "not json", NULL, NULL));
}

static int vapi_read(const char *text, struct runtime_report *r, struct verr *e) {
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    int rc = vapi_report_read(j, NOW, r, e);
    json_decref(j);
    return rc;
}

static void test_vapi_reports(void **state) {
    (void)state;
    struct runtime_report r;
    struct verr e;
    assert_int_equal(
        vapi_read("{\"message\": {\"type\": \"end-of-call-report\", \"endedReason\": "
                  "\"customer-ended-call\", \"startedAt\": \"2025-12-06T05:46:30.000Z\", "
                  "\"endedAt\": \"2025-12-06T05:47:10.500Z\", \"call\": {\"id\": \"vc_1\", "
                  "\"assistantOverrides\": {\"metadata\": {\"campaignd_call_id\": \"call_9\"}}}, "
                  "\"artifact\": {\"transcript\": \"AI: Hi Zoë\\nUser: Bye\", \"recordingUrl\": "
                  "\"https://storage.vapi.ai/r.wav\"}}}",
                  &r, &e),
        0);
    assert_int_equal(r.kind, RUNTIME_REPORT_END);
    assert_string_equal(r.end.call_id, "call_9");
    assert_string_equal(r.end.provider_call_id, "vc_1");
    assert_int_equal(r.end.status, CALL_COMPLETED);
    assert_int_equal(r.end.answered_by, ANSWERED_HUMAN);
    assert_string_equal(r.end.ended_reason, "customer-ended-call");
    assert_int_equal(r.end.has_duration, 1);
    assert_int_equal(r.end.duration_ms, 40500);
    assert_int_equal(r.end.ended_at - r.end.answered_at, 40500);
    assert_string_equal(r.transcript, "AI: Hi Zoë\nUser: Bye");
    assert_string_equal(r.recording_url, "https://storage.vapi.ai/r.wav");
    runtime_report_clear(&r);

    /* older reports: top-level transcript and recordingUrl, durationSeconds; the
     * call id in the assistant's metadata; a recording under artifact.recording */
    assert_int_equal(
        vapi_read("{\"message\": {\"type\": \"end-of-call-report\", \"endedReason\": \"voicemail\","
                  " \"durationSeconds\": 12.5, \"assistant\": {\"metadata\": "
                  "{\"campaignd_call_id\": \"call_8\"}}, \"transcript\": \"beep\", \"artifact\": "
                  "{\"recording\": {\"mono\": {\"combinedUrl\": \"https://r/m.wav\"}}}}}",
                  &r, &e),
        0);
    assert_string_equal(r.end.call_id, "call_8");
    assert_int_equal(r.end.answered_by, ANSWERED_MACHINE);
    assert_int_equal(r.end.duration_ms, 12500);
    assert_int_equal(r.end.ended_at, NOW);
    assert_string_equal(r.transcript, "beep");
    assert_string_equal(r.recording_url, "https://r/m.wav");
    runtime_report_clear(&r);

    assert_int_equal(vapi_read("{\"message\": {\"type\": \"end-of-call-report\", \"endedReason\": "
                               "\"customer-did-not-answer\", \"call\": {\"id\": \"vc_2\"}, "
                               "\"artifact\": {}}}",
                               &r, &e),
                     0);
    assert_int_equal(r.end.status, CALL_NO_ANSWER);
    assert_string_equal(r.end.call_id, "");
    assert_string_equal(r.end.provider_call_id, "vc_2");
    assert_int_equal(r.end.has_duration, 0);
    assert_int_equal(r.end.answered_at, 0);
    assert_null(r.transcript);
    runtime_report_clear(&r);

    /* an undocumented reason fails the call, its word kept */
    assert_int_equal(vapi_read("{\"message\": {\"type\": \"end-of-call-report\", \"endedReason\": "
                               "\"brand-new-reason\"}}",
                               &r, &e),
                     0);
    assert_int_equal(r.end.status, CALL_FAILED);
    assert_string_equal(r.end.ended_reason, "brand-new-reason");
    assert_int_equal(r.undocumented, 1);
    runtime_report_clear(&r);

    assert_int_equal(
        vapi_read("{\"message\": {\"type\": \"status-update\", \"status\": \"in-progress\", "
                  "\"call\": {\"id\": \"vc_3\", \"assistantOverrides\": {\"metadata\": "
                  "{\"campaignd_call_id\": \"call_7\"}}}}}",
                  &r, &e),
        0);
    assert_int_equal(r.kind, RUNTIME_REPORT_PROGRESS);
    assert_int_equal(r.end.status, CALL_IN_PROGRESS);
    assert_int_equal(r.end.answered_at, NOW);
    assert_string_equal(r.end.call_id, "call_7");
    assert_int_equal(vapi_read("{\"message\": {\"type\": \"status-update\", \"status\": "
                               "\"ringing\"}}",
                               &r, &e),
                     0);
    assert_int_equal(r.end.status, CALL_RINGING);
    assert_int_equal(
        vapi_read("{\"message\": {\"type\": \"status-update\", \"status\": \"ended\"}}", &r, &e),
        0);
    assert_int_equal(r.kind, RUNTIME_REPORT_IGNORED);
    assert_int_equal(vapi_read("{\"message\": {\"type\": \"transcript\"}}", &r, &e), 0);
    assert_int_equal(r.kind, RUNTIME_REPORT_IGNORED);
    assert_string_equal(r.what, "transcript");

    assert_int_equal(vapi_read("{\"type\": \"end-of-call-report\"}", &r, &e), -1);
    assert_string_equal(e.field, "message");
    assert_int_equal(vapi_read("{\"message\": {}}", &r, &e), -1);
    assert_string_equal(e.field, "message.type");
    assert_int_equal(vapi_read("{\"message\": {\"type\": \"end-of-call-report\"}}", &r, &e), -1);
    assert_string_equal(e.field, "message.endedReason");
    assert_int_equal(vapi_read("{\"message\": {\"type\": \"end-of-call-report\", \"endedReason\": "
                               "\"voicemail\", \"startedAt\": \"yesterday\"}}",
                               &r, &e),
                     -1);
    assert_string_equal(e.field, "message.startedAt");
    assert_int_equal(vapi_read("{\"message\": {\"type\": \"end-of-call-report\", \"endedReason\": "
                               "\"voicemail\", \"call\": {\"assistantOverrides\": {\"metadata\": "
                               "{\"campaignd_call_id\": 5}}}}}",
                               &r, &e),
                     -1);
    assert_string_equal(e.field, "message.call.assistantOverrides.metadata.campaignd_call_id");
    assert_int_equal(vapi_read("{\"message\": {\"type\": \"status-update\"}}", &r, &e), -1);
    assert_string_equal(e.field, "message.status");
}

static int retell_read(const char *text, struct runtime_report *r, struct verr *e) {
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    int rc = retell_report_read(j, NOW, r, e);
    json_decref(j);
    return rc;
}

static void test_retell_reports(void **state) {
    (void)state;
    struct runtime_report r;
    struct verr e;
    assert_int_equal(
        retell_read("{\"event\": \"call_ended\", \"call\": {\"call_id\": \"rc_1\", \"call_status\":"
                    " \"ended\", \"metadata\": {\"campaignd_call_id\": \"call_5\"}, "
                    "\"disconnection_reason\": \"user_hangup\", \"start_timestamp\": "
                    "1764999990000, \"end_timestamp\": 1765000000000, \"duration_ms\": 10000, "
                    "\"transcript\": \"Agent: hi\\nUser: bye\\n\", \"recording_url\": "
                    "\"https://r.retellai.com/1.wav\"}}",
                    &r, &e),
        0);
    assert_int_equal(r.kind, RUNTIME_REPORT_END);
    assert_string_equal(r.end.call_id, "call_5");
    assert_string_equal(r.end.provider_call_id, "rc_1");
    assert_int_equal(r.end.status, CALL_COMPLETED);
    assert_int_equal(r.end.answered_by, ANSWERED_HUMAN);
    assert_int_equal(r.end.answered_at, 1764999990000);
    assert_int_equal(r.end.ended_at, 1765000000000);
    assert_int_equal(r.end.duration_ms, 10000);
    assert_string_equal(r.end.ended_reason, "user_hangup");
    assert_int_equal(r.undocumented, 0);
    assert_string_equal(r.transcript, "Agent: hi\nUser: bye\n");
    assert_string_equal(r.recording_url, "https://r.retellai.com/1.wav");
    runtime_report_clear(&r);

    assert_int_equal(retell_read("{\"event\": \"call_analyzed\", \"call\": {\"call_id\": \"rc_2\", "
                                 "\"disconnection_reason\": \"agent_hangup\", \"call_analysis\": "
                                 "{\"in_voicemail\": true}}}",
                                 &r, &e),
                     0);
    assert_int_equal(r.end.answered_by, ANSWERED_MACHINE);
    assert_int_equal(r.end.ended_at, NOW);
    runtime_report_clear(&r);

    assert_int_equal(retell_read("{\"event\": \"call_ended\", \"call\": {\"call_id\": \"rc_3\", "
                                 "\"call_status\": \"not_connected\", \"disconnection_reason\": "
                                 "\"dial_no_answer\"}}",
                                 &r, &e),
                     0);
    assert_int_equal(r.end.status, CALL_NO_ANSWER);
    assert_int_equal(r.end.answered_at, 0);
    assert_int_equal(r.end.has_duration, 0);
    runtime_report_clear(&r);

    assert_int_equal(retell_read("{\"event\": \"call_started\", \"call\": {\"call_id\": \"rc_4\", "
                                 "\"start_timestamp\": 1764999999000}}",
                                 &r, &e),
                     0);
    assert_int_equal(r.kind, RUNTIME_REPORT_PROGRESS);
    assert_int_equal(r.end.status, CALL_IN_PROGRESS);
    assert_int_equal(r.end.answered_at, 1764999999000);

    assert_int_equal(retell_read("{\"event\": \"transcript_updated\"}", &r, &e), 0);
    assert_int_equal(r.kind, RUNTIME_REPORT_IGNORED);

    assert_int_equal(retell_read("{\"call\": {}}", &r, &e), -1);
    assert_string_equal(e.field, "event");
    assert_int_equal(retell_read("{\"event\": \"call_ended\"}", &r, &e), -1);
    assert_string_equal(e.field, "call");
    assert_int_equal(
        retell_read("{\"event\": \"call_ended\", \"call\": {\"call_id\": \"x\"}}", &r, &e), -1);
    assert_string_equal(e.field, "call.disconnection_reason");
    assert_int_equal(retell_read("{\"event\": \"call_ended\", \"call\": {\"disconnection_reason\":"
                                 " \"dial_busy\", \"end_timestamp\": -4}}",
                                 &r, &e),
                     -1);
    assert_string_equal(e.field, "call.end_timestamp");
    assert_int_equal(
        retell_read("{\"event\": \"call_ended\", \"call\": {\"call_id\": 12}}", &r, &e), -1);
    assert_string_equal(e.field, "call.call_id");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_tables), cmocka_unit_test(test_outcome_to_end),
        cmocka_unit_test(test_answers),       cmocka_unit_test(test_retell_signature),
        cmocka_unit_test(test_vapi_auth),     cmocka_unit_test(test_call_bodies),
        cmocka_unit_test(test_vapi_reports),  cmocka_unit_test(test_retell_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
