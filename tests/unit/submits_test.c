/* submits_test.c - where attempts stand toward their providers, in the
 * SQLite store (sqlite_submits.c): a new attempt is pending; marks move it
 * forward only (a lower or equal state changes nothing, so a repeated or
 * late fate is harmless); the provider's id is kept and never erased by a
 * mark without one; the attempts in flight answer their provider and state;
 * an attempt is found by (provider, provider id), calls and messages alike,
 * and not under another provider.
 *
 * Rows are written straight into calls and messages through a second
 * SQLite connection (foreign keys off), then read through the store's ops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "store/store.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
    char path[160];
    struct store *st;
    sqlite3 *db;
};

static int fx_setup(void **state) {
    static int count;
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/campaignd-submits-%ld-%d.db", (long)getpid(), count++);
    unlink(f->path);
    char url[200], err[256] = "";
    snprintf(url, sizeof url, "sqlite:%s", f->path);
    if (store_open(url, &f->st, err, sizeof err) != 0)
        fail_msg("store_open: %s", err);
    assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
    sqlite3_busy_timeout(f->db, 5000);
    *state = f;
    return 0;
}

static int fx_teardown(void **state) {
    struct fx *f = *state;
    sqlite3_close(f->db);
    f->st->ops->close(f->st);
    char aux[200];
    unlink(f->path);
    snprintf(aux, sizeof aux, "%s-wal", f->path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", f->path);
    unlink(aux);
    free(f);
    return 0;
}

static void exec(struct fx *f, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(f->db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
}

static void add_call(struct fx *f, const char *id, const char *provider) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO calls(id, account_id, campaign_seq, recipient_seq, agent_id, "
             "from_number, to_number, attempt, status, carrier, lane, provider, created_at) "
             "VALUES ('%s', 'acct_1', 1, 1, 'agt', '+1', '+2', 1, 'ringing', 'c', 'c', '%s', 1)",
             id, provider);
    exec(f, sql);
}

static void add_message(struct fx *f, const char *id, const char *provider) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO messages(id, account_id, campaign_seq, recipient_seq, channel, from_id, "
             "to_number, attempt, body, status, carrier, lane, provider, created_at, updated_at) "
             "VALUES ('%s', 'acct_1', 1, 1, 'sms', 'S', '+2', 1, 'hi', 'queued', 'c', 'c', '%s', "
             "1, 1)",
             id, provider);
    exec(f, sql);
}

static void mark(struct fx *f, const char *id, enum channel ch, int state, const char *pid) {
    struct submit_mark m = {.channel = ch, .state = state};
    snprintf(m.attempt_id, sizeof m.attempt_id, "%s", id);
    snprintf(m.provider_id, sizeof m.provider_id, "%s", pid ? pid : "");
    assert_int_equal(f->st->ops->submits_mark(f->st, &m, 1), 0);
}

/* The in-flight row of id: its state, provider (copied into provider). */
static int state_of(struct fx *f, const char *id, char provider[65]) {
    struct attempt *list;
    size_t n;
    assert_int_equal(f->st->ops->submits_in_flight(f->st, &list, &n), 0);
    int state = -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].call_id, id) == 0) {
            state = list[i].submit_state;
            if (provider)
                snprintf(provider, 65, "%s", list[i].provider);
        }
        free(list[i].text);
    }
    free(list);
    return state;
}

static void test_forward_only(void **state) {
    struct fx *f = *state;
    exec(f, "PRAGMA foreign_keys = OFF");
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
    struct fx *f = *state;
    exec(f, "PRAGMA foreign_keys = OFF");
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
    /* a message in flight shows its state and text */
    assert_int_equal(state_of(f, "msg_1", NULL), SUBMIT_ACCEPTED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forward_only, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_find_by_provider_id, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
