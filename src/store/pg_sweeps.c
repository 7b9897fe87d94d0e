/* pg_sweeps.c - the engine's sweeps on the PostgreSQL backend: taking over
 * attempts in flight (reconciliation) under leases, renewing this node's
 * leases, completing finished campaigns, and schedule.end_at.
 *
 * Leases: an attempt row (a call until it ends, a message until the
 * provider answers its submit) records the node that claimed it
 * (claimed_by) and until when at least (lease_until, set by the claim).
 * A node then keeps all its attempts (and webhook deliveries) with one
 * heartbeat row (nodes: node, alive_until) renewed every tick, instead of
 * rewriting every row in flight. Reconciliation takes over only attempts
 * that are its own, or whose lease ran out and whose node is not alive (or
 * that have none, from before leases), so a live node's attempts are never
 * sent again by another. Every write here is guarded, so several nodes may
 * sweep at once. Engine thread. */
#include "domain/move.h"
#include "store/pg_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ?1 node, ?2 now, ?4 with_own: its own ones (at start), or another's
 * whose lease ran out and whose node is not alive, or one without a lease */
#define TAKEABLE                                                                                   \
    "((?4 <> 0 AND claimed_by IS NOT DISTINCT FROM ?1) OR (claimed_by IS DISTINCT FROM ?1 AND "    \
    "(lease_until IS NULL "                                                                        \
    "OR (lease_until <= ?2 AND " NODE_DEAD("claimed_by", "?2") "))))"

/* A call's text is its recipient's params (an agent runtime's variables). */
#define VOICE_PARAMS "(SELECT r.params FROM recipients r WHERE r.seq = calls.recipient_seq)"
/* whom an attempt row is for: agent (calls only), campaign and recipient ids */
#define WHOM(table, agent)                                                                         \
    agent ", (SELECT c.id FROM campaigns c WHERE c.seq = " table ".campaign_seq), "                \
          "(SELECT r.id FROM recipients r WHERE r.seq = " table ".recipient_seq)"

static const char SQL_TAKE_CALLS[] =
    "UPDATE calls SET claimed_by = ?1, lease_until = ?3 WHERE ended_at IS NULL AND " TAKEABLE
    " RETURNING id, to_number, from_number, attempt, created_at, lane, campaign_seq, "
    "'voice', " VOICE_PARAMS ", provider, submit_state, " WHOM("calls", "agent_id");
static const char SQL_TAKE_MSGS[] =
    "UPDATE messages SET claimed_by = ?1, lease_until = ?3 WHERE status = 'queued' AND " TAKEABLE
    " RETURNING id, to_number, from_id, attempt, created_at, lane, campaign_seq, channel, "
    "coalesce(body, template), provider, submit_state, " WHOM("messages", "NULL");
static const char SQL_OTHERS_CALLS[] =
    "SELECT id, to_number, from_number, attempt, created_at, lane, campaign_seq, "
    "'voice', " VOICE_PARAMS ", provider, submit_state, " WHOM(
        "calls",
        "agent_id") " FROM calls WHERE ended_at IS NULL AND claimed_by IS DISTINCT FROM ?1 AND "
                    "(lease_until > ?2 OR NOT " NODE_DEAD("claimed_by", "?2") ")";
static const char SQL_OTHERS_MSGS[] =
    "SELECT id, to_number, from_id, attempt, created_at, lane, campaign_seq, channel, "
    "coalesce(body, template), provider, submit_state, " WHOM(
        "messages", "NULL") " FROM messages WHERE "
                            "status = 'queued' "
                            "AND claimed_by IS DISTINCT FROM ?1 "
                            "AND (lease_until > ?2 OR "
                            "NOT " NODE_DEAD("claimed_by", "?2") ")";
/* the heartbeat: one row per node, whatever it has in flight */
static const char SQL_HEARTBEAT[] =
    "INSERT INTO nodes(node, alive_until) VALUES (?1, ?2) "
    "ON CONFLICT(node) DO UPDATE SET alive_until = excluded.alive_until";
/* nodes gone for a day (a random id per start leaves one row each) */
static const char SQL_FORGET_NODES[] = "DELETE FROM nodes WHERE alive_until < ?2 - 86400000";
static const char SQL_FINISHED[] =
    "SELECT seq FROM campaigns WHERE status = 'running' AND queued = 0 AND dispatched = 0";

static void read_attempt_row(struct pg_stmt *s, void *item) {
    struct attempt *a = item;
    snprintf(a->call_id, sizeof a->call_id, "%s", (const char *)pg_col_raw(s, 0));
    snprintf(a->to, sizeof a->to, "%s", (const char *)pg_col_raw(s, 1));
    snprintf(a->from, sizeof a->from, "%s", (const char *)pg_col_raw(s, 2));
    a->attempt = pg_col_int(s, 3);
    a->created_at = pg_col_int64(s, 4);
    snprintf(a->lane, sizeof a->lane, "%s", (const char *)pg_col_raw(s, 5));
    a->campaign_seq = pg_col_int64(s, 6);
    channel_parse((const char *)pg_col_raw(s, 7), &a->channel);
    a->text = pg_col_text(s, 8);
    snprintf(a->provider, sizeof a->provider, "%s", (const char *)pg_col_raw(s, 9));
    a->submit_state = pg_col_int(s, 10);
    const char *whom[3] = {pg_col_raw(s, 11), pg_col_raw(s, 12), pg_col_raw(s, 13)};
    snprintf(a->agent_id, sizeof a->agent_id, "%s", whom[0] ? (const char *)whom[0] : "");
    snprintf(a->campaign_id, sizeof a->campaign_id, "%s", whom[1] ? (const char *)whom[1] : "");
    snprintf(a->recipient_id, sizeof a->recipient_id, "%s", whom[2] ? (const char *)whom[2] : "");
}

