/* sim_ledger_test.c - the simulated provider's ledger (providers/
 * sim_ledger.c): a batch's text reads back as the reports written, field
 * by field, and a line that does not read as a report is skipped; an
 * attempt is held until each of its reports is acked, once (a repeat ack
 * or one of another kind changes nothing); a batch is to be forgotten once
 * all its reports are acked, not before; a batch loaded again adds
 * nothing; many attempts held and acked keep the table right through its
 * growth. And SQLite's migration 19 moves the reports a database still
 * owed in sim_reports into sim_batches, readable by the ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "providers/sim_ledger.h"
#include "store/sqlite_schema.h"
#include "store/store.h"
#include "store_fixture.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct attempt_end voice(const char *id, enum call_status st, int64_t answered, int64_t at) {
    struct attempt_end o = {
        .channel = CHANNEL_VOICE, .status = st, .answered_at = answered, .ended_at = at};
    snprintf(o.call_id, sizeof o.call_id, "%s", id);
    snprintf(o.provider_call_id, sizeof o.provider_call_id, "SIM%s", id);
    return o;
}

static struct attempt_end message(const char *id, enum channel ch, enum message_status st,
                                  int64_t at) {
    struct attempt_end o = {.channel = ch, .mstatus = st, .ended_at = at};
    snprintf(o.call_id, sizeof o.call_id, "%s", id);
    snprintf(o.provider_call_id, sizeof o.provider_call_id, "SIM%s", id);
    return o;
}

static void assert_same(const struct attempt_end *a, const struct attempt_end *b) {
    assert_string_equal(a->call_id, b->call_id);
    assert_int_equal(a->channel, b->channel);
    assert_int_equal(sim_report_kind(a), sim_report_kind(b));
    assert_int_equal(a->answered_at, b->answered_at);
    assert_int_equal(a->ended_at, b->ended_at);
    assert_string_equal(a->provider_call_id, b->provider_call_id);
}

static void test_text_reads_back_and_skips_what_is_not_a_report(void **state) {
    (void)state;
    struct attempt_end in[4] = {
        voice("call_01JABCDEF", CALL_COMPLETED, 1765000000123, 1765000000999),
        voice("call_b", CALL_NO_ANSWER, 0, 42),
        message("msg_c", CHANNEL_WHATSAPP, MSG_READ, 1765000000500),
        message("msg_d", CHANNEL_SMS, MSG_DELIVERED, -7),
    };
    char *text = sim_ledger_encode(in, 4);
    size_t n = 0;
    struct attempt_end *out = sim_ledger_parse(text, &n);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_same(&in[i], &out[i]);
    assert_int_equal(out[2].mstatus, MSG_READ);
    assert_int_equal(out[0].status, CALL_COMPLETED);
    free(out);
    free(text);
    /* a torn line, a word too long, a message kind below 100, a bad channel */
    char bad[400];
    snprintf(bad, sizeof bad,
             "call_x 0 0 1\ncall_y 0 0 1 2 SIMy\nmsg_z 3 1 0 5 SIMz\ncall_w 0 9 0 5 SIMw\n"
             "%0100d 0 0 0 1 SIMv\nmsg_u 101 2 0 5 SIMu",
             7);
    out = sim_ledger_parse(bad, &n);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].call_id, "call_y");
    assert_string_equal(out[1].call_id, "msg_u");
    assert_int_equal(out[1].mstatus, (enum message_status)1);
    free(out);
    out = sim_ledger_parse("", &n);
    assert_int_equal(n, 0);
    free(out);
}

