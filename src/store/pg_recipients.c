/* pg_recipients.c - recipient rows of the PostgreSQL backend: the upload
 * (one transaction: campaign state check, inserts skipping duplicates by
 * the UNIQUE (campaign_seq, phone_number) index, counters moved), listing
 * in upload order by keyset on seq, and get. */
#include "store/pg_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECIPIENT_COLS                                                                             \
    "r.seq, r.id, c.id, r.phone_number, r.params, r.status, r.disposition, r.attempts, "           \
    "r.carrier, r.created_at, r.last_attempt_at, r.due_at, r.last_call_id, "                       \
    "r.last_message_id, r.zones"

static const char SQL_INSERT[] =
    "INSERT INTO recipients(id, campaign_seq, phone_number, params, carrier, lane, region, "
    "created_at, updated_at, zones) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9) "
    "ON CONFLICT(campaign_seq, phone_number) DO NOTHING";
static const char SQL_LANE[] =
    "INSERT INTO campaign_lanes(campaign_seq, lane) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
static const char SQL_COUNT[] = "UPDATE campaigns SET total = total + ?2, queued = queued + ?2, "
                                "updated_at = ?3 WHERE seq = ?1";
static const char SQL_LIST[] =
    "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.seq = r.campaign_seq "
    "WHERE r.campaign_seq = ?1 AND r.seq > ?2 AND (?3 IS NULL OR r.status = ?3) "
    "AND (?4 IS NULL OR r.disposition = ?4) ORDER BY r.seq LIMIT ?5";
static const char SQL_GET[] =
    "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.seq = r.campaign_seq "
    "WHERE r.id = ?1 AND c.id = ?2 AND c.account_id = ?3";

static void read_row(struct pg_stmt *s, struct recipient *r) {
    memset(r, 0, sizeof *r);
    int i = 0;
    r->seq = pg_col_int64(s, i++);
    snprintf(r->id, sizeof r->id, "%s", (const char *)pg_col_raw(s, i++));
    snprintf(r->campaign_id, sizeof r->campaign_id, "%s", (const char *)pg_col_raw(s, i++));
    r->phone_number = pg_col_text(s, i++);
    r->params_json = pg_col_text(s, i++);
    recipient_status_parse((const char *)pg_col_raw(s, i++), &r->status);
    const char *d = pg_col_raw(s, i++);
    r->disposition = DISP_NONE;
    if (d)
        disposition_parse((const char *)d, &r->disposition);
    r->attempts = pg_col_int(s, i++);
    r->carrier = pg_col_text(s, i++);
    r->created_at = pg_col_int64(s, i++);
    r->last_attempt_at = pg_col_int64(s, i++);
    r->due_at = pg_col_int64(s, i++);
    r->last_call_id = pg_col_text(s, i++);
    r->last_message_id = pg_col_text(s, i++);
    r->zones = pg_col_text(s, i++);
}

static void read_recipient_item(struct pg_stmt *s, void *item) {
    read_row(s, item);
}

static void clear_recipient_item(void *item) {
    recipient_clear(item);
}

int pg_recipients_insert(struct store *st, const char *account_id, const char *campaign_id,
                         struct recipient_new *items, size_t n, int64_t now, struct campaign *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    int rc = pg_unit_begin(conn);
    if (rc)
        return rc;
    rc = pg_campaign_get(st, account_id, campaign_id, out);
    if (rc)
        return pg_unit_end(conn, rc);
    if (out->status == CAMPAIGN_COMPLETED || out->status == CAMPAIGN_CANCELLED)
        return pg_unit_end(conn, STORE_ESTATE);
    struct pg_stmt *s = pg_prep(conn, SQL_INSERT);
    int64_t added = 0;
    const char *last_lane = "";
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        struct recipient_new *r = &items[i];
        pg_bind_text(s, 1, r->id);
        pg_bind_int64(s, 2, out->seq);
        pg_bind_text(s, 3, r->phone_number);
        pg_bind_text_or_null(s, 4, r->params_json);
        pg_bind_text(s, 5, r->carrier);
        pg_bind_text(s, 6, r->lane);
        pg_bind_text_or_null(s, 7, r->region[0] ? r->region : NULL);
        pg_bind_int64(s, 8, now);
        pg_bind_text_or_null(s, 9, r->zones);
        rc = pg_err(conn, pg_step(s), "recipients_insert");
        pg_reset(s);
        r->inserted = rc == STORE_OK && pg_changes(conn) == 1;
        added += r->inserted;
        /* lanes of the campaign, so the engine finds its work by index */
        if (r->inserted && (i == 0 || strcmp(r->lane, last_lane) != 0)) {
            struct pg_stmt *l = pg_prep(conn, SQL_LANE);
            pg_bind_int64(l, 1, out->seq);
            pg_bind_text(l, 2, r->lane);
            rc = pg_err(conn, pg_step(l), "campaign_lane");
            pg_reset(l);
            last_lane = r->lane;
        }
    }
    if (rc == STORE_OK && added > 0) {
        s = pg_prep(conn, SQL_COUNT);
        pg_bind_int64(s, 1, out->seq);
        pg_bind_int64(s, 2, added);
        pg_bind_int64(s, 3, now);
        rc = pg_err(conn, pg_step(s), "recipients_count");
        pg_reset(s);
        if (rc == STORE_OK) {
            out->counters.total += added;
            out->counters.queued += added;
            out->updated_at = now;
        }
    }
    rc = pg_unit_end(conn, rc);
    if (rc != STORE_OK)
        campaign_clear(out); /* a failed insert leaves the caller nothing to free */
    return rc;
}

int pg_recipient_list(struct store *st, const char *account_id, const char *campaign_id,
                      const struct recipient_filter *f, int64_t after_seq, size_t limit,
                      struct recipient_page *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    memset(out, 0, sizeof *out);
    struct campaign c;
    int rc = pg_campaign_get(st, account_id, campaign_id, &c);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_LIST);
    pg_bind_int64(s, 1, c.seq);
    campaign_clear(&c);
    pg_bind_int64(s, 2, after_seq);
    pg_bind_text_or_null(s, 3, f->has_status ? recipient_status_name(f->status) : NULL);
    pg_bind_text_or_null(s, 4, f->has_disposition ? disposition_name(f->disposition) : NULL);
    pg_bind_int64(s, 5, (int64_t)limit + 1);
    return pg_read_page(conn, s, limit, sizeof *out->items, read_recipient_item,
                        clear_recipient_item, (void **)&out->items, &out->count, &out->more,
                        "recipient_list");
}

int pg_recipient_get(struct store *st, const char *account_id, const char *campaign_id,
                     const char *id, struct recipient *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_GET);
    pg_bind_text(s, 1, id);
    pg_bind_text(s, 2, campaign_id);
    pg_bind_text(s, 3, account_id);
    int rc = pg_step(s);
    if (rc == PG_ROW) {
        read_row(s, out);
        pg_reset(s);
        return STORE_OK;
    }
    pg_reset(s);
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "recipient_get");
}

static const char SQL_BY_SEQ[] =
    "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.seq = r.campaign_seq "
    "WHERE r.seq = ?1";

int pg_recipient_by_seq(struct pg_conn *conn, int64_t seq, struct recipient *out) {
    struct pg_stmt *s = pg_prep(conn, SQL_BY_SEQ);
    pg_bind_int64(s, 1, seq);
    int rc = pg_step(s);
    if (rc == PG_ROW)
        read_row(s, out);
    pg_reset(s);
    if (rc == PG_ROW)
        return STORE_OK;
    return rc == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, rc, "recipient_by_seq");
}
