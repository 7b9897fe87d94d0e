/* store.h - the storage interface: the only door to SQL.
 *
 * A backend implements struct store_ops (sqlite.c, or pg.c for PostgreSQL, as
 * Redis picks ae_epoll.c or ae_kqueue.c) and embeds struct store first in
 * its own struct. Everything above this header is free of SQL.
 *
 * Threads: a store may be used from any thread; each thread gets its own
 * connection (created on first use). Transactions belong to the calling
 * thread: begin/commit/rollback bracket a unit of work, and every mutating
 * operation called inside one joins it; called outside one, it runs in a
 * transaction of its own. Writes begin immediately (no lock upgrade later).
 *
 * Errors: 0 is success, negative is a STORE_E* code (store_strerror).
 * STORE_EBUSY and STORE_EFULL are transient: the same call may succeed
 * later (lock released, space freed); callers retry with a backoff.
 * Ownership: output structs are filled with new strings the caller releases
 * with the matching *_clear function; input pointers are borrowed. */
#ifndef CAMPAIGND_STORE_H
#define CAMPAIGND_STORE_H

#include "domain/attempt.h"
#include "domain/objects.h"
#include "domain/pacer.h"
#include "domain/campaign.h"
#include "domain/carrier.h"
#include "domain/provider_def.h"
#include "domain/recipient.h"
#include "domain/smpp_receipt.h"
#include "domain/types.h"

#include "util/error.h"

#include <stddef.h>
#include <stdint.h>

/* The store's names for the codes of util/error.h (one family). */
enum store_error {
    STORE_OK = ERROR_OK,
    STORE_ENOTFOUND = ERROR_NOTFOUND,
    STORE_ECONFLICT = ERROR_CONFLICT, /* a unique key is taken */
    STORE_EBUSY = ERROR_BUSY,         /* the database stayed locked past the busy timeout */
    STORE_EIO = ERROR_IO,             /* any other database failure (logged) */
    STORE_ESTATE = ERROR_STATE,       /* the object's state forbids the change */
    STORE_EFULL = ERROR_FULL,         /* storage full or failing (disk full, I/O error) */
    STORE_EREDO = ERROR_REDO,         /* begin_batch's unit must run again after begin */
};
/* error_str(), under the store's name. */
const char *store_strerror(int err);
/* For the backends: the ids v[0..n) as a JSON array of strings (a new
 * string), a list bound as one parameter whose elements keep their
 * positions. An id with a byte outside printable ASCII, '"' or '\\' is
 * written "" (no id is empty), and plain[i] (when plain is not NULL) says
 * which were written as they are. */
char *store_json_ids(const char *const *v, size_t n, int *plain);

struct account {
    char id[48];
    char *name;
    int64_t created_at;
};

struct api_key {
    char prefix[16];
    char account_id[48];
    char hash[65]; /* SHA-256 hex of the whole key */
    int64_t created_at;
    int64_t revoked_at; /* 0 = live */
};

struct idem_record {
    char account_id[48];
    const char *key;
    char fingerprint[65]; /* SHA-256 hex of method, path and body */
    int status;
    char *body;
    int64_t created_at;
};
void idem_record_clear(struct idem_record *r);

struct campaign_filter {
    int has_status, has_channel;
    enum campaign_status status;
    enum channel channel;
};

struct campaign_page {
    struct campaign *items;
    size_t count;
    int more; /* 1 when rows remain after the last one */
};
void campaign_page_clear(struct campaign_page *p);

/* One recipient of an upload. `inserted` is set by recipients_insert: 1
 * stored, 0 already in the campaign (duplicate). */
struct recipient_new {
    char id[48];
    const char *phone_number;
    const char *params_json; /* NULL = none */
    const char *carrier;
    const char *lane;
    char region[4];
    const char *zones; /* "Zone/A&Zone/B", NULL when unknown */
    int inserted;
};

struct recipient_filter {
    int has_status, has_disposition;
    enum recipient_status status;
    enum disposition disposition;
};