static void test_held_until_each_report_acked_once(void **state) {
    (void)state;
    struct sim_ledger *l = sim_ledger_new();
    struct attempt_end r[3] = {
        voice("call_a", CALL_COMPLETED, 1, 2),
        message("msg_b", CHANNEL_WHATSAPP, MSG_DELIVERED, 3),
        message("msg_b", CHANNEL_WHATSAPP, MSG_READ, 4),
    };
    assert_int_equal(sim_ledger_owe(l, 7, r, 3), 3);
    assert_true(sim_ledger_holds(l, "call_a"));
    assert_true(sim_ledger_holds(l, "msg_b"));
    assert_false(sim_ledger_holds(l, "msg_c"));
    size_t nforget = 9;
    sim_ledger_forget(l, &nforget);
    assert_int_equal(nforget, 0);

    struct attempt_end other_kind = message("msg_b", CHANNEL_WHATSAPP, MSG_FAILED, 5);
    sim_ledger_acked(l, &other_kind); /* not owed: nothing */
    sim_ledger_acked(l, &r[1]);
    sim_ledger_acked(l, &r[1]); /* a repeat: nothing */
    assert_true(sim_ledger_holds(l, "msg_b"));
    sim_ledger_acked(l, &r[0]);
    assert_false(sim_ledger_holds(l, "call_a"));
    sim_ledger_forget(l, &nforget);
    assert_int_equal(nforget, 0); /* msg_b's read is still owed */

    sim_ledger_acked(l, &r[2]);
    assert_false(sim_ledger_holds(l, "msg_b"));
    const int64_t *forget = sim_ledger_forget(l, &nforget);
    assert_int_equal(nforget, 1);
    assert_int_equal(forget[0], 7);
    sim_ledger_forgotten(l, 1);
    sim_ledger_forget(l, &nforget);
    assert_int_equal(nforget, 0);
    sim_ledger_free(l);
}

static void test_a_batch_loaded_again_adds_nothing(void **state) {
    (void)state;
    struct sim_ledger *l = sim_ledger_new();
    struct attempt_end r[2] = {voice("call_a", CALL_BUSY, 0, 2), voice("call_b", CALL_BUSY, 0, 2)};
    assert_int_equal(sim_ledger_owe(l, 3, r, 2), 2);
    struct attempt_end again[3] = {voice("call_b", CALL_BUSY, 0, 2),
                                   voice("call_c", CALL_FAILED, 0, 9),
                                   voice("call_a", CALL_BUSY, 0, 2)};
    /* only call_c is new, moved to the front */
    assert_int_equal(sim_ledger_owe(l, 3, again, 3), 1);
    assert_string_equal(again[0].call_id, "call_c");
    /* batch 3 now owes three reports: forgotten after the third ack only */
    sim_ledger_acked(l, &r[0]);
    sim_ledger_acked(l, &r[1]);
    size_t nforget;
    sim_ledger_forget(l, &nforget);
    assert_int_equal(nforget, 0);
    sim_ledger_acked(l, &again[0]);
    const int64_t *forget = sim_ledger_forget(l, &nforget);
    assert_int_equal(nforget, 1);
    assert_int_equal(forget[0], 3);
    sim_ledger_free(l);
}

static void test_many_attempts_through_the_table_growth(void **state) {
    (void)state;
    struct sim_ledger *l = sim_ledger_new();
    enum { BATCHES = 40, PER = 500 };
    struct attempt_end *r = calloc(PER, sizeof *r);
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < PER; i++) {
            char id[32];
            snprintf(id, sizeof id, "call_%d_%d", b, i);
            r[i] = voice(id, CALL_COMPLETED, 1, 2);
        }
        assert_int_equal(sim_ledger_owe(l, 100 + b, r, PER), PER);
        /* ack the previous batch's reports, in reverse */
        if (b > 0)
            for (int i = PER - 1; i >= 0; i--) {
                char id[32];
                snprintf(id, sizeof id, "call_%d_%d", b - 1, i);
                struct attempt_end o = voice(id, CALL_COMPLETED, 1, 2);
                assert_true(sim_ledger_holds(l, id));
                sim_ledger_acked(l, &o);
                assert_false(sim_ledger_holds(l, id));
            }
        size_t nforget;
        const int64_t *forget = sim_ledger_forget(l, &nforget);
        assert_int_equal(nforget, b > 0 ? 1 : 0);
        if (b > 0)
            assert_int_equal(forget[0], 100 + b - 1);
        sim_ledger_forgotten(l, nforget);
    }
    for (int i = 0; i < PER; i++) {
        char id[32];
        snprintf(id, sizeof id, "call_%d_%d", BATCHES - 1, i);
        assert_true(sim_ledger_holds(l, id));
    }
    free(r);
    sim_ledger_free(l);
}

