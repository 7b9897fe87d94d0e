/* sqlite_recipients.c - recipient rows of the SQLite backend: the upload
 * (one transaction: campaign state check, inserts skipping duplicates by
 * the UNIQUE (campaign_seq, phone_number) index, counters moved), listing
 * in upload order by keyset on seq, and get.
 *
 * The upload inserts INSERT_BATCH rows per statement (a statement's setup
 * and teardown cost about as much as a row); RETURNING names the numbers
 * that were inserted, the others were already in the campaign. The rows of
 * a VALUES list are inserted in their order, so seq stays upload order. */
#include "store/sqlite_internal.h"
#include "util/alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECIPIENT_COLS                                                                             \
    "r.seq, r.id, c.id, r.phone_number, r.params, r.status, r.disposition, r.attempts, "           \
    "r.carrier, r.created_at, r.last_attempt_at, r.due_at, r.last_call_id, "                       \
    "r.last_message_id, r.zones"

/* ?1 campaign, ?2 now, then per row: id, phone, params, carrier, lane,
 * region, zones. Two statements: INSERT_BATCH rows, and one row (for the
 * last rows of an upload, fewer than a batch). */
#define INSERT_BATCH 32
#define INSERT_ROW_PARAMS 7
static char sql_insert_batch[INSERT_BATCH * 80 + 512], sql_insert_one[600];
static pthread_once_t sql_insert_once = PTHREAD_ONCE_INIT;

static void build_insert(char *out, size_t size, int rows) {
    size_t n = (size_t)snprintf(out, size,
                                "INSERT INTO recipients(id, campaign_seq, phone_number, params, "
                                "carrier, lane, region, created_at, updated_at, zones) VALUES ");
    for (int r = 0; r < rows; r++) {
        int p = 3 + r * INSERT_ROW_PARAMS;
        n +=
            (size_t)snprintf(out + n, size - n, "%s(?%d, ?1, ?%d, ?%d, ?%d, ?%d, ?%d, ?2, ?2, ?%d)",
                             r ? ", " : "", p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6);
    }
    snprintf(out + n, size - n,
             " ON CONFLICT(campaign_seq, phone_number) DO NOTHING RETURNING phone_number");
}

static void build_inserts(void) {
    build_insert(sql_insert_batch, sizeof sql_insert_batch, INSERT_BATCH);
    build_insert(sql_insert_one, sizeof sql_insert_one, 1);
}

/* Inserts items[0..rows) (rows: INSERT_BATCH or 1) in one statement and
 * marks the inserted ones, found by their number (in order as a rule). */
static int insert_rows(struct sqlite_conn *conn, int64_t campaign_seq, int64_t now,
                       struct recipient_new *items, int rows) {
    pthread_once(&sql_insert_once, build_inserts);
    sqlite3_stmt *s = sqlite_prep(conn, rows == 1 ? sql_insert_one : sql_insert_batch);
    sqlite3_bind_int64(s, 1, campaign_seq);
    sqlite3_bind_int64(s, 2, now);
    for (int i = 0; i < rows; i++) {
        struct recipient_new *r = &items[i];
        int p = 3 + i * INSERT_ROW_PARAMS;
        r->inserted = 0;
        sqlite3_bind_text(s, p, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, p + 1, r->phone_number, -1, SQLITE_STATIC);
        sqlite_bind_text_or_null(s, p + 2, r->params_json);
        sqlite3_bind_text(s, p + 3, r->carrier, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, p + 4, r->lane, -1, SQLITE_STATIC);
        sqlite_bind_text_or_null(s, p + 5, r->region[0] ? r->region : NULL);
        sqlite_bind_text_or_null(s, p + 6, r->zones);
    }
    int rc, next = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *phone = (const char *)sqlite3_column_text(s, 0);
        for (int k = 0; k < rows && phone; k++) {
            struct recipient_new *r = &items[(next + k) % rows];
            if (!r->inserted && strcmp(r->phone_number, phone) == 0) {
                r->inserted = 1;
                next = (next + k + 1) % rows;
                break;
            }
        }
    }
    rc = sqlite_err(conn, rc, "recipients_insert");
    sqlite3_reset(s);
    return rc;
}

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

static void read_row(sqlite3_stmt *s, struct recipient *r) {
    memset(r, 0, sizeof *r);
    int i = 0;
    r->seq = sqlite3_column_int64(s, i++);
    snprintf(r->id, sizeof r->id, "%s", (const char *)sqlite3_column_text(s, i++));
    snprintf(r->campaign_id, sizeof r->campaign_id, "%s",
             (const char *)sqlite3_column_text(s, i++));
    r->phone_number = sqlite_col_text(s, i++);
    r->params_json = sqlite_col_text(s, i++);
    recipient_status_parse((const char *)sqlite3_column_text(s, i++), &r->status);
    const unsigned char *d = sqlite3_column_text(s, i++);
    r->disposition = DISP_NONE;
    if (d)
        disposition_parse((const char *)d, &r->disposition);
    r->attempts = sqlite3_column_int(s, i++);
    r->carrier = sqlite_col_text(s, i++);
    r->created_at = sqlite3_column_int64(s, i++);
    r->last_attempt_at = sqlite3_column_int64(s, i++);
    r->due_at = sqlite3_column_int64(s, i++);
    r->last_call_id = sqlite_col_text(s, i++);
    r->last_message_id = sqlite_col_text(s, i++);
    r->zones = sqlite_col_text(s, i++);
}

