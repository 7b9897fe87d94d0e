/* retry_test.c - tests of domain/retry.c (retry_after_call, retry_delay_ms)
 * with policies read by campaign_retry_policy (domain/campaign.h) from
 * their JSON: completed -> succeeded/completed; no_answer and busy queued
 * again while attempts_made < max_attempts and the outcome is in retry_on,
 * due at ended_at + the delay; exponential backoff (the n-th retry waits
 * delay * 2^(n-1)) and fixed; retry_on ["busy"] does not retry no_answer; a
 * cancelled or completed campaign retries nothing; a hard failure is
 * failed/failed; max_attempts 1 never retries; no policy means one attempt;
 * and whole retry sequences played to their end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/campaign.h"
#include "domain/retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

/* Reads a policy from JSON written with single quotes; NULL = no policy. */
static struct retry_policy policy(const char *sq) {
    struct retry_policy p;
    memset(&p, 0x5a, sizeof p);
    if (!sq) {
        campaign_retry_policy(NULL, &p);
        return p;
    }
    size_t n = strlen(sq);
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i <= n; i++)
        s[i] = sq[i] == '\'' ? '"' : sq[i];
    json_error_t err;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &err);
    if (!v)
        fail_msg("bad test JSON %s: %s", s, err.text);
    campaign_retry_policy(v, &p);
    json_decref(v);
    free(s);
    return p;
}

static const int64_t T0 = 1795000000000; /* 2026-11-19, ms */

static struct recipient_next after(enum call_status end, int attempts_made,
                                   const struct retry_policy *p, enum campaign_status campaign,
                                   int64_t ended_at) {
    struct recipient_next out;
    memset(&out, 0x5a, sizeof out);
    retry_after_call(end, ANSWERED_NONE, attempts_made, p, campaign, ended_at, &out);
    return out;
}

static void expect_next(const char *what, struct recipient_next got, enum recipient_status status,
                        enum disposition disp, int64_t due) {
    if (got.status != status || got.disposition != disp)
        fail_msg("%s: got %s/%s, want %s/%s", what, recipient_status_name(got.status),
                 disposition_name(got.disposition), recipient_status_name(status),
                 disposition_name(disp));
    if (status == RECIPIENT_QUEUED && got.due_at != due)
        fail_msg("%s: due %lld, want %lld", what, (long long)got.due_at, (long long)due);
}

/* ---- tests ------------------------------------------------------------ */

static void test_completed_succeeds(void **state) {
    (void)state;
    const char *policies[] = {NULL, "{}", "{'max_attempts':10,'retry_on':['no_answer','busy']}"};
    const enum campaign_status statuses[] = {CAMPAIGN_RUNNING, CAMPAIGN_PAUSED, CAMPAIGN_COMPLETED,
                                             CAMPAIGN_CANCELLED};
    for (size_t i = 0; i < 3; i++) {
        struct retry_policy p = policy(policies[i]);
        for (size_t s = 0; s < 4; s++)
            for (int attempt = 1; attempt <= 10; attempt++)
                expect_next("completed", after(CALL_COMPLETED, attempt, &p, statuses[s], T0),
                            RECIPIENT_SUCCEEDED, DISP_COMPLETED, 0);
    }
}

/* A machine answered: voicemail, retried only when retry_on names it
 * (not by default); answered by a human or unknown: completed. */
