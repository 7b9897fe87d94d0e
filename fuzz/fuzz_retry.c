/* fuzz_retry.c - the retry policy of a voice campaign: a retry_policy JSON
 * value validated as PATCH /v1/campaigns/{id} does (src/domain/campaign.c),
 * read back with campaign_retry_policy, then what retry_after_call
 * (src/domain/retry.c) decides for every call end and attempt count.
 * Input: one byte (the campaign's status), then the retry_policy value.
 * Invariants: an accepted policy reads back within its bounds; a recipient
 * is queued again only for a retried outcome of an open campaign with
 * attempts left, no earlier than the call ended, after a wait that never
 * shrinks from one retry to the next; completed by a person is the only
 * success (a machine that answered is voicemail). */
#include "fuzz.h"

#include "domain/campaign.h"
#include "domain/retry.h"

static void check_decisions(const struct retry_policy *p, enum campaign_status campaign) {
    const int64_t ended_at = 1700000000000; /* 2023-11-14, ms */
    for (int n = 1; n < p->max_attempts; n++)
        FUZZ_CHECK(retry_delay_ms(p, n) >= 0 && retry_delay_ms(p, n + 1) >= retry_delay_ms(p, n));
    for (int s = 0; s < CALL_STATUS_COUNT; s++) {
        for (int ab = ANSWERED_NONE; ab <= ANSWERED_UNKNOWN; ab++) {
            int machine = s == CALL_COMPLETED && ab == ANSWERED_MACHINE;
            for (int made = 1; made <= p->max_attempts + 1; made++) {
                struct recipient_next next;
                retry_after_call((enum call_status)s, (enum answered_by)ab, made, p, campaign,
                                 ended_at, &next);
                int open = campaign == CAMPAIGN_RUNNING || campaign == CAMPAIGN_PAUSED;
                int wanted = (s == CALL_BUSY && p->retry_on_busy) ||
                             (s == CALL_NO_ANSWER && p->retry_on_no_answer) ||
                             (machine && p->retry_on_voicemail);
                if (next.status == RECIPIENT_QUEUED) {
                    FUZZ_CHECK(wanted && open && made < p->max_attempts);
                    FUZZ_CHECK(next.due_at == ended_at + retry_delay_ms(p, made));
                } else {
                    FUZZ_CHECK(!(wanted && open && made < p->max_attempts));
                    FUZZ_CHECK((next.status == RECIPIENT_SUCCEEDED) ==
                               (s == CALL_COMPLETED && !machine));
                    FUZZ_CHECK(next.status == RECIPIENT_SUCCEEDED ||
                               next.status == RECIPIENT_FAILED);
                }
                FUZZ_CHECK(!machine || next.disposition == DISP_VOICEMAIL);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    enum campaign_status campaign = (enum campaign_status)(data[0] % CAMPAIGN_STATUS_COUNT);
    json_t *policy = json_loadb((const char *)data + 1, size - 1,
                                JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!policy)
        return 0;
    json_t *body = json_pack("{s:o}", "retry_policy", policy);
    struct campaign_rules rules = {0};
    struct campaign_input in;
    struct verr e;
    if (campaign_validate_patch(body, CHANNEL_VOICE, CAMPAIGN_DRAFT, &rules, &in, &e) == 0) {
        struct retry_policy p;
        campaign_retry_policy(in.retry_policy, &p);
        FUZZ_CHECK(p.max_attempts >= 1 && p.max_attempts <= 10);
        FUZZ_CHECK(p.delay_seconds >= 0 && p.delay_seconds <= 86400);
        check_decisions(&p, campaign);
    }
    json_decref(body);
    return 0;
}
