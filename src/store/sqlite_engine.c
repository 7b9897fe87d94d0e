/* sqlite_engine.c - the dispatch engine's operations on the SQLite backend:
 * claiming due recipients lane by lane, applying reported ends with the
 * retry rules, throttle give-backs, reconciliation and auto-completion.
 *
 * Every recipient move changes the recipient row, its call row and the
 * campaign's counters in the same transaction; a batch of moves shares one
 * transaction (group commit). Queued work is found through the partial index
 * recipients_queue (lane, campaign_seq, due_at) WHERE status = 'queued'. */
#include "domain/retry.h"
#include "domain/sms.h"
#include "domain/template.h"
#include "domain/window.h"
#include "store/sqlite_internal.h"
#include "util/alloc.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_CAMPAIGNS[] =
    "SELECT seq, id, account_id, channel, status, agent_id, config, schedule, queued, "
    "dispatched, coalesce(start_at, 0), coalesce(end_at, 0) FROM campaigns "
    "WHERE status = 'running'";
static const char SQL_LANES[] = "SELECT lane FROM campaign_lanes WHERE campaign_seq = ?1";
static const char SQL_NEXT_DUE[] = "SELECT min(due_at) FROM recipients "
                                   "WHERE lane = ?1 AND campaign_seq = ?2 AND status = 'queued'";
static const char SQL_DUE[] =
    "SELECT seq, id, phone_number, attempts, carrier, params, zones FROM recipients "
    "WHERE lane = ?1 AND campaign_seq = ?2 AND status = 'queued' AND due_at <= ?3 "
    "ORDER BY due_at, seq LIMIT ?4";
static const char SQL_DISPATCH[] =
    "UPDATE recipients SET status = 'dispatched', attempts = attempts + 1, "
    "last_attempt_at = ?2, last_call_id = ?3, updated_at = ?2 WHERE seq = ?1";
static const char SQL_DISPATCH_MSG[] =
    "UPDATE recipients SET status = 'dispatched', attempts = attempts + 1, "
    "last_attempt_at = ?2, last_message_id = ?3, updated_at = ?2 WHERE seq = ?1";
static const char SQL_CALL_INSERT[] =
    "INSERT INTO calls(id, account_id, campaign_seq, recipient_seq, agent_id, from_number, "
    "to_number, attempt, status, carrier, lane, provider, created_at, submit_state) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'ringing', ?9, ?10, ?11, ?12, 1)";
static const char SQL_MSG_INSERT[] =
    "INSERT INTO messages(id, account_id, campaign_seq, recipient_seq, channel, from_id, "
    "to_number, attempt, body, template, status, carrier, lane, provider, segments, encoding, "
    "created_at, updated_at, submit_state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "'queued', ?11, ?12, ?13, ?14, ?15, ?16, ?16, 1)";
static const char SQL_OPTED_OUT[] =
    "SELECT 1 FROM opt_outs WHERE account_id = ?1 AND phone_number = ?2 AND channel = ?3 "
    "AND category IN ('', ?4) LIMIT 1";
static const char SQL_FAIL_AT_TURN[] =
    "UPDATE recipients SET status = 'failed', disposition = ?2, due_at = 0, updated_at = ?3 "
    "WHERE seq = ?1";
static const char SQL_COUNTERS[] =
    "UPDATE campaigns SET queued = queued + ?2, dispatched = dispatched + ?3, "
    "succeeded = succeeded + ?4, failed = failed + ?5, d_completed = d_completed + ?6, "
    "d_no_answer = d_no_answer + ?7, d_busy = d_busy + ?8, d_failed = d_failed + ?9, "
    "d_cancelled = d_cancelled + ?10, d_opted_out = d_opted_out + ?11, d_sent = d_sent + ?12, "
    "d_delivered = d_delivered + ?13, d_read = d_read + ?14, "
    "d_undelivered = d_undelivered + ?15, d_missing_param = d_missing_param + ?16, "
    "d_expired = d_expired + ?17, updated_at = ?18 WHERE seq = ?1";

static const char SQL_COMPLETE_ONE[] =
    "UPDATE campaigns SET status = 'completed', completed_at = ?2, updated_at = ?2 "
    "WHERE seq = ?1 AND status = 'running' AND queued = 0 AND dispatched = 0";

/* Completes a running campaign left with nothing queued or dispatched, and
 * reports the move; in the caller's transaction. */
static int complete_if_done(struct sqlite_conn *conn, int64_t campaign_seq, int64_t now) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_COMPLETE_ONE);
    sqlite3_bind_int64(s, 1, campaign_seq);
    sqlite3_bind_int64(s, 2, now);
    int rc = sqlite_err(conn, sqlite3_step(s), "complete");
    sqlite3_reset(s);
    if (rc == STORE_OK && sqlite3_changes(conn->db) == 1)
        rc = sqlite_emit(conn, campaign_seq, EVENT_CAMPAIGN_STATUS, campaign_seq, now);
    return rc;
}

