/* message_reports_test.c - message status reports against the SQLite store
 * (apply_ends on sms / whatsapp attempts): statuses only move forward,
 * whatever the order and however often reports arrive.
 *
 * Each test opens a store in a temporary file, creates an account and a
 * running campaign with recipients (recipients_insert, campaign_move), has
 * them claimed (claim, as the engine does from engine_campaigns), then
 * feeds struct attempt_end reports and checks after every step: the
 * recipient's status and disposition, the message's status, its status
 * times (set once, never moved) and provider id, the `applied` flag, and
 * the campaign's counters (counters_consistent and the exact counts a
 * reference model expects).
 *
 * Covered: sent / delivered / read in order; read before delivered;
 * delivered twice; undelivered after delivered; delivered after
 * undelivered; failed at submit, then anything; reports arriving before
 * the submit's answer; a failure report after sent; read then undelivered;
 * several reports for one message in one batch; an unknown message id;
 * every sequence of four reports over {sent, delivered, read, undelivered,
 * failed} against the model; concurrent report batches from four threads
 * with a reader checking the invariant; and the checks at a recipient's
 * turn (opt-outs by channel and whatsapp category, missing params, sms
 * rendering and segments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"
#include "store_fixture.h"
#include "store_objects.h"
#include "util/ids.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WA_CONFIG                                                                                  \
    "{\"sender\":\"wa_sender_1\",\"template\":{\"name\":\"renewal\",\"language\":\"en_US\","       \
    "\"category\":\"marketing\",\"parameters\":[\"{{name}}\"]}}"
#define WA_LANE "default-whatsapp|wa_sender_1|marketing"
#define SMS_CONFIG "{\"from\":\"+14155550100\",\"body\":\"Hi {{name}} \\u20ac\"}"
#define SMS_LANE "default-sms"
#define T0 1000000

/* What the contract says a recipient and its message should be. */
struct model {
    enum message_status m;
};

struct fx {
    struct store_fixture *sf; /* the store, on SQLite or PostgreSQL */
    struct store *st;
    char account[48];
    char campaign[48];
    enum channel channel;
    size_t n;
    char (*rids)[48];
    char (*phones)[20];
    char (*mids)[48]; /* message id of recipient i */
    struct model *model;
    int64_t (*times)[4]; /* last seen sent_at, delivered_at, read_at, failed_at */
    int64_t clock;
    struct counters extra; /* recipients failed at their turn (no message) */
};

static void fx_open(struct fx *f) {
    memset(f, 0, sizeof *f);
    f->sf = store_fixture_open();
    f->st = f->sf->st;
    store_objects_account(f->st, "reports", T0, f->account);
    f->clock = T0 + 1000;
}

static void fx_close(struct fx *f) {
    store_fixture_close(f->sf);
    free(f->rids);
    free(f->phones);
    free(f->mids);
    free(f->model);
    free(f->times);
}

/* A running campaign of the channel with n recipients; params[i] may be
 * NULL (no params), or all params NULL for {"name":"Ada"} everywhere. */
static void fx_campaign(struct fx *f, enum channel ch, const char *config, const char *lane,
                        size_t n, const char *const *params) {
    f->channel = ch;
    f->n = n;
    f->rids = calloc(n, sizeof *f->rids);
    f->phones = calloc(n, sizeof *f->phones);
    f->mids = calloc(n, sizeof *f->mids);
    f->model = calloc(n, sizeof *f->model);
    f->times = calloc(n, sizeof *f->times);
    assert_non_null(f->rids);
    assert_non_null(f->phones);
    assert_non_null(f->mids);
    assert_non_null(f->model);
    assert_non_null(f->times);

    store_objects_campaign(f->st, f->account, ch, config, T0, f->campaign);
    struct recipient_new *items = calloc(n, sizeof *items);
    assert_non_null(items);
    for (size_t i = 0; i < n; i++) {
        snprintf(f->phones[i], sizeof f->phones[i], "+1415%07u", (unsigned)(2000000 + i % 1000000));
        ids_new("rcp_", items[i].id);
        snprintf(f->rids[i], sizeof f->rids[i], "%s", items[i].id);
        items[i].phone_number = f->phones[i];
        items[i].params_json = params ? params[i] : "{\"name\":\"Ada\"}";
    }
    store_objects_recipients(f->st, f->account, f->campaign, items, n,
                             ch == CHANNEL_SMS ? "default-sms" : "default-whatsapp", lane, T0 + 10);
    free(items);
    store_objects_start(f->st, f->account, f->campaign, T0 + 20);
}

static long find_phone(const struct fx *f, const char *phone) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->phones[i], phone) == 0)
            return (long)i;
    return -1;
}

/* Claims up to want recipients in lane; returns how many attempts came
 * back, records their message ids; texts are freed unless keep_texts. */
