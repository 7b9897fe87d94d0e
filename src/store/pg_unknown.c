/* pg_unknown.c - giving up on attempts whose submit's fate never became
 * known, on the PostgreSQL backend (contract, Providers: "fails with
 * disposition unknown" after CAMPAIGND_UNKNOWN_SUBMIT_SECONDS).
 *
 * An attempt marked as being submitted (submit_state 1) was perhaps
 * received by its provider, so it is never sent again; it waits for a
 * report. When none came by the cutoff, the call or message fails, its
 * recipient moves DISPATCHED -> FAILED / unknown (domain/move.c), counters
 * and events follow, in one transaction. Every write is guarded (the row
 * still open and still submitting), so a report applied meanwhile, or
 * another node's sweep, wins and this changes nothing. The in-flight
 * indexes bound the scan to attempts still open. Engine thread. */
#include "store/pg_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* at most this many a call: the engine calls again when it gets as many */
#define UNKNOWN_BATCH 500

static const char SQL_CALLS[] =
    "SELECT c.seq, c.recipient_seq, c.campaign_seq, c.lane, r.status, r.disposition, r.due_at "
    "FROM calls c JOIN recipients r ON r.seq = c.recipient_seq "
    "WHERE c.ended_at IS NULL AND c.submit_state = 1 AND c.created_at <= ?1 LIMIT ?2";
static const char SQL_MSGS[] =
    "SELECT m.seq, m.recipient_seq, m.campaign_seq, m.lane, r.status, r.disposition, r.due_at "
    "FROM messages m JOIN recipients r ON r.seq = m.recipient_seq "
    "WHERE m.status = 'queued' AND m.submit_state = 1 AND m.created_at <= ?1 LIMIT ?2";
static const char SQL_END_CALL[] =
    "UPDATE calls SET status = 'failed', ended_at = ?2, duration_ms = 0, lease_until = NULL "
    "WHERE seq = ?1 AND (ended_at IS NULL) IS TRUE AND submit_state = 1";
static const char SQL_END_MSG[] =
    "UPDATE messages SET status = 'failed', failed_at = ?2, updated_at = ?2, lease_until = NULL "
    "WHERE seq = ?1 AND (status = 'queued') IS TRUE AND submit_state = 1";

struct unknown_row {
    int64_t seq, recipient_seq, campaign_seq;
    char lane[LANE_MAX + 1];
    struct recipient_row row;
};

static void read_unknown(struct pg_stmt *s, void *item) {
    struct unknown_row *u = item;
    u->seq = pg_col_int64(s, 0);
    u->recipient_seq = pg_col_int64(s, 1);
    u->campaign_seq = pg_col_int64(s, 2);
    snprintf(u->lane, sizeof u->lane, "%s", (const char *)pg_col_raw(s, 3));
    pg_read_recipient_row(s, 4, &u->row);
}

/* Fails one attempt (a call when voice) and its recipient; *closed = 1 when
 * the attempt row was still open. */
static int fail_one(struct pg_conn *conn, const struct unknown_row *u, int voice, int64_t now,
                    int *closed) {
    struct pg_stmt *s = pg_prep(conn, voice ? SQL_END_CALL : SQL_END_MSG);
    pg_bind_int64(s, 1, u->seq);
    pg_bind_int64(s, 2, now);
    int rc = pg_err(conn, pg_step(s), "unknown_end");
    pg_reset(s);
    *closed = rc == STORE_OK && pg_changes(conn) == 1;
    if (!*closed)
        return rc;
    struct recipient_move m;
    move_fail_unknown(&u->row, &m);
    int moved = 0;
    rc = pg_recipient_move(conn, u->recipient_seq, &m, PG_MOVE_PLAIN, NULL, now, &moved);
    if (rc == STORE_OK && moved)
        rc = pg_counters_add(conn, u->campaign_seq, &m.delta, now);
    if (rc == STORE_OK)
        rc = pg_emit(conn, u->campaign_seq, voice ? PG_EVENT_CALL_ENDED : PG_EVENT_MESSAGE_UPDATED,
                     u->seq, now);
    if (rc == STORE_OK && moved)
        rc = pg_emit(conn, u->campaign_seq, PG_EVENT_RECIPIENT_FINISHED, u->recipient_seq, now);
    if (rc == STORE_OK)
        rc = pg_complete_if_done(conn, u->campaign_seq, now);
    return rc;
}

int pg_fail_unknown_submits(struct store *st, int64_t cutoff, int64_t now,
                            struct attempt_applied **out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    *out = NULL;
    *n = 0;
    int rc = pg_unit_begin(conn);
    if (rc)
        return rc;
    struct attempt_applied *done = xcalloc(2 * UNKNOWN_BATCH, sizeof *done);
    size_t ndone = 0;
    const char *sqls[] = {SQL_CALLS, SQL_MSGS};
    for (int voice = 1; voice >= 0 && rc == STORE_OK; voice--) {
        struct pg_stmt *s = pg_prep(conn, sqls[voice ? 0 : 1]);
        pg_bind_int64(s, 1, cutoff);
        pg_bind_int64(s, 2, UNKNOWN_BATCH);
        struct unknown_row *rows = NULL;
        size_t k = 0;
        rc = pg_read_all(conn, s, sizeof *rows, read_unknown, NULL, (void **)&rows, &k,
                         "unknown_read");
        for (size_t i = 0; i < k && rc == STORE_OK; i++) {
            int closed = 0;
            rc = fail_one(conn, &rows[i], voice, now, &closed);
            if (rc == STORE_OK && closed) {
                struct attempt_applied *a = &done[ndone++];
                a->applied = a->released = 1;
                a->campaign_seq = rows[i].campaign_seq;
                snprintf(a->lane, sizeof a->lane, "%s", rows[i].lane);
            }
        }
        free(rows);
    }
    rc = pg_unit_end(conn, rc);
    if (rc == STORE_OK && ndone) {
        *out = done;
        *n = ndone;
    } else {
        free(done);
    }
    return rc;
}
