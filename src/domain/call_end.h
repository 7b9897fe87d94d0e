/* call_end.h - what a voice attempt's reported end does: the call's new
 * status, the recipient's next row (retry or terminal, by retry.c; a retry
 * that schedule.end_at would cut is no retry) and the counter delta.
 *
 * Only the first final report of an open call applies: a report for a call
 * that already ended changes nothing. A status that is no end (ringing,
 * in_progress) is progress: it moves an open call forward only (queued ->
 * ringing -> in_progress) and leaves the recipient in flight. A call that
 * completed with a machine on the line ends as voicemail (retry.c). The
 * recipient moves only from DISPATCHED; the call closes whatever the
 * recipient's row says.
 * Pure (time is an argument); thread-safe. */
#ifndef CAMPAIGND_CALL_END_H
#define CAMPAIGND_CALL_END_H

#include "domain/campaign.h"
#include "domain/move.h"

struct call_end_facts {
    enum call_status current;          /* the call row's status now */
    struct recipient_row row;          /* its recipient now */
    int attempts;                      /* attempts made, this one included */
    const struct retry_policy *policy; /* the campaign's, defaults filled */
    enum campaign_status campaign;     /* paused retries; cancelled does not */
    int64_t end_at;                    /* schedule.end_at, 0 = none */
};

struct call_end_decision {
    int applies;                /* 0: nothing changes */
    int progress;               /* the open call moved forward; nothing else changes */
    enum call_status status;    /* the call's new status */
    struct recipient_move move; /* DISPATCHED -> QUEUED (retry) / SUCCEEDED / FAILED */
    int retry;                  /* queued again, due at move.to.due_at */
    int finished;               /* the recipient became terminal */
};

void call_end_decide(const struct call_end_facts *f, enum call_status reported,
                     enum answered_by answered_by, int64_t ended_at, struct call_end_decision *out);

#endif
