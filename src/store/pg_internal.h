/* pg_internal.h - what the PostgreSQL backend's files share: the per-thread
 * connection with its prepared statements and transaction depth, a small
 * statement object (bind, step through rows, read columns) over libpq, and
 * helpers that turn PostgreSQL errors into STORE_E* codes. The pg_*.c files
 * mirror the sqlite_*.c ones, file for file. Not for use outside
 * src/store/pg*.c. */
#ifndef CAMPAIGND_PG_INTERNAL_H
#define CAMPAIGND_PG_INTERNAL_H

#include "domain/move.h"
#include "store/end_facts.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <pthread.h>

#define PG_STMT_CACHE 256 /* every static statement a connection may prepare */
#define PG_MAX_PARAMS 32
#define PG_ROW 100  /* pg_step: a row is ready */
#define PG_DONE 101 /* pg_step: no more rows (or the statement returned none) */
/* What an operation answers when pg_conn_get has no connection for it (the
 * server is restarting or unreachable): transient, as a lost connection. */
#define PG_NO_CONN STORE_EBUSY

struct pg_conn;

/* One static SQL text on one connection, with ?N parameters written $N.
 * Prepared on its first run (with the types of that run's parameters);
 * its result is held until pg_reset. */
struct pg_stmt {
    const char *sql; /* static SQL text: cached by address */
    char name[16];
    int prepared;
    int nparams; /* the highest $N in the text */
    Oid types[PG_MAX_PARAMS];
    char *values[PG_MAX_PARAMS]; /* owned text of each parameter, NULL = SQL NULL */
    PGresult *res;
    int row, nrows;
    struct pg_conn *conn;
    int deferrable; /* a write that answers no rows: a batch unit sends it without waiting */
    Oid bound[PG_MAX_PARAMS]; /* the type of each parameter's last bind (0: a NULL) */
    /* its twin over arrays (pg_coalesce.c): made on first use */
    int twin_state; /* 0 not looked at, 1 has one, -1 has none */
    int twin_key;   /* an UPDATE's key parameter */
    struct pg_stmt *twin;
    char *owned_sql; /* a twin's text */
};

/* A statement sent in a batch unit whose answer is not read yet. */
struct pg_pending {
    struct pg_stmt *stmt;
    int prepare; /* the statement's PREPARE, not a run of it */
    long expect; /* the rows the caller took it as changing; -1: unchecked */
};

/* A batch unit's run of one write held back to be sent as one statement
 * (pg_coalesce.c). */
struct pg_run {
    struct pg_stmt *stmt;     /* NULL: nothing held */
    char **values;            /* n rows of stmt->nparams values, owned */
    unsigned char *expect;    /* per row: taken as changing one row */
    size_t n, cap;            /* rows held; room */
    Oid types[PG_MAX_PARAMS]; /* the rows' bound types (0: only NULLs) */
    int mixed;                /* a parameter bound with two types */
};

struct pg_conn {
    PGconn *db;
    int depth;  /* nesting of begin() on this thread */
    int doomed; /* an inner unit failed: the outer commit rolls back */
    struct pg_stmt *cache[PG_STMT_CACHE];
    int ncache;
    int64_t changes;  /* rows the last statement changed */
    int engine_cache; /* as SQLite's (its claim marks the connection; nothing to size) */
    char error[256];  /* the last failure's message */
    /* a batch unit (pg_pipeline.c): libpq in pipeline mode, the statements
     * sent whose answers are not read yet, the last run when it was one of
     * them (1 + its index), and whether the unit must run again */
    int pipeline;
    struct pg_pending *pending;
    size_t npending, cappending;
    size_t last_deferred;
    int redo;
    struct pg_run run;
    int held_last; /* the last statement run is the run's last row */
    uint64_t coalesced_statements, coalesced_rows; /* twins sent; their rows */
    struct pg_conn *next;
    struct pg_store *owner;
};

/* The engine thread's listening connection (pg_listen.c). */
struct pg_listener {
    PGconn *db;  /* NULL = not open */
    int pending; /* events notified, read while a statement ran */
    int sweeper; /* this session holds the sweeper's advisory lock */
};

struct pg_store {
    struct store base;
    struct pg_listener listener;
    char *url;
    pthread_key_t key;
    pthread_mutex_t mu;
    struct pg_conn *conns; /* every open connection, for close */
};

