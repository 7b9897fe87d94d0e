/* pg_inbox.c - reports that arrived from outside (a provider's HTTP
 * callback) on their way to the engine: written durably by the HTTP thread
 * before it answers 2xx, read by the engine, deleted once applied (in the
 * transaction that applies it). A report is thus never lost between the
 * answer and the engine, and the engine applies it at most once in effect
 * (moves are forward only). Nodes sharing the store all read the inbox;
 * the delete answers which rows it removed, and a node applies only those
 * (the others were applied by the node that removed them first). */
#include "store/pg_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_PUT[] =
    "INSERT INTO provider_inbox(provider, call_id, channel, status, mstatus, answered_at, "
    "ended_at, provider_id, received_at, answered_by, duration_ms, ended_reason, error_code) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char SQL_READ[] =
    "SELECT seq, provider, call_id, channel, status, mstatus, answered_at, ended_at, "
    "provider_id, answered_by, duration_ms, ended_reason, error_code FROM provider_inbox "
    "WHERE seq > ?1 ORDER BY seq LIMIT ?2";
static const char SQL_DELETE[] = "DELETE FROM provider_inbox WHERE seq <= ?1 RETURNING seq";

int pg_inbox_put(struct store *st, const char *provider, const struct attempt_end *ends, size_t n,
                 int64_t now) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    int rc = pg_unit_begin(conn);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        const struct attempt_end *e = &ends[i];
        struct pg_stmt *s = pg_prep(conn, SQL_PUT);
        pg_bind_text(s, 1, provider);
        pg_bind_text(s, 2, e->call_id);
        pg_bind_int64(s, 3, (int)e->channel);
        pg_bind_int64(s, 4, (int)e->status);
        pg_bind_int64(s, 5, (int)e->mstatus);
        pg_bind_int64(s, 6, e->answered_at);
        pg_bind_int64(s, 7, e->ended_at);
        pg_bind_text(s, 8, e->provider_call_id);
        pg_bind_int64(s, 9, now);
        pg_bind_int64(s, 10, (int)e->answered_by);
        if (e->has_duration)
            pg_bind_int64(s, 11, e->duration_ms);
        else
            pg_bind_null(s, 11);
        pg_bind_text(s, 12, e->ended_reason);
        pg_bind_text(s, 13, e->error_code);
        rc = pg_err(conn, pg_step(s), "inbox_put");
        pg_reset(s);
    }
    return pg_unit_end(conn, rc);
}

static void read_row(struct pg_stmt *s, void *item) {
    struct inbox_report *r = item;
    r->seq = pg_col_int64(s, 0);
    snprintf(r->provider, sizeof r->provider, "%s", (const char *)pg_col_raw(s, 1));
    struct attempt_end *e = &r->end;
    snprintf(e->call_id, sizeof e->call_id, "%s", (const char *)pg_col_raw(s, 2));
    e->channel = (enum channel)pg_col_int(s, 3);
    e->status = (enum call_status)pg_col_int(s, 4);
    e->mstatus = (enum message_status)pg_col_int(s, 5);
    e->answered_at = pg_col_int64(s, 6);
    e->ended_at = pg_col_int64(s, 7);
    snprintf(e->provider_call_id, sizeof e->provider_call_id, "%s", (const char *)pg_col_raw(s, 8));
    e->answered_by = (enum answered_by)pg_col_int(s, 9);
    e->has_duration = !pg_col_null(s, 10);
    e->duration_ms = pg_col_int64(s, 10);
    snprintf(e->ended_reason, sizeof e->ended_reason, "%s", (const char *)pg_col_raw(s, 11));
    snprintf(e->error_code, sizeof e->error_code, "%s", (const char *)pg_col_raw(s, 12));
}

int pg_inbox_read(struct store *st, int64_t after_seq, size_t limit, struct inbox_report **out,
                  size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_READ);
    pg_bind_int64(s, 1, after_seq);
    pg_bind_int64(s, 2, (int64_t)limit);
    return pg_read_all(conn, s, sizeof **out, read_row, NULL, (void **)out, n, "inbox_read");
}

static void read_seq(struct pg_stmt *s, void *item) {
    *(int64_t *)item = pg_col_int64(s, 0);
}

static int seq_cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int pg_inbox_delete(struct store *st, int64_t up_to_seq, int64_t **deleted, size_t *ndeleted) {
    struct pg_conn *conn = pg_conn_get(st);
    *deleted = NULL;
    *ndeleted = 0;
    if (!conn)
        return PG_NO_CONN;
    int rc = pg_unit_begin(conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_DELETE);
    pg_bind_int64(s, 1, up_to_seq);
    rc = pg_read_all(conn, s, sizeof **deleted, read_seq, NULL, (void **)deleted, ndeleted,
                     "inbox_delete");
    if (rc == STORE_OK && *ndeleted > 1)
        qsort(*deleted, *ndeleted, sizeof **deleted, seq_cmp);
    return pg_unit_end(conn, rc);
}
