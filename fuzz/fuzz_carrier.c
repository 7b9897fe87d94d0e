/* fuzz_carrier.c - PUT /v1/admin/carriers/{name}: the carrier name from
 * the path and the JSON body through carrier_from_json
 * (src/domain/carrier.c), then its rendering and the prefix route table
 * built from it.
 * Input: the name, "\n", the JSON body.
 * Invariants: an error's field and message are valid UTF-8; an accepted
 * carrier has a valid name, valid limits and at most 1000 prefixes, renders
 * to JSON that is accepted again as the same carrier, and every prefix
 * routes to it (also with digits after it), while a key that none of its
 * prefixes starts routes nowhere. */
#include "fuzz.h"

#include "domain/carrier.h"
#include "util/utf8.h"

#include <math.h>

static void check_same(const struct carrier *a, const struct carrier *b) {
    FUZZ_CHECK(strcmp(a->name, b->name) == 0 && a->channel == b->channel);
    FUZZ_CHECK(a->rate_per_second == b->rate_per_second && a->burst == b->burst);
    FUZZ_CHECK(a->max_concurrent == b->max_concurrent && a->builtin == b->builtin);
    FUZZ_CHECK(a->nprefixes == b->nprefixes);
    for (size_t i = 0; i < a->nprefixes; i++)
        FUZZ_CHECK(strcmp(a->prefixes[i], b->prefixes[i]) == 0);
}

static int starts_some_prefix(const struct carrier *c, const char *key) {
    for (size_t i = 0; i < c->nprefixes; i++)
        if (strncmp(key, c->prefixes[i], strlen(c->prefixes[i])) == 0)
            return 1;
    return 0;
}

static void check_routes(const struct carrier *c, const char *key) {
    struct route_table t;
    route_table_build(&t, c, 1, c->channel);
    FUZZ_CHECK(t.n == c->nprefixes);
    for (size_t i = 0; i < c->nprefixes; i++) {
        char longer[80];
        snprintf(longer, sizeof longer, "%s123", c->prefixes[i]);
        FUZZ_CHECK(route_table_lookup(&t, c->prefixes[i]) == 0);
        FUZZ_CHECK(route_table_lookup(&t, longer) == 0);
    }
    FUZZ_CHECK((route_table_lookup(&t, key) == 0) == starts_some_prefix(c, key));
    route_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    char *name = fuzz_line(&in);
    json_t *body = json_loadb((const char *)in.p, in.n,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    struct carrier c;
    struct verr e;
    if (json_is_object(body) && carrier_from_json(name, body, &c, &e) == 0) {
        FUZZ_CHECK(carrier_name_valid(c.name) && strcmp(c.name, name) == 0);
        FUZZ_CHECK(c.nprefixes <= CARRIER_MAX_PREFIXES);
        FUZZ_CHECK(c.rate_per_second > 0 && c.rate_per_second <= 1e6);
        FUZZ_CHECK(c.burst >= 1 && c.max_concurrent >= 1);
        json_t *again = carrier_to_json(&c);
        FUZZ_CHECK(again != NULL);
        json_object_del(again, "builtin"); /* rendered, never accepted */
        struct carrier c2;
        FUZZ_CHECK(carrier_from_json(name, again, &c2, &e) == 0);
        check_same(&c, &c2);
        carrier_clear(&c2);
        json_decref(again);
        check_routes(&c, name);
        carrier_clear(&c);
    } else if (json_is_object(body)) {
        FUZZ_CHECK_VERR(e);
    }
    json_decref(body);
    free(name);
    return 0;
}
