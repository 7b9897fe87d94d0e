/* json_check.c - see json_check.h. */
#include "util/json_check.h"

#include <stdio.h>
#include <string.h>

int json_prescan(const char *p, size_t n, const struct json_limits *lim) {
    size_t containers = 0, items = 1;
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_string) {
            if (c == '\\')
                i++; /* skip the escaped character */
            else if (c == '"')
                in_string = 0;
            continue;
        }
        switch (c) {
        case '"':
            in_string = 1;
            break;
        case '{':
        case '[':
            if (++containers > lim->max_containers)
                return JSON_CHECK_TOO_MANY;
            items++;
            break;
        case ',':
        case ':':
            if (++items > lim->max_items)
                return JSON_CHECK_TOO_MANY;
            break;
        default:
            break;
        }
    }
    return items > lim->max_items ? JSON_CHECK_TOO_MANY : JSON_CHECK_OK;
}

/* Appends ".key" (or "key" at the top) or "[i]" to path; cut paths stay
 * NUL-terminated. */
static size_t path_push_key(char *path, size_t cap, size_t len, const char *key) {
    if (len >= cap)
        return len;
    int n = snprintf(path + len, cap - len, "%s%s", len ? "." : "", key);
    return n < 0 ? len : (len + (size_t)n < cap ? len + (size_t)n : cap - 1);
}

static size_t path_push_index(char *path, size_t cap, size_t len, size_t index) {
    if (len >= cap)
        return len;
    int n = snprintf(path + len, cap - len, "[%zu]", index);
    return n < 0 ? len : (len + (size_t)n < cap ? len + (size_t)n : cap - 1);
}

static int walk(json_t *v, int depth, int max_depth, const char *skip_key, char *path, size_t cap,
                size_t len) {
    if (json_is_string(v))
        return memchr(json_string_value(v), '\0', json_string_length(v)) ? JSON_CHECK_NUL
                                                                         : JSON_CHECK_OK;
    if (!json_is_object(v) && !json_is_array(v))
        return JSON_CHECK_OK;
    if (depth > max_depth)
        return JSON_CHECK_DEPTH;
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child) {
            if (depth == 1 && skip_key && strcmp(key, skip_key) == 0)
                continue;
            size_t l = path_push_key(path, cap, len, key);
            int rc = walk(child, depth + 1, max_depth, NULL, path, cap, l);
            if (rc != JSON_CHECK_OK)
                return rc;
            path[len] = '\0';
        }
    } else {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) {
            size_t l = path_push_index(path, cap, len, i);
            int rc = walk(child, depth + 1, max_depth, NULL, path, cap, l);
            if (rc != JSON_CHECK_OK)
                return rc;
            path[len] = '\0';
        }
    }
    return JSON_CHECK_OK;
}

int json_find_unsafe(json_t *v, int max_depth, const char *skip_key, char *path, size_t cap) {
    if (cap)
        path[0] = '\0';
    return walk(v, 1, max_depth, skip_key, path, cap, 0);
}
