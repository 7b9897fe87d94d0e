/* pg_pipeline_test.c - batch units on PostgreSQL (src/store/pg_pipeline.c):
 * writes sent without waiting for their answers, guarded moves taken as
 * done and checked by the unit's end. A unit whose every write did what
 * was assumed commits all of it; one where a guarded write changed no row,
 * or a write failed, keeps nothing and answers STORE_EREDO, and the
 * connection is fit for the plain unit that runs it again. Reads in the
 * middle see the writes sent before them; more writes than the pipeline's
 * window settle on the way. A run of one write goes as one statement
 * over arrays (pg_coalesce.c) and keeps those rules. Needs a PostgreSQL server (scripts/pg.sh run):
 * on SQLite, which has no batch units, every test is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/pg_internal.h"
#include "store_fixture.h"

#include <string.h>

static const char SQL_PUT[] = "INSERT INTO meta(key, value) VALUES (?1, ?2)";
static const char SQL_SET[] = "UPDATE meta SET value = ?2 WHERE key = ?1 AND value = ?3";
static const char SQL_GET[] = "SELECT value FROM meta WHERE key = ?1";

static struct pg_conn *conn_of(void **state) {
    struct store_fixture *f = *state;
    if (!store_fixture_pg_server())
        skip();
    struct pg_conn *c = pg_conn_get(f->st);
    assert_non_null(c);
    return c;
}

static int put(struct pg_conn *c, const char *key, const char *value) {
    struct pg_stmt *s = pg_prep(c, SQL_PUT);
    pg_bind_text(s, 1, key);
    pg_bind_text(s, 2, value);
    return pg_err(c, pg_step(s), "put");
}

/* Sends the guarded update of key from `from` to `to`, unchecked (the
 * store's deferrable writes whose effect no one asks about). */
static int send_set(struct pg_conn *c, const char *key, const char *from, const char *to) {
    struct pg_stmt *s = pg_prep(c, SQL_SET);
    pg_bind_text(s, 1, key);
    pg_bind_text(s, 2, to);
    pg_bind_text(s, 3, from);
    return pg_err(c, pg_step(s), "set");
}

/* The guarded update, checked: 1 when it moved (as the store's moves ask
 * it: pg_changed_one). */
static int set(struct pg_conn *c, const char *key, const char *from, const char *to, int *rc) {
    *rc = send_set(c, key, from, to);
    return *rc == STORE_OK && pg_changed_one(c);
}

/* The stored value of key ("" when none), read on the connection. */
static void get(struct pg_conn *c, const char *key, char *out, size_t n, int *rc) {
    struct pg_stmt *s = pg_prep(c, SQL_GET);
    pg_bind_text(s, 1, key);
    int step = pg_step(s);
    snprintf(out, n, "%s", step == PG_ROW ? pg_col_raw(s, 0) : "");
    *rc = pg_err(c, step, "get");
    pg_reset(s);
}

/* The committed value of key, read on the fixture's own connection. */
static void assert_stored(void **state, const char *key, const char *want) {
    struct store_fixture *f = *state;
    char sql[128], v[32];
    snprintf(sql, sizeof sql,
             "SELECT coalesce((SELECT value FROM meta WHERE key = '%s'), '(none)')", key);
    store_fixture_text(f, sql, 0, v, sizeof v);
    assert_string_equal(v, want);
}

static void test_a_batch_whose_moves_all_moved_commits(void **state) {
    struct pg_conn *c = conn_of(state);
    assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
    assert_true(c->pipeline);
    assert_int_equal(put(c, "a", "1"), STORE_OK);
    int rc;
    assert_true(set(c, "a", "1", "2", &rc)); /* taken as moved, checked at the end */
    char v[16];
    get(c, "a", v, sizeof v, &rc); /* a read sees what was sent before it */
    assert_int_equal(rc, STORE_OK);
    assert_string_equal(v, "2");
    assert_true(set(c, "a", "2", "3", &rc));
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
    assert_false(c->pipeline);
    assert_stored(state, "a", "3");
}

