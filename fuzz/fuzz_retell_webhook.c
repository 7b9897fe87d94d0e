/* fuzz_retell_webhook.c - a Retell webhook at POST
 * /v1/providers/{name}/webhook (retell type): x-retell-signature
 * (retell_signature_valid) on the raw bytes, then jansson and
 * retell_report_read (src/domain/retell_rules.c).
 * Input: the x-retell-signature header's value, "\n", the body.
 * Invariants: the signature retell_signature makes for the body is
 * accepted at its own time and refused six minutes later, under another
 * key, or with a flipped digit; a header that checks is "v=<digits>,d=" and
 * 64 hex digits; a refused body's error names a field and a message in
 * valid UTF-8; an accepted one is voice, its ids fit, and it is an END with
 * a final status whose outcome is the reason table's (a completed call
 * becomes voicemail when call_analysis.in_voicemail is true; failed for a
 * reason the table lacks), answered exactly when completed, with a duration
 * only when answered and never negative; or a PROGRESS (in progress,
 * answered); or IGNORED. */
#include "fuzz.h"

#include "domain/retell_rules.h"

static void check_signatures(const char *body, size_t n) {
    const int64_t at = 1765000000000;
    char sig[96];
    retell_signature("fuzz_key", body, n, at, sig);
    FUZZ_CHECK(retell_signature_valid("fuzz_key", body, n, sig, at));
    FUZZ_CHECK(!retell_signature_valid("fuzz_key", body, n, sig, at + 6 * 60 * 1000));
    FUZZ_CHECK(!retell_signature_valid("other_key", body, n, sig, at));
    char *d = strstr(sig, ",d=") + 3;
    d[5] = d[5] == '0' ? '1' : '0';
    FUZZ_CHECK(!retell_signature_valid("fuzz_key", body, n, sig, at));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    char *sig = fuzz_line(&in);
    const char *body = (const char *)in.p;
    size_t n = in.n;
    if (retell_signature_valid("fuzz_key", body, n, sig, 1765000000000)) {
        const char *d = strstr(sig, ",d=");
        FUZZ_CHECK(strncmp(sig, "v=", 2) == 0 && d && strlen(d + 3) == 64);
    }
    check_signatures(body, n);
    json_t *j = json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL);
    struct runtime_report r;
    struct verr e;
    const int64_t now = 1765000000000;
    if (json_is_object(j)) {
        if (retell_report_read(j, now, &r, &e) != 0) {
            FUZZ_CHECK_VERR(e);
        } else {
            FUZZ_CHECK(r.end.channel == CHANNEL_VOICE);
            FUZZ_CHECK(strcmp(r.end.call_id, r.call_id) == 0);
            FUZZ_CHECK(strlen(r.end.provider_call_id) < sizeof r.end.provider_call_id);
            if (r.kind == RUNTIME_REPORT_END) {
                FUZZ_CHECK(call_status_is_final(r.end.status));
                const struct runtime_reason *m =
                    runtime_reason_find(retell_reasons, retell_nreasons, r.end.ended_reason);
                enum runtime_outcome o = m ? m->outcome : RUNTIME_FAILED;
                json_t *vm = json_object_get(
                    json_object_get(json_object_get(j, "call"), "call_analysis"), "in_voicemail");
                if (o == RUNTIME_COMPLETED && json_is_true(vm))
                    o = RUNTIME_VOICEMAIL;
                struct attempt_end want = {0};
                runtime_outcome_to_end(o, &want);
                FUZZ_CHECK(want.status == r.end.status && want.answered_by == r.end.answered_by);
                int answered = r.end.answered_by != ANSWERED_NONE;
                FUZZ_CHECK(!r.end.has_duration || (answered && r.end.duration_ms >= 0));
                FUZZ_CHECK(answered ? r.end.answered_at > 0 : r.end.answered_at == 0);
                FUZZ_CHECK(r.end.ended_at > 0);
            } else if (r.kind == RUNTIME_REPORT_PROGRESS) {
                FUZZ_CHECK(r.end.status == CALL_IN_PROGRESS && r.end.answered_at != 0);
            } else {
                FUZZ_CHECK(r.kind == RUNTIME_REPORT_IGNORED);
            }
            runtime_report_clear(&r);
        }
    }
    json_decref(j);
    free(sig);
    return 0;
}
