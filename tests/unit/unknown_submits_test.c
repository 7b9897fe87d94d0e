/* unknown_submits_test.c - giving up on attempts whose submit's fate never
 * became known (store op fail_unknown_submits, sqlite_unknown.c): only
 * attempts still submitting and created at or before the cutoff fail; the
 * call or message fails, its recipient moves dispatched -> failed /
 * unknown, the counters follow and keep the invariant, the campaign
 * completes when nothing is left; accepted attempts, newer ones and ended
 * ones are untouched; a second sweep changes nothing; each closed attempt
 * is answered with its lane (for its in-flight slot). Also call_set_media:
 * a call's transcript and recording kept, NULL leaving a field as is.
 *
 * Rows are written straight into the tables through the fixture's raw
 * connection, then swept through the store's op and read back. */
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

/* A running voice campaign (seq 1) and an sms one (seq 2), each with three
 * recipients dispatched: attempt 1 submitting since t=1000, attempt 2
 * submitting since t=5000 (after the cutoff), attempt 3 accepted at 1000. */
static void seed(struct store_fixture *f) {
    store_fixture_exec(f, "PRAGMA foreign_keys = OFF");
    store_fixture_exec(
        f, "INSERT INTO campaigns(seq, id, account_id, name, agent_id, channel, status, config, "
           "total, dispatched, created_at, updated_at) VALUES "
           "(1, 'cmp_v', 'acct_1', 'v', 'agt', 'voice', 'running', '{}', 3, 3, 1, 1),"
           "(2, 'cmp_s', 'acct_1', 's', 'agt', 'sms', 'running', '{}', 3, 3, 1, 1)");
    for (int c = 1; c <= 2; c++)
        for (int i = 1; i <= 3; i++) {
            char sql[600];
            int seq = (c - 1) * 3 + i;
            snprintf(sql, sizeof sql,
                     "INSERT INTO recipients(seq, id, campaign_seq, phone_number, status, "
                     "attempts, carrier, lane, created_at, updated_at) VALUES (%d, 'rcp_%d', %d, "
                     "'+1415555000%d', 'dispatched', 1, 'c', 'lane-%d', 1, 1)",
                     seq, seq, c, seq, c);
            store_fixture_exec(f, sql);
            int state = i == 3 ? 2 : 1;
            int created = i == 2 ? 5000 : 1000;
            if (c == 1)
                snprintf(sql, sizeof sql,
                         "INSERT INTO calls(id, account_id, campaign_seq, recipient_seq, "
                         "agent_id, from_number, to_number, attempt, status, carrier, lane, "
                         "provider, created_at, submit_state) VALUES ('call_%d', 'acct_1', 1, "
                         "%d, 'agt', '+1', '+2', 1, 'queued', 'c', 'lane-1', 'p', %d, %d)",
                         i, seq, created, state);
            else
                snprintf(sql, sizeof sql,
                         "INSERT INTO messages(id, account_id, campaign_seq, recipient_seq, "
                         "channel, from_id, to_number, attempt, body, status, carrier, lane, "
                         "provider, created_at, updated_at, submit_state) VALUES ('msg_%d', "
                         "'acct_1', 2, %d, 'sms', 'S', '+2', 1, 'hi', 'queued', 'c', 'lane-2', "
                         "'p', %d, %d, %d)",
                         i, seq, created, created, state);
            store_fixture_exec(f, sql);
        }
}

/* One text column of the first row sql answers ("" for NULL). */
static void text_of(struct store_fixture *f, const char *sql, char *out, size_t size) {
    assert_true(store_fixture_text(f, sql, 0, out, size));
}

