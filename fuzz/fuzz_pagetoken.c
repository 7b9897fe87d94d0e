/* fuzz_pagetoken.c - page tokens (src/domain/pagetoken.c over
 * src/util/base64url.c), the page_token query parameter of every list.
 * Input: one byte picks the mode, the rest is its text.
 *   0: the text is a token from a client: decoded against fixed bindings.
 *   1: the text is a payload signed with the secret (what only the server
 *      could have written), so decoding gets past the MAC to the payload.
 *   2: the text is "account\nlist\nfilters\n" then 8 cursor bytes: encoded.
 * Invariants: a token that decodes re-encodes to the same text; an encoded
 * token is base64url "." base64url, decodes to its cursor, and fails
 * under another account, list or filters; base64url decoding re-encodes
 * to the same text. */
#include "fuzz.h"

#include "domain/pagetoken.h"
#include "util/base64url.h"
#include "util/crypto.h"

static const char secret[32] = "fuzz-secret-fuzz-secret-fuzz-sec";
static const char *const account = "acct_1", *const list = "campaigns",
                         *const filters = "status=running&channel=";

static void check_decoded_reencodes(const char *token, const char *acc, const char *lst,
                                    const char *flt) {
    int64_t cursor = 0;
    if (pagetoken_decode(secret, sizeof secret, token, acc, lst, flt, &cursor) != 0)
        return;
    char *again = pagetoken_encode(secret, sizeof secret, acc, lst, flt, cursor);
    FUZZ_CHECK(strcmp(again, token) == 0);
    free(again);
}

static void check_base64url(const char *text) {
    size_t n = 0;
    unsigned char *raw = base64url_decode(text, &n);
    if (!raw)
        return;
    char *again = base64url_encode(raw, n);
    FUZZ_CHECK(strcmp(again, text) == 0);
    free(again);
    free(raw);
}

static void signed_payload(const char *payload) {
    uint8_t mac[32];
    crypto_hmac_sha256(secret, sizeof secret, payload, strlen(payload), mac);
    char *p64 = base64url_encode(payload, strlen(payload));
    char *m64 = base64url_encode(mac, 16);
    size_t len = strlen(p64) + strlen(m64) + 2;
    char *token = malloc(len);
    FUZZ_CHECK(token != NULL);
    snprintf(token, len, "%s.%s", p64, m64);
    check_decoded_reencodes(token, account, list, filters);
    free(token);
    free(p64);
    free(m64);
}

/* A new copy of s with an "x" after it. */
static char *with_x(const char *s) {
    size_t n = strlen(s) + 2;
    char *out = malloc(n);
    FUZZ_CHECK(out != NULL);
    snprintf(out, n, "%sx", s);
    return out;
}

static void round_trip(struct fuzz_input *in) {
    char *acc = fuzz_line(in), *lst = fuzz_line(in), *flt = fuzz_line(in);
    int64_t cursor = 0;
    for (int i = 0; i < 8; i++)
        cursor = (int64_t)((uint64_t)cursor << 8 | fuzz_byte(in));
    char *token = pagetoken_encode(secret, sizeof secret, acc, lst, flt, cursor);
    const char *dot = strchr(token, '.');
    FUZZ_CHECK(dot && !strchr(dot + 1, '.'));
    FUZZ_CHECK(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
               strlen(token));
    int64_t got = 0;
    int fits = strlen(token) <= 2048; /* longer tokens are refused outright */
    FUZZ_CHECK(pagetoken_decode(secret, sizeof secret, token, acc, lst, flt, &got) ==
               (fits ? 0 : -1));
    FUZZ_CHECK(!fits || got == cursor);
    char *acc2 = with_x(acc), *lst2 = with_x(lst), *flt2 = with_x(flt);
    FUZZ_CHECK(pagetoken_decode(secret, sizeof secret, token, acc2, lst, flt, &got) == -1);
    FUZZ_CHECK(pagetoken_decode(secret, sizeof secret, token, acc, lst2, flt, &got) == -1);
    FUZZ_CHECK(pagetoken_decode(secret, sizeof secret, token, acc, lst, flt2, &got) == -1);
    check_decoded_reencodes(token, acc, lst, flt);
    free(acc2);
    free(lst2);
    free(flt2);
    free(token);
    free(acc);
    free(lst);
    free(flt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    uint8_t mode = fuzz_byte(&in) % 3;
    if (mode == 2) {
        round_trip(&in);
        return 0;
    }
    char *text = fuzz_rest(&in);
    if (mode == 0) {
        check_decoded_reencodes(text, account, list, filters);
        check_base64url(text);
    } else {
        signed_payload(text);
    }
    free(text);
    return 0;
}
