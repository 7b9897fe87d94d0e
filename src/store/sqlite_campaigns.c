/* sqlite_campaigns.c - campaign rows of the SQLite backend: insert, get,
 * keyset list (newest first by seq), update and lifecycle moves. Counters
 * are columns of the campaign row, moved by the same transaction that
 * changes recipients; a CHECK constraint keeps the invariant in the table. */
#include "store/sqlite_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAMPAIGN_COLS                                                                              \
    "seq, id, account_id, name, agent_id, channel, status, config, schedule, retry_policy, "       \
    "total, queued, dispatched, succeeded, failed, "                                               \
    "d_completed, d_no_answer, d_busy, d_failed, d_cancelled, d_opted_out, d_sent, "               \
    "d_delivered, d_read, d_undelivered, d_missing_param, d_expired, d_voicemail, d_unknown, "     \
    "created_at, updated_at, started_at, completed_at, cancelled_at, start_at, end_at"
#define CAMPAIGN_NCOLS 36 /* the columns above */

/* The sender a campaign sends from (sms: config.from, whatsapp:
 * config.sender), kept in a column so inbound messages find their account
 * by index. */
#define SENDER_OF(channel, config)                                                                 \
    "CASE " channel " WHEN 'sms' THEN json_extract(" config ", '$.from') WHEN 'whatsapp' THEN "    \
    "json_extract(" config ", '$.sender') END"

static const char SQL_INSERT[] =
    "INSERT INTO campaigns(id, account_id, name, agent_id, channel, status, config, schedule, "
    "retry_policy, created_at, updated_at, sender, start_at, end_at, webhook_url) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, " SENDER_OF("?5",
                                                       "?7") ", ?12, ?13, "
                                                             "json_extract(?7, '$.webhook_url'))";
static const char SQL_GET[] =
    "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE id = ?1 AND account_id = ?2";
/* The key of prefix (renamed, so that no column name is ambiguous) and,
 * joined to it, its account's campaign ?2: a row when the key exists, its
 * campaign columns NULL when the account has no such campaign. */
static const char SQL_GET_WITH_KEY[] =
    "WITH k AS (SELECT account_id AS key_account, hash AS key_hash, created_at AS key_created, "
    "revoked_at AS key_revoked FROM api_keys WHERE prefix = ?1) "
    "SELECT " CAMPAIGN_COLS ", key_account, key_hash, key_created, key_revoked "
    "FROM k LEFT JOIN campaigns ON id = ?2 AND account_id = key_account";
static const char SQL_LIST[] =
    "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE account_id = ?1 "
    "AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR channel = ?3) AND seq < ?4 "
    "ORDER BY seq DESC LIMIT ?5";
static const char SQL_UPDATE[] =
    "UPDATE campaigns SET name = ?3, config = ?4, schedule = ?5, retry_policy = ?6, "
    "updated_at = ?7, sender = " SENDER_OF("channel",
                                           "?4") ", start_at = ?8, end_at = ?9, "
                                                 "webhook_url = json_extract(?4, '$.webhook_url') "
                                                 "WHERE id = ?1 AND account_id = ?2";
static const char SQL_SET_STATUS[] =
    "UPDATE campaigns SET status = ?2, updated_at = ?3, "
    "started_at = coalesce(started_at, ?4), completed_at = coalesce(completed_at, ?5), "
    "cancelled_at = coalesce(cancelled_at, ?6) WHERE seq = ?1";

static void read_row(sqlite3_stmt *s, struct campaign *c) {
    memset(c, 0, sizeof *c);
    int i = 0;
    c->seq = sqlite3_column_int64(s, i++);
    snprintf(c->id, sizeof c->id, "%s", (const char *)sqlite3_column_text(s, i++));
    snprintf(c->account_id, sizeof c->account_id, "%s", (const char *)sqlite3_column_text(s, i++));
    c->name = sqlite_col_text(s, i++);
    c->agent_id = sqlite_col_text(s, i++);
    channel_parse((const char *)sqlite3_column_text(s, i++), &c->channel);
    campaign_status_parse((const char *)sqlite3_column_text(s, i++), &c->status);
    c->config_json = sqlite_col_text(s, i++);
    c->schedule_json = sqlite_col_text(s, i++);
    c->retry_policy_json = sqlite_col_text(s, i++);
    c->counters.total = sqlite3_column_int64(s, i++);
    c->counters.queued = sqlite3_column_int64(s, i++);
    c->counters.dispatched = sqlite3_column_int64(s, i++);
    c->counters.succeeded = sqlite3_column_int64(s, i++);
    c->counters.failed = sqlite3_column_int64(s, i++);
    for (int d = 0; d < DISP_COUNT; d++)
        c->counters.dispositions[d] = sqlite3_column_int64(s, i++);
    c->created_at = sqlite3_column_int64(s, i++);
    c->updated_at = sqlite3_column_int64(s, i++);
    c->started_at = sqlite3_column_int64(s, i++);
    c->completed_at = sqlite3_column_int64(s, i++);
    c->cancelled_at = sqlite3_column_int64(s, i++);
    c->start_at = sqlite3_column_int64(s, i++);
    c->end_at = sqlite3_column_int64(s, i++);
}

