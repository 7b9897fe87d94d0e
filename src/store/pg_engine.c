/* pg_engine.c - the dispatch engine's claim on the PostgreSQL backend:
 * the running campaigns and their lanes, the next due time of a lane, and
 * claiming due recipients lane by lane.
 *
 * Rows, not rules: at each recipient's turn the store looks up the facts
 * (the campaign's status now, an opt-out probe) and domain/turn.c decides;
 * the store applies the answer as a guarded move (pg_moves.c), writes
 * the attempt row (a call or a message, leased to the claiming node) only
 * when the recipient moved, and moves the counters by the summed deltas, all
 * in the claim's one transaction (group commit). Queued work is found
 * through the partial index recipients_queue (lane, campaign_seq, due_at)
 * WHERE status = 'queued'. Ends and give-backs: pg_ends.c; sweeps and
 * leases: pg_sweeps.c. Engine thread.
 *
 * Shared pacing (requests with pace.rate > 0, from nodes sharing the
 * store): in the claim's transaction, which holds the writers' lock, each
 * lane's pacer is rebuilt from its row in lane_limits (the GCRA's next
 * arrival time and the rate it was booked at), the limits in force (a
 * stored carrier's row, else the request's) and its attempts in flight,
 * counted from the attempt rows (calls not ended, messages not answered:
 * so every end, give-back, sweep or takeover frees its slot in its own
 * transaction, and a dead node leaks none; on PostgreSQL, where the count
 * grew with the calls in flight, triggers keep it per lane in
 * lane_in_flight in that same transaction, migration 8). The lane's
 * requests are cut to its budget, and the arrival time advanced by the
 * starts made is written back: nodes reserve exactly what they start,
 * nothing to give back. */
#include "domain/due.h"
#include "domain/sms.h"
#include "domain/turn.h"
#include "store/pg_internal.h"
#include "util/alloc.h"
#include "util/ids.h"
#include "util/strcopy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_CAMPAIGNS[] =
    "SELECT seq, id, account_id, channel, status, agent_id, config, schedule, queued, "
    "dispatched, coalesce(start_at, 0), coalesce(end_at, 0) FROM campaigns "
    "WHERE status = 'running'";
static const char SQL_LANES[] = "SELECT lane FROM campaign_lanes WHERE campaign_seq = ?1";
static const char SQL_NEXT_DUE[] = "SELECT min(due_at) FROM recipients "
                                   "WHERE lane = ?1 AND campaign_seq = ?2 AND status = 'queued'";
static const char SQL_DUE[] =
    "SELECT seq, id, phone_number, attempts, carrier, params, zones, status, disposition, due_at "
    "FROM recipients "
    "WHERE lane = ?1 AND campaign_seq = ?2 AND status = 'queued' AND due_at <= ?3 "
    "ORDER BY due_at, seq LIMIT ?4 FOR UPDATE SKIP LOCKED";
/* A claim writes its calls or messages CLAIM_INSERT_ROWS rows a statement
 * (sql_calls_batch): a statement's start and end, with a table of six
 * indexes, cost about what a row does; one statement a row made the
 * claim's largest cost (docs/benchmarks.md, eighth session). PostgreSQL's
 * twin writes them one by one: its batch unit sends such a run as one
 * statement already (pg_coalesce.c). */
#define CLAIM_INSERT_ROWS 1
#define CALL_ROW_PARAMS 14
#define MSG_ROW_PARAMS 18
static const char SQL_CALL_INSERT[] =
    "INSERT INTO calls(id, account_id, campaign_seq, recipient_seq, agent_id, from_number, "
    "to_number, attempt, status, carrier, lane, provider, created_at, claimed_by, lease_until, "
    "submit_state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'ringing', ?9, ?10, ?11, ?12, ?13, "
    "?14, 1)";
static const char SQL_MSG_INSERT[] =
    "INSERT INTO messages(id, account_id, campaign_seq, recipient_seq, channel, from_id, "
    "to_number, attempt, body, template, status, carrier, lane, provider, segments, encoding, "
    "created_at, updated_at, claimed_by, lease_until, submit_state) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, 'queued', ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17, ?18, 1)";
