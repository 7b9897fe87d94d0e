/* sqlite_calls.c - reading call rows: list newest first by keyset on seq,
 * through the index that fits the filter (recipient, campaign, or the
 * account), and get one. Every query is scoped to the account. */
#include "store/sqlite_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_COLS                                                                                  \
    "c.seq, c.id, coalesce(camp.id, ''), r.id, c.agent_id, c.from_number, c.to_number, "           \
    "c.carrier, c.provider, c.provider_call_id, c.attempt, c.status, c.created_at, "               \
    "c.answered_at, c.ended_at, c.duration_ms, c.answered_by, c.ended_reason, c.error_code, "      \
    "c.transcript, c.recording_url"
#define CALL_FROM                                                                                  \
    " FROM calls c LEFT JOIN campaigns camp ON camp.seq = c.campaign_seq "                         \
    "JOIN recipients r ON r.seq = c.recipient_seq "

static const char SQL_BY_ACCOUNT[] =
    "SELECT " CALL_COLS CALL_FROM "WHERE c.account_id = ?1 AND c.seq < ?2 "
    "AND (?3 IS NULL OR c.status = ?3) ORDER BY c.seq DESC LIMIT ?4";
static const char SQL_BY_CAMPAIGN[] =
    "SELECT " CALL_COLS CALL_FROM "WHERE c.campaign_seq = (SELECT seq FROM campaigns WHERE id = "
    "?5 AND account_id = ?1) AND c.account_id = ?1 AND c.seq < ?2 "
    "AND (?3 IS NULL OR c.status = ?3) ORDER BY c.seq DESC LIMIT ?4";
static const char SQL_BY_RECIPIENT[] =
    "SELECT " CALL_COLS CALL_FROM "WHERE c.recipient_seq = (SELECT seq FROM recipients WHERE id = "
    "?6) AND c.account_id = ?1 AND c.seq < ?2 AND (?3 IS NULL OR c.status = ?3) "
    "AND (?5 IS NULL OR camp.id = ?5) ORDER BY c.seq DESC LIMIT ?4";
static const char SQL_GET[] = "SELECT " CALL_COLS CALL_FROM "WHERE c.id = ?1 AND c.account_id = ?2";

static void read_row(sqlite3_stmt *s, struct call *c) {
    memset(c, 0, sizeof *c);
    int i = 0;
    c->seq = sqlite3_column_int64(s, i++);
    snprintf(c->id, sizeof c->id, "%s", (const char *)sqlite3_column_text(s, i++));
    snprintf(c->campaign_id, sizeof c->campaign_id, "%s",
             (const char *)sqlite3_column_text(s, i++));
    snprintf(c->recipient_id, sizeof c->recipient_id, "%s",
             (const char *)sqlite3_column_text(s, i++));
    c->agent_id = sqlite_col_text(s, i++);
    c->from = sqlite_col_text(s, i++);
    c->to = sqlite_col_text(s, i++);
    c->carrier = sqlite_col_text(s, i++);
    c->provider = sqlite_col_text(s, i++);
    c->provider_call_id = sqlite_col_text(s, i++);
    c->attempt = sqlite3_column_int(s, i++);
    call_status_parse((const char *)sqlite3_column_text(s, i++), &c->status);
    c->created_at = sqlite3_column_int64(s, i++);
    c->answered_at = sqlite3_column_int64(s, i++);
    c->ended_at = sqlite3_column_int64(s, i++);
    c->duration_ms = sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, i);
    i++;
    const unsigned char *by = sqlite3_column_text(s, i++);
    if (by)
        answered_by_parse((const char *)by, &c->answered_by);
    c->ended_reason = sqlite_col_text(s, i++);
    c->error_code = sqlite_col_text(s, i++);
    c->transcript = sqlite_col_text(s, i++);
    c->recording_url = sqlite_col_text(s, i++);
}

static void read_call_item(sqlite3_stmt *s, void *item) {
    read_row(s, item);
}

static void clear_call_item(void *item) {
    call_clear(item);
}

int sqlite_call_list(struct store *st, const char *account_id, const struct call_filter *f,
                     int64_t before_seq, size_t limit, struct call_page *out) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    memset(out, 0, sizeof *out);
    const char *sql = f->recipient_id  ? SQL_BY_RECIPIENT
                      : f->campaign_id ? SQL_BY_CAMPAIGN
                                       : SQL_BY_ACCOUNT;
    sqlite3_stmt *s = sqlite_prep(conn, sql);
    sqlite3_bind_text(s, 1, account_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, before_seq > 0 ? before_seq : INT64_MAX);
    sqlite_bind_text_or_null(s, 3, f->has_status ? call_status_name(f->status) : NULL);
    sqlite3_bind_int64(s, 4, (int64_t)limit + 1);
    if (sql != SQL_BY_ACCOUNT)
        sqlite_bind_text_or_null(s, 5, f->campaign_id);
    if (sql == SQL_BY_RECIPIENT)
        sqlite3_bind_text(s, 6, f->recipient_id, -1, SQLITE_STATIC);
    return sqlite_read_page(conn, s, limit, sizeof *out->items, read_call_item, clear_call_item,
                            (void **)&out->items, &out->count, &out->more, "call_list");
}

int sqlite_call_get(struct store *st, const char *account_id, const char *id, struct call *out) {
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
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, rc, "call_get");
}

static const char SQL_BY_SEQ[] = "SELECT " CALL_COLS CALL_FROM "WHERE c.seq = ?1";

int sqlite_call_by_seq(struct sqlite_conn *conn, int64_t seq, struct call *out) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_BY_SEQ);
    sqlite3_bind_int64(s, 1, seq);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        read_row(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, rc, "call_by_seq");
}

static const char SQL_SET_MEDIA[] = "UPDATE calls SET transcript = coalesce(?2, transcript), "
                                    "recording_url = coalesce(?3, recording_url) WHERE id = ?1";

int sqlite_call_set_media(struct store *st, const char *call_id, const char *transcript,
                          const char *recording_url) {
    const char *texts[] = {call_id, transcript, recording_url};
    return sqlite_update_texts(st, SQL_SET_MEDIA, "call_set_media", texts, 3);
}