/* libpq's last message for db on one line (a thread-local buffer). */
const char *pg_message(PGconn *db);
/* A configured new connection to url; NULL on failure (logged). */
PGconn *pg_connect(const char *url);
/* pthread key destructor: a thread ended, close its connection. */
void pg_thread_conn_destroy(void *p);
/* Closes a connection already taken off the store's list (at close). */
void pg_thread_conn_destroy_unlinked(struct pg_conn *c);
/* This thread's connection, opened on first use and opened again when the
 * server dropped it (outside a transaction); NULL on failure (logged). */
struct pg_conn *pg_conn_get(struct store *st);
/* The cached statement for static SQL text, reset and unbound. */
struct pg_stmt *pg_prep(struct pg_conn *c, const char *sql);
/* Binds parameter idx (1-based). Text is copied. */
void pg_bind_text(struct pg_stmt *s, int idx, const char *v);
void pg_bind_int64(struct pg_stmt *s, int idx, int64_t v);
void pg_bind_double(struct pg_stmt *s, int idx, double v);
void pg_bind_null(struct pg_stmt *s, int idx);
/* Binds a string or NULL. */
void pg_bind_text_or_null(struct pg_stmt *s, int idx, const char *v);
/* Binds an int64, or NULL when v == 0. */
void pg_bind_time(struct pg_stmt *s, int idx, int64_t v);
/* Runs the statement on its first call, then walks its rows: PG_ROW, PG_DONE
 * or a STORE_E* code (the message is kept for pg_err). */
int pg_step(struct pg_stmt *s);
/* Drops the statement's result and parameters. */
void pg_reset(struct pg_stmt *s);
/* Rows the connection's last statement changed (in a batch unit, waits
 * for the answers sent so far). */
int64_t pg_changes(struct pg_conn *c);
/* 1 when the connection's last statement changed exactly one row. In a
 * batch unit a write not answered yet is taken as having done so, and
 * checked when its answer comes (the unit is redone when it did not). */
int pg_changed_one(struct pg_conn *c);
/* Columns of the current row: NULL reads as 0 / NULL. */
int pg_col_null(struct pg_stmt *s, int col);
const char *pg_col_raw(struct pg_stmt *s, int col);
int64_t pg_col_int64(struct pg_stmt *s, int col);
int pg_col_int(struct pg_stmt *s, int col);
double pg_col_double(struct pg_stmt *s, int col);
/* Text column as a new string (NULL for SQL NULL). */
char *pg_col_text(struct pg_stmt *s, int col);

/* Maps a pg_step answer to STORE_E* (PG_ROW and PG_DONE are success),
 * logging failures with what. */
int pg_err(struct pg_conn *c, int rc, const char *what);
/* Units of work that join an outer transaction when there is one. */
int pg_unit_begin(struct pg_conn *c);
/* This thread's connection into *conn, with a unit of work begun on it:
 * 0, or PG_NO_CONN (no connection now) or begin's error, nothing begun. */
int pg_unit_open(struct store *st, struct pg_conn **conn);
/* Runs body(conn, arg) as a batch unit, and once more as a plain one when
 * the batch must be redone (STORE_EREDO); inside another unit, joins it. */
int pg_unit_batched(struct store *st, int (*body)(struct pg_conn *, void *), void *arg);
int pg_unit_end(struct pg_conn *c, int rc); /* commits on 0, else rolls back */
/* begin(), and when the unit is the outermost, a batch unit: its writes
 * are pipelined (pg_pipeline.c; store.h begin_batch). Its end answers
 * STORE_EREDO when the unit must run again after a plain begin. */
int pg_unit_begin_batch(struct pg_conn *c);

/* ---- batch units (pg_pipeline.c), used by pg_conn.c ---- */

/* sql with ?N written $N (new string); *nparams gets the highest N. */
char *pg_params_text(const char *sql, int *nparams);
/* 1 when sql is an INSERT, UPDATE or DELETE without RETURNING. */
int pg_sql_is_plain_write(const char *sql);
/* Enters pipeline mode on the connection (0 when it cannot: plain unit). */
int pg_pipeline_enter(struct pg_conn *c);
/* Sends the statement in a batch unit: a deferrable one answers at once
 * (PG_DONE at the step), any other waits for every answer before it and
 * then its own. Answers as run() does, or STORE_EREDO. */
int pg_pipeline_run(struct pg_stmt *s);
/* Sends what is held and reads every answer still due (pg_changes in a
 * batch unit); last_alone: the held run row by row, so that c->changes is
 * its last row's. */