static void read_recipient_item(sqlite3_stmt *s, void *item) {
    read_row(s, item);
}

static void clear_recipient_item(void *item) {
    recipient_clear(item);
}

int sqlite_recipients_insert(struct store *st, const char *account_id, const char *campaign_id,
                             struct recipient_new *items, size_t n, int64_t now,
                             struct campaign *out) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    rc = sqlite_campaign_get(st, account_id, campaign_id, out);
    if (rc)
        return sqlite_unit_end(conn, rc);
    if (out->status == CAMPAIGN_COMPLETED || out->status == CAMPAIGN_CANCELLED)
        return sqlite_unit_end(conn, STORE_ESTATE);
    sqlite3_stmt *s;
    int64_t added = 0;
    const char *last_lane = "";
    size_t batched = n - n % INSERT_BATCH;
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        struct recipient_new *r = &items[i];
        if (i >= batched)
            rc = insert_rows(conn, out->seq, now, r, 1);
        else if (i % INSERT_BATCH == 0)
            rc = insert_rows(conn, out->seq, now, r, INSERT_BATCH);
        if (rc != STORE_OK)
            break;
        added += r->inserted;
        /* lanes of the campaign, so the engine finds its work by index */
        if (r->inserted && (i == 0 || strcmp(r->lane, last_lane) != 0)) {
            sqlite3_stmt *l = sqlite_prep(conn, SQL_LANE);
            sqlite3_bind_int64(l, 1, out->seq);
            sqlite3_bind_text(l, 2, r->lane, -1, SQLITE_STATIC);
            rc = sqlite_err(conn, sqlite3_step(l), "campaign_lane");
            sqlite3_reset(l);
            last_lane = r->lane;
        }
    }
    if (rc == STORE_OK && added > 0) {
        s = sqlite_prep(conn, SQL_COUNT);
        sqlite3_bind_int64(s, 1, out->seq);
        sqlite3_bind_int64(s, 2, added);
        sqlite3_bind_int64(s, 3, now);
        rc = sqlite_err(conn, sqlite3_step(s), "recipients_count");
        sqlite3_reset(s);
        if (rc == STORE_OK) {
            out->counters.total += added;
            out->counters.queued += added;
            out->updated_at = now;
        }
    }
    rc = sqlite_unit_end(conn, rc);
    if (rc != STORE_OK)
        campaign_clear(out); /* a failed insert leaves the caller nothing to free */
    return rc;
}

int sqlite_recipient_list(struct store *st, const char *account_id, const char *campaign_id,
                          const struct recipient_filter *f, int64_t after_seq, size_t limit,
                          struct recipient_page *out) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    memset(out, 0, sizeof *out);
    struct campaign c;
    int rc = sqlite_campaign_get(st, account_id, campaign_id, &c);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_LIST);
    sqlite3_bind_int64(s, 1, c.seq);
    campaign_clear(&c);
    sqlite3_bind_int64(s, 2, after_seq);
    sqlite_bind_text_or_null(s, 3, f->has_status ? recipient_status_name(f->status) : NULL);
    sqlite_bind_text_or_null(s, 4, f->has_disposition ? disposition_name(f->disposition) : NULL);
    sqlite3_bind_int64(s, 5, (int64_t)limit + 1);
    return sqlite_read_page(conn, s, limit, sizeof *out->items, read_recipient_item,
                            clear_recipient_item, (void **)&out->items, &out->count, &out->more,
                            "recipient_list");
}

int sqlite_recipient_get(struct store *st, const char *account_id, const char *campaign_id,
                         const char *id, struct recipient *out) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_GET);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, campaign_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, account_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        read_row(s, out);
        sqlite3_reset(s);
        return STORE_OK;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, rc, "recipient_get");
}

static const char SQL_BY_SEQ[] =
    "SELECT " RECIPIENT_COLS " FROM recipients r JOIN campaigns c ON c.seq = r.campaign_seq "
    "WHERE r.seq = ?1";

int sqlite_recipient_by_seq(struct sqlite_conn *conn, int64_t seq, struct recipient *out) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_BY_SEQ);
    sqlite3_bind_int64(s, 1, seq);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        read_row(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, rc, "recipient_by_seq");
}