static size_t fx_claim(struct fx *f, const char *lane, const char *from, size_t want,
                       size_t *scanned, struct attempt **keep) {
    struct engine_campaign *list = NULL;
    size_t nc = 0;
    assert_int_equal(f->st->ops->engine_campaigns(f->st, &list, &nc), 0);
    const struct engine_campaign *mine = NULL;
    for (size_t i = 0; i < nc; i++)
        if (strcmp(list[i].id, f->campaign) == 0)
            mine = &list[i];
    assert_non_null(mine);
    assert_int_equal(mine->channel, f->channel);
    struct claim_request req = {
        .lane = lane, .campaign = mine, .from = from, .provider = "sim", .want = want};
    struct attempt *out = calloc(want + 1, sizeof *out);
    assert_non_null(out);
    size_t got = 0;
    f->clock += 1000;
    assert_int_equal(f->st->ops->claim(f->st, &req, 1, f->clock, out, &got), 0);
    assert_int_equal(req.got, got);
    if (scanned)
        *scanned = req.scanned;
    for (size_t i = 0; i < got; i++) {
        long k = find_phone(f, out[i].to);
        assert_true(k >= 0);
        assert_true(strncmp(out[i].call_id, "msg_", 4) == 0);
        assert_int_equal(out[i].channel, f->channel);
        assert_int_equal(out[i].attempt, 1);
        assert_string_equal(out[i].from, from);
        assert_non_null(out[i].text);
        snprintf(f->mids[k], sizeof f->mids[k], "%s", out[i].call_id);
    }
    for (size_t i = 0; i < nc; i++)
        engine_campaign_clear(&list[i]);
    free(list);
    if (keep) {
        *keep = out;
    } else {
        for (size_t i = 0; i < got; i++)
            free(out[i].text);
        free(out);
    }
    return got;
}

/* ---- the reference model ------------------------------------------------ */

static int model_apply(struct model *x, enum message_status rep) {
    enum message_status before = x->m;
    if (x->m == MSG_QUEUED) /* the submit's answer, or a report implying it */
        x->m = rep == MSG_FAILED ? MSG_FAILED : MSG_SENT;
    if (rep == MSG_FAILED)
        rep = MSG_UNDELIVERED; /* a failure after the provider accepted it */
    switch (x->m) {
    case MSG_SENT:
        if (rep == MSG_DELIVERED || rep == MSG_READ || rep == MSG_UNDELIVERED)
            x->m = rep;
        break;
    case MSG_DELIVERED:
        if (rep == MSG_READ || rep == MSG_UNDELIVERED)
            x->m = rep;
        break;
    default: /* read, failed and undelivered are final */
        break;
    }
    return x->m != before;
}

static enum recipient_status model_status(const struct model *x) {
    switch (x->m) {
    case MSG_QUEUED:
        return RECIPIENT_DISPATCHED;
    case MSG_FAILED:
    case MSG_UNDELIVERED:
        return RECIPIENT_FAILED;
    default:
        return RECIPIENT_SUCCEEDED;
    }
}

static enum disposition model_disposition(const struct model *x) {
    switch (x->m) {
    case MSG_SENT:
        return DISP_SENT;
    case MSG_DELIVERED:
        return DISP_DELIVERED;
    case MSG_READ:
        return DISP_READ;
    case MSG_FAILED:
        return DISP_FAILED;
    case MSG_UNDELIVERED:
        return DISP_UNDELIVERED;
    default:
        return DISP_NONE;
    }
}

/* ---- checks ----------------------------------------------------------- */

static void check_counters(struct fx *f) {
    const struct counters *extra_failed = &f->extra;
    struct counters want;
    memset(&want, 0, sizeof want);
    want.total = (int64_t)f->n;
    for (size_t i = 0; i < f->n; i++) {
        if (!f->mids[i][0])
            continue; /* failed at its turn: counted by extra_failed */
        enum recipient_status s = model_status(&f->model[i]);
        if (s == RECIPIENT_DISPATCHED)
            want.dispatched++;
        else if (s == RECIPIENT_SUCCEEDED)
            want.succeeded++;
        else
            want.failed++;
        if (s != RECIPIENT_DISPATCHED)
            want.dispositions[model_disposition(&f->model[i])]++;
    }
    want.failed += extra_failed->failed;
    for (int d = 0; d < DISP_COUNT; d++)
        want.dispositions[d] += extra_failed->dispositions[d];
    struct campaign c;
    memset(&c, 0, sizeof c);
    assert_int_equal(f->st->ops->campaign_get(f->st, f->account, f->campaign, &c), 0);
    if (!counters_consistent(&c.counters))
        fail_msg("counters inconsistent: total %lld queued %lld dispatched %lld succeeded %lld "
                 "failed %lld",
                 (long long)c.counters.total, (long long)c.counters.queued,
                 (long long)c.counters.dispatched, (long long)c.counters.succeeded,
                 (long long)c.counters.failed);
    assert_int_equal(c.counters.total, want.total);
    assert_int_equal(c.counters.queued, want.queued);
    assert_int_equal(c.counters.dispatched, want.dispatched);
    assert_int_equal(c.counters.succeeded, want.succeeded);
    assert_int_equal(c.counters.failed, want.failed);
    for (int d = 0; d < DISP_COUNT; d++)
        if (c.counters.dispositions[d] != want.dispositions[d])
            fail_msg("disposition %s: %lld, want %lld", disposition_name((enum disposition)d),
                     (long long)c.counters.dispositions[d], (long long)want.dispositions[d]);
    /* running until nothing is queued or in flight, then completed */
    if (want.queued == 0 && want.dispatched == 0) {
        assert_int_equal(c.status, CAMPAIGN_COMPLETED);
        assert_true(c.completed_at > 0);
    } else {
        assert_int_equal(c.status, CAMPAIGN_RUNNING);
    }
    campaign_clear(&c);
}

