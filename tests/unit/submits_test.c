/* submits_test.c - where attempts stand toward their providers, in the
 * SQLite store (sqlite_submits.c): a new attempt is pending; marks move it
 * forward only (a lower or equal state changes nothing, so a repeated or
 * late fate is harmless); the provider's id is kept and never erased by a
 * mark without one; an attempt is found by (provider, provider id), calls
 * and messages alike, and not under another provider.
 *
 * Rows are written straight into calls and messages through the fixture's
 * raw connection (foreign keys off), then moved through the store's ops
 * and read back from the rows. */
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
#include <unistd.h>

static void add_call(struct store_fixture *f, const char *id, const char *provider) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO calls(id, account_id, campaign_seq, recipient_seq, agent_id, "
             "from_number, to_number, attempt, status, carrier, lane, provider, created_at) "
             "VALUES ('%s', 'acct_1', 1, 1, 'agt', '+1', '+2', 1, 'ringing', 'c', 'c', '%s', 1)",
             id, provider);
    store_fixture_exec(f, sql);
}

static void add_message(struct store_fixture *f, const char *id, const char *provider) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO messages(id, account_id, campaign_seq, recipient_seq, channel, from_id, "
             "to_number, attempt, body, status, carrier, lane, provider, created_at, updated_at) "
             "VALUES ('%s', 'acct_1', 1, 1, 'sms', 'S', '+2', 1, 'hi', 'queued', 'c', 'c', '%s', "
             "1, 1)",
             id, provider);
    store_fixture_exec(f, sql);
}

static void mark(struct store_fixture *f, const char *id, enum channel ch, int state,
                 const char *pid) {
    struct submit_mark m = {.channel = ch, .state = state};
    snprintf(m.attempt_id, sizeof m.attempt_id, "%s", id);
    snprintf(m.provider_id, sizeof m.provider_id, "%s", pid ? pid : "");
    assert_int_equal(f->st->ops->submits_mark(f->st, &m, 1), 0);
}

/* The submit state and provider of attempt id, read straight from its
 * row (calls or messages); -1 when there is none. */
static int state_of(struct store_fixture *f, const char *id, char provider[65]) {
    char sql[300], text[80];
    snprintf(sql, sizeof sql,
             "SELECT submit_state, provider FROM calls WHERE id = '%s' "
             "UNION ALL SELECT submit_state, provider FROM messages WHERE id = '%s'",
             id, id);
    if (!store_fixture_text(f, sql, 0, text, sizeof text))
        return -1;
    if (provider)
        store_fixture_text(f, sql, 1, provider, 65);
    return (int)strtol(text, NULL, 10);
}

static void test_forward_only(void **state) {
    struct store_fixture *f = *state;
    store_fixture_exec(f, "PRAGMA foreign_keys = OFF");
    add_call(f, "call_1", "sim-a");
    char provider[65] = "";
    assert_int_equal(state_of(f, "call_1", provider), SUBMIT_PENDING);
    assert_string_equal(provider, "sim-a");
    mark(f, "call_1", CHANNEL_VOICE, SUBMIT_SUBMITTING, NULL);
    assert_int_equal(state_of(f, "call_1", NULL), SUBMIT_SUBMITTING);
    mark(f, "call_1", CHANNEL_VOICE, SUBMIT_PENDING, NULL); /* backwards: nothing */
    assert_int_equal(state_of(f, "call_1", NULL), SUBMIT_SUBMITTING);
    mark(f, "call_1", CHANNEL_VOICE, SUBMIT_ACCEPTED, "CA123");
    assert_int_equal(state_of(f, "call_1", NULL), SUBMIT_ACCEPTED);
    mark(f, "call_1", CHANNEL_VOICE, SUBMIT_SUBMITTING, NULL);
    assert_int_equal(state_of(f, "call_1", NULL), SUBMIT_ACCEPTED);
    /* a later mark without an id keeps the id */
    mark(f, "call_1", CHANNEL_VOICE, SUBMIT_REJECTED, NULL);
    char id[48];
    enum channel ch = CHANNEL_SMS;
    assert_int_equal(f->st->ops->attempt_by_provider_id(f->st, "sim-a", "CA123", id, &ch), 0);
    assert_string_equal(id, "call_1");
    assert_int_equal(ch, CHANNEL_VOICE);
}

static void test_find_by_provider_id(void **state) {
    struct store_fixture *f = *state;
    store_fixture_exec(f, "PRAGMA foreign_keys = OFF");
    add_call(f, "call_2", "twilio-a");
    add_message(f, "msg_1", "twilio-a");
    add_message(f, "msg_2", "meta");
    mark(f, "call_2", CHANNEL_VOICE, SUBMIT_ACCEPTED, "X1");
    mark(f, "msg_1", CHANNEL_SMS, SUBMIT_ACCEPTED, "X2");
    mark(f, "msg_2", CHANNEL_SMS, SUBMIT_ACCEPTED, "X1"); /* the same id at another provider */
    char id[48];
    enum channel ch;
    assert_int_equal(f->st->ops->attempt_by_provider_id(f->st, "twilio-a", "X1", id, &ch), 0);
    assert_string_equal(id, "call_2");
    assert_int_equal(f->st->ops->attempt_by_provider_id(f->st, "twilio-a", "X2", id, &ch), 0);
    assert_string_equal(id, "msg_1");
    assert_int_equal(ch, CHANNEL_SMS);
    assert_int_equal(f->st->ops->attempt_by_provider_id(f->st, "meta", "X1", id, &ch), 0);
    assert_string_equal(id, "msg_2");
    assert_int_equal(f->st->ops->attempt_by_provider_id(f->st, "meta", "X2", id, &ch),
                     STORE_ENOTFOUND);
    assert_int_equal(f->st->ops->attempt_by_provider_id(f->st, "nobody", "X1", id, &ch),
                     STORE_ENOTFOUND);
    /* a message's state moves as a call's */
    assert_int_equal(state_of(f, "msg_1", NULL), SUBMIT_ACCEPTED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forward_only, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_find_by_provider_id, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
