/* pg_conn.c - the PostgreSQL backend's connections, statements and units
 * of work (see pg_internal.h).
 *
 * Each thread gets its own libpq connection (pthread key). Statements are
 * static SQL texts written with SQLite's ?N parameters: the first run on a
 * connection rewrites them to $N and prepares them under a short name,
 * typed by that run's bindings; later runs reuse the prepared statement.
 * Results are read whole (libpq buffers them) and walked row by row.
 *
 * Units of work nest as in the SQLite backend: only the outermost begin()
 * opens a transaction, and it takes one transaction-scoped advisory lock
 * that every writer shares. Writers thus run one at a time across every
 * node on the database, as SQLite's BEGIN IMMEDIATE makes them on one
 * file: the read-then-guarded-write units written for SQLite keep their
 * meaning, and no two writers deadlock. Reads outside a unit run without
 * it. A lock wait past LOCK_TIMEOUT answers STORE_EBUSY. The outermost
 * unit may be a batch unit (pg_unit_begin_batch): its statements go
 * through pg_pipeline.c, and its end answers STORE_EREDO when it must run
 * again as a plain one.
 *
 * A lost connection (server restart, network cut) fails the call under way
 * with STORE_EBUSY; the next call on that thread, outside a transaction,
 * opens a fresh one (and prepares its statements again). A statement run
 * outside a transaction, or the BEGIN of a unit, that finds the connection
 * gone retries once on a fresh connection at once. */
#include "store/pg_internal.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_TIMEOUT "10s"           /* as the SQLite backend's busy timeout */
#define WRITER_LOCK_KEY "1667329392" /* "camp": the one writers' advisory lock */
#define INT8OID 20
#define TEXTOID 25
#define FLOAT8OID 701
#define FULL_LOG_EVERY_MS 10000

static struct ratelimit full_log = RATELIMIT_INIT;
static struct ratelimit redo_log = RATELIMIT_INIT;

static void stmt_free(struct pg_stmt *s) {
    if (s->twin)
        stmt_free(s->twin);
    pg_reset(s);
    free(s->owned_sql);
    free(s);
}

static void conn_close(struct pg_conn *c) {
    pg_run_free(c);
    for (int i = 0; i < c->ncache; i++)
        stmt_free(c->cache[i]);
    PQfinish(c->db);
    free(c->pending);
    free(c);
}

