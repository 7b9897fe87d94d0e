/* recipient.c - the recipient's rules.
 *
 * The state machine. Every move changes the recipient, the campaign's
 * stored counters (a struct counter_delta, domain/move.h) and the attempt
 * row in one store transaction; a rule in domain/ decides it, the store
 * applies it as a guarded move (UPDATE ... WHERE seq = ? AND status =
 * <expected>, counters only when the row moved), so a move applied twice
 * changes nothing the second time:
 *
 *   (upload) ─▶ QUEUED ──claim──▶ DISPATCHED ──completed / sent──▶ SUCCEEDED
 *                ▲  │  ▲               │  │                      (sent → delivered → read)
 *                │  │  └─throttled─────┘  ├── no_answer / busy, retries left ──▶ QUEUED
 *                │  │                     └── hard failure, retries exhausted ──▶ FAILED
 *                │  ├ opted out, missing param (at its turn) ──────────────────────▶ FAILED
 *                │  └ cancelled, expired ──────────────────────────────────────────▶ FAILED
 *                └── outside its window / not yet due: QUEUED, due later
 *   SUCCEEDED(sent / delivered) ── failure report ──▶ FAILED(undelivered)
 *
 * Which function decides each move, and which store operation applies it:
 *
 *   move                           decided by (domain/)        applied by (store/)
 *   upload → QUEUED                recipient_check_number,     recipients_insert
 *                                  recipient_params_valid      (sqlite_recipients.c)
 *   QUEUED → DISPATCHED            turn_decide (turn.c) →      claim (sqlite_engine.c
 *                                  move_claim (move.c)         apply_turn)
 *   QUEUED → QUEUED (due later)    turn_decide, due_earliest   claim (apply_turn)
 *                                  (due.c)
 *   QUEUED → FAILED(opted_out,     turn_decide → move_fail_    claim (apply_turn)
 *            missing_param,        queued
 *            expired)
 *   QUEUED → FAILED(cancelled)     campaign_plan_move          campaign_move
 *                                  (campaign.c), move_fail_    (sqlite_campaigns.c
 *                                  queued                      sqlite_fail_queued)
 *   QUEUED → FAILED(expired)       due_ended, move_fail_queued expire_ended
 *                                                              (sqlite_sweeps.c)
 *   DISPATCHED → SUCCEEDED /       call_end_decide             apply_ends (sqlite_ends.c
 *     FAILED / QUEUED (retry)      (call_end.c, retry.c)       apply_call_end)
 *   DISPATCHED → SUCCEEDED(sent)   message_report_decide       apply_ends (sqlite_ends.c
 *     / FAILED(failed);            (message_report.c)          apply_message_report)
 *   SUCCEEDED(sent) → (delivered)
 *     → (read); SUCCEEDED →
 *     FAILED(undelivered)
 *   DISPATCHED → QUEUED            move_unclaim (move.c)       unclaim (sqlite_ends.c)
 *     (throttled, using no retry)
 *
 * When a queued recipient may run is written once, in due.c, and read by
 * the engine (per lane), the claim (through turn_decide) and the API
 * (next_attempt_at).
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
