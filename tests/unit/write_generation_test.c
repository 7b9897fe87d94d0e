/* write_generation_test.c - tests of store_ops.write_generation (the tag
 * of api/campaign_cache.c): on SQLite it moves after every write the store
 * commits, on whichever thread's connection, and not after a read or a
 * rolled-back unit; an in-memory database (no WAL, no commit hook) answers
 * 0, "cannot tell". On PostgreSQL (another node may write) there is none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"
#include "store_fixture.h"
#include "store_objects.h"

#include <pthread.h>

#define T0 1700000000000LL

static uint64_t generation(struct store *st) {
    return st->ops->write_generation(st);
}

static void *insert_account(void *arg) {
    char id[48];
    store_objects_account(arg, "other thread", T0, id);
    return NULL;
}

static void test_moves_after_each_commit_only(void **state) {
    struct store_fixture *f = *state;
    struct store *st = f->st;
    if (store_fixture_pg_server()) {
        assert_true(st->ops->shared);
        assert_null(st->ops->write_generation); /* no cache on a shared store */
        return;
    }
    uint64_t g0 = generation(st);
    assert_true(g0 != 0);
    char account[48];
    store_objects_account(st, "a", T0, account);
    uint64_t g1 = generation(st);
    assert_true(g1 != g0);
    /* reads move nothing */
    assert_int_equal(st->ops->account_exists(st, account), STORE_OK);
    struct campaign c;
    assert_int_equal(st->ops->campaign_get(st, account, "cmp_none", &c), STORE_ENOTFOUND);
    assert_true(generation(st) == g1);
    /* a unit rolled back wrote nothing */
    assert_int_equal(st->ops->begin(st), 0);
    char other[48];
    store_objects_account(st, "rolled back", T0, other);
    st->ops->rollback(st);
    assert_int_equal(st->ops->account_exists(st, other), STORE_ENOTFOUND);
    assert_true(generation(st) == g1);
    /* a commit on another thread's connection (as the engine's) */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, insert_account, st), 0);
    pthread_join(t, NULL);
    uint64_t g2 = generation(st);
    assert_true(g2 != g1);
    /* a unit of several writes moves it once it commits */
    assert_int_equal(st->ops->begin(st), 0);
    store_objects_account(st, "b", T0, other);
    store_objects_account(st, "c", T0, other);
    assert_true(generation(st) == g2); /* not before the commit */
    assert_int_equal(st->ops->commit(st), 0);
    assert_true(generation(st) != g2);
}

static void test_in_memory_cannot_tell(void **state) {
    (void)state;
    if (store_fixture_pg_server())
        skip();
    struct store *st = NULL;
    char err[256];
    assert_int_equal(store_open("sqlite::memory:", &st, err, sizeof err), 0);
    assert_true(st->ops->write_generation(st) == 0);
    st->ops->close(st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_moves_after_each_commit_only, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test(test_in_memory_cannot_tell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
