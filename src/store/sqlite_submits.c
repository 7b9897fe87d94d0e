/* sqlite_submits.c - where each attempt stands toward its provider
 * (calls.submit_state, messages.submit_state: pending, submitting,
 * accepted, rejected; forward only), the provider's id of accepted ones,
 * and finding an attempt by its id or by (provider, provider id). The
 * attempts in flight, with their state, are read by sqlite_sweeps.c
 * (in_flight, under leases). */
#include "store/sqlite_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_MARK_CALL[] =
    "UPDATE calls SET submit_state = ?2, provider_call_id = coalesce(?3, provider_call_id) "
    "WHERE id = ?1 AND submit_state < ?2";
static const char SQL_MARK_MSG[] =
    "UPDATE messages SET submit_state = ?2, "
    "provider_message_id = coalesce(?3, provider_message_id) WHERE id = ?1 AND submit_state < ?2";
static const char SQL_BY_PROVIDER_CALL[] =
    "SELECT id FROM calls WHERE provider = ?1 AND provider_call_id = ?2";
static const char SQL_BY_PROVIDER_MSG[] =
    "SELECT id, channel FROM messages WHERE provider = ?1 AND provider_message_id = ?2";

int sqlite_submits_mark(struct store *st, const struct submit_mark *m, size_t n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        sqlite3_stmt *s =
            sqlite_prep(conn, m[i].channel == CHANNEL_VOICE ? SQL_MARK_CALL : SQL_MARK_MSG);
        sqlite3_bind_text(s, 1, m[i].attempt_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, m[i].state);
        sqlite_bind_text_or_null(s, 3, m[i].provider_id[0] ? m[i].provider_id : NULL);
        rc = sqlite_err(conn, sqlite3_step(s), "submits_mark");
        sqlite3_reset(s);
    }
    return sqlite_unit_end(conn, rc);
}

static const char SQL_PROVIDER_OF[] = "SELECT provider, 'voice' FROM calls WHERE id = ?1 UNION ALL "
                                      "SELECT provider, channel FROM messages WHERE id = ?1";

int sqlite_attempt_provider(struct store *st, const char *attempt_id, char provider[65],
                            enum channel *ch) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_PROVIDER_OF);
    sqlite3_bind_text(s, 1, attempt_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        snprintf(provider, 65, "%s", (const char *)sqlite3_column_text(s, 0));
        channel_parse((const char *)sqlite3_column_text(s, 1), ch);
    }
    sqlite3_reset(s);
    if (step == SQLITE_ROW)
        return STORE_OK;
    return step == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, step, "attempt_provider");
}

int sqlite_attempt_by_provider_id(struct store *st, const char *provider, const char *provider_id,
                                  char attempt_id[48], enum channel *ch) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_BY_PROVIDER_CALL);
    sqlite3_bind_text(s, 1, provider, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, provider_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        snprintf(attempt_id, 48, "%s", (const char *)sqlite3_column_text(s, 0));
        *ch = CHANNEL_VOICE;
    }
    sqlite3_reset(s);
    if (step == SQLITE_ROW)
        return STORE_OK;
    if (step != SQLITE_DONE)
        return sqlite_err(conn, step, "attempt_by_provider_id");
    s = sqlite_prep(conn, SQL_BY_PROVIDER_MSG);
    sqlite3_bind_text(s, 1, provider, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, provider_id, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        snprintf(attempt_id, 48, "%s", (const char *)sqlite3_column_text(s, 0));
        channel_parse((const char *)sqlite3_column_text(s, 1), ch);
    }
    sqlite3_reset(s);
    if (step == SQLITE_ROW)
        return STORE_OK;
    return step == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, step, "attempt_by_provider_id");
}
