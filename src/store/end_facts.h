/* end_facts.h - the facts a batch of provider reports is decided on, as
 * both backends read them (sqlite_end_facts.c and its mirror
 * pg_end_facts.c): a call's end on the call, its recipient and its
 * campaign; a message report on the message and its recipient. Store
 * internal (src/store/ only). */
#ifndef CAMPAIGND_END_FACTS_H
#define CAMPAIGND_END_FACTS_H

#include "domain/attempt.h"
#include "domain/call_end.h"
#include "domain/message_report.h"

#include <stdint.h>

struct end_facts {
    int found; /* 0: no such call or message */
    int again; /* read it alone at its turn (an earlier report of its recipient
                  in the batch may change it, or its id was not in the list) */
    int64_t seq, recipient_seq, campaign_seq; /* the call's or message's seq */
    int64_t created_at;                       /* the call's dial */
    char lane[LANE_MAX + 1];
    struct call_end_facts call;      /* voice (policy left to the caller) */
    struct message_report_facts msg; /* sms, whatsapp */
};

#endif