/* How a batch of recipient moves changes one campaign's counters. */
struct delta {
    int64_t queued, dispatched, succeeded, failed;
    int64_t disp[DISP_COUNT];
};

static int apply_delta(struct sqlite_conn *conn, int64_t campaign_seq, const struct delta *d,
                       int64_t now) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_COUNTERS);
    sqlite3_bind_int64(s, 1, campaign_seq);
    sqlite3_bind_int64(s, 2, d->queued);
    sqlite3_bind_int64(s, 3, d->dispatched);
    sqlite3_bind_int64(s, 4, d->succeeded);
    sqlite3_bind_int64(s, 5, d->failed);
    for (int i = 0; i < DISP_COUNT; i++)
        sqlite3_bind_int64(s, 6 + i, d->disp[i]);
    sqlite3_bind_int64(s, 18, now);
    int rc = sqlite_err(conn, sqlite3_step(s), "counters");
    sqlite3_reset(s);
    return rc;
}

static void read_engine_campaign_row(sqlite3_stmt *s, void *item) {
    struct engine_campaign *c = item;
    c->seq = sqlite3_column_int64(s, 0);
    snprintf(c->id, sizeof c->id, "%s", (const char *)sqlite3_column_text(s, 1));
    snprintf(c->account_id, sizeof c->account_id, "%s", (const char *)sqlite3_column_text(s, 2));
    channel_parse((const char *)sqlite3_column_text(s, 3), &c->channel);
    campaign_status_parse((const char *)sqlite3_column_text(s, 4), &c->status);
    c->agent_id = sqlite_col_text(s, 5);
    c->config_json = sqlite_col_text(s, 6);
    c->schedule_json = sqlite_col_text(s, 7);
    c->queued = sqlite3_column_int64(s, 8);
    c->dispatched = sqlite3_column_int64(s, 9);
    c->start_at = sqlite3_column_int64(s, 10);
    c->end_at = sqlite3_column_int64(s, 11);
}

static void clear_engine_campaign_row(void *item) {
    engine_campaign_clear(item);
}

int sqlite_engine_campaigns(struct store *st, struct engine_campaign **out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    return sqlite_read_all(conn, sqlite_prep(conn, SQL_CAMPAIGNS), sizeof **out,
                           read_engine_campaign_row, clear_engine_campaign_row, (void **)out, n,
                           "engine_campaigns");
}

int sqlite_campaign_lanes(struct store *st, int64_t campaign_seq, char ***out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_LANES);
    sqlite3_bind_int64(s, 1, campaign_seq);
    size_t cap = 4, count = 0;
    char **list = xcalloc(cap, sizeof *list);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == cap) {
            cap *= 2;
            list = xrealloc(list, cap * sizeof *list);
        }
        list[count++] = sqlite_col_text(s, 0);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < count; i++)
            free(list[i]);
        free(list);
        return sqlite_err(conn, rc, "campaign_lanes");
    }
    *out = list;
    *n = count;
    return STORE_OK;
}

int sqlite_lane_next_due(struct store *st, const char *lane, int64_t campaign_seq, int64_t *due) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_NEXT_DUE);
    sqlite3_bind_text(s, 1, lane, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, campaign_seq);
    int rc = sqlite3_step(s);
    int result = STORE_ENOTFOUND;
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        *due = sqlite3_column_int64(s, 0);
        result = STORE_OK;
    } else if (rc != SQLITE_ROW) {
        result = sqlite_err(conn, rc, "lane_next_due");
    }
    sqlite3_reset(s);
    return result;
}

struct due_row {
    int64_t seq;
    char id[48];
    char phone[20];
    int attempts;
    char carrier[CARRIER_NAME_MAX + 1];
    json_t *params;
    char *zones;
};

static const char SQL_SET_DUE[] = "UPDATE recipients SET due_at = ?2 WHERE seq = ?1";

static int set_due(struct sqlite_conn *conn, int64_t seq, int64_t due) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_SET_DUE);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int64(s, 2, due);
    int rc = sqlite_err(conn, sqlite3_step(s), "set_due");
    sqlite3_reset(s);
    return rc;
}

/* 1 when the number opted out of the channel (blanket, or the category). */
static int opted_out(struct sqlite_conn *conn, const struct engine_campaign *c, const char *phone,
                     const char *category, int *rc) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_OPTED_OUT);
    sqlite3_bind_text(s, 1, c->account_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, channel_name(c->channel), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, category ? category : "", -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    sqlite3_reset(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        *rc = sqlite_err(conn, step, "opted_out");
    return step == SQLITE_ROW;
}

/* A recipient whose turn came but that never reaches a provider. */
static int fail_at_turn(struct sqlite_conn *conn, int64_t campaign_seq, int64_t seq,
                        enum disposition d, int64_t now, struct delta *delta) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_FAIL_AT_TURN);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_text(s, 2, disposition_name(d), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now);
    int rc = sqlite_err(conn, sqlite3_step(s), "fail_at_turn");
    sqlite3_reset(s);
    if (rc == STORE_OK)
        rc = sqlite_emit(conn, campaign_seq, EVENT_RECIPIENT_FINISHED, seq, now);
    delta->queued--;
    delta->failed++;
    delta->disp[d]++;
    return rc;
}

