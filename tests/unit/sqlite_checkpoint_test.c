/* sqlite_checkpoint_test.c - the SQLite store's checkpoint thread
 * (src/store/sqlite_checkpoint.c), on a temporary file: a writer whose
 * -wal file passes SQLITE_CHECKPOINT_PAGES wakes the thread, which
 * checkpoints, so the writer's next transaction restarts the file (it
 * stays the size of one round however many rounds are written); a writer
 * that never pauses still finds the file bounded (the committer's own
 * checkpoint past SQLITE_CHECKPOINT_HARD_PAGES); stop joins at once, idle
 * or just woken; a store opened by store_sqlite_open runs the thread and
 * its connections wake it. Fails when checkpoints never happen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/sqlite_checkpoint.h"
#include "store/sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROW_BYTES 3000 /* about one page a row */
#define FRAME_BYTES (4096 + 24)

struct fx {
    char path[96], wal[100];
    sqlite3 *writer;
    struct sqlite_checkpointer *k;
};

static sqlite3 *open_wal(const char *path) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                  "CREATE TABLE IF NOT EXISTS t (b BLOB)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    return db;
}

static int setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/campaignd-ckpt-test-%d.db", (int)getpid());
    snprintf(f->wal, sizeof f->wal, "%s-wal", f->path);
    unlink(f->path);
    unlink(f->wal);
    f->writer = open_wal(f->path);
    f->k = sqlite_checkpointer_start(open_wal(f->path));
    assert_non_null(f->k);
    sqlite_checkpointer_watch(f->k, f->writer);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fx *f = *state;
    sqlite_checkpointer_stop(f->k);
    sqlite3_close(f->writer);
    unlink(f->path);
    unlink(f->wal);
    char shm[110];
    snprintf(shm, sizeof shm, "%s-shm", f->path);
    unlink(shm);
    free(f);
    return 0;
}

/* n rows of about a page each, in transactions of 20 rows. */
static void write_rows(sqlite3 *db, int n) {
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (zeroblob(?1))", -1, &s, NULL),
                     SQLITE_OK);
    for (int i = 0; i < n; i += 20) {
        assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
        for (int j = 0; j < 20; j++) {
            sqlite3_bind_int(s, 1, ROW_BYTES);
            assert_int_equal(sqlite3_step(s), SQLITE_DONE);
            sqlite3_reset(s);
        }
        assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    }
    sqlite3_finalize(s);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* Waits (up to 20 s) for the thread to be idle, with more than `than`
 * whole checkpoints done. */
static void wait_checkpoints(const struct sqlite_checkpointer *k, long than) {
    for (int i = 0; i < 2000; i++) {
        if (sqlite_checkpointer_idle(k) && sqlite_checkpointer_done(k) > than)
            return;
        usleep(10000);
    }
    fail_msg("no checkpoint: %ld done", sqlite_checkpointer_done(k));
}

static void test_the_thread_checkpoints_and_the_wal_restarts(void **state) {
    struct fx *f = *state;
    write_rows(f->writer, SQLITE_CHECKPOINT_PAGES / 2);
    assert_int_equal(sqlite_checkpointer_done(f->k), 0); /* not woken below the threshold */
    long round_pages = SQLITE_CHECKPOINT_PAGES + 200;
    for (int round = 0; round < 6; round++) {
        long before = sqlite_checkpointer_done(f->k);
        write_rows(f->writer, round_pages);
        wait_checkpoints(f->k, before);
    }
    /* each round restarted the file from its beginning: it never held more
     * than two rounds (well below the hard limit), where without the
     * thread it would hold all 6.5 */
    long size = file_size(f->wal);
    assert_true(size >= (long)SQLITE_CHECKPOINT_PAGES * FRAME_BYTES);
    assert_true(size <= 2 * (round_pages + 100) * FRAME_BYTES);
    sqlite3 *check = NULL;
    sqlite3_open(f->path, &check);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(check, "SELECT count(*) FROM t", -1, &s, NULL);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0),
                     SQLITE_CHECKPOINT_PAGES / 2 + 6 * (SQLITE_CHECKPOINT_PAGES + 200));
    sqlite3_finalize(s);
    sqlite3_close(check);
}

static void test_a_writer_without_pause_finds_the_wal_bounded(void **state) {
    struct fx *f = *state;
    long max = 0;
    for (int i = 0; i < 30; i++) { /* 3x the hard limit, written without pause */
        write_rows(f->writer, SQLITE_CHECKPOINT_HARD_PAGES / 10);
        long size = file_size(f->wal);
        max = size > max ? size : max;
    }
    /* the hard limit, plus the transaction that passed it */
    assert_true(max <= (long)(SQLITE_CHECKPOINT_HARD_PAGES + 200) * FRAME_BYTES);
}

static void test_stop_joins_idle_and_woken(void **state) {
    struct fx *f = *state;
    sqlite_checkpointer_stop(f->k); /* idle */
    f->k = sqlite_checkpointer_start(open_wal(f->path));
    sqlite_checkpointer_watch(f->k, f->writer);
    write_rows(f->writer, SQLITE_CHECKPOINT_PAGES + 100); /* woken */
    sqlite_checkpointer_stop(f->k);
    f->k = NULL;
    sqlite_checkpointer_stop(NULL); /* nothing */
    assert_null(sqlite_checkpointer_start(NULL));
    sqlite3_wal_hook(f->writer, NULL, NULL); /* the stopped one no longer watches */
}

static void test_the_store_runs_the_thread_and_watches_its_connections(void **state) {
    struct fx *f = *state;
    sqlite_checkpointer_stop(f->k); /* this test's own one: the store brings its */
    f->k = NULL;
    sqlite3_wal_hook(f->writer, NULL, NULL);
    struct store_options opts = {0};
    struct store *st = NULL;
    char err[256];
    assert_int_equal(store_sqlite_open(f->path, &opts, &st, err, sizeof err), STORE_OK);
    struct sqlite_checkpointer *k = ((struct sqlite_store *)st)->ckpt;
    assert_non_null(k);
    struct sqlite_conn *conn = sqlite_conn_get(st); /* this thread's, as a store op gets it */
    assert_non_null(conn);
    write_rows(conn->db, SQLITE_CHECKPOINT_PAGES + 200);
    wait_checkpoints(k, 0);
    st->ops->close(st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_thread_checkpoints_and_the_wal_restarts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_writer_without_pause_finds_the_wal_bounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stop_joins_idle_and_woken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_store_runs_the_thread_and_watches_its_connections,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
