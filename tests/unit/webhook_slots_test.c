/* webhook_slots_test.c - slots_pick (engine/webhook_slots.c): which due
 * webhook deliveries start next. The caps (in all, per account, per
 * endpoint, one per campaign, counting what is in flight and what this call
 * already picked), accounts taking turns from the one after the last served,
 * an account's own order, the attack it exists for (one account's hanging
 * endpoints cannot hold another account's events back), and a randomised
 * check that every choice respects the caps and leaves nothing startable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/webhook_slots.h"

#include <stdio.h>
#include <string.h>

static const struct slot_caps CAPS = {64, 16, 4};

static void test_nothing_pending_or_no_room(void **state) {
    (void)state;
    struct slot_item p[1] = {{"acct_a", "http://a:80", 1}};
    struct slot_item live[2] = {{"acct_b", "http://b:80", 2}, {"acct_b", "http://b:80", 3}};
    size_t pick[1];
    assert_int_equal(slots_pick(p, 0, live, 2, &CAPS, "", pick), 0);
    struct slot_caps two = {2, 2, 2};
    assert_int_equal(slots_pick(p, 1, live, 2, &two, "", pick), 0);
    assert_int_equal(slots_pick(p, 1, live, 2, &CAPS, NULL, pick), 1);
    assert_int_equal(pick[0], 0);
}

static void test_caps_count_live_and_picked(void **state) {
    (void)state;
    struct slot_caps caps = {10, 3, 2};
    /* account a: 3 campaigns on endpoint x, 1 more event of campaign 1, 2 on y */
    struct slot_item p[] = {
        {"a", "x", 1}, {"a", "x", 1}, {"a", "x", 2}, {"a", "x", 3}, {"a", "y", 4}, {"a", "y", 5},
    };
    size_t pick[6];
    /* nothing live: x takes 2 (1 and 2; the second of campaign 1 waits), y one,
     * and the account's cap of 3 stops there */
    size_t k = slots_pick(p, 6, NULL, 0, &caps, "", pick);
    assert_int_equal(k, 3);
    assert_int_equal(pick[0], 0);
    assert_int_equal(pick[1], 2);
    assert_int_equal(pick[2], 4);
    /* campaign 2 and 4 in flight, and one delivery to x */
    struct slot_item live[] = {{"a", "x", 2}, {"a", "y", 4}};
    k = slots_pick(p, 6, live, 2, &caps, "", pick);
    assert_int_equal(k, 1); /* account cap: 2 live + 1 */
    assert_int_equal(pick[0], 0);
    /* an event with no campaign has no per-campaign limit */
    struct slot_item q[] = {{"b", "z", 0}, {"b", "z", 0}};
    k = slots_pick(q, 2, NULL, 0, &caps, "", pick);
    assert_int_equal(k, 2);
}

static void test_total_cap(void **state) {
    (void)state;
    struct slot_caps caps = {5, 16, 4};
    struct slot_item p[12];
    char ep[12][8];
    for (int i = 0; i < 12; i++) {
        snprintf(ep[i], sizeof ep[i], "e%d", i);
        p[i] = (struct slot_item){i % 2 ? "b" : "a", ep[i], i + 1};
    }
    struct slot_item live[] = {{"c", "w", 99}};
    size_t pick[12];
    assert_int_equal(slots_pick(p, 12, live, 1, &caps, "", pick), 4);
    assert_int_equal(slots_pick(p, 12, NULL, 0, &caps, "", pick), 5);
}

