/* recipient.h - a recipient of a campaign: its stored fields, upload
 * validation (number syntax, numbering plan, params) and, with the dispatch
 * engine, its state machine (see the diagram in recipient.c).
 * Pure functions, no I/O; thread-safe. */
#ifndef CAMPAIGND_RECIPIENT_H
#define CAMPAIGND_RECIPIENT_H

#include "domain/types.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define RECIPIENT_MAX_PER_UPLOAD 10000
#define RECIPIENT_MAX_REJECTED_LISTED 1000
#define RECIPIENT_MAX_PARAMS 64
#define RECIPIENT_MAX_PARAM_BYTES 4096

struct recipient {
    char id[48];
    char campaign_id[48];
    int64_t seq; /* upload order */
    char *phone_number;
    char *params_json; /* NULL = no params */
    enum recipient_status status;
    enum disposition disposition;
    int attempts;
    char *carrier;
    int64_t created_at, last_attempt_at;  /* 0 = null */
    int64_t due_at;                       /* earliest instant of the next attempt; 0 = now */
    char *last_call_id, *last_message_id; /* NULL = null */
    char *zones;                          /* its time zones, "A&B"; NULL when unknown */
};
void recipient_clear(struct recipient *r);

enum reject_reason {
    REJECT_NONE = 0,
    REJECT_NOT_E164,
    REJECT_INVALID_NUMBER,
    REJECT_INVALID_PARAMS,
    REJECT_DUPLICATE
};
const char *reject_reason_name(enum reject_reason r);

/* Checks a number: syntax, then the country's numbering plan. On
 * REJECT_NONE, region receives the ISO region ("US"). */
enum reject_reason recipient_check_number(const char *number, size_t len, char region[4]);
/* 1 when params (NULL allowed) is an object of at most 64 string, number
 * or boolean values whose keys are usable as template names. */
int recipient_params_valid(json_t *params);
/* 1 when key is a template name: [A-Za-z_][A-Za-z0-9_]*, 1..64 chars. */
int recipient_param_name_valid(const char *key);

#endif
