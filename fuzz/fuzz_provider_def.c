/* fuzz_provider_def.c - PUT /v1/admin/providers/{name}: the provider name
 * from the path and the JSON body through provider_def_from_json
 * (src/domain/provider_def.c), then its answer (provider_def_to_json).
 * Input: the name, "\n", the JSON body.
 * Invariants: an error's field and message are valid UTF-8 and the message
 * is not empty; an accepted provider has a valid name equal to the path's,
 * a type that carries some channel, settings that are an object, and an
 * answer that never holds a secret setting's value, lists the secrets set,
 * and is accepted again as the same provider (once its secrets are put
 * back). */
#include "fuzz.h"

#include "domain/provider_def.h"
#include "util/utf8.h"

static void check_answer(const struct provider_def *d, const char *name) {
    json_t *out = provider_def_to_json(d);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(json_is_array(json_object_get(out, "secrets_set")));
    const char *key;
    json_t *v;
    json_object_foreach(out, key, v) FUZZ_CHECK(!provider_setting_is_secret(key));
    /* the answer, minus what is rendered only, plus the secrets, is the
     * same provider */
    json_object_del(out, "builtin");
    json_object_del(out, "secrets_set");
    json_object_foreach(d->settings, key, v) {
        if (provider_setting_is_secret(key))
            json_object_set(out, key, v);
    }
    struct provider_def again;
    struct verr e;
    FUZZ_CHECK(provider_def_from_json(name, out, 1, &again, &e) == 0);
    FUZZ_CHECK(strcmp(again.type, d->type) == 0);
    FUZZ_CHECK(json_equal(again.settings, d->settings));
    provider_def_clear(&again);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    char *name = fuzz_line(&in);
    json_t *body = json_loadb((const char *)in.p, in.n,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    struct provider_def d;
    struct verr e;
    if (json_is_object(body) && provider_def_from_json(name, body, 1, &d, &e) == 0) {
        FUZZ_CHECK(provider_name_valid(d.name) && strcmp(d.name, name) == 0);
        FUZZ_CHECK(json_is_object(d.settings));
        int carries = 0;
        for (int ch = 0; ch < CHANNEL_COUNT; ch++)
            carries |= provider_type_carries(d.type, (enum channel)ch);
        FUZZ_CHECK(carries);
        check_answer(&d, name);
        provider_def_clear(&d);
    } else if (json_is_object(body)) {
        FUZZ_CHECK_VERR(e);
    }
    json_decref(body);
    free(name);
    return 0;
}
