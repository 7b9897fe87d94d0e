/* sqlite_ends.c - applying what providers report, on the SQLite backend:
 * a voice attempt's end (domain/call_end.c decides), a message report
 * (domain/message_report.c decides), and throttled give-backs.
 *
 * For each report the store reads the rows (attempt, recipient, campaign),
 * asks the rule, and applies the answer: the attempt row guarded by the
 * status it was read in, the recipient's guarded move (sqlite_moves.c), the
 * counter delta only when the recipient moved (summed per campaign and
 * written once a batch, then the campaign's completion), the events (for
 * campaigns with a webhook), in the batch's one transaction (group commit).
 * The attempt rows of a run of reports are written first, then their
 * recipients' moves (struct end_move), so that PostgreSQL sends each kind
 * as one statement (pg_coalesce.c); a report of a recipient met before in
 * the batch reads that recipient again, so the run's moves come first.
 * A repeated or late report changes nothing, so providers may report at
 * least once. Engine thread. */
#include "domain/call_end.h"
#include "domain/message_report.h"
#include "domain/move.h"
#include "store/sqlite_internal.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/strcopy.h"

#include <stdio.h>
#include <string.h>

/* ---- the batch ---- */

/* What one batch of ends keeps per campaign: the counters' summed delta
 * (written once at the end of the batch, then the completion check), its
 * retry policy parsed once, and whether it has a webhook (without one no
 * per-row event is written, so the rows are not rendered). */
struct batch_campaign {
    int64_t seq;
    struct counter_delta sum;
    int has_policy;
    struct retry_policy policy;
    int webhook;
};

struct ends_batch {
    struct batch_campaign *items;
    size_t n, cap;
};

/* What writing a report's attempt row leaves for its recipient: the
 * move, and what follows it. */
struct end_move {
    int due; /* the attempt row was written: the move is next */
    int voice;
    int64_t attempt_seq, recipient_seq, campaign_seq;
    struct recipient_move move;
    int retry;    /* voice: queued again at move.to.due_at */
    int finished; /* the recipient became terminal */
    int released; /* messages: the in-flight slot frees */
};

static const char SQL_POLICY[] = "SELECT retry_policy FROM campaigns WHERE seq = ?1";

/* The campaign's retry policy, parsed once a batch. */
static int load_policy(struct sqlite_conn *conn, struct batch_campaign *c) {
    if (c->has_policy)
        return STORE_OK;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_POLICY);
    sqlite3_bind_int64(s, 1, c->seq);
    int step = sqlite3_step(s);
    const unsigned char *text = step == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
    json_t *policy = text ? json_loads((const char *)text, 0, NULL) : NULL;
    campaign_retry_policy(policy, &c->policy);
    json_decref(policy);
    sqlite3_reset(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return sqlite_err(conn, step, "end_policy");
    c->has_policy = 1;
    return STORE_OK;
}

static struct batch_campaign *batch_campaign(struct sqlite_conn *conn, struct ends_batch *b,
                                             int64_t seq) {
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].seq == seq)
            return &b->items[i];
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->items = xrealloc(b->items, b->cap * sizeof *b->items);
    }
    struct batch_campaign *c = &b->items[b->n++];
    memset(c, 0, sizeof *c);
    c->seq = seq;
    c->webhook = sqlite_has_webhook(conn, seq);
    return c;
}

/* Events of a campaign with a webhook only. */
static int emit(struct sqlite_conn *conn, const struct batch_campaign *c, enum event_kind kind,
                int64_t seq, int64_t now) {
    return c->webhook ? sqlite_emit(conn, c->seq, kind, seq, now) : STORE_OK;
}

/* The end of a batch: each campaign's counters once, then its completion. */
static int batch_flush(struct sqlite_conn *conn, struct ends_batch *b, int64_t now) {
    int rc = STORE_OK;
    for (size_t i = 0; i < b->n && rc == STORE_OK; i++) {
        rc = sqlite_counters_add(conn, b->items[i].seq, &b->items[i].sum, now);
        if (rc == STORE_OK)
            rc = sqlite_complete_if_done(conn, b->items[i].seq, now);
    }
    return rc;
}

/* ---- voice ---- */

