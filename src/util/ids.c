/* ids.c - ids: a time prefix, then characters from the OS's CSPRNG with
 * rejection sampling, so every random base62 character is equally likely.
 * The alphabet is in ASCII order, so ids sort by their time prefix. */
#include "util/ids.h"
#include "util/crypto.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Random bytes are drawn from the OS 4 KiB at a time per thread, so an
 * upload of 10,000 recipients makes a few syscalls, not 10,000. */
static _Thread_local unsigned char pool[4096];
static _Thread_local size_t used = sizeof pool;

void ids_random_base62(char *out, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (used == sizeof pool) {
            crypto_random(pool, sizeof pool);
            used = 0;
        }
        unsigned char b = pool[used];
        pool[used++] = 0; /* a drawn byte is never reused */
        if (b >= 248)     /* 248 = 4 * 62: reject to keep the draw uniform */
            continue;
        out[i++] = base62[b % 62];
    }
    out[n] = '\0';
}

void ids_time_base62(int64_t ms, char out[IDS_TIME_CHARS]) {
    uint64_t v = ms > 0 ? (uint64_t)ms : 0;
    for (int i = IDS_TIME_CHARS - 1; i >= 0; i--) {
        out[i] = base62[v % 62];
        v /= 62;
    }
}

void ids_new(const char *prefix, char out[IDS_MAX_LEN]) {
    size_t plen = strlen(prefix);
    if (plen > IDS_MAX_LEN - IDS_CHARS - 1)
        plen = IDS_MAX_LEN - IDS_CHARS - 1;
    memcpy(out, prefix, plen);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ids_time_base62((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, out + plen);
    ids_random_base62(out + plen + IDS_TIME_CHARS, IDS_RANDOM_CHARS);
}

int ids_valid(const char *s, const char *prefix) {
    size_t plen = strlen(prefix);
    if (strncmp(s, prefix, plen) != 0)
        return 0;
    size_t n = 0;
    for (const char *p = s + plen; *p; p++, n++)
        if (!isalnum((unsigned char)*p))
            return 0;
    return n >= 1 && n <= 40;
}
