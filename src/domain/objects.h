/* objects.h - the contract's objects that have no rules of their own, as
 * plain structs: a call (one dial attempt), a message (one sms or whatsapp
 * send) and an opt-out. Filled by the store, rendered by domain/render.c.
 * Strings are owned by the struct; *_clear frees them. */
#ifndef CAMPAIGND_OBJECTS_H
#define CAMPAIGND_OBJECTS_H

#include "domain/types.h"

#include <stdint.h>

struct call {
    int64_t seq;
    char id[48];
    char campaign_id[48];
    char recipient_id[48];
    char *agent_id, *from, *to, *carrier, *provider, *provider_call_id;
    char *ended_reason, *error_code, *transcript, *recording_url; /* NULL = null */
    enum answered_by answered_by;
    int attempt;
    enum call_status status;
    int64_t created_at, answered_at, ended_at, duration_ms; /* 0 = null */
};
void call_clear(struct call *c);

struct message {
    int64_t seq;
    char id[48];
    char campaign_id[48];
    char recipient_id[48];
    enum channel channel;
    char *from, *to, *body, *template_json, *carrier, *provider, *provider_message_id, *encoding;
    char *error_code;       /* NULL = null */
    char *pricing_category; /* whatsapp: the provider's pricing category; NULL = null */
    int attempt, segments;
    enum message_status status;
    int64_t created_at, sent_at, delivered_at, read_at, failed_at, updated_at; /* 0 = null */
};
void message_clear(struct message *m);

struct opt_out {
    int64_t seq;
    char id[48];
    char account_id[48];
    char phone_number[20];
    enum channel channel;
    char category[16]; /* "" = blanket */
    char source[16];   /* "api" or "inbound" */
    int64_t created_at;
};

#endif
