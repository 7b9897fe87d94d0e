/* pg_campaigns.c - campaign rows of the PostgreSQL backend: insert, get,
 * keyset list (newest first by seq), update and lifecycle moves. Counters
 * are columns of the campaign row, moved by the same transaction that
 * changes recipients; a CHECK constraint keeps the invariant in the table. */
#include "store/pg_internal.h"
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
    "CASE " channel " WHEN 'sms' THEN (" config ")::json ->> 'from' WHEN 'whatsapp' THEN "         \
    "(" config ")::json ->> 'sender' END"

static const char SQL_INSERT[] =
    "INSERT INTO campaigns(id, account_id, name, agent_id, channel, status, config, schedule, "
    "retry_policy, created_at, updated_at, sender, start_at, end_at, webhook_url) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, " SENDER_OF(
        "?5", "?7") ", ?12, ?13, "
                    "?7::json ->> 'webhook_url') RETURNING seq";
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
                                                 "webhook_url = ?4::json ->> 'webhook_url' "
                                                 "WHERE id = ?1 AND account_id = ?2";
static const char SQL_SET_STATUS[] =
    "UPDATE campaigns SET status = ?2, updated_at = ?3, "
    "started_at = coalesce(started_at, ?4), completed_at = coalesce(completed_at, ?5), "
    "cancelled_at = coalesce(cancelled_at, ?6) WHERE seq = ?1";

static void read_row(struct pg_stmt *s, struct campaign *c) {
    memset(c, 0, sizeof *c);
    int i = 0;
    c->seq = pg_col_int64(s, i++);
    snprintf(c->id, sizeof c->id, "%s", (const char *)pg_col_raw(s, i++));
    snprintf(c->account_id, sizeof c->account_id, "%s", (const char *)pg_col_raw(s, i++));
    c->name = pg_col_text(s, i++);
    c->agent_id = pg_col_text(s, i++);
    channel_parse((const char *)pg_col_raw(s, i++), &c->channel);
    campaign_status_parse((const char *)pg_col_raw(s, i++), &c->status);
    c->config_json = pg_col_text(s, i++);
    c->schedule_json = pg_col_text(s, i++);
    c->retry_policy_json = pg_col_text(s, i++);
    c->counters.total = pg_col_int64(s, i++);
    c->counters.queued = pg_col_int64(s, i++);
    c->counters.dispatched = pg_col_int64(s, i++);
    c->counters.succeeded = pg_col_int64(s, i++);
    c->counters.failed = pg_col_int64(s, i++);
    for (int d = 0; d < DISP_COUNT; d++)
        c->counters.dispositions[d] = pg_col_int64(s, i++);
    c->created_at = pg_col_int64(s, i++);
    c->updated_at = pg_col_int64(s, i++);
    c->started_at = pg_col_int64(s, i++);
    c->completed_at = pg_col_int64(s, i++);
    c->cancelled_at = pg_col_int64(s, i++);
    c->start_at = pg_col_int64(s, i++);
    c->end_at = pg_col_int64(s, i++);
}

static void read_campaign_item(struct pg_stmt *s, void *item) {
    read_row(s, item);
}

static void clear_campaign_item(void *item) {
    campaign_clear(item);
}

int pg_campaign_insert(struct store *st, struct campaign *c) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_INSERT);
    pg_bind_text(s, 1, c->id);
    pg_bind_text(s, 2, c->account_id);
    pg_bind_text(s, 3, c->name);
    pg_bind_text(s, 4, c->agent_id);
    pg_bind_text(s, 5, channel_name(c->channel));
    pg_bind_text(s, 6, campaign_status_name(c->status));
    pg_bind_text(s, 7, c->config_json);
    pg_bind_text_or_null(s, 8, c->schedule_json);
    pg_bind_text_or_null(s, 9, c->retry_policy_json);
    pg_bind_int64(s, 10, c->created_at);
    pg_bind_int64(s, 11, c->updated_at);
    pg_bind_time(s, 12, c->start_at);
    pg_bind_time(s, 13, c->end_at);
    rc = pg_err(conn, pg_step(s), "campaign_insert");
    if (rc == STORE_OK)
        c->seq = pg_col_int64(s, 0);
    pg_reset(s);
    return pg_unit_end(conn, rc);
}

