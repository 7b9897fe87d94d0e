/* store_fixture.h - for unit tests of the store: a store opened on a fresh
 * database (migrations applied), plus a second raw connection to the same
 * database for writing rows straight into tables and reading them back.
 * The backend is SQLite (a temporary file) unless CAMPAIGND_TEST_DATABASE
 * names a PostgreSQL server (scripts/pg.sh run): then each test gets a
 * fresh database of that server, dropped at teardown. Raw SQL goes through
 * store_fixture_exec / store_fixture_text, which speak to either. Rows
 * written raw need not have their parents: SQLite's raw connection checks
 * no foreign keys, and on PostgreSQL the fixture drops the test database's
 * foreign-key constraints (the "PRAGMA foreign_keys = OFF" tests send
 * changes nothing there). SQLite's group_concat is defined there too.
 * cmocka setup/teardown functions; include after cmocka.h. */
#ifndef CAMPAIGND_STORE_FIXTURE_H
#define CAMPAIGND_STORE_FIXTURE_H

#include "store/store.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct store_fixture {
    char path[160];
    char dbname[64]; /* PostgreSQL: the test's database ("" on SQLite) */
    struct store *st;
    sqlite3 *db; /* the raw connection (SQLite) */
    PGconn *pg;  /* the raw connection (PostgreSQL) */
    int n;       /* free for the test: a counter for row ids */
};

/* Removes a SQLite database file and its -wal and -shm companions. */
static inline void store_fixture_unlink(const char *path) {
    char aux[300];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

/* The server URL of CAMPAIGND_TEST_DATABASE, or NULL (SQLite). */
static inline const char *store_fixture_pg_server(void) {
    const char *u = getenv("CAMPAIGND_TEST_DATABASE");
    if (u && (strncmp(u, "postgres://", 11) == 0 || strncmp(u, "postgresql://", 13) == 0))
        return u;
    return NULL;
}

/* url with its database (the path after the authority) replaced by db. */
static inline void store_fixture_pg_url(const char *url, const char *db, char *out, size_t n) {
    const char *auth = strstr(url, "://") + 3;
    const char *path = strchr(auth, '/');
    const char *query = strchr(auth, '?');
    if (!path || (query && path > query))
        path = query ? query : auth + strlen(auth);
    const char *rest = strchr(path, '?');
    snprintf(out, n, "%.*s/%s%s", (int)(path - url), url, db, rest ? rest : "");
}

static inline void store_fixture_pg_admin(const char *server, const char *sql) {
    PGconn *c = PQconnectdb(server);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("postgres: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

#define STORE_FIXTURE_DROP_FKS                                                                     \
    "DO $$DECLARE r record; BEGIN FOR r IN SELECT conrelid::regclass AS t, conname "               \
    "FROM pg_constraint WHERE contype = 'f' LOOP EXECUTE format('ALTER TABLE %s DROP "             \
    "CONSTRAINT %I', r.t, r.conname); END LOOP; END$$;"                                            \
    "CREATE FUNCTION gc_step(acc text, v text, sep text) RETURNS text LANGUAGE sql AS "            \
    "$$SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || sep || v END$$;"    \
    "CREATE AGGREGATE group_concat(text, text) (SFUNC = gc_step, STYPE = text);"                   \
    "CREATE FUNCTION gc_step(acc text, v text) RETURNS text LANGUAGE sql AS "                      \
    "$$SELECT gc_step(acc, v, ',')$$;"                                                             \
    "CREATE AGGREGATE group_concat(text) (SFUNC = gc_step, STYPE = text)"

static inline int store_fixture_setup(void **state) {
    static int count;
    struct store_fixture *f = calloc(1, sizeof *f);
    char url[600], err[256] = "";
    const char *server = store_fixture_pg_server();
    if (server) {
        char sql[128];
        snprintf(f->dbname, sizeof f->dbname, "unit_%ld_%d", (long)getpid(), count++);
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->dbname);
        store_fixture_pg_admin(server, sql);
        store_fixture_pg_url(server, f->dbname, url, sizeof url);
    } else {
        snprintf(f->path, sizeof f->path, "/tmp/campaignd-unit-%ld-%d.db", (long)getpid(), count++);
        unlink(f->path);
        snprintf(url, sizeof url, "sqlite:%s", f->path);
    }
    if (store_open(url, &f->st, err, sizeof err) != 0)
        fail_msg("store_open: %s", err);
    if (server) {
        f->pg = PQconnectdb(url);
        if (PQstatus(f->pg) != CONNECTION_OK)
            fail_msg("postgres: %s", PQerrorMessage(f->pg));
        PGresult *r = PQexec(f->pg, STORE_FIXTURE_DROP_FKS);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("dropping foreign keys: %s", PQerrorMessage(f->pg));
        PQclear(r);
    } else {
        assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
        sqlite3_busy_timeout(f->db, 5000);
    }
    *state = f;
    return 0;
}

static inline int store_fixture_teardown(void **state) {
    struct store_fixture *f = *state;
    f->st->ops->close(f->st);
    if (f->pg) {
        char sql[128];
        PQfinish(f->pg);
        snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", f->dbname);
        store_fixture_pg_admin(store_fixture_pg_server(), sql);
    } else {
        sqlite3_close(f->db);
        store_fixture_unlink(f->path);
    }
    free(f);
    return 0;
}

/* The fixture opened by a test itself (when its fixture holds more than
 * the store): setup's store, returned; close with store_fixture_close. */
static inline struct store_fixture *store_fixture_open(void) {
    void *sf = NULL;
    store_fixture_setup(&sf);
    return sf;
}

static inline void store_fixture_close(struct store_fixture *f) {
    void *sf = f;
    store_fixture_teardown(&sf);
}

/* Runs sql on the raw connection; fails the test on an error. */
static inline void store_fixture_exec(struct store_fixture *f, const char *sql) {
    if (f->pg) {
        if (strcmp(sql, "PRAGMA foreign_keys = OFF") == 0)
            return; /* no foreign keys there (setup) */
        PGresult *r = PQexec(f->pg, sql);
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(f->pg));
        return;
    }
    char *err = NULL;
    if (sqlite3_exec(f->db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
}

/* Column col of the first row sql answers, as text ("" for NULL), into
 * out; 1 when there is a row, 0 when none. Fails the test on an error. */
static inline int store_fixture_text(struct store_fixture *f, const char *sql, int col, char *out,
                                     size_t size) {
    out[0] = 0;
    if (f->pg) {
        PGresult *r = PQexec(f->pg, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(f->pg));
        int found = PQntuples(r) > 0;
        if (found)
            snprintf(out, size, "%s", PQgetvalue(r, 0, col));
        PQclear(r);
        return found;
    }
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(f->db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(f->db));
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(q, col);
        snprintf(out, size, "%s", t ? (const char *)t : "");
    } else if (rc != SQLITE_DONE) {
        fail_msg("%s: %s", sql, sqlite3_errmsg(f->db));
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW;
}

#endif