void pg_pipeline_settle(struct pg_conn *c, int last_alone);
/* Sends s with values (owned by the caller) as a write whose answer is
 * read later; expect: the rows it must change, -1 unchecked. */
int pg_pipeline_send(struct pg_conn *c, struct pg_stmt *s, char *const *values, long expect);

/* ---- runs of one write (pg_coalesce.c), used by pg_pipeline.c ---- */

/* The twin of sql (?N parameters, nparams of them) over arrays, new
 * string; NULL when it has none. *key: an UPDATE's key parameter. */
char *pg_twin_sql(const char *sql, int nparams, int *key);
/* Holds s's bound row in the connection's run when s has a twin (sending
 * first a run it cannot join): *taken 1; else sends what is held, *taken
 * 0. 0 or a store error. */
int pg_run_take(struct pg_conn *c, struct pg_stmt *s, int *taken);
/* Sends the run held: its twin, or row by row (one_by_one, or when the
 * twin cannot stand for it). */
int pg_run_flush(struct pg_conn *c, int one_by_one);
/* pg_changed_one of the run's last row. */
void pg_run_mark_last(struct pg_conn *c);
/* Drops the run held (values freed); pg_run_free also its buffers. */
void pg_run_discard(struct pg_conn *c);
void pg_run_free(struct pg_conn *c);
/* Ends pipeline mode at the unit's end, reading every answer still due:
 * 0, or STORE_EBUSY when the connection is gone. c->redo tells whether
 * the unit holds. */
int pg_pipeline_finish(struct pg_conn *c);
/* Fills s->res's reading state and c->changes from an answer, or maps its
 * failure (pg_conn.c; shared by plain and pipelined runs). */
int pg_take_result(struct pg_stmt *s);
/* One UPDATE whose parameters ?1..?n are texts (NULL binds null), as a
 * unit of work: 0, STORE_ENOTFOUND when it changed no row, or a store
 * error. */
int pg_update_texts(struct store *st, const char *sql, const char *what, const char *const *texts,
                    int n);

/* Runs sql, a DELETE keyed by up to three text parameters ?1 ?2 ?3 (NULL:
 * not bound), as its own unit: STORE_ENOTFOUND when it deleted no row. */
int pg_delete_by_key(struct store *st, const char *sql, const char *a, const char *b, const char *c,
                     const char *what);

typedef void (*pg_row_reader)(struct pg_stmt *s, void *item);
typedef void (*pg_item_clear)(void *item);
/* Reads up to limit rows of the bound statement s into a new array of
 * items of item_size bytes (*items, *count); *more is 1 when another row
 * follows (the query asks for limit + 1). */
int pg_read_page(struct pg_conn *c, struct pg_stmt *s, size_t limit, size_t item_size,
                 pg_row_reader read, pg_item_clear clear, void **items, size_t *count, int *more,
                 const char *what);
/* Reads every row of the bound statement s into a new array. */
int pg_read_all(struct pg_conn *c, struct pg_stmt *s, size_t item_size, pg_row_reader read,
                pg_item_clear clear, void **items, size_t *count, const char *what);

/* ---- applying domain decisions (pg_moves.c), in the caller's
 * transaction ---- */
enum pg_move_kind {
    PG_MOVE_PLAIN,      /* status, disposition, due_at */
    PG_MOVE_CLAIM_CALL, /* and attempts + 1, last_attempt_at, last_call_id */
    PG_MOVE_CLAIM_MSG,  /* and attempts + 1, last_attempt_at, last_message_id */
    PG_MOVE_UNCLAIM     /* and attempts - 1, last ids back to the previous attempt's */
};
void pg_read_recipient_row(struct pg_stmt *s, int col, struct recipient_row *r);
int pg_recipient_move(struct pg_conn *conn, int64_t seq, const struct recipient_move *m,
                      enum pg_move_kind kind, const char *attempt_id, int64_t now, int *moved);
int pg_counters_add(struct pg_conn *conn, int64_t campaign_seq, const struct counter_delta *d,
                    int64_t now);
int pg_complete_if_done(struct pg_conn *conn, int64_t campaign_seq, int64_t now);
int pg_fail_queued(struct pg_conn *conn, int64_t campaign_seq, enum disposition d, int64_t now);
int pg_call_by_seq(struct pg_conn *conn, int64_t seq, struct call *out);
int pg_recipient_by_seq(struct pg_conn *conn, int64_t seq, struct recipient *out);
int pg_campaign_by_seq(struct pg_conn *conn, int64_t seq, struct campaign *out);
int pg_message_by_seq(struct pg_conn *conn, int64_t seq, struct message *out);