static void unlink_conn(struct pg_store *s, struct pg_conn *c) {
    pthread_mutex_lock(&s->mu);
    for (struct pg_conn **p = &s->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

void pg_thread_conn_destroy(void *p) {
    struct pg_conn *c = p;
    unlink_conn(c->owner, c);
    conn_close(c);
}

void pg_thread_conn_destroy_unlinked(struct pg_conn *c) {
    conn_close(c);
}

/* libpq's message for db on one line (its messages span several), in a
 * buffer of the calling thread. */
const char *pg_message(PGconn *db) {
    static _Thread_local char line[512];
    const char *m = db ? PQerrorMessage(db) : "out of memory";
    size_t n = 0;
    for (; *m && n + 1 < sizeof line; m++) {
        char ch = (*m == '\n' || *m == '\t') ? ' ' : *m;
        if (ch == ' ' && (n == 0 || line[n - 1] == ' '))
            continue; /* one space at a time, none leading */
        line[n++] = ch;
    }
    while (n > 0 && line[n - 1] == ' ')
        n--;
    line[n] = 0;
    return line;
}

static void quiet_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/* Session settings every connection starts with. */
static int configure(PGconn *db) {
    PQsetNoticeProcessor(db, quiet_notice, NULL);
    PGresult *r = PQexec(db, "SET lock_timeout = '" LOCK_TIMEOUT "'; "
                             "SET application_name = 'campaignd'");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        log_error("postgres: cannot configure a connection: %s", pg_message(db));
    PQclear(r);
    return ok;
}

PGconn *pg_connect(const char *url) {
    PGconn *db = PQconnectdb(url);
    if (!db || PQstatus(db) != CONNECTION_OK) {
        log_error("postgres: cannot connect: %s", pg_message(db));
        PQfinish(db);
        return NULL;
    }
    if (!configure(db)) {
        PQfinish(db);
        return NULL;
    }
    return db;
}

/* Opens the connection again after the server dropped it: every prepared
 * statement is gone with the old session (results already read stay
 * valid: a caller may be walking one). */
static int reconnect(struct pg_conn *c) {
    pg_run_discard(c);
    for (int i = 0; i < c->ncache; i++) {
        c->cache[i]->prepared = 0;
        if (c->cache[i]->twin)
            c->cache[i]->twin->prepared = 0;
    }
    c->depth = 0;
    c->doomed = 0;
    c->pipeline = 0;
    c->npending = 0;
    c->last_deferred = 0;
    c->redo = 0;
    PQreset(c->db);
    if (PQstatus(c->db) != CONNECTION_OK || !configure(c->db)) {
        log_warn("postgres: reconnect failed: %s", pg_message(c->db));
        return 0;
    }
    log_info("postgres: reconnected");
    return 1;
}

struct pg_conn *pg_conn_get(struct store *st) {
    struct pg_store *s = (struct pg_store *)st;
    struct pg_conn *c = pthread_getspecific(s->key);
    if (c) {
        if (PQstatus(c->db) != CONNECTION_OK && c->depth == 0 && !reconnect(c))
            return NULL;
        return c;
    }
    PGconn *db = pg_connect(s->url);
    if (!db)
        return NULL;
    c = xcalloc(1, sizeof *c);
    c->db = db;
    c->owner = s;
    pthread_mutex_lock(&s->mu);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->mu);
    pthread_setspecific(s->key, c);
    return c;
}

/* ?N -> $N; returns the highest N. */
char *pg_params_text(const char *sql, int *nparams) {
    size_t len = strlen(sql);
    char *out = xcalloc(len + 1, 1);
    int max = 0;
    for (size_t i = 0; i < len; i++) {
        if (sql[i] == '?' && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            out[i] = '$';
            int n = 0;
            for (size_t j = i + 1; j < len && sql[j] >= '0' && sql[j] <= '9'; j++)
                n = n * 10 + (sql[j] - '0');
            if (n > max)
                max = n;
        } else {
            out[i] = sql[i];
        }
    }
    *nparams = max;
    return out;
}

/* 1 when sql names ?n (and not merely ?n0...). */
static int names_param(const char *sql, int n) {
    char tag[16];
    int len = snprintf(tag, sizeof tag, "?%d", n);
    for (const char *p = strstr(sql, tag); p; p = strstr(p + 1, tag))
        if (p[len] < '0' || p[len] > '9')
            return 1;
    return 0;
}

struct pg_stmt *pg_prep(struct pg_conn *c, const char *sql) {
    for (int i = 0; i < c->ncache; i++) {
        if (c->cache[i]->sql == sql) {
            pg_reset(c->cache[i]);
            return c->cache[i];
        }
    }
    if (c->ncache >= PG_STMT_CACHE) {
        log_error("postgres: statement cache full");
        abort();
    }
    struct pg_stmt *s = xcalloc(1, sizeof *s);
    s->sql = sql;
    s->conn = c;
    s->deferrable = pg_sql_is_plain_write(sql);
    snprintf(s->name, sizeof s->name, "s%d", c->ncache);
    char *text = pg_params_text(sql, &s->nparams);
    free(text);
    /* a parameter the text never names still needs a type to prepare */
    for (int i = 1; i <= s->nparams && i <= PG_MAX_PARAMS; i++)
        if (!names_param(sql, i))
            s->types[i - 1] = TEXTOID;
    if (s->nparams > PG_MAX_PARAMS) {
        log_error("postgres: too many parameters (in: %.120s)", sql);
        abort();
    }
    c->cache[c->ncache++] = s;
    return s;
}

static void bind(struct pg_stmt *s, int idx, Oid type, char *value) {
    if (idx < 1 || idx > s->nparams) { /* the text never names it: as SQLITE_RANGE, ignored */
        free(value);
        return;
    }
    free(s->values[idx - 1]);
    s->values[idx - 1] = value;
    s->bound[idx - 1] = type;
    if (!s->prepared && type)
        s->types[idx - 1] = type;
}

void pg_bind_text(struct pg_stmt *s, int idx, const char *v) {
    bind(s, idx, TEXTOID, v ? xstrdup(v) : NULL);
}

void pg_bind_int64(struct pg_stmt *s, int idx, int64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    bind(s, idx, INT8OID, xstrdup(buf));
}

void pg_bind_double(struct pg_stmt *s, int idx, double v) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    bind(s, idx, FLOAT8OID, xstrdup(buf));
}

