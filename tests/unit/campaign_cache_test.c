/* campaign_cache_test.c - tests of api/campaign_cache.c: a kept text
 * answers its account and campaign at the generation it was read at, and
 * nothing else (another generation, account or campaign; generation 0; a
 * body over the size cap; no cache at all); a colliding campaign replaces
 * the slot's entry; hits and misses are counted. A claimed miss makes a
 * second caller of the same entry and generation wait for the claimer's
 * answer (or its release, or the bounded wait) instead of reading too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/campaign_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* 1 when the cache answers account's campaign at generation with want. */
static int answers(struct campaign_cache *cc, uint64_t gen, const char *account, const char *id,
                   const char *want) {
    char *body = (char *)"unset";
    size_t len = 0;
    int hit = campaign_cache_get(cc, gen, account, id, &body, &len);
    if (!hit) {
        assert_null(body);
        return 0;
    }
    int same = len == strlen(want) && memcmp(body, want, len) == 0 && body[len] == '\0';
    free(body);
    return same;
}

static void test_current_generation_only(void **state) {
    (void)state;
    struct campaign_cache *cc = campaign_cache_new();
    assert_int_equal(answers(cc, 7, "acct_a", "cmp_1", "{}"), 0);
    const char *v1 = "{\"id\":\"cmp_1\"}", *v2 = "{\"id\":\"cmp_1\",\"v\":2}";
    campaign_cache_put(cc, 7, "acct_a", "cmp_1", v1, strlen(v1));
    assert_int_equal(answers(cc, 7, "acct_a", "cmp_1", v1), 1);
    /* a commit since: stale, whatever the direction */
    assert_int_equal(answers(cc, 8, "acct_a", "cmp_1", v1), 0);
    assert_int_equal(answers(cc, 6, "acct_a", "cmp_1", v1), 0);
    /* a newer read replaces it */
    campaign_cache_put(cc, 8, "acct_a", "cmp_1", v2, strlen(v2));
    assert_int_equal(answers(cc, 8, "acct_a", "cmp_1", v2), 1);
    assert_int_equal(answers(cc, 7, "acct_a", "cmp_1", v1), 0);
    uint64_t hits, misses;
    campaign_cache_counts(cc, &hits, &misses);
    assert_int_equal(hits, 2);
    assert_int_equal(misses, 4);
    campaign_cache_free(cc);
}

static void test_own_account_and_campaign_only(void **state) {
    (void)state;
    struct campaign_cache *cc = campaign_cache_new();
    campaign_cache_put(cc, 3, "acct_a", "cmp_1", "A", 1);
    assert_int_equal(answers(cc, 3, "acct_b", "cmp_1", "A"), 0);
    assert_int_equal(answers(cc, 3, "acct_a", "cmp_2", "A"), 0);
    assert_int_equal(answers(cc, 3, "acct_a", "cmp_", "A"), 0);
    assert_int_equal(answers(cc, 3, "acct_a", "cmp_1", "A"), 1);
    campaign_cache_free(cc);
}