static const char SQL_OPTED_OUT[] =
    "SELECT 1 FROM opt_outs WHERE account_id = ?1 AND phone_number = ?2 AND channel = ?3 "
    "AND category IN ('', ?4) LIMIT 1";
static const char SQL_ANY_OPT_OUT[] =
    "SELECT 1 FROM opt_outs WHERE account_id = ?1 AND channel = ?2 LIMIT 1";
static const char SQL_CAMPAIGN_STATUS[] = "SELECT status FROM campaigns WHERE seq = ?1";
static const char SQL_LANE_STATE[] =
    "SELECT l.tat_ms, l.rate, c.rate_per_second, c.burst, c.max_concurrent, "
    "coalesce((SELECT n FROM lane_in_flight WHERE lane = ?1), 0) "
    "FROM (SELECT 1) AS one LEFT JOIN lane_limits l ON l.lane = ?1 "
    "LEFT JOIN carriers c ON c.name = ?2";
static const char SQL_LANE_PUT[] =
    "INSERT INTO lane_limits(lane, tat_ms, rate, updated_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT(lane) DO UPDATE SET tat_ms = excluded.tat_ms, rate = excluded.rate, "
    "updated_at = excluded.updated_at";
/* a throttle's back-off: the arrival time only ever moves later here */
static const char SQL_LANE_HOLD[] =
    "INSERT INTO lane_limits(lane, tat_ms, rate, updated_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT(lane) DO UPDATE SET tat_ms = excluded.tat_ms, rate = excluded.rate, "
    "updated_at = excluded.updated_at WHERE lane_limits.tat_ms < excluded.tat_ms";

static void read_engine_campaign_row(struct pg_stmt *s, void *item) {
    struct engine_campaign *c = item;
    c->seq = pg_col_int64(s, 0);
    STR_COPY(c->id, (const char *)pg_col_raw(s, 1));
    STR_COPY(c->account_id, (const char *)pg_col_raw(s, 2));
    channel_parse((const char *)pg_col_raw(s, 3), &c->channel);
    campaign_status_parse((const char *)pg_col_raw(s, 4), &c->status);
    c->agent_id = pg_col_text(s, 5);
    c->config_json = pg_col_text(s, 6);
    c->schedule_json = pg_col_text(s, 7);
    c->queued = pg_col_int64(s, 8);
    c->dispatched = pg_col_int64(s, 9);
    c->start_at = pg_col_int64(s, 10);
    c->end_at = pg_col_int64(s, 11);
}

static void clear_engine_campaign_row(void *item) {
    engine_campaign_clear(item);
}

int pg_engine_campaigns(struct store *st, struct engine_campaign **out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    return pg_read_all(conn, pg_prep(conn, SQL_CAMPAIGNS), sizeof **out, read_engine_campaign_row,
                       clear_engine_campaign_row, (void **)out, n, "engine_campaigns");
}

int pg_campaign_lanes(struct store *st, int64_t campaign_seq, char ***out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_LANES);
    pg_bind_int64(s, 1, campaign_seq);
    size_t cap = 4, count = 0;
    char **list = xcalloc(cap, sizeof *list);
    int rc;
    while ((rc = pg_step(s)) == PG_ROW) {
        if (count == cap) {
            cap *= 2;
            list = xrealloc(list, cap * sizeof *list);
        }
        list[count++] = pg_col_text(s, 0);
    }
    pg_reset(s);
    if (rc != PG_DONE) {
        for (size_t i = 0; i < count; i++)
            free(list[i]);
        free(list);
        return pg_err(conn, rc, "campaign_lanes");
    }
    *out = list;
    *n = count;
    return STORE_OK;
}

int pg_lane_next_due(struct store *st, const char *lane, int64_t campaign_seq, int64_t *due) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_NEXT_DUE);
    pg_bind_text(s, 1, lane);
    pg_bind_int64(s, 2, campaign_seq);
    int rc = pg_step(s);
    int result = STORE_ENOTFOUND;
    if (rc == PG_ROW && !pg_col_null(s, 0)) {
        *due = pg_col_int64(s, 0);
        result = STORE_OK;
    } else if (rc != PG_ROW) {
        result = pg_err(conn, rc, "lane_next_due");
    }
    pg_reset(s);
    return result;
}