static void test_voicemail(void **state) {
    (void)state;
    struct recipient_next n;
    struct retry_policy dflt = policy("{'max_attempts':3,'delay_seconds':60}");
    struct retry_policy vm =
        policy("{'max_attempts':3,'delay_seconds':60,'retry_on':['voicemail']}");
    assert_int_equal(dflt.retry_on_voicemail, 0);
    assert_int_equal(vm.retry_on_voicemail, 1);
    assert_int_equal(vm.retry_on_no_answer, 0);
    retry_after_call(CALL_COMPLETED, ANSWERED_MACHINE, 1, &dflt, CAMPAIGN_RUNNING, T0, &n);
    expect_next("voicemail, not in retry_on", n, RECIPIENT_FAILED, DISP_VOICEMAIL, 0);
    retry_after_call(CALL_COMPLETED, ANSWERED_MACHINE, 1, &vm, CAMPAIGN_RUNNING, T0, &n);
    expect_next("voicemail 1/3", n, RECIPIENT_QUEUED, DISP_VOICEMAIL, T0 + 60000);
    retry_after_call(CALL_COMPLETED, ANSWERED_MACHINE, 3, &vm, CAMPAIGN_RUNNING, T0, &n);
    expect_next("voicemail 3/3", n, RECIPIENT_FAILED, DISP_VOICEMAIL, 0);
    retry_after_call(CALL_COMPLETED, ANSWERED_MACHINE, 1, &vm, CAMPAIGN_CANCELLED, T0, &n);
    expect_next("voicemail, cancelled", n, RECIPIENT_FAILED, DISP_VOICEMAIL, 0);
    retry_after_call(CALL_NO_ANSWER, ANSWERED_NONE, 1, &vm, CAMPAIGN_RUNNING, T0, &n);
    expect_next("no_answer, only voicemail retried", n, RECIPIENT_FAILED, DISP_NO_ANSWER, 0);
    const enum answered_by others[] = {ANSWERED_NONE, ANSWERED_HUMAN, ANSWERED_UNKNOWN};
    for (size_t i = 0; i < 3; i++) {
        retry_after_call(CALL_COMPLETED, others[i], 1, &vm, CAMPAIGN_RUNNING, T0, &n);
        expect_next("completed by a person", n, RECIPIENT_SUCCEEDED, DISP_COMPLETED, 0);
    }
    /* a machine on a call that did not complete changes nothing */
    retry_after_call(CALL_BUSY, ANSWERED_MACHINE, 1, &vm, CAMPAIGN_RUNNING, T0, &n);
    expect_next("busy, machine", n, RECIPIENT_FAILED, DISP_BUSY, 0);
}

