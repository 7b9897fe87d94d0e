/* pg_messages.c - message rows (read side), opt-outs and inbound
 * messages of the PostgreSQL backend. Opt-outs are unique per (account,
 * number, channel, category) with "" for a blanket one, so the engine's
 * suppression check is one indexed probe. */
#include "store/pg_internal.h"
#include "util/alloc.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ---- */

#define MESSAGE_COLS                                                                               \
    "m.seq, m.id, coalesce(camp.id, ''), r.id, m.channel, m.from_id, m.to_number, m.body, "        \
    "m.template, m.carrier, m.provider, m.provider_message_id, m.encoding, m.attempt, "            \
    "coalesce(m.segments, 0), m.status, m.created_at, m.sent_at, m.delivered_at, m.read_at, "      \
    "m.failed_at, m.updated_at, m.error_code, m.pricing_category"
#define MESSAGE_FROM                                                                               \
    " FROM messages m LEFT JOIN campaigns camp ON camp.seq = m.campaign_seq "                      \
    "JOIN recipients r ON r.seq = m.recipient_seq "

static const char SQL_MSG_BY_ACCOUNT[] =
    "SELECT " MESSAGE_COLS MESSAGE_FROM "WHERE m.account_id = ?1 AND m.seq < ?2 "
    "AND (?3 IS NULL OR m.status = ?3) ORDER BY m.seq DESC LIMIT ?4";
static const char SQL_MSG_BY_CAMPAIGN[] =
    "SELECT " MESSAGE_COLS MESSAGE_FROM "WHERE m.campaign_seq = (SELECT seq FROM campaigns WHERE "
    "id = ?5 AND account_id = ?1) AND m.account_id = ?1 AND m.seq < ?2 "
    "AND (?3 IS NULL OR m.status = ?3) ORDER BY m.seq DESC LIMIT ?4";
static const char SQL_MSG_BY_RECIPIENT[] =
    "SELECT " MESSAGE_COLS MESSAGE_FROM "WHERE m.recipient_seq = (SELECT seq FROM recipients "
    "WHERE id = ?6) AND m.account_id = ?1 AND m.seq < ?2 AND (?3 IS NULL OR m.status = ?3) "
    "AND (?5 IS NULL OR camp.id = ?5) ORDER BY m.seq DESC LIMIT ?4";
static const char SQL_MSG_BY_SEQ[] = "SELECT " MESSAGE_COLS MESSAGE_FROM "WHERE m.seq = ?1";
static const char SQL_MSG_GET[] =
    "SELECT " MESSAGE_COLS MESSAGE_FROM "WHERE m.id = ?1 AND m.account_id = ?2";

static void read_message(struct pg_stmt *s, struct message *m) {
    memset(m, 0, sizeof *m);
    int i = 0;
    m->seq = pg_col_int64(s, i++);
    snprintf(m->id, sizeof m->id, "%s", (const char *)pg_col_raw(s, i++));
    snprintf(m->campaign_id, sizeof m->campaign_id, "%s", (const char *)pg_col_raw(s, i++));
    snprintf(m->recipient_id, sizeof m->recipient_id, "%s", (const char *)pg_col_raw(s, i++));
    channel_parse((const char *)pg_col_raw(s, i++), &m->channel);
    m->from = pg_col_text(s, i++);
    m->to = pg_col_text(s, i++);
    m->body = pg_col_text(s, i++);
    m->template_json = pg_col_text(s, i++);
    m->carrier = pg_col_text(s, i++);
    m->provider = pg_col_text(s, i++);
    m->provider_message_id = pg_col_text(s, i++);
    m->encoding = pg_col_text(s, i++);
    m->attempt = pg_col_int(s, i++);
    m->segments = pg_col_int(s, i++);
    message_status_parse((const char *)pg_col_raw(s, i++), &m->status);
    m->created_at = pg_col_int64(s, i++);
    m->sent_at = pg_col_int64(s, i++);
    m->delivered_at = pg_col_int64(s, i++);
    m->read_at = pg_col_int64(s, i++);
    m->failed_at = pg_col_int64(s, i++);
    m->updated_at = pg_col_int64(s, i++);
    m->error_code = pg_col_text(s, i++);
    m->pricing_category = pg_col_text(s, i++);
}

static const char SQL_SET_PRICING[] =
    "UPDATE messages SET pricing_category = coalesce(pricing_category, ?2) WHERE id = ?1";