struct recipient_page {
    struct recipient *items;
    size_t count;
    int more;
};
void recipient_page_clear(struct recipient_page *p);

/* A campaign as the dispatch engine sees it. */
struct engine_campaign {
    int64_t seq;
    char id[48];
    char account_id[48];
    enum channel channel;
    enum campaign_status status;
    char *agent_id;
    char *config_json;
    char *schedule_json;
    int64_t queued, dispatched;
    int64_t start_at, end_at; /* schedule, ms; 0 = none */
};
void engine_campaign_clear(struct engine_campaign *c);

/* Ask to claim up to `want` due recipients of one campaign in one lane. */
struct claim_request {
    const char *lane;
    const struct engine_campaign *campaign;
    const char *from;     /* caller id or sender */
    const char *provider; /* name written on the call rows */
    const char *node;     /* the claiming node: each attempt row is leased to it */
    int64_t lease_until;  /* ... until then (0 = no lease) */
    size_t want;          /* in; out: cut to the lane's shared budget (shared pacing) */
    /* Shared pacing, for a store several nodes use at once: in, the lane's
     * limits as the caller knows them (rate, burst, max_concurrent; rate 0 =
     * none: the caller paces the lane alone and the store checks nothing);
     * out, the lane's pacer after the claim as all nodes share it (limits in
     * force, next arrival time, attempts in flight). See claim. */
    struct pacer pace;
    size_t got;     /* out: attempts handed out */
    size_t scanned; /* out: due recipients taken (some fail at their turn) */
    int stale;      /* out: the campaign is no longer running (the caller's list is old) */
};

struct call_filter {
    const char *campaign_id, *recipient_id; /* NULL = any */
    int has_status;
    enum call_status status;
};

struct call_page {
    struct call *items;
    size_t count;
    int more;
};
void call_page_clear(struct call_page *p);

struct opt_out_filter {
    int has_channel;
    enum channel channel;
    const char *phone_number; /* NULL = any */
};

struct opt_out_page {
    struct opt_out *items;
    size_t count;
    int more;
};

struct message_filter {
    const char *campaign_id, *recipient_id; /* NULL = any */
    int has_status;
    enum message_status status;
};

struct message_page {
    struct message *items;
    size_t count;
    int more;
};
void message_page_clear(struct message_page *p);

/* An event waiting in the outbox, as delivery needs it. */
struct outbound_event {
    int64_t seq;
    char id[48];
    char account_id[48];
    int64_t campaign_seq;
    char *url, *body;
    int attempts;
    int64_t created_at, next_attempt_at;
};
void outbound_events_free(struct outbound_event *list, size_t n);

/* An event as GET /v1/events shows it. */
struct event_row {
    int64_t seq;
    char id[48];
    char type[32];
    char state[16]; /* pending, delivered, failed */
    char *body, *last_error, *url;
    int attempts, last_status;
    int64_t last_attempt_at, next_attempt_at, delivered_at;
};
void event_row_clear(struct event_row *e);

struct event_page {
    struct event_row *items;
    size_t count;
    int more;
};
void event_page_clear(struct event_page *p);

struct webhook_secrets {
    char current[64];
    char previous[64]; /* "" = none */
    int64_t previous_until;
};

struct store;

/* A report from outside waiting in the inbox (sqlite_inbox.c). */
struct inbox_report {
    int64_t seq;
    char provider[65];
    struct attempt_end end;
};

/* A batch of the simulated provider's owed reports (sqlite_sim.c). */
struct sim_batch {
    int64_t seq;
    char *reports; /* one line per report, as providers/sim_ledger.c writes them */
};

/* One attempt's move toward its provider (sqlite_submits.c). */
struct submit_mark {
    char attempt_id[48];
    enum channel channel;
    int state;            /* enum submit_state */
    char provider_id[64]; /* accepted: the provider's id, or "" */
    /* accepted, a message sent in several parts (smpp): every part's
     * provider id, in order (owned by whoever fills the mark), else NULL */
    char (*segment_ids)[66];
    size_t nsegments;
};