/* The text to send: sms body or whatsapp template with its parameters
 * filled. 0, or -1 when a param is missing. */
static int render(const struct engine_campaign *c, json_t *config, json_t *params, char **text) {
    char missing[65];
    if (c->channel == CHANNEL_SMS)
        return template_render(json_string_value(json_object_get(config, "body")), params, text,
                               missing);
    json_t *t = json_deep_copy(json_object_get(config, "template"));
    json_t *list = json_object_get(t, "parameters");
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        char *filled = NULL;
        if (template_render(json_string_value(p), params, &filled, missing) != 0) {
            json_decref(t);
            return -1;
        }
        json_array_set_new(list, i, json_string(filled));
        free(filled);
    }
    *text = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    return 0;
}

static int insert_attempt_row(struct sqlite_conn *conn, const struct claim_request *r,
                              const struct due_row *row, const struct attempt *a) {
    const struct engine_campaign *c = r->campaign;
    sqlite3_stmt *s;
    if (c->channel == CHANNEL_VOICE) {
        s = sqlite_prep(conn, SQL_CALL_INSERT);
        sqlite3_bind_text(s, 1, a->call_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, c->account_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, c->seq);
        sqlite3_bind_int64(s, 4, row->seq);
        sqlite3_bind_text(s, 5, c->agent_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, a->from, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 7, a->to, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 8, a->attempt);
        sqlite3_bind_text(s, 9, row->carrier, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 10, r->lane, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 11, r->provider, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 12, a->created_at);
    } else {
        struct sms_info info = {0};
        if (c->channel == CHANNEL_SMS)
            sms_count(a->text, &info);
        s = sqlite_prep(conn, SQL_MSG_INSERT);
        sqlite3_bind_text(s, 1, a->call_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, c->account_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, c->seq);
        sqlite3_bind_int64(s, 4, row->seq);
        sqlite3_bind_text(s, 5, channel_name(c->channel), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, a->from, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 7, a->to, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 8, a->attempt);
        sqlite_bind_text_or_null(s, 9, c->channel == CHANNEL_SMS ? a->text : NULL);
        sqlite_bind_text_or_null(s, 10, c->channel == CHANNEL_WHATSAPP ? a->text : NULL);
        sqlite3_bind_text(s, 11, row->carrier, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 12, r->lane, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 13, r->provider, -1, SQLITE_STATIC);
        if (c->channel == CHANNEL_SMS) {
            sqlite3_bind_int64(s, 14, (int64_t)info.segments);
            sqlite3_bind_text(s, 15, info.encoding, -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(s, 14);
            sqlite3_bind_null(s, 15);
        }
        sqlite3_bind_int64(s, 16, a->created_at);
    }
    int rc = sqlite_err(conn, sqlite3_step(s), "claim_attempt_row");
    sqlite3_reset(s);
    if (rc)
        return rc;
    s = sqlite_prep(conn, c->channel == CHANNEL_VOICE ? SQL_DISPATCH : SQL_DISPATCH_MSG);
    sqlite3_bind_int64(s, 1, row->seq);
    sqlite3_bind_int64(s, 2, a->created_at);
    sqlite3_bind_text(s, 3, a->call_id, -1, SQLITE_STATIC);
    rc = sqlite_err(conn, sqlite3_step(s), "claim_dispatch");
    sqlite3_reset(s);
    return rc;
}

/* Claims the due recipients of one (lane, campaign). Each is checked when
 * its turn comes: an opt-out (of the channel, or the whatsapp category)
 * fails it as opted_out, a message whose params do not fill its text fails
 * it as missing_param; neither reaches a provider. */
static int claim_one(struct sqlite_conn *conn, struct claim_request *r, int64_t now,
                     struct attempt *out, size_t *n) {
    const struct engine_campaign *c = r->campaign;
    struct due_row *rows = xcalloc(r->want + 1, sizeof *rows);
    size_t nrows = 0;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_DUE);
    sqlite3_bind_text(s, 1, r->lane, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, c->seq);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, (int64_t)r->want);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && nrows < r->want) {
        struct due_row *d = &rows[nrows++];
        d->seq = sqlite3_column_int64(s, 0);
        snprintf(d->id, sizeof d->id, "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(d->phone, sizeof d->phone, "%s", (const char *)sqlite3_column_text(s, 2));
        d->attempts = sqlite3_column_int(s, 3);
        snprintf(d->carrier, sizeof d->carrier, "%s", (const char *)sqlite3_column_text(s, 4));
        const unsigned char *params = sqlite3_column_text(s, 5);
        d->params = params ? json_loads((const char *)params, 0, NULL) : NULL;
        d->zones = sqlite_col_text(s, 6);
    }
    sqlite3_reset(s);
    rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? STORE_OK : sqlite_err(conn, rc, "claim");
    json_t *config = json_loads(c->config_json, 0, NULL);
    const char *category =
        c->channel == CHANNEL_WHATSAPP
            ? json_string_value(json_object_get(json_object_get(config, "template"), "category"))
            : NULL;
    struct call_window window;
    int has_window = window_from_json(json_object_get(config, "call_window"), &window);
    struct delta delta = {0};
    size_t got = 0;
    for (size_t i = 0; i < nrows && rc == STORE_OK; i++) {
        struct due_row *row = &rows[i];
        if (has_window) {
            /* outside its window: not claimed; due again at the next opening */
            int64_t open = window_next_open(&window, window.per_recipient ? row->zones : NULL, now);
            if (open > now) {
                rc = set_due(conn, row->seq, open == INT64_MAX ? now + 86400000 : open);
                continue;
            }
        }
        if (opted_out(conn, c, row->phone, category, &rc)) {
            rc = fail_at_turn(conn, c->seq, row->seq, DISP_OPTED_OUT, now, &delta);
            continue;
        }
        char *text = NULL;
        if (rc == STORE_OK && c->channel != CHANNEL_VOICE &&
            render(c, config, row->params, &text)) {
            rc = fail_at_turn(conn, c->seq, row->seq, DISP_MISSING_PARAM, now, &delta);
            continue;
        }
        if (rc) {
            free(text);
            break;
        }
        struct attempt *a = &out[*n];
        memset(a, 0, sizeof *a);
        ids_new(c->channel == CHANNEL_VOICE ? "call_" : "msg_", a->call_id);
        a->channel = c->channel;
        snprintf(a->to, sizeof a->to, "%s", row->phone);
        snprintf(a->from, sizeof a->from, "%s", r->from ? r->from : "");
        a->attempt = row->attempts + 1;
        a->created_at = now;
        a->text = text;
        snprintf(a->lane, sizeof a->lane, "%s", r->lane);
        a->campaign_seq = c->seq;
        (*n)++;
        got++;
        rc = insert_attempt_row(conn, r, row, a);
        delta.queued--;
        delta.dispatched++;
    }
    if (rc == STORE_OK && nrows > 0)
        rc = apply_delta(conn, c->seq, &delta, now);
    if (rc == STORE_OK && got < nrows) { /* the last ones may have failed at their turn */
        rc = complete_if_done(conn, c->seq, now);
    }
    r->got = rc == STORE_OK ? got : 0;
    r->scanned = nrows;
    for (size_t i = 0; i < nrows; i++) {
        json_decref(rows[i].params);
        free(rows[i].zones);
    }
    json_decref(config);
    free(rows);
    return rc;
}