static void test_a_guarded_write_that_did_not_move_redoes_the_unit(void **state) {
    struct pg_conn *c = conn_of(state);
    assert_int_equal(pg_unit_begin(c), STORE_OK);
    assert_int_equal(put(c, "b", "1"), STORE_OK);
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);

    assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
    assert_int_equal(put(c, "c", "new"), STORE_OK);
    int rc;
    /* b is 1, not 7: the batch cannot know yet, and takes it as moved */
    assert_true(set(c, "b", "7", "8", &rc));
    assert_int_equal(rc, STORE_OK);
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_EREDO);
    assert_stored(state, "c", "(none)"); /* nothing of the unit is kept */
    assert_stored(state, "b", "1");

    /* the plain unit that runs it again meets the answer where it comes */
    assert_int_equal(pg_unit_begin(c), STORE_OK);
    assert_false(c->pipeline);
    assert_int_equal(put(c, "c", "new"), STORE_OK);
    assert_false(set(c, "b", "7", "8", &rc));
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
    assert_stored(state, "c", "new");
}

static void test_a_failed_write_redoes_the_unit_and_stops_it_early(void **state) {
    struct pg_conn *c = conn_of(state);
    assert_int_equal(pg_unit_begin(c), STORE_OK);
    assert_int_equal(put(c, "d", "1"), STORE_OK);
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);

    assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
    assert_int_equal(put(c, "e", "1"), STORE_OK);
    assert_int_equal(put(c, "d", "2"), STORE_OK); /* a duplicate key: fails at the server */
    char v[16];
    int rc;
    get(c, "e", v, sizeof v, &rc); /* the read learns of it: the unit stops */
    assert_int_equal(rc, STORE_EREDO);
    assert_int_equal(put(c, "f", "1"), STORE_EREDO);
    assert_int_equal(pg_unit_end(c, rc), STORE_EREDO);
    assert_stored(state, "e", "(none)");
    assert_stored(state, "f", "(none)");

    /* plainly, the conflict is answered where it happens */
    assert_int_equal(pg_unit_begin(c), STORE_OK);
    assert_int_equal(put(c, "e", "1"), STORE_OK);
    assert_int_equal(put(c, "d", "2"), STORE_ECONFLICT);
    assert_int_equal(pg_unit_end(c, STORE_ECONFLICT), STORE_ECONFLICT);
    assert_stored(state, "e", "(none)");
}

static void test_more_writes_than_the_window_settle_on_the_way(void **state) {
    struct pg_conn *c = conn_of(state);
    assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(put(c, key, "0"), STORE_OK);
        int rc;
        assert_true(set(c, key, "0", "1", &rc));
        assert_true(c->npending <= 1024);
    }
    /* pg_changes waits for the answers: the last write changed one row */
    assert_int_equal(send_set(c, "k0", "1", "2"), STORE_OK);
    assert_int_equal(pg_changes(c), 1);
    assert_int_equal(c->npending, 0);
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
    struct store_fixture *f = *state;
    char n[32];
    store_fixture_text(f, "SELECT count(*) FROM meta WHERE key LIKE 'k%' AND value = '1'", 0, n,
                       sizeof n);
    assert_string_equal(n, "2999");
    assert_stored(state, "k0", "2");
}

/* ---- runs of one write sent as one statement (pg_coalesce.c) ---- */

#define RUN 20 /* rows: more than a twin needs (TWIN_MIN_ROWS) */

/* A text with what an array literal must escape. */
static void odd_value(int i, char *out, size_t n) {
    snprintf(out, n, "v\"%d\\,{x} NULL", i);
}

/* Commits keys r0 .. r(RUN-1) at value "1" in a plain unit. */
static void put_run_plainly(struct pg_conn *c) {
    char key[16];
    assert_int_equal(pg_unit_begin(c), STORE_OK);
    for (int i = 0; i < RUN; i++) {
        snprintf(key, sizeof key, "r%d", i);
        assert_int_equal(put(c, key, "1"), STORE_OK);
    }
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
}

/* Guarded moves of r0 .. r(RUN-1) from `from` to "2", each taken as moved;
 * the move of r<wrong> guarded by "5" instead. */
static void set_run(struct pg_conn *c, const char *from, int wrong) {
    char key[16];
    int rc;
    for (int i = 0; i < RUN; i++) {
        snprintf(key, sizeof key, "r%d", i);
        assert_true(set(c, key, i == wrong ? "5" : from, "2", &rc));
        assert_int_equal(rc, STORE_OK);
    }
}