struct store_ops {
    const char *name;
    int shared; /* several processes (nodes) may use the database at once */
    void (*close)(struct store *st);
    int (*ping)(struct store *st);

    int (*begin)(struct store *st);
    int (*commit)(struct store *st);
    void (*rollback)(struct store *st);
    /* Begins a unit whose writes the store may send without waiting for
     * each one's answer (PostgreSQL pipelines them), taking each guarded
     * move as done and checking them all by the unit's end. When one was
     * not (another writer moved the row first) or a write failed, nothing
     * of the unit is kept and an op of the unit, or its commit, answers
     * STORE_EREDO: roll back (when an op answered it), and run the unit
     * again after a plain begin, which applies each answer as it comes.
     * NULL where it buys nothing (SQLite: no round trips). Engine thread. */
    int (*begin_batch)(struct store *st);
    /* A number that moves after every write this store commits, for a
     * cache of what a read saw (api/campaign_cache.c): read it before the
     * read, and what the read saw is current while it has not moved. 0
     * when the store cannot tell, and NULL where another process may write
     * (PostgreSQL). */
    uint64_t (*write_generation)(struct store *st);
    /* The database's snapshot now, as text (PostgreSQL:
     * pg_current_snapshot()): two equal texts mean nothing was committed
     * between them, by any node. 0, or a STORE_E* code. NULL where
     * write_generation serves (SQLite). Any thread. */
    int (*snapshot)(struct store *st, char *out, size_t cap);

    /* meta: small server-wide values (the page-token secret). */
    int (*meta_get)(struct store *st, const char *key, char **value);
    /* Inserts key=value unless the key exists; *value gets the stored one. */
    int (*meta_get_or_put)(struct store *st, const char *key, const char *value_if_new,
                           char **value);

    int (*account_insert)(struct store *st, const struct account *a);
    int (*account_exists)(struct store *st, const char *id);
    int (*key_insert)(struct store *st, const struct api_key *k); /* ECONFLICT: prefix taken */
    int (*key_get)(struct store *st, const char *prefix, struct api_key *out);
    int (*key_revoke)(struct store *st, const char *prefix, int64_t now);

    /* Records younger than not_before only. */
    int (*idem_get)(struct store *st, const char *account_id, const char *key, int64_t not_before,
                    struct idem_record *out);
    /* ECONFLICT when the key is taken; also drops records older than
     * expire_before. */
    int (*idem_put)(struct store *st, const struct idem_record *r, int64_t expire_before);

    int (*campaign_insert)(struct store *st, struct campaign *c); /* sets c->seq */
    int (*campaign_get)(struct store *st, const char *account_id, const char *id,
                        struct campaign *out);
    /* The API key of prefix and, when it exists, its account's campaign id
     * in one read: one round trip on PostgreSQL, where no key cache saves
     * GET /v1/campaigns/{id} its key's read (auth.h, deferred keys).
     * STORE_OK with *key (checked by the caller: hash, revoked) and
     * *campaign_rc STORE_OK with *out filled, or STORE_ENOTFOUND (the
     * account has no such campaign); ENOTFOUND: no such key. */
    int (*campaign_get_with_key)(struct store *st, const char *prefix, const char *id,
                                 struct api_key *key, struct campaign *out, int *campaign_rc);
    /* Newest first; rows with seq < before_seq (0 = from the newest). */
    int (*campaign_list)(struct store *st, const char *account_id, const struct campaign_filter *f,
                         int64_t before_seq, size_t limit, struct campaign_page *out);
    /* Writes name, config, schedule, retry_policy and updated_at. */
    int (*campaign_update)(struct store *st, const struct campaign *c);
    /* Applies a lifecycle move in one transaction (campaign_plan_move decides;
     * cancel also fails every queued recipient with disposition cancelled and
     * moves the counters). *result tells what happened; out holds the
     * campaign after it. */
    int (*campaign_move)(struct store *st, const char *account_id, const char *id,
                         enum campaign_move move, int64_t now, enum move_result *result,
                         struct campaign *out);