int sqlite_claim(struct store *st, struct claim_request *reqs, size_t nreqs, int64_t now,
                 struct attempt *out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    *n = 0;
    int rc = sqlite_unit_begin(conn);
    if (rc)
        return rc;
    for (size_t i = 0; i < nreqs && rc == STORE_OK; i++)
        rc = claim_one(conn, &reqs[i], now, out, n);
    rc = sqlite_unit_end(conn, rc);
    if (rc) {
        for (size_t i = 0; i < *n; i++)
            free(out[i].text);
        *n = 0;
    }
    return rc;
}

/* ---- ends ---- */

static const char SQL_END_READ[] =
    "SELECT c.seq, c.status, c.recipient_seq, c.campaign_seq, c.lane, r.attempts, "
    "camp.status, camp.retry_policy, c.created_at, coalesce(camp.end_at, 0) FROM calls c "
    "JOIN recipients r ON r.seq = c.recipient_seq "
    "JOIN campaigns camp ON camp.seq = c.campaign_seq WHERE c.id = ?1";
static const char SQL_END_CALL[] =
    "UPDATE calls SET status = ?2, answered_at = ?3, ended_at = ?4, duration_ms = ?5, "
    "provider_call_id = ?6 WHERE seq = ?1";
static const char SQL_END_RECIPIENT[] =
    "UPDATE recipients SET status = ?2, disposition = ?3, due_at = ?4, updated_at = ?5 "
    "WHERE seq = ?1";
static const char SQL_END_RETRY_COUNT[] =
    "UPDATE campaigns SET dispatched = dispatched - 1, queued = queued + 1, updated_at = ?2 "
    "WHERE seq = ?1";
