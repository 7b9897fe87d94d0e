/* pg_twin_sql_test.c - the twin over arrays of a batch unit's write
 * (src/store/pg_coalesce.c): which statements have one, and its text. No
 * server needed: PostgreSQL runs the twins in pg_pipeline_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#define ROWS2 "(SELECT * FROM unnest(?1, ?2) WITH ORDINALITY AS u(p1, p2, ord) LIMIT ?3) AS j"
#define ROWS3                                                                                      \
    "(SELECT * FROM unnest(?1, ?2, ?3) WITH ORDINALITY AS u(p1, p2, p3, ord) LIMIT ?4) AS j"

static void assert_twin(const char *sql, int nparams, const char *want, int want_key) {
    int key = -1;
    char *twin = pg_twin_sql(sql, nparams, &key);
    assert_non_null(twin);
    assert_string_equal(twin, want);
    assert_int_equal(key, want_key);
    free(twin);
}

static void assert_no_twin(const char *sql, int nparams) {
    int key = -1;
    char *twin = pg_twin_sql(sql, nparams, &key);
    assert_null(twin);
    assert_int_equal(key, 0);
}

static void test_an_insert_selects_the_rows_in_their_order(void **state) {
    (void)state;
    assert_twin("INSERT INTO t(a, b) VALUES (?1, coalesce(?2, 'x')) ON CONFLICT DO NOTHING", 2,
                "INSERT INTO t(a, b) SELECT j.p1, coalesce(j.p2, 'x') FROM " ROWS2
                " ORDER BY j.ord ON CONFLICT DO NOTHING",
                0);
    /* a literal is kept as it is, even one that looks like a parameter */
    assert_twin("INSERT INTO t(a, b) VALUES (?1, '?2 (x)')", 1,
                "INSERT INTO t(a, b) SELECT j.p1, '?2 (x)' FROM (SELECT * FROM unnest(?1) WITH "
                "ORDINALITY AS u(p1, ord) LIMIT ?2) AS j ORDER BY j.ord",
                0);
}

static void test_an_update_by_a_unique_key_joins_the_rows(void **state) {
    (void)state;
    assert_twin("UPDATE recipients SET status = ?3, n = n + 1 WHERE seq = ?1 AND disposition IS "
                "NOT DISTINCT FROM ?2",
                3,
                "UPDATE recipients SET status = j.p3, n = n + 1 FROM " ROWS3
                " WHERE seq = j.p1 AND disposition IS NOT DISTINCT FROM j.p2",
                1);
    assert_twin("UPDATE calls SET submit_state = ?1 WHERE id = ?2 AND submit_state < ?1", 2,
                "UPDATE calls SET submit_state = j.p1 FROM " ROWS2
                " WHERE id = j.p2 AND submit_state < j.p1",
                2);
}

static void test_a_delete_uses_the_rows(void **state) {
    (void)state;
    assert_twin("DELETE FROM sim_reports WHERE provider = ?1 AND call_id = ?2", 2,
                "DELETE FROM sim_reports USING " ROWS2 " WHERE provider = j.p1 AND call_id = j.p2",
                0);
}

static void test_writes_a_twin_would_change_have_none(void **state) {
    (void)state;
    /* an update not named by a unique key: two rows could hit one row */
    assert_no_twin("UPDATE campaigns SET queued = queued + ?2 WHERE account_id = ?1", 2);
    assert_no_twin("UPDATE lane_limits SET rate = ?2 WHERE lane = ?1", 2);
    assert_no_twin("UPDATE calls SET status = ?2 WHERE lane = ?1 AND seq = ?3", 3);
    /* seq = ?10 is not seq = ?1 */
    assert_no_twin("UPDATE calls SET status = ?2 WHERE seq = ?1x", 2);
    /* a read of a table: what the run's earlier rows wrote would not show */
    assert_no_twin("UPDATE recipients SET last_call_id = (SELECT id FROM calls WHERE "
                   "recipient_seq = ?1) WHERE seq = ?1",
                   1);
    assert_no_twin("INSERT INTO t(a) SELECT ?1 FROM u", 1);
    assert_no_twin("UPDATE calls SET status = ?2 FROM recipients r WHERE seq = ?1", 2);
    assert_no_twin("DELETE FROM calls USING recipients r WHERE seq = ?1", 1);
    assert_no_twin("DELETE FROM calls WHERE seq = ?1 RETURNING recipient_seq", 1);
    assert_no_twin("INSERT INTO t(a) VALUES (?1), (?2)", 2);
    assert_no_twin("DELETE FROM calls", 0);
    assert_no_twin("UPDATE calls SET status = 'failed'", 0);
    /* no room for the LIMIT's parameter */
    assert_no_twin("INSERT INTO t(a) VALUES (?32)", PG_MAX_PARAMS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_insert_selects_the_rows_in_their_order),
        cmocka_unit_test(test_an_update_by_a_unique_key_joins_the_rows),
        cmocka_unit_test(test_a_delete_uses_the_rows),
        cmocka_unit_test(test_writes_a_twin_would_change_have_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
