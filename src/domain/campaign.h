/* campaign.h - the campaign: its fields, the lifecycle table and the
 * validation of create and patch bodies. Pure functions, no I/O, no clock:
 * callers pass the time. Thread-safe.
 *
 * Lifecycle (campaign_plan_move):
 *
 *   draft ──start──▶ running ──pause──▶ paused ──resume──▶ running
 *     │                 │                  │
 *     └──cancel──┐      ├──cancel──┐       └──cancel──▶ cancelled
 *                ▼      ▼          ▼
 *             cancelled      running ──(engine: nothing left)──▶ completed
 *
 * A move to the status the campaign already has is a no-op (200 unchanged).
 */
#ifndef CAMPAIGND_CAMPAIGN_H
#define CAMPAIGND_CAMPAIGN_H

#include "domain/types.h"
#include "domain/verr.h"

#include <jansson.h>
#include <stdint.h>

struct campaign {
    char id[48];
    char account_id[48];
    int64_t seq; /* store-assigned order, used by keyset pagination */
    char *name;
    char *agent_id;
    enum channel channel;
    enum campaign_status status;
    char *config_json;       /* compact JSON object, kept as sent */
    char *schedule_json;     /* NULL for null */
    char *retry_policy_json; /* NULL for null */
    struct counters counters;
    int64_t created_at, updated_at;                 /* ms */
    int64_t started_at, completed_at, cancelled_at; /* 0 = null */
    int64_t start_at, end_at;                       /* schedule.start_at / end_at in ms; 0 = none */
};

/* Frees the strings a campaign owns (not the struct itself). */
void campaign_clear(struct campaign *c);

enum campaign_move { MOVE_START, MOVE_PAUSE, MOVE_RESUME, MOVE_CANCEL, MOVE_COMPLETE };

enum move_result {
    MOVE_OK = 0,       /* *to is the new status */
    MOVE_NOOP = 1,     /* already there: answer unchanged */
    MOVE_INVALID = -1, /* 409 invalid_transition */
    MOVE_EMPTY = -2    /* 409 campaign_empty (start with no recipients) */
};

/* Decides a lifecycle move. total is the campaign's recipient count. */
enum move_result campaign_plan_move(enum campaign_status from, enum campaign_move move,
                                    int64_t total, enum campaign_status *to);
const char *campaign_move_name(enum campaign_move m);

/* What a validator needs to know of the server's settings. */
struct campaign_rules {
    int allow_private_webhooks;
};

/* Validated fields of a create or patch body. The json_t pointers are
 * borrowed from the body; has_* tells which fields a patch names. */
struct campaign_input {
    const char *name, *agent_id;
    enum channel channel;
    json_t *config, *schedule, *retry_policy; /* NULL when absent or null */
    int has_name, has_config, has_schedule, has_retry_policy;
};

/* Validates a create body (a JSON object). 0 or -1 with e filled. */
int campaign_validate_create(json_t *body, const struct campaign_rules *rules,
                             struct campaign_input *out, struct verr *e);
/* Validates a patch body against the campaign's channel and status. Returns
 * 0, -1 with e filled (422), or -2 when the campaign is past draft and the
 * body names a field other than name (409 invalid_transition). */
int campaign_validate_patch(json_t *body, enum channel channel, enum campaign_status status,
                            const struct campaign_rules *rules, struct campaign_input *out,
                            struct verr *e);

/* Retry policy of a voice campaign, with defaults filled in. */
struct retry_policy {
    int max_attempts; /* counts the first attempt; 1 when there is no policy */
    int retry_on_no_answer, retry_on_busy, retry_on_voicemail;
    int delay_seconds;
    int exponential;
};
/* Reads a validated retry_policy (NULL = none). */
void campaign_retry_policy(json_t *policy, struct retry_policy *out);

/* schedule.start_at and end_at of a validated schedule (NULL = none) in ms,
 * 0 for each that is absent. */
void campaign_schedule_times(json_t *schedule, int64_t *start_at, int64_t *end_at);

/* Number of Unicode code points in a valid UTF-8 string. */
size_t utf8_length(const char *s);

#endif
