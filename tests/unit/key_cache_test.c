/* key_cache_test.c - tests of api/key_cache.c: a cached key answers its
 * account; a different digest (even in the same slot) does not; forget
 * drops the key of a prefix at once; a put whose ticket predates a
 * revocation is dropped (the race of a check reading the store while the
 * key was revoked); the table stays bounded (a colliding key replaces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/key_cache.h"
#include "util/crypto.h"

#include <stdio.h>
#include <string.h>

static void digest(const char *key, char out[65]) {
    crypto_sha256_hex(key, strlen(key), out);
}

static void test_hit_and_miss(void **state) {
    (void)state;
    struct key_cache *kc = key_cache_new();
    char a[65], b[65], acc[48];
    digest("ck_key_a", a);
    digest("ck_key_b", b);
    assert_int_equal(key_cache_get(kc, a, acc), 0);
    key_cache_put(kc, key_cache_begin(kc), a, "ck_key_a_pre", "acc_a");
    assert_int_equal(key_cache_get(kc, a, acc), 1);
    assert_string_equal(acc, "acc_a");
    assert_int_equal(key_cache_get(kc, b, acc), 0);
    /* same slot (first hex digits), different digest: a miss */
    char c[65];
    memcpy(c, a, sizeof c);
    c[63] = c[63] == '0' ? '1' : '0';
    assert_int_equal(key_cache_get(kc, c, acc), 0);
    key_cache_free(kc);
}

static void test_forget_is_immediate(void **state) {
    (void)state;
    struct key_cache *kc = key_cache_new();
    char a[65], b[65], acc[48];
    digest("ck_key_a", a);
    digest("ck_key_b", b);
    key_cache_put(kc, key_cache_begin(kc), a, "pre_a", "acc_a");
    key_cache_put(kc, key_cache_begin(kc), b, "pre_b", "acc_b");
    key_cache_forget(kc, "pre_a");
    assert_int_equal(key_cache_get(kc, a, acc), 0);
    assert_int_equal(key_cache_get(kc, b, acc), 1); /* other keys stay */
    assert_string_equal(acc, "acc_b");
    key_cache_free(kc);
}

static void test_stale_put_dropped(void **state) {
    (void)state;
    struct key_cache *kc = key_cache_new();
    char a[65], acc[48];
    digest("ck_key_a", a);
    uint64_t ticket = key_cache_begin(kc); /* a check starts, reads "live" */
    key_cache_forget(kc, "pre_a");         /* meanwhile the key is revoked */
    key_cache_put(kc, ticket, a, "pre_a", "acc_a");
    assert_int_equal(key_cache_get(kc, a, acc), 0);
    /* a check that started after the revocation caches again */
    key_cache_put(kc, key_cache_begin(kc), a, "pre_a", "acc_a");
    assert_int_equal(key_cache_get(kc, a, acc), 1);
    key_cache_free(kc);
}

static void test_bounded(void **state) {
    (void)state;
    struct key_cache *kc = key_cache_new();
    char keys[3 * KEY_CACHE_SLOTS][65], name[32], acc[48];
    for (int i = 0; i < 3 * KEY_CACHE_SLOTS; i++) {
        snprintf(name, sizeof name, "ck_%d", i);
        digest(name, keys[i]);
        key_cache_put(kc, key_cache_begin(kc), keys[i], name, "acc");
    }
    int hits = 0;
    for (int i = 0; i < 3 * KEY_CACHE_SLOTS; i++)
        hits += key_cache_get(kc, keys[i], acc);
    assert_true(hits <= KEY_CACHE_SLOTS);
    assert_true(hits > 0);
    assert_int_equal(key_cache_get(kc, keys[3 * KEY_CACHE_SLOTS - 1], acc), 1); /* the last put */
    key_cache_free(kc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_and_miss),
        cmocka_unit_test(test_forget_is_immediate),
        cmocka_unit_test(test_stale_put_dropped),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