static const char SQL_END_CALL[] =
    "UPDATE calls SET status = ?2, answered_at = coalesce(?3, answered_at), ended_at = ?4, "
    "duration_ms = ?5, provider_call_id = coalesce(?6, provider_call_id), lease_until = NULL, "
    "answered_by = coalesce(?7, answered_by), ended_reason = coalesce(?8, ended_reason), "
    "error_code = coalesce(?9, error_code) WHERE seq = ?1 AND ended_at IS NULL";
/* progress: forward only, guarded by the status it was read in */
static const char SQL_PROGRESS_CALL[] =
    "UPDATE calls SET status = ?2, answered_at = coalesce(answered_at, ?3), "
    "provider_call_id = coalesce(provider_call_id, ?4), answered_by = coalesce(?5, answered_by) "
    "WHERE seq = ?1 AND status = ?6 AND ended_at IS NULL";

static const char *nonempty(const char *s) {
    return s && s[0] ? s : NULL;
}

/* A ringing / in_progress report: the open call moves forward (answered
 * when in progress); the attempt stays in flight. */
static int progress_call(struct sqlite_conn *conn, int64_t call_seq, enum call_status from,
                         const struct call_end_decision *d, const struct attempt_end *e,
                         int64_t now, struct attempt_applied *out) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_PROGRESS_CALL);
    sqlite3_bind_int64(s, 1, call_seq);
    sqlite3_bind_text(s, 2, call_status_name(d->status), -1, SQLITE_STATIC);
    int64_t answered = d->status == CALL_IN_PROGRESS ? (e->answered_at ? e->answered_at
                                                        : e->ended_at  ? e->ended_at
                                                                       : now)
                                                     : 0;
    sqlite_bind_time(s, 3, answered);
    sqlite_bind_text_or_null(s, 4, nonempty(e->provider_call_id));
    sqlite_bind_text_or_null(s, 5, answered_by_name(e->answered_by));
    sqlite3_bind_text(s, 6, call_status_name(from), -1, SQLITE_STATIC);
    int rc = sqlite_err(conn, sqlite3_step(s), "progress_call");
    sqlite3_reset(s);
    out->applied = rc == STORE_OK && sqlite_changed_one(conn);
    return rc;
}

/* The call's duration: the provider's when it reported one, else from the
 * answer (or the dial when never answered) to the end. */
static int64_t call_duration(const struct attempt_end *e, int64_t created_at) {
    if (e->has_duration)
        return e->duration_ms > 0 ? e->duration_ms : 0;
    return e->ended_at > created_at ? e->ended_at - created_at : 0;
}

static int write_call_end(struct sqlite_conn *conn, struct ends_batch *b,
                          const struct attempt_end *e, const struct end_facts *pre, int64_t now,
                          struct attempt_applied *out, struct end_move *m) {
    struct end_facts x;
    int rc = sqlite_end_facts_at(conn, e, pre, &x);
    if (rc || !x.found)
        return rc;
    int64_t call_seq = x.seq, recipient_seq = x.recipient_seq, created_at = x.created_at;
    out->campaign_seq = x.campaign_seq;
    STR_COPY(out->lane, x.lane);
    struct batch_campaign *bc = batch_campaign(conn, b, out->campaign_seq);
    rc = load_policy(conn, bc);
    if (rc)
        return rc;
    struct call_end_facts f = x.call;
    f.policy = &bc->policy;
    struct call_end_decision d;
    call_end_decide(&f, e->status, e->answered_by, e->ended_at, &d);
    if (!d.applies)
        return STORE_OK; /* a repeated or late report */
    if (d.progress)
        return progress_call(conn, call_seq, f.current, &d, e, now, out);

    sqlite3_stmt *s = sqlite_prep(conn, SQL_END_CALL);
    sqlite3_bind_int64(s, 1, call_seq);
    sqlite3_bind_text(s, 2, call_status_name(d.status), -1, SQLITE_STATIC);
    sqlite_bind_time(s, 3, e->answered_at);
    sqlite3_bind_int64(s, 4, e->ended_at);
    sqlite3_bind_int64(s, 5, call_duration(e, created_at));
    sqlite_bind_text_or_null(s, 6, nonempty(e->provider_call_id));
    sqlite_bind_text_or_null(s, 7, answered_by_name(e->answered_by));
    sqlite_bind_text_or_null(s, 8, nonempty(e->ended_reason));
    sqlite_bind_text_or_null(s, 9, nonempty(e->error_code));
    rc = sqlite_err(conn, sqlite3_step(s), "end_call");
    sqlite3_reset(s);
    if (rc || !sqlite_changed_one(conn))
        return rc; /* another writer closed it first */
    *m = (struct end_move){.due = 1,
                           .voice = 1,
                           .attempt_seq = call_seq,
                           .recipient_seq = recipient_seq,
                           .campaign_seq = out->campaign_seq,
                           .move = d.move,
                           .retry = d.retry,
                           .finished = d.finished};
    return STORE_OK;
}

