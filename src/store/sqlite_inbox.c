/* sqlite_inbox.c - reports that arrived from outside (a provider's HTTP
 * callback) on their way to the engine: written durably by the HTTP thread
 * before it answers 2xx, read by the engine, deleted once applied (in the
 * transaction that applies it). A report is thus never lost between the
 * answer and the engine, and the engine applies it at most once in effect
 * (moves are forward only). Nodes sharing the store all read the inbox;
 * the delete answers which rows it removed, and a node applies only those
 * (the others were applied by the node that removed them first). */
#include "store/sqlite_internal.h"
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

int sqlite_inbox_put(struct store *st, const char *provider, const struct attempt_end *ends,
                     size_t n, int64_t now) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        const struct attempt_end *e = &ends[i];
        sqlite3_stmt *s = sqlite_prep(conn, SQL_PUT);
        sqlite3_bind_text(s, 1, provider, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, e->call_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, (int)e->channel);
        sqlite3_bind_int(s, 4, (int)e->status);
        sqlite3_bind_int(s, 5, (int)e->mstatus);
        sqlite3_bind_int64(s, 6, e->answered_at);
        sqlite3_bind_int64(s, 7, e->ended_at);
        sqlite3_bind_text(s, 8, e->provider_call_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 9, now);
        sqlite3_bind_int(s, 10, (int)e->answered_by);
        if (e->has_duration)
            sqlite3_bind_int64(s, 11, e->duration_ms);
        else
            sqlite3_bind_null(s, 11);
        sqlite3_bind_text(s, 12, e->ended_reason, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 13, e->error_code, -1, SQLITE_STATIC);
        rc = sqlite_err(conn, sqlite3_step(s), "inbox_put");
        sqlite3_reset(s);
    }
    return sqlite_unit_end(conn, rc);
}

static void read_row(sqlite3_stmt *s, void *item) {
    struct inbox_report *r = item;
    r->seq = sqlite3_column_int64(s, 0);
    snprintf(r->provider, sizeof r->provider, "%s", (const char *)sqlite3_column_text(s, 1));
    struct attempt_end *e = &r->end;
    snprintf(e->call_id, sizeof e->call_id, "%s", (const char *)sqlite3_column_text(s, 2));
    e->channel = (enum channel)sqlite3_column_int(s, 3);
    e->status = (enum call_status)sqlite3_column_int(s, 4);
    e->mstatus = (enum message_status)sqlite3_column_int(s, 5);
    e->answered_at = sqlite3_column_int64(s, 6);
    e->ended_at = sqlite3_column_int64(s, 7);
    snprintf(e->provider_call_id, sizeof e->provider_call_id, "%s",
             (const char *)sqlite3_column_text(s, 8));
    e->answered_by = (enum answered_by)sqlite3_column_int(s, 9);
    e->has_duration = sqlite3_column_type(s, 10) != SQLITE_NULL;
    e->duration_ms = sqlite3_column_int64(s, 10);
    snprintf(e->ended_reason, sizeof e->ended_reason, "%s",
             (const char *)sqlite3_column_text(s, 11));
    snprintf(e->error_code, sizeof e->error_code, "%s", (const char *)sqlite3_column_text(s, 12));
}

int sqlite_inbox_read(struct store *st, int64_t after_seq, size_t limit, struct inbox_report **out,
                      size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_READ);
    sqlite3_bind_int64(s, 1, after_seq);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
    return sqlite_read_all(conn, s, sizeof **out, read_row, NULL, (void **)out, n, "inbox_read");
}

static void read_seq(sqlite3_stmt *s, void *item) {
    *(int64_t *)item = sqlite3_column_int64(s, 0);
}

static int seq_cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int sqlite_inbox_delete(struct store *st, int64_t up_to_seq, int64_t **deleted, size_t *ndeleted) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    *deleted = NULL;
    *ndeleted = 0;
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_DELETE);
    sqlite3_bind_int64(s, 1, up_to_seq);
    rc = sqlite_read_all(conn, s, sizeof **deleted, read_seq, NULL, (void **)deleted, ndeleted,
                         "inbox_delete");
    if (rc == STORE_OK && *ndeleted > 1)
        qsort(*deleted, *ndeleted, sizeof **deleted, seq_cmp);
    return sqlite_unit_end(conn, rc);
}
