/* json_fixture.h - J(): JSON for unit tests written with single quotes
 * ("{'a': 1}" reads as {"a": 1}), any JSON value; a text that does not
 * parse fails the test. Include after <cmocka.h>. New reference. */
#ifndef CAMPAIGND_JSON_FIXTURE_H
#define CAMPAIGND_JSON_FIXTURE_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static inline json_t *J(const char *sq) {
    size_t n = strlen(sq);
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i <= n; i++)
        s[i] = sq[i] == '\'' ? '"' : sq[i];
    json_error_t err;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &err);
    if (!v)
        fail_msg("bad test JSON %s: %s", s, err.text);
    free(s);
    return v;
}

#endif
