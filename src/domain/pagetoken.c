/* pagetoken.c - see pagetoken.h. */
#include "domain/pagetoken.h"
#include "util/alloc.h"
#include "util/base64url.h"
#include "util/crypto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAC_BYTES 16 /* truncated HMAC-SHA256: 128 bits */

static char *payload_of(const char *account, const char *list, const char *filters,
                        int64_t cursor) {
    /* each field carries its length, so no field can spill into the next */
    return xasprintf("1|%zu:%s|%zu:%s|%zu:%s|%" PRId64, strlen(account), account, strlen(list),
                     list, strlen(filters), filters, cursor);
}

char *pagetoken_encode(const void *secret, size_t secret_len, const char *account, const char *list,
                       const char *filters, int64_t cursor) {
    char *payload = payload_of(account, list, filters, cursor);
    uint8_t mac[32];
    crypto_hmac_sha256(secret, secret_len, payload, strlen(payload), mac);
    char *p64 = base64url_encode(payload, strlen(payload));
    char *m64 = base64url_encode(mac, MAC_BYTES);
    char *token = xasprintf("%s.%s", p64, m64);
    free(payload);
    free(p64);
    free(m64);
    return token;
}

int pagetoken_decode(const void *secret, size_t secret_len, const char *token, const char *account,
                     const char *list, const char *filters, int64_t *cursor) {
    if (strlen(token) > 2048)
        return -1;
    const char *dot = strchr(token, '.');
    if (!dot)
        return -1;
    char *p64 = xstrndup(token, (size_t)(dot - token));
    size_t plen = 0, mlen = 0;
    unsigned char *payload = base64url_decode(p64, &plen);
    unsigned char *mac = base64url_decode(dot + 1, &mlen);
    free(p64);
    int rc = -1;
    if (!payload || !mac || mlen != MAC_BYTES)
        goto out;
    uint8_t want[32];
    crypto_hmac_sha256(secret, secret_len, payload, plen, want);
    if (!crypto_equal(want, mac, MAC_BYTES))
        goto out;
    /* genuine: now check the binding by re-deriving the payload */
    const unsigned char *last = NULL;
    for (size_t i = 0; i < plen; i++)
        if (payload[i] == '|')
            last = payload + i;
    if (!last)
        goto out;
    char num[24];
    size_t nlen = plen - (size_t)(last + 1 - payload);
    if (nlen == 0 || nlen >= sizeof num)
        goto out;
    memcpy(num, last + 1, nlen);
    num[nlen] = '\0';
    char *end = NULL;
    long long v = strtoll(num, &end, 10);
    if (*end != '\0')
        goto out;
    char *expect = payload_of(account, list, filters, (int64_t)v);
    if (strlen(expect) == plen && memcmp(expect, payload, plen) == 0) {
        *cursor = (int64_t)v;
        rc = 0;
    }
    free(expect);
out:
    free(payload);
    free(mac);
    return rc;
}
