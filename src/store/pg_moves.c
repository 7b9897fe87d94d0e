/* pg_moves.c - how the PostgreSQL backend applies what domain/ decides:
 * a recipient's move as a guarded UPDATE (the row moves only from the
 * status and disposition the decision was taken on, so a move applied
 * twice, or after another writer's, changes nothing), a counter delta, and
 * a running campaign's completion once nothing is queued or dispatched.
 * Each runs in the caller's transaction; the caller moves the counters only
 * when the row moved. Engine thread (and the API's cancel). */
#include "store/pg_internal.h"

/* The guard every recipient move carries: ?1 seq, ?2 status, ?3 disposition. */
#define GUARD " WHERE seq = ?1 AND status = ?2 AND disposition IS NOT DISTINCT FROM ?3"

static const char SQL_MOVE[] = "UPDATE recipients SET status = ?4, disposition = ?5, due_at = ?6, "
                               "updated_at = ?7" GUARD;
static const char SQL_CLAIM_CALL[] =
    "UPDATE recipients SET status = ?4, due_at = ?6, attempts = attempts + 1, "
    "last_attempt_at = ?7, last_call_id = ?8, updated_at = ?7" GUARD;
static const char SQL_CLAIM_MSG[] =
    "UPDATE recipients SET status = ?4, due_at = ?6, attempts = attempts + 1, "
    "last_attempt_at = ?7, last_message_id = ?8, updated_at = ?7" GUARD;
static const char SQL_UNCLAIM[] =
    "UPDATE recipients SET status = ?4, due_at = ?6, attempts = attempts - 1, updated_at = ?7, "
    "last_call_id = (SELECT id FROM calls WHERE recipient_seq = ?1 ORDER BY seq DESC LIMIT 1), "
    "last_message_id = (SELECT id FROM messages WHERE recipient_seq = ?1 ORDER BY seq DESC "
    "LIMIT 1)" GUARD;

/* ?6.. one per disposition, in enum order (DISP_COUNT of them), then now and
 * the total's delta. */
static const char SQL_COUNTERS[] =
    "UPDATE campaigns SET queued = queued + ?2, dispatched = dispatched + ?3, "
    "succeeded = succeeded + ?4, failed = failed + ?5, d_completed = d_completed + ?6, "
    "d_no_answer = d_no_answer + ?7, d_busy = d_busy + ?8, d_failed = d_failed + ?9, "
    "d_cancelled = d_cancelled + ?10, d_opted_out = d_opted_out + ?11, d_sent = d_sent + ?12, "
    "d_delivered = d_delivered + ?13, d_read = d_read + ?14, "
    "d_undelivered = d_undelivered + ?15, d_missing_param = d_missing_param + ?16, "
    "d_expired = d_expired + ?17, d_voicemail = d_voicemail + ?18, d_unknown = d_unknown + ?19, "
    "updated_at = ?20, total = total + ?21 WHERE seq = ?1";
#define COUNTERS_NOW (6 + DISP_COUNT)
_Static_assert(DISP_COUNT == 14, "SQL_COUNTERS names every disposition");

static const char SQL_COMPLETE_ONE[] =
    "UPDATE campaigns SET status = 'completed', completed_at = ?2, updated_at = ?2 "
    "WHERE seq = ?1 AND status = 'running' AND queued = 0 AND dispatched = 0";

/* NULL for none, bound as a text all the same (PostgreSQL's twin of a run
 * of moves needs every parameter's type, pg_coalesce.c). */
static void bind_disp(struct pg_stmt *s, int idx, enum disposition d) {
    pg_bind_text_or_null(s, idx, disposition_name(d));
}

void pg_read_recipient_row(struct pg_stmt *s, int col, struct recipient_row *r) {
    r->status = RECIPIENT_DISPATCHED;
    recipient_status_parse((const char *)pg_col_raw(s, col), &r->status);
    r->disposition = DISP_NONE;
    const char *d = pg_col_raw(s, col + 1);
    if (d)
        disposition_parse((const char *)d, &r->disposition);
    r->due_at = pg_col_int64(s, col + 2);
}

int pg_recipient_move(struct pg_conn *conn, int64_t seq, const struct recipient_move *m,
                      enum pg_move_kind kind, const char *attempt_id, int64_t now, int *moved) {
    *moved = 0;
    if (!m->moves)
        return STORE_OK;
    const char *sql = kind == PG_MOVE_CLAIM_CALL  ? SQL_CLAIM_CALL
                      : kind == PG_MOVE_CLAIM_MSG ? SQL_CLAIM_MSG
                      : kind == PG_MOVE_UNCLAIM   ? SQL_UNCLAIM
                                                  : SQL_MOVE;
    struct pg_stmt *s = pg_prep(conn, sql);
    pg_bind_int64(s, 1, seq);
    pg_bind_text(s, 2, recipient_status_name(m->from.status));
    bind_disp(s, 3, m->from.disposition);
    pg_bind_text(s, 4, recipient_status_name(m->to.status));
    bind_disp(s, 5, m->to.disposition);
    pg_bind_int64(s, 6, m->to.due_at);
    pg_bind_int64(s, 7, now);
    if (kind == PG_MOVE_CLAIM_CALL || kind == PG_MOVE_CLAIM_MSG)
        pg_bind_text(s, 8, attempt_id);
    int rc = pg_err(conn, pg_step(s), "recipient_move");
    pg_reset(s);
    if (rc == STORE_OK)
        *moved = pg_changed_one(conn);
    return rc;
}

int pg_counters_add(struct pg_conn *conn, int64_t campaign_seq, const struct counter_delta *d,
                    int64_t now) {
    if (counter_delta_is_zero(d))
        return STORE_OK;
    struct pg_stmt *s = pg_prep(conn, SQL_COUNTERS);
    pg_bind_int64(s, 1, campaign_seq);
    pg_bind_int64(s, 2, d->queued);
    pg_bind_int64(s, 3, d->dispatched);
    pg_bind_int64(s, 4, d->succeeded);
    pg_bind_int64(s, 5, d->failed);
    for (int i = 0; i < DISP_COUNT; i++)
        pg_bind_int64(s, 6 + i, d->disp[i]);
    pg_bind_int64(s, COUNTERS_NOW, now);
    pg_bind_int64(s, COUNTERS_NOW + 1, d->total);
    int rc = pg_err(conn, pg_step(s), "counters");
    pg_reset(s);
    return rc;
}

int pg_complete_if_done(struct pg_conn *conn, int64_t campaign_seq, int64_t now) {
    struct pg_stmt *s = pg_prep(conn, SQL_COMPLETE_ONE);
    pg_bind_int64(s, 1, campaign_seq);
    pg_bind_int64(s, 2, now);
    int rc = pg_err(conn, pg_step(s), "complete");
    pg_reset(s);
    if (rc == STORE_OK && pg_changes(conn) == 1)
        rc = pg_emit(conn, campaign_seq, PG_EVENT_CAMPAIGN_STATUS, campaign_seq, now);
    return rc;
}
