/* template.c - placeholder checks and rendering, see template.h. */
#include "domain/template.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a placeholder at p ("{{"); on success returns its length and the
 * name in name (65 bytes); 0 when malformed. */
static size_t placeholder(const char *p, char name[65]) {
    const char *s = p + 2;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = 0;
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    if (n > 64)
        return 0;
    memcpy(name, s, n);
    name[n] = '\0';
    s += n;
    while (*s == ' ' || *s == '\t')
        s++;
    if (s[0] != '}' || s[1] != '}')
        return 0;
    return (size_t)(s + 2 - p);
}

int template_check(const char *tmpl, const char **why) {
    char name[65];
    for (const char *p = strstr(tmpl, "{{"); p; p = strstr(p, "{{")) {
        size_t len = placeholder(p, name);
        if (!len) {
            *why = "has a malformed placeholder: write {{name}} with a param name of letters, "
                   "digits and _";
            return -1;
        }
        p += len;
    }
    return 0;
}

int template_render(const char *tmpl, json_t *params, char **out, char missing[65]) {
    if (!tmpl) { /* a stored config that lost its text: nothing to send */
        missing[0] = '\0';
        return -1;
    }
    struct buf b;
    buf_init(&b, (size_t)1 << 24);
    const char *p = tmpl;
    for (;;) {
        const char *open = strstr(p, "{{");
        char name[65];
        size_t len = open ? placeholder(open, name) : 0;
        if (!open) {
            buf_appends(&b, p);
            break;
        }
        buf_append(&b, p, (size_t)(open - p));
        if (!len) { /* not a placeholder: literal braces */
            buf_append(&b, "{{", 2);
            p = open + 2;
            continue;
        }
        json_t *v = params ? json_object_get(params, name) : NULL;
        if (!v || json_is_null(v)) {
            snprintf(missing, 65, "%s", name);
            buf_free(&b);
            return -1;
        }
        if (json_is_string(v)) {
            buf_append(&b, json_string_value(v), json_string_length(v));
        } else if (json_is_real(v)) {
            /* the shortest text that reads back as the same number: 0.1,
             * not 0.10000000000000001 */
            char num[40];
            double d = json_real_value(v);
            for (int prec = 1; prec <= 17; prec++) {
                snprintf(num, sizeof num, "%.*g", prec, d);
                if (strtod(num, NULL) == d)
                    break;
            }
            buf_appends(&b, num);
            if (!strpbrk(num, ".eEn"))
                buf_append(&b, ".0", 2); /* a real stays a real: 3.0 */
        } else {
            char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            buf_appends(&b, text ? text : "");
            free(text);
        }
        p = open + len;
    }
    *out = buf_steal(&b);
    return 0;
}
