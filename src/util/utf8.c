/* utf8.c - see utf8.h. One decoder (valid_char_len) serves both the check
 * and the repair, so they cannot disagree about what is valid. */
#include "util/utf8.h"

#include <string.h>

/* Length of the valid, non-NUL UTF-8 character at s (n bytes left), or 0. */
static size_t valid_char_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

int utf8_valid(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t len = valid_char_len(s + i, n - i);
        if (!len)
            return 0;
        i += len;
    }
    return 1;
}

size_t utf8_sanitize(char *dst, size_t cap, const char *src, size_t n) {
    static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0, out = 0;
    if (cap == 0)
        return 0;
    while (i < n) {
        size_t len = valid_char_len(s + i, n - i);
        const char *piece = len ? src + i : replacement;
        size_t piece_len = len ? len : 3;
        if (out + piece_len > cap - 1)
            break; /* never cut a character: stop before it */
        memcpy(dst + out, piece, piece_len);
        out += piece_len;
        i += len ? len : 1;
    }
    dst[out] = '\0';
    return out;
}