struct due_row {
    int64_t seq;
    char id[48];
    char phone[20];
    int attempts;
    char carrier[CARRIER_NAME_MAX + 1];
    json_t *params;
    char *zones;
    struct recipient_row row;
};

/* 1 when the number opted out of the channel (blanket, or the category). */
static int opted_out(struct pg_conn *conn, const struct engine_campaign *c, const char *phone,
                     const char *category, int *rc) {
    struct pg_stmt *s = pg_prep(conn, SQL_OPTED_OUT);
    pg_bind_text(s, 1, c->account_id);
    pg_bind_text(s, 2, phone);
    pg_bind_text(s, 3, channel_name(c->channel));
    pg_bind_text(s, 4, category ? category : "");
    int step = pg_step(s);
    pg_reset(s);
    if (step != PG_ROW && step != PG_DONE)
        *rc = pg_err(conn, step, "opted_out");
    return step == PG_ROW;
}

/* 1 when the account has any opt-out of the channel: when it has none, no
 * recipient of this claim needs the probe (the claim's write transaction
 * keeps it so until it commits). */
static int any_opt_out(struct pg_conn *conn, const struct engine_campaign *c, int *rc) {
    struct pg_stmt *s = pg_prep(conn, SQL_ANY_OPT_OUT);
    pg_bind_text(s, 1, c->account_id);
    pg_bind_text(s, 2, channel_name(c->channel));
    int step = pg_step(s);
    pg_reset(s);
    if (step != PG_ROW && step != PG_DONE)
        *rc = pg_err(conn, step, "any_opt_out");
    return step == PG_ROW;
}

/* The campaign's status as this transaction sees it (another writer may
 * have paused or cancelled it since the engine read it). */
static int campaign_status_now(struct pg_conn *conn, int64_t seq, enum campaign_status *out) {
    struct pg_stmt *s = pg_prep(conn, SQL_CAMPAIGN_STATUS);
    pg_bind_int64(s, 1, seq);
    int step = pg_step(s);
    if (step == PG_ROW)
        campaign_status_parse((const char *)pg_col_raw(s, 0), out);
    pg_reset(s);
    if (step == PG_ROW)
        return STORE_OK;
    return step == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, step, "claim_campaign");
}

/* Binds an attempt row's parameters, from ?p on (CALL_ROW_PARAMS or
 * MSG_ROW_PARAMS of them, in the order of SQL_CALL_INSERT's and
 * SQL_MSG_INSERT's ?1...). */
static void bind_attempt_row(struct pg_stmt *s, int p, const struct claim_request *r,
                             const struct due_row *row, const struct attempt *a) {
    const struct engine_campaign *c = r->campaign;
    pg_bind_text(s, p, a->call_id);
    pg_bind_text(s, p + 1, c->account_id);
    pg_bind_int64(s, p + 2, c->seq);
    pg_bind_int64(s, p + 3, row->seq);
    if (c->channel == CHANNEL_VOICE) {
        pg_bind_text(s, p + 4, c->agent_id);
        pg_bind_text(s, p + 5, a->from);
        pg_bind_text(s, p + 6, a->to);
        pg_bind_int64(s, p + 7, a->attempt);
        pg_bind_text(s, p + 8, row->carrier);
        pg_bind_text(s, p + 9, r->lane);
        pg_bind_text(s, p + 10, r->provider);
        pg_bind_int64(s, p + 11, a->created_at);
        pg_bind_text_or_null(s, p + 12, r->node);
        pg_bind_time(s, p + 13, r->lease_until);
        return;
    }
    struct sms_info info = {0};
    if (c->channel == CHANNEL_SMS)
        sms_count(a->text, &info);
    pg_bind_text(s, p + 4, channel_name(c->channel));
    pg_bind_text(s, p + 5, a->from);
    pg_bind_text(s, p + 6, a->to);
    pg_bind_int64(s, p + 7, a->attempt);
    pg_bind_text_or_null(s, p + 8, c->channel == CHANNEL_SMS ? a->text : NULL);
    pg_bind_text_or_null(s, p + 9, c->channel == CHANNEL_WHATSAPP ? a->text : NULL);
    pg_bind_text(s, p + 10, row->carrier);
    pg_bind_text(s, p + 11, r->lane);
    pg_bind_text(s, p + 12, r->provider);
    if (c->channel == CHANNEL_SMS) {
        pg_bind_int64(s, p + 13, (int64_t)info.segments);
        pg_bind_text(s, p + 14, info.encoding); /* a literal */
    } else {
        pg_bind_time(s, p + 13, 0); /* NULLs, typed (as bind_disp's) */
        pg_bind_text_or_null(s, p + 14, NULL);
    }
    pg_bind_int64(s, p + 15, a->created_at);
    pg_bind_text_or_null(s, p + 16, r->node);
    pg_bind_time(s, p + 17, r->lease_until);
}

