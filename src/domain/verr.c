/* verr.c - see verr.h. Field and message are echoed in a JSON answer, so a
 * text cut short to fit never ends in half a UTF-8 character (a key of
 * 80 "é" is 160 bytes: cut at 159 it would end in a lone lead byte). */
#include "domain/verr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Drops a multi-byte UTF-8 sequence left incomplete at the end of s. */
static void cut_partial_utf8(char *s) {
    size_t n = strlen(s), i = n;
    while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--; /* back over continuation bytes to the lead byte */
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (n - (i - 1) < need)
        s[i - 1] = '\0';
}

int verr_set(struct verr *e, const char *field, const char *fmt, ...) {
    if (snprintf(e->field, sizeof e->field, "%s", field ? field : "") >= (int)sizeof e->field)
        cut_partial_utf8(e->field);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof e->message)
        cut_partial_utf8(e->message);
    return -1;
}
