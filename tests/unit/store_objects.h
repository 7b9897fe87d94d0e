/* store_objects.h - for unit tests of the store: the objects a test starts
 * from, made through the store's own ops (so on either backend): an
 * account, a draft campaign of a channel, recipients in one lane, the
 * campaign started, a claim of its one running campaign, and a
 * recipient's status read back. Each fails the
 * test on an error. Include after cmocka.h and store_fixture.h. */
#ifndef CAMPAIGND_STORE_OBJECTS_H
#define CAMPAIGND_STORE_OBJECTS_H

#include "store/store.h"
#include "util/ids.h"
#include "util/strcopy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new account named name, created at; its id into id. */
static inline void store_objects_account(struct store *st, const char *name, int64_t at,
                                         char id[48]) {
    struct account a = {0};
    char *owned = strdup(name);
    assert_non_null(owned);
    ids_new("acct_", a.id);
    a.name = owned;
    a.created_at = at;
    assert_int_equal(st->ops->account_insert(st, &a), 0);
    str_copy(id, 48, a.id);
    free(owned);
}

/* A new draft campaign of the account (agent agt_1), created at; its id
 * into id. */
static inline void store_objects_campaign(struct store *st, const char *account, enum channel ch,
                                          const char *config, int64_t at, char id[48]) {
    struct campaign c;
    memset(&c, 0, sizeof c);
    char name[] = "c", agent[] = "agt_1";
    char *cfg = strdup(config);
    assert_non_null(cfg);
    ids_new("cmp_", c.id);
    STR_COPY(c.account_id, account);
    c.name = name;
    c.agent_id = agent;
    c.channel = ch;
    c.status = CAMPAIGN_DRAFT;
    c.config_json = cfg;
    c.created_at = c.updated_at = at;
    assert_int_equal(st->ops->campaign_insert(st, &c), 0);
    str_copy(id, 48, c.id);
    free(cfg);
}

/* Inserts the n recipients (their ids, numbers and params set by the
 * caller) in carrier's lane, region US, at; every one must be new. */
static inline void store_objects_recipients(struct store *st, const char *account,
                                            const char *campaign, struct recipient_new *items,
                                            size_t n, const char *carrier, const char *lane,
                                            int64_t at) {
    for (size_t i = 0; i < n; i++) {
        items[i].carrier = carrier;
        items[i].lane = lane;
        STR_COPY(items[i].region, "US");
    }
    struct campaign out;
    memset(&out, 0, sizeof out);
    assert_int_equal(st->ops->recipients_insert(st, account, campaign, items, n, at, &out), 0);
    assert_true(out.counters.total >= (int64_t)n);
    campaign_clear(&out);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(items[i].inserted, 1);
}

/* Starts the campaign at. */
static inline void store_objects_start(struct store *st, const char *account, const char *campaign,
                                       int64_t at) {
    struct campaign out;
    memset(&out, 0, sizeof out);
    enum move_result result = MOVE_INVALID;
    assert_int_equal(st->ops->campaign_move(st, account, campaign, MOVE_START, at, &result, &out),
                     0);
    assert_int_equal(result, MOVE_OK);
    assert_int_equal(out.status, CAMPAIGN_RUNNING);
    campaign_clear(&out);
}

/* An account (name) with a running voice campaign of n recipients in
 * lane, numbered +14152000000 + i; their ids into rids (when not NULL). */
static inline void store_objects_voice_running(struct store *st, const char *name, int64_t at,
                                               size_t n, const char *lane, char account[48],
                                               char campaign[48], char (*rids)[48]) {
    store_objects_account(st, name, at, account);
    store_objects_campaign(st, account, CHANNEL_VOICE, "{\"caller_id\":\"+14155550100\"}", at,
                           campaign);
    struct recipient_new *items = calloc(n + 1, sizeof *items);
    char(*phones)[20] = calloc(n + 1, sizeof *phones);
    assert_non_null(items);
    assert_non_null(phones);
    for (size_t i = 0; i < n; i++) {
        snprintf(phones[i], sizeof phones[i], "+1415%07u", (unsigned)(2000000 + i));
        ids_new("rcp_", items[i].id);
        if (rids)
            str_copy(rids[i], 48, items[i].id);
        items[i].phone_number = phones[i];
    }
    store_objects_recipients(st, account, campaign, items, n, "default-voice", lane, at + 1);
    store_objects_start(st, account, campaign, at + 2);
    free(items);
    free(phones);
}

/* Claims up to want of the store's one running campaign in lane at now,
 * for node n1 of provider sim until lease_until, into out; how many. */
static inline size_t store_objects_claim(struct store *st, const char *lane, const char *from,
                                         size_t want, int64_t now, int64_t lease_until,
                                         struct attempt *out) {
    struct engine_campaign *list = NULL;
    size_t nc = 0;
    assert_int_equal(st->ops->engine_campaigns(st, &list, &nc), 0);
    assert_int_equal(nc, 1);
    struct claim_request req = {.lane = lane,
                                .campaign = &list[0],
                                .from = from,
                                .provider = "sim",
                                .node = "n1",
                                .lease_until = lease_until,
                                .want = want};
    size_t got = 0;
    assert_int_equal(st->ops->claim(st, &req, 1, now, out, &got), 0);
    for (size_t i = 0; i < nc; i++)
        engine_campaign_clear(&list[i]);
    free(list);
    return got;
}

/* The recipient's status now. */
static inline enum recipient_status store_objects_recipient_status(struct store *st,
                                                                   const char *account,
                                                                   const char *campaign,
                                                                   const char *recipient) {
    struct recipient r;
    memset(&r, 0, sizeof r);
    assert_int_equal(st->ops->recipient_get(st, account, campaign, recipient, &r), 0);
    enum recipient_status s = r.status;
    recipient_clear(&r);
    return s;
}

#endif
