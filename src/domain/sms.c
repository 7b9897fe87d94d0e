/* sms.c - segment counting, see sms.h. The GSM 03.38 tables are written as
 * UTF-8 strings and compared code point by code point. */
#include "domain/sms.h"

#include <stdint.h>
#include <string.h>

static const char gsm_basic[] = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                                "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
static const char gsm_extension[] = "\f^{}\\[~]|€";

/* Next code point of s at *i (valid UTF-8). */
static uint32_t next_cp(const char *s, size_t *i) {
    const unsigned char *u = (const unsigned char *)s + *i;
    uint32_t cp;
    size_t n;
    if (u[0] < 0x80) {
        cp = u[0];
        n = 1;
    } else if (u[0] < 0xe0) {
        cp = u[0] & 0x1f;
        n = 2;
    } else if (u[0] < 0xf0) {
        cp = u[0] & 0x0f;
        n = 3;
    } else {
        cp = u[0] & 0x07;
        n = 4;
    }
    for (size_t k = 1; k < n && u[k]; k++)
        cp = (cp << 6) | (u[k] & 0x3f);
    *i += n;
    return cp;
}

/* The position of cp in table (0-based, in characters), or -1. */
static int table_index(const char *table, uint32_t cp) {
    int k = 0;
    for (size_t i = 0; table[i]; k++)
        if (next_cp(table, &i) == cp)
            return k;
    return -1;
}

static int in_table(const char *table, uint32_t cp) {
    return table_index(table, cp) >= 0;
}

/* GSM 03.38 codes of gsm_extension's characters, in its order. */
static const unsigned char gsm_extension_codes[] = {0x0a, 0x14, 0x28, 0x29, 0x2f,
                                                    0x3c, 0x3d, 0x3e, 0x40, 0x65};

size_t sms_encode_char(const char *text, size_t *i, int gsm, unsigned char out[4]) {
    uint32_t cp = next_cp(text, i);
    if (gsm) {
        int k = table_index(gsm_basic, cp);
        if (k >= 0) { /* gsm_basic skips 0x1B, the escape */
            out[0] = (unsigned char)(k < 0x1b ? k : k + 1);
            return 1;
        }
        k = table_index(gsm_extension, cp);
        out[0] = 0x1b;
        out[1] = k >= 0 ? gsm_extension_codes[k] : 0x3f;
        return 2;
    }
    if (cp > 0xffff) {
        uint32_t v = cp - 0x10000, hi = 0xd800 + (v >> 10), lo = 0xdc00 + (v & 0x3ff);
        out[0] = (unsigned char)(hi >> 8), out[1] = (unsigned char)hi;
        out[2] = (unsigned char)(lo >> 8), out[3] = (unsigned char)lo;
        return 4;
    }
    out[0] = (unsigned char)(cp >> 8), out[1] = (unsigned char)cp;
    return 2;
}

/* The code point at position k (in characters) of table, or 0 past it. */
static uint32_t table_at(const char *table, size_t k) {
    size_t i = 0;
    for (size_t n = 0; table[i]; n++) {
        uint32_t cp = next_cp(table, &i);
        if (n == k)
            return cp;
    }
    return 0;
}

/* Appends cp as UTF-8 at out + *n when it fits before cap - 1. */
static int put_utf8(uint32_t cp, char *out, size_t cap, size_t *n) {
    unsigned char b[4];
    size_t w;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp, w = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | cp >> 6), b[1] = (unsigned char)(0x80 | (cp & 0x3f)), w = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | cp >> 12), b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f)), w = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | cp >> 18), b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        w = 4;
    }
    if (*n + w + 1 > cap)
        return -1;
    memcpy(out + *n, b, w);
    *n += w;
    return 0;
}

void sms_decode(const unsigned char *in, size_t len, int data_coding, char *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        if (data_coding == 0) {
            unsigned c = in[i++] & 0x7f;
            if (c == 0x1b && i < len) {
                unsigned e = in[i++] & 0x7f;
                cp = '?';
                for (size_t k = 0; k < sizeof gsm_extension_codes; k++)
                    if (gsm_extension_codes[k] == e)
                        cp = table_at(gsm_extension, k);
            } else {
                cp = c == 0x1b ? ' ' : table_at(gsm_basic, c < 0x1b ? c : c - 1);
            }
        } else if (data_coding == 8) {
            if (i + 1 >= len)
                break;
            cp = (uint32_t)in[i] << 8 | in[i + 1];
            i += 2;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < len) {
                uint32_t lo = (uint32_t)in[i] << 8 | in[i + 1];
                i += 2;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
        } else {
            cp = in[i++];
        }
        if (cp == 0 && data_coding != 0)
            break;
        if (put_utf8(cp, out, cap, &n) != 0)
            break;
    }
    if (cap)
        out[n] = '\0';
}

/* Segments of a concatenated message: characters are packed in order and
 * a character (an escaped GSM-7 pair, a UTF-16 surrogate pair) is never
 * split across two segments. */
static size_t pack(const char *text, int gsm, size_t per_segment) {
    size_t segments = 1, used = 0;
    for (size_t i = 0; text[i];) {
        uint32_t cp = next_cp(text, &i);
        size_t w = gsm ? (in_table(gsm_basic, cp) ? 1 : 2) : (cp > 0xffff ? 2 : 1);
        if (used + w > per_segment) {
            segments++;
            used = 0;
        }
        used += w;
    }
    return segments;
}

void sms_count(const char *text, struct sms_info *out) {
    size_t septets = 0, utf16 = 0;
    int gsm = 1;
    for (size_t i = 0; text[i];) {
        uint32_t cp = next_cp(text, &i);
        utf16 += cp > 0xffff ? 2 : 1;
        if (gsm) {
            if (in_table(gsm_basic, cp))
                septets += 1;
            else if (in_table(gsm_extension, cp))
                septets += 2;
            else
                gsm = 0;
        }
    }
    if (gsm) {
        out->encoding = "GSM-7";
        out->units = septets;
        out->segments = septets <= 160 ? 1 : pack(text, 1, 153);
    } else {
        out->encoding = "UCS-2";
        out->units = utf16;
        out->segments = utf16 <= 70 ? 1 : pack(text, 0, 67);
    }
}