/* The multi-row statements: CLAIM_INSERT_ROWS copies of SQL_CALL_INSERT's
 * and SQL_MSG_INSERT's row, each ?k of copy i renumbered k + i * params. */
static char sql_calls_batch[CLAIM_INSERT_ROWS * 160 + 512],
    sql_messages_batch[CLAIM_INSERT_ROWS * 200 + 512];
static pthread_once_t sql_batch_once = PTHREAD_ONCE_INIT;

static void build_batch(char *out, size_t size, const char *one, int params) {
    const char *values = strstr(one, "VALUES ") + strlen("VALUES ");
    size_t n = (size_t)snprintf(out, size, "%.*s", (int)(values - one), one);
    for (int i = 0; i < CLAIM_INSERT_ROWS; i++) {
        if (i)
            n += (size_t)snprintf(out + n, size - n, ", ");
        for (const char *q = values; *q && n + 16 < size;) {
            if (*q == '?') {
                long k = strtol(q + 1, (char **)&q, 10);
                n += (size_t)snprintf(out + n, size - n, "?%ld", k + (long)i * params);
            } else {
                out[n++] = *q++;
            }
        }
        out[n] = '\0';
    }
}

static void build_batches(void) {
    build_batch(sql_calls_batch, sizeof sql_calls_batch, SQL_CALL_INSERT, CALL_ROW_PARAMS);
    build_batch(sql_messages_batch, sizeof sql_messages_batch, SQL_MSG_INSERT, MSG_ROW_PARAMS);
}

/* Writes the attempt rows of rows[0..n) and a[0..n), CLAIM_INSERT_ROWS a
 * statement while that many are left, then one by one. */
static int insert_attempt_rows(struct pg_conn *conn, const struct claim_request *r,
                               const struct due_row *const *rows, const struct attempt *a,
                               size_t n) {
    int voice = r->campaign->channel == CHANNEL_VOICE;
    int params = voice ? CALL_ROW_PARAMS : MSG_ROW_PARAMS;
    int rc = STORE_OK;
    for (size_t i = 0; i < n && rc == STORE_OK;) {
        size_t take = CLAIM_INSERT_ROWS > 1 && n - i >= CLAIM_INSERT_ROWS ? CLAIM_INSERT_ROWS : 1;
        const char *sql = voice ? SQL_CALL_INSERT : SQL_MSG_INSERT;
        if (take > 1) {
            pthread_once(&sql_batch_once, build_batches);
            sql = voice ? sql_calls_batch : sql_messages_batch;
        }
        struct pg_stmt *s = pg_prep(conn, sql);
        for (size_t k = 0; k < take; k++)
            bind_attempt_row(s, 1 + (int)k * params, r, rows[i + k], &a[i + k]);
        rc = pg_err(conn, pg_step(s), "claim_attempt_rows");
        pg_reset(s);
        i += take;
    }
    return rc;
}

static void read_due_row(struct pg_stmt *s, struct due_row *d) {
    d->seq = pg_col_int64(s, 0);
    STR_COPY(d->id, (const char *)pg_col_raw(s, 1));
    STR_COPY(d->phone, (const char *)pg_col_raw(s, 2));
    d->attempts = pg_col_int(s, 3);
    STR_COPY(d->carrier, (const char *)pg_col_raw(s, 4));
    const char *params = pg_col_raw(s, 5);
    d->params = params ? json_loads((const char *)params, 0, NULL) : NULL;
    d->zones = pg_col_text(s, 6);
    d->row.status = RECIPIENT_QUEUED;
    recipient_status_parse((const char *)pg_col_raw(s, 7), &d->row.status);
    d->row.disposition = DISP_NONE;
    const char *disp = pg_col_raw(s, 8);
    if (disp)
        disposition_parse((const char *)disp, &d->row.disposition);
    d->row.due_at = pg_col_int64(s, 9);
}