static void check_one(struct fx *f, size_t i) {
    struct recipient r;
    memset(&r, 0, sizeof r);
    assert_int_equal(f->st->ops->recipient_get(f->st, f->account, f->campaign, f->rids[i], &r), 0);
    enum recipient_status ws = model_status(&f->model[i]);
    enum disposition wd = model_disposition(&f->model[i]);
    if (r.status != ws || r.disposition != wd)
        fail_msg("recipient %zu: %s / %s, want %s / %s (message %s)", i,
                 recipient_status_name(r.status),
                 r.disposition == DISP_NONE ? "null" : disposition_name(r.disposition),
                 recipient_status_name(ws), wd == DISP_NONE ? "null" : disposition_name(wd),
                 message_status_name(f->model[i].m));
    assert_int_equal(r.attempts, 1);
    assert_non_null(r.last_message_id);
    assert_string_equal(r.last_message_id, f->mids[i]);
    recipient_clear(&r);

    struct message m;
    memset(&m, 0, sizeof m);
    assert_int_equal(f->st->ops->message_get(f->st, f->account, f->mids[i], &m), 0);
    if (m.status != f->model[i].m)
        fail_msg("message %zu: %s, want %s", i, message_status_name(m.status),
                 message_status_name(f->model[i].m));
    assert_string_equal(m.recipient_id, f->rids[i]);
    assert_string_equal(m.campaign_id, f->campaign);
    assert_string_equal(m.to, f->phones[i]);
    int64_t t[4] = {m.sent_at, m.delivered_at, m.read_at, m.failed_at};
    switch (m.status) {
    case MSG_QUEUED:
        assert_true(!t[0] && !t[1] && !t[2] && !t[3]);
        break;
    case MSG_SENT:
        assert_true(t[0] && !t[1] && !t[2] && !t[3]);
        break;
    case MSG_DELIVERED:
        assert_true(t[0] && t[1] && !t[2] && !t[3]);
        break;
    case MSG_READ:
        assert_true(t[0] && t[1] && t[2] && !t[3]);
        break;
    case MSG_FAILED:
        assert_true(!t[0] && !t[1] && !t[2] && t[3]);
        break;
    case MSG_UNDELIVERED:
        assert_true(t[0] && !t[2] && t[3]);
        break;
    default:
        fail_msg("unknown message status");
    }
    if (t[0] && t[1])
        assert_true(t[0] <= t[1]);
    if (t[1] && t[2])
        assert_true(t[1] <= t[2]);
    if (t[0] && t[3])
        assert_true(t[0] <= t[3]);
    /* a time once set never moves */
    for (int k = 0; k < 4; k++) {
        if (f->times[i][k] && t[k] != f->times[i][k])
            fail_msg("message %zu: status time %d moved from %lld to %lld", i, k,
                     (long long)f->times[i][k], (long long)t[k]);
        f->times[i][k] = t[k];
    }
    if (m.status != MSG_QUEUED && m.status != MSG_FAILED) {
        char want[64];
        snprintf(want, sizeof want, "SIM%zu", i);
        assert_non_null(m.provider_message_id);
        assert_string_equal(m.provider_message_id, want);
    }
    message_clear(&m);
}

static void check_all(struct fx *f) {
    for (size_t i = 0; i < f->n; i++)
        if (f->mids[i][0])
            check_one(f, i);
    check_counters(f);
}

static struct attempt_end end_for(const struct fx *f, size_t i, enum message_status s, int64_t at) {
    struct attempt_end e;
    memset(&e, 0, sizeof e);
    snprintf(e.call_id, sizeof e.call_id, "%s", f->mids[i]);
    e.channel = f->channel;
    e.mstatus = s;
    e.ended_at = at;
    snprintf(e.provider_call_id, sizeof e.provider_call_id, "SIM%zu", i);
    return e;
}

/* Applies reports[k] to recipient idx[k] in one apply_ends call, then
 * checks everything against the model. */