static void read_taken_row(struct pg_stmt *s, void *item) {
    read_attempt_row(s, item);
    ((struct attempt *)item)->taken = 1;
}

static void clear_attempt_row(void *item) {
    free(((struct attempt *)item)->text);
}

/* Runs one statement of attempt rows and appends them to *list. */
static int append(struct pg_conn *conn, struct pg_stmt *s, pg_row_reader read,
                  struct attempt **list, size_t *n) {
    struct attempt *more = NULL;
    size_t k = 0;
    int rc = pg_read_all(conn, s, sizeof *more, read, clear_attempt_row, (void **)&more, &k,
                         "in_flight");
    if (rc == STORE_OK && k) {
        *list = xrealloc(*list, (*n + k) * sizeof **list);
        memcpy(*list + *n, more, k * sizeof *more);
        *n += k;
    }
    free(more);
    return rc;
}

int pg_in_flight(struct store *st, const char *node, int64_t now, int64_t lease_until, int with_own,
                 struct attempt **out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    *out = NULL;
    *n = 0;
    int rc = pg_unit_begin(conn);
    if (rc)
        return rc;
    const char *take[] = {SQL_TAKE_CALLS, SQL_TAKE_MSGS};
    const char *others[] = {SQL_OTHERS_CALLS, SQL_OTHERS_MSGS};
    for (int i = 0; i < 2 && rc == STORE_OK; i++) {
        struct pg_stmt *s = pg_prep(conn, take[i]);
        pg_bind_text_or_null(s, 1, node);
        pg_bind_int64(s, 2, now);
        pg_bind_time(s, 3, lease_until);
        pg_bind_int64(s, 4, with_own);
        rc = append(conn, s, read_taken_row, out, n);
    }
    for (int i = 0; i < 2 && rc == STORE_OK && with_own; i++) {
        struct pg_stmt *s = pg_prep(conn, others[i]);
        pg_bind_text_or_null(s, 1, node);
        pg_bind_int64(s, 2, now);
        rc = append(conn, s, read_attempt_row, out, n);
    }
    rc = pg_unit_end(conn, rc);
    if (rc) {
        for (size_t i = 0; i < *n; i++)
            free((*out)[i].text);
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int pg_renew_leases(struct store *st, const char *node, int64_t lease_until) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    int rc = pg_unit_begin(conn);
    const char *sqls[] = {SQL_HEARTBEAT, SQL_FORGET_NODES};
    for (int i = 0; i < 2 && rc == STORE_OK; i++) {
        struct pg_stmt *s = pg_prep(conn, sqls[i]);
        pg_bind_text_or_null(s, 1, node);
        pg_bind_int64(s, 2, lease_until);
        rc = pg_err(conn, pg_step(s), "renew_leases");
        pg_reset(s);
    }
    return pg_unit_end(conn, rc);
}

/* Reads every seq the bound statement s answers into a new array. */
static int read_seqs(struct pg_conn *conn, struct pg_stmt *s, int64_t **out, size_t *n,
                     const char *what) {
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int step;
    while ((step = pg_step(s)) == PG_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = pg_col_int64(s, 0);
    }
    pg_reset(s);
    return step == PG_DONE ? STORE_OK : pg_err(conn, step, what);
}

int pg_complete_finished(struct store *st, int64_t now, int *completed) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    *completed = 0;
    int rc = pg_unit_begin(conn);
    if (rc)
        return rc;
    int64_t *seqs;
    size_t n;
    rc = read_seqs(conn, pg_prep(conn, SQL_FINISHED), &seqs, &n, "complete_finished");
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        rc = pg_complete_if_done(conn, seqs[i], now);
        (*completed)++;
    }
    free(seqs);
    return pg_unit_end(conn, rc);
}

/* ---- schedule.end_at ---- */

static const char SQL_ENDED[] =
    "SELECT seq FROM campaigns WHERE end_at IS NOT NULL AND end_at <= ?1 "
    "AND status IN ('running', 'paused') AND queued > 0";
/* The next end to act on: one still ahead, or one already past that has
 * queued recipients again (a give-back after it): then at once. */
static const char SQL_NEXT_END[] =
    "SELECT min(end_at) FROM campaigns WHERE end_at IS NOT NULL "
    "AND status IN ('running', 'paused') AND (end_at > ?1 OR queued > 0)";

int pg_expire_ended(struct store *st, int64_t now, int64_t *next_end) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    *next_end = 0;
    int rc = pg_unit_begin(conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_ENDED);
    pg_bind_int64(s, 1, now);
    int64_t *seqs;
    size_t n;
    rc = read_seqs(conn, s, &seqs, &n, "expire_read"); /* all of them, however many */
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        rc = pg_fail_queued(conn, seqs[i], DISP_EXPIRED, now);
        if (rc == STORE_OK)
            rc = pg_complete_if_done(conn, seqs[i], now);
    }
    free(seqs);
    if (rc == STORE_OK) {
        s = pg_prep(conn, SQL_NEXT_END);
        pg_bind_int64(s, 1, now);
        int step = pg_step(s);
        if (step == PG_ROW && !pg_col_null(s, 0))
            *next_end = pg_col_int64(s, 0);
        pg_reset(s);
        if (step != PG_ROW && step != PG_DONE)
            rc = pg_err(conn, step, "next_end");
    }
    return pg_unit_end(conn, rc);
}
