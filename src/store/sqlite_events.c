/* sqlite_events.c - the event outbox of the SQLite backend.
 *
 * An event is written by sqlite_emit() inside the transaction of the change
 * it reports (so a crash can neither lose it nor report a change that did
 * not commit), with its whole JSON body rendered then (the object as it was
 * at that change). Only campaigns with a webhook_url get events. Delivery
 * (engine/webhooks.c) reads due events, and records each attempt's result:
 * delivered, retried later, or failed for good. Before sending, a node
 * leases the events it picked (claimed_by, lease_until; a guarded update
 * that skips one another node holds under a live lease), so two nodes on
 * one database never send an event at the same moment; the result clears
 * the lease, and a dead node's leased events are due again once it runs
 * out. */
#include "domain/render.h"
#include "store/sqlite_internal.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_TARGET[] = "SELECT account_id, id, webhook_url FROM campaigns WHERE seq = ?1";
static const char SQL_EMIT[] =
    "INSERT INTO events(id, account_id, campaign_seq, type, url, body, next_attempt_at, "
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";

static const char *const kind_names[] = {"call.ended", "message.updated", "recipient.finished",
                                         "campaign.status_changed"};

int sqlite_has_webhook(struct sqlite_conn *conn, int64_t campaign_seq) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_TARGET);
    sqlite3_bind_int64(s, 1, campaign_seq);
    int has = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 2) != SQLITE_NULL;
    sqlite3_reset(s);
    return has;
}

static json_t *payload(struct sqlite_conn *conn, enum event_kind kind, int64_t seq, int *rc) {
    json_t *data = NULL;
    switch (kind) {
    case EVENT_CALL_ENDED: {
        struct call c;
        if ((*rc = sqlite_call_by_seq(conn, seq, &c)) == STORE_OK) {
            data = render_call(&c);
            call_clear(&c);
        }
        break;
    }
    case EVENT_MESSAGE_UPDATED: {
        struct message m;
        if ((*rc = sqlite_message_by_seq(conn, seq, &m)) == STORE_OK) {
            data = render_message(&m);
            message_clear(&m);
        }
        break;
    }
    case EVENT_RECIPIENT_FINISHED: {
        struct recipient r;
        if ((*rc = sqlite_recipient_by_seq(conn, seq, &r)) == STORE_OK) {
            data = render_recipient(&r, 0);
            recipient_clear(&r);
        }
        break;
    }
    case EVENT_CAMPAIGN_STATUS: {
        struct campaign c;
        if ((*rc = sqlite_campaign_by_seq(conn, seq, &c)) == STORE_OK) {
            data = render_campaign(&c);
            campaign_clear(&c);
        }
        break;
    }
    }
    return data;
}

int sqlite_emit(struct sqlite_conn *conn, int64_t campaign_seq, enum event_kind kind, int64_t seq,
                int64_t now) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_TARGET);
    sqlite3_bind_int64(s, 1, campaign_seq);
    int step = sqlite3_step(s);
    if (step != SQLITE_ROW || sqlite3_column_type(s, 2) == SQLITE_NULL) {
        sqlite3_reset(s);
        return step == SQLITE_ROW || step == SQLITE_DONE ? STORE_OK
                                                         : sqlite_err(conn, step, "emit_target");
    }
    char account[48], campaign[48];
    snprintf(account, sizeof account, "%s", (const char *)sqlite3_column_text(s, 0));
    snprintf(campaign, sizeof campaign, "%s", (const char *)sqlite3_column_text(s, 1));
    char *url = sqlite_col_text(s, 2);
    sqlite3_reset(s);
    int rc = STORE_OK;
    json_t *data = payload(conn, kind, seq, &rc);
    if (!data) {
        free(url);
        return rc == STORE_ENOTFOUND ? STORE_OK : rc;
    }
    char id[IDS_MAX_LEN];
    ids_new("evt_", id);
    json_t *event = json_pack("{s:s, s:s, s:o, s:s, s:s, s:o}", "id", id, "type", kind_names[kind],
                              "created_at", render_time(now), "account_id", account, "campaign_id",
                              campaign, "data", data);
    char *body = json_dumps(event, JSON_COMPACT);
    json_decref(event);
    s = sqlite_prep(conn, SQL_EMIT);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, account, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, campaign_seq);
    sqlite3_bind_text(s, 4, kind_names[kind], -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, url, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, now);
    rc = sqlite_err(conn, sqlite3_step(s), "emit");
    sqlite3_reset(s);
    free(body);
    free(url);
    return rc;
}