#define END_COUNT(col)                                                                             \
    "UPDATE campaigns SET dispatched = dispatched - 1, succeeded = succeeded + ?2, "               \
    "failed = failed + ?3, d_" col " = d_" col " + 1, updated_at = ?4 WHERE seq = ?1"
static const char *const SQL_END_COUNT[DISP_COUNT] = {
    END_COUNT("completed"),   END_COUNT("no_answer"),     END_COUNT("busy"),
    END_COUNT("failed"),      END_COUNT("cancelled"),     END_COUNT("opted_out"),
    END_COUNT("sent"),        END_COUNT("delivered"),     END_COUNT("read"),
    END_COUNT("undelivered"), END_COUNT("missing_param"), END_COUNT("expired")};

static int apply_one(struct sqlite_conn *conn, const struct attempt_end *e, int64_t now,
                     struct attempt_applied *out) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = sqlite_prep(conn, SQL_END_READ);
    sqlite3_bind_text(s, 1, e->call_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? STORE_OK : sqlite_err(conn, rc, "end_read");
    }
    int64_t call_seq = sqlite3_column_int64(s, 0);
    enum call_status current = CALL_QUEUED;
    call_status_parse((const char *)sqlite3_column_text(s, 1), &current);
    int64_t recipient_seq = sqlite3_column_int64(s, 2);
    out->campaign_seq = sqlite3_column_int64(s, 3);
    snprintf(out->lane, sizeof out->lane, "%s", (const char *)sqlite3_column_text(s, 4));
    int attempts = sqlite3_column_int(s, 5);
    enum campaign_status cstatus = CAMPAIGN_RUNNING;
    campaign_status_parse((const char *)sqlite3_column_text(s, 6), &cstatus);
    const unsigned char *policy_text = sqlite3_column_text(s, 7);
    json_t *policy = policy_text ? json_loads((const char *)policy_text, 0, NULL) : NULL;
    int64_t created_at = sqlite3_column_int64(s, 8);
    int64_t end_at = sqlite3_column_int64(s, 9);
    sqlite3_reset(s);
    if (call_status_is_final(current)) {
        json_decref(policy);
        return STORE_OK; /* a repeated report */
    }
    struct retry_policy p;
    campaign_retry_policy(policy, &p);
    json_decref(policy);
    struct recipient_next next;
    retry_after_call(e->status, attempts, &p, cstatus, e->ended_at, &next);
    if (next.status == RECIPIENT_QUEUED && end_at && next.due_at >= end_at) {
        /* schedule.end_at comes before the retry could: no retry, the
         * attempt's own outcome is final */
        next.status = RECIPIENT_FAILED;
        next.due_at = 0;
    }

    s = sqlite_prep(conn, SQL_END_CALL);
    sqlite3_bind_int64(s, 1, call_seq);
    sqlite3_bind_text(s, 2, call_status_name(e->status), -1, SQLITE_STATIC);
    sqlite_bind_time(s, 3, e->answered_at);
    sqlite3_bind_int64(s, 4, e->ended_at);
    sqlite3_bind_int64(s, 5, e->ended_at > created_at ? e->ended_at - created_at : 0);
    sqlite_bind_text_or_null(s, 6, e->provider_call_id[0] ? e->provider_call_id : NULL);
    rc = sqlite_err(conn, sqlite3_step(s), "end_call");
    sqlite3_reset(s);
    if (rc)
        return rc;
    s = sqlite_prep(conn, SQL_END_RECIPIENT);
    sqlite3_bind_int64(s, 1, recipient_seq);
    sqlite3_bind_text(s, 2, recipient_status_name(next.status), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, disposition_name(next.disposition), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, next.due_at);
    sqlite3_bind_int64(s, 5, now);
    rc = sqlite_err(conn, sqlite3_step(s), "end_recipient");
    sqlite3_reset(s);
    if (rc)
        return rc;
    if (next.status == RECIPIENT_QUEUED) {
        s = sqlite_prep(conn, SQL_END_RETRY_COUNT);
        sqlite3_bind_int64(s, 1, out->campaign_seq);
        sqlite3_bind_int64(s, 2, now);
        out->retry_due = next.due_at;
    } else {
        s = sqlite_prep(conn, SQL_END_COUNT[next.disposition]);
        sqlite3_bind_int64(s, 1, out->campaign_seq);
        sqlite3_bind_int(s, 2, next.status == RECIPIENT_SUCCEEDED);
        sqlite3_bind_int(s, 3, next.status == RECIPIENT_FAILED);
        sqlite3_bind_int64(s, 4, now);
    }
    rc = sqlite_err(conn, sqlite3_step(s), "end_count");
    sqlite3_reset(s);
    if (rc == STORE_OK)
        rc = sqlite_emit(conn, out->campaign_seq, EVENT_CALL_ENDED, call_seq, now);
    if (rc == STORE_OK && next.status != RECIPIENT_QUEUED)
        rc = sqlite_emit(conn, out->campaign_seq, EVENT_RECIPIENT_FINISHED, recipient_seq, now);
    if (rc)
        return rc;
    rc = complete_if_done(conn, out->campaign_seq, now);
    out->applied = out->released = rc == STORE_OK;
    return rc;
}