void pg_bind_null(struct pg_stmt *s, int idx) {
    bind(s, idx, 0, NULL);
}

void pg_bind_text_or_null(struct pg_stmt *s, int idx, const char *v) {
    bind(s, idx, TEXTOID, v ? xstrdup(v) : NULL);
}

void pg_bind_time(struct pg_stmt *s, int idx, int64_t v) {
    if (v)
        pg_bind_int64(s, idx, v);
    else
        bind(s, idx, INT8OID, NULL);
}

void pg_reset(struct pg_stmt *s) {
    PQclear(s->res);
    s->res = NULL;
    s->row = s->nrows = 0;
    for (int i = 0; i < PG_MAX_PARAMS; i++) {
        free(s->values[i]);
        s->values[i] = NULL;
    }
}

/* SQLSTATE -> STORE_E*. */
static int map_state(const char *state, int lost) {
    if (lost)
        return STORE_EBUSY;
    if (!state)
        return STORE_EIO;
    if (strcmp(state, "23505") == 0)
        return STORE_ECONFLICT; /* unique_violation */
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
        strcmp(state, "57014") == 0 || strncmp(state, "08", 2) == 0 ||
        strcmp(state, "57P01") == 0 || strcmp(state, "57P03") == 0)
        return STORE_EBUSY; /* serialization, deadlock, lock timeout, connection */
    if (strncmp(state, "53", 2) == 0 || strncmp(state, "58", 2) == 0)
        return STORE_EFULL; /* insufficient resources (disk full), system I/O */
    return STORE_EIO;
}

int pg_take_result(struct pg_stmt *s) {
    struct pg_conn *c = s->conn;
    ExecStatusType st = PQresultStatus(s->res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        s->nrows = PQntuples(s->res);
        s->row = -1;
        const char *tuples = PQcmdTuples(s->res);
        c->changes = tuples && tuples[0] ? strtoll(tuples, NULL, 10) : 0;
        return STORE_OK;
    }
    int lost = PQstatus(c->db) != CONNECTION_OK;
    int rc = map_state(PQresultErrorField(s->res, PG_DIAG_SQLSTATE), lost);
    snprintf(c->error, sizeof c->error, "%s", pg_message(c->db));
    PQclear(s->res);
    s->res = NULL;
    return rc;
}

static int run(struct pg_stmt *s) {
    struct pg_conn *c = s->conn;
    if (c->pipeline)
        return pg_pipeline_run(s);
    if (!s->prepared) {
        int n = 0;
        char *text = pg_params_text(s->sql, &n);
        PGresult *p = PQprepare(c->db, s->name, text, s->nparams, s->types);
        free(text);
        if (PQresultStatus(p) != PGRES_COMMAND_OK) {
            int lost = PQstatus(c->db) != CONNECTION_OK;
            int rc = map_state(PQresultErrorField(p, PG_DIAG_SQLSTATE), lost);
            snprintf(c->error, sizeof c->error, "prepare: %s (in: %.100s)", pg_message(c->db),
                     s->sql);
            PQclear(p);
            return rc;
        }
        PQclear(p);
        s->prepared = 1;
    }
    s->res =
        PQexecPrepared(c->db, s->name, s->nparams, (const char *const *)s->values, NULL, NULL, 0);
    return pg_take_result(s);
}

int pg_step(struct pg_stmt *s) {
    if (!s->res) {
        int rc = run(s);
        if (rc && PQstatus(s->conn->db) != CONNECTION_OK && s->conn->depth == 0) {
            /* the server dropped us outside a transaction: once more, fresh */
            if (reconnect(s->conn))
                rc = run(s);
        }
        if (rc)
            return rc;
    }
    if (++s->row < s->nrows)
        return PG_ROW;
    s->row = s->nrows;
    return PG_DONE;
}

int64_t pg_changes(struct pg_conn *c) {
    if (c->pipeline && (c->last_deferred || c->held_last))
        pg_pipeline_settle(c, 1);
    return c->changes;
}

int pg_changed_one(struct pg_conn *c) {
    if (c->pipeline && c->held_last) {
        pg_run_mark_last(c);
        return 1;
    }
    if (c->pipeline && c->last_deferred) {
        c->pending[c->last_deferred - 1].expect = 1;
        return 1;
    }
    return c->changes == 1;
}