/* ---- delivery side ---- */

/* Each campaign's head: its earliest due next_attempt_at, then the lowest
 * seq at that time (both through the index events_pending_by_campaign, so
 * a large backlog is not sorted); an event without a campaign is its own
 * head. Then window functions rank the heads per account and URL, then per
 * account (the URLs in turn); the answer interleaves the accounts. */
static const char SQL_DUE[] =
    "WITH firsts AS (SELECT campaign_seq AS c, min(next_attempt_at) AS t FROM events "
    "WHERE state = 'pending' AND next_attempt_at <= ?1 AND campaign_seq IS NOT NULL "
    "GROUP BY campaign_seq), "
    "due AS (SELECT (SELECT min(x.seq) FROM events x WHERE x.campaign_seq = f.c "
    "AND x.state = 'pending' AND x.next_attempt_at = f.t) AS seq FROM firsts f "
    "UNION ALL SELECT seq FROM events WHERE state = 'pending' AND next_attempt_at <= ?1 "
    "AND campaign_seq IS NULL), "
    "heads AS (SELECT e.seq, e.account_id, e.next_attempt_at, row_number() OVER "
    "(PARTITION BY e.account_id, e.url ORDER BY e.next_attempt_at, e.seq) AS in_url "
    "FROM due d JOIN events e ON e.seq = d.seq), "
    "ranked AS (SELECT seq, next_attempt_at, row_number() OVER "
    "(PARTITION BY account_id ORDER BY in_url, next_attempt_at, seq) AS in_account "
    "FROM heads WHERE in_url <= ?2) "
    "SELECT e.seq, e.id, e.account_id, coalesce(e.campaign_seq, 0), e.url, e.attempts, "
    "e.created_at, e.next_attempt_at FROM ranked r JOIN events e ON e.seq = r.seq "
    "WHERE r.in_account <= ?3 ORDER BY r.in_account, r.next_attempt_at, r.seq LIMIT ?4";
static const char SQL_BODY[] = "SELECT body FROM events WHERE seq = ?1";
static const char SQL_NEXT[] = "SELECT min(next_attempt_at) FROM events WHERE state = 'pending'";
static const char SQL_RESULT[] =
    "UPDATE events SET state = ?2, attempts = attempts + 1, last_attempt_at = ?3, "
    "last_status = ?4, last_error = ?5, next_attempt_at = ?6, "
    "delivered_at = CASE WHEN ?2 = 'delivered' THEN ?3 ELSE delivered_at END, "
    "claimed_by = NULL, lease_until = NULL WHERE id = ?1";
/* An event is leased when it is pending, no other node holds it (a lease
 * holds until it runs out and its node's heartbeat stops, see
 * sqlite_sweeps.c), and no other event of its campaign is held (being
 * sent) by any node: one delivery in flight per campaign across the
 * nodes. Writers run one at a time (BEGIN IMMEDIATE here, the writers'
 * lock on PostgreSQL), so two nodes cannot both pass the check. A node may
 * lease again what it holds (an event whose result it could not store). */
#define EVENT_FREE                                                                                 \
    "(lease_until IS NULL OR claimed_by = ?2 OR (lease_until <= ?3 AND " NODE_DEAD(                \
        "events.claimed_by", "?3") "))"
#define OTHER_OF_CAMPAIGN_HELD                                                                     \
    "EXISTS (SELECT 1 FROM events y WHERE y.campaign_seq = events.campaign_seq "                   \
    "AND y.lease_until IS NOT NULL AND y.seq <> ?1 AND y.state = 'pending' "                       \
    "AND (y.lease_until > ?3 OR NOT " NODE_DEAD("y.claimed_by", "?3") "))"
static const char SQL_LEASE[] =
    "UPDATE events SET claimed_by = ?2, lease_until = ?4 WHERE seq = ?1 AND state = 'pending' "
    "AND " EVENT_FREE " AND (campaign_seq IS NULL OR NOT " OTHER_OF_CAMPAIGN_HELD ")";
static const char SQL_PENDING[] = "SELECT count(*) FROM events WHERE state = 'pending'";

