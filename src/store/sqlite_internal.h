/* sqlite_internal.h - what the SQLite backend's files share: the per-thread
 * connection with its statement cache and transaction depth, and helpers
 * that turn SQLite result codes into STORE_E* codes. Not for use outside
 * src/store/sqlite*.c. */
#ifndef CAMPAIGND_SQLITE_INTERNAL_H
#define CAMPAIGND_SQLITE_INTERNAL_H

#include "domain/move.h"
#include "store/end_facts.h"
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#define SQLITE_STMT_CACHE 256 /* every static statement a connection may prepare */

struct sqlite_conn {
    sqlite3 *db;
    int depth;  /* nesting of begin() on this thread */
    int doomed; /* an inner unit failed: the outer commit rolls back */
    struct {
        const char *sql; /* static SQL text: cached by address */
        sqlite3_stmt *stmt;
    } cache[SQLITE_STMT_CACHE];
    int ncache;
    int engine_cache; /* this connection claims: its page cache was enlarged */
    struct sqlite_conn *next;
    struct sqlite_store *owner;
};

struct sqlite_store {
    struct store base;
    char *path;
    long max_pages; /* 0 = SQLite's default */
    int lock_fd;    /* the exclusive flock of store_options.exclusive, or -1 */
    pthread_key_t key;
    pthread_mutex_t mu;
    struct sqlite_conn *conns;        /* every open connection, for close */
    struct sqlite_checkpointer *ckpt; /* WAL checkpoints' thread, or NULL */
    /* bumped by every connection's WAL hook, which SQLite calls after each
     * commit (write lock released); 0 forever when the file is not in WAL
     * mode (":memory:"), where no hook runs */
    _Atomic uint64_t generation;
};

/* This thread's connection, opened on first use; NULL on failure (logged). */
struct sqlite_conn *sqlite_conn_get(struct store *st);
/* A cached prepared statement for static SQL text, reset and unbound. */
sqlite3_stmt *sqlite_prep(struct sqlite_conn *c, const char *sql);
/* 1 when the connection's last statement changed exactly one row: a
 * guarded move that moved. (Its PostgreSQL twin may take a pipelined
 * write as done and check it later, pg_pipeline.c.) */
static inline int sqlite_changed_one(struct sqlite_conn *c) {
    return sqlite3_changes(c->db) == 1;
}
/* Maps a SQLite result code to STORE_E*, logging unexpected failures. */
int sqlite_err(struct sqlite_conn *c, int rc, const char *what);
/* Units of work that join an outer transaction when there is one. */
int sqlite_unit_begin(struct sqlite_conn *c);
/* This thread's connection into *conn, with a unit of work begun on it:
 * 0, or STORE_EIO (no connection) or begin's error, with nothing begun. */
int sqlite_unit_open(struct store *st, struct sqlite_conn **conn);
/* Runs body(conn, arg) as a unit of work (body answers 0 to commit). Its
 * PostgreSQL twin runs it as a batch unit, and once more plainly when the
 * batch must be redone (pg_pipeline.c): body must leave nothing behind
 * but what its unit stores, and fill its outputs afresh each run. */
int sqlite_unit_batched(struct store *st, int (*body)(struct sqlite_conn *, void *), void *arg);
/* One UPDATE whose parameters ?1..?n are texts (NULL binds null), as a
 * unit of work: 0, STORE_ENOTFOUND when it changed no row (which does not
 * doom the caller's transaction), or a store error. */
int sqlite_update_texts(struct store *st, const char *sql, const char *what,
                        const char *const *texts, int n);
int sqlite_unit_end(struct sqlite_conn *c, int rc); /* commits on 0, else rolls back */

/* Runs sql, a DELETE keyed by up to three text parameters ?1 ?2 ?3 (NULL:
 * not bound), as its own unit: STORE_ENOTFOUND when it deleted no row. */
int sqlite_delete_by_key(struct store *st, const char *sql, const char *a, const char *b,
                         const char *c, const char *what);

