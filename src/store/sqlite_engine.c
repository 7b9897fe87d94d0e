/* sqlite_engine.c - the dispatch engine's operations on the SQLite backend:
 * claiming due recipients lane by lane, applying reported ends with the
 * retry rules, throttle give-backs, reconciliation and auto-completion.
 *
 * Every recipient move changes the recipient row, its call row and the
 * campaign's counters in the same transaction; a batch of moves shares one
 * transaction (group commit). Queued work is found through the partial index
 * recipients_queue (lane, campaign_seq, due_at) WHERE status = 'queued'. */
#include "domain/retry.h"
#include "store/sqlite_internal.h"
#include "util/alloc.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Voice only until messaging is built: sms and whatsapp campaigns wait,
 * queued, rather than be dialled. */
static const char SQL_CAMPAIGNS[] =
    "SELECT seq, id, account_id, channel, status, agent_id, config, schedule, queued, "
    "dispatched FROM campaigns WHERE status = 'running' AND channel = 'voice'";
static const char SQL_LANES[] = "SELECT lane FROM campaign_lanes WHERE campaign_seq = ?1";
static const char SQL_NEXT_DUE[] = "SELECT min(due_at) FROM recipients "
                                   "WHERE lane = ?1 AND campaign_seq = ?2 AND status = 'queued'";
static const char SQL_DUE[] =
    "SELECT seq, id, phone_number, attempts, carrier FROM recipients "
    "WHERE lane = ?1 AND campaign_seq = ?2 AND status = 'queued' AND due_at <= ?3 "
    "ORDER BY due_at, seq LIMIT ?4";
static const char SQL_DISPATCH[] =
    "UPDATE recipients SET status = 'dispatched', attempts = attempts + 1, "
    "last_attempt_at = ?2, last_call_id = ?3, updated_at = ?2 WHERE seq = ?1";
static const char SQL_CALL_INSERT[] =
    "INSERT INTO calls(id, account_id, campaign_seq, recipient_seq, agent_id, from_number, "
    "to_number, attempt, status, carrier, lane, provider, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'ringing', ?9, ?10, ?11, ?12)";
static const char SQL_COUNT_CLAIM[] =
    "UPDATE campaigns SET queued = queued - ?2, dispatched = dispatched + ?2 WHERE seq = ?1";

int sqlite_engine_campaigns(struct store *st, struct engine_campaign **out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_CAMPAIGNS);
    size_t cap = 8, count = 0;
    struct engine_campaign *list = xcalloc(cap, sizeof *list);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == cap) {
            cap *= 2;
            list = xrealloc(list, cap * sizeof *list);
        }
        struct engine_campaign *c = &list[count++];
        memset(c, 0, sizeof *c);
        c->seq = sqlite3_column_int64(s, 0);
        snprintf(c->id, sizeof c->id, "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(c->account_id, sizeof c->account_id, "%s",
                 (const char *)sqlite3_column_text(s, 2));
        channel_parse((const char *)sqlite3_column_text(s, 3), &c->channel);
        campaign_status_parse((const char *)sqlite3_column_text(s, 4), &c->status);
        c->agent_id = sqlite_col_text(s, 5);
        c->config_json = sqlite_col_text(s, 6);
        c->schedule_json = sqlite_col_text(s, 7);
        c->queued = sqlite3_column_int64(s, 8);
        c->dispatched = sqlite3_column_int64(s, 9);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < count; i++)
            engine_campaign_clear(&list[i]);
        free(list);
        return sqlite_err(conn, rc, "engine_campaigns");
    }
    *out = list;
    *n = count;
    return STORE_OK;
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
};

static int claim_one(struct sqlite_conn *conn, struct claim_request *r, int64_t now,
                     struct attempt *out, size_t *n) {
    struct due_row *rows = xcalloc(r->want + 1, sizeof *rows);
    size_t got = 0;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_DUE);
    sqlite3_bind_text(s, 1, r->lane, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, r->campaign->seq);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, (int64_t)r->want);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && got < r->want) {
        struct due_row *d = &rows[got++];
        d->seq = sqlite3_column_int64(s, 0);
        snprintf(d->id, sizeof d->id, "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(d->phone, sizeof d->phone, "%s", (const char *)sqlite3_column_text(s, 2));
        d->attempts = sqlite3_column_int(s, 3);
        snprintf(d->carrier, sizeof d->carrier, "%s", (const char *)sqlite3_column_text(s, 4));
    }
    sqlite3_reset(s);
    rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? STORE_OK : sqlite_err(conn, rc, "claim");
    for (size_t i = 0; i < got && rc == STORE_OK; i++) {
        struct attempt *a = &out[(*n)++];
        memset(a, 0, sizeof *a);
        ids_new("call_", a->call_id);
        a->channel = r->campaign->channel;
        snprintf(a->to, sizeof a->to, "%s", rows[i].phone);
        snprintf(a->from, sizeof a->from, "%s", r->from ? r->from : "");
        a->attempt = rows[i].attempts + 1;
        a->created_at = now;
        snprintf(a->lane, sizeof a->lane, "%s", r->lane);
        a->campaign_seq = r->campaign->seq;

        s = sqlite_prep(conn, SQL_DISPATCH);
        sqlite3_bind_int64(s, 1, rows[i].seq);
        sqlite3_bind_int64(s, 2, now);
        sqlite3_bind_text(s, 3, a->call_id, -1, SQLITE_STATIC);
        rc = sqlite_err(conn, sqlite3_step(s), "claim_dispatch");
        sqlite3_reset(s);
        if (rc)
            break;
        s = sqlite_prep(conn, SQL_CALL_INSERT);
        sqlite3_bind_text(s, 1, a->call_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, r->campaign->account_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, r->campaign->seq);
        sqlite3_bind_int64(s, 4, rows[i].seq);
        sqlite3_bind_text(s, 5, r->campaign->agent_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, a->from, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 7, a->to, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 8, a->attempt);
        sqlite3_bind_text(s, 9, rows[i].carrier, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 10, r->lane, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 11, r->provider, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 12, now);
        rc = sqlite_err(conn, sqlite3_step(s), "claim_call");
        sqlite3_reset(s);
    }
    if (rc == STORE_OK && got > 0) {
        s = sqlite_prep(conn, SQL_COUNT_CLAIM);
        sqlite3_bind_int64(s, 1, r->campaign->seq);
        sqlite3_bind_int64(s, 2, (int64_t)got);
        rc = sqlite_err(conn, sqlite3_step(s), "claim_count");
        sqlite3_reset(s);
    }
    r->got = rc == STORE_OK ? got : 0;
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
    if (rc)
        *n = 0;
    return rc;
}