int sqlite_events_due(struct store *st, int64_t now, size_t per_url, size_t per_account,
                      size_t limit, struct outbound_event **out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_DUE);
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, (int64_t)per_url);
    sqlite3_bind_int64(s, 3, (int64_t)per_account);
    sqlite3_bind_int64(s, 4, (int64_t)limit);
    struct outbound_event *list = xcalloc(limit + 1, sizeof *list);
    size_t count = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && count < limit) {
        struct outbound_event *e = &list[count++];
        e->seq = sqlite3_column_int64(s, 0);
        snprintf(e->id, sizeof e->id, "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(e->account_id, sizeof e->account_id, "%s",
                 (const char *)sqlite3_column_text(s, 2));
        e->campaign_seq = sqlite3_column_int64(s, 3);
        e->url = sqlite_col_text(s, 4);
        e->attempts = sqlite3_column_int(s, 5);
        e->created_at = sqlite3_column_int64(s, 6);
        e->next_attempt_at = sqlite3_column_int64(s, 7);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        outbound_events_free(list, count);
        return sqlite_err(conn, rc, "events_due");
    }
    *out = list;
    *n = count;
    return STORE_OK;
}

int sqlite_event_body(struct store *st, int64_t seq, char **body) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    *body = NULL;
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_BODY);
    sqlite3_bind_int64(s, 1, seq);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *body = sqlite_col_text(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : sqlite_err(conn, rc, "event_body");
}

int sqlite_event_result(struct store *st, const char *id, const char *state, int http_status,
                        const char *error, int64_t next_attempt_at, int64_t now) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_RESULT);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now);
    if (http_status)
        sqlite3_bind_int(s, 4, http_status);
    else
        sqlite3_bind_null(s, 4);
    sqlite_bind_text_or_null(s, 5, error);
    sqlite3_bind_int64(s, 6, next_attempt_at);
    rc = sqlite_err(conn, sqlite3_step(s), "event_result");
    sqlite3_reset(s);
    return sqlite_unit_end(conn, rc);
}

int sqlite_events_lease(struct store *st, const int64_t *seqs, size_t n, const char *node,
                        int64_t now, int64_t lease_until, int *taken) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        sqlite3_stmt *s = sqlite_prep(conn, SQL_LEASE);
        sqlite3_bind_int64(s, 1, seqs[i]);
        sqlite3_bind_text(s, 2, node, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now);
        sqlite3_bind_int64(s, 4, lease_until);
        rc = sqlite_err(conn, sqlite3_step(s), "events_lease");
        taken[i] = rc == STORE_OK && sqlite3_changes(conn->db) == 1;
        sqlite3_reset(s);
    }
    rc = sqlite_unit_end(conn, rc);
    if (rc != STORE_OK)
        memset(taken, 0, n * sizeof *taken);
    return rc;
}

int sqlite_events_next(struct store *st, int64_t *next, int64_t *pending) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_NEXT);
    *next = 0;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        *next = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (pending) {
        s = sqlite_prep(conn, SQL_PENDING);
        *pending = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        sqlite3_reset(s);
    }
    return STORE_OK;
}

/* ---- API side: listing, redelivery, secrets ---- */

#define EVENT_COLS                                                                                 \
    "e.seq, e.id, e.type, e.body, e.state, e.attempts, e.last_attempt_at, e.last_status, "         \
    "e.last_error, e.next_attempt_at, e.delivered_at, e.url"
static const char SQL_LIST[] =
    "SELECT " EVENT_COLS " FROM events e WHERE e.account_id = ?1 AND e.seq < ?2 "
    "AND (?3 IS NULL OR e.campaign_seq = (SELECT seq FROM campaigns WHERE id = ?3 AND "
    "account_id = ?1)) AND (?4 IS NULL OR e.type = ?4) ORDER BY e.seq DESC LIMIT ?5";
static const char SQL_GET_EVENT[] =
    "SELECT " EVENT_COLS " FROM events e WHERE e.id = ?1 AND e.account_id = ?2";
static const char SQL_REDELIVER[] =
    "UPDATE events SET state = 'pending', next_attempt_at = ?3 WHERE id = ?1 AND account_id = ?2";