/* ---- the event outbox (pg_events.c) ---- */
enum pg_event_kind {
    PG_EVENT_CALL_ENDED,
    PG_EVENT_MESSAGE_UPDATED,
    PG_EVENT_RECIPIENT_FINISHED,
    PG_EVENT_CAMPAIGN_STATUS
};
int pg_emit(struct pg_conn *conn, int64_t campaign_seq, enum pg_event_kind kind, int64_t seq,
            int64_t now);
int pg_has_webhook(struct pg_conn *conn, int64_t campaign_seq);

int pg_campaign_insert(struct store *st, struct campaign *c);
int pg_campaign_get(struct store *st, const char *account_id, const char *id, struct campaign *out);
int pg_campaign_get_with_key(struct store *st, const char *prefix, const char *id,
                             struct api_key *key, struct campaign *out, int *campaign_rc);
int pg_campaign_list(struct store *st, const char *account_id, const struct campaign_filter *f,
                     int64_t before_seq, size_t limit, struct campaign_page *out);
int pg_campaign_update(struct store *st, const struct campaign *c);
int pg_campaign_move(struct store *st, const char *account_id, const char *id,
                     enum campaign_move move, int64_t now, enum move_result *result,
                     struct campaign *out);
int pg_recipients_insert(struct store *st, const char *account_id, const char *campaign_id,
                         struct recipient_new *items, size_t n, int64_t now, struct campaign *out);
int pg_recipient_list(struct store *st, const char *account_id, const char *campaign_id,
                      const struct recipient_filter *f, int64_t after_seq, size_t limit,
                      struct recipient_page *out);
int pg_recipient_get(struct store *st, const char *account_id, const char *campaign_id,
                     const char *id, struct recipient *out);
int pg_carrier_list(struct store *st, struct carrier **out, size_t *n);
int pg_carrier_put(struct store *st, const struct carrier *c, int64_t now);
int pg_carrier_delete(struct store *st, const char *name);
int pg_submits_mark(struct store *st, const struct submit_mark *m, size_t n);
int pg_attempt_provider(struct store *st, const char *attempt_id, char provider[65],
                        enum channel *ch);
int pg_attempt_by_provider_id(struct store *st, const char *provider, const char *provider_id,
                              char attempt_id[48], enum channel *ch);
int pg_segment_receipt(struct store *st, const char *provider, const char *segment_id,
                       const char *message_id, size_t nsegments, int receipt, char attempt_id[48],
                       enum segments_verdict *verdict);
int pg_sim_put(struct store *st, const char *provider, const char *reports, const int64_t *forget,
               size_t nforget, int64_t *seq);
int pg_sim_batches(struct store *st, const char *provider, struct sim_batch **out, size_t *n);
int pg_inbox_put(struct store *st, const char *provider, const struct attempt_end *ends, size_t n,
                 int64_t now);
int pg_inbox_read(struct store *st, int64_t after_seq, size_t limit, struct inbox_report **out,
                  size_t *n);
int pg_inbox_delete(struct store *st, int64_t up_to_seq, int64_t **deleted, size_t *ndeleted);
/* ---- several nodes (pg_listen.c) ---- */
int pg_notify(struct store *st, const char *node, int events);
int pg_listen_open(struct store *st);
int pg_listen_read(struct store *st, const char *node, int *events);
void pg_listen_close(struct store *st);
int pg_sweeper_try(struct store *st, const char *node, int *held);

int pg_provider_list(struct store *st, struct provider_def **out, size_t *n);
int pg_provider_put(struct store *st, const struct provider_def *d, int64_t now);
int pg_provider_delete(struct store *st, const char *name);
int pg_relane(struct store *st, enum channel ch,
              void (*route)(void *ctx, const char *number, const char *config_json, char *carrier,
                            size_t carrier_size, char *lane, size_t lane_size),
              void *ctx, int64_t *changed);
int pg_engine_campaigns(struct store *st, struct engine_campaign **out, size_t *n);
int pg_campaign_lanes(struct store *st, int64_t campaign_seq, char ***out, size_t *n);
int pg_lane_next_due(struct store *st, const char *lane, int64_t campaign_seq, int64_t *due);
int pg_claim(struct store *st, struct claim_request *reqs, size_t nreqs, int64_t now,
             struct attempt *out, size_t *n);
