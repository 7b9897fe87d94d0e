/* ids.h - opaque identifiers and secrets. An id is a type prefix ("cmp_",
 * "acct_", ...) and 24 random base62 characters (about 143 bits), so ids
 * cannot be guessed or enumerated. Thread-safe. */
#ifndef CAMPAIGND_IDS_H
#define CAMPAIGND_IDS_H

#include <stddef.h>

#define IDS_RANDOM_CHARS 24
#define IDS_MAX_LEN 48

/* Writes prefix + 24 random base62 chars into out (IDS_MAX_LEN bytes). */
void ids_new(const char *prefix, char out[IDS_MAX_LEN]);
/* Fills out[0..n-1] with random base62 characters and NUL-terminates it
 * (out must hold n + 1 bytes). */
void ids_random_base62(char *out, size_t n);
/* 1 when s is prefix followed by 1..40 base62 characters. */
int ids_valid(const char *s, const char *prefix);

#endif