typedef void (*sqlite_row_reader)(sqlite3_stmt *s, void *item);
typedef void (*sqlite_item_clear)(void *item);
/* Reads up to limit rows of the bound statement s into a new array of
 * items of item_size bytes (*items, *count); *more is 1 when another row
 * follows (the query asks for limit + 1). On a failure the rows read so far
 * are released with clear and the STORE_E* code is returned. */
int sqlite_read_page(struct sqlite_conn *c, sqlite3_stmt *s, size_t limit, size_t item_size,
                     sqlite_row_reader read, sqlite_item_clear clear, void **items, size_t *count,
                     int *more, const char *what);

/* Reads every row of the bound statement s into a new growing array, as
 * sqlite_read_page does (more is never set). */
int sqlite_read_all(struct sqlite_conn *c, sqlite3_stmt *s, size_t item_size,
                    sqlite_row_reader read, sqlite_item_clear clear, void **items, size_t *count,
                    const char *what);

/* Text column as a new string (NULL for SQL NULL). */
char *sqlite_col_text(sqlite3_stmt *s, int col);
/* Binds a string or NULL. */
void sqlite_bind_text_or_null(sqlite3_stmt *s, int idx, const char *v);
/* Binds an int64, or NULL when v == 0. */
void sqlite_bind_time(sqlite3_stmt *s, int idx, int64_t v);

/* ---- applying domain decisions (sqlite_moves.c), in the caller's
 * transaction ---- */
enum sqlite_move_kind {
    SQLITE_MOVE_PLAIN,      /* status, disposition, due_at */
    SQLITE_MOVE_CLAIM_CALL, /* and attempts + 1, last_attempt_at, last_call_id */
    SQLITE_MOVE_CLAIM_MSG,  /* and attempts + 1, last_attempt_at, last_message_id */
    SQLITE_MOVE_UNCLAIM     /* and attempts - 1, last ids back to the previous attempt's */
};
/* Reads a recipient's status, disposition and due_at from columns col..col+2. */
void sqlite_read_recipient_row(sqlite3_stmt *s, int col, struct recipient_row *r);
/* Applies m (from domain/move.h) to recipient seq, guarded by m->from;
 * *moved = 1 when the row moved (0: it was no longer in m->from). */
int sqlite_recipient_move(struct sqlite_conn *conn, int64_t seq, const struct recipient_move *m,
                          enum sqlite_move_kind kind, const char *attempt_id, int64_t now,
                          int *moved);
/* The campaign's counters += d (nothing when d is zero). */
int sqlite_counters_add(struct sqlite_conn *conn, int64_t campaign_seq,
                        const struct counter_delta *d, int64_t now);
/* Completes the campaign if it is running with nothing queued or
 * dispatched, and reports that. */
int sqlite_complete_if_done(struct sqlite_conn *conn, int64_t campaign_seq, int64_t now);

/* Every queued recipient of the campaign becomes failed with disposition d
 * (cancelled or expired), counters moved, in the caller's transaction. */
int sqlite_fail_queued(struct sqlite_conn *conn, int64_t campaign_seq, enum disposition d,
                       int64_t now);
/* Rows by their internal seq, in the caller's transaction. */
int sqlite_call_by_seq(struct sqlite_conn *conn, int64_t seq, struct call *out);
int sqlite_recipient_by_seq(struct sqlite_conn *conn, int64_t seq, struct recipient *out);
int sqlite_campaign_by_seq(struct sqlite_conn *conn, int64_t seq, struct campaign *out);
int sqlite_message_by_seq(struct sqlite_conn *conn, int64_t seq, struct message *out);

/* ---- the event outbox (sqlite_events.c) ----
 * Events are written in the transaction of the change they report, and
 * only for campaigns with a webhook_url. */
enum event_kind {
    EVENT_CALL_ENDED,
    EVENT_MESSAGE_UPDATED,
    EVENT_RECIPIENT_FINISHED,
    EVENT_CAMPAIGN_STATUS
};
/* Writes one event about the row `seq` (a call, message, recipient, or the
 * campaign itself) of campaign campaign_seq, if the campaign has a webhook. */
int sqlite_emit(struct sqlite_conn *conn, int64_t campaign_seq, enum event_kind kind, int64_t seq,
                int64_t now);
