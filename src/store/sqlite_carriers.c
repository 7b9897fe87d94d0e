/* sqlite_carriers.c - carrier rows of the SQLite backend. Prefixes are kept
 * as a JSON array of strings. */
#include "store/sqlite_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_LIST[] = "SELECT name, channel, prefixes, rate_per_second, burst, "
                               "max_concurrent, provider FROM carriers ORDER BY name";
static const char SQL_PUT[] =
    "INSERT INTO carriers(name, channel, prefixes, rate_per_second, burst, max_concurrent, "
    "updated_at, provider) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(name) DO UPDATE "
    "SET channel = excluded.channel, prefixes = excluded.prefixes, "
    "rate_per_second = excluded.rate_per_second, burst = excluded.burst, "
    "max_concurrent = excluded.max_concurrent, updated_at = excluded.updated_at, "
    "provider = excluded.provider";
static const char SQL_DELETE[] = "DELETE FROM carriers WHERE name = ?1";

static void read_carrier(sqlite3_stmt *s, void *item) {
    struct carrier *c = item;
    snprintf(c->name, sizeof c->name, "%s", (const char *)sqlite3_column_text(s, 0));
    channel_parse((const char *)sqlite3_column_text(s, 1), &c->channel);
    json_t *pre = json_loads((const char *)sqlite3_column_text(s, 2), 0, NULL);
    c->prefixes = xcalloc(json_array_size(pre) + 1, sizeof *c->prefixes);
    for (size_t i = 0; i < json_array_size(pre); i++)
        c->prefixes[c->nprefixes++] = xstrdup(json_string_value(json_array_get(pre, i)));
    json_decref(pre);
    c->rate_per_second = sqlite3_column_double(s, 3);
    c->burst = sqlite3_column_int(s, 4);
    c->max_concurrent = sqlite3_column_int(s, 5);
    snprintf(c->provider, sizeof c->provider, "%s", (const char *)sqlite3_column_text(s, 6));
    c->builtin = carrier_is_builtin(c->name, NULL);
}

static void clear_carrier(void *item) {
    carrier_clear(item);
}

int sqlite_carrier_list(struct store *st, struct carrier **out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    return sqlite_read_all(conn, sqlite_prep(conn, SQL_LIST), sizeof **out, read_carrier,
                           clear_carrier, (void **)out, n, "carrier_list");
}

int sqlite_carrier_put(struct store *st, const struct carrier *c, int64_t now) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    json_t *pre = json_array();
    for (size_t i = 0; i < c->nprefixes; i++)
        json_array_append_new(pre, json_string(c->prefixes[i]));
    char *text = json_dumps(pre, JSON_COMPACT);
    json_decref(pre);
    sqlite3_stmt *s = sqlite_prep(conn, SQL_PUT);
    sqlite3_bind_text(s, 1, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, channel_name(c->channel), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, c->rate_per_second);
    sqlite3_bind_int(s, 5, c->burst);
    sqlite3_bind_int(s, 6, c->max_concurrent);
    sqlite3_bind_int64(s, 7, now);
    sqlite3_bind_text(s, 8, c->provider[0] ? c->provider : PROVIDER_BUILTIN, -1, SQLITE_STATIC);
    rc = sqlite_err(conn, sqlite3_step(s), "carrier_put");
    sqlite3_reset(s);
    free(text);
    return sqlite_unit_end(conn, rc);
}

int sqlite_carrier_delete(struct store *st, const char *name) {
    return sqlite_delete_by_key(st, SQL_DELETE, name, NULL, NULL, "carrier_delete");
}

/* ---- re-laning queued recipients after a route change ---- */

static const char SQL_RELANE_READ[] =
    "SELECT r.seq, r.phone_number, r.carrier, r.lane, c.seq, c.config FROM recipients r "
    "JOIN campaigns c ON c.seq = r.campaign_seq WHERE r.seq > ?1 AND r.status = 'queued' "
    "AND c.channel = ?2 AND c.status IN ('draft', 'running', 'paused') ORDER BY r.seq LIMIT 2000";
static const char SQL_RELANE_WRITE[] =
    "UPDATE recipients SET carrier = ?2, lane = ?3 WHERE seq = ?1 AND status = 'queued'";
static const char SQL_RELANE_LANE[] =
    "INSERT INTO campaign_lanes(campaign_seq, lane) VALUES (?1, ?2) ON CONFLICT DO NOTHING";

struct relane_row {
    int64_t seq, campaign_seq;
    char *number, *carrier, *lane, *config;
};

int sqlite_relane(struct store *st, enum channel ch,
                  void (*route)(void *ctx, const char *number, const char *config_json,
                                char *carrier, size_t carrier_size, char *lane, size_t lane_size),
                  void *ctx, int64_t *changed) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    *changed = 0;
    int64_t after = 0;
    struct relane_row *rows = xcalloc(2000, sizeof *rows);
    for (;;) {
        size_t n = 0;
        sqlite3_stmt *s = sqlite_prep(conn, SQL_RELANE_READ);
        sqlite3_bind_int64(s, 1, after);
        sqlite3_bind_text(s, 2, channel_name(ch), -1, SQLITE_STATIC);
        int step;
        while ((step = sqlite3_step(s)) == SQLITE_ROW && n < 2000) {
            struct relane_row *r = &rows[n++];
            r->seq = sqlite3_column_int64(s, 0);
            r->number = sqlite_col_text(s, 1);
            r->carrier = sqlite_col_text(s, 2);
            r->lane = sqlite_col_text(s, 3);
            r->campaign_seq = sqlite3_column_int64(s, 4);
            r->config = sqlite_col_text(s, 5);
        }
        sqlite3_reset(s);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = sqlite_err(conn, step, "relane_read");
        for (size_t i = 0; i < n; i++) {
            struct relane_row *r = &rows[i];
            char carrier[CARRIER_NAME_MAX + 1], lane[LANE_MAX + 1];
            route(ctx, r->number, r->config, carrier, sizeof carrier, lane, sizeof lane);
            if (rc == STORE_OK && (strcmp(carrier, r->carrier) || strcmp(lane, r->lane))) {
                s = sqlite_prep(conn, SQL_RELANE_WRITE);
                sqlite3_bind_int64(s, 1, r->seq);
                sqlite3_bind_text(s, 2, carrier, -1, SQLITE_STATIC);
                sqlite3_bind_text(s, 3, lane, -1, SQLITE_STATIC);
                rc = sqlite_err(conn, sqlite3_step(s), "relane_write");
                sqlite3_reset(s);
                if (rc == STORE_OK) {
                    s = sqlite_prep(conn, SQL_RELANE_LANE);
                    sqlite3_bind_int64(s, 1, r->campaign_seq);
                    sqlite3_bind_text(s, 2, lane, -1, SQLITE_STATIC);
                    rc = sqlite_err(conn, sqlite3_step(s), "relane_lane");
                    sqlite3_reset(s);
                }
                (*changed)++;
            }
            after = r->seq;
            free(r->number);
            free(r->carrier);
            free(r->lane);
            free(r->config);
        }
        if (rc != STORE_OK || n < 2000)
            break;
    }
    free(rows);
    return sqlite_unit_end(conn, rc);
}