int pg_col_null(struct pg_stmt *s, int col) {
    return !s->res || s->row < 0 || s->row >= s->nrows || PQgetisnull(s->res, s->row, col);
}

const char *pg_col_raw(struct pg_stmt *s, int col) {
    return pg_col_null(s, col) ? NULL : PQgetvalue(s->res, s->row, col);
}

int64_t pg_col_int64(struct pg_stmt *s, int col) {
    const char *v = pg_col_raw(s, col);
    if (!v)
        return 0;
    if (v[0] == 't' && !v[1])
        return 1; /* a boolean, read as SQLite would give it */
    return strtoll(v, NULL, 10);
}

int pg_col_int(struct pg_stmt *s, int col) {
    return (int)pg_col_int64(s, col);
}

double pg_col_double(struct pg_stmt *s, int col) {
    const char *v = pg_col_raw(s, col);
    return v ? strtod(v, NULL) : 0;
}

char *pg_col_text(struct pg_stmt *s, int col) {
    const char *v = pg_col_raw(s, col);
    return v ? xstrdup(v) : NULL;
}

int pg_err(struct pg_conn *c, int rc, const char *what) {
    if (rc == STORE_OK || rc == PG_ROW || rc == PG_DONE)
        return STORE_OK;
    if (rc == STORE_ECONFLICT || rc == STORE_EREDO)
        return rc;
    const char *msg = c && c->error[0] ? c->error : "failed";
    if (rc == STORE_EFULL) {
        long held = 0;
        if (ratelimit_allow(&full_log, clock_now_ms(), FULL_LOG_EVERY_MS, &held))
            log_error("postgres: %s: %s (storage full or failing; %ld more such errors not "
                      "logged)",
                      what, msg, held);
    } else if (rc == STORE_EBUSY) {
        log_warn("postgres: %s: busy or connection lost: %s", what, msg);
    } else {
        log_error("postgres: %s: %s", what, msg);
    }
    return rc;
}

static int exec_simple(struct pg_conn *c, const char *sql) {
    PGresult *r = PQexec(c->db, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = STORE_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = map_state(PQresultErrorField(r, PG_DIAG_SQLSTATE), PQstatus(c->db) != CONNECTION_OK);
        snprintf(c->error, sizeof c->error, "%s", pg_message(c->db));
    }
    PQclear(r);
    return rc;
}

static const char BEGIN_WRITER[] = "BEGIN; SELECT pg_advisory_xact_lock(" WRITER_LOCK_KEY ")";

int pg_unit_begin(struct pg_conn *c) {
    if (c->depth++ > 0)
        return STORE_OK;
    c->doomed = 0;
    int rc = exec_simple(c, BEGIN_WRITER);
    if (rc && PQstatus(c->db) != CONNECTION_OK && reconnect(c)) {
        c->depth = 1;
        rc = exec_simple(c, BEGIN_WRITER);
    }
    if (rc) {
        if (PQstatus(c->db) == CONNECTION_OK)
            exec_simple(c, "ROLLBACK");
        c->depth = 0;
        return pg_err(c, rc, "begin");
    }
    return STORE_OK;
}

int pg_unit_batched(struct store *st, int (*body)(struct pg_conn *, void *), void *arg) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    int rc;
    for (int batched = conn->depth == 0;; batched = 0) { /* inside a unit: joins it, once */
        rc = batched ? pg_unit_begin_batch(conn) : pg_unit_begin(conn);
        if (rc != STORE_OK)
            return rc;
        rc = pg_unit_end(conn, body(conn, arg));
        if (rc != STORE_EREDO || !batched)
            return rc;
    }
}

int pg_unit_open(struct store *st, struct pg_conn **conn) {
    *conn = pg_conn_get(st);
    return *conn ? pg_unit_begin(*conn) : PG_NO_CONN;
}

int pg_unit_begin_batch(struct pg_conn *c) {
    if (c->depth > 0)
        return pg_unit_begin(c); /* joins the outer unit as it is */
    int rc = pg_unit_begin(c);
    if (rc == STORE_OK)
        pg_pipeline_enter(c);
    return rc;
}