/* 1 when the campaign has a webhook_url (so per-row events are wanted). */
int sqlite_has_webhook(struct sqlite_conn *conn, int64_t campaign_seq);

int sqlite_campaign_insert(struct store *st, struct campaign *c);
int sqlite_campaign_get(struct store *st, const char *account_id, const char *id,
                        struct campaign *out);
int sqlite_campaign_get_with_key(struct store *st, const char *prefix, const char *id,
                                 struct api_key *key, struct campaign *out, int *campaign_rc);
int sqlite_campaign_list(struct store *st, const char *account_id, const struct campaign_filter *f,
                         int64_t before_seq, size_t limit, struct campaign_page *out);
int sqlite_campaign_update(struct store *st, const struct campaign *c);
int sqlite_campaign_move(struct store *st, const char *account_id, const char *id,
                         enum campaign_move move, int64_t now, enum move_result *result,
                         struct campaign *out);

int sqlite_recipients_insert(struct store *st, const char *account_id, const char *campaign_id,
                             struct recipient_new *items, size_t n, int64_t now,
                             struct campaign *out);
int sqlite_recipient_list(struct store *st, const char *account_id, const char *campaign_id,
                          const struct recipient_filter *f, int64_t after_seq, size_t limit,
                          struct recipient_page *out);
int sqlite_recipient_get(struct store *st, const char *account_id, const char *campaign_id,
                         const char *id, struct recipient *out);
int sqlite_carrier_list(struct store *st, struct carrier **out, size_t *n);
int sqlite_carrier_put(struct store *st, const struct carrier *c, int64_t now);
int sqlite_carrier_delete(struct store *st, const char *name);
int sqlite_submits_mark(struct store *st, const struct submit_mark *m, size_t n);
int sqlite_attempt_provider(struct store *st, const char *attempt_id, char provider[65],
                            enum channel *ch);
int sqlite_attempt_by_provider_id(struct store *st, const char *provider, const char *provider_id,
                                  char attempt_id[48], enum channel *ch);
int sqlite_segment_receipt(struct store *st, const char *provider, const char *segment_id,
                           const char *message_id, size_t nsegments, int receipt,
                           char attempt_id[48], enum segments_verdict *verdict);
int sqlite_sim_put(struct store *st, const char *provider, const char *reports,
                   const int64_t *forget, size_t nforget, int64_t *seq);
int sqlite_sim_batches(struct store *st, const char *provider, struct sim_batch **out, size_t *n);
int sqlite_inbox_put(struct store *st, const char *provider, const struct attempt_end *ends,
                     size_t n, int64_t now);
int sqlite_inbox_read(struct store *st, int64_t after_seq, size_t limit, struct inbox_report **out,
                      size_t *n);
int sqlite_inbox_delete(struct store *st, int64_t up_to_seq, int64_t **deleted, size_t *ndeleted);
int sqlite_provider_list(struct store *st, struct provider_def **out, size_t *n);
int sqlite_provider_put(struct store *st, const struct provider_def *d, int64_t now);
int sqlite_provider_delete(struct store *st, const char *name);
int sqlite_relane(struct store *st, enum channel ch,
                  void (*route)(void *ctx, const char *number, const char *config_json,
                                char *carrier, size_t carrier_size, char *lane, size_t lane_size),
                  void *ctx, int64_t *changed);
int sqlite_engine_campaigns(struct store *st, struct engine_campaign **out, size_t *n);
int sqlite_campaign_lanes(struct store *st, int64_t campaign_seq, char ***out, size_t *n);
int sqlite_lane_next_due(struct store *st, const char *lane, int64_t campaign_seq, int64_t *due);
int sqlite_claim(struct store *st, struct claim_request *reqs, size_t nreqs, int64_t now,
                 struct attempt *out, size_t *n);
int sqlite_apply_ends(struct store *st, const struct attempt_end *ends, size_t n, int64_t now,
                      struct attempt_applied *applied);
int sqlite_unclaim(struct store *st, const struct attempt *a, size_t n, int64_t due_at);
int sqlite_lane_hold(struct store *st, const char *lane, double tat_ms, double rate, int64_t now);
/* SQL: no node named by column `who` is alive at `now` (a ?N), after its
 * heartbeat (nodes.alive_until, renew_leases); leases (sqlite_sweeps.c,
 * sqlite_events.c) hold while their node is alive. */
