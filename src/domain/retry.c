/* retry.c - see retry.h. */
#include "domain/retry.h"

int64_t retry_delay_ms(const struct retry_policy *p, int n) {
    int64_t ms = (int64_t)p->delay_seconds * 1000;
    if (p->exponential)
        for (int i = 1; i < n && ms < (int64_t)1 << 50; i++)
            ms *= 2;
    return ms;
}

void retry_after_call(enum call_status end, enum answered_by answered_by, int attempts_made,
                      const struct retry_policy *p, enum campaign_status campaign, int64_t ended_at,
                      struct recipient_next *out) {
    out->due_at = 0;
    int voicemail = end == CALL_COMPLETED && answered_by == ANSWERED_MACHINE;
    switch (end) {
    case CALL_COMPLETED:
        if (!voicemail) {
            out->status = RECIPIENT_SUCCEEDED;
            out->disposition = DISP_COMPLETED;
            return;
        }
        /* a machine answered: transient, like no_answer */
        __attribute__((fallthrough));
    case CALL_NO_ANSWER:
    case CALL_BUSY: {
        out->disposition = voicemail          ? DISP_VOICEMAIL
                           : end == CALL_BUSY ? DISP_BUSY
                                              : DISP_NO_ANSWER;
        int wanted = voicemail          ? p->retry_on_voicemail
                     : end == CALL_BUSY ? p->retry_on_busy
                                        : p->retry_on_no_answer;
        int open = campaign == CAMPAIGN_RUNNING || campaign == CAMPAIGN_PAUSED;
        if (wanted && open && attempts_made < p->max_attempts) {
            out->status = RECIPIENT_QUEUED;
            out->due_at = ended_at + retry_delay_ms(p, attempts_made);
        } else {
            out->status = RECIPIENT_FAILED;
        }
        return;
    }
    case CALL_CANCELED:
        out->status = RECIPIENT_FAILED;
        out->disposition = DISP_CANCELLED;
        return;
    default:
        out->status = RECIPIENT_FAILED;
        out->disposition = DISP_FAILED;
        return;
    }
}