/* ---- messages ---- */

static const char SQL_MEND_MSG[] =
    "UPDATE messages SET status = ?2, sent_at = coalesce(sent_at, ?3), "
    "delivered_at = coalesce(delivered_at, ?4), read_at = coalesce(read_at, ?5), "
    "failed_at = coalesce(failed_at, ?6), provider_message_id = coalesce(?7, provider_message_id), "
    "updated_at = ?8, lease_until = NULL, error_code = coalesce(?10, error_code) "
    "WHERE seq = ?1 AND status = ?9";

static int write_message(struct sqlite_conn *conn, int64_t seq, enum message_status from,
                         const struct message_report_decision *d, const struct attempt_end *e,
                         int64_t now, int *moved) {
    sqlite3_stmt *s = sqlite_prep(conn, SQL_MEND_MSG);
    int64_t at = e->ended_at ? e->ended_at : now;
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_text(s, 2, message_status_name(d->status), -1, SQLITE_STATIC);
    sqlite_bind_time(s, 3, d->stamp_sent ? at : 0);
    sqlite_bind_time(s, 4, d->stamp_delivered ? at : 0);
    sqlite_bind_time(s, 5, d->stamp_read ? at : 0);
    sqlite_bind_time(s, 6, d->stamp_failed ? at : 0);
    sqlite_bind_text_or_null(s, 7, nonempty(e->provider_call_id));
    sqlite3_bind_int64(s, 8, now);
    sqlite3_bind_text(s, 9, message_status_name(from), -1, SQLITE_STATIC);
    sqlite_bind_text_or_null(s, 10, nonempty(e->error_code));
    int rc = sqlite_err(conn, sqlite3_step(s), "message_status");
    sqlite3_reset(s);
    *moved = rc == STORE_OK && sqlite_changed_one(conn);
    return rc;
}

static int write_message_report(struct sqlite_conn *conn, struct ends_batch *b,
                                const struct attempt_end *e, const struct end_facts *pre,
                                int64_t now, struct attempt_applied *out, struct end_move *m) {
    struct end_facts x;
    int rc = sqlite_end_facts_at(conn, e, pre, &x);
    if (rc || !x.found)
        return rc;
    int64_t mseq = x.seq, rseq = x.recipient_seq;
    out->campaign_seq = x.campaign_seq;
    STR_COPY(out->lane, x.lane);
    struct message_report_facts f = x.msg;

    struct message_report_decision d;
    message_report_decide(&f, e->mstatus, &d);
    if (!d.applies)
        return STORE_OK;
    int written = 0;
    rc = write_message(conn, mseq, f.current, &d, e, now, &written);
    if (rc || !written)
        return rc; /* another writer moved it first */
    batch_campaign(conn, b, out->campaign_seq);
    *m = (struct end_move){.due = 1,
                           .attempt_seq = mseq,
                           .recipient_seq = rseq,
                           .campaign_seq = out->campaign_seq,
                           .move = d.move,
                           .finished = d.finished,
                           .released = d.released};
    return STORE_OK;
}

/* The recipients' moves of reports [from, to) whose attempt rows were
 * written, each with its counters and events. */
static int apply_moves(struct sqlite_conn *conn, struct ends_batch *b, struct end_move *moves,
                       size_t from, size_t to, int64_t now, struct attempt_applied *applied) {
    int rc = STORE_OK;
    for (size_t i = from; i < to && rc == STORE_OK; i++) {
        struct end_move *m = &moves[i];
        struct attempt_applied *out = &applied[i];
        if (!m->due)
            continue;
        struct batch_campaign *bc = batch_campaign(conn, b, m->campaign_seq);
        int moved = 0;
        rc = sqlite_recipient_move(conn, m->recipient_seq, &m->move, SQLITE_MOVE_PLAIN, NULL, now,
                                   &moved);
        if (rc == STORE_OK && moved)
            counter_delta_add(&bc->sum, &m->move.delta, 1);
        if (rc == STORE_OK && moved && m->retry)
            out->retry_due = m->move.to.due_at;
        if (rc == STORE_OK)
            rc = emit(conn, bc, m->voice ? EVENT_CALL_ENDED : EVENT_MESSAGE_UPDATED, m->attempt_seq,
                      now);
        if (rc == STORE_OK && moved && m->finished)
            rc = emit(conn, bc, EVENT_RECIPIENT_FINISHED, m->recipient_seq, now);
        out->released = m->voice ? rc == STORE_OK : m->released;
        out->applied = rc == STORE_OK;
    }
    return rc;
}

