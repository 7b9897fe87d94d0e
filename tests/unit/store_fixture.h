/* store_fixture.h - for unit tests of the SQLite store: a store opened on
 * a fresh temporary file (migrations applied), plus a second raw SQLite
 * connection to the same file for writing rows straight into tables and
 * reading them back. cmocka setup/teardown functions; include after
 * cmocka.h. */
#ifndef CAMPAIGND_STORE_FIXTURE_H
#define CAMPAIGND_STORE_FIXTURE_H

#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct store_fixture {
    char path[160];
    struct store *st;
    sqlite3 *db; /* the raw connection */
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

static inline int store_fixture_setup(void **state) {
    static int count;
    struct store_fixture *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/campaignd-unit-%ld-%d.db", (long)getpid(), count++);
    unlink(f->path);
    char url[200], err[256] = "";
    snprintf(url, sizeof url, "sqlite:%s", f->path);
    if (store_open(url, &f->st, err, sizeof err) != 0)
        fail_msg("store_open: %s", err);
    assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
    sqlite3_busy_timeout(f->db, 5000);
    *state = f;
    return 0;
}

static inline int store_fixture_teardown(void **state) {
    struct store_fixture *f = *state;
    sqlite3_close(f->db);
    f->st->ops->close(f->st);
    store_fixture_unlink(f->path);
    free(f);
    return 0;
}

/* Runs sql on the raw connection; fails the test on an error. */
static inline void store_fixture_exec(struct store_fixture *f, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(f->db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
}

#endif
