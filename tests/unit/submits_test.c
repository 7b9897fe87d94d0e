/* submits_test.c - where attempts stand toward their providers, in the
 * SQLite store (sqlite_submits.c): a new attempt is pending; marks move it
 * forward only (a lower or equal state changes nothing, so a repeated or
 * late fate is harmless); the provider's id is kept and never erased by a
 * mark without one; an attempt is found by (provider, provider id), calls
 * and messages alike, and not under another provider. A message sent in
 * several parts (segment ids with its accepted mark) is delivered once
 * every part's receipt is, undelivered once one part's is, whether a
 * part's receipt came before the mark (recorded with the message id the
 * caller knows) or after it (found by the part's id alone).
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

static void mark_parts(struct store_fixture *f, const char *id, const char *pid, size_t n) {
    char(*parts)[66] = calloc(n, sizeof *parts);
    for (size_t i = 0; i < n; i++)
        snprintf(parts[i], sizeof parts[i], "%s.%zu", pid, i + 1);
    struct submit_mark m = {.channel = CHANNEL_SMS, .state = SUBMIT_ACCEPTED};
    snprintf(m.attempt_id, sizeof m.attempt_id, "%s", id);
    snprintf(m.provider_id, sizeof m.provider_id, "%s.1", pid);
    m.segment_ids = parts;
    m.nsegments = n;
    assert_int_equal(f->st->ops->submits_mark(f->st, &m, 1), 0);
    free(parts);
}

static enum segments_verdict part_receipt(struct store_fixture *f, const char *part,
                                          const char *known_id, int receipt, const char *want_id) {
    char id[48] = "x";
    enum segments_verdict v = SEGMENTS_UNDELIVERED + 1;
    assert_int_equal(
        f->st->ops->segment_receipt(f->st, "smpp-a", part, known_id, 3, receipt, id, &v), 0);
    assert_string_equal(id, want_id);
    return v;
}

static void test_parts_add_up(void **state) {
    struct store_fixture *f = *state;
    store_fixture_exec(f, "PRAGMA foreign_keys = OFF");
    add_message(f, "msg_1", "smpp-a");
    add_message(f, "msg_2", "smpp-a");
    char id[48];
    enum segments_verdict v;
    /* a part nobody stored, not known in memory */
    assert_int_equal(
        f->st->ops->segment_receipt(f->st, "smpp-a", "A.1", NULL, 0, SEGMENTS_DELIVERED, id, &v),
        STORE_ENOTFOUND);
    /* A.1's receipt before the mark (the provider knows its message) */
    assert_int_equal(part_receipt(f, "A.1", "msg_1", SEGMENTS_DELIVERED, "msg_1"),
                     SEGMENTS_PENDING);
    mark_parts(f, "msg_1", "A", 3);
    mark_parts(f, "msg_1", "A", 3); /* a repeated mark changes nothing */
    /* after a restart: found by the part's id alone */
    assert_int_equal(part_receipt(f, "A.2", NULL, SEGMENTS_DELIVERED, "msg_1"), SEGMENTS_PENDING);
    assert_int_equal(part_receipt(f, "A.2", NULL, SEGMENTS_DELIVERED, "msg_1"), SEGMENTS_PENDING);
    assert_int_equal(part_receipt(f, "A.3", NULL, SEGMENTS_DELIVERED, "msg_1"), SEGMENTS_DELIVERED);
    /* the first part's id alone still finds the message */
    enum channel ch;
    assert_int_equal(f->st->ops->attempt_by_provider_id(f->st, "smpp-a", "A.1", id, &ch), 0);
    assert_string_equal(id, "msg_1");
    /* one part undelivered: undelivered, and a later DELIVRD for it does
     * not undo it */
    mark_parts(f, "msg_2", "B", 3);
    assert_int_equal(part_receipt(f, "B.1", NULL, SEGMENTS_DELIVERED, "msg_2"), SEGMENTS_PENDING);
    assert_int_equal(part_receipt(f, "B.2", NULL, SEGMENTS_UNDELIVERED, "msg_2"),
                     SEGMENTS_UNDELIVERED);
    assert_int_equal(part_receipt(f, "B.2", "msg_2", SEGMENTS_DELIVERED, "msg_2"),
                     SEGMENTS_UNDELIVERED);
    assert_int_equal(part_receipt(f, "B.3", NULL, SEGMENTS_DELIVERED, "msg_2"),
                     SEGMENTS_UNDELIVERED);
    /* another provider's parts are not these */
    assert_int_equal(
        f->st->ops->segment_receipt(f->st, "smpp-b", "B.3", NULL, 0, SEGMENTS_DELIVERED, id, &v),
        STORE_ENOTFOUND);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forward_only, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_find_by_provider_id, store_fixture_setup,
                                        store_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_parts_add_up, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
