/* message_report.c - a message report, see message_report.h. */
#include "domain/message_report.h"

#include <string.h>

/* Progress along sent -> delivered -> read; 0 for the others. */
static int rank(enum message_status m) {
    switch (m) {
    case MSG_SENT:
        return 1;
    case MSG_DELIVERED:
        return 2;
    case MSG_READ:
        return 3;
    default:
        return 0;
    }
}

enum disposition message_disposition(enum message_status m) {
    switch (m) {
    case MSG_SENT:
        return DISP_SENT;
    case MSG_DELIVERED:
        return DISP_DELIVERED;
    case MSG_READ:
        return DISP_READ;
    case MSG_UNDELIVERED:
        return DISP_UNDELIVERED;
    case MSG_FAILED:
        return DISP_FAILED;
    default:
        return DISP_NONE;
    }
}

/* The rank of a succeeded recipient's disposition (0 when it is none of
 * sent / delivered / read). */
static int disp_rank(enum disposition d) {
    return d == DISP_SENT ? 1 : d == DISP_DELIVERED ? 2 : d == DISP_READ ? 3 : 0;
}

void message_report_decide(const struct message_report_facts *f, enum message_status reported,
                           struct message_report_decision *out) {
    memset(out, 0, sizeof *out);
    out->status = f->current;
    recipient_move_none(&out->move, &f->row);
    if ((unsigned)reported >= MSG_STATUS_COUNT || reported == MSG_QUEUED)
        return;
    enum message_status cur = f->current;
    struct recipient_row row = f->row;
    if (cur == MSG_QUEUED) {
        /* the submit's answer, or a report that implies it */
        cur = reported == MSG_FAILED ? MSG_FAILED : MSG_SENT;
        out->applies = out->released = 1;
        if (row.status == RECIPIENT_DISPATCHED) {
            row.status = cur == MSG_FAILED ? RECIPIENT_FAILED : RECIPIENT_SUCCEEDED;
            row.disposition = message_disposition(cur);
            row.due_at = 0;
            out->finished = 1;
        }
    }
    if (reported == MSG_FAILED)
        reported = MSG_UNDELIVERED; /* a failure after the submit was accepted */
    if ((cur == MSG_SENT || cur == MSG_DELIVERED) && reported == MSG_UNDELIVERED) {
        cur = MSG_UNDELIVERED;
        out->applies = 1;
        if (row.status == RECIPIENT_SUCCEEDED) {
            row.status = RECIPIENT_FAILED;
            row.disposition = DISP_UNDELIVERED;
            out->finished = 1;
        }
    } else if (rank(reported) > rank(cur) && rank(cur) > 0) {
        cur = reported;
        out->applies = 1;
        if (row.status == RECIPIENT_SUCCEEDED && disp_rank(row.disposition) > 0 &&
            rank(reported) > disp_rank(row.disposition))
            row.disposition = message_disposition(reported);
    }
    if (!out->applies)
        return;
    out->status = cur;
    out->stamp_sent = f->current == MSG_QUEUED ? cur != MSG_FAILED : rank(cur) >= 1;
    out->stamp_delivered = rank(cur) >= 2;
    out->stamp_read = cur == MSG_READ;
    out->stamp_failed = cur == MSG_FAILED || cur == MSG_UNDELIVERED;
    if (row.status != f->row.status || row.disposition != f->row.disposition)
        recipient_move_make(&out->move, &f->row, &row);
}
