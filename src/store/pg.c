/* pg.c - the PostgreSQL backend: transactions as callers see them,
 * migrations (applied once under an advisory lock, so nodes starting
 * together apply them once), and the small tables (meta, accounts, keys,
 * idempotency). Connections and statements: pg_conn.c; campaign operations
 * live in pg_campaigns.c and the other pg_*.c files, mirroring the SQLite
 * backend file for file. */
#include "store/pg_internal.h"
#include "store/pg_schema.h"
#include "util/alloc.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATION_LOCK_KEY "1667329393" /* advisory lock held while migrating */

static int op_begin(struct store *st) {
    struct pg_conn *c = pg_conn_get(st);
    return c ? pg_unit_begin(c) : PG_NO_CONN;
}

static int op_begin_batch(struct store *st) {
    struct pg_conn *c = pg_conn_get(st);
    return c ? pg_unit_begin_batch(c) : PG_NO_CONN;
}

static int op_commit(struct store *st) {
    struct pg_conn *c = pg_conn_get(st);
    return c ? pg_unit_end(c, STORE_OK) : PG_NO_CONN;
}

static void op_rollback(struct store *st) {
    struct pg_conn *c = pg_conn_get(st);
    if (c)
        pg_unit_end(c, STORE_EIO);
}

static int op_ping(struct store *st) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(c, "SELECT 1");
    int rc = pg_step(s);
    pg_reset(s);
    return rc == PG_ROW ? STORE_OK : pg_err(c, rc, "ping");
}

static int op_snapshot(struct store *st, char *out, size_t cap) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(c, "SELECT pg_current_snapshot()::text");
    int rc = pg_step(s);
    const char *text = rc == PG_ROW ? pg_col_raw(s, 0) : NULL;
    int fits = text && strlen(text) < cap;
    if (fits)
        memcpy(out, text, strlen(text) + 1);
    pg_reset(s);
    if (rc != PG_ROW)
        return pg_err(c, rc, "snapshot");
    return fits ? STORE_OK : STORE_EIO;
}

/* ---- meta ---- */

static const char SQL_META_GET[] = "SELECT value FROM meta WHERE key = ?1";
static const char SQL_META_PUT[] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                                   "ON CONFLICT(key) DO NOTHING";

static int op_meta_get(struct store *st, const char *key, char **value) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(c, SQL_META_GET);
    pg_bind_text(s, 1, key);
    int rc = pg_step(s);
    if (rc == PG_ROW) {
        *value = pg_col_text(s, 0);
        pg_reset(s);
        return STORE_OK;
    }
    pg_reset(s);
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(c, rc, "meta_get");
}

static int op_meta_get_or_put(struct store *st, const char *key, const char *value_if_new,
                              char **value) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    int rc = pg_unit_begin(c);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(c, SQL_META_PUT);
    pg_bind_text(s, 1, key);
    pg_bind_text(s, 2, value_if_new);
    rc = pg_err(c, pg_step(s), "meta_put");
    pg_reset(s);
    if (rc == STORE_OK)
        rc = op_meta_get(st, key, value);
    return pg_unit_end(c, rc);
}

/* ---- accounts and keys ---- */

static const char SQL_ACCOUNT_INSERT[] =
    "INSERT INTO accounts(id, name, created_at) VALUES (?1, ?2, ?3)";
static const char SQL_ACCOUNT_EXISTS[] = "SELECT 1 FROM accounts WHERE id = ?1";
static const char SQL_KEY_INSERT[] =
    "INSERT INTO api_keys(prefix, account_id, hash, created_at) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_KEY_GET[] =
    "SELECT prefix, account_id, hash, created_at, revoked_at FROM api_keys WHERE prefix = ?1";
static const char SQL_KEY_REVOKE[] =
    "UPDATE api_keys SET revoked_at = ?2 WHERE prefix = ?1 AND revoked_at IS NULL";

static int step_done(struct pg_conn *c, struct pg_stmt *s, const char *what) {
    int rc = pg_err(c, pg_step(s), what);
    pg_reset(s);
    return rc;
}

