/* inbox_test.c - the store's inbox of reports from outside (inbox_put,
 * inbox_read, inbox_delete), on SQLite or PostgreSQL (store_fixture.h):
 * reports come back in arrival order after a seq; a delete answers exactly
 * the rows it removed, so of two nodes that read the same reports only the
 * first to delete them applies them (the engine drops the others'), and a
 * rolled-back delete gives its rows back to the next one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Puts one report for call_id. */
static void put(struct store_fixture *f, const char *call_id) {
    struct attempt_end e;
    memset(&e, 0, sizeof e);
    snprintf(e.call_id, sizeof e.call_id, "%s", call_id);
    e.channel = CHANNEL_VOICE;
    e.status = CALL_COMPLETED;
    e.ended_at = 2000;
    assert_int_equal(f->st->ops->inbox_put(f->st, "tw", &e, 1, 1000), 0);
}

/* Reads every report after `after`: their seqs into seqs (up to 16). */
static size_t read_all(struct store_fixture *f, int64_t after, int64_t *seqs, char ids[][48]) {
    struct inbox_report *rows = NULL;
    size_t n = 0;
    assert_int_equal(f->st->ops->inbox_read(f->st, after, 16, &rows, &n), 0);
    for (size_t i = 0; i < n; i++) {
        seqs[i] = rows[i].seq;
        snprintf(ids[i], 48, "%s", rows[i].end.call_id);
    }
    free(rows);
    return n;
}

static size_t delete_to(struct store_fixture *f, int64_t up_to, int64_t **deleted) {
    size_t n = 99;
    assert_int_equal(f->st->ops->inbox_delete(f->st, up_to, deleted, &n), 0);
    return n;
}

static void test_only_the_first_delete_takes_a_report(void **state) {
    struct store_fixture *f = *state;
    put(f, "call_a");
    put(f, "call_b");
    put(f, "call_c");
    int64_t seqs[16], *gone = NULL;
    char ids[16][48];
    /* two nodes read the same three reports, in arrival order */
    assert_int_equal(read_all(f, 0, seqs, ids), 3);
    assert_string_equal(ids[0], "call_a");
    assert_string_equal(ids[2], "call_c");
    assert_true(seqs[0] < seqs[1] && seqs[1] < seqs[2]);
    /* node A deletes up to the second: it takes those two */
    assert_int_equal(delete_to(f, seqs[1], &gone), 2);
    assert_true(gone[0] == seqs[0] && gone[1] == seqs[1]);
    free(gone);
    /* node B, which read all three, deletes up to the third: only that one */
    assert_int_equal(delete_to(f, seqs[2], &gone), 1);
    assert_true(gone[0] == seqs[2]);
    free(gone);
    /* nothing is left; a delete of nothing answers nothing */
    assert_int_equal(read_all(f, 0, seqs, ids), 0);
    gone = NULL;
    assert_int_equal(delete_to(f, seqs[2] + 100, &gone), 0);
    free(gone);
}

static void test_a_rolled_back_delete_gives_its_rows_back(void **state) {
    struct store_fixture *f = *state;
    put(f, "call_a");
    put(f, "call_b");
    int64_t seqs[16], *gone = NULL;
    char ids[16][48];
    assert_int_equal(read_all(f, 0, seqs, ids), 2);
    const struct store_ops *o = f->st->ops;
    assert_int_equal(o->begin(f->st), 0);
    assert_int_equal(delete_to(f, seqs[1], &gone), 2);
    free(gone);
    o->rollback(f->st);
    assert_int_equal(read_all(f, 0, seqs, ids), 2);
    assert_int_equal(delete_to(f, seqs[1], &gone), 2);
    free(gone);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_only_the_first_delete_takes_a_report,
                                        store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_rolled_back_delete_gives_its_rows_back,
                                        store_fixture_setup, store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