static void read_campaign_item(sqlite3_stmt *s, void *item) {
    read_row(s, item);
}

static void clear_campaign_item(void *item) {
    campaign_clear(item);
}

int sqlite_campaign_insert(struct store *st, struct campaign *c) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_INSERT);
    sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, c->account_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, c->agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, channel_name(c->channel), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, campaign_status_name(c->status), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, c->config_json, -1, SQLITE_STATIC);
    sqlite_bind_text_or_null(s, 8, c->schedule_json);
    sqlite_bind_text_or_null(s, 9, c->retry_policy_json);
    sqlite3_bind_int64(s, 10, c->created_at);
    sqlite3_bind_int64(s, 11, c->updated_at);
    sqlite_bind_time(s, 12, c->start_at);
    sqlite_bind_time(s, 13, c->end_at);
    rc = sqlite_err(conn, sqlite3_step(s), "campaign_insert");
    sqlite3_reset(s);
    if (rc == STORE_OK)
        c->seq = sqlite3_last_insert_rowid(conn->db);
    return sqlite_unit_end(conn, rc);
}

int sqlite_campaign_get(struct store *st, const char *account_id, const char *id,
                        struct campaign *out) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_GET);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, account_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        read_row(s, out);
        sqlite3_reset(s);
        return STORE_OK;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, rc, "campaign_get");
}

int sqlite_campaign_get_with_key(struct store *st, const char *prefix, const char *id,
                                 struct api_key *key, struct campaign *out, int *campaign_rc) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_GET_WITH_KEY);
    sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, rc, "campaign_get_with_key");
    }
    *campaign_rc = sqlite3_column_type(s, 0) == SQLITE_NULL ? STORE_ENOTFOUND : STORE_OK;
    if (*campaign_rc == STORE_OK)
        read_row(s, out);
    int i = CAMPAIGN_NCOLS; /* the key's columns follow the campaign's */
    memset(key, 0, sizeof *key);
    snprintf(key->prefix, sizeof key->prefix, "%s", prefix);
    snprintf(key->account_id, sizeof key->account_id, "%s",
             (const char *)sqlite3_column_text(s, i++));
    snprintf(key->hash, sizeof key->hash, "%s", (const char *)sqlite3_column_text(s, i++));
    key->created_at = sqlite3_column_int64(s, i++);
    key->revoked_at = sqlite3_column_int64(s, i);
    sqlite3_reset(s);
    return STORE_OK;
}

int sqlite_campaign_list(struct store *st, const char *account_id, const struct campaign_filter *f,
                         int64_t before_seq, size_t limit, struct campaign_page *out) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = sqlite_prep(conn, SQL_LIST);
    sqlite3_bind_text(s, 1, account_id, -1, SQLITE_STATIC);
    sqlite_bind_text_or_null(s, 2, f->has_status ? campaign_status_name(f->status) : NULL);
    sqlite_bind_text_or_null(s, 3, f->has_channel ? channel_name(f->channel) : NULL);
    sqlite3_bind_int64(s, 4, before_seq > 0 ? before_seq : INT64_MAX);
    sqlite3_bind_int64(s, 5, (int64_t)limit + 1);
    return sqlite_read_page(conn, s, limit, sizeof *out->items, read_campaign_item,
                            clear_campaign_item, (void **)&out->items, &out->count, &out->more,
                            "campaign_list");
}

int sqlite_campaign_update(struct store *st, const struct campaign *c) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_UPDATE);
    sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, c->account_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, c->config_json, -1, SQLITE_STATIC);
    sqlite_bind_text_or_null(s, 5, c->schedule_json);
    sqlite_bind_text_or_null(s, 6, c->retry_policy_json);
    sqlite3_bind_int64(s, 7, c->updated_at);
    sqlite_bind_time(s, 8, c->start_at);
    sqlite_bind_time(s, 9, c->end_at);
    rc = sqlite_err(conn, sqlite3_step(s), "campaign_update");
    sqlite3_reset(s);
    if (rc == STORE_OK && sqlite3_changes(conn->db) == 0)
        rc = STORE_ENOTFOUND;
    return sqlite_unit_end(conn, rc);
}

static const char SQL_FAIL_QUEUED[] =
    "UPDATE recipients SET status = 'failed', disposition = ?2, due_at = 0, "
    "updated_at = ?3 WHERE campaign_seq = ?1 AND status = 'queued'";
