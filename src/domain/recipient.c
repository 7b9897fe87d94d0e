/* recipient.c - the recipient's rules.
 *
 * The state machine (every move changes the recipient, the campaign's
 * stored counters and the attempt row in one store transaction):
 *
 *   (upload) ─▶ QUEUED ──claim──▶ DISPATCHED ──completed / sent──▶ SUCCEEDED
 *                ▲  │                  │
 *                │  │ opted out,       ├── no_answer / busy, retries left ──▶ QUEUED
 *                │  │ cancelled,       └── hard failure, retries exhausted ──▶ FAILED
 *                │  └ expired ───────────────────────────────────────────────▶ FAILED
 *   SUCCEEDED(sent) ── late failure report ──▶ FAILED(undelivered)
 *
 * Who performs each move (all in src/store/, each one transaction):
 *   upload → QUEUED                    recipients_insert (sqlite_recipients.c)
 *   QUEUED → FAILED(cancelled)         campaign_move, MOVE_CANCEL (sqlite_campaigns.c)
 *   QUEUED → FAILED(expired)           expire_ended at schedule.end_at (sqlite_engine.c)
 *   QUEUED → DISPATCHED                claim (sqlite_engine.c claim_one)
 *   QUEUED → FAILED(opted_out,         claim, at the recipient's turn (fail_at_turn)
 *            missing_param)
 *   QUEUED → QUEUED (due later)        claim, outside the call window (set_due)
 *   DISPATCHED → SUCCEEDED / FAILED /  apply_ends: voice by domain/retry.c
 *                QUEUED (retry)        (apply_one), messages forward only
 *   SUCCEEDED(sent...) → FAILED        (apply_message_end)
 *            (undelivered)
 *   DISPATCHED → QUEUED (throttled)    unclaim, using no retry
 *
 * This file also validates uploads: number syntax (domain/phone.c), the
 * numbering plan (domain/phone_plan.cc over libphonenumber) and params. */
#include "domain/recipient.h"
#include "domain/phone.h"
#include "domain/phone_plan.h"
#include "util/utf8.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void recipient_clear(struct recipient *r) {
    free(r->phone_number);
    free(r->params_json);
    free(r->carrier);
    free(r->last_call_id);
    free(r->last_message_id);
    free(r->zones);
    r->phone_number = r->params_json = r->carrier = r->last_call_id = r->last_message_id = NULL;
    r->zones = NULL;
}

const char *reject_reason_name(enum reject_reason r) {
    switch (r) {
    case REJECT_NOT_E164:
        return "not_e164";
    case REJECT_INVALID_NUMBER:
        return "invalid_number";
    case REJECT_INVALID_PARAMS:
        return "invalid_params";
    case REJECT_DUPLICATE:
        return "duplicate";
    case REJECT_NONE:
        break;
    }
    return "none";
}

enum reject_reason recipient_check_number(const char *number, size_t len, char region[4]) {
    if (len > 16 || strlen(number) != len || !phone_is_e164(number))
        return REJECT_NOT_E164;
    if (phone_plan_check(number, region) != PHONE_PLAN_VALID)
        return REJECT_INVALID_NUMBER;
    return REJECT_NONE;
}

int recipient_param_name_valid(const char *key) {
    size_t n = strlen(key);
    if (n < 1 || n > 64 || !(isalpha((unsigned char)key[0]) || key[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)key[i]) || key[i] == '_'))
            return 0;
    return 1;
}

int recipient_params_valid(json_t *params) {
    if (!params || json_is_null(params))
        return 1;
    if (!json_is_object(params) || json_object_size(params) > RECIPIENT_MAX_PARAMS)
        return 0;
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v) {
        if (!recipient_param_name_valid(key))
            return 0;
        if (json_is_string(v)) {
            size_t n = json_string_length(v);
            if (n > RECIPIENT_MAX_PARAM_BYTES || !utf8_valid(json_string_value(v), n))
                return 0;
        } else if (!json_is_number(v) && !json_is_boolean(v)) {
            return 0;
        }
    }
    return 1;
}