static void test_a_run_of_writes_goes_as_one_statement(void **state) {
    struct pg_conn *c = conn_of(state);
    uint64_t twins = c->coalesced_statements;
    assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
    char key[16], value[32];
    for (int i = 0; i < RUN; i++) {
        snprintf(key, sizeof key, "r%d", i);
        odd_value(i, value, sizeof value);
        assert_int_equal(put(c, key, value), STORE_OK);
    }
    int rc;
    for (int i = 0; i < RUN; i++) {
        snprintf(key, sizeof key, "r%d", i);
        odd_value(i, value, sizeof value);
        assert_true(set(c, key, value, i % 2 ? "odd" : value, &rc));
        assert_int_equal(rc, STORE_OK);
    }
    char v[32];
    get(c, "r3", v, sizeof v, &rc); /* sends what is held, then reads */
    assert_int_equal(rc, STORE_OK);
    assert_string_equal(v, "odd");
    assert_int_equal(c->coalesced_statements, twins + 2); /* the inserts, the updates */
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
    odd_value(4, value, sizeof value);
    assert_stored(state, "r4", value);
    assert_stored(state, "r19", "odd");
}

static void test_a_run_whose_guard_did_not_move_redoes_the_unit(void **state) {
    struct pg_conn *c = conn_of(state);
    put_run_plainly(c);
    assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
    set_run(c, "1", 7); /* r7 is 1, not 5: taken as moved, found out by the twin's count */
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_EREDO);
    assert_stored(state, "r0", "1"); /* nothing of the unit is kept */
    assert_stored(state, "r19", "1");
}

static void test_a_run_holds_one_row_per_key(void **state) {
    struct pg_conn *c = conn_of(state);
    put_run_plainly(c);
    assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
    set_run(c, "1", -1);
    /* r0 again: in the same twin its second move would not see its first */
    int rc;
    assert_true(set(c, "r0", "2", "3", &rc));
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
    assert_stored(state, "r0", "3");
    assert_stored(state, "r19", "2");
}

static void test_a_run_not_all_checked_goes_row_by_row(void **state) {
    struct pg_conn *c = conn_of(state);
    put_run_plainly(c);
    uint64_t twins = c->coalesced_statements;
    assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
    set_run(c, "1", -1);
    char key[16];
    int rc;
    /* not checked (no pg_changed_one), and it changes no row: the run's
     * count would not tell the checked rows' */
    struct pg_stmt *s = pg_prep(c, SQL_SET);
    pg_bind_text(s, 1, "zz");
    pg_bind_text(s, 2, "9");
    pg_bind_text(s, 3, "1");
    assert_int_equal(pg_err(c, pg_step(s), "set"), STORE_OK);
    pg_reset(s);
    char v[16];
    get(c, "r5", v, sizeof v, &rc);
    assert_int_equal(rc, STORE_OK);
    assert_string_equal(v, "2");
    assert_int_equal(c->coalesced_statements, twins);
    /* pg_changes after a held row: its own count (row by row again) */
    for (int i = 0; i < RUN; i++) {
        snprintf(key, sizeof key, "r%d", i);
        s = pg_prep(c, SQL_SET);
        pg_bind_text(s, 1, key);
        pg_bind_text(s, 2, "3");
        pg_bind_text(s, 3, i == RUN - 1 ? "7" : "2");
        assert_int_equal(pg_err(c, pg_step(s), "set"), STORE_OK);
        pg_reset(s);
    }
    assert_int_equal(pg_changes(c), 0);
    assert_int_equal(c->coalesced_statements, twins);
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
    assert_stored(state, "r0", "3");
    assert_stored(state, "r19", "2");
}

/* ---- random runs against the rows one by one ---- */

#define KEYS 24

struct model {
    char value[KEYS][8]; /* "" when the key does not exist */
    unsigned seed;
};

static unsigned next_rand(struct model *m, unsigned below) {
    m->seed = m->seed * 1103515245u + 12345u;
    return (m->seed >> 16) % below;
}

static void model_key(int round, int k, char *out, size_t n) {
    snprintf(out, n, "q%dk%d", round, k);
}

/* One random write of kind (0 insert, 1 checked move, 2 unchecked move) of
 * round's key k, on c and on the model of the rows one by one; *wrong: a
 * checked move that the rows one by one would not have made. */
