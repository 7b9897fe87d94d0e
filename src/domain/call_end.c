/* call_end.c - a voice attempt's end, see call_end.h. */
#include "domain/call_end.h"
#include "domain/retry.h"

#include <string.h>

void call_end_decide(const struct call_end_facts *f, enum call_status reported,
                     enum answered_by answered_by, int64_t ended_at,
                     struct call_end_decision *out) {
    memset(out, 0, sizeof *out);
    out->status = f->current;
    recipient_move_none(&out->move, &f->row);
    if (call_status_is_final(f->current))
        return;
    if (!call_status_is_final(reported)) {
        /* queued < ringing < in_progress: forward only */
        if (reported > f->current && reported <= CALL_IN_PROGRESS) {
            out->applies = out->progress = 1;
            out->status = reported;
        }
        return;
    }
    out->applies = 1;
    out->status = reported;
    if (f->row.status != RECIPIENT_DISPATCHED)
        return;
    struct recipient_next next;
    retry_after_call(reported, answered_by, f->attempts, f->policy, f->campaign, ended_at, &next);
    if (next.status == RECIPIENT_QUEUED && f->end_at && next.due_at >= f->end_at) {
        /* schedule.end_at comes before the retry could: the attempt's own
         * outcome is final */
        next.status = RECIPIENT_FAILED;
        next.due_at = 0;
    }
    struct recipient_row to = {next.status, next.disposition, next.due_at};
    recipient_move_make(&out->move, &f->row, &to);
    out->retry = next.status == RECIPIENT_QUEUED;
    out->finished = !out->retry;
}
