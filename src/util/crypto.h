/* crypto.h - the few primitives campaignd needs, over OpenSSL: random bytes
 * from the OS, SHA-256, HMAC-SHA256 and a constant-time comparison.
 * Thread-safe. */
#ifndef CAMPAIGND_CRYPTO_H
#define CAMPAIGND_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Fills out with n bytes from the OS's CSPRNG; aborts if that fails. */
void crypto_random(void *out, size_t n);
/* SHA-256 of data as 64 lowercase hex chars + NUL. */
void crypto_sha256_hex(const void *data, size_t n, char out[65]);
/* HMAC-SHA256 of msg under key into out (32 bytes). */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                        uint8_t out[32]);
/* HMAC-SHA1 of msg under key into out (20 bytes): what Twilio signs with. */
void crypto_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t msglen,
                      uint8_t out[20]);
/* Standard base64 (RFC 4648, with padding) of n bytes into out, which has
 * room for 4 * ((n + 2) / 3) + 1 bytes; NUL-terminated; returns the length. */
size_t crypto_base64(const void *data, size_t n, char *out);
/* 1 when a and b (n bytes each) are equal, in time independent of content. */
int crypto_equal(const void *a, const void *b, size_t n);
/* Constant-time equality of two strings of possibly different lengths
 * (compares their SHA-256 digests). */
int crypto_str_equal(const char *a, const char *b);

#endif