/* Fills the attempt handed to the provider for a dispatched row. */
static void make_attempt(const struct claim_request *r, const struct due_row *row, char *text,
                         int64_t now, struct attempt *a) {
    const struct engine_campaign *c = r->campaign;
    memset(a, 0, sizeof *a);
    ids_new(c->channel == CHANNEL_VOICE ? "call_" : "msg_", a->call_id);
    a->channel = c->channel;
    STR_COPY(a->to, row->phone);
    STR_COPY(a->from, r->from ? r->from : "");
    a->attempt = row->attempts + 1;
    a->created_at = now;
    a->text = text;
    STR_COPY(a->lane, r->lane);
    a->campaign_seq = c->seq;
    STR_COPY(a->agent_id, c->agent_id ? c->agent_id : "");
    STR_COPY(a->campaign_id, c->id);
    STR_COPY(a->recipient_id, row->id);
}

/* Applies the decision at one recipient's turn. *handed is 1 when it
 * became an attempt in out (its row is inserted by the caller, after every
 * turn's move: a batch unit on PostgreSQL sends each kind of write as one
 * statement when they come one after another, pg_coalesce.c). */
static int apply_turn(struct pg_conn *conn, const struct claim_request *r,
                      const struct due_row *row, struct turn_decision *d, int64_t now,
                      struct counter_delta *sum, struct attempt *out, int *handed) {
    const struct engine_campaign *c = r->campaign;
    *handed = 0;
    int moved = 0, rc = STORE_OK;
    switch (d->kind) {
    case TURN_SKIP:
        return STORE_OK;
    case TURN_DEFER: /* outside its window or not yet due: due again then */
        return pg_recipient_move(conn, row->seq, &d->move, PG_MOVE_PLAIN, NULL, now, &moved);
    case TURN_FAIL: /* never reaches a provider */
        rc = pg_recipient_move(conn, row->seq, &d->move, PG_MOVE_PLAIN, NULL, now, &moved);
        if (rc == STORE_OK && moved) {
            counter_delta_add(sum, &d->move.delta, 1);
            rc = pg_emit(conn, c->seq, PG_EVENT_RECIPIENT_FINISHED, row->seq, now);
        }
        return rc;
    case TURN_DISPATCH:
        break;
    }
    make_attempt(r, row, d->text, now, out);
    d->text = NULL; /* the attempt owns it now */
    rc = pg_recipient_move(conn, row->seq, &d->move,
                           c->channel == CHANNEL_VOICE ? PG_MOVE_CLAIM_CALL : PG_MOVE_CLAIM_MSG,
                           out->call_id, now, &moved);
    if (rc == STORE_OK && moved) {
        counter_delta_add(sum, &d->move.delta, 1);
        *handed = 1;
    } else {
        free(out->text);
        out->text = NULL;
    }
    return rc;
}

/* Claims the due recipients of one (lane, campaign): each one's turn is
 * decided by turn_decide over the facts looked up here. */