static void apply_batch(struct fx *f, const size_t *idx, const enum message_status *reports,
                        size_t n) {
    struct attempt_end *ends = calloc(n, sizeof *ends);
    struct attempt_applied *applied = calloc(n, sizeof *applied);
    int *want_applied = calloc(n, sizeof *want_applied);
    assert_non_null(ends);
    assert_non_null(applied);
    assert_non_null(want_applied);
    f->clock += 1000;
    for (size_t k = 0; k < n; k++) {
        ends[k] = end_for(f, idx[k], reports[k], f->clock + (int64_t)k);
        want_applied[k] = model_apply(&f->model[idx[k]], reports[k]);
    }
    assert_int_equal(f->st->ops->apply_ends(f->st, ends, n, f->clock + 500, applied), 0);
    for (size_t k = 0; k < n; k++) {
        if (applied[k].applied != want_applied[k])
            fail_msg("report %zu (%s on recipient %zu): applied %d, want %d", k,
                     message_status_name(reports[k]), idx[k], applied[k].applied, want_applied[k]);
        if (applied[k].applied) {
            assert_string_equal(applied[k].lane, f->channel == CHANNEL_SMS ? SMS_LANE : WA_LANE);
            assert_true(applied[k].campaign_seq > 0);
            assert_int_equal(applied[k].retry_due, 0);
        }
    }
    free(ends);
    free(applied);
    free(want_applied);
    check_all(f);
}

/* One report on recipient i. */
static void report(struct fx *f, size_t i, enum message_status s) {
    apply_batch(f, &i, &s, 1);
}

/* A whatsapp campaign of n recipients, all claimed. */
static void wa_fixture(struct fx *f, size_t n) {
    fx_open(f);
    fx_campaign(f, CHANNEL_WHATSAPP, WA_CONFIG, WA_LANE, n, NULL);
    assert_int_equal(fx_claim(f, WA_LANE, "wa_sender_1", n, NULL, NULL), n);
    check_all(f);
}

static enum recipient_status status_of(struct fx *f, size_t i) {
    return store_objects_recipient_status(f->st, f->account, f->campaign, f->rids[i]);
}

/* ---- the scenarios -------------------------------------------------------- */

static void in_order(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 2);
    report(&f, 0, MSG_SENT);
    assert_int_equal(status_of(&f, 0), RECIPIENT_SUCCEEDED);
    report(&f, 0, MSG_DELIVERED);
    report(&f, 0, MSG_READ);
    assert_int_equal(f.model[0].m, MSG_READ);
    report(&f, 1, MSG_SENT); /* the last submit answered: the campaign completes */
    report(&f, 1, MSG_DELIVERED);
    fx_close(&f);
}

static void read_before_delivered(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 1);
    report(&f, 0, MSG_SENT);
    report(&f, 0, MSG_READ);
    int64_t delivered_at = f.times[0][1];
    assert_true(delivered_at > 0); /* read implies delivered */
    report(&f, 0, MSG_DELIVERED);  /* late: changes nothing */
    assert_int_equal(f.times[0][1], delivered_at);
    report(&f, 0, MSG_DELIVERED);
    report(&f, 0, MSG_SENT);
    report(&f, 0, MSG_READ);
    assert_int_equal(f.model[0].m, MSG_READ);
    fx_close(&f);
}

static void delivered_twice(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 1);
    report(&f, 0, MSG_SENT);
    report(&f, 0, MSG_DELIVERED);
    report(&f, 0, MSG_DELIVERED);
    report(&f, 0, MSG_SENT);
    assert_int_equal(f.model[0].m, MSG_DELIVERED);
    report(&f, 0, MSG_READ);
    report(&f, 0, MSG_READ);
    fx_close(&f);
}

static void undelivered_after_delivered(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 2);
    report(&f, 0, MSG_SENT);
    report(&f, 1, MSG_SENT);
    report(&f, 0, MSG_DELIVERED);
    report(&f, 0, MSG_UNDELIVERED); /* succeeded -> failed, counters moved */
    assert_int_equal(status_of(&f, 0), RECIPIENT_FAILED);
    report(&f, 0, MSG_UNDELIVERED);
    report(&f, 0, MSG_READ);
    report(&f, 0, MSG_DELIVERED);
    assert_int_equal(f.model[0].m, MSG_UNDELIVERED);
    report(&f, 1, MSG_UNDELIVERED); /* straight from sent */
    fx_close(&f);
}

static void delivered_after_undelivered(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 1);
    report(&f, 0, MSG_SENT);
    report(&f, 0, MSG_UNDELIVERED);
    report(&f, 0, MSG_DELIVERED);
    report(&f, 0, MSG_READ);
    report(&f, 0, MSG_SENT);
    report(&f, 0, MSG_FAILED);
    assert_int_equal(f.model[0].m, MSG_UNDELIVERED);
    assert_int_equal(status_of(&f, 0), RECIPIENT_FAILED);
    fx_close(&f);
}

static void failed_at_submit(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 2);
    report(&f, 0, MSG_FAILED);
    assert_int_equal(status_of(&f, 0), RECIPIENT_FAILED);
    report(&f, 0, MSG_SENT);
    report(&f, 0, MSG_DELIVERED);
    report(&f, 0, MSG_READ);
    report(&f, 0, MSG_UNDELIVERED);
    report(&f, 0, MSG_FAILED);
    assert_int_equal(f.model[0].m, MSG_FAILED);
    report(&f, 1, MSG_SENT);
    fx_close(&f);
}

