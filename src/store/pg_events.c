/* pg_events.c - the event outbox of the PostgreSQL backend.
 *
 * An event is written by pg_emit() inside the transaction of the change
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
#include "store/pg_internal.h"
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

int pg_has_webhook(struct pg_conn *conn, int64_t campaign_seq) {
    struct pg_stmt *s = pg_prep(conn, SQL_TARGET);
    pg_bind_int64(s, 1, campaign_seq);
    int has = pg_step(s) == PG_ROW && !pg_col_null(s, 2);
    pg_reset(s);
    return has;
}

static json_t *payload(struct pg_conn *conn, enum pg_event_kind kind, int64_t seq, int *rc) {
    json_t *data = NULL;
    switch (kind) {
    case PG_EVENT_CALL_ENDED: {
        struct call c;
        if ((*rc = pg_call_by_seq(conn, seq, &c)) == STORE_OK) {
            data = render_call(&c);
            call_clear(&c);
        }
        break;
    }
    case PG_EVENT_MESSAGE_UPDATED: {
        struct message m;
        if ((*rc = pg_message_by_seq(conn, seq, &m)) == STORE_OK) {
            data = render_message(&m);
            message_clear(&m);
        }
        break;
    }
    case PG_EVENT_RECIPIENT_FINISHED: {
        struct recipient r;
        if ((*rc = pg_recipient_by_seq(conn, seq, &r)) == STORE_OK) {
            data = render_recipient(&r, 0);
            recipient_clear(&r);
        }
        break;
    }
    case PG_EVENT_CAMPAIGN_STATUS: {
        struct campaign c;
        if ((*rc = pg_campaign_by_seq(conn, seq, &c)) == STORE_OK) {
            data = render_campaign(&c);
            campaign_clear(&c);
        }
        break;
    }
    }
    return data;
}

int pg_emit(struct pg_conn *conn, int64_t campaign_seq, enum pg_event_kind kind, int64_t seq,
            int64_t now) {
    struct pg_stmt *s = pg_prep(conn, SQL_TARGET);
    pg_bind_int64(s, 1, campaign_seq);
    int step = pg_step(s);
    if (step != PG_ROW || pg_col_null(s, 2)) {
        pg_reset(s);
        return step == PG_ROW || step == PG_DONE ? STORE_OK : pg_err(conn, step, "emit_target");
    }
    char account[48], campaign[48];
    snprintf(account, sizeof account, "%s", (const char *)pg_col_raw(s, 0));
    snprintf(campaign, sizeof campaign, "%s", (const char *)pg_col_raw(s, 1));
    char *url = pg_col_text(s, 2);
    pg_reset(s);
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
    s = pg_prep(conn, SQL_EMIT);
    pg_bind_text(s, 1, id);
    pg_bind_text(s, 2, account);
    pg_bind_int64(s, 3, campaign_seq);
    pg_bind_text(s, 4, kind_names[kind]);
    pg_bind_text(s, 5, url);
    pg_bind_text(s, 6, body);
    pg_bind_int64(s, 7, now);
    rc = pg_err(conn, pg_step(s), "emit");
    pg_reset(s);
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
 * pg_sweeps.c), and no other event of its campaign is held (being
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

int pg_events_due(struct store *st, int64_t now, size_t per_url, size_t per_account, size_t limit,
                  struct outbound_event **out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_DUE);
    pg_bind_int64(s, 1, now);
    pg_bind_int64(s, 2, (int64_t)per_url);
    pg_bind_int64(s, 3, (int64_t)per_account);
    pg_bind_int64(s, 4, (int64_t)limit);
    struct outbound_event *list = xcalloc(limit + 1, sizeof *list);
    size_t count = 0;
    int rc;
    while ((rc = pg_step(s)) == PG_ROW && count < limit) {
        struct outbound_event *e = &list[count++];
        e->seq = pg_col_int64(s, 0);
        snprintf(e->id, sizeof e->id, "%s", (const char *)pg_col_raw(s, 1));
        snprintf(e->account_id, sizeof e->account_id, "%s", (const char *)pg_col_raw(s, 2));
        e->campaign_seq = pg_col_int64(s, 3);
        e->url = pg_col_text(s, 4);
        e->attempts = pg_col_int(s, 5);
        e->created_at = pg_col_int64(s, 6);
        e->next_attempt_at = pg_col_int64(s, 7);
    }
    pg_reset(s);
    if (rc != PG_ROW && rc != PG_DONE) {
        outbound_events_free(list, count);
        return pg_err(conn, rc, "events_due");
    }
    *out = list;
    *n = count;
    return STORE_OK;
}

int pg_event_body(struct store *st, int64_t seq, char **body) {
    struct pg_conn *conn = pg_conn_get(st);
    *body = NULL;
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_BODY);
    pg_bind_int64(s, 1, seq);
    int rc = pg_step(s);
    if (rc == PG_ROW)
        *body = pg_col_text(s, 0);
    pg_reset(s);
    return rc == PG_ROW || rc == PG_DONE ? STORE_OK : pg_err(conn, rc, "event_body");
}

int pg_event_result(struct store *st, const char *id, const char *state, int http_status,
                    const char *error, int64_t next_attempt_at, int64_t now) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_RESULT);
    pg_bind_text(s, 1, id);
    pg_bind_text(s, 2, state);
    pg_bind_int64(s, 3, now);
    if (http_status)
        pg_bind_int64(s, 4, http_status);
    else
        pg_bind_null(s, 4);
    pg_bind_text_or_null(s, 5, error);
    pg_bind_int64(s, 6, next_attempt_at);
    rc = pg_err(conn, pg_step(s), "event_result");
    pg_reset(s);
    return pg_unit_end(conn, rc);
}

int pg_events_lease(struct store *st, const int64_t *seqs, size_t n, const char *node, int64_t now,
                    int64_t lease_until, int *taken) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        struct pg_stmt *s = pg_prep(conn, SQL_LEASE);
        pg_bind_int64(s, 1, seqs[i]);
        pg_bind_text(s, 2, node);
        pg_bind_int64(s, 3, now);
        pg_bind_int64(s, 4, lease_until);
        rc = pg_err(conn, pg_step(s), "events_lease");
        taken[i] = rc == STORE_OK && pg_changes(conn) == 1;
        pg_reset(s);
    }
    rc = pg_unit_end(conn, rc);
    if (rc != STORE_OK)
        memset(taken, 0, n * sizeof *taken);
    return rc;
}

int pg_events_next(struct store *st, int64_t *next, int64_t *pending) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_NEXT);
    *next = 0;
    if (pg_step(s) == PG_ROW && !pg_col_null(s, 0))
        *next = pg_col_int64(s, 0);
    pg_reset(s);
    if (pending) {
        s = pg_prep(conn, SQL_PENDING);
        *pending = pg_step(s) == PG_ROW ? pg_col_int64(s, 0) : 0;
        pg_reset(s);
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

static void read_event(struct pg_stmt *s, struct event_row *e) {
    memset(e, 0, sizeof *e);
    e->seq = pg_col_int64(s, 0);
    snprintf(e->id, sizeof e->id, "%s", (const char *)pg_col_raw(s, 1));
    snprintf(e->type, sizeof e->type, "%s", (const char *)pg_col_raw(s, 2));
    e->body = pg_col_text(s, 3);
    snprintf(e->state, sizeof e->state, "%s", (const char *)pg_col_raw(s, 4));
    e->attempts = pg_col_int(s, 5);
    e->last_attempt_at = pg_col_int64(s, 6);
    e->last_status = pg_col_int(s, 7);
    e->last_error = pg_col_text(s, 8);
    e->next_attempt_at = pg_col_int64(s, 9);
    e->delivered_at = pg_col_int64(s, 10);
    e->url = pg_col_text(s, 11);
}

static void read_event_row_item(struct pg_stmt *s, void *item) {
    read_event(s, item);
}

static void clear_event_row_item(void *item) {
    event_row_clear(item);
}

int pg_event_list(struct store *st, const char *account_id, const char *campaign_id,
                  const char *type, int64_t before_seq, size_t limit, struct event_page *out) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    memset(out, 0, sizeof *out);
    struct pg_stmt *s = pg_prep(conn, SQL_LIST);
    pg_bind_text(s, 1, account_id);
    pg_bind_int64(s, 2, before_seq > 0 ? before_seq : INT64_MAX);
    pg_bind_text_or_null(s, 3, campaign_id);
    pg_bind_text_or_null(s, 4, type);
    pg_bind_int64(s, 5, (int64_t)limit + 1);
    return pg_read_page(conn, s, limit, sizeof *out->items, read_event_row_item,
                        clear_event_row_item, (void **)&out->items, &out->count, &out->more,
                        "event_list");
}

int pg_event_redeliver(struct store *st, const char *account_id, const char *id, int64_t now,
                       struct event_row *out) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_REDELIVER);
    pg_bind_text(s, 1, id);
    pg_bind_text(s, 2, account_id);
    pg_bind_int64(s, 3, now);
    rc = pg_err(conn, pg_step(s), "event_redeliver");
    pg_reset(s);
    if (rc == STORE_OK && pg_changes(conn) == 0)
        rc = STORE_ENOTFOUND;
    if (rc == STORE_OK) {
        s = pg_prep(conn, SQL_GET_EVENT);
        pg_bind_text(s, 1, id);
        pg_bind_text(s, 2, account_id);
        if (pg_step(s) == PG_ROW)
            read_event(s, out);
        else
            rc = STORE_ENOTFOUND;
        pg_reset(s);
    }
    return pg_unit_end(conn, rc);
}

static const char SQL_SECRETS[] = "SELECT webhook_secret, webhook_secret_prev, "
                                  "webhook_secret_prev_until FROM accounts WHERE id = ?1";
static const char SQL_SET_SECRET[] =
    "UPDATE accounts SET webhook_secret = ?2 WHERE id = ?1 AND webhook_secret IS NULL";
static const char SQL_ROTATE[] =
    "UPDATE accounts SET webhook_secret_prev = webhook_secret, webhook_secret_prev_until = ?3, "
    "webhook_secret = ?2 WHERE id = ?1";

int pg_webhook_secrets(struct store *st, const char *account_id, const char *if_none,
                       struct webhook_secrets *out) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    if (if_none) {
        struct pg_stmt *u = pg_prep(conn, SQL_SET_SECRET);
        pg_bind_text(u, 1, account_id);
        pg_bind_text(u, 2, if_none);
        rc = pg_err(conn, pg_step(u), "secret_set");
        pg_reset(u);
    }
    memset(out, 0, sizeof *out);
    struct pg_stmt *s = pg_prep(conn, SQL_SECRETS);
    pg_bind_text(s, 1, account_id);
    int step = pg_step(s);
    if (rc == STORE_OK && step == PG_ROW) {
        const char *cur = pg_col_raw(s, 0), *prev = pg_col_raw(s, 1);
        snprintf(out->current, sizeof out->current, "%s", cur ? (const char *)cur : "");
        snprintf(out->previous, sizeof out->previous, "%s", prev ? (const char *)prev : "");
        out->previous_until = pg_col_int64(s, 2);
    } else if (rc == STORE_OK) {
        rc = step == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, step, "secrets");
    }
    pg_reset(s);
    return pg_unit_end(conn, rc);
}

int pg_webhook_rotate(struct store *st, const char *account_id, const char *secret,
                      int64_t previous_until) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_ROTATE);
    pg_bind_text(s, 1, account_id);
    pg_bind_text(s, 2, secret);
    pg_bind_int64(s, 3, previous_until);
    rc = pg_err(conn, pg_step(s), "rotate");
    pg_reset(s);
    if (rc == STORE_OK && pg_changes(conn) == 0)
        rc = STORE_ENOTFOUND;
    return pg_unit_end(conn, rc);
}