/* ---- message reports: forward only ---- */

static const char SQL_MEND_READ[] =
    "SELECT m.seq, m.status, m.recipient_seq, m.campaign_seq, m.lane, r.status, r.disposition "
    "FROM messages m JOIN recipients r ON r.seq = m.recipient_seq WHERE m.id = ?1";
static const char SQL_MEND_MSG[] =
    "UPDATE messages SET status = ?2, sent_at = coalesce(sent_at, ?3), "
    "delivered_at = coalesce(delivered_at, ?4), read_at = coalesce(read_at, ?5), "
    "failed_at = coalesce(failed_at, ?6), provider_message_id = coalesce(?7, provider_message_id), "
    "updated_at = ?8 WHERE seq = ?1";
static const char SQL_MEND_RECIPIENT[] =
    "UPDATE recipients SET status = ?2, disposition = ?3, updated_at = ?4 WHERE seq = ?1";

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

static enum disposition disposition_of(enum message_status m) {
    switch (m) {
    case MSG_SENT:
        return DISP_SENT;
    case MSG_DELIVERED:
        return DISP_DELIVERED;
    case MSG_READ:
        return DISP_READ;
    case MSG_UNDELIVERED:
        return DISP_UNDELIVERED;
    default:
        return DISP_FAILED;
    }
}

static int write_message(struct sqlite_conn *conn, int64_t seq, enum message_status m,
                         const struct attempt_end *e, int64_t now) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_MEND_MSG);
    int64_t at = e->ended_at ? e->ended_at : now;
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_text(s, 2, message_status_name(m), -1, SQLITE_STATIC);
    sqlite_bind_time(s, 3, rank(m) >= 1 ? at : 0);
    sqlite_bind_time(s, 4, rank(m) >= 2 ? at : 0);
    sqlite_bind_time(s, 5, m == MSG_READ ? at : 0);
    sqlite_bind_time(s, 6, m == MSG_FAILED || m == MSG_UNDELIVERED ? at : 0);
    sqlite_bind_text_or_null(s, 7, e->provider_call_id[0] ? e->provider_call_id : NULL);
    sqlite3_bind_int64(s, 8, now);
    int rc = sqlite_err(conn, sqlite3_step(s), "message_status");
    sqlite3_reset(s);
    return rc;
}

static int write_recipient(struct sqlite_conn *conn, int64_t seq, enum recipient_status st,
                           enum disposition d, int64_t now) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_MEND_RECIPIENT);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_text(s, 2, recipient_status_name(st), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, disposition_name(d), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    int rc = sqlite_err(conn, sqlite3_step(s), "message_recipient");
    sqlite3_reset(s);
    return rc;
}

/* Applies one report on a message. Statuses only move forward: the accepted
 * submit makes the recipient succeeded / sent (and frees its in-flight
 * slot); delivered and read upgrade its disposition; a failure after sent
 * makes it failed / undelivered; a late or repeated report changes
 * nothing. Counters move with each change. */