/* Every queued recipient of the campaign becomes failed with disposition d
 * (cancelled or expired), counters moved in the same transaction. */
static int fail_queued_rows(struct sqlite_conn *conn, int64_t campaign_seq, enum disposition d,
                            int64_t now);

static const char SQL_QUEUED_SEQS[] =
    "SELECT seq FROM recipients WHERE campaign_seq = ?1 AND status = 'queued'";

int sqlite_fail_queued(struct sqlite_conn *conn, int64_t campaign_seq, enum disposition d,
                       int64_t now) {
    /* with a webhook, each recipient finishing is an event: learn which */
    int64_t *seqs = NULL;
    size_t nseqs = 0, cap = 0;
    int rc = STORE_OK;
    if (sqlite_has_webhook(conn, campaign_seq)) {
        sqlite3_stmt *q = sqlite_prep(conn, SQL_QUEUED_SEQS);
        sqlite3_bind_int64(q, 1, campaign_seq);
        int step;
        while ((step = sqlite3_step(q)) == SQLITE_ROW) {
            if (nseqs == cap) {
                cap = cap ? cap * 2 : 256;
                seqs = xrealloc(seqs, cap * sizeof *seqs);
            }
            seqs[nseqs++] = sqlite3_column_int64(q, 0);
        }
        sqlite3_reset(q);
        if (step != SQLITE_DONE)
            rc = sqlite_err(conn, step, "queued_seqs");
    }
    if (rc == STORE_OK)
        rc = fail_queued_rows(conn, campaign_seq, d, now);
    for (size_t i = 0; i < nseqs && rc == STORE_OK; i++)
        rc = sqlite_emit(conn, campaign_seq, EVENT_RECIPIENT_FINISHED, seqs[i], now);
    free(seqs);
    return rc;
}

static int fail_queued_rows(struct sqlite_conn *conn, int64_t campaign_seq, enum disposition d,
                            int64_t now) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_FAIL_QUEUED);
    sqlite3_bind_int64(s, 1, campaign_seq);
    sqlite3_bind_text(s, 2, disposition_name(d), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now);
    int rc = sqlite_err(conn, sqlite3_step(s), "fail_queued");
    sqlite3_reset(s);
    int64_t n = sqlite3_changes64(conn->db);
    if (rc != STORE_OK || n == 0)
        return rc;
    /* n rows made the move QUEUED -> FAILED(d): the rule's delta n times */
    struct recipient_row queued = {RECIPIENT_QUEUED, DISP_NONE, 0};
    struct recipient_move m;
    move_fail_queued(&queued, d, &m);
    struct counter_delta sum = {0};
    counter_delta_add(&sum, &m.delta, n);
    return sqlite_counters_add(conn, campaign_seq, &sum, now);
}

int sqlite_campaign_move(struct store *st, const char *account_id, const char *id,
                         enum campaign_move move, int64_t now, enum move_result *result,
                         struct campaign *out) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    rc = sqlite_campaign_get(st, account_id, id, out);
    if (rc)
        return sqlite_unit_end(conn, rc);
    enum campaign_status to = out->status;
    *result = campaign_plan_move(out->status, move, out->counters.total, &to);
    if (*result != MOVE_OK)
        return sqlite_unit_end(conn, STORE_OK);
    sqlite3_stmt *s = sqlite_prep(conn, SQL_SET_STATUS);
    sqlite3_bind_int64(s, 1, out->seq);
    sqlite3_bind_text(s, 2, campaign_status_name(to), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now);
    sqlite_bind_time(s, 4, to == CAMPAIGN_RUNNING ? now : 0);
    sqlite_bind_time(s, 5, to == CAMPAIGN_COMPLETED ? now : 0);
    sqlite_bind_time(s, 6, to == CAMPAIGN_CANCELLED ? now : 0);
    rc = sqlite_err(conn, sqlite3_step(s), "campaign_move");
    sqlite3_reset(s);
    if (rc == STORE_OK && to == CAMPAIGN_CANCELLED)
        rc = sqlite_fail_queued(conn, out->seq, DISP_CANCELLED, now);
    /* after the cancel's own moves, so the event's counters are the new ones */
    if (rc == STORE_OK)
        rc = sqlite_emit(conn, out->seq, EVENT_CAMPAIGN_STATUS, out->seq, now);
    if (rc == STORE_OK) {
        campaign_clear(out);
        rc = sqlite_campaign_get(st, account_id, id, out);
    }
    return sqlite_unit_end(conn, rc);
}

static const char SQL_BY_SEQ[] = "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE seq = ?1";

int sqlite_campaign_by_seq(struct sqlite_conn *conn, int64_t seq, struct campaign *out) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_BY_SEQ);
    sqlite3_bind_int64(s, 1, seq);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        read_row(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, rc, "campaign_by_seq");
}