static int claim_one(struct pg_conn *conn, struct claim_request *r, int64_t now,
                     struct attempt *out, size_t *n) {
    const struct engine_campaign *c = r->campaign;
    struct due_row *rows = xcalloc(r->want + 1, sizeof *rows);
    size_t nrows = 0;
    struct pg_stmt *s = pg_prep(conn, SQL_DUE);
    pg_bind_text(s, 1, r->lane);
    pg_bind_int64(s, 2, c->seq);
    pg_bind_int64(s, 3, now);
    pg_bind_int64(s, 4, (int64_t)r->want);
    int rc;
    while ((rc = pg_step(s)) == PG_ROW && nrows < r->want)
        read_due_row(s, &rows[nrows++]);
    pg_reset(s);
    rc = (rc == PG_ROW || rc == PG_DONE) ? STORE_OK : pg_err(conn, rc, "claim");
    enum campaign_status status = CAMPAIGN_COMPLETED;
    if (rc == STORE_OK && nrows > 0) {
        rc = campaign_status_now(conn, c->seq, &status);
        if (rc == STORE_ENOTFOUND)
            rc = STORE_OK; /* gone: every turn is skipped */
    }
    json_t *config = json_loads(c->config_json, 0, NULL);
    const char *category = turn_category(c->channel, config);
    struct due_rules rules = {.start_at = c->start_at, .end_at = c->end_at};
    rules.has_window = window_from_json(json_object_get(config, "call_window"), &rules.window);
    struct counter_delta sum = {0};
    size_t got = 0, first = *n;
    const struct due_row **handed_rows = xcalloc(nrows + 1, sizeof *handed_rows);
    int probe = rc == STORE_OK && nrows > 0 && any_opt_out(conn, c, &rc);
    for (size_t i = 0; i < nrows && rc == STORE_OK; i++) {
        struct due_row *row = &rows[i];
        struct turn_facts f = {status,   c->channel, config,      &rules,
                               row->row, row->zones, row->params, 0};
        f.opted_out = probe && opted_out(conn, c, row->phone, category, &rc);
        if (rc)
            break;
        struct turn_decision d;
        turn_decide(&f, now, &d);
        int handed = 0;
        rc = apply_turn(conn, r, row, &d, now, &sum, &out[*n], &handed);
        free(d.text);
        if (handed) {
            handed_rows[got++] = row;
            (*n)++;
        }
    }
    if (rc == STORE_OK)
        rc = insert_attempt_rows(conn, r, handed_rows, &out[first], got);
    free(handed_rows);
    if (rc == STORE_OK)
        rc = pg_counters_add(conn, c->seq, &sum, now);
    if (rc == STORE_OK && got < nrows) /* the last ones may have failed at their turn */
        rc = pg_complete_if_done(conn, c->seq, now);
    r->got = rc == STORE_OK ? got : 0;
    r->scanned = nrows;
    r->stale = nrows > 0 && status != CAMPAIGN_RUNNING;
    for (size_t i = 0; i < nrows; i++) {
        json_decref(rows[i].params);
        free(rows[i].zones);
    }
    json_decref(config);
    free(rows);
    return rc;
}

/* SQLite enlarges the claiming connection's page cache here; PostgreSQL's
 * pages are the server's shared_buffers: nothing to set per connection. */
static void engine_cache(struct pg_conn *conn) {
    if (conn->engine_cache)
        return;
    conn->engine_cache = 1;
}

/* ---- shared pacing ---- */

/* One lane's shared pacing within a claim. */
struct lane_gate {
    const char *lane;
    struct pacer pacer; /* as stored, then advanced by this claim's starts */
    double stored_rate; /* the rate its stored arrival time was booked at (0 = no row) */
    size_t left;        /* starts the lane still allows in this claim */
};

/* Rebuilds the lane's pacer from the store (see the header comment). */
static int lane_gate_load(struct pg_conn *conn, const struct claim_request *r, double now,
                          struct lane_gate *g) {
    char carrier[CARRIER_NAME_MAX + 1];
    snprintf(carrier, sizeof carrier, "%.*s", (int)strcspn(r->lane, "|"), r->lane);
    struct pg_stmt *s = pg_prep(conn, SQL_LANE_STATE);
    pg_bind_text(s, 1, r->lane);
    pg_bind_text(s, 2, carrier);
    int step = pg_step(s);
    if (step == PG_ROW) {
        int stored = !pg_col_null(s, 0);
        int carrier_row = !pg_col_null(s, 2);
        g->lane = r->lane;
        g->stored_rate = stored ? pg_col_double(s, 1) : 0;
        double tat = stored ? pg_col_double(s, 0) : 0;
        double rate = carrier_row ? pg_col_double(s, 2) : r->pace.rate;
        int burst = carrier_row ? pg_col_int(s, 3) : r->pace.burst;
        int cap = carrier_row ? pg_col_int(s, 4) : r->pace.max_concurrent;
        pacer_load(&g->pacer, tat, g->stored_rate, rate, burst, cap, pg_col_int(s, 5), now);
        g->left = pacer_budget(&g->pacer, now);
    }
    pg_reset(s);
    if (step == PG_DONE)
        return STORE_EIO; /* the query always answers one row */
    return step == PG_ROW ? STORE_OK : pg_err(conn, step, "lane_state");
}

