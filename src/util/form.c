/* form.c - form encoding and parsing, see form.h. */
#include "util/form.h"
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

static int unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static const char hex[] = "0123456789ABCDEF";

/* form: '*' '-' '.' '_' kept, ' ' as '+', the rest %XX (WHATWG) */
static int form_encode(struct buf *b, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        int rc;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '*' || c == '-' || c == '.' || c == '_')
            rc = buf_append(b, p, 1);
        else if (c == ' ')
            rc = buf_append(b, "+", 1);
        else
            rc = buf_append(b, enc, 3);
        if (rc)
            return rc;
    }
    return 0;
}

int form_add(struct buf *b, const char *name, const char *value) {
    if (b->len && buf_append(b, "&", 1))
        return BUF_ETOOBIG;
    if (form_encode(b, name) || buf_append(b, "=", 1) || form_encode(b, value))
        return BUF_ETOOBIG;
    return 0;
}

int url_encode_component(struct buf *b, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (unreserved(*p) ? buf_append(b, p, 1) : buf_append(b, enc, 3))
            return BUF_ETOOBIG;
    }
    return 0;
}

int form_hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into a new string; *len its length. */
static char *decode(const char *s, size_t n, size_t *len) {
    char *out = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            out[k++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && (hi = form_hex_value(s[i + 1])) >= 0 &&
                   (lo = form_hex_value(s[i + 2])) >= 0) {
            out[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    *len = k;
    return out;
}

int form_parse(const char *body, size_t n, size_t max_fields, struct form *out) {
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(body + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - body) : n;
        if (end > i) {
            if (out->n == max_fields) {
                form_clear(out);
                return -1;
            }
            if (out->n == cap) {
                cap = cap ? cap * 2 : 16;
                out->fields = xrealloc(out->fields, cap * sizeof *out->fields);
            }
            const char *eq = memchr(body + i, '=', end - i);
            size_t name_end = eq ? (size_t)(eq - body) : end;
            struct form_field *f = &out->fields[out->n++];
            f->name = decode(body + i, name_end - i, &f->name_len);
            f->value = eq ? decode(eq + 1, end - name_end - 1, &f->value_len) : xstrdup("");
            if (!eq)
                f->value_len = 0;
        }
        i = end + 1;
    }
    return 0;
}

const char *form_get(const struct form *f, const char *name) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return f->fields[i].value;
    return NULL;
}

void form_clear(struct form *f) {
    for (size_t i = 0; i < f->n; i++) {
        free(f->fields[i].name);
        free(f->fields[i].value);
    }
    free(f->fields);
    memset(f, 0, sizeof *f);
}
