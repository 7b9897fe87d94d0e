/* ids.h - opaque identifiers and secrets. An id is a type prefix ("cmp_",
 * "acct_", ...), 8 base62 characters of the creation time in milliseconds
 * (fixed width, so ids of one type sort by creation and each new one lands
 * at the end of its unique index rather than on a random page), then 16
 * random base62 characters (about 95 bits), so ids still cannot be guessed
 * or enumerated. Secrets (API keys, webhook secrets) are random throughout
 * (ids_random_base62). Thread-safe. */
#ifndef CAMPAIGND_IDS_H
#define CAMPAIGND_IDS_H

#include <stddef.h>

#include <stdint.h>

#define IDS_TIME_CHARS 8
#define IDS_RANDOM_CHARS 16
#define IDS_CHARS (IDS_TIME_CHARS + IDS_RANDOM_CHARS) /* 24 after the prefix */
#define IDS_MAX_LEN 48

/* Writes prefix + 8 time chars + 16 random chars into out (IDS_MAX_LEN
 * bytes). */
void ids_new(const char *prefix, char out[IDS_MAX_LEN]);
/* ms since the epoch as 8 fixed-width base62 characters (no NUL). */
void ids_time_base62(int64_t ms, char out[IDS_TIME_CHARS]);
/* Fills out[0..n-1] with random base62 characters and NUL-terminates it
 * (out must hold n + 1 bytes). */
void ids_random_base62(char *out, size_t n);
/* 1 when s is prefix followed by 1..40 base62 characters. */
int ids_valid(const char *s, const char *prefix);

#endif