/* Runs sql (SQL_LANE_PUT or SQL_LANE_HOLD) on the lane's row. */
static int lane_row_write(struct pg_conn *conn, const char *sql, const char *lane, double tat,
                          double rate, int64_t now, const char *what) {
    struct pg_stmt *s = pg_prep(conn, sql);
    pg_bind_text(s, 1, lane);
    pg_bind_double(s, 2, tat);
    pg_bind_double(s, 3, rate);
    pg_bind_int64(s, 4, now);
    int rc = pg_err(conn, pg_step(s), what);
    pg_reset(s);
    return rc;
}

/* Writes the lane's arrival time back when this claim moved it (starts, or
 * a rate change that rescaled it). */
static int lane_gate_store(struct pg_conn *conn, const struct lane_gate *g, size_t started,
                           int64_t now) {
    if (started == 0 && g->pacer.rate == g->stored_rate)
        return STORE_OK;
    return lane_row_write(conn, SQL_LANE_PUT, g->lane, g->pacer.tat, g->pacer.rate, now,
                          "lane_put");
}

int pg_lane_hold(struct store *st, const char *lane, double tat_ms, double rate, int64_t now) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    rc = lane_row_write(conn, SQL_LANE_HOLD, lane, tat_ms, rate, now, "lane_hold");
    return pg_unit_end(conn, rc);
}

/* The gate of the request's lane, loaded on first sight. */
static int lane_gate_of(struct pg_conn *conn, const struct claim_request *r, int64_t now,
                        struct lane_gate *gates, size_t *ngates, struct lane_gate **out) {
    for (size_t i = 0; i < *ngates; i++)
        if (strcmp(gates[i].lane, r->lane) == 0) {
            *out = &gates[i];
            return STORE_OK;
        }
    *out = &gates[*ngates];
    int rc = lane_gate_load(conn, r, (double)now, *out);
    if (rc == STORE_OK)
        (*ngates)++;
    return rc;
}

/* Claims every request, each lane's cut to its shared budget when paced. */
static int claim_all(struct pg_conn *conn, struct claim_request *reqs, size_t nreqs, int64_t now,
                     struct attempt *out, size_t *n) {
    struct lane_gate *gates = xcalloc(nreqs + 1, sizeof *gates);
    size_t *started = xcalloc(nreqs + 1, sizeof *started);
    size_t ngates = 0;
    int rc = STORE_OK;
    for (size_t i = 0; i < nreqs && rc == STORE_OK; i++) {
        struct claim_request *r = &reqs[i];
        struct lane_gate *g = NULL;
        if (r->pace.rate > 0) {
            rc = lane_gate_of(conn, r, now, gates, &ngates, &g);
            if (rc == STORE_OK && r->want > g->left)
                r->want = g->left;
        }
        r->got = r->scanned = 0;
        if (rc == STORE_OK && r->want > 0)
            rc = claim_one(conn, r, now, out, n);
        if (rc == STORE_OK && g) {
            g->left -= r->got;
            started[g - gates] += r->got;
            pacer_started(&g->pacer, (double)now, r->got);
        }
    }
    for (size_t k = 0; k < ngates && rc == STORE_OK; k++)
        rc = lane_gate_store(conn, &gates[k], started[k], now);
    for (size_t i = 0; i < nreqs && rc == STORE_OK; i++)
        for (size_t k = 0; k < ngates && reqs[i].pace.rate > 0; k++)
            if (strcmp(gates[k].lane, reqs[i].lane) == 0)
                reqs[i].pace = gates[k].pacer;
    free(gates);
    free(started);
    return rc;
}

int pg_claim(struct store *st, struct claim_request *reqs, size_t nreqs, int64_t now,
             struct attempt *out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    engine_cache(conn);
    *n = 0;
    int rc = pg_unit_begin(conn);
    if (rc)
        return rc;
    rc = claim_all(conn, reqs, nreqs, now, out, n);
    rc = pg_unit_end(conn, rc);
    if (rc) {
        for (size_t i = 0; i < *n; i++)
            free(out[i].text);
        *n = 0;
    }
    return rc;
}