static void reports_before_the_submit_answer(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 3);
    report(&f, 0, MSG_DELIVERED); /* implies sent */
    assert_true(f.times[0][0] > 0);
    report(&f, 0, MSG_SENT);
    report(&f, 0, MSG_READ);
    report(&f, 1, MSG_READ);
    report(&f, 1, MSG_SENT);
    report(&f, 1, MSG_DELIVERED);
    report(&f, 2, MSG_UNDELIVERED);
    report(&f, 2, MSG_SENT);
    assert_int_equal(f.model[2].m, MSG_UNDELIVERED);
    fx_close(&f);
}

static void failure_report_after_sent(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 2);
    report(&f, 0, MSG_SENT);
    report(&f, 0, MSG_FAILED); /* after the accepted submit: undelivered */
    assert_int_equal(f.model[0].m, MSG_UNDELIVERED);
    report(&f, 1, MSG_SENT);
    report(&f, 1, MSG_READ);
    report(&f, 1, MSG_UNDELIVERED); /* read is final */
    report(&f, 1, MSG_FAILED);
    assert_int_equal(f.model[1].m, MSG_READ);
    fx_close(&f);
}

static void many_reports_in_one_batch(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 4);
    {
        size_t idx[] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3};
        enum message_status rep[] = {MSG_READ,        MSG_SENT, MSG_DELIVERED, MSG_READ,
                                     MSG_UNDELIVERED, MSG_SENT, MSG_DELIVERED, MSG_FAILED,
                                     MSG_SENT,        MSG_SENT, MSG_DELIVERED};
        apply_batch(&f, idx, rep, sizeof idx / sizeof idx[0]);
    }
    assert_int_equal(f.model[0].m, MSG_READ);
    assert_int_equal(f.model[1].m, MSG_UNDELIVERED);
    assert_int_equal(f.model[2].m, MSG_FAILED);
    assert_int_equal(f.model[3].m, MSG_DELIVERED);
    {
        size_t idx[] = {3, 3, 3, 0, 1, 2};
        enum message_status rep[] = {MSG_DELIVERED, MSG_READ, MSG_DELIVERED,
                                     MSG_SENT,      MSG_READ, MSG_READ};
        apply_batch(&f, idx, rep, sizeof idx / sizeof idx[0]);
    }
    assert_int_equal(f.model[3].m, MSG_READ);
    fx_close(&f);
}

static void unknown_message_changes_nothing(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, 1);
    struct attempt_end e;
    memset(&e, 0, sizeof e);
    snprintf(e.call_id, sizeof e.call_id, "msg_doesnotexist");
    e.channel = CHANNEL_WHATSAPP;
    e.mstatus = MSG_SENT;
    e.ended_at = f.clock;
    struct attempt_applied applied;
    memset(&applied, 0, sizeof applied);
    assert_int_equal(f.st->ops->apply_ends(f.st, &e, 1, f.clock, &applied), 0);
    assert_int_equal(applied.applied, 0);
    check_all(&f);
    fx_close(&f);
}

/* Every sequence of four reports over the five statuses, each on its own
 * recipient, one step at a time for all of them (one batch per step). */
static void every_sequence_of_four(void **state) {
    (void)state;
    static const enum message_status alphabet[] = {MSG_SENT, MSG_DELIVERED, MSG_READ,
                                                   MSG_UNDELIVERED, MSG_FAILED};
    const size_t a = sizeof alphabet / sizeof alphabet[0], len = 4;
    size_t n = 1;
    for (size_t k = 0; k < len; k++)
        n *= a;
    struct fx f;
    wa_fixture(&f, n);
    size_t *idx = calloc(n, sizeof *idx);
    enum message_status *rep = calloc(n, sizeof *rep);
    assert_non_null(idx);
    assert_non_null(rep);
    for (size_t step = 0; step < len; step++) {
        for (size_t i = 0; i < n; i++) {
            size_t code = i;
            for (size_t k = 0; k < step; k++)
                code /= a;
            idx[i] = i;
            rep[i] = alphabet[code % a];
        }
        apply_batch(&f, idx, rep, n);
    }
    /* a few finals the contract spells out */
    size_t read_then_delivered = 2 + 1 * a;   /* read, delivered, sent, sent */
    size_t delivered_undelivered = 1 + 3 * a; /* delivered, undelivered, ... */
    size_t undelivered_delivered = 3 + 1 * a; /* undelivered, delivered, ... */
    assert_int_equal(f.model[read_then_delivered].m, MSG_READ);
    assert_int_equal(f.model[delivered_undelivered].m, MSG_UNDELIVERED);
    assert_int_equal(f.model[undelivered_delivered].m, MSG_UNDELIVERED);
    assert_int_equal(f.model[4].m, MSG_FAILED); /* failed first: final */
    free(idx);
    free(rep);
    fx_close(&f);
}

