/* pg_pipeline.c - batch units on the PostgreSQL backend: a unit's writes
 * sent without waiting for each answer (libpq's pipeline mode), so that a
 * claim or a batch of ends costs a few round trips, not one per statement.
 *
 * The store's units were written for SQLite, where a statement's answer
 * is a function call away: read, decide, write a guarded move, look at
 * how many rows it changed, go on. Over a socket each of those waits for a
 * round trip (about 8 a disposition, docs/benchmarks.md). In a batch unit
 * (pg_unit_begin_batch, the outermost unit only):
 *
 * - a plain write (INSERT, UPDATE, DELETE without RETURNING) is sent and
 *   its step answers at once (no rows);
 * - pg_changed_one after such a write answers 1 (the guarded move is
 *   taken as done: the unit holds the writers' lock and read the row just
 *   before, so it is, unless another writer slipped in) and marks the
 *   write to be checked when its answer comes;
 * - a read (or a write with RETURNING, or pg_changes) sends a flush
 *   request and reads every answer due before its own;
 * - the unit's end sends a sync and reads every answer left.
 *
 * An answer that is a failure, or a marked write that changed other than
 * one row, sets c->redo: the unit's end rolls back and answers
 * STORE_EREDO, and the caller runs the unit again after a plain begin,
 * where each answer is read as it comes (so the failure is met, and
 * handled, where the unit was written to meet it). Statements sent after a
 * failure are skipped by the server (PGRES_PIPELINE_ABORTED): nothing of
 * the unit is kept. Once redo is set, later statements answer STORE_EREDO
 * at once, so the unit stops early.
 *
 * A write of a statement that has a twin over arrays is held instead of
 * sent, while the same statement follows, and the run goes as one
 * statement when another comes, a read, pg_changes, or the unit's end
 * (pg_coalesce.c).
 *
 * At most PIPELINE_WINDOW answers are left unread: the socket's buffers
 * cannot fill both ways (libpq blocks writing while the server blocks
 * writing answers nobody reads). */
#include "store/pg_internal.h"
#include "util/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIPELINE_WINDOW 512

int pg_sql_is_plain_write(const char *sql) {
    while (isspace((unsigned char)*sql))
        sql++;
    int write = strncmp(sql, "INSERT", 6) == 0 || strncmp(sql, "UPDATE", 6) == 0 ||
                strncmp(sql, "DELETE", 6) == 0;
    return write && !strstr(sql, "RETURNING");
}

int pg_pipeline_enter(struct pg_conn *c) {
    if (PQpipelineStatus(c->db) != PQ_PIPELINE_OFF || !PQenterPipelineMode(c->db))
        return 0;
    c->pipeline = 1;
    c->error[0] = '\0';
    c->npending = 0;
    c->last_deferred = 0;
    c->redo = 0;
    pg_run_discard(c);
    return 1;
}

static void push(struct pg_conn *c, struct pg_stmt *s, int prepare, long expect) {
    if (c->npending == c->cappending) {
        c->cappending = c->cappending ? c->cappending * 2 : 64;
        c->pending = xrealloc(c->pending, c->cappending * sizeof *c->pending);
    }
    c->pending[c->npending++] =
        (struct pg_pending){.stmt = s, .prepare = prepare, .expect = expect};
}

/* The connection failed under a send or a read: the unit cannot hold. */
static int lost(struct pg_conn *c) {
    snprintf(c->error, sizeof c->error, "%s", pg_message(c->db));
    c->redo = 1;
    return PQstatus(c->db) != CONNECTION_OK ? STORE_EBUSY : STORE_EREDO;
}

/* Asks the server for the answers so far and sends what libpq holds. */
static int request_answers(struct pg_conn *c) {
    if (!PQsendFlushRequest(c->db) || PQflush(c->db) != 0)
        return lost(c);
    return STORE_OK;
}

/* Reads one pending statement's answer (and the NULL that ends it). */
static void read_answer(struct pg_conn *c, struct pg_pending *p) {
    PGresult *r = PQgetResult(c->db);
    if (!r) {
        lost(c);
        return;
    }
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        const char *tuples = PQcmdTuples(r);
        c->changes = tuples && tuples[0] ? strtoll(tuples, NULL, 10) : 0;
        if (p->expect >= 0 && !p->prepare && c->changes != p->expect)
            c->redo = 1;
    } else {
        if (st == PGRES_FATAL_ERROR)
            snprintf(c->error, sizeof c->error, "%s", pg_message(c->db));
        if (p->prepare)
            p->stmt->prepared = 0; /* skipped or refused: prepare it again */
        c->redo = 1;
    }
    PQclear(r);
    while ((r = PQgetResult(c->db)) != NULL) /* the NULL that ends its answers */
        PQclear(r);
}

