/* claim_rows_test.c - the attempt rows a claim writes, on either backend:
 * a claim of more recipients than one multi-row statement holds (SQLite
 * writes CLAIM_INSERT_ROWS = 32 rows a statement, then the rest one by
 * one; PostgreSQL one by one, sent as a run) writes exactly one call or
 * message row per attempt it hands over, each with that attempt's own
 * values (recipient, number, times, lease, lane, provider), none shifted
 * onto a neighbour's row: 75 calls (two full statements and 11 single
 * rows) and 40 sms (one full statement and 8 single rows, with the
 * segment count and encoding of each text). */
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

#define T0 1000000
#define NOW 2000000
#define LEASE (NOW + 60000)

static void assert_count(struct store_fixture *f, const char *sql, const char *want) {
    char got[32];
    assert_true(store_fixture_text(f, sql, 0, got, sizeof got));
    if (strcmp(got, want) != 0)
        fail_msg("%s: %s, not %s", sql, got, want);
}

static void test_each_call_row_carries_its_own_attempt(void **state) {
    (void)state;
    struct store_fixture *f = store_fixture_open();
    char account[48], campaign[48];
    enum { N = 75 };
    store_objects_voice_running(f->st, "rows", T0, N, "default-voice", account, campaign, NULL);
    struct attempt out[N];
    memset(out, 0, sizeof out);
    assert_int_equal(
        store_objects_claim(f->st, "default-voice", "+14155550100", N, NOW, LEASE, out), N);
    assert_count(f, "SELECT count(*) FROM calls", "75");
    for (size_t i = 0; i < N; i++) {
        char sql[2048];
        snprintf(
            sql, sizeof sql,
            "SELECT count(*) FROM calls c JOIN recipients r ON r.seq = c.recipient_seq "
            "JOIN campaigns k ON k.seq = c.campaign_seq WHERE c.id = '%.47s' AND r.id = '%.47s' "
            "AND k.id = '%.47s' AND c.account_id = '%.47s' AND c.to_number = '%.19s' "
            "AND r.phone_number = c.to_number AND c.attempt = 1 AND c.status = 'ringing' "
            "AND c.from_number = '+14155550100' AND c.agent_id = 'agt_1' "
            "AND c.carrier = 'default-voice' AND c.lane = 'default-voice' "
            "AND c.provider = 'sim' AND c.created_at = %lld AND c.claimed_by = 'n1' "
            "AND c.lease_until = %lld AND c.submit_state = 1 AND c.ended_at IS NULL",
            out[i].call_id, out[i].recipient_id, campaign, account, out[i].to,
            (long long)out[i].created_at, (long long)LEASE);
        assert_count(f, sql, "1");
        free(out[i].text);
    }
    store_fixture_close(f);
}

static void test_each_message_row_carries_its_own_text(void **state) {
    (void)state;
    struct store_fixture *f = store_fixture_open();
    char account[48], campaign[48];
    enum { N = 40 };
    store_objects_account(f->st, "sms", T0, account);
    store_objects_campaign(f->st, account, CHANNEL_SMS,
                           "{\"from\":\"+14155550100\",\"body\":\"Hi {{name}}\"}", T0, campaign);
    struct recipient_new items[N];
    char phones[N][20], params[N][80];
    memset(items, 0, sizeof items);
    for (size_t i = 0; i < N; i++) {
        snprintf(phones[i], sizeof phones[i], "+1415%07u", (unsigned)(3000000 + i));
        /* every third name in UCS-2 (one segment), the others GSM-7 */
        snprintf(params[i], sizeof params[i], "{\"name\":\"%s%zu\"}",
                 i % 3 == 0 ? "\xe4\xbd\xa0\xe5\xa5\xbd" : "Ann", i);
        ids_new("rcp_", items[i].id);
        items[i].phone_number = phones[i];
        items[i].params_json = params[i];
    }
    store_objects_recipients(f->st, account, campaign, items, N, "default-sms", "default-sms",
                             T0 + 1);
    store_objects_start(f->st, account, campaign, T0 + 2);
    struct attempt out[N];
    memset(out, 0, sizeof out);
    assert_int_equal(store_objects_claim(f->st, "default-sms", "+14155550100", N, NOW, LEASE, out),
                     N);
    assert_count(f, "SELECT count(*) FROM messages", "40");
    for (size_t i = 0; i < N; i++) {
        assert_non_null(out[i].text);
        char sql[2048];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM messages m JOIN recipients r ON r.seq = m.recipient_seq "
                 "WHERE m.id = '%.47s' AND r.id = '%.47s' AND m.to_number = '%.19s' "
                 "AND m.body = '%.200s' AND m.template IS NULL AND m.channel = 'sms' "
                 "AND m.status = 'queued' AND m.segments = 1 AND m.encoding = '%s' "
                 "AND m.lane = 'default-sms' AND m.created_at = %lld "
                 "AND m.updated_at = m.created_at AND m.claimed_by = 'n1' "
                 "AND m.lease_until = %lld AND m.submit_state = 1",
                 out[i].call_id, out[i].recipient_id, out[i].to, out[i].text,
                 strstr(out[i].text, "Hi \xe4\xbd\xa0") ? "UCS-2" : "GSM-7",
                 (long long)out[i].created_at, (long long)LEASE);
        assert_count(f, sql, "1");
        free(out[i].text);
    }
    store_fixture_close(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_call_row_carries_its_own_attempt),
        cmocka_unit_test(test_each_message_row_carries_its_own_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
