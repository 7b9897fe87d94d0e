/* crypto_test.c - tests of util/crypto.c: SHA-256 and HMAC-SHA256 against
 * FIPS 180-2 and RFC 4231 vectors, constant-time comparisons (equal,
 * different, different lengths, prefixes) and crypto_random output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/crypto.h"

#include <stdio.h>
#include <string.h>

static void hex(const uint8_t *b, size_t n, char *out) {
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = h[b[i] >> 4];
        out[2 * i + 1] = h[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static void test_sha256(void **state) {
    (void)state;
    char out[65];
    crypto_sha256_hex("", 0, out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    crypto_sha256_hex("abc", 3, out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    crypto_sha256_hex(m, strlen(m), out);
    assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_hmac_rfc4231(void **state) {
    (void)state;
    uint8_t key[131], mac[32];
    char out[65];
    /* test case 1 */
    memset(key, 0x0b, 20);
    crypto_hmac_sha256(key, 20, "Hi There", 8, mac);
    hex(mac, 32, out);
    assert_string_equal(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* test case 2 */
    crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    hex(mac, 32, out);
    assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* test case 6: a key longer than the block */
    memset(key, 0xaa, 131);
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    crypto_hmac_sha256(key, 131, msg, strlen(msg), mac);
    hex(mac, 32, out);
    assert_string_equal(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_equal(void **state) {
    (void)state;
    uint8_t a[32], b[32];
    memset(a, 7, sizeof a);
    memcpy(b, a, sizeof b);
    assert_int_equal(crypto_equal(a, b, 32), 1);
    assert_int_equal(crypto_equal(a, b, 0), 1);
    for (size_t i = 0; i < 32; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1 << bit);
            assert_int_equal(crypto_equal(a, b, 32), 0);
            b[i] ^= (uint8_t)(1 << bit);
        }
    }
}

static void test_str_equal(void **state) {
    (void)state;
    assert_int_equal(crypto_str_equal("", ""), 1);
    assert_int_equal(crypto_str_equal("secret-token", "secret-token"), 1);
    assert_int_equal(crypto_str_equal("secret-token", "secret-tokeN"), 0);
    assert_int_equal(crypto_str_equal("secret-token", "secret-token2"), 0);
    assert_int_equal(crypto_str_equal("secret-token", "secret"), 0);
    assert_int_equal(crypto_str_equal("secret", ""), 0);
    assert_int_equal(crypto_str_equal("", "secret"), 0);
    assert_int_equal(crypto_str_equal("abc", "abc\n"), 0);
}

static void test_random(void **state) {
    (void)state;
    uint8_t a[64], b[64], zero[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memset(zero, 0, sizeof zero);
    crypto_random(a, sizeof a);
    crypto_random(b, sizeof b);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_memory_not_equal(a, b, sizeof a);
    crypto_random(a, 0); /* nothing to do */
    /* a large request is filled entirely (the tail is not left zero) */
    static uint8_t big[1 << 20];
    crypto_random(big, sizeof big);
    assert_memory_not_equal(big + sizeof big - 64, zero, 64);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256), cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_equal),  cmocka_unit_test(test_str_equal),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