/* Reads the answers of pending[0 .. upto). */
static void read_answers(struct pg_conn *c, size_t upto) {
    for (size_t i = 0; i < upto && PQstatus(c->db) == CONNECTION_OK; i++)
        read_answer(c, &c->pending[i]);
}

/* Reads every answer due. */
static void settle_pending(struct pg_conn *c) {
    if (c->npending && request_answers(c) == STORE_OK)
        read_answers(c, c->npending);
    c->npending = 0;
    c->last_deferred = 0;
}

void pg_pipeline_settle(struct pg_conn *c, int last_alone) {
    pg_run_flush(c, last_alone);
    settle_pending(c);
}

/* Sends s's PREPARE when the session has not got it, then s with values. */
static int send_run(struct pg_conn *c, struct pg_stmt *s, char *const *values, long expect) {
    if (!s->prepared) {
        int n = 0;
        char *text = pg_params_text(s->sql, &n);
        int ok = PQsendPrepare(c->db, s->name, text, s->nparams, s->types);
        free(text);
        if (!ok)
            return lost(c);
        push(c, s, 1, -1);
        s->prepared = 1;
    }
    if (!PQsendQueryPrepared(c->db, s->name, s->nparams, (const char *const *)values, NULL, NULL,
                             0))
        return lost(c);
    push(c, s, 0, expect);
    return STORE_OK;
}

int pg_pipeline_send(struct pg_conn *c, struct pg_stmt *s, char *const *values, long expect) {
    int rc = send_run(c, s, values, expect);
    if (rc == STORE_OK && c->npending >= PIPELINE_WINDOW)
        settle_pending(c);
    return rc;
}

/* A deferrable write's step: answered at once, with no rows. */
static int answered_later(struct pg_conn *c, struct pg_stmt *s) {
    s->res = NULL;
    s->nrows = 0;
    s->row = -1;
    return c->redo ? STORE_EREDO : STORE_OK;
}

int pg_pipeline_run(struct pg_stmt *s) {
    struct pg_conn *c = s->conn;
    c->held_last = 0;
    if (c->redo)
        return STORE_EREDO; /* the unit runs again anyway: stop here */
    int rc, taken = 0;
    if (s->deferrable)
        rc = pg_run_take(c, s, &taken);
    else
        rc = pg_run_flush(c, 0);
    if (rc)
        return rc;
    if (taken) {
        c->held_last = 1;
        c->last_deferred = 0;
        return answered_later(c, s);
    }
    if (c->redo)
        return STORE_EREDO;
    if (s->deferrable) {
        rc = pg_pipeline_send(c, s, s->values, -1);
        if (rc)
            return rc;
        c->last_deferred = c->npending;
        return answered_later(c, s);
    }
    rc = send_run(c, s, s->values, -1);
    if (rc)
        return rc;
    /* a read: every answer before its own, then its own */
    c->last_deferred = 0;
    rc = request_answers(c);
    if (rc)
        return rc;
    read_answers(c, c->npending - 1);
    c->npending = 0;
    if (PQstatus(c->db) != CONNECTION_OK)
        return lost(c);
    s->res = PQgetResult(c->db);
    PGresult *r;
    while ((r = PQgetResult(c->db)) != NULL)
        PQclear(r);
    if (!s->res)
        return lost(c);
    if (PQresultStatus(s->res) == PGRES_PIPELINE_ABORTED)
        c->redo = 1;
    if (c->redo) {
        PQclear(s->res);
        s->res = NULL;
        return STORE_EREDO;
    }
    return pg_take_result(s);
}

int pg_pipeline_finish(struct pg_conn *c) {
    int rc = STORE_OK;
    int held = c->run.stmt ? pg_run_flush(c, 0) : STORE_OK;
    if (held == STORE_EBUSY || !PQpipelineSync(c->db) || PQflush(c->db) != 0) {
        rc = lost(c);
    } else {
        read_answers(c, c->npending);
        int nulls = 0; /* up to the sync's answer (a stray end of answers is skipped) */
        while (PQstatus(c->db) == CONNECTION_OK && nulls < 2) {
            PGresult *r = PQgetResult(c->db);
            nulls = r ? 0 : nulls + 1;
            int sync = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
            PQclear(r);
            if (sync)
                break;
        }
    }
    c->npending = 0;
    c->last_deferred = 0;
    c->pipeline = 0;
    if (PQstatus(c->db) != CONNECTION_OK)
        return STORE_EBUSY;
    if (!PQexitPipelineMode(c->db))
        rc = lost(c);
    return rc == STORE_EBUSY ? rc : STORE_OK;
}