int pg_campaign_get(struct store *st, const char *account_id, const char *id,
                    struct campaign *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_GET);
    pg_bind_text(s, 1, id);
    pg_bind_text(s, 2, account_id);
    int rc = pg_step(s);
    if (rc == PG_ROW) {
        read_row(s, out);
        pg_reset(s);
        return STORE_OK;
    }
    pg_reset(s);
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "campaign_get");
}

int pg_campaign_get_with_key(struct store *st, const char *prefix, const char *id,
                             struct api_key *key, struct campaign *out, int *campaign_rc) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_GET_WITH_KEY);
    pg_bind_text(s, 1, prefix);
    pg_bind_text(s, 2, id);
    int rc = pg_step(s);
    if (rc != PG_ROW) {
        pg_reset(s);
        return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "campaign_get_with_key");
    }
    *campaign_rc = pg_col_null(s, 0) ? STORE_ENOTFOUND : STORE_OK;
    if (*campaign_rc == STORE_OK)
        read_row(s, out);
    int i = CAMPAIGN_NCOLS; /* the key's columns follow the campaign's */
    memset(key, 0, sizeof *key);
    snprintf(key->prefix, sizeof key->prefix, "%s", prefix);
    snprintf(key->account_id, sizeof key->account_id, "%s", (const char *)pg_col_raw(s, i++));
    snprintf(key->hash, sizeof key->hash, "%s", (const char *)pg_col_raw(s, i++));
    key->created_at = pg_col_int64(s, i++);
    key->revoked_at = pg_col_int64(s, i);
    pg_reset(s);
    return STORE_OK;
}

int pg_campaign_list(struct store *st, const char *account_id, const struct campaign_filter *f,
                     int64_t before_seq, size_t limit, struct campaign_page *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    memset(out, 0, sizeof *out);
    struct pg_stmt *s = pg_prep(conn, SQL_LIST);
    pg_bind_text(s, 1, account_id);
    pg_bind_text_or_null(s, 2, f->has_status ? campaign_status_name(f->status) : NULL);
    pg_bind_text_or_null(s, 3, f->has_channel ? channel_name(f->channel) : NULL);
    pg_bind_int64(s, 4, before_seq > 0 ? before_seq : INT64_MAX);
    pg_bind_int64(s, 5, (int64_t)limit + 1);
    return pg_read_page(conn, s, limit, sizeof *out->items, read_campaign_item, clear_campaign_item,
                        (void **)&out->items, &out->count, &out->more, "campaign_list");
}

int pg_campaign_update(struct store *st, const struct campaign *c) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_UPDATE);
    pg_bind_text(s, 1, c->id);
    pg_bind_text(s, 2, c->account_id);
    pg_bind_text(s, 3, c->name);
    pg_bind_text(s, 4, c->config_json);
    pg_bind_text_or_null(s, 5, c->schedule_json);
    pg_bind_text_or_null(s, 6, c->retry_policy_json);
    pg_bind_int64(s, 7, c->updated_at);
    pg_bind_time(s, 8, c->start_at);
    pg_bind_time(s, 9, c->end_at);
    rc = pg_err(conn, pg_step(s), "campaign_update");
    pg_reset(s);
    if (rc == STORE_OK && pg_changes(conn) == 0)
        rc = STORE_ENOTFOUND;
    return pg_unit_end(conn, rc);
}

static const char SQL_FAIL_QUEUED[] =
    "UPDATE recipients SET status = 'failed', disposition = ?2, due_at = 0, "
    "updated_at = ?3 WHERE campaign_seq = ?1 AND status = 'queued'";
/* Every queued recipient of the campaign becomes failed with disposition d
 * (cancelled or expired), counters moved in the same transaction. */
static int fail_queued_rows(struct pg_conn *conn, int64_t campaign_seq, enum disposition d,
                            int64_t now);

static const char SQL_QUEUED_SEQS[] =
    "SELECT seq FROM recipients WHERE campaign_seq = ?1 AND status = 'queued'";

