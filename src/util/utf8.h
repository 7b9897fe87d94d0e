/* utf8.h - UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF). Pure, thread-safe. */
#ifndef CAMPAIGND_UTF8_H
#define CAMPAIGND_UTF8_H

#include <stddef.h>

/* 1 when the n bytes are valid UTF-8 with no NUL byte. */
int utf8_valid(const char *s, size_t n);

#endif