static void test_no_answer_and_busy_retried(void **state) {
    (void)state;
    struct retry_policy p = policy("{'max_attempts':3,'delay_seconds':60}");
    assert_int_equal(p.exponential, 0);
    expect_next("no_answer 1/3", after(CALL_NO_ANSWER, 1, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_QUEUED, DISP_NO_ANSWER, T0 + 60000);
    expect_next("busy 1/3", after(CALL_BUSY, 1, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_QUEUED,
                DISP_BUSY, T0 + 60000);
    expect_next("no_answer 2/3", after(CALL_NO_ANSWER, 2, &p, CAMPAIGN_RUNNING, T0 + 5),
                RECIPIENT_QUEUED, DISP_NO_ANSWER, T0 + 5 + 60000);
    /* the third attempt was the last */
    expect_next("no_answer 3/3", after(CALL_NO_ANSWER, 3, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_FAILED, DISP_NO_ANSWER, 0);
    expect_next("busy 3/3", after(CALL_BUSY, 3, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_FAILED,
                DISP_BUSY, 0);
    expect_next("busy 4/3", after(CALL_BUSY, 4, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_FAILED,
                DISP_BUSY, 0);
    /* a paused campaign keeps its retries queued */
    expect_next("paused", after(CALL_BUSY, 1, &p, CAMPAIGN_PAUSED, T0), RECIPIENT_QUEUED, DISP_BUSY,
                T0 + 60000);
}

/* The wait runs from ended_at, whatever that is. */
static void test_due_from_ended_at(void **state) {
    (void)state;
    struct retry_policy p = policy("{'delay_seconds':300}");
    const int64_t ends[] = {0, 1, T0, T0 + 999, (int64_t)1 << 50};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        struct recipient_next n = after(CALL_NO_ANSWER, 1, &p, CAMPAIGN_RUNNING, ends[i]);
        assert_int_equal(n.status, RECIPIENT_QUEUED);
        assert_int_equal(n.due_at, ends[i] + 300000);
    }
    p = policy("{'delay_seconds':0}");
    expect_next("no delay", after(CALL_BUSY, 1, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_QUEUED,
                DISP_BUSY, T0);
    p = policy("{}"); /* default delay 300 s */
    expect_next("default delay", after(CALL_BUSY, 2, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_QUEUED,
                DISP_BUSY, T0 + 300000);
}

static void test_exponential(void **state) {
    (void)state;
    struct retry_policy p =
        policy("{'max_attempts':10,'delay_seconds':30,'backoff':'exponential'}");
    assert_int_equal(p.exponential, 1);
    for (int n = 1; n <= 9; n++) {
        int64_t want = (int64_t)30000 << (n - 1);
        assert_int_equal(retry_delay_ms(&p, n), want);
        /* attempt n just ended: this is retry number n */
        char what[64];
        snprintf(what, sizeof what, "exponential after attempt %d", n);
        expect_next(what, after(CALL_NO_ANSWER, n, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_QUEUED,
                    DISP_NO_ANSWER, T0 + want);
    }
    expect_next("exponential, exhausted", after(CALL_NO_ANSWER, 10, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_FAILED, DISP_NO_ANSWER, 0);
    /* the largest policy the contract allows does not overflow: 86400 s *
     * 2^8 for the 9th retry */
    p = policy("{'max_attempts':10,'delay_seconds':86400,'backoff':'exponential'}");
    assert_int_equal(retry_delay_ms(&p, 9), (int64_t)86400000 * 256);
    expect_next("largest wait", after(CALL_BUSY, 9, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_QUEUED,
                DISP_BUSY, T0 + (int64_t)86400000 * 256);
    /* zero stays zero */
    p = policy("{'delay_seconds':0,'backoff':'exponential'}");
    assert_int_equal(retry_delay_ms(&p, 5), 0);
}

static void test_fixed(void **state) {
    (void)state;
    const char *fixed[] = {"{'max_attempts':10,'delay_seconds':45}",
                           "{'max_attempts':10,'delay_seconds':45,'backoff':'fixed'}"};
    for (size_t i = 0; i < 2; i++) {
        struct retry_policy p = policy(fixed[i]);
        assert_int_equal(p.exponential, 0);
        for (int n = 1; n <= 9; n++) {
            assert_int_equal(retry_delay_ms(&p, n), 45000);
            expect_next("fixed", after(CALL_BUSY, n, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_QUEUED,
                        DISP_BUSY, T0 + 45000);
        }
    }
}

static void test_retry_on(void **state) {
    (void)state;
    struct retry_policy p = policy("{'retry_on':['busy']}");
    expect_next("busy only: busy", after(CALL_BUSY, 1, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_QUEUED,
                DISP_BUSY, T0 + 300000);
    expect_next("busy only: no_answer", after(CALL_NO_ANSWER, 1, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_FAILED, DISP_NO_ANSWER, 0);
    p = policy("{'retry_on':['no_answer']}");
    expect_next("no_answer only: no_answer", after(CALL_NO_ANSWER, 1, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_QUEUED, DISP_NO_ANSWER, T0 + 300000);
    expect_next("no_answer only: busy", after(CALL_BUSY, 1, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_FAILED, DISP_BUSY, 0);
    p = policy("{'retry_on':[]}");
    expect_next("none: busy", after(CALL_BUSY, 1, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_FAILED,
                DISP_BUSY, 0);
    expect_next("none: no_answer", after(CALL_NO_ANSWER, 1, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_FAILED, DISP_NO_ANSWER, 0);
    p = policy("{'retry_on':['no_answer','busy']}");
    expect_next("both: busy", after(CALL_BUSY, 1, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_QUEUED,
                DISP_BUSY, T0 + 300000);
    expect_next("both: no_answer", after(CALL_NO_ANSWER, 1, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_QUEUED, DISP_NO_ANSWER, T0 + 300000);
}

static void test_closed_campaign_retries_nothing(void **state) {
    (void)state;
    struct retry_policy p = policy("{'max_attempts':10,'delay_seconds':1}");
    const enum campaign_status closed[] = {CAMPAIGN_CANCELLED, CAMPAIGN_COMPLETED};
    for (size_t i = 0; i < 2; i++) {
        for (int n = 1; n <= 9; n++) {
            expect_next("closed: busy", after(CALL_BUSY, n, &p, closed[i], T0), RECIPIENT_FAILED,
                        DISP_BUSY, 0);
            expect_next("closed: no_answer", after(CALL_NO_ANSWER, n, &p, closed[i], T0),
                        RECIPIENT_FAILED, DISP_NO_ANSWER, 0);
        }
    }
}

static void test_hard_failure(void **state) {
    (void)state;
    const char *policies[] = {NULL, "{'max_attempts':10}"};
    for (size_t i = 0; i < 2; i++) {
        struct retry_policy p = policy(policies[i]);
        for (int n = 1; n <= 3; n++)
            expect_next("failed", after(CALL_FAILED, n, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_FAILED,
                        DISP_FAILED, 0);
        /* a call the provider cancelled is terminal too, never retried */
        struct recipient_next c = after(CALL_CANCELED, 1, &p, CAMPAIGN_RUNNING, T0);
        assert_int_equal(c.status, RECIPIENT_FAILED);
    }
}

static void test_max_attempts_one(void **state) {
    (void)state;
    struct retry_policy p = policy("{'max_attempts':1,'retry_on':['no_answer','busy']}");
    expect_next("max 1: busy", after(CALL_BUSY, 1, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_FAILED,
                DISP_BUSY, 0);
    expect_next("max 1: no_answer", after(CALL_NO_ANSWER, 1, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_FAILED, DISP_NO_ANSWER, 0);
}

static void test_no_policy_one_attempt(void **state) {
    (void)state;
    struct retry_policy p = policy(NULL);
    assert_int_equal(p.max_attempts, 1);
    expect_next("no policy: busy", after(CALL_BUSY, 1, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_FAILED,
                DISP_BUSY, 0);
    expect_next("no policy: no_answer", after(CALL_NO_ANSWER, 1, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_FAILED, DISP_NO_ANSWER, 0);
    p = policy("null");
    expect_next("null policy", after(CALL_NO_ANSWER, 1, &p, CAMPAIGN_RUNNING, T0), RECIPIENT_FAILED,
                DISP_NO_ANSWER, 0);
    /* a policy without max_attempts gives three attempts */
    p = policy("{}");
    expect_next("{} policy, 2nd", after(CALL_NO_ANSWER, 2, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_QUEUED, DISP_NO_ANSWER, T0 + 300000);
    expect_next("{} policy, 3rd", after(CALL_NO_ANSWER, 3, &p, CAMPAIGN_RUNNING, T0),
                RECIPIENT_FAILED, DISP_NO_ANSWER, 0);
}

/* Plays a recipient that never answers until it is done: exactly
 * max_attempts attempts, each starting when the previous retry is due
 * (the call lasting 20 s), with the waits of the policy. */
static void test_whole_sequences(void **state) {
    (void)state;
    for (int max = 1; max <= 10; max++) {
        for (int expo = 0; expo <= 1; expo++) {
            char json[128];
            snprintf(json, sizeof json, "{'max_attempts':%d,'delay_seconds':7,'backoff':'%s'}", max,
                     expo ? "exponential" : "fixed");
            struct retry_policy p = policy(json);
            int64_t start = T0, waited = 0;
            int attempts = 0;
            for (;;) {
                attempts++;
                int64_t ended = start + 20000;
                struct recipient_next n = after(attempts % 2 ? CALL_NO_ANSWER : CALL_BUSY, attempts,
                                                &p, CAMPAIGN_RUNNING, ended);
                if (n.status != RECIPIENT_QUEUED) {
                    assert_int_equal(n.status, RECIPIENT_FAILED);
                    break;
                }
                assert_true(attempts < 100);
                waited += n.due_at - ended;
                start = n.due_at;
            }
            if (attempts != max)
                fail_msg("%s: %d attempts", json, attempts);
            /* fixed: (max-1) waits of 7 s; exponential: 7 s * (2^(max-1) - 1) */
            int64_t want =
                expo ? 7000 * (((int64_t)1 << (max - 1)) - 1) : 7000 * (int64_t)(max - 1);
            if (waited != want)
                fail_msg("%s: waited %lld ms, want %lld", json, (long long)waited, (long long)want);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_completed_succeeds),
        cmocka_unit_test(test_no_answer_and_busy_retried),
        cmocka_unit_test(test_voicemail),
        cmocka_unit_test(test_due_from_ended_at),
        cmocka_unit_test(test_exponential),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_retry_on),
        cmocka_unit_test(test_closed_campaign_retries_nothing),
        cmocka_unit_test(test_hard_failure),
        cmocka_unit_test(test_max_attempts_one),
        cmocka_unit_test(test_no_policy_one_attempt),
        cmocka_unit_test(test_whole_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