#define NODE_DEAD(who, now)                                                                        \
    "NOT EXISTS (SELECT 1 FROM nodes WHERE nodes.node = " who " AND nodes.alive_until > " now ")"
int sqlite_in_flight(struct store *st, const char *node, int64_t now, int64_t lease_until,
                     int with_own, struct attempt **out, size_t *n);
int sqlite_renew_leases(struct store *st, const char *node, int64_t lease_until);
int sqlite_expire_ended(struct store *st, int64_t now, int64_t *next_end);
int sqlite_complete_finished(struct store *st, int64_t now, int *completed);
int sqlite_fail_unknown_submits(struct store *st, int64_t cutoff, int64_t now,
                                struct attempt_applied **out, size_t *n);
int sqlite_call_list(struct store *st, const char *account_id, const struct call_filter *f,
                     int64_t before_seq, size_t limit, struct call_page *out);
int sqlite_call_get(struct store *st, const char *account_id, const char *id, struct call *out);
int sqlite_message_set_pricing(struct store *st, const char *message_id, const char *category);
int sqlite_call_set_media(struct store *st, const char *call_id, const char *transcript,
                          const char *recording_url);
int sqlite_message_list(struct store *st, const char *account_id, const struct message_filter *f,
                        int64_t before_seq, size_t limit, struct message_page *out);
int sqlite_message_get(struct store *st, const char *account_id, const char *id,
                       struct message *out);
int sqlite_opt_out_insert(struct store *st, struct opt_out *o, int *created);
int sqlite_opt_out_list(struct store *st, const char *account_id, const struct opt_out_filter *f,
                        int64_t before_seq, size_t limit, struct opt_out_page *out);
int sqlite_opt_out_delete(struct store *st, const char *account_id, const char *id);
int sqlite_opt_out_remove_blanket(struct store *st, const char *account_id, const char *number,
                                  enum channel ch);
int sqlite_sender_account(struct store *st, enum channel ch, const char *sender,
                          char account_id[48]);
int sqlite_inbound_insert(struct store *st, const char *account_id, enum channel ch,
                          const char *from, const char *to, const char *body, const char *action,
                          int64_t now);
int sqlite_events_due(struct store *st, int64_t now, size_t per_url, size_t per_account,
                      size_t limit, struct outbound_event **out, size_t *n);
int sqlite_event_body(struct store *st, int64_t seq, char **body);
int sqlite_event_result(struct store *st, const char *id, const char *state, int http_status,
                        const char *error, int64_t next_attempt_at, int64_t now);
int sqlite_events_next(struct store *st, int64_t *next, int64_t *pending);
int sqlite_events_lease(struct store *st, const int64_t *seqs, size_t n, const char *node,
                        int64_t now, int64_t lease_until, int *taken);
int sqlite_event_list(struct store *st, const char *account_id, const char *campaign_id,
                      const char *type, int64_t before_seq, size_t limit, struct event_page *out);
int sqlite_event_redeliver(struct store *st, const char *account_id, const char *id, int64_t now,
                           struct event_row *out);
int sqlite_webhook_secrets(struct store *st, const char *account_id, const char *if_none,
                           struct webhook_secrets *out);
int sqlite_webhook_rotate(struct store *st, const char *account_id, const char *secret,
                          int64_t previous_until);

/* ---- the facts a batch of reports is decided on (end_facts.h, sqlite_end_facts.c) ---- */

/* The facts of report e: pre, the batch's, unless it is marked again,
 * else as they are now. */
int sqlite_end_facts_at(struct sqlite_conn *conn, const struct attempt_end *e,
                        const struct end_facts *pre, struct end_facts *x);
/* The facts of every report of a batch (*out, n of them, in the order of
 * ends), one query per channel kind; each but a recipient's first is
 * marked again. */
int sqlite_end_facts_all(struct sqlite_conn *conn, const struct attempt_end *ends, size_t n,
                         struct end_facts **out);

#endif