    /* Stores the recipients of one upload in one transaction, skipping
     * numbers already in the campaign, and adds the stored ones to total and
     * queued. STORE_ESTATE (nothing stored) when the campaign is completed or
     * cancelled. out receives the campaign after the upload, or with
     * STORE_ESTATE the campaign as it is; after any other error it holds
     * nothing to clear. */
    int (*recipients_insert)(struct store *st, const char *account_id, const char *campaign_id,
                             struct recipient_new *items, size_t n, int64_t now,
                             struct campaign *out);
    /* Upload order; rows with seq > after_seq. ENOTFOUND: no such campaign. */
    int (*recipient_list)(struct store *st, const char *account_id, const char *campaign_id,
                          const struct recipient_filter *f, int64_t after_seq, size_t limit,
                          struct recipient_page *out);
    int (*recipient_get)(struct store *st, const char *account_id, const char *campaign_id,
                         const char *id, struct recipient *out);

    /* Carriers an operator stored (built-ins only when overridden). */
    int (*carrier_list)(struct store *st, struct carrier **out, size_t *n);
    int (*carrier_put)(struct store *st, const struct carrier *c, int64_t now);
    int (*carrier_delete)(struct store *st, const char *name);
    /* ---- providers (engine thread) ---- */

    /* Moves attempts forward toward their provider (a state below the
     * current one changes nothing) and records the provider's id of
     * accepted ones, and of each of their parts (segment_ids). One
     * transaction. */
    int (*submits_mark)(struct store *st, const struct submit_mark *m, size_t n);
    /* The provider and channel of an attempt (a call or message id);
     * ENOTFOUND when none. */
    int (*attempt_provider)(struct store *st, const char *attempt_id, char provider[65],
                            enum channel *ch);
    /* The attempt a provider knows by provider_id; ENOTFOUND when none. */
    int (*attempt_by_provider_id)(struct store *st, const char *provider, const char *provider_id,
                                  char attempt_id[48], enum channel *ch);
    /* A receipt (SEGMENTS_DELIVERED or _UNDELIVERED, domain/smpp_receipt.h)
     * for one part of a
     * message sent in several, known by the part's provider id: recorded
     * (a part's undelivered is never undone), then what all the message's
     * parts add up to in *verdict, its id in attempt_id. message_id and
     * nsegments, when the caller knows them (message_id not NULL), record
     * the part even before its submit mark is stored; else ENOTFOUND when
     * no stored part has that id. One transaction. */
    int (*segment_receipt)(struct store *st, const char *provider, const char *segment_id,
                           const char *message_id, size_t nsegments, int receipt,
                           char attempt_id[48], enum segments_verdict *verdict);
    /* The inbox of reports from outside: put (any thread, durable when it
     * answers 0), read in arrival order after a seq, delete up to a seq:
     * *deleted (new array, ascending, may be NULL when *ndeleted is 0) gets
     * the seqs this call removed, so that of several nodes that read one
     * report only the one whose transaction deleted it applies it. */
    int (*inbox_put)(struct store *st, const char *provider, const struct attempt_end *ends,
                     size_t n, int64_t now);
    int (*inbox_read)(struct store *st, int64_t after_seq, size_t limit, struct inbox_report **out,
                      size_t *n);
    int (*inbox_delete)(struct store *st, int64_t up_to_seq, int64_t **deleted, size_t *ndeleted);
    /* The simulated provider's state, under its name: a row per batch of
     * accepted attempts holding the reports it still owes on them, as text
     * the sim writes and reads (providers/sim_ledger.c); the store does not
     * look inside. sim_put, in one transaction, deletes the batches
     * forget[0..nforget) and, when reports is not NULL, stores a new one
     * and sets *seq to its key. sim_batches reads them all, oldest first
     * (each reports string is the caller's to free, then the array). */
    int (*sim_put)(struct store *st, const char *provider, const char *reports,
                   const int64_t *forget, size_t nforget, int64_t *seq);
    int (*sim_batches)(struct store *st, const char *provider, struct sim_batch **out, size_t *n);

