/* pg_calls.c - reading call rows: list newest first by keyset on seq,
 * through the index that fits the filter (recipient, campaign, or the
 * account), and get one. Every query is scoped to the account. */
#include "store/pg_internal.h"
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

static void read_row(struct pg_stmt *s, struct call *c) {
    memset(c, 0, sizeof *c);
    int i = 0;
    c->seq = pg_col_int64(s, i++);
    snprintf(c->id, sizeof c->id, "%s", (const char *)pg_col_raw(s, i++));
    snprintf(c->campaign_id, sizeof c->campaign_id, "%s", (const char *)pg_col_raw(s, i++));
    snprintf(c->recipient_id, sizeof c->recipient_id, "%s", (const char *)pg_col_raw(s, i++));
    c->agent_id = pg_col_text(s, i++);
    c->from = pg_col_text(s, i++);
    c->to = pg_col_text(s, i++);
    c->carrier = pg_col_text(s, i++);
    c->provider = pg_col_text(s, i++);
    c->provider_call_id = pg_col_text(s, i++);
    c->attempt = pg_col_int(s, i++);
    call_status_parse((const char *)pg_col_raw(s, i++), &c->status);
    c->created_at = pg_col_int64(s, i++);
    c->answered_at = pg_col_int64(s, i++);
    c->ended_at = pg_col_int64(s, i++);
    c->duration_ms = pg_col_null(s, i) ? -1 : pg_col_int64(s, i);
    i++;
    const char *by = pg_col_raw(s, i++);
    if (by)
        answered_by_parse((const char *)by, &c->answered_by);
    c->ended_reason = pg_col_text(s, i++);
    c->error_code = pg_col_text(s, i++);
    c->transcript = pg_col_text(s, i++);
    c->recording_url = pg_col_text(s, i++);
}

static void read_call_item(struct pg_stmt *s, void *item) {
    read_row(s, item);
}

static void clear_call_item(void *item) {
    call_clear(item);
}

int pg_call_list(struct store *st, const char *account_id, const struct call_filter *f,
                 int64_t before_seq, size_t limit, struct call_page *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    memset(out, 0, sizeof *out);
    const char *sql = f->recipient_id  ? SQL_BY_RECIPIENT
                      : f->campaign_id ? SQL_BY_CAMPAIGN
                                       : SQL_BY_ACCOUNT;
    struct pg_stmt *s = pg_prep(conn, sql);
    pg_bind_text(s, 1, account_id);
    pg_bind_int64(s, 2, before_seq > 0 ? before_seq : INT64_MAX);
    pg_bind_text_or_null(s, 3, f->has_status ? call_status_name(f->status) : NULL);
    pg_bind_int64(s, 4, (int64_t)limit + 1);
    if (sql != SQL_BY_ACCOUNT)
        pg_bind_text_or_null(s, 5, f->campaign_id);
    if (sql == SQL_BY_RECIPIENT)
        pg_bind_text(s, 6, f->recipient_id);
    return pg_read_page(conn, s, limit, sizeof *out->items, read_call_item, clear_call_item,
                        (void **)&out->items, &out->count, &out->more, "call_list");
}

int pg_call_get(struct store *st, const char *account_id, const char *id, struct call *out) {
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
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "call_get");
}

static const char SQL_BY_SEQ[] = "SELECT " CALL_COLS CALL_FROM "WHERE c.seq = ?1";

int pg_call_by_seq(struct pg_conn *conn, int64_t seq, struct call *out) {
    struct pg_stmt *s = pg_prep(conn, SQL_BY_SEQ);
    pg_bind_int64(s, 1, seq);
    int rc = pg_step(s);
    if (rc == PG_ROW)
        read_row(s, out);
    pg_reset(s);
    if (rc == PG_ROW)
        return STORE_OK;
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "call_by_seq");
}

static const char SQL_SET_MEDIA[] = "UPDATE calls SET transcript = coalesce(?2, transcript), "
                                    "recording_url = coalesce(?3, recording_url) WHERE id = ?1";

int pg_call_set_media(struct store *st, const char *call_id, const char *transcript,
                      const char *recording_url) {
    const char *texts[] = {call_id, transcript, recording_url};
    return pg_update_texts(st, SQL_SET_MEDIA, "call_set_media", texts, 3);
}
