/* fuzz_template.c - message templates: template_check and template_render
 * (src/domain/template.c) on any text, as config.body and WhatsApp
 * template parameters are checked at create and rendered at send.
 * Input: the template, then optionally NUL and a JSON object of params.
 * Invariants: rendering with no params either fails or copies the text
 * unchanged; a failed render names a param the params lack; a check that
 * fails says why; every template renders once every param it names is
 * given (a malformed placeholder is literal text); valid UTF-8 in gives
 * valid UTF-8 out (sms.c needs it). */
#include "fuzz.h"

#include "domain/recipient.h"
#include "domain/template.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    const uint8_t *nul = memchr(data, '\0', size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    char *tmpl = malloc(tlen + 1);
    FUZZ_CHECK(tmpl != NULL);
    memcpy(tmpl, data, tlen);
    tmpl[tlen] = '\0';
    in.p += nul ? tlen + 1 : tlen;
    in.n -= nul ? tlen + 1 : tlen;
    json_t *params = json_loadb((const char *)in.p, in.n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(params)) {
        json_decref(params);
        params = json_object();
    }

    char *out = NULL, missing[65];
    if (template_render(tmpl, NULL, &out, missing) == 0) {
        FUZZ_CHECK(strcmp(out, tmpl) == 0);
        free(out);
    } else {
        FUZZ_CHECK(recipient_param_name_valid(missing));
    }

    const char *why = NULL;
    FUZZ_CHECK(template_check(tmpl, &why) == 0 || (why && why[0]));
    int utf8_in = utf8_valid(tmpl, tlen);
    /* fill each missing param in turn (a placeholder takes 5 bytes or more) */
    int rendered = 0;
    for (size_t round = 0; !rendered && round <= tlen / 5 + 1; round++) {
        out = NULL;
        if (template_render(tmpl, params, &out, missing) == 0) {
            if (utf8_in && recipient_params_valid(params))
                FUZZ_CHECK(utf8_valid(out, strlen(out)));
            free(out);
            rendered = 1;
            break;
        }
        json_t *had = json_object_get(params, missing);
        FUZZ_CHECK(recipient_param_name_valid(missing) && (!had || json_is_null(had)));
        json_object_set_new(params, missing, json_string(round % 2 ? "Ada" : "{{x}}"));
    }
    FUZZ_CHECK(rendered);
    json_decref(params);
    free(tmpl);
    return 0;
}