    /* Providers an operator stored (the built-in sim is not a row). */
    int (*provider_list)(struct store *st, struct provider_def **out, size_t *n);
    int (*provider_put)(struct store *st, const struct provider_def *d, int64_t now);
    int (*provider_delete)(struct store *st, const char *name);
    /* Re-decides carrier and lane of every queued recipient of the channel's
     * campaigns (after a route change), in one transaction; route() writes
     * the new carrier and lane for a number under a campaign's config.
     * *changed counts the recipients that moved. */
    int (*relane)(struct store *st, enum channel ch,
                  void (*route)(void *ctx, const char *number, const char *config_json,
                                char *carrier, size_t carrier_size, char *lane, size_t lane_size),
                  void *ctx, int64_t *changed);

    /* ---- dispatch engine (engine thread) ---- */

    /* Campaigns the engine looks after: running ones, with their channel and
     * config. */
    int (*engine_campaigns)(struct store *st, struct engine_campaign **out, size_t *n);
    /* The lanes a campaign has recipients in (new strings). */
    int (*campaign_lanes)(struct store *st, int64_t campaign_seq, char ***out, size_t *n);
    /* Earliest due_at of the campaign's queued recipients in the lane;
     * ENOTFOUND when none is queued there. */
    int (*lane_next_due)(struct store *st, const char *lane, int64_t campaign_seq, int64_t *due);
    /* Claims due recipients for every request in one transaction. With
     * shared pacing (pace.rate > 0) each lane's starts are first cut to
     * what its shared state allows (pacer_budget over the stored arrival
     * time, the limits in force: a stored carrier's, else the request's,
     * and the attempts in flight counted from the attempt rows), the
     * requests of a lane served in turn; the new arrival time is stored in
     * the same transaction. Each
     * recipient's turn is decided by domain/turn.c: dispatched (an attempt
     * row, a call ringing or a message queued, created_at now, leased to the
     * request's node), deferred to its next opening, or failed (opted_out,
     * missing_param, expired); counters move with each. out must hold the
     * sum of `want`; *n gets the count. */
    int (*claim)(struct store *st, struct claim_request *reqs, size_t nreqs, int64_t now,
                 struct attempt *out, size_t *n);
    /* Applies reported ends in one transaction: attempt row, recipient (as
     * domain/call_end.c or domain/message_report.c decide), counters, and
     * completion of a running campaign left with nothing queued or
     * dispatched. Repeated reports change nothing. */
    int (*apply_ends)(struct store *st, const struct attempt_end *ends, size_t n, int64_t now,
                      struct attempt_applied *applied);
    /* Throttled attempts: back to queued, due at due_at, using no retry; their
     * call rows are removed (nothing was dialled). */
    int (*unclaim)(struct store *st, const struct attempt *a, size_t n, int64_t due_at);
    /* A provider throttled the lane: its stored arrival time (booked at
     * rate) moves to tat_ms unless it is later already, so every node's
     * next claim on the lane waits too (shared pacing). */
    int (*lane_hold)(struct store *st, const char *lane, double tat_ms, double rate, int64_t now);
    /* Reconciliation under leases: takes over every attempt in flight (a
     * call not ended, a message the provider has not answered) that is
     * another node's with a lease run out at now, or has no lease, and with
     * with_own also node's own ones: leases each to node until lease_until
     * and returns them (taken = 1). Attempts leased to another live node are
     * left alone; with with_own they are returned too, with taken = 0 (at
     * start, to count them against their lanes' caps). */
    int (*in_flight)(struct store *st, const char *node, int64_t now, int64_t lease_until,
                     int with_own, struct attempt **out, size_t *n);
    /* The node's heartbeat: its leases (attempts in flight, webhook
     * deliveries) hold while now < lease_until, however old each one's own
     * lease_until is (one row written per call, not one per attempt). */
    int (*renew_leases)(struct store *st, const char *node, int64_t lease_until);
    /* schedule.end_at: in every running or paused campaign whose end_at has
     * come, the queued recipients become failed / expired (in-flight ones
     * finish). *next_end gets the next end_at still ahead (0 = none). */
    int (*expire_ended)(struct store *st, int64_t now, int64_t *next_end);
    /* Completes running campaigns with nothing queued or dispatched. */
    int (*complete_finished)(struct store *st, int64_t now, int *completed);
    /* Attempts handed to their provider whose fate never became known
     * (submitting) and created at or before cutoff: each call or message
     * fails and its recipient becomes failed / unknown, with counters,
     * events and completion, in one transaction; never sent again. *out
     * (free()) lists the attempts closed, for their lanes' slots; at most
     * a batch a call: call again while it answers any. */
    int (*fail_unknown_submits)(struct store *st, int64_t cutoff, int64_t now,
                                struct attempt_applied **out, size_t *n);

