/* fuzz_vapi_webhook.c - a Vapi server message at POST
 * /v1/providers/{name}/webhook (vapi type): the HMAC credential check
 * (vapi_hmac_valid) on the raw bytes, then jansson and vapi_report_read
 * (src/domain/vapi_rules.c).
 * Input: the x-timestamp header's value, "\n", the x-signature header's
 * value, "\n", the body.
 * Invariants: a signature this target computes itself over the body (with
 * and without the timestamp) is accepted, and one with a flipped digit is
 * not; a refused body's error names a field and a message in valid UTF-8;
 * an accepted one is voice, names a call id and runtime id that fit, and
 * is an END with a final status whose outcome is the one the reason table
 * gives (failed for a reason it lacks), its reason kept as sent, answered
 * (at a time, by a human or machine) exactly when completed, a duration
 * only when answered and never negative; or a PROGRESS (ringing or in
 * progress); or IGNORED. */
#include "fuzz.h"

#include "domain/vapi_rules.h"

static void check_signatures(const char *ts, const char *body, size_t n) {
    const char *secret = "fuzz_secret";
    char hex[65];
    runtime_hmac_sha256_hex(secret, body, n, hex);
    FUZZ_CHECK(vapi_hmac_valid(secret, body, n, NULL, hex, 0));
    hex[0] = hex[0] == '0' ? '1' : '0';
    FUZZ_CHECK(!vapi_hmac_valid(secret, body, n, NULL, hex, 0));
    size_t tlen = strlen(ts);
    char *msg = malloc(tlen + 1 + n + 1);
    if (!msg)
        abort();
    memcpy(msg, ts, tlen);
    msg[tlen] = '.';
    memcpy(msg + tlen + 1, body, n);
    runtime_hmac_sha256_hex(secret, msg, tlen + 1 + n, hex);
    free(msg);
    /* now is the timestamp itself when it is digits (seconds) */
    int digits = tlen > 0 && tlen <= 10;
    long long t = 0;
    for (size_t i = 0; digits && i < tlen; i++) {
        digits = ts[i] >= '0' && ts[i] <= '9';
        t = t * 10 + (ts[i] - '0');
    }
    if (digits)
        FUZZ_CHECK(vapi_hmac_valid(secret, body, n, ts, hex, (int64_t)t * 1000));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    char *ts = fuzz_line(&in);
    char *sig = fuzz_line(&in);
    const char *body = (const char *)in.p;
    size_t n = in.n;
    (void)vapi_hmac_valid("fuzz_secret", body, n, ts[0] ? ts : NULL, sig, 1765000000000);
    check_signatures(ts, body, n);
    json_t *j = json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL);
    struct runtime_report r;
    struct verr e;
    const int64_t now = 1765000000000;
    if (json_is_object(j)) {
        if (vapi_report_read(j, now, &r, &e) != 0) {
            FUZZ_CHECK_VERR(e);
        } else {
            FUZZ_CHECK(r.end.channel == CHANNEL_VOICE);
            FUZZ_CHECK(strlen(r.call_id) < sizeof r.call_id);
            FUZZ_CHECK(strcmp(r.end.call_id, r.call_id) == 0);
            FUZZ_CHECK(strlen(r.end.provider_call_id) < sizeof r.end.provider_call_id);
            if (r.kind == RUNTIME_REPORT_END) {
                FUZZ_CHECK(call_status_is_final(r.end.status));
                FUZZ_CHECK(r.end.ended_reason[0] != '\0');
                const struct runtime_reason *m =
                    runtime_reason_find(vapi_reasons, vapi_nreasons, r.end.ended_reason);
                struct attempt_end want = {0};
                runtime_outcome_to_end(m ? m->outcome : RUNTIME_FAILED, &want);
                FUZZ_CHECK(want.status == r.end.status && want.answered_by == r.end.answered_by);
                int answered = r.end.answered_by != ANSWERED_NONE;
                FUZZ_CHECK(answered ? r.end.answered_at > 0 : r.end.answered_at == 0);
                FUZZ_CHECK(r.end.ended_at > 0);
                FUZZ_CHECK(!r.end.has_duration || (answered && r.end.duration_ms >= 0));
                FUZZ_CHECK(r.end.ended_at != 0);
                FUZZ_CHECK(!r.transcript || utf8_valid(r.transcript, strlen(r.transcript)));
            } else if (r.kind == RUNTIME_REPORT_PROGRESS) {
                FUZZ_CHECK(r.end.status == CALL_RINGING || r.end.status == CALL_IN_PROGRESS);
                FUZZ_CHECK(!r.transcript && !r.recording_url);
            } else {
                FUZZ_CHECK(r.kind == RUNTIME_REPORT_IGNORED);
            }
            runtime_report_clear(&r);
        }
    }
    json_decref(j);
    free(ts);
    free(sig);
    return 0;
}
