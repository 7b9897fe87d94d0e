/* base64url.h - RFC 4648 section 5 encoding without padding, used for page
 * tokens. Pure functions, thread-safe. */
#ifndef CAMPAIGND_BASE64URL_H
#define CAMPAIGND_BASE64URL_H

#include <stddef.h>

/* Encodes n bytes; returns a new NUL-terminated string (caller frees). */
char *base64url_encode(const void *data, size_t n);
/* Decodes a string of base64url characters (no padding). Returns a new
 * buffer (caller frees) and its length in *n_out, or NULL when s holds a
 * character outside the alphabet or has an impossible length. */
unsigned char *base64url_decode(const char *s, size_t *n_out);

#endif