/* A throttled attempt given back (unclaim) leaves no message; a late
 * report on it changes nothing, and the next claim sends a new one. */
static void unclaimed_attempt_reports_change_nothing(void **state) {
    (void)state;
    struct fx f;
    fx_open(&f);
    fx_campaign(&f, CHANNEL_WHATSAPP, WA_CONFIG, WA_LANE, 1, NULL);
    struct attempt *att = NULL;
    assert_int_equal(fx_claim(&f, WA_LANE, "wa_sender_1", 1, NULL, &att), 1);
    char old[48];
    snprintf(old, sizeof old, "%s", att[0].call_id);
    int64_t due = f.clock + 5000;
    assert_int_equal(f.st->ops->unclaim(f.st, att, 1, due), 0);
    free(att[0].text);
    free(att);
    struct message m;
    memset(&m, 0, sizeof m);
    assert_int_equal(f.st->ops->message_get(f.st, f.account, old, &m), STORE_ENOTFOUND);
    struct recipient r;
    memset(&r, 0, sizeof r);
    assert_int_equal(f.st->ops->recipient_get(f.st, f.account, f.campaign, f.rids[0], &r), 0);
    assert_int_equal(r.status, RECIPIENT_QUEUED);
    assert_int_equal(r.attempts, 0);
    assert_null(r.last_message_id);
    recipient_clear(&r);
    struct campaign c;
    memset(&c, 0, sizeof c);
    assert_int_equal(f.st->ops->campaign_get(f.st, f.account, f.campaign, &c), 0);
    assert_true(counters_consistent(&c.counters));
    assert_int_equal(c.counters.queued, 1);
    assert_int_equal(c.counters.dispatched, 0);
    campaign_clear(&c);
    /* the provider never heard of it, but a stray report must not count */
    struct attempt_end e;
    memset(&e, 0, sizeof e);
    snprintf(e.call_id, sizeof e.call_id, "%s", old);
    e.channel = CHANNEL_WHATSAPP;
    e.mstatus = MSG_SENT;
    e.ended_at = f.clock;
    struct attempt_applied applied;
    memset(&applied, 0, sizeof applied);
    assert_int_equal(f.st->ops->apply_ends(f.st, &e, 1, f.clock, &applied), 0);
    assert_int_equal(applied.applied, 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(f.st->ops->campaign_get(f.st, f.account, f.campaign, &c), 0);
    assert_true(counters_consistent(&c.counters));
    assert_int_equal(c.counters.queued, 1);
    assert_int_equal(c.counters.succeeded, 0);
    campaign_clear(&c);
    /* not due yet: nothing claimed; once due, a new message */
    f.mids[0][0] = '\0';
    assert_int_equal(fx_claim(&f, WA_LANE, "wa_sender_1", 1, NULL, NULL), 0);
    f.clock = due;
    assert_int_equal(fx_claim(&f, WA_LANE, "wa_sender_1", 1, NULL, NULL), 1);
    assert_string_not_equal(f.mids[0], old);
    check_all(&f);
    report(&f, 0, MSG_SENT);
    report(&f, 0, MSG_READ);
    fx_close(&f);
}

/* ---- concurrent reports ----------------------------------------------------- */

#define CONC_N 200
#define CONC_THREADS 4

struct worker {
    struct fx *f;
    unsigned seed;
    int rc;
};

static atomic_int conc_done;

static unsigned lcg(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    static const enum message_status kinds[] = {MSG_SENT, MSG_DELIVERED, MSG_READ, MSG_DELIVERED,
                                                MSG_SENT};
    const size_t per = sizeof kinds / sizeof kinds[0];
    size_t total = CONC_N * per;
    struct attempt_end *ends = calloc(total, sizeof *ends);
    if (!ends) {
        w->rc = -100;
        return NULL;
    }
    for (size_t i = 0; i < CONC_N; i++)
        for (size_t k = 0; k < per; k++)
            ends[i * per + k] = end_for(w->f, i, kinds[k], T0 + 5000 + (int64_t)kinds[k]);
    for (size_t i = total - 1; i > 0; i--) { /* shuffle */
        size_t j = lcg(&w->seed) % (i + 1);
        struct attempt_end t = ends[i];
        ends[i] = ends[j];
        ends[j] = t;
    }
    struct attempt_applied applied[17];
    for (size_t off = 0; off < total && w->rc == 0; off += 17) {
        size_t m = total - off < 17 ? total - off : 17;
        int rc;
        do
            rc = w->f->st->ops->apply_ends(w->f->st, ends + off, m, T0 + 9000, applied);
        while (rc == STORE_EBUSY);
        w->rc = rc;
    }
    free(ends);
    return NULL;
}

static void *reader_main(void *arg) {
    struct worker *w = arg;
    while (!conc_done && w->rc == 0) {
        struct campaign c;
        memset(&c, 0, sizeof c);
        int rc = w->f->st->ops->campaign_get(w->f->st, w->f->account, w->f->campaign, &c);
        if (rc == STORE_EBUSY)
            continue;
        if (rc != 0)
            w->rc = rc;
        else if (!counters_consistent(&c.counters) || c.counters.total != CONC_N)
            w->rc = -1;
        campaign_clear(&c);
    }
    return NULL;
}

static void concurrent_reports(void **state) {
    (void)state;
    struct fx f;
    wa_fixture(&f, CONC_N);
    conc_done = 0;
    pthread_t threads[CONC_THREADS], reader;
    struct worker workers[CONC_THREADS], rw = {.f = &f};
    assert_int_equal(pthread_create(&reader, NULL, reader_main, &rw), 0);
    for (int t = 0; t < CONC_THREADS; t++) {
        workers[t] = (struct worker){.f = &f, .seed = 7u + 31u * (unsigned)t};
        assert_int_equal(pthread_create(&threads[t], NULL, worker_main, &workers[t]), 0);
    }
    for (int t = 0; t < CONC_THREADS; t++)
        assert_int_equal(pthread_join(threads[t], NULL), 0);
    conc_done = 1;
    assert_int_equal(pthread_join(reader, NULL), 0);
    for (int t = 0; t < CONC_THREADS; t++)
        assert_int_equal(workers[t].rc, 0);
    assert_int_equal(rw.rc, 0);
    for (size_t i = 0; i < CONC_N; i++)
        f.model[i].m = MSG_READ; /* whatever the order, read wins */
    check_all(&f);
    fx_close(&f);
}

/* ---- checks at the recipient's turn --------------------------------------------- */

static void put_opt_out(struct fx *f, const char *phone, enum channel ch, const char *category) {
    struct opt_out o;
    memset(&o, 0, sizeof o);
    ids_new("opt_", o.id);
    snprintf(o.account_id, sizeof o.account_id, "%s", f->account);
    snprintf(o.phone_number, sizeof o.phone_number, "%s", phone);
    o.channel = ch;
    snprintf(o.category, sizeof o.category, "%s", category ? category : "");
    snprintf(o.source, sizeof o.source, "api");
    o.created_at = T0;
    int created = 0;
    assert_int_equal(f->st->ops->opt_out_insert(f->st, &o, &created), 0);
    assert_int_equal(created, 1);
}

static size_t messages_of(struct fx *f, size_t i) {
    struct message_filter mf = {.recipient_id = f->rids[i]};
    struct message_page page;
    memset(&page, 0, sizeof page);
    assert_int_equal(f->st->ops->message_list(f->st, f->account, &mf, 0, 10, &page), 0);
    size_t n = page.count;
    message_page_clear(&page);
    return n;
}

static void disposition_is(struct fx *f, size_t i, enum recipient_status s, enum disposition d) {
    struct recipient r;
    memset(&r, 0, sizeof r);
    assert_int_equal(f->st->ops->recipient_get(f->st, f->account, f->campaign, f->rids[i], &r), 0);
    assert_int_equal(r.status, s);
    assert_int_equal(r.disposition, d);
    recipient_clear(&r);
}

static void opt_outs_and_missing_params_at_turn(void **state) {
    (void)state;
    struct fx f;
    fx_open(&f);
    const char *params[] = {
        "{\"name\":\"A\"}", /* 0: opted out of marketing */
        "{\"name\":\"B\"}", /* 1: opted out of utility only: reached */
        "{\"name\":\"C\"}", /* 2: blanket whatsapp opt-out */
        "{\"other\":1}",    /* 3: no name: missing_param */
        NULL,               /* 4: no params at all: missing_param */
        "{\"name\":\"F\"}", /* 5: sms and voice opt-outs only: reached */
        "{\"name\":null}",  /* 6: null is missing */
    };
    const size_t n = sizeof params / sizeof params[0];
    fx_campaign(&f, CHANNEL_WHATSAPP, WA_CONFIG, WA_LANE, n, params);
    put_opt_out(&f, f.phones[0], CHANNEL_WHATSAPP, "marketing");
    put_opt_out(&f, f.phones[1], CHANNEL_WHATSAPP, "utility");
    put_opt_out(&f, f.phones[2], CHANNEL_WHATSAPP, NULL);
    put_opt_out(&f, f.phones[5], CHANNEL_SMS, NULL);
    put_opt_out(&f, f.phones[5], CHANNEL_VOICE, NULL);
    size_t scanned = 0;
    struct attempt *att = NULL;
    size_t got = fx_claim(&f, WA_LANE, "wa_sender_1", n, &scanned, &att);
    assert_int_equal(scanned, n);
    assert_int_equal(got, 2);
    for (size_t k = 0; k < got; k++) {
        long i = find_phone(&f, att[k].to);
        assert_true(i == 1 || i == 5);
        json_t *t = json_loads(att[k].text, 0, NULL);
        assert_non_null(t);
        assert_string_equal(json_string_value(json_array_get(json_object_get(t, "parameters"), 0)),
                            i == 1 ? "B" : "F");
        assert_string_equal(json_string_value(json_object_get(t, "category")), "marketing");
        json_decref(t);
        free(att[k].text);
    }
    free(att);
    disposition_is(&f, 0, RECIPIENT_FAILED, DISP_OPTED_OUT);
    disposition_is(&f, 2, RECIPIENT_FAILED, DISP_OPTED_OUT);
    disposition_is(&f, 3, RECIPIENT_FAILED, DISP_MISSING_PARAM);
    disposition_is(&f, 4, RECIPIENT_FAILED, DISP_MISSING_PARAM);
    disposition_is(&f, 6, RECIPIENT_FAILED, DISP_MISSING_PARAM);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(messages_of(&f, i), i == 1 || i == 5 ? 1 : 0);
    f.extra.failed = 5;
    f.extra.dispositions[DISP_OPTED_OUT] = 2;
    f.extra.dispositions[DISP_MISSING_PARAM] = 3;
    check_counters(&f);
    report(&f, 1, MSG_SENT);
    report(&f, 5, MSG_FAILED); /* all terminal: completed */
    report(&f, 1, MSG_READ);
    fx_close(&f);
}

static void sms_rendering_and_segments(void **state) {
    (void)state;
    struct fx f;
    fx_open(&f);
    const char *params[] = {"{\"name\":\"Ada\"}", "{\"name\":\"Zo\\u00eb\"}", "{\"name\":3}",
                            "{\"name\":true}", "{}"};
    const char *want_body[] = {"Hi Ada \xe2\x82\xac", "Hi Zo\xc3\xab \xe2\x82\xac",
                               "Hi 3 \xe2\x82\xac", "Hi true \xe2\x82\xac", NULL};
    const char *want_enc[] = {"GSM-7", "UCS-2", "GSM-7", "GSM-7", NULL};
    const size_t n = sizeof params / sizeof params[0];
    fx_campaign(&f, CHANNEL_SMS, SMS_CONFIG, SMS_LANE, n, params);
    size_t got = fx_claim(&f, SMS_LANE, "+14155550100", n, NULL, NULL);
    assert_int_equal(got, 4);
    disposition_is(&f, 4, RECIPIENT_FAILED, DISP_MISSING_PARAM);
    for (size_t i = 0; i < 4; i++) {
        struct message m;
        memset(&m, 0, sizeof m);
        assert_int_equal(f.st->ops->message_get(f.st, f.account, f.mids[i], &m), 0);
        assert_int_equal(m.channel, CHANNEL_SMS);
        assert_int_equal(m.status, MSG_QUEUED);
        assert_string_equal(m.body, want_body[i]);
        assert_string_equal(m.encoding, want_enc[i]);
        assert_int_equal(m.segments, 1);
        assert_string_equal(m.from, "+14155550100");
        assert_null(m.template_json);
        message_clear(&m);
    }
    f.extra.failed = 1;
    f.extra.dispositions[DISP_MISSING_PARAM] = 1;
    check_counters(&f);
    /* sms: delivered is as far as it goes; the same forward-only rules */
    size_t idx[] = {0, 1, 2, 3, 0, 1, 2, 0};
    enum message_status rep[] = {MSG_SENT,      MSG_DELIVERED, MSG_FAILED,      MSG_SENT,
                                 MSG_DELIVERED, MSG_SENT,      MSG_UNDELIVERED, MSG_SENT};
    {
        struct attempt_end ends[8];
        struct attempt_applied applied[8];
        f.clock += 1000;
        for (size_t k = 0; k < 8; k++) {
            ends[k] = end_for(&f, idx[k], rep[k], f.clock + (int64_t)k);
            model_apply(&f.model[idx[k]], rep[k]);
        }
        assert_int_equal(f.st->ops->apply_ends(f.st, ends, 8, f.clock + 100, applied), 0);
    }
    for (size_t i = 0; i < 4; i++)
        check_one(&f, i);
    check_counters(&f);
    assert_int_equal(f.model[0].m, MSG_DELIVERED);
    assert_int_equal(f.model[2].m, MSG_FAILED);
    fx_close(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order),
        cmocka_unit_test(read_before_delivered),
        cmocka_unit_test(delivered_twice),
        cmocka_unit_test(undelivered_after_delivered),
        cmocka_unit_test(delivered_after_undelivered),
        cmocka_unit_test(failed_at_submit),
        cmocka_unit_test(reports_before_the_submit_answer),
        cmocka_unit_test(failure_report_after_sent),
        cmocka_unit_test(many_reports_in_one_batch),
        cmocka_unit_test(unknown_message_changes_nothing),
        cmocka_unit_test(every_sequence_of_four),
        cmocka_unit_test(unclaimed_attempt_reports_change_nothing),
        cmocka_unit_test(concurrent_reports),
        cmocka_unit_test(opt_outs_and_missing_params_at_turn),
        cmocka_unit_test(sms_rendering_and_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
