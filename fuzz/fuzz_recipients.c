/* fuzz_recipients.c - the JSON recipient upload, POST
 * /v1/campaigns/{id}/recipients: jansson parses the body as server.c does,
 * then each item is read as api/recipients.c reads it: phone_number through
 * recipient_check_number (syntax, then libphonenumber's plan:
 * src/domain/recipient.c, phone.c, phone_plan.cc) and params through
 * recipient_params_valid.
 * Input: the JSON body {"recipients": [{"phone_number", "params"}, ...]}
 * (items past the first 64 are not looked at, to keep runs fast).
 * Invariants: an accepted number is E.164 with an ISO region; accepted
 * params survive the store's round trip (json_dumps, then json_loads) and
 * fill a template naming each of their keys. */
#include "fuzz.h"

#include "domain/phone.h"
#include "domain/recipient.h"
#include "domain/template.h"

#include <ctype.h>

static void check_number(json_t *phone) {
    if (!json_is_string(phone))
        return;
    char region[4] = "";
    size_t len = json_string_length(phone);
    enum reject_reason r = recipient_check_number(json_string_value(phone), len, region);
    FUZZ_CHECK(r == REJECT_NONE || r == REJECT_NOT_E164 || r == REJECT_INVALID_NUMBER);
    if (r != REJECT_NONE)
        return;
    FUZZ_CHECK(phone_is_e164(json_string_value(phone)) && len == strlen(json_string_value(phone)));
    FUZZ_CHECK(strcmp(region, "001") == 0 ||
               (strlen(region) == 2 && isupper(region[0]) && isupper(region[1])));
}

static void check_params(json_t *params) {
    if (!recipient_params_valid(params) || !json_is_object(params))
        return;
    char *text = json_dumps(params, JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    json_t *back = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    FUZZ_CHECK(back != NULL && json_equal(back, params));
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v) {
        FUZZ_CHECK(recipient_param_name_valid(key));
        char tmpl[80], missing[65], *out = NULL;
        snprintf(tmpl, sizeof tmpl, "{{%s}}", key);
        FUZZ_CHECK(template_check(tmpl, &(const char *){NULL}) == 0);
        FUZZ_CHECK(template_render(tmpl, back, &out, missing) == 0);
        if (json_is_string(v))
            FUZZ_CHECK(strcmp(out, json_string_value(v)) == 0 ||
                       strlen(json_string_value(v)) != json_string_length(v));
        free(out);
    }
    json_decref(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *body = json_loadb((const char *)data, size,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    json_t *list = json_object_get(body, "recipients");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        if (i == 64)
            break;
        check_number(json_object_get(item, "phone_number"));
        check_params(json_object_get(item, "params"));
    }
    json_decref(body);
    return 0;
}
