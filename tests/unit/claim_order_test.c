/* claim_order_test.c - the claim's pick from a long queue, on either
 * backend: of thousands of due recipients in one lane, a claim of ten takes
 * the ten earliest by (due_at, seq), ties broken by seq; and on PostgreSQL
 * it reads them from the queue index in that order instead of reading and
 * sorting every due recipient (PostgreSQL's index did not end with seq, as
 * SQLite's rowid index does: every claim of a paced lane sorted its whole
 * queue, and a campaign of 200,000 recipients paced at 1,000/s started 33
 * calls a second; docs/benchmarks.md). The index entries the claim reads
 * come from pg_stat_user_indexes: a backend publishes its counts when it
 * ends (or idle, a second later), so the claim runs on a store opened for
 * it alone and closed after, and the test reads the counts once they
 * settle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"
#include "store_fixture.h"
#include "store_objects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0 1000000
#define QUEUED 3000
#define WANT 10

/* The queue index's scans and entries read so far (PostgreSQL). */
static void index_reads(struct store_fixture *f, long long *scans, long long *tuples) {
    char text[64];
    store_fixture_text(f,
                       "SELECT idx_scan || ' ' || idx_tup_read FROM pg_stat_user_indexes "
                       "WHERE indexrelname = 'recipients_queue'",
                       0, text, sizeof text);
    assert_int_equal(sscanf(text, "%lld %lld", scans, tuples), 2);
}

/* The counts once they have not moved for half a second and, when moved
 * is set, differ from *scans (waits up to 10 s). */
static void settled_reads(struct store_fixture *f, int moved, long long *scans, long long *tuples) {
    long long from = *scans, s = -1, t = -1;
    int same = 0;
    for (int i = 0; i < 200 && (same < 5 || (moved && s == from)); i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        long long s2, t2;
        index_reads(f, &s2, &t2);
        same = s2 == s && t2 == t ? same + 1 : 0;
        s = s2;
        t = t2;
    }
    *scans = s;
    *tuples = t;
}

/* Replaces the fixture's store with a new one on the same database: its
 * connections (PostgreSQL backends) end, publishing their counts. */
static void reopen(struct store_fixture *f) {
    char url[600], err[256] = "";
    f->st->ops->close(f->st);
    store_fixture_pg_url(store_fixture_pg_server(), f->dbname, url, sizeof url);
    if (store_open(url, &f->st, err, sizeof err) != 0)
        fail_msg("store_open: %s", err);
}

static int by_text(const void *a, const void *b) {
    return strcmp(a, b);
}

static void test_claim_takes_the_earliest_from_the_index(void **state) {
    (void)state;
    struct store_fixture *f = store_fixture_open();
    char account[48], campaign[48];
    store_objects_voice_running(f->st, "order", T0, QUEUED, "default-voice", account, campaign,
                                NULL);
    /* three due times for 3,000 recipients, as uploads make them (a whole
     * upload is due at once): ties that seq must break; a third not due
     * yet at the claim */
    store_fixture_exec(f, "UPDATE recipients SET due_at = 2000000 + 500 * ((seq * 7919) % 3)");
    if (f->pg) /* as autovacuum would by then: the entries of the rows before the update go */
        store_fixture_exec(f, "VACUUM ANALYZE recipients");
    const int64_t now = 2000000 + 700;

    char want[WANT][48];
    for (int i = 0; i < WANT; i++) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT id FROM recipients WHERE status = 'queued' AND due_at <= %lld "
                 "ORDER BY due_at, seq LIMIT 1 OFFSET %d",
                 (long long)now, i);
        assert_true(store_fixture_text(f, sql, 0, want[i], sizeof want[i]));
    }

    long long scans0 = 0, tuples0 = 0;
    if (f->pg) {
        /* publish what this connection and the store's read so far */
        store_fixture_exec(f, "SELECT pg_stat_force_next_flush()");
        reopen(f);
        settled_reads(f, 0, &scans0, &tuples0);
    }

    struct attempt out[WANT];
    memset(out, 0, sizeof out);
    assert_int_equal(
        store_objects_claim(f->st, "default-voice", "+14155550100", WANT, now, now + 60000, out),
        WANT);
    char got[WANT][48];
    for (int i = 0; i < WANT; i++) {
        memcpy(got[i], out[i].recipient_id, sizeof got[i]);
        free(out[i].text);
    }
    qsort(want, WANT, sizeof want[0], by_text);
    qsort(got, WANT, sizeof got[0], by_text);
    for (int i = 0; i < WANT; i++)
        assert_string_equal(got[i], want[i]);

    if (f->pg) {
        reopen(f);
        long long scans = scans0, tuples = tuples0;
        settled_reads(f, 1, &scans, &tuples);
        assert_true(scans > scans0); /* the claim read the queue index */
        /* the ten it took and a few more, not the ~2,000 due */
        assert_in_range(tuples - tuples0, WANT, 10 * WANT);
    }
    store_fixture_close(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim_takes_the_earliest_from_the_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
