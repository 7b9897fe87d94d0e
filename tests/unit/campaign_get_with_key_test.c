/* campaign_get_with_key_test.c - tests of store_ops.campaign_get_with_key
 * (deferred keys, auth.h) on either backend: a live key with its account's
 * campaign answers both, byte for byte what key_get and campaign_get
 * answer; another account's campaign, or none, answers the key alone; a
 * revoked key is answered as stored (revoked_at set: the caller refuses
 * it); an unknown prefix is ENOTFOUND. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"
#include "store_fixture.h"
#include "store_objects.h"

#define T0 1700000000000LL

/* A key of account stored under prefix, its hash made of the prefix. */
static void store_key(struct store *st, const char *account, const char *prefix) {
    struct api_key k = {.created_at = T0};
    STR_COPY(k.prefix, prefix);
    STR_COPY(k.account_id, account);
    memset(k.hash, 'a' + (prefix[3] % 26), 64);
    k.hash[64] = '\0';
    assert_int_equal(st->ops->key_insert(st, &k), 0);
}

static void test_key_and_campaign(void **state) {
    struct store_fixture *f = *state;
    struct store *st = f->st;
    char a[48], b[48], ca[48], cb[48];
    store_objects_account(st, "a", T0, a);
    store_objects_account(st, "b", T0, b);
    store_objects_campaign(st, a, CHANNEL_VOICE, "{\"caller_id\":\"+14155550100\"}", T0, ca);
    store_objects_campaign(st, b, CHANNEL_VOICE, "{\"caller_id\":\"+14155550101\"}", T0, cb);
    store_key(st, a, "ck_aaaaaaaaa");
    store_key(st, b, "ck_bbbbbbbbb");

    struct api_key key, want_key;
    struct campaign c, want;
    int found = -1;
    assert_int_equal(st->ops->campaign_get_with_key(st, "ck_aaaaaaaaa", ca, &key, &c, &found), 0);
    assert_int_equal(found, STORE_OK);
    assert_int_equal(st->ops->key_get(st, "ck_aaaaaaaaa", &want_key), 0);
    assert_string_equal(key.prefix, want_key.prefix);
    assert_string_equal(key.account_id, a);
    assert_string_equal(key.hash, want_key.hash);
    assert_true(key.created_at == want_key.created_at);
    assert_true(key.revoked_at == 0);
    assert_int_equal(st->ops->campaign_get(st, a, ca, &want), 0);
    assert_string_equal(c.id, want.id);
    assert_string_equal(c.account_id, a);
    assert_string_equal(c.name, want.name);
    assert_string_equal(c.config_json, want.config_json);
    assert_true(c.seq == want.seq && c.created_at == want.created_at);
    assert_int_equal(c.status, want.status);
    campaign_clear(&c);
    campaign_clear(&want);

    /* b's campaign through a's key: the key alone */
    found = -1;
    assert_int_equal(st->ops->campaign_get_with_key(st, "ck_aaaaaaaaa", cb, &key, &c, &found), 0);
    assert_int_equal(found, STORE_ENOTFOUND);
    assert_string_equal(key.account_id, a);
    found = -1;
    assert_int_equal(
        st->ops->campaign_get_with_key(st, "ck_bbbbbbbbb", "cmp_none", &key, &c, &found), 0);
    assert_int_equal(found, STORE_ENOTFOUND);
    assert_string_equal(key.account_id, b);

    /* an unknown key */
    assert_int_equal(st->ops->campaign_get_with_key(st, "ck_zzzzzzzzz", ca, &key, &c, &found),
                     STORE_ENOTFOUND);

    /* a revoked key is answered as stored */
    assert_int_equal(st->ops->key_revoke(st, "ck_bbbbbbbbb", T0 + 5), 0);
    found = -1;
    assert_int_equal(st->ops->campaign_get_with_key(st, "ck_bbbbbbbbb", cb, &key, &c, &found), 0);
    assert_true(key.revoked_at == T0 + 5);
    assert_int_equal(found, STORE_OK);
    campaign_clear(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_and_campaign, store_fixture_setup,
                                        store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