static void exec_or_fail(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
}

static void test_sqlite_migration_moves_the_owed_reports(void **state) {
    (void)state;
    char path[128], url[160];
    snprintf(path, sizeof path, "/tmp/campaignd-sim-ledger-%ld.db", (long)getpid());
    unlink(path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* a database of migration 18, with reports owed by two sims */
    exec_or_fail(db, "CREATE TABLE schema_migrations (version INTEGER NOT NULL)");
    assert_true(sqlite_migration_count >= 19);
    for (int v = 0; v < 18; v++) {
        exec_or_fail(db, sqlite_migrations[v]);
        char rec[80];
        snprintf(rec, sizeof rec, "INSERT INTO schema_migrations(version) VALUES (%d)", v + 1);
        exec_or_fail(db, rec);
    }
    char rows[400];
    snprintf(rows, sizeof rows,
             "INSERT INTO sim_reports VALUES ('sim', 'call_a', %d, 0, 11, 12, 'SIMa'),"
             "('sim', 'msg_b', 101, 2, 0, 13, 'SIMb'), ('sim', 'msg_b', 102, 2, 0, 14, 'SIMb'),"
             "('other', 'call_c', %d, 0, 0, 15, 'SIMc')",
             (int)CALL_COMPLETED, (int)CALL_BUSY);
    exec_or_fail(db, rows);
    sqlite3_close(db);

    snprintf(url, sizeof url, "sqlite:%s", path);
    struct store *st;
    char err[256];
    assert_int_equal(store_open(url, &st, err, sizeof err), 0);
    struct sim_batch *b = NULL;
    size_t nb = 0;
    assert_int_equal(st->ops->sim_batches(st, "sim", &b, &nb), 0);
    assert_int_equal(nb, 1);
    size_t n = 0;
    struct attempt_end *r = sim_ledger_parse(b[0].reports, &n);
    assert_int_equal(n, 3);
    struct attempt_end want[3] = {voice("a", CALL_COMPLETED, 11, 12),
                                  message("b", CHANNEL_WHATSAPP, (enum message_status)1, 13),
                                  message("b", CHANNEL_WHATSAPP, (enum message_status)2, 14)};
    snprintf(want[0].call_id, sizeof want[0].call_id, "call_a");
    snprintf(want[1].call_id, sizeof want[1].call_id, "msg_b");
    snprintf(want[2].call_id, sizeof want[2].call_id, "msg_b");
    for (size_t i = 0; i < 3; i++)
        assert_same(&want[i], &r[i]);
    free(r);
    free(b[0].reports);
    free(b);
    /* the other sim's, apart; and a batch written and forgotten */
    assert_int_equal(st->ops->sim_batches(st, "other", &b, &nb), 0);
    assert_int_equal(nb, 1);
    int64_t other = b[0].seq, seq = 0;
    free(b[0].reports);
    free(b);
    assert_int_equal(st->ops->sim_put(st, "other", "call_d 0 0 1 2 SIMd\n", &other, 1, &seq), 0);
    assert_true(seq > other);
    assert_int_equal(st->ops->sim_batches(st, "other", &b, &nb), 0);
    assert_int_equal(nb, 1);
    assert_int_equal(b[0].seq, seq);
    assert_string_equal(b[0].reports, "call_d 0 0 1 2 SIMd\n");
    free(b[0].reports);
    free(b);
    st->ops->close(st);
    store_fixture_unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_reads_back_and_skips_what_is_not_a_report),
        cmocka_unit_test(test_held_until_each_report_acked_once),
        cmocka_unit_test(test_a_batch_loaded_again_adds_nothing),
        cmocka_unit_test(test_many_attempts_through_the_table_growth),
        cmocka_unit_test(test_sqlite_migration_moves_the_owed_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
