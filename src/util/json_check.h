/* json_check.h - limits on JSON bodies from clients, checked twice:
 *
 *  - json_prescan() reads the raw bytes before any tree is built and
 *    counts containers and items, so a 15 MB body of "[{},{},...]" is
 *    refused before jansson allocates millions of nodes (memory a request
 *    can take is bounded by its limits, not by what it sends);
 *  - json_find_unsafe() walks the parsed tree for what jansson accepts but
 *    campaignd must not store: strings holding NUL (kept by JSON_ALLOW_NUL
 *    so fields can be named, but C strings and SQLite's JSON would cut or
 *    refuse them) and nesting deeper than the limit (SQLite's JSON refuses
 *    what jansson takes).
 *
 * Pure functions, no allocation; thread-safe. */
#ifndef CAMPAIGND_JSON_CHECK_H
#define CAMPAIGND_JSON_CHECK_H

#include <jansson.h>
#include <stddef.h>

struct json_limits {
    size_t max_containers; /* objects + arrays */
    size_t max_items;      /* every value and every key */
};

enum json_check_result {
    JSON_CHECK_OK = 0,
    JSON_CHECK_TOO_MANY = -1, /* json_prescan: over a limit */
    JSON_CHECK_NUL = -2,      /* json_find_unsafe: a string holds NUL */
    JSON_CHECK_DEPTH = -3,    /* json_find_unsafe: nested deeper than allowed */
};

/* Counts the containers and items of the n bytes of (possibly malformed)
 * JSON and answers JSON_CHECK_TOO_MANY as soon as one passes its limit,
 * else JSON_CHECK_OK. Malformed input is left for the parser to name. */
int json_prescan(const char *p, size_t n, const struct json_limits *lim);

/* Walks v; on the first string holding NUL answers JSON_CHECK_NUL, on a
 * container nested deeper than max_depth (v itself is depth 1) answers
 * JSON_CHECK_DEPTH; path (cap bytes) then names where, as the contract
 * writes fields ("config.caller_id", "recipients[3].params"). A top-level
 * member named skip_key (may be NULL) is not walked: its handler checks it
 * item by item. JSON_CHECK_OK when nothing is wrong. */
int json_find_unsafe(json_t *v, int max_depth, const char *skip_key, char *path, size_t cap);

#endif