int pg_apply_ends(struct store *st, const struct attempt_end *ends, size_t n, int64_t now,
                  struct attempt_applied *applied);
int pg_unclaim(struct store *st, const struct attempt *a, size_t n, int64_t due_at);
int pg_lane_hold(struct store *st, const char *lane, double tat_ms, double rate, int64_t now);
/* SQL: no node named by column `who` is alive at `now` (as in
 * sqlite_internal.h: the mirrored SQL texts use it) */
#define NODE_DEAD(who, now)                                                                        \
    "NOT EXISTS (SELECT 1 FROM nodes WHERE nodes.node = " who " AND nodes.alive_until > " now ")"
int pg_in_flight(struct store *st, const char *node, int64_t now, int64_t lease_until, int with_own,
                 struct attempt **out, size_t *n);
int pg_renew_leases(struct store *st, const char *node, int64_t lease_until);
int pg_expire_ended(struct store *st, int64_t now, int64_t *next_end);
int pg_complete_finished(struct store *st, int64_t now, int *completed);
int pg_fail_unknown_submits(struct store *st, int64_t cutoff, int64_t now,
                            struct attempt_applied **out, size_t *n);
int pg_call_list(struct store *st, const char *account_id, const struct call_filter *f,
                 int64_t before_seq, size_t limit, struct call_page *out);
int pg_call_get(struct store *st, const char *account_id, const char *id, struct call *out);
int pg_message_set_pricing(struct store *st, const char *message_id, const char *category);
int pg_call_set_media(struct store *st, const char *call_id, const char *transcript,
                      const char *recording_url);
int pg_message_list(struct store *st, const char *account_id, const struct message_filter *f,
                    int64_t before_seq, size_t limit, struct message_page *out);
int pg_message_get(struct store *st, const char *account_id, const char *id, struct message *out);
int pg_opt_out_insert(struct store *st, struct opt_out *o, int *created);
int pg_opt_out_list(struct store *st, const char *account_id, const struct opt_out_filter *f,
                    int64_t before_seq, size_t limit, struct opt_out_page *out);
int pg_opt_out_delete(struct store *st, const char *account_id, const char *id);
int pg_opt_out_remove_blanket(struct store *st, const char *account_id, const char *number,
                              enum channel ch);
int pg_sender_account(struct store *st, enum channel ch, const char *sender, char account_id[48]);
int pg_inbound_insert(struct store *st, const char *account_id, enum channel ch, const char *from,
                      const char *to, const char *body, const char *action, int64_t now);
int pg_events_due(struct store *st, int64_t now, size_t per_url, size_t per_account, size_t limit,
                  struct outbound_event **out, size_t *n);
int pg_event_body(struct store *st, int64_t seq, char **body);
int pg_events_lease(struct store *st, const int64_t *seqs, size_t n, const char *node, int64_t now,
                    int64_t lease_until, int *taken);
int pg_event_result(struct store *st, const char *id, const char *state, int http_status,
                    const char *error, int64_t next_attempt_at, int64_t now);
int pg_events_next(struct store *st, int64_t *next, int64_t *pending);
int pg_event_list(struct store *st, const char *account_id, const char *campaign_id,
                  const char *type, int64_t before_seq, size_t limit, struct event_page *out);
int pg_event_redeliver(struct store *st, const char *account_id, const char *id, int64_t now,
                       struct event_row *out);
int pg_webhook_secrets(struct store *st, const char *account_id, const char *if_none,
                       struct webhook_secrets *out);
int pg_webhook_rotate(struct store *st, const char *account_id, const char *secret,
                      int64_t previous_until);

/* ---- the facts a batch of reports is decided on (end_facts.h, pg_end_facts.c) ---- */

/* The facts of report e: pre, the batch's, unless it is marked again,
 * else as they are now. */
int pg_end_facts_at(struct pg_conn *conn, const struct attempt_end *e, const struct end_facts *pre,
                    struct end_facts *x);
/* The facts of every report of a batch (*out, n of them, in the order of
 * ends), one query per channel kind; each but a recipient's first is
 * marked again. */
int pg_end_facts_all(struct pg_conn *conn, const struct attempt_end *ends, size_t n,
                     struct end_facts **out);

#endif