static int op_account_insert(struct store *st, const struct account *a) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    int rc = pg_unit_begin(c);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(c, SQL_ACCOUNT_INSERT);
    pg_bind_text(s, 1, a->id);
    pg_bind_text(s, 2, a->name);
    pg_bind_int64(s, 3, a->created_at);
    return pg_unit_end(c, step_done(c, s, "account_insert"));
}

static int op_account_exists(struct store *st, const char *id) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(c, SQL_ACCOUNT_EXISTS);
    pg_bind_text(s, 1, id);
    int rc = pg_step(s);
    pg_reset(s);
    if (rc == PG_ROW)
        return STORE_OK;
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(c, rc, "account_exists");
}

static int op_key_insert(struct store *st, const struct api_key *k) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    int rc = pg_unit_begin(c);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(c, SQL_KEY_INSERT);
    pg_bind_text(s, 1, k->prefix);
    pg_bind_text(s, 2, k->account_id);
    pg_bind_text(s, 3, k->hash);
    pg_bind_int64(s, 4, k->created_at);
    return pg_unit_end(c, step_done(c, s, "key_insert"));
}

static void copy_col(char *dst, size_t n, struct pg_stmt *s, int col) {
    const char *t = pg_col_raw(s, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static int op_key_get(struct store *st, const char *prefix, struct api_key *out) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(c, SQL_KEY_GET);
    pg_bind_text(s, 1, prefix);
    int rc = pg_step(s);
    if (rc == PG_ROW) {
        copy_col(out->prefix, sizeof out->prefix, s, 0);
        copy_col(out->account_id, sizeof out->account_id, s, 1);
        copy_col(out->hash, sizeof out->hash, s, 2);
        out->created_at = pg_col_int64(s, 3);
        out->revoked_at = pg_col_int64(s, 4);
        pg_reset(s);
        return STORE_OK;
    }
    pg_reset(s);
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(c, rc, "key_get");
}

static int op_key_revoke(struct store *st, const char *prefix, int64_t now) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    int rc = pg_unit_begin(c);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(c, SQL_KEY_REVOKE);
    pg_bind_text(s, 1, prefix);
    pg_bind_int64(s, 2, now);
    rc = step_done(c, s, "key_revoke");
    if (rc == STORE_OK && pg_changes(c) == 0)
        rc = STORE_ENOTFOUND;
    return pg_unit_end(c, rc);
}

/* ---- idempotency ---- */

static const char SQL_IDEM_GET[] =
    "SELECT fingerprint, status, body, created_at FROM idempotency_keys "
    "WHERE account_id = ?1 AND key = ?2 AND created_at >= ?3";
static const char SQL_IDEM_EXPIRE[] = "DELETE FROM idempotency_keys WHERE ctid IN "
                                      "(SELECT ctid FROM idempotency_keys "
                                      " WHERE created_at < ?1 LIMIT 100)";
static const char SQL_IDEM_PUT[] =
    "INSERT INTO idempotency_keys(account_id, key, fingerprint, status, body, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(account_id, key) DO UPDATE SET "
    "fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body, "
    "created_at = excluded.created_at WHERE idempotency_keys.created_at < ?7";

static int op_idem_get(struct store *st, const char *account_id, const char *key,
                       int64_t not_before, struct idem_record *out) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(c, SQL_IDEM_GET);
    pg_bind_text(s, 1, account_id);
    pg_bind_text(s, 2, key);
    pg_bind_int64(s, 3, not_before);
    int rc = pg_step(s);
    if (rc == PG_ROW) {
        snprintf(out->account_id, sizeof out->account_id, "%s", account_id);
        out->key = key;
        copy_col(out->fingerprint, sizeof out->fingerprint, s, 0);
        out->status = pg_col_int(s, 1);
        out->body = pg_col_text(s, 2);
        out->created_at = pg_col_int64(s, 3);
        pg_reset(s);
        return STORE_OK;
    }
    pg_reset(s);
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(c, rc, "idem_get");
}

