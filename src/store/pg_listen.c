/* pg_listen.c - how the nodes on one PostgreSQL database tell each other of
 * changes, and which of them runs the sweeps (written by hand; no SQLite
 * twin: one process per SQLite database needs neither).
 *
 * Notify: `SELECT pg_notify('campaignd', 'NODE EVENTS')` on the calling
 * thread's connection (inside the caller's transaction it is sent at
 * commit; outside one, at once). EVENTS are the engine's engine_event bits
 * as a decimal number; NODE lets a listener skip its own.
 *
 * Listen: the engine thread owns one more connection, apart from the
 * per-thread ones, that runs `LISTEN campaignd` and is then only read
 * (PQconsumeInput, PQnotifies) when its socket turns readable; the engine
 * watches the socket with its libuv loop. A read that finds the connection
 * gone answers STORE_EBUSY: the caller closes it and opens a new one later.
 *
 * Sweeper: the same connection takes a session advisory lock on a key of
 * its own (pg_try_advisory_lock, never waiting). The node whose listener
 * holds it runs the sweeps; the lock goes with the session, so when that
 * node dies (or its connection does) PostgreSQL frees it at once and
 * another node's next try takes it. Notifications that arrive while a
 * statement runs on the connection are kept for the next read. */
#include "store/pg_internal.h"
#include "util/alloc.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL "campaignd"
#define SWEEPER_LOCK_KEY "1667329395" /* "camp" + 3: the sweeper's session lock */

static const char SQL_NOTIFY[] = "SELECT pg_notify('" CHANNEL "', ?1)";

int pg_notify(struct store *st, const char *node, int events) {
    struct pg_conn *c = pg_conn_get(st);
    if (!c)
        return PG_NO_CONN;
    char payload[96];
    snprintf(payload, sizeof payload, "%s %d", node, events);
    struct pg_stmt *s = pg_prep(c, SQL_NOTIFY);
    pg_bind_text(s, 1, payload);
    int rc = pg_step(s);
    pg_reset(s);
    return rc == PG_ROW || rc == PG_DONE ? STORE_OK : pg_err(c, rc, "notify");
}

/* ORs into l->pending the events of every notification libpq holds that
 * another node sent. */
static void drain(struct pg_listener *l, const char *node) {
    PGnotify *n;
    while ((n = PQnotifies(l->db)) != NULL) {
        const char *space = strrchr(n->extra, ' ');
        size_t len = space ? (size_t)(space - n->extra) : 0;
        int own = node && space && strlen(node) == len && strncmp(n->extra, node, len) == 0;
        if (space && !own)
            l->pending |= (int)strtol(space + 1, NULL, 10);
        PQfreemem(n);
    }
}

int pg_listen_open(struct store *st) {
    struct pg_store *s = (struct pg_store *)st;
    struct pg_listener *l = &s->listener;
    if (l->db)
        return PQsocket(l->db);
    PGconn *db = pg_connect(s->url);
    if (!db)
        return PG_NO_CONN;
    PGresult *r = PQexec(db, "LISTEN " CHANNEL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok || PQsetnonblocking(db, 1) != 0) {
        log_warn("postgres: cannot listen for other nodes' changes: %s", pg_message(db));
        PQfinish(db);
        return PG_NO_CONN;
    }
    l->db = db;
    l->pending = 0;
    l->sweeper = 0;
    return PQsocket(db);
}

int pg_listen_read(struct store *st, const char *node, int *events) {
    struct pg_listener *l = &((struct pg_store *)st)->listener;
    *events = 0;
    if (!l->db)
        return PG_NO_CONN;
    if (!PQconsumeInput(l->db) || PQstatus(l->db) != CONNECTION_OK) {
        log_warn("postgres: the listening connection is lost: %s", pg_message(l->db));
        return PG_NO_CONN;
    }
    drain(l, node);
    *events = l->pending;
    l->pending = 0;
    return STORE_OK;
}

void pg_listen_close(struct store *st) {
    struct pg_listener *l = &((struct pg_store *)st)->listener;
    if (l->db)
        PQfinish(l->db);
    l->db = NULL;
    l->pending = 0;
    l->sweeper = 0;
}

int pg_sweeper_try(struct store *st, const char *node, int *held) {
    struct pg_listener *l = &((struct pg_store *)st)->listener;
    *held = 0;
    if (!l->db)
        return PG_NO_CONN;
    if (l->sweeper) { /* held for as long as the session lives */
        *held = 1;
        return STORE_OK;
    }
    /* blocking for this one statement: the socket is quiet between reads */
    PQsetnonblocking(l->db, 0);
    PGresult *r = PQexec(l->db, "SELECT pg_try_advisory_lock(" SWEEPER_LOCK_KEY ")");
    PQsetnonblocking(l->db, 1);
    int rc = STORE_OK;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        l->sweeper = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    else
        rc = PG_NO_CONN; /* the read that follows finds out more */
    PQclear(r);
    drain(l, node);
    *held = l->sweeper;
    return rc;
}