static void expect_text(struct store_fixture *f, const char *sql, const char *want) {
    char got[200];
    text_of(f, sql, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got '%s', want '%s'", sql, got, want);
}

static void test_sweep(void **state) {
    struct store_fixture *f = *state;
    seed(f);
    struct attempt_applied *done = NULL;
    size_t n = 0;
    assert_int_equal(f->st->ops->fail_unknown_submits(f->st, 2000, 9000, &done, &n), 0);
    assert_int_equal(n, 2); /* call_1 and msg_1 */
    int lanes = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(done[i].released);
        lanes |= strcmp(done[i].lane, "lane-1") == 0   ? 1
                 : strcmp(done[i].lane, "lane-2") == 0 ? 2
                                                       : 4;
    }
    assert_int_equal(lanes, 3);
    free(done);
    expect_text(f, "SELECT status || ',' || ended_at FROM calls WHERE id = 'call_1'",
                "failed,9000");
    expect_text(f, "SELECT status || ',' || failed_at FROM messages WHERE id = 'msg_1'",
                "failed,9000");
    expect_text(f, "SELECT status || ',' || disposition FROM recipients WHERE seq = 1",
                "failed,unknown");
    expect_text(f, "SELECT status || ',' || disposition FROM recipients WHERE seq = 4",
                "failed,unknown");
    /* newer and accepted attempts wait */
    expect_text(f, "SELECT status FROM calls WHERE id = 'call_2'", "queued");
    expect_text(f, "SELECT status FROM calls WHERE id = 'call_3'", "queued");
    expect_text(f, "SELECT status FROM messages WHERE id = 'msg_3'", "queued");
    expect_text(f, "SELECT group_concat(status) FROM recipients WHERE seq IN (2, 3, 5, 6)",
                "dispatched,dispatched,dispatched,dispatched");
    expect_text(f,
                "SELECT group_concat(total || '=' || queued || '+' || dispatched || '+' || "
                "succeeded || '+' || failed || ' u' || d_unknown, ';') FROM campaigns",
                "3=0+2+0+1 u1;3=0+2+0+1 u1");
    /* again: nothing left to fail */
    assert_int_equal(f->st->ops->fail_unknown_submits(f->st, 2000, 9500, &done, &n), 0);
    assert_int_equal(n, 0);
    assert_null(done);
    /* a later cutoff takes the newer one; the accepted one never */
    assert_int_equal(f->st->ops->fail_unknown_submits(f->st, 6000, 9900, &done, &n), 0);
    assert_int_equal(n, 2);
    free(done);
    expect_text(f, "SELECT status FROM calls WHERE id = 'call_3'", "queued");
    expect_text(f,
                "SELECT group_concat(dispatched || '+' || failed || ' u' || d_unknown || ' ' || "
                "status, ';') FROM campaigns",
                "1+2 u2 running;1+2 u2 running");
}

static void test_completes_campaign(void **state) {
    struct store_fixture *f = *state;
    seed(f);
    /* the accepted attempts end first (as a report would) */
    store_fixture_exec(f, "UPDATE recipients SET status = 'succeeded', disposition = 'completed' "
                          "WHERE seq IN (3, 6)");
    store_fixture_exec(f, "UPDATE campaigns SET dispatched = 2, succeeded = 1, d_completed = 1");
    store_fixture_exec(f, "UPDATE calls SET ended_at = 1 WHERE id = 'call_3'");
    store_fixture_exec(f, "UPDATE messages SET status = 'sent' WHERE id = 'msg_3'");
    struct attempt_applied *done = NULL;
    size_t n = 0;
    assert_int_equal(f->st->ops->fail_unknown_submits(f->st, 9000, 9000, &done, &n), 0);
    assert_int_equal(n, 4);
    free(done);
    expect_text(
        f, "SELECT group_concat(status || ' ' || failed || ' ' || d_unknown, ';') FROM campaigns",
        "completed 2 2;completed 2 2");
}

static void test_call_set_media(void **state) {
    struct store_fixture *f = *state;
    seed(f);
    assert_int_equal(f->st->ops->call_set_media(f->st, "call_1", "Agent: hello", NULL), 0);
    assert_int_equal(f->st->ops->call_set_media(f->st, "call_1", NULL, "https://r.example/1.wav"),
                     0);
    expect_text(f, "SELECT transcript || '|' || recording_url FROM calls WHERE id = 'call_1'",
                "Agent: hello|https://r.example/1.wav");
    assert_int_equal(f->st->ops->call_set_media(f->st, "call_nope", "x", NULL), STORE_ENOTFOUND);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_completes_campaign, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_call_set_media, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
