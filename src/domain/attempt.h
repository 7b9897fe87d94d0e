/* attempt.h - one attempt to reach a recipient (a dial, or a message
 * submit) as the engine, the store and providers exchange it, and the end
 * a provider reports for it. Plain data. */
#ifndef CAMPAIGND_ATTEMPT_H
#define CAMPAIGND_ATTEMPT_H

#include "domain/types.h"

#include <stdint.h>

#define LANE_MAX 200

struct attempt {
    char call_id[48]; /* the attempt's id (call_ or msg_); providers deduplicate by it */
    enum channel channel;
    char to[20];
    char from[72];
    int attempt; /* 1-based */
    int64_t created_at;
    char *text;           /* sms: the rendered body; whatsapp: the template JSON; voice: the
                             recipient's params as compact JSON or NULL (owned) */
    char provider_id[64]; /* set by the provider when it accepts the attempt */
    /* whom it is for: a provider may hand these on (a twilio voice_url) */
    char agent_id[129];
    char campaign_id[48];
    char recipient_id[48];
    /* engine bookkeeping */
    char lane[LANE_MAX + 1];
    int64_t campaign_seq;
    char provider[65]; /* the named provider that carries it */
    int submit_state;  /* enum submit_state */
    int taken;         /* reconciliation: leased to this node now (0: another's live lease) */
};

/* Where an attempt stands toward its provider: claimed but never handed
 * over (safe to hand over), handed over with its fate not known yet (never
 * handed over again), or its fate known. Moves only forward. */
enum submit_state {
    SUBMIT_PENDING = 0,
    SUBMIT_SUBMITTING = 1,
    SUBMIT_ACCEPTED = 2,
    SUBMIT_REJECTED = 3
};

/* A provider's report on an attempt. Voice: how the call ended (a final
 * status), or how far it got (ringing, in_progress: a progress report that
 * leaves the attempt in flight). Messaging: a status report (mstatus: sent
 * when the submit is accepted, failed when refused, then delivered / read /
 * undelivered), at ended_at. The details are the provider's own words,
 * kept on the call or message as reported (zero: not reported, so a
 * zeroed end reports nothing but its status). */
struct attempt_end {
    char call_id[48];
    enum channel channel;
    enum call_status status;     /* voice */
    enum message_status mstatus; /* messaging */
    int64_t answered_at;         /* voice: 0 = never answered */
    int64_t ended_at;            /* when it ended / the report's time */
    char provider_call_id[64];
    enum answered_by answered_by; /* voice: machine + completed = voicemail */
    int has_duration;             /* voice: the provider reported duration_ms */
    int64_t duration_ms;
    char ended_reason[128]; /* voice: the provider's word for the end (Vapi's run to 121) */
    char error_code[32];    /* the provider's error code */
};

/* What applying an end did, for the engine's bookkeeping. */
struct attempt_applied {
    int applied;  /* 0: unknown or already closed attempt (a repeated report) */
    int released; /* the attempt left the provider's hands: its in-flight slot frees */
    char lane[LANE_MAX + 1];
    int64_t campaign_seq;
    int64_t retry_due; /* >0: queued again, due then */
};

#endif