int pg_message_set_pricing(struct store *st, const char *message_id, const char *category) {
    const char *texts[] = {message_id, category};
    return pg_update_texts(st, SQL_SET_PRICING, "message_set_pricing", texts, 2);
}

static void read_message_item(struct pg_stmt *s, void *item) {
    read_message(s, item);
}

static void clear_message_item(void *item) {
    message_clear(item);
}

int pg_message_list(struct store *st, const char *account_id, const struct message_filter *f,
                    int64_t before_seq, size_t limit, struct message_page *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    memset(out, 0, sizeof *out);
    const char *sql = f->recipient_id  ? SQL_MSG_BY_RECIPIENT
                      : f->campaign_id ? SQL_MSG_BY_CAMPAIGN
                                       : SQL_MSG_BY_ACCOUNT;
    struct pg_stmt *s = pg_prep(conn, sql);
    pg_bind_text(s, 1, account_id);
    pg_bind_int64(s, 2, before_seq > 0 ? before_seq : INT64_MAX);
    pg_bind_text_or_null(s, 3, f->has_status ? message_status_name(f->status) : NULL);
    pg_bind_int64(s, 4, (int64_t)limit + 1);
    if (sql != SQL_MSG_BY_ACCOUNT)
        pg_bind_text_or_null(s, 5, f->campaign_id);
    if (sql == SQL_MSG_BY_RECIPIENT)
        pg_bind_text(s, 6, f->recipient_id);
    return pg_read_page(conn, s, limit, sizeof *out->items, read_message_item, clear_message_item,
                        (void **)&out->items, &out->count, &out->more, "message_list");
}

int pg_message_get(struct store *st, const char *account_id, const char *id, struct message *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_MSG_GET);
    pg_bind_text(s, 1, id);
    pg_bind_text(s, 2, account_id);
    int rc = pg_step(s);
    if (rc == PG_ROW) {
        read_message(s, out);
        pg_reset(s);
        return STORE_OK;
    }
    pg_reset(s);
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "message_get");
}

/* ---- opt-outs ---- */

#define OPT_COLS "seq, id, account_id, phone_number, channel, category, source, created_at"
static const char SQL_OPT_INSERT[] =
    "INSERT INTO opt_outs(id, account_id, phone_number, channel, category, source, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
static const char SQL_OPT_FIND[] =
    "SELECT " OPT_COLS " FROM opt_outs WHERE account_id = ?1 AND phone_number = ?2 "
    "AND channel = ?3 AND category = ?4";
static const char SQL_OPT_LIST[] =
    "SELECT " OPT_COLS " FROM opt_outs WHERE account_id = ?1 AND seq < ?2 "
    "AND (?3 IS NULL OR channel = ?3) AND (?4 IS NULL OR phone_number = ?4) "
    "ORDER BY seq DESC LIMIT ?5";
static const char SQL_OPT_DELETE[] = "DELETE FROM opt_outs WHERE id = ?1 AND account_id = ?2";
static const char SQL_OPT_REMOVE_BLANKET[] =
    "DELETE FROM opt_outs WHERE account_id = ?1 AND phone_number = ?2 AND channel = ?3 "
    "AND category = ''";

static void read_opt(struct pg_stmt *s, struct opt_out *o) {
    memset(o, 0, sizeof *o);
    o->seq = pg_col_int64(s, 0);
    snprintf(o->id, sizeof o->id, "%s", (const char *)pg_col_raw(s, 1));
    snprintf(o->account_id, sizeof o->account_id, "%s", (const char *)pg_col_raw(s, 2));
    snprintf(o->phone_number, sizeof o->phone_number, "%s", (const char *)pg_col_raw(s, 3));
    channel_parse((const char *)pg_col_raw(s, 4), &o->channel);
    snprintf(o->category, sizeof o->category, "%s", (const char *)pg_col_raw(s, 5));
    snprintf(o->source, sizeof o->source, "%s", (const char *)pg_col_raw(s, 6));
    o->created_at = pg_col_int64(s, 7);
}

static void read_opt_out_item(struct pg_stmt *s, void *item) {
    read_opt(s, item);
}