int sqlite_apply_ends(struct store *st, const struct attempt_end *ends, size_t n, int64_t now,
                      struct attempt_applied *applied) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    struct ends_batch b = {0};
    struct end_facts *pre = NULL;
    struct end_move *moves = xcalloc(n + 1, sizeof *moves);
    size_t from = 0;
    rc = sqlite_end_facts_all(conn, ends, n, &pre);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        if (pre[i].again) { /* its recipient's row as the moves before it leave it */
            rc = apply_moves(conn, &b, moves, from, i, now, applied);
            from = i;
            if (rc)
                break;
        }
        memset(&applied[i], 0, sizeof applied[i]);
        rc = ends[i].channel == CHANNEL_VOICE
                 ? write_call_end(conn, &b, &ends[i], &pre[i], now, &applied[i], &moves[i])
                 : write_message_report(conn, &b, &ends[i], &pre[i], now, &applied[i], &moves[i]);
    }
    if (rc == STORE_OK)
        rc = apply_moves(conn, &b, moves, from, n, now, applied);
    if (rc == STORE_OK)
        rc = batch_flush(conn, &b, now);
    free(moves);
    free(pre);
    free(b.items);
    return sqlite_unit_end(conn, rc);
}

/* ---- throttled give-backs ---- */

static const char SQL_UNCLAIM_CALL[] =
    "DELETE FROM calls WHERE id = ?1 AND ended_at IS NULL RETURNING recipient_seq";
static const char SQL_UNCLAIM_MSG[] =
    "DELETE FROM messages WHERE id = ?1 AND status = 'queued' RETURNING recipient_seq";
static const char SQL_RECIPIENT_STATE[] =
    "SELECT status, disposition, due_at FROM recipients WHERE seq = ?1";

/* Gives one attempt back: its row goes (nothing was sent), its recipient
 * moves DISPATCHED -> QUEUED (move_unclaim) due at due_at. */
static int unclaim_one(struct sqlite_conn *conn, const struct attempt *a, int64_t due_at,
                       int64_t now) {
    sqlite3_stmt *s =
        sqlite_prep(conn, a->channel == CHANNEL_VOICE ? SQL_UNCLAIM_CALL : SQL_UNCLAIM_MSG);
    sqlite3_bind_text(s, 1, a->call_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    int64_t recipient_seq = step == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    while (step == SQLITE_ROW)
        step = sqlite3_step(s);
    sqlite3_reset(s);
    if (step != SQLITE_DONE)
        return sqlite_err(conn, step, "unclaim_call");
    if (!recipient_seq)
        return STORE_OK; /* ended or given back already */
    s = sqlite_prep(conn, SQL_RECIPIENT_STATE);
    sqlite3_bind_int64(s, 1, recipient_seq);
    step = sqlite3_step(s);
    struct recipient_row row = {0};
    if (step == SQLITE_ROW)
        sqlite_read_recipient_row(s, 0, &row);
    sqlite3_reset(s);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? STORE_OK : sqlite_err(conn, step, "unclaim_read");
    struct recipient_move m;
    move_unclaim(&row, due_at, &m);
    int moved = 0;
    int rc = sqlite_recipient_move(conn, recipient_seq, &m, SQLITE_MOVE_UNCLAIM, NULL, now, &moved);
    if (rc == STORE_OK && moved)
        rc = sqlite_counters_add(conn, a->campaign_seq, &m.delta, now);
    return rc;
}

int sqlite_unclaim(struct store *st, const struct attempt *a, size_t n, int64_t due_at) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int64_t now = clock_now_ms();
    int rc = sqlite_unit_begin(conn);
    for (size_t i = 0; i < n && rc == STORE_OK; i++)
        rc = unclaim_one(conn, &a[i], due_at, now);
    return sqlite_unit_end(conn, rc);
}