static int op_idem_put(struct store *st, const struct idem_record *r, int64_t expire_before) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    int rc = pg_unit_begin(c);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(c, SQL_IDEM_EXPIRE);
    pg_bind_int64(s, 1, expire_before);
    rc = step_done(c, s, "idem_expire");
    if (rc == STORE_OK) {
        s = pg_prep(c, SQL_IDEM_PUT);
        pg_bind_text(s, 1, r->account_id);
        pg_bind_text(s, 2, r->key);
        pg_bind_text(s, 3, r->fingerprint);
        pg_bind_int64(s, 4, r->status);
        pg_bind_text(s, 5, r->body ? r->body : "");
        pg_bind_int64(s, 6, r->created_at);
        pg_bind_int64(s, 7, expire_before);
        rc = step_done(c, s, "idem_put");
        if (rc == STORE_OK && pg_changes(c) == 0)
            rc = STORE_ECONFLICT; /* a live record holds the key */
    }
    return pg_unit_end(c, rc);
}

static void op_close(struct store *st) {
    struct pg_store *s = (struct pg_store *)st;
    pg_listen_close(st);
    pthread_key_delete(s->key);
    pthread_mutex_lock(&s->mu);
    struct pg_conn *c = s->conns;
    s->conns = NULL;
    pthread_mutex_unlock(&s->mu);
    while (c) {
        struct pg_conn *next = c->next;
        pg_thread_conn_destroy_unlinked(c);
        c = next;
    }
    pthread_mutex_destroy(&s->mu);
    free(s->url);
    free(s);
}

static const struct store_ops pg_ops = {
    .name = "postgres",
    .shared = 1,
    .close = op_close,
    .ping = op_ping,
    .snapshot = op_snapshot,
    .begin = op_begin,
    .commit = op_commit,
    .rollback = op_rollback,
    .begin_batch = op_begin_batch,
    .meta_get = op_meta_get,
    .meta_get_or_put = op_meta_get_or_put,
    .account_insert = op_account_insert,
    .account_exists = op_account_exists,
    .key_insert = op_key_insert,
    .key_get = op_key_get,
    .key_revoke = op_key_revoke,
    .idem_get = op_idem_get,
    .idem_put = op_idem_put,
    .campaign_insert = pg_campaign_insert,
    .campaign_get = pg_campaign_get,
    .campaign_get_with_key = pg_campaign_get_with_key,
    .campaign_list = pg_campaign_list,
    .campaign_update = pg_campaign_update,
    .campaign_move = pg_campaign_move,
    .recipients_insert = pg_recipients_insert,
    .recipient_list = pg_recipient_list,
    .recipient_get = pg_recipient_get,
    .carrier_list = pg_carrier_list,
    .carrier_put = pg_carrier_put,
    .carrier_delete = pg_carrier_delete,
    .submits_mark = pg_submits_mark,
    .attempt_provider = pg_attempt_provider,
    .attempt_by_provider_id = pg_attempt_by_provider_id,
    .segment_receipt = pg_segment_receipt,
    .sim_put = pg_sim_put,
    .sim_batches = pg_sim_batches,
    .inbox_put = pg_inbox_put,
    .inbox_read = pg_inbox_read,
    .inbox_delete = pg_inbox_delete,
    .provider_list = pg_provider_list,
    .provider_put = pg_provider_put,
    .provider_delete = pg_provider_delete,
    .relane = pg_relane,
    .engine_campaigns = pg_engine_campaigns,
    .campaign_lanes = pg_campaign_lanes,
    .lane_next_due = pg_lane_next_due,
    .claim = pg_claim,
    .apply_ends = pg_apply_ends,
    .unclaim = pg_unclaim,
    .lane_hold = pg_lane_hold,
    .in_flight = pg_in_flight,
    .renew_leases = pg_renew_leases,
    .complete_finished = pg_complete_finished,
    .fail_unknown_submits = pg_fail_unknown_submits,
    .expire_ended = pg_expire_ended,
    .events_due = pg_events_due,
    .event_body = pg_event_body,
    .event_result = pg_event_result,
    .events_lease = pg_events_lease,
    .events_next = pg_events_next,
    .event_list = pg_event_list,
    .event_redeliver = pg_event_redeliver,
    .webhook_secrets = pg_webhook_secrets,
    .webhook_rotate = pg_webhook_rotate,
    .call_list = pg_call_list,
    .call_get = pg_call_get,
    .call_set_media = pg_call_set_media,
    .message_set_pricing = pg_message_set_pricing,
    .message_list = pg_message_list,
    .message_get = pg_message_get,
    .opt_out_insert = pg_opt_out_insert,
    .opt_out_list = pg_opt_out_list,
    .opt_out_delete = pg_opt_out_delete,
    .opt_out_remove_blanket = pg_opt_out_remove_blanket,
    .sender_account = pg_sender_account,
    .inbound_insert = pg_inbound_insert,
    .notify = pg_notify,
    .listen_open = pg_listen_open,
    .listen_read = pg_listen_read,
    .listen_close = pg_listen_close,
    .sweeper_try = pg_sweeper_try,
};