int pg_fail_queued(struct pg_conn *conn, int64_t campaign_seq, enum disposition d, int64_t now) {
    /* with a webhook, each recipient finishing is an event: learn which */
    int64_t *seqs = NULL;
    size_t nseqs = 0, cap = 0;
    int rc = STORE_OK;
    if (pg_has_webhook(conn, campaign_seq)) {
        struct pg_stmt *q = pg_prep(conn, SQL_QUEUED_SEQS);
        pg_bind_int64(q, 1, campaign_seq);
        int step;
        while ((step = pg_step(q)) == PG_ROW) {
            if (nseqs == cap) {
                cap = cap ? cap * 2 : 256;
                seqs = xrealloc(seqs, cap * sizeof *seqs);
            }
            seqs[nseqs++] = pg_col_int64(q, 0);
        }
        pg_reset(q);
        if (step != PG_DONE)
            rc = pg_err(conn, step, "queued_seqs");
    }
    if (rc == STORE_OK)
        rc = fail_queued_rows(conn, campaign_seq, d, now);
    for (size_t i = 0; i < nseqs && rc == STORE_OK; i++)
        rc = pg_emit(conn, campaign_seq, PG_EVENT_RECIPIENT_FINISHED, seqs[i], now);
    free(seqs);
    return rc;
}

static int fail_queued_rows(struct pg_conn *conn, int64_t campaign_seq, enum disposition d,
                            int64_t now) {
    struct pg_stmt *s = pg_prep(conn, SQL_FAIL_QUEUED);
    pg_bind_int64(s, 1, campaign_seq);
    pg_bind_text(s, 2, disposition_name(d));
    pg_bind_int64(s, 3, now);
    int rc = pg_err(conn, pg_step(s), "fail_queued");
    pg_reset(s);
    int64_t n = pg_changes(conn);
    if (rc != STORE_OK || n == 0)
        return rc;
    /* n rows made the move QUEUED -> FAILED(d): the rule's delta n times */
    struct recipient_row queued = {RECIPIENT_QUEUED, DISP_NONE, 0};
    struct recipient_move m;
    move_fail_queued(&queued, d, &m);
    struct counter_delta sum = {0};
    counter_delta_add(&sum, &m.delta, n);
    return pg_counters_add(conn, campaign_seq, &sum, now);
}

int pg_campaign_move(struct store *st, const char *account_id, const char *id,
                     enum campaign_move move, int64_t now, enum move_result *result,
                     struct campaign *out) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    rc = pg_campaign_get(st, account_id, id, out);
    if (rc)
        return pg_unit_end(conn, rc);
    enum campaign_status to = out->status;
    *result = campaign_plan_move(out->status, move, out->counters.total, &to);
    if (*result != MOVE_OK)
        return pg_unit_end(conn, STORE_OK);
    struct pg_stmt *s = pg_prep(conn, SQL_SET_STATUS);
    pg_bind_int64(s, 1, out->seq);
    pg_bind_text(s, 2, campaign_status_name(to));
    pg_bind_int64(s, 3, now);
    pg_bind_time(s, 4, to == CAMPAIGN_RUNNING ? now : 0);
    pg_bind_time(s, 5, to == CAMPAIGN_COMPLETED ? now : 0);
    pg_bind_time(s, 6, to == CAMPAIGN_CANCELLED ? now : 0);
    rc = pg_err(conn, pg_step(s), "campaign_move");
    pg_reset(s);
    if (rc == STORE_OK && to == CAMPAIGN_CANCELLED)
        rc = pg_fail_queued(conn, out->seq, DISP_CANCELLED, now);
    /* after the cancel's own moves, so the event's counters are the new ones */
    if (rc == STORE_OK)
        rc = pg_emit(conn, out->seq, PG_EVENT_CAMPAIGN_STATUS, out->seq, now);
    if (rc == STORE_OK) {
        campaign_clear(out);
        rc = pg_campaign_get(st, account_id, id, out);
    }
    return pg_unit_end(conn, rc);
}

static const char SQL_BY_SEQ[] = "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE seq = ?1";

int pg_campaign_by_seq(struct pg_conn *conn, int64_t seq, struct campaign *out) {
    struct pg_stmt *s = pg_prep(conn, SQL_BY_SEQ);
    pg_bind_int64(s, 1, seq);
    int rc = pg_step(s);
    if (rc == PG_ROW)
        read_row(s, out);
    pg_reset(s);
    if (rc == PG_ROW)
        return STORE_OK;
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "campaign_by_seq");
}
