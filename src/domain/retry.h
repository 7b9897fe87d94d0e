/* retry.h - what the end of a voice attempt means for its recipient: done,
 * failed, or queued again for a retry at a given time. The contract's
 * retry policy: max_attempts counts the first attempt; only the outcomes in
 * retry_on are retried; the wait runs from the end of the previous attempt;
 * exponential backoff doubles it for each retry (the n-th retry waits
 * delay_seconds * 2^(n-1)). A campaign that was cancelled retries nothing.
 * Pure; thread-safe. */
#ifndef CAMPAIGND_RETRY_H
#define CAMPAIGND_RETRY_H

#include "domain/campaign.h"
#include "domain/types.h"

#include <stdint.h>

struct recipient_next {
    enum recipient_status status; /* QUEUED (retry), SUCCEEDED or FAILED */
    enum disposition disposition;
    int64_t due_at; /* for QUEUED: earliest instant of the next attempt */
};

/* attempts_made counts the attempt that just ended. A call that completed
 * with a machine on the line is voicemail: retried only when retry_on names
 * it, else failed / voicemail. */
void retry_after_call(enum call_status end, enum answered_by answered_by, int attempts_made,
                      const struct retry_policy *policy, enum campaign_status campaign,
                      int64_t ended_at, struct recipient_next *out);
/* The wait before retry number n (1-based), in ms. */
int64_t retry_delay_ms(const struct retry_policy *policy, int n);

#endif