    int (*call_list)(struct store *st, const char *account_id, const struct call_filter *f,
                     int64_t before_seq, size_t limit, struct call_page *out);
    int (*call_get)(struct store *st, const char *account_id, const char *id, struct call *out);
    /* Writes a call's transcript and recording URL as its provider reported
     * them (a voice agent runtime); NULL leaves a field as it is. Any
     * thread; durable when it returns 0. STORE_ENOTFOUND: no such call. */
    int (*call_set_media)(struct store *st, const char *call_id, const char *transcript,
                          const char *recording_url);

    /* Keeps a whatsapp message's pricing category as its provider
     * reported it (the first report that carries one: a message's category
     * is settled when it is sent). Any thread; joins the caller's
     * transaction. STORE_ENOTFOUND: no such message. */
    int (*message_set_pricing)(struct store *st, const char *message_id, const char *category);

    int (*message_list)(struct store *st, const char *account_id, const struct message_filter *f,
                        int64_t before_seq, size_t limit, struct message_page *out);
    int (*message_get)(struct store *st, const char *account_id, const char *id,
                       struct message *out);

    /* ---- opt-outs ---- */

    /* Stores o unless the same (account, number, channel, category) exists;
     * either way o is filled with the stored row and *created says which. */
    int (*opt_out_insert)(struct store *st, struct opt_out *o, int *created);
    int (*opt_out_list)(struct store *st, const char *account_id, const struct opt_out_filter *f,
                        int64_t before_seq, size_t limit, struct opt_out_page *out);
    int (*opt_out_delete)(struct store *st, const char *account_id, const char *id);
    /* Removes the blanket opt-out of a number on a channel (inbound START). */
    int (*opt_out_remove_blanket)(struct store *st, const char *account_id, const char *number,
                                  enum channel ch);
    /* The account that owns sender on the channel: the account of the
     * first campaign naming it (later ones of other accounts are refused);
     * ENOTFOUND when none. */
    int (*sender_account)(struct store *st, enum channel ch, const char *sender,
                          char account_id[48]);
    /* ---- event webhooks ---- */