static int apply_message_end(struct sqlite_conn *conn, const struct attempt_end *e, int64_t now,
                             struct attempt_applied *out) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_MEND_READ);
    sqlite3_bind_text(s, 1, e->call_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    if (step != SQLITE_ROW) {
        sqlite3_reset(s);
        return step == SQLITE_DONE ? STORE_OK : sqlite_err(conn, step, "mend_read");
    }
    int64_t mseq = sqlite3_column_int64(s, 0);
    enum message_status cur = MSG_QUEUED;
    message_status_parse((const char *)sqlite3_column_text(s, 1), &cur);
    int64_t rseq = sqlite3_column_int64(s, 2);
    out->campaign_seq = sqlite3_column_int64(s, 3);
    snprintf(out->lane, sizeof out->lane, "%s", (const char *)sqlite3_column_text(s, 4));
    enum recipient_status rstatus = RECIPIENT_DISPATCHED;
    recipient_status_parse((const char *)sqlite3_column_text(s, 5), &rstatus);
    enum disposition rdisp = DISP_NONE;
    const unsigned char *dtext = sqlite3_column_text(s, 6);
    if (dtext)
        disposition_parse((const char *)dtext, &rdisp);
    sqlite3_reset(s);

    enum message_status want = e->mstatus;
    struct delta d = {0};
    int rc = STORE_OK, changed = 0, finished = 0;
    if (cur == MSG_QUEUED) {
        /* the submit's answer (or a report that implies it) */
        enum message_status first = want == MSG_FAILED ? MSG_FAILED : MSG_SENT;
        rc = write_message(conn, mseq, first, e, now);
        finished = rc == STORE_OK && rstatus == RECIPIENT_DISPATCHED;
        if (rc == STORE_OK && rstatus == RECIPIENT_DISPATCHED) {
            enum recipient_status to = first == MSG_FAILED ? RECIPIENT_FAILED : RECIPIENT_SUCCEEDED;
            rc = write_recipient(conn, rseq, to, disposition_of(first), now);
            d.dispatched--;
            if (to == RECIPIENT_FAILED)
                d.failed++;
            else
                d.succeeded++;
            d.disp[disposition_of(first)]++;
            rstatus = to;
            rdisp = disposition_of(first);
        }
        out->released = 1;
        changed = 1;
        cur = first;
    }
    if (want == MSG_FAILED)
        want = MSG_UNDELIVERED; /* a failure reported after the submit was accepted */
    if (rc == STORE_OK && (cur == MSG_SENT || cur == MSG_DELIVERED) && want == MSG_UNDELIVERED) {
        rc = write_message(conn, mseq, MSG_UNDELIVERED, e, now);
        if (rc == STORE_OK && rstatus == RECIPIENT_SUCCEEDED) {
            finished = 1; /* again: it moved from succeeded to failed */
            rc = write_recipient(conn, rseq, RECIPIENT_FAILED, DISP_UNDELIVERED, now);
            d.succeeded--;
            d.failed++;
            d.disp[rdisp]--;
            d.disp[DISP_UNDELIVERED]++;
        }
        changed = 1;
    } else if (rc == STORE_OK && rank(want) > rank(cur) && cur != MSG_FAILED &&
               cur != MSG_UNDELIVERED) {
        rc = write_message(conn, mseq, want, e, now);
        if (rc == STORE_OK && rstatus == RECIPIENT_SUCCEEDED && rdisp != DISP_NONE &&
            rank(want) > rank(rdisp == DISP_SENT        ? MSG_SENT
                              : rdisp == DISP_DELIVERED ? MSG_DELIVERED
                                                        : MSG_READ)) {
            rc = write_recipient(conn, rseq, RECIPIENT_SUCCEEDED, disposition_of(want), now);
            d.disp[rdisp]--;
            d.disp[disposition_of(want)]++;
        }
        changed = 1;
    }
    if (rc == STORE_OK && changed)
        rc = apply_delta(conn, out->campaign_seq, &d, now);
    if (rc == STORE_OK && changed)
        rc = sqlite_emit(conn, out->campaign_seq, EVENT_MESSAGE_UPDATED, mseq, now);
    if (rc == STORE_OK && finished)
        rc = sqlite_emit(conn, out->campaign_seq, EVENT_RECIPIENT_FINISHED, rseq, now);
    if (rc == STORE_OK && changed) {
        rc = complete_if_done(conn, out->campaign_seq, now);
    }
    out->applied = rc == STORE_OK && changed;
    return rc;
}

int sqlite_apply_ends(struct store *st, const struct attempt_end *ends, size_t n, int64_t now,
                      struct attempt_applied *applied) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        memset(&applied[i], 0, sizeof applied[i]);
        rc = ends[i].channel == CHANNEL_VOICE ? apply_one(conn, &ends[i], now, &applied[i])
                                              : apply_message_end(conn, &ends[i], now, &applied[i]);
    }
    return sqlite_unit_end(conn, rc);
}

/* ---- throttled give-backs ---- */

static const char SQL_UNCLAIM_CALL[] =
    "DELETE FROM calls WHERE id = ?1 AND ended_at IS NULL RETURNING recipient_seq";
static const char SQL_UNCLAIM_MSG[] =
    "DELETE FROM messages WHERE id = ?1 AND status = 'queued' RETURNING recipient_seq";
static const char SQL_UNCLAIM_RECIPIENT[] =
    "UPDATE recipients SET status = 'queued', attempts = attempts - 1, due_at = ?2, "
    "updated_at = ?3, last_call_id = (SELECT id FROM calls WHERE recipient_seq = ?1 "
    "ORDER BY seq DESC LIMIT 1), last_message_id = (SELECT id FROM messages WHERE "
    "recipient_seq = ?1 ORDER BY seq DESC LIMIT 1) WHERE seq = ?1 AND status = 'dispatched'";
static const char SQL_UNCLAIM_COUNT[] =
    "UPDATE campaigns SET dispatched = dispatched - 1, queued = queued + 1 WHERE seq = ?1";