static void random_write(struct pg_conn *c, struct model *m, int round, int kind, int k,
                         int *wrong) {
    char key[16], to[8];
    int rc;
    snprintf(to, sizeof to, "%u", next_rand(m, 6));
    model_key(round, k, key, sizeof key);
    if (kind == 0) {
        if (m->value[k][0])
            return; /* a second insert fails either way: not what is tested */
        assert_int_equal(put(c, key, to), STORE_OK);
        snprintf(m->value[k], sizeof m->value[k], "%s", to);
        return;
    }
    /* mostly the value the row has; now and then another */
    const char *from = next_rand(m, 50) == 0 ? "x" : m->value[k][0] ? m->value[k] : "0";
    int moves = m->value[k][0] && strcmp(m->value[k], from) == 0;
    if (kind == 1) {
        assert_true(set(c, key, from, to, &rc)); /* taken as moved */
        *wrong |= !moves;
    } else {
        rc = send_set(c, key, from, to);
    }
    assert_int_equal(rc, STORE_OK);
    if (moves)
        snprintf(m->value[k], sizeof m->value[k], "%s", to);
}

/* Random runs of inserts and moves, long and short, checked and not, in
 * batch units: each unit ends as the rows one by one would (committed
 * with their values, or redone with nothing kept when a checked move
 * would not have moved). */
static void test_random_runs_end_as_the_rows_one_by_one(void **state) {
    struct pg_conn *c = conn_of(state);
    struct model m = {.seed = 20261207u};
    int committed = 0, redone = 0;
    for (int round = 0; round < 40; round++) {
        memset(m.value, 0, sizeof m.value);
        char key[16], before[KEYS][8];
        assert_int_equal(pg_unit_begin(c), STORE_OK);
        for (int k = 0; k < KEYS; k += 2) { /* half the keys exist at "0" */
            model_key(round, k, key, sizeof key);
            assert_int_equal(put(c, key, "0"), STORE_OK);
            snprintf(m.value[k], sizeof m.value[k], "0");
        }
        assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
        memcpy(before, m.value, sizeof before);

        int wrong = 0, rc = STORE_OK;
        assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
        for (int runs = 3 + (int)next_rand(&m, 6); runs > 0 && rc == STORE_OK; runs--) {
            /* a run's keys in a stride through them: distinct for 24 */
            int kind = (int)next_rand(&m, 3), k = (int)next_rand(&m, KEYS);
            int stride = next_rand(&m, 2) ? 5 : 7, len = 1 + (int)next_rand(&m, 30);
            for (int j = 0; j < len; j++, k = (k + stride) % KEYS)
                random_write(c, &m, round, kind, k, &wrong);
            if (next_rand(&m, 4) == 0) { /* a read between runs sees the rows so far */
                int k = (int)next_rand(&m, KEYS);
                char v[16];
                model_key(round, k, key, sizeof key);
                get(c, key, v, sizeof v, &rc);
                /* or learns that a checked move did not move: the unit stops */
                assert_int_equal(rc, wrong ? STORE_EREDO : STORE_OK);
                if (rc == STORE_OK)
                    assert_string_equal(v, m.value[k]);
            }
        }
        assert_int_equal(pg_unit_end(c, rc), wrong ? STORE_EREDO : STORE_OK);
        committed += !wrong;
        redone += wrong;
        for (int k = 0; k < KEYS; k++) {
            const char *want = wrong ? before[k] : m.value[k];
            model_key(round, k, key, sizeof key);
            assert_stored(state, key, want[0] ? want : "(none)");
        }
    }
    assert_true(committed > 5 && redone > 5); /* both ends were met */
    assert_true(c->coalesced_statements > 20);
}

static void test_a_unit_inside_another_joins_it_unbatched(void **state) {
    struct pg_conn *c = conn_of(state);
    assert_int_equal(pg_unit_begin(c), STORE_OK);
    assert_int_equal(pg_unit_begin_batch(c), STORE_OK);
    assert_false(c->pipeline);
    int rc;
    assert_int_equal(put(c, "g", "1"), STORE_OK);
    assert_false(set(c, "g", "0", "1", &rc)); /* answered at once */
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
    assert_int_equal(pg_unit_end(c, STORE_OK), STORE_OK);
    assert_stored(state, "g", "1");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_batch_whose_moves_all_moved_commits,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_guarded_write_that_did_not_move_redoes_the_unit,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_write_redoes_the_unit_and_stops_it_early,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_more_writes_than_the_window_settle_on_the_way,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_run_of_writes_goes_as_one_statement,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_run_whose_guard_did_not_move_redoes_the_unit,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_run_holds_one_row_per_key, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_run_not_all_checked_goes_row_by_row,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_random_runs_end_as_the_rows_one_by_one,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_unit_inside_another_joins_it_unbatched,
                                        store_fixture_setup, store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