/* ---- ends ---- */

static const char SQL_END_READ[] =
    "SELECT c.seq, c.status, c.recipient_seq, c.campaign_seq, c.lane, r.attempts, "
    "camp.status, camp.retry_policy, c.created_at FROM calls c "
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
static const char SQL_COMPLETE_ONE[] =
    "UPDATE campaigns SET status = 'completed', completed_at = ?2, updated_at = ?2 "
    "WHERE seq = ?1 AND status = 'running' AND queued = 0 AND dispatched = 0";

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
    if (rc)
        return rc;
    s = sqlite_prep(conn, SQL_COMPLETE_ONE);
    sqlite3_bind_int64(s, 1, out->campaign_seq);
    sqlite3_bind_int64(s, 2, now);
    rc = sqlite_err(conn, sqlite3_step(s), "end_complete");
    sqlite3_reset(s);
    out->applied = rc == STORE_OK;
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
    for (size_t i = 0; i < n && rc == STORE_OK; i++)
        rc = apply_one(conn, &ends[i], now, &applied[i]);
    return sqlite_unit_end(conn, rc);
}

/* ---- throttled give-backs ---- */

static const char SQL_UNCLAIM_CALL[] =
    "DELETE FROM calls WHERE id = ?1 AND ended_at IS NULL RETURNING recipient_seq";
static const char SQL_UNCLAIM_RECIPIENT[] =
    "UPDATE recipients SET status = 'queued', attempts = attempts - 1, due_at = ?2, "
    "updated_at = ?3, last_call_id = (SELECT id FROM calls WHERE recipient_seq = ?1 "
    "ORDER BY seq DESC LIMIT 1) WHERE seq = ?1 AND status = 'dispatched'";
static const char SQL_UNCLAIM_COUNT[] =
    "UPDATE campaigns SET dispatched = dispatched - 1, queued = queued + 1 WHERE seq = ?1";

int sqlite_unclaim(struct store *st, const struct attempt *a, size_t n, int64_t due_at) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        sqlite3_stmt *s = sqlite_prep(conn, SQL_UNCLAIM_CALL);
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
    "camp.channel FROM calls c JOIN campaigns camp ON camp.seq = c.campaign_seq "
    "WHERE c.ended_at IS NULL";
static const char SQL_COMPLETE_ALL[] =
    "UPDATE campaigns SET status = 'completed', completed_at = ?1, updated_at = ?1 "
    "WHERE status = 'running' AND queued = 0 AND dispatched = 0";

int sqlite_in_flight(struct store *st, struct attempt **out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_IN_FLIGHT);
    size_t cap = 64, count = 0;
    struct attempt *list = xcalloc(cap, sizeof *list);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == cap) {
            cap *= 2;
            list = xrealloc(list, cap * sizeof *list);
        }
        struct attempt *a = &list[count++];
        memset(a, 0, sizeof *a);
        snprintf(a->call_id, sizeof a->call_id, "%s", (const char *)sqlite3_column_text(s, 0));
        snprintf(a->to, sizeof a->to, "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(a->from, sizeof a->from, "%s", (const char *)sqlite3_column_text(s, 2));
        a->attempt = sqlite3_column_int(s, 3);
        a->created_at = sqlite3_column_int64(s, 4);
        snprintf(a->lane, sizeof a->lane, "%s", (const char *)sqlite3_column_text(s, 5));
        a->campaign_seq = sqlite3_column_int64(s, 6);
        channel_parse((const char *)sqlite3_column_text(s, 7), &a->channel);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(list);
        return sqlite_err(conn, rc, "in_flight");
    }
    *out = list;
    *n = count;
    return STORE_OK;
}

int sqlite_complete_finished(struct store *st, int64_t now, int *completed) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_COMPLETE_ALL);
    sqlite3_bind_int64(s, 1, now);
    rc = sqlite_err(conn, sqlite3_step(s), "complete_finished");
    sqlite3_reset(s);
    *completed = rc == STORE_OK ? sqlite3_changes(conn->db) : 0;
    return sqlite_unit_end(conn, rc);
}
