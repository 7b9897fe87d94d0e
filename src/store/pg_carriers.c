/* pg_carriers.c - carrier rows of the PostgreSQL backend. Prefixes are kept
 * as a JSON array of strings. */
#include "store/pg_internal.h"
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

static void read_carrier(struct pg_stmt *s, void *item) {
    struct carrier *c = item;
    snprintf(c->name, sizeof c->name, "%s", (const char *)pg_col_raw(s, 0));
    channel_parse((const char *)pg_col_raw(s, 1), &c->channel);
    json_t *pre = json_loads((const char *)pg_col_raw(s, 2), 0, NULL);
    c->prefixes = xcalloc(json_array_size(pre) + 1, sizeof *c->prefixes);
    for (size_t i = 0; i < json_array_size(pre); i++)
        c->prefixes[c->nprefixes++] = xstrdup(json_string_value(json_array_get(pre, i)));
    json_decref(pre);
    c->rate_per_second = pg_col_double(s, 3);
    c->burst = pg_col_int(s, 4);
    c->max_concurrent = pg_col_int(s, 5);
    snprintf(c->provider, sizeof c->provider, "%s", (const char *)pg_col_raw(s, 6));
    c->builtin = carrier_is_builtin(c->name, NULL);
}

static void clear_carrier(void *item) {
    carrier_clear(item);
}

int pg_carrier_list(struct store *st, struct carrier **out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    return pg_read_all(conn, pg_prep(conn, SQL_LIST), sizeof **out, read_carrier, clear_carrier,
                       (void **)out, n, "carrier_list");
}

int pg_carrier_put(struct store *st, const struct carrier *c, int64_t now) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    json_t *pre = json_array();
    for (size_t i = 0; i < c->nprefixes; i++)
        json_array_append_new(pre, json_string(c->prefixes[i]));
    char *text = json_dumps(pre, JSON_COMPACT);
    json_decref(pre);
    struct pg_stmt *s = pg_prep(conn, SQL_PUT);
    pg_bind_text(s, 1, c->name);
    pg_bind_text(s, 2, channel_name(c->channel));
    pg_bind_text(s, 3, text);
    pg_bind_double(s, 4, c->rate_per_second);
    pg_bind_int64(s, 5, c->burst);
    pg_bind_int64(s, 6, c->max_concurrent);
    pg_bind_int64(s, 7, now);
    pg_bind_text(s, 8, c->provider[0] ? c->provider : PROVIDER_BUILTIN);
    rc = pg_err(conn, pg_step(s), "carrier_put");
    pg_reset(s);
    free(text);
    return pg_unit_end(conn, rc);
}

int pg_carrier_delete(struct store *st, const char *name) {
    return pg_delete_by_key(st, SQL_DELETE, name, NULL, NULL, "carrier_delete");
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

int pg_relane(struct store *st, enum channel ch,
              void (*route)(void *ctx, const char *number, const char *config_json, char *carrier,
                            size_t carrier_size, char *lane, size_t lane_size),
              void *ctx, int64_t *changed) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    *changed = 0;
    int64_t after = 0;
    struct relane_row *rows = xcalloc(2000, sizeof *rows);
    for (;;) {
        size_t n = 0;
        struct pg_stmt *s = pg_prep(conn, SQL_RELANE_READ);
        pg_bind_int64(s, 1, after);
        pg_bind_text(s, 2, channel_name(ch));
        int step;
        while ((step = pg_step(s)) == PG_ROW && n < 2000) {
            struct relane_row *r = &rows[n++];
            r->seq = pg_col_int64(s, 0);
            r->number = pg_col_text(s, 1);
            r->carrier = pg_col_text(s, 2);
            r->lane = pg_col_text(s, 3);
            r->campaign_seq = pg_col_int64(s, 4);
            r->config = pg_col_text(s, 5);
        }
        pg_reset(s);
        if (step != PG_ROW && step != PG_DONE)
            rc = pg_err(conn, step, "relane_read");
        for (size_t i = 0; i < n; i++) {
            struct relane_row *r = &rows[i];
            char carrier[CARRIER_NAME_MAX + 1], lane[LANE_MAX + 1];
            route(ctx, r->number, r->config, carrier, sizeof carrier, lane, sizeof lane);
            if (rc == STORE_OK && (strcmp(carrier, r->carrier) || strcmp(lane, r->lane))) {
                s = pg_prep(conn, SQL_RELANE_WRITE);
                pg_bind_int64(s, 1, r->seq);
                pg_bind_text(s, 2, carrier);
                pg_bind_text(s, 3, lane);
                rc = pg_err(conn, pg_step(s), "relane_write");
                pg_reset(s);
                if (rc == STORE_OK) {
                    s = pg_prep(conn, SQL_RELANE_LANE);
                    pg_bind_int64(s, 1, r->campaign_seq);
                    pg_bind_text(s, 2, lane);
                    rc = pg_err(conn, pg_step(s), "relane_lane");
                    pg_reset(s);
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
    return pg_unit_end(conn, rc);
}