static void test_not_kept(void **state) {
    (void)state;
    struct campaign_cache *cc = campaign_cache_new();
    /* generation 0: the store cannot tell */
    campaign_cache_put(cc, 0, "acct_a", "cmp_1", "A", 1);
    assert_int_equal(answers(cc, 0, "acct_a", "cmp_1", "A"), 0);
    /* over the cap */
    size_t big = CAMPAIGN_CACHE_MAX_BODY + 1;
    char *body = malloc(big + 1);
    assert_non_null(body);
    memset(body, 'x', big);
    body[big] = '\0';
    campaign_cache_put(cc, 1, "acct_a", "cmp_big", body, big);
    assert_int_equal(answers(cc, 1, "acct_a", "cmp_big", body), 0);
    /* exactly the cap is kept */
    body[CAMPAIGN_CACHE_MAX_BODY] = '\0';
    campaign_cache_put(cc, 1, "acct_a", "cmp_big", body, CAMPAIGN_CACHE_MAX_BODY);
    assert_int_equal(answers(cc, 1, "acct_a", "cmp_big", body), 1);
    free(body);
    /* an id too long for a slot */
    char id[80];
    memset(id, 'c', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    campaign_cache_put(cc, 1, "acct_a", id, "A", 1);
    assert_int_equal(answers(cc, 1, "acct_a", id, "A"), 0);
    campaign_cache_free(cc);
    /* no cache (a shared store) */
    assert_int_equal(answers(NULL, 1, "acct_a", "cmp_1", "A"), 0);
    campaign_cache_put(NULL, 1, "acct_a", "cmp_1", "A", 1);
    campaign_cache_free(NULL);
}

static void test_bounded(void **state) {
    (void)state;
    struct campaign_cache *cc = campaign_cache_new();
    /* more campaigns than slots: each put replaces its slot's entry, so at
     * most CAMPAIGN_CACHE_SLOTS answer, and the last put always does */
    int n = CAMPAIGN_CACHE_SLOTS * 4, answered = 0;
    char id[32], text[32];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "cmp_%d", i);
        snprintf(text, sizeof text, "{\"n\":%d}", i);
        campaign_cache_put(cc, 1, "acct_a", id, text, strlen(text));
        assert_int_equal(answers(cc, 1, "acct_a", id, text), 1);
    }
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "cmp_%d", i);
        snprintf(text, sizeof text, "{\"n\":%d}", i);
        answered += answers(cc, 1, "acct_a", id, text);
    }
    assert_true(answered <= CAMPAIGN_CACHE_SLOTS);
    assert_true(answered > 0);
    campaign_cache_free(cc);
}

struct claimer {
    struct campaign_cache *cc;
    uint64_t generation;
    int hit;
    char *body;
};

static void *claim_in_thread(void *arg) {
    struct claimer *c = arg;
    size_t len = 0;
    c->hit = campaign_cache_claim(c->cc, c->generation, "acct_a", "cmp_1", &c->body, &len);
    return NULL;
}

/* A second caller of the same entry and generation starts while the first
 * holds the claim; returns its thread (main then ends the claim). */
static pthread_t start_second(struct claimer *c) {
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, claim_in_thread, c), 0);
    usleep(30000); /* it is waiting (or would have read, were there no claim) */
    return t;
}

static void test_a_claim_serves_its_waiters(void **state) {
    (void)state;
    struct campaign_cache *cc = campaign_cache_new();
    char *body;
    size_t len;
    assert_int_equal(campaign_cache_claim(cc, 5, "acct_a", "cmp_1", &body, &len), 0);
    struct claimer second = {.cc = cc, .generation = 5, .hit = -1};
    pthread_t t = start_second(&second);
    campaign_cache_put(cc, 5, "acct_a", "cmp_1", "v5", 2);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(second.hit, 1); /* it waited and took the claimer's answer */
    assert_string_equal(second.body, "v5");
    free(second.body);
    /* a released claim: the waiter gets no answer and claims itself */
    assert_int_equal(campaign_cache_claim(cc, 6, "acct_a", "cmp_1", &body, &len), 0);
    struct claimer third = {.cc = cc, .generation = 6, .hit = -1};
    t = start_second(&third);
    campaign_cache_release(cc, 6, "acct_a", "cmp_1");
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(third.hit, 0);
    campaign_cache_put(cc, 6, "acct_a", "cmp_1", "v6", 2); /* the waiter's answer */
    assert_int_equal(answers(cc, 6, "acct_a", "cmp_1", "v6"), 1);
    /* a claim never ended: the waiter gives up after the bounded wait */
    assert_int_equal(campaign_cache_claim(cc, 7, "acct_a", "cmp_1", &body, &len), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(campaign_cache_claim(cc, 7, "acct_a", "cmp_1", &body, &len), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(waited_ms >= CAMPAIGN_CACHE_CLAIM_WAIT_MS - 5);
    /* another entry or generation never waits on it */
    assert_int_equal(campaign_cache_claim(cc, 8, "acct_a", "cmp_1", &body, &len), 0);
    assert_int_equal(campaign_cache_claim(cc, 7, "acct_b", "cmp_1", &body, &len), 0);
    campaign_cache_free(cc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_current_generation_only),
        cmocka_unit_test(test_own_account_and_campaign_only),
        cmocka_unit_test(test_not_kept),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_a_claim_serves_its_waiters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