    /* Candidates for delivery among the pending events due at now, so that
     * no account's or endpoint's backlog hides another's: only each
     * campaign's oldest due event (by next_attempt_at, seq; the one in
     * flight, if any, so the campaign waits), at most per_url of those per
     * account and URL, at most per_account per account (the URLs taking
     * turns), at most limit in all; ordered so that every account's first
     * comes before any account's second, and so on, oldest first within a
     * rank. Bodies are not read (body is NULL): see event_body. */
    int (*events_due)(struct store *st, int64_t now, size_t per_url, size_t per_account,
                      size_t limit, struct outbound_event **out, size_t *n);
    /* The body of the event of that seq (*body NULL when it is gone). */
    int (*event_body)(struct store *st, int64_t seq, char **body);
    /* Records a delivery attempt: state "delivered", "pending" (again at
     * next_attempt_at) or "failed" (given up); ends the event's lease. */
    int (*event_result)(struct store *st, const char *id, const char *state, int http_status,
                        const char *error, int64_t next_attempt_at, int64_t now);
    /* The earliest next_attempt_at of pending events (0 = none) and how
     * many are pending (pending may be NULL). */
    int (*events_next)(struct store *st, int64_t *next, int64_t *pending);
    int (*event_list)(struct store *st, const char *account_id, const char *campaign_id,
                      const char *type, int64_t before_seq, size_t limit, struct event_page *out);
    /* Queues an event again (pending, due now); out gets it. */
    int (*event_redeliver)(struct store *st, const char *account_id, const char *id, int64_t now,
                           struct event_row *out);
    /* The account's signing secrets; if_none (may be NULL) becomes the
     * current secret when the account has none yet. */
    int (*webhook_secrets)(struct store *st, const char *account_id, const char *if_none,
                           struct webhook_secrets *out);
    /* Makes secret current; the old one keeps signing until previous_until. */
    int (*webhook_rotate)(struct store *st, const char *account_id, const char *secret,
                          int64_t previous_until);
    /* Leases the events of seqs[0..n) to node until lease_until, before it
     * sends them, in one transaction: taken[i] = 1 when it may send event
     * seqs[i]; 0 when the event is no longer pending or another node holds
     * it under a lease still live at now. event_result ends a lease. On an
     * error every taken[i] is 0. */
    int (*events_lease)(struct store *st, const int64_t *seqs, size_t n, const char *node,
                        int64_t now, int64_t lease_until, int *taken);

    /* Records an inbound message and the action taken (account may be ""). */
    int (*inbound_insert)(struct store *st, const char *account_id, enum channel ch,
                          const char *from, const char *to, const char *body, const char *action,
                          int64_t now);

    /* ---- several nodes on one database (NULL on SQLite: one process) ---- */

    /* Tells every node listening that `events` (the engine's engine_event
     * bits) changed, from node (its own listener skips it). Any thread;
     * inside a transaction it is sent at commit. */
    int (*notify)(struct store *st, const char *node, int events);
    /* Engine thread: opens (when not open) the connection that listens for
     * notifications and answers its socket (>= 0), or a STORE_E* code. */
    int (*listen_open)(struct store *st);
    /* After the socket turned readable: *events gets the bits other nodes
     * notified since the last read (0 = none). STORE_EBUSY: the connection
     * is lost (listen_close, then listen_open again later; notifications
     * may have been missed). */
    int (*listen_read)(struct store *st, const char *node, int *events);
    void (*listen_close)(struct store *st);
    /* Tries, never waiting, to be the node that runs the sweeps (a session
     * lock on the listening connection, held until it closes): *held = 1
     * when this node is it. Notifications read meanwhile wait for the next
     * listen_read, which the caller makes at once. */
    int (*sweeper_try)(struct store *st, const char *node, int *held);
};

struct store {
    const struct store_ops *ops;
};

/* Tuning of a store; zero fields mean the backend's defaults. */
struct store_options {
    long max_pages; /* SQLite: PRAGMA max_page_count on every connection
                     * (a size cap, for tests and operations; 0 = none) */
    int exclusive;  /* SQLite: hold the database for this process (an
                     * exclusive flock on its file until close); opening
                     * one another process holds fails. The server sets it:
                     * one process per SQLite database. */
};

/* Opens the store named by url ("sqlite:PATH"), applying migrations.
 * 0 or a STORE_E* code with a reason in err. store_open_with takes
 * options (NULL = defaults). */
int store_open(const char *url, struct store **out, char *err, size_t errlen);
int store_open_with(const char *url, const struct store_options *opts, struct store **out,
                    char *err, size_t errlen);

int store_sqlite_open(const char *path, const struct store_options *opts, struct store **out,
                      char *err, size_t errlen);
/* url: a libpq connection URI (postgres://... or postgresql://...). */
int store_pg_open(const char *url, const struct store_options *opts, struct store **out, char *err,
                  size_t errlen);

#endif