int pg_unit_end(struct pg_conn *c, int result) {
    if (c->depth <= 0)
        return result;
    if (result != STORE_OK)
        c->doomed = 1;
    if (--c->depth > 0)
        return result;
    if (c->pipeline) {
        int lost = pg_pipeline_finish(c);
        if (lost || PQpipelineStatus(c->db) != PQ_PIPELINE_OFF) {
            /* no state to go on from: a fresh session (the server rolls
             * back what the old one had under way) */
            c->redo = 0;
            reconnect(c);
            return result != STORE_OK ? result : STORE_EBUSY;
        }
    }
    if (c->redo) { /* a batch unit found an assumption wrong: nothing is kept */
        c->redo = 0;
        long held = 0;
        if (ratelimit_allow(&redo_log, clock_now_ms(), FULL_LOG_EVERY_MS, &held))
            log_info("postgres: a batched unit runs again unbatched (%s; %ld more not logged)",
                     c->error[0] ? c->error : "a guarded write changed no row", held);
        c->error[0] = '\0';
        exec_simple(c, "ROLLBACK");
        return STORE_EREDO;
    }
    if (c->doomed) {
        exec_simple(c, "ROLLBACK");
        return result != STORE_OK ? result : STORE_EIO;
    }
    int rc = exec_simple(c, "COMMIT");
    if (rc) {
        rc = pg_err(c, rc, "commit");
        exec_simple(c, "ROLLBACK");
        return rc;
    }
    return STORE_OK;
}

int pg_update_texts(struct store *st, const char *sql, const char *what, const char *const *texts,
                    int n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    int rc = pg_unit_begin(conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, sql);
    for (int i = 0; i < n; i++)
        pg_bind_text_or_null(s, i + 1, texts[i]);
    rc = pg_err(conn, pg_step(s), what);
    pg_reset(s);
    int64_t changed = pg_changes(conn);
    rc = pg_unit_end(conn, rc);
    return rc == STORE_OK && changed == 0 ? STORE_ENOTFOUND : rc;
}

int pg_read_page(struct pg_conn *c, struct pg_stmt *s, size_t limit, size_t item_size,
                 pg_row_reader read, pg_item_clear clear, void **items, size_t *count, int *more,
                 const char *what) {
    char *list = xcalloc(limit + 1, item_size);
    size_t n = 0;
    int rc;
    *more = 0;
    while ((rc = pg_step(s)) == PG_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        read(s, list + n++ * item_size);
    }
    pg_reset(s);
    if (rc != PG_ROW && rc != PG_DONE) {
        for (size_t i = 0; clear && i < n; i++)
            clear(list + i * item_size);
        free(list);
        *items = NULL;
        *count = 0;
        return pg_err(c, rc, what);
    }
    *items = list;
    *count = n;
    return STORE_OK;
}

int pg_read_all(struct pg_conn *c, struct pg_stmt *s, size_t item_size, pg_row_reader read,
                pg_item_clear clear, void **items, size_t *count, const char *what) {
    size_t cap = 16, n = 0;
    char *list = xcalloc(cap, item_size);
    int rc;
    while ((rc = pg_step(s)) == PG_ROW) {
        if (n == cap) {
            list = xrealloc(list, 2 * cap * item_size);
            memset(list + cap * item_size, 0, cap * item_size);
            cap *= 2;
        }
        read(s, list + n++ * item_size);
    }
    pg_reset(s);
    if (rc != PG_DONE) {
        for (size_t i = 0; clear && i < n; i++)
            clear(list + i * item_size);
        free(list);
        *items = NULL;
        *count = 0;
        return pg_err(c, rc, what);
    }
    *items = list;
    *count = n;
    return STORE_OK;
}

int pg_delete_by_key(struct store *st, const char *sql, const char *a, const char *b, const char *c,
                     const char *what) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    int rc = pg_unit_begin(conn);
    if (rc)
        return rc;
    struct pg_stmt *s = pg_prep(conn, sql);
    const char *keys[] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (keys[i])
            pg_bind_text(s, i + 1, keys[i]);
    rc = pg_err(conn, pg_step(s), what);
    pg_reset(s);
    if (rc == STORE_OK && pg_changes(conn) == 0)
        rc = STORE_ENOTFOUND;
    return pg_unit_end(conn, rc == STORE_ENOTFOUND ? STORE_OK : rc) == STORE_OK ? rc : STORE_EIO;
}
