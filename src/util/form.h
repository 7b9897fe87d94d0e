/* form.h - application/x-www-form-urlencoded, both ways, as HTTP form
 * posts use it (WHATWG URL "application/x-www-form-urlencoded"): names and
 * values percent-encoded, a space as '+', pairs joined by '&'. A name may
 * repeat (Twilio takes a list as the same field repeated). Also the
 * percent-encoding of one URL component (RFC 3986: every byte but the
 * unreserved ALPHA / DIGIT / "-" / "." / "_" / "~" as %XX).
 * Pure; thread-safe. */
#ifndef CAMPAIGND_FORM_H
#define CAMPAIGND_FORM_H

#include "util/buf.h"

#include <stddef.h>

/* Appends "name=value" (with a '&' before it unless b is empty). 0, or
 * BUF_ETOOBIG (b unchanged up to the cap: discard it). */
int form_add(struct buf *b, const char *name, const char *value);
/* The value of a hex digit (either case), or -1. */
int form_hex_value(char c);
/* Appends s percent-encoded as one URL component. 0 or BUF_ETOOBIG. */
int url_encode_component(struct buf *b, const char *s);

struct form_field {
    char *name, *value; /* decoded, NUL-terminated; a NUL byte inside is kept
                           (name_len / value_len tell the true lengths) */
    size_t name_len, value_len;
};

struct form {
    struct form_field *fields; /* in the order of the body */
    size_t n;
};

/* Parses a form body of n bytes. Empty pairs ("a=1&&b=2") are skipped; a
 * pair without '=' is a name with an empty value; '+' is a space; a '%' not
 * followed by two hex digits is kept as is (as browsers and Twilio's
 * libraries read it). At most max_fields pairs: -1 when there are more
 * (out emptied), else 0. */
int form_parse(const char *body, size_t n, size_t max_fields, struct form *out);
/* The first value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);
void form_clear(struct form *f);

#endif
