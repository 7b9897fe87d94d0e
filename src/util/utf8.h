/* utf8.h - UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF). Pure, thread-safe. */
#ifndef CAMPAIGND_UTF8_H
#define CAMPAIGND_UTF8_H

#include <stddef.h>

/* 1 when the n bytes are valid UTF-8 with no NUL byte. */
int utf8_valid(const char *s, size_t n);

/* Copies the n bytes of src into dst (cap bytes, cap > 0) as valid UTF-8:
 * each byte that does not start a valid character (and each NUL) becomes
 * U+FFFD, and the copy stops before a character that would not fit, so it
 * is never cut in the middle. dst is NUL-terminated; answers its length. */
size_t utf8_sanitize(char *dst, size_t cap, const char *src, size_t n);

#endif
