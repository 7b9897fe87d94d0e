/* fuzz_json_body.c - the checks every JSON body goes through in server.c
 * before a handler sees it: json_prescan (src/util/json_check.c) on the
 * raw bytes, jansson's parse (duplicate keys rejected, \u0000 allowed),
 * then json_find_unsafe on the tree.
 * Input: one byte of limits (containers 1..16, items 4x that, depth 1..4;
 * bit 7: skip "recipients" as the upload does), then the body.
 * Invariants: a body the prescan lets through has no more containers and
 * items than the limits once parsed; json_find_unsafe answers NUL only
 * when some string it walks holds NUL, DEPTH only when some container it
 * walks is nested deeper than allowed, OK when neither; its path stays
 * inside its buffer. */
#include "fuzz.h"

#include "util/json_check.h"

struct tally {
    size_t containers, items;
    int max_depth, has_nul;
};

/* What json_find_unsafe would walk: skip_key is skipped at the top. */
static void count(json_t *v, int depth, const char *skip_key, struct tally *t) {
    t->items++;
    if (json_is_string(v)) {
        t->has_nul |= memchr(json_string_value(v), '\0', json_string_length(v)) != NULL;
        return;
    }
    if (!json_is_object(v) && !json_is_array(v))
        return;
    t->containers++;
    if (depth > t->max_depth)
        t->max_depth = depth;
    const char *key;
    json_t *child;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, child) {
            t->items++; /* the key */
            if (!(depth == 1 && skip_key && strcmp(key, skip_key) == 0))
                count(child, depth + 1, NULL, t);
        }
    } else {
        json_array_foreach(v, i, child) count(child, depth + 1, NULL, t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    struct json_limits lim = {.max_containers = (data[0] & 15u) + 1u};
    lim.max_items = lim.max_containers * 4;
    int max_depth = (data[0] >> 4 & 3) + 1;
    const char *skip = data[0] & 0x80 ? "recipients" : NULL;
    const char *body = (const char *)data + 1;
    int scan = json_prescan(body, size - 1, &lim);
    FUZZ_CHECK(scan == JSON_CHECK_OK || scan == JSON_CHECK_TOO_MANY);
    json_t *v =
        json_loadb(body, size - 1, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v)
        return 0;
    struct tally all = {0};
    count(v, 1, NULL, &all);
    if (scan == JSON_CHECK_OK)
        FUZZ_CHECK(all.containers <= lim.max_containers && all.items <= lim.max_items);

    char path[32];
    memset(path, 'x', sizeof path);
    int rc = json_find_unsafe(v, max_depth, skip, path, sizeof path);
    FUZZ_CHECK(memchr(path, '\0', sizeof path) != NULL);
    struct tally walked = {0};
    count(v, 1, skip, &walked);
    if (rc == JSON_CHECK_NUL)
        FUZZ_CHECK(walked.has_nul);
    else if (rc == JSON_CHECK_DEPTH)
        FUZZ_CHECK(walked.max_depth > max_depth);
    else
        FUZZ_CHECK(rc == JSON_CHECK_OK && !walked.has_nul && walked.max_depth <= max_depth);
    json_decref(v);
    return 0;
}
