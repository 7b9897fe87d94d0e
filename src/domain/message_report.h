/* message_report.h - what a report on a message (sms or whatsapp) does:
 * the message's new status, which status times it stamps, the recipient's
 * move and the counter delta. Forward only:
 *
 *   queued ──accepted (or any later report)──▶ sent ──▶ delivered ──▶ read
 *     │                                         │          │
 *     └── failed (refused at submit)            └──────────┴── failure ──▶ undelivered
 *
 * The first report on a queued message is the submit's answer (it frees the
 * in-flight slot): failed makes the recipient failed / failed, anything
 * else sent, and a later status carried by it (delivered, read,
 * undelivered) applies at once. A failure after sent is undelivered and
 * moves the recipient from succeeded to failed. read, failed and
 * undelivered are final; a late, repeated or backward report changes
 * nothing, and so does a "queued" report.
 * Pure; thread-safe. */
#ifndef CAMPAIGND_MESSAGE_REPORT_H
#define CAMPAIGND_MESSAGE_REPORT_H

#include "domain/move.h"

struct message_report_facts {
    enum message_status current; /* the message row's status now */
    struct recipient_row row;    /* its recipient now */
};

struct message_report_decision {
    int applies;                /* 0: nothing changes */
    enum message_status status; /* the message's new status */
    int released;               /* it answered the submit: the in-flight slot frees */
    int stamp_sent, stamp_delivered, stamp_read, stamp_failed; /* times to set (if unset) */
    struct recipient_move move;
    int finished; /* the recipient became terminal, or went from succeeded to failed */
};

void message_report_decide(const struct message_report_facts *f, enum message_status reported,
                           struct message_report_decision *out);
/* The recipient disposition a message status stands for (DISP_NONE for
 * queued). */
enum disposition message_disposition(enum message_status m);

#endif
