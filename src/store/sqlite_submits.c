/* sqlite_submits.c - where each attempt stands toward its provider
 * (calls.submit_state, messages.submit_state: pending, submitting,
 * accepted, rejected; forward only), the provider's id of accepted ones,
 * and finding an attempt by its id or by (provider, provider id).
 * A message sent in several parts (smpp) has a message_segments row per
 * part: its provider id, written with the accepted mark, and the part's
 * receipt (0 none, 1 delivered, 2 undelivered; forward only), so what its
 * parts add up to survives a restart (segment_receipt). The
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
static const char SQL_MARK_SEGMENT[] =
    "INSERT INTO message_segments (provider, segment_id, message_id, nsegments) "
    "SELECT provider, ?2, id, ?3 FROM messages WHERE id = ?1 "
    "ON CONFLICT (provider, segment_id) DO NOTHING";
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
        for (size_t k = 0; k < m[i].nsegments && rc == STORE_OK; k++) {
            s = sqlite_prep(conn, SQL_MARK_SEGMENT);
            sqlite3_bind_text(s, 1, m[i].attempt_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, m[i].segment_ids[k], -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 3, (sqlite3_int64)m[i].nsegments);
            rc = sqlite_err(conn, sqlite3_step(s), "submits_mark");
            sqlite3_reset(s);
        }
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

static const char SQL_SEGMENT_PUT[] =
    "INSERT INTO message_segments (provider, segment_id, message_id, nsegments, receipt) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (provider, segment_id) DO UPDATE SET "
    "receipt = CASE WHEN excluded.receipt > message_segments.receipt THEN excluded.receipt "
    "ELSE message_segments.receipt END";
static const char SQL_SEGMENT_RECEIPT[] =
    "UPDATE message_segments SET receipt = ?3 "
    "WHERE provider = ?1 AND segment_id = ?2 AND receipt < ?3";
static const char SQL_SEGMENT_OF[] = "SELECT message_id, nsegments FROM message_segments "
                                     "WHERE provider = ?1 AND segment_id = ?2";
static const char SQL_SEGMENTS_SUM[] =
    "SELECT count(CASE WHEN receipt = 1 THEN 1 END), count(CASE WHEN receipt = 2 THEN 1 END) "
    "FROM message_segments WHERE provider = ?1 AND message_id = ?2";

/* Records the part's receipt: as given (message_id), or on its stored row. */
static int segment_record(struct sqlite_conn *conn, const char *provider, const char *segment_id,
                          const char *message_id, size_t nsegments, int receipt) {
    sqlite3_stmt *s = sqlite_prep(conn, message_id ? SQL_SEGMENT_PUT : SQL_SEGMENT_RECEIPT);
    sqlite3_bind_text(s, 1, provider, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, segment_id, -1, SQLITE_STATIC);
    if (message_id) {
        sqlite3_bind_text(s, 3, message_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)nsegments);
        sqlite3_bind_int(s, 5, receipt);
    } else {
        sqlite3_bind_int(s, 3, receipt);
    }
    int rc = sqlite_err(conn, sqlite3_step(s), "segment_receipt");
    sqlite3_reset(s);
    return rc;
}

/* What the parts of the message segment_id belongs to add up to. */
static int segment_sum(struct sqlite_conn *conn, const char *provider, const char *segment_id,
                       char attempt_id[48], enum segments_verdict *verdict) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_SEGMENT_OF);
    sqlite3_bind_text(s, 1, provider, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, segment_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    int64_t nsegments = 0;
    if (step == SQLITE_ROW) {
        snprintf(attempt_id, 48, "%s", (const char *)sqlite3_column_text(s, 0));
        nsegments = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, step, "segment_receipt");
    s = sqlite_prep(conn, SQL_SEGMENTS_SUM);
    sqlite3_bind_text(s, 1, provider, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, attempt_id, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        *verdict = segments_verdict_of((size_t)nsegments, (size_t)sqlite3_column_int64(s, 0),
                                       (size_t)sqlite3_column_int64(s, 1));
    sqlite3_reset(s);
    return step == SQLITE_ROW ? STORE_OK : sqlite_err(conn, step, "segment_receipt");
}

int sqlite_segment_receipt(struct store *st, const char *provider, const char *segment_id,
                           const char *message_id, size_t nsegments, int receipt,
                           char attempt_id[48], enum segments_verdict *verdict) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    *verdict = SEGMENTS_PENDING;
    attempt_id[0] = 0;
    int rc = sqlite_unit_begin(conn);
    if (rc == STORE_OK)
        rc = segment_record(conn, provider, segment_id, message_id, nsegments, receipt);
    if (rc == STORE_OK)
        rc = segment_sum(conn, provider, segment_id, attempt_id, verdict);
    return sqlite_unit_end(conn, rc);
}