int pg_opt_out_insert(struct store *st, struct opt_out *o, int *created) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_OPT_INSERT);
    pg_bind_text(s, 1, o->id);
    pg_bind_text(s, 2, o->account_id);
    pg_bind_text(s, 3, o->phone_number);
    pg_bind_text(s, 4, channel_name(o->channel));
    pg_bind_text(s, 5, o->category);
    pg_bind_text(s, 6, o->source);
    pg_bind_int64(s, 7, o->created_at);
    rc = pg_err(conn, pg_step(s), "opt_out_insert");
    pg_reset(s);
    *created = rc == STORE_OK && pg_changes(conn) == 1;
    if (rc == STORE_OK) {
        struct opt_out want = *o;
        s = pg_prep(conn, SQL_OPT_FIND);
        pg_bind_text(s, 1, want.account_id);
        pg_bind_text(s, 2, want.phone_number);
        pg_bind_text(s, 3, channel_name(want.channel));
        pg_bind_text(s, 4, want.category);
        int step = pg_step(s);
        if (step == PG_ROW)
            read_opt(s, o);
        else
            rc = pg_err(conn, step, "opt_out_find");
        pg_reset(s);
    }
    return pg_unit_end(conn, rc);
}

int pg_opt_out_list(struct store *st, const char *account_id, const struct opt_out_filter *f,
                    int64_t before_seq, size_t limit, struct opt_out_page *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    memset(out, 0, sizeof *out);
    struct pg_stmt *s = pg_prep(conn, SQL_OPT_LIST);
    pg_bind_text(s, 1, account_id);
    pg_bind_int64(s, 2, before_seq > 0 ? before_seq : INT64_MAX);
    pg_bind_text_or_null(s, 3, f->has_channel ? channel_name(f->channel) : NULL);
    pg_bind_text_or_null(s, 4, f->phone_number);
    pg_bind_int64(s, 5, (int64_t)limit + 1);
    return pg_read_page(conn, s, limit, sizeof *out->items, read_opt_out_item, NULL,
                        (void **)&out->items, &out->count, &out->more, "opt_out_list");
}

int pg_opt_out_delete(struct store *st, const char *account_id, const char *id) {
    return pg_delete_by_key(st, SQL_OPT_DELETE, id, account_id, NULL, "opt_out_delete");
}

int pg_opt_out_remove_blanket(struct store *st, const char *account_id, const char *number,
                              enum channel ch) {
    return pg_delete_by_key(st, SQL_OPT_REMOVE_BLANKET, account_id, number, channel_name(ch),
                            "opt_out_remove");
}

/* ---- inbound ---- */

static const char SQL_SENDER_ACCOUNT[] = "SELECT account_id FROM campaigns WHERE channel = ?1 AND "
                                         "sender = ?2 ORDER BY seq LIMIT 1";
static const char SQL_INBOUND[] =
    "INSERT INTO inbound_messages(account_id, channel, from_number, to_id, body, action, "
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

int pg_sender_account(struct store *st, enum channel ch, const char *sender, char account_id[48]) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_SENDER_ACCOUNT);
    pg_bind_text(s, 1, channel_name(ch));
    pg_bind_text(s, 2, sender);
    int rc = pg_step(s);
    if (rc == PG_ROW)
        snprintf(account_id, 48, "%s", (const char *)pg_col_raw(s, 0));
    pg_reset(s);
    if (rc == PG_ROW)
        return STORE_OK;
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "sender_account");
}

int pg_inbound_insert(struct store *st, const char *account_id, enum channel ch, const char *from,
                      const char *to, const char *body, const char *action, int64_t now) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_INBOUND);
    pg_bind_text_or_null(s, 1, account_id && account_id[0] ? account_id : NULL);
    pg_bind_text(s, 2, channel_name(ch));
    pg_bind_text(s, 3, from);
    pg_bind_text(s, 4, to);
    pg_bind_text(s, 5, body);
    pg_bind_text(s, 6, action);
    pg_bind_int64(s, 7, now);
    rc = pg_err(conn, pg_step(s), "inbound_insert");
    pg_reset(s);
    return pg_unit_end(conn, rc);
}

int pg_message_by_seq(struct pg_conn *conn, int64_t seq, struct message *out) {
    struct pg_stmt *s = pg_prep(conn, SQL_MSG_BY_SEQ);
    pg_bind_int64(s, 1, seq);
    int rc = pg_step(s);
    if (rc == PG_ROW)
        read_message(s, out);
    pg_reset(s);
    if (rc == PG_ROW)
        return STORE_OK;
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "message_by_seq");
}