static void test_accounts_take_turns_from_after_the_last_served(void **state) {
    (void)state;
    struct slot_caps caps = {64, 16, 4};
    struct slot_item p[] = {
        {"a", "x1", 1}, {"a", "x2", 2}, {"a", "x3", 3}, {"b", "y1", 4},
        {"c", "z1", 5}, {"c", "z2", 6}, {"b", "y2", 7},
    };
    size_t pick[7];
    size_t k = slots_pick(p, 7, NULL, 0, &caps, "", pick);
    assert_int_equal(k, 7);
    size_t want[] = {0, 3, 4, 1, 6, 5, 2}; /* a b c a b c a */
    for (size_t i = 0; i < k; i++)
        assert_int_equal(pick[i], want[i]);
    /* after b: c first, then a, then b */
    k = slots_pick(p, 7, NULL, 0, &caps, "b", pick);
    size_t want2[] = {4, 0, 3, 5, 1, 6, 2};
    for (size_t i = 0; i < k; i++)
        assert_int_equal(pick[i], want2[i]);
    /* after the last name: around to a; after a name not present: the next one */
    slots_pick(p, 7, NULL, 0, &caps, "zz", pick);
    assert_int_equal(pick[0], 0);
    slots_pick(p, 7, NULL, 0, &caps, "bb", pick);
    assert_int_equal(pick[0], 4);
    /* one slot at a time, passing the last served on: a, b, c, a ... */
    struct slot_caps one = {1, 16, 4};
    const char *last = "";
    const char *seen[6];
    for (int round = 0; round < 6; round++) {
        assert_int_equal(slots_pick(p, 7, NULL, 0, &one, last, pick), 1);
        last = seen[round] = p[pick[0]].account;
    }
    const char *rot[] = {"a", "b", "c", "a", "b", "c"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(seen[i], rot[i]);
}

/* The attack: 70 campaigns of one account on 20 endpoints that never
 * answer, its deliveries in flight until they time out; another account
 * with one responsive endpoint still starts at once, every time. */
static void test_hanging_account_cannot_hold_another_back(void **state) {
    (void)state;
    char eps[20][16];
    for (int i = 0; i < 20; i++)
        snprintf(eps[i], sizeof eps[i], "http://h%d:80", i);
    struct slot_item p[71];
    for (int c = 0; c < 70; c++)
        p[c] = (struct slot_item){"acct_attacker", eps[c % 20], c + 1};
    size_t pick[71];
    size_t k = slots_pick(p, 70, NULL, 0, &CAPS, "", pick);
    assert_int_equal(k, 16); /* its share, not 64 */
    struct slot_item live[64];
    for (size_t i = 0; i < k; i++)
        live[i] = p[pick[i]];
    /* now the victim's events come, one after another; the attacker is full */
    p[70] = (struct slot_item){"acct_victim", "http://quick:80", 1000};
    for (int round = 0; round < 10; round++) {
        size_t got = slots_pick(p, 71, live, 16, &CAPS, round % 2 ? "acct_victim" : "", pick);
        assert_int_equal(got, 1);
        assert_int_equal(pick[0], 70);
    }
    /* even with the other 48 slots taken by further hanging accounts of 16
     * each, the victim waits only for a slot, and gets the next one freed */
    struct slot_item more[64];
    memcpy(more, live, 16 * sizeof *live);
    const char *others[] = {"acct_z", "acct_y", "acct_x"}; /* more[63] is acct_x's */
    for (int i = 16; i < 64; i++)
        more[i] = (struct slot_item){others[(i - 16) / 16], eps[i % 20], 2000 + i};
    assert_int_equal(slots_pick(p, 71, more, 64, &CAPS, "", pick), 0);
    struct slot_item waiting[74];
    memcpy(waiting, p, sizeof p);
    for (int i = 0; i < 3; i++)
        waiting[71 + i] = (struct slot_item){others[i], eps[(7 * i) % 20], 3000 + i};
    /* one slot frees (an acct_x delivery ended, so acct_x was served last):
     * acct_x is back under its cap too, but the turn goes round the others
     * (acct_y, acct_z, acct_attacker: all at their cap) to acct_victim */
    assert_int_equal(slots_pick(waiting, 74, more, 63, &CAPS, "acct_x", pick), 1);
    assert_string_equal(waiting[pick[0]].account, "acct_victim");
}

static uint64_t rnd(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random inputs: the picks respect every cap (counting live and earlier
 * picks) and the choice is complete: no unpicked event could still start. */
static void test_random_choices_respect_caps_and_are_complete(void **state) {
    (void)state;
    static const char *accts[] = {"a", "b", "c", "d"};
    static const char *eps[] = {"e0", "e1", "e2", "e3", "e4", "e5"};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 3000; round++) {
        struct slot_caps caps = {1 + rnd(&x) % 12, 1 + rnd(&x) % 5, 1 + rnd(&x) % 4};
        size_t n = rnd(&x) % 40, nlive = rnd(&x) % (caps.total + 2);
        struct slot_item p[40], live[16];
        for (size_t i = 0; i < n; i++)
            p[i] =
                (struct slot_item){accts[rnd(&x) % 4], eps[rnd(&x) % 6], (int64_t)(rnd(&x) % 15)};
        for (size_t i = 0; i < nlive; i++)
            live[i] =
                (struct slot_item){accts[rnd(&x) % 4], eps[rnd(&x) % 6], (int64_t)(rnd(&x) % 15)};
        size_t pick[40];
        size_t k = slots_pick(p, n, live, nlive, &caps, accts[rnd(&x) % 4], pick);
        if (nlive >= caps.total) {
            assert_int_equal(k, 0);
            continue;
        }
        struct slot_item all[56];
        memcpy(all, live, nlive * sizeof *live);
        int taken[40] = {0};
        for (size_t j = 0; j < k; j++) {
            assert_true(pick[j] < n);
            assert_false(taken[pick[j]]);
            taken[pick[j]] = 1;
            all[nlive + j] = p[pick[j]];
        }
        size_t m = nlive + k;
        assert_true(m <= caps.total);
        /* caps hold at the end (live may exceed them by itself; picks never add to excess) */
        for (size_t j = 0; j < k; j++) {
            const struct slot_item *it = &p[pick[j]];
            size_t same_acct = 0, same_ep = 0, same_c = 0;
            for (size_t i = 0; i < nlive + j; i++) {
                same_acct += strcmp(all[i].account, it->account) == 0;
                same_ep += strcmp(all[i].endpoint, it->endpoint) == 0;
                same_c += it->campaign && all[i].campaign == it->campaign;
            }
            assert_true(same_acct < caps.per_account);
            assert_true(same_ep < caps.per_endpoint);
            assert_int_equal(same_c, 0);
        }
        /* complete: with room left, no unpicked event is startable */
        if (m < caps.total) {
            for (size_t i = 0; i < n; i++) {
                if (taken[i])
                    continue;
                size_t same_acct = 0, same_ep = 0, same_c = 0;
                for (size_t j = 0; j < m; j++) {
                    same_acct += strcmp(all[j].account, p[i].account) == 0;
                    same_ep += strcmp(all[j].endpoint, p[i].endpoint) == 0;
                    same_c += p[i].campaign && all[j].campaign == p[i].campaign;
                }
                assert_true(same_acct >= caps.per_account || same_ep >= caps.per_endpoint ||
                            same_c > 0);
            }
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_pending_or_no_room),
        cmocka_unit_test(test_caps_count_live_and_picked),
        cmocka_unit_test(test_total_cap),
        cmocka_unit_test(test_accounts_take_turns_from_after_the_last_served),
        cmocka_unit_test(test_hanging_account_cannot_hold_another_back),
        cmocka_unit_test(test_random_choices_respect_caps_and_are_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