static int exec_or_report(PGconn *db, const char *sql, const char *what, char *err, size_t errlen) {
    PGresult *r = PQexec(db, sql);
    ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return STORE_OK;
    snprintf(err, errlen, "%s: %s", what, pg_message(db));
    return STORE_EIO;
}

/* Applies the migrations this database lacks, each in its own transaction,
 * holding a session advisory lock so that only one node migrates at a
 * time (the others wait, then find nothing left to do). */
static int migrate(PGconn *db, char *err, size_t errlen) {
    if (exec_or_report(db, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", "cannot lock", err,
                       errlen))
        return STORE_EBUSY;
    int rc = exec_or_report(db,
                            "CREATE TABLE IF NOT EXISTS schema_migrations "
                            "(version BIGINT NOT NULL)",
                            "cannot create schema_migrations", err, errlen);
    int version = 0;
    if (rc == STORE_OK) {
        PGresult *r = PQexec(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            version = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
        else
            rc = exec_or_report(db, "SELECT 1 FROM schema_migrations", "cannot read version", err,
                                errlen);
        PQclear(r);
    }
    if (rc == STORE_OK && version > pg_migration_count) {
        snprintf(err, errlen, "database schema %d is newer than this campaignd (%d)", version,
                 pg_migration_count);
        rc = STORE_EIO;
    }
    for (int v = version; rc == STORE_OK && v < pg_migration_count; v++) {
        char record[96];
        snprintf(record, sizeof record, "INSERT INTO schema_migrations(version) VALUES (%d)",
                 v + 1);
        char what[48];
        snprintf(what, sizeof what, "migration %d failed", v + 1);
        rc = exec_or_report(db, "BEGIN", what, err, errlen);
        if (rc == STORE_OK)
            rc = exec_or_report(db, pg_migrations[v], what, err, errlen);
        if (rc == STORE_OK)
            rc = exec_or_report(db, record, what, err, errlen);
        if (rc == STORE_OK)
            rc = exec_or_report(db, "COMMIT", what, err, errlen);
        if (rc != STORE_OK) {
            PQclear(PQexec(db, "ROLLBACK"));
            break;
        }
        log_info("postgres: applied migration %d", v + 1);
    }
    PQclear(PQexec(db, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")"));
    return rc;
}

int store_pg_open(const char *url, const struct store_options *opts, struct store **out, char *err,
                  size_t errlen) {
    (void)opts;
    PGconn *db = pg_connect(url);
    if (!db) {
        snprintf(err, errlen, "cannot connect to the PostgreSQL database (see the log)");
        return STORE_EIO;
    }
    int rc = migrate(db, err, errlen);
    PQfinish(db);
    if (rc)
        return rc;
    struct pg_store *s = xcalloc(1, sizeof *s);
    s->base.ops = &pg_ops;
    s->url = xstrdup(url);
    pthread_mutex_init(&s->mu, NULL);
    pthread_key_create(&s->key, pg_thread_conn_destroy);
    *out = &s->base;
    return STORE_OK;
}