int sqlite_unclaim(struct store *st, const struct attempt *a, size_t n, int64_t due_at) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        sqlite3_stmt *s =
            sqlite_prep(conn, a[i].channel == CHANNEL_VOICE ? SQL_UNCLAIM_CALL : SQL_UNCLAIM_MSG);
        sqlite3_bind_text(s, 1, a[i].call_id, -1, SQLITE_STATIC);
        int step = sqlite3_step(s);
        int64_t recipient_seq = step == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        while (step == SQLITE_ROW)
            step = sqlite3_step(s);
        sqlite3_reset(s);
        if (step != SQLITE_DONE) {
            rc = sqlite_err(conn, step, "unclaim_call");
            break;
        }
        if (!recipient_seq)
            continue;
        s = sqlite_prep(conn, SQL_UNCLAIM_RECIPIENT);
        sqlite3_bind_int64(s, 1, recipient_seq);
        sqlite3_bind_int64(s, 2, due_at);
        sqlite3_bind_int64(s, 3, due_at);
        rc = sqlite_err(conn, sqlite3_step(s), "unclaim_recipient");
        sqlite3_reset(s);
        if (rc == STORE_OK) {
            s = sqlite_prep(conn, SQL_UNCLAIM_COUNT);
            sqlite3_bind_int64(s, 1, a[i].campaign_seq);
            rc = sqlite_err(conn, sqlite3_step(s), "unclaim_count");
            sqlite3_reset(s);
        }
    }
    return sqlite_unit_end(conn, rc);
}

/* ---- reconciliation and completion ---- */

static const char SQL_IN_FLIGHT[] =
    "SELECT c.id, c.to_number, c.from_number, c.attempt, c.created_at, c.lane, c.campaign_seq, "
    "'voice', NULL FROM calls c WHERE c.ended_at IS NULL UNION ALL "
    "SELECT m.id, m.to_number, m.from_id, m.attempt, m.created_at, m.lane, m.campaign_seq, "
    "m.channel, coalesce(m.body, m.template) FROM messages m WHERE m.status = 'queued'";
static const char SQL_FINISHED[] =
    "SELECT seq FROM campaigns WHERE status = 'running' AND queued = 0 AND dispatched = 0";

static void read_attempt_row(sqlite3_stmt *s, void *item) {
    struct attempt *a = item;
    snprintf(a->call_id, sizeof a->call_id, "%s", (const char *)sqlite3_column_text(s, 0));
    snprintf(a->to, sizeof a->to, "%s", (const char *)sqlite3_column_text(s, 1));
    snprintf(a->from, sizeof a->from, "%s", (const char *)sqlite3_column_text(s, 2));
    a->attempt = sqlite3_column_int(s, 3);
    a->created_at = sqlite3_column_int64(s, 4);
    snprintf(a->lane, sizeof a->lane, "%s", (const char *)sqlite3_column_text(s, 5));
    a->campaign_seq = sqlite3_column_int64(s, 6);
    channel_parse((const char *)sqlite3_column_text(s, 7), &a->channel);
    a->text = sqlite_col_text(s, 8);
}

static void clear_attempt_row(void *item) {
    free(((struct attempt *)item)->text);
}

int sqlite_in_flight(struct store *st, struct attempt **out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    return sqlite_read_all(conn, sqlite_prep(conn, SQL_IN_FLIGHT), sizeof **out, read_attempt_row,
                           clear_attempt_row, (void **)out, n, "in_flight");
}

int sqlite_complete_finished(struct store *st, int64_t now, int *completed) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    if (rc)
        return rc;
    int64_t seqs[256];
    size_t n = 0;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_FINISHED);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW && n < 256)
        seqs[n++] = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sqlite_err(conn, step, "complete_finished");
    *completed = 0;
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        rc = complete_if_done(conn, seqs[i], now);
        (*completed)++;
    }
    return sqlite_unit_end(conn, rc);
}

/* ---- schedule.end_at ---- */

static const char SQL_ENDED[] =
    "SELECT seq FROM campaigns WHERE end_at IS NOT NULL AND end_at <= ?1 "
    "AND status IN ('running', 'paused') AND queued > 0";
static const char SQL_NEXT_END[] = "SELECT min(end_at) FROM campaigns WHERE end_at IS NOT NULL "
                                   "AND end_at > ?1 AND status IN ('running', 'paused')";

int sqlite_expire_ended(struct store *st, int64_t now, int64_t *next_end) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    if (rc)
        return rc;
    int64_t seqs[64];
    size_t n = 0;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_ENDED);
    sqlite3_bind_int64(s, 1, now);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW && n < 64)
        seqs[n++] = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sqlite_err(conn, step, "expire_read");
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        rc = sqlite_fail_queued(conn, seqs[i], DISP_EXPIRED, now);
        if (rc == STORE_OK) {
            rc = complete_if_done(conn, seqs[i], now);
        }
    }
    *next_end = 0;
    if (rc == STORE_OK) {
        s = sqlite_prep(conn, SQL_NEXT_END);
        sqlite3_bind_int64(s, 1, now);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
            *next_end = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    return sqlite_unit_end(conn, rc);
}