static void read_event(sqlite3_stmt *s, struct event_row *e) {
    memset(e, 0, sizeof *e);
    e->seq = sqlite3_column_int64(s, 0);
    snprintf(e->id, sizeof e->id, "%s", (const char *)sqlite3_column_text(s, 1));
    snprintf(e->type, sizeof e->type, "%s", (const char *)sqlite3_column_text(s, 2));
    e->body = sqlite_col_text(s, 3);
    snprintf(e->state, sizeof e->state, "%s", (const char *)sqlite3_column_text(s, 4));
    e->attempts = sqlite3_column_int(s, 5);
    e->last_attempt_at = sqlite3_column_int64(s, 6);
    e->last_status = sqlite3_column_int(s, 7);
    e->last_error = sqlite_col_text(s, 8);
    e->next_attempt_at = sqlite3_column_int64(s, 9);
    e->delivered_at = sqlite3_column_int64(s, 10);
    e->url = sqlite_col_text(s, 11);
}

static void read_event_row_item(sqlite3_stmt *s, void *item) {
    read_event(s, item);
}

static void clear_event_row_item(void *item) {
    event_row_clear(item);
}

int sqlite_event_list(struct store *st, const char *account_id, const char *campaign_id,
                      const char *type, int64_t before_seq, size_t limit, struct event_page *out) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = sqlite_prep(conn, SQL_LIST);
    sqlite3_bind_text(s, 1, account_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, before_seq > 0 ? before_seq : INT64_MAX);
    sqlite_bind_text_or_null(s, 3, campaign_id);
    sqlite_bind_text_or_null(s, 4, type);
    sqlite3_bind_int64(s, 5, (int64_t)limit + 1);
    return sqlite_read_page(conn, s, limit, sizeof *out->items, read_event_row_item,
                            clear_event_row_item, (void **)&out->items, &out->count, &out->more,
                            "event_list");
}

int sqlite_event_redeliver(struct store *st, const char *account_id, const char *id, int64_t now,
                           struct event_row *out) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_REDELIVER);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, account_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now);
    rc = sqlite_err(conn, sqlite3_step(s), "event_redeliver");
    sqlite3_reset(s);
    if (rc == STORE_OK && sqlite3_changes(conn->db) == 0)
        rc = STORE_ENOTFOUND;
    if (rc == STORE_OK) {
        s = sqlite_prep(conn, SQL_GET_EVENT);
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, account_id, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            read_event(s, out);
        else
            rc = STORE_ENOTFOUND;
        sqlite3_reset(s);
    }
    return sqlite_unit_end(conn, rc);
}

static const char SQL_SECRETS[] = "SELECT webhook_secret, webhook_secret_prev, "
                                  "webhook_secret_prev_until FROM accounts WHERE id = ?1";
static const char SQL_SET_SECRET[] =
    "UPDATE accounts SET webhook_secret = ?2 WHERE id = ?1 AND webhook_secret IS NULL";
static const char SQL_ROTATE[] =
    "UPDATE accounts SET webhook_secret_prev = webhook_secret, webhook_secret_prev_until = ?3, "
    "webhook_secret = ?2 WHERE id = ?1";

int sqlite_webhook_secrets(struct store *st, const char *account_id, const char *if_none,
                           struct webhook_secrets *out) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    if (if_none) {
        sqlite3_stmt *u = sqlite_prep(conn, SQL_SET_SECRET);
        sqlite3_bind_text(u, 1, account_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(u, 2, if_none, -1, SQLITE_STATIC);
        rc = sqlite_err(conn, sqlite3_step(u), "secret_set");
        sqlite3_reset(u);
    }
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = sqlite_prep(conn, SQL_SECRETS);
    sqlite3_bind_text(s, 1, account_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    if (rc == STORE_OK && step == SQLITE_ROW) {
        const unsigned char *cur = sqlite3_column_text(s, 0), *prev = sqlite3_column_text(s, 1);
        snprintf(out->current, sizeof out->current, "%s", cur ? (const char *)cur : "");
        snprintf(out->previous, sizeof out->previous, "%s", prev ? (const char *)prev : "");
        out->previous_until = sqlite3_column_int64(s, 2);
    } else if (rc == STORE_OK) {
        rc = step == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(conn, step, "secrets");
    }
    sqlite3_reset(s);
    return sqlite_unit_end(conn, rc);
}

int sqlite_webhook_rotate(struct store *st, const char *account_id, const char *secret,
                          int64_t previous_until) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_ROTATE);
    sqlite3_bind_text(s, 1, account_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, secret, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, previous_until);
    rc = sqlite_err(conn, sqlite3_step(s), "rotate");
    sqlite3_reset(s);
    if (rc == STORE_OK && sqlite3_changes(conn->db) == 0)
        rc = STORE_ENOTFOUND;
    return sqlite_unit_end(conn, rc);
}
