/* crypto.c - OpenSSL-backed primitives, see crypto.h. */
#include "util/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void crypto_random(void *out, size_t n) {
    unsigned char *p = out;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            perror("campaignd: getrandom");
            abort();
        }
        p += got;
        n -= (size_t)got;
    }
}

void crypto_sha256_hex(const void *data, size_t n, char out[65]) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, n, md);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                        uint8_t out[32]) {
    unsigned int len = 32;
    if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len))
        abort();
}

void crypto_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t msglen,
                      uint8_t out[20]) {
    unsigned int len = 20;
    if (!HMAC(EVP_sha1(), key, (int)keylen, msg, msglen, out, &len))
        abort();
}

size_t crypto_base64(const void *data, size_t n, char *out) {
    return (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)n);
}

int crypto_equal(const void *a, const void *b, size_t n) {
    return CRYPTO_memcmp(a, b, n) == 0;
}

int crypto_str_equal(const char *a, const char *b) {
    unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)a, strlen(a), da);
    SHA256((const unsigned char *)b, strlen(b), db);
    return CRYPTO_memcmp(da, db, sizeof da) == 0;
}
