/* fuzz_meta.c - the WhatsApp Cloud API's wire (src/domain/meta_rules.c) and
 * a whatsapp template's header and buttons (src/domain/wa_template.c).
 * Input: one byte choosing the part, then:
 *   0: a webhook body (meta_webhook_read): accepted, every status has a
 *      wamid that fits, one of sent / delivered / read / undelivered, a
 *      time, codes and ids that fit; every inbound message an E.164 sender
 *      and its text; refused, a valid error and nothing kept;
 *   1: two bytes of HTTP status, then an answer body (meta_answer_read):
 *      2xx without a throttle code is accepted, a refusal has a code, a
 *      throttle is never accepted;
 *   2: a number line, then a template (wa_template_check_extras, then
 *      wa_template_fill with params {"p": "v"}, then meta_send_body): a
 *      template whose header and buttons pass the check and that fills has
 *      a send body that is JSON in Meta's shape with the number's digits;
 *   3: a verify token line, a challenge line, then a body: the handshake
 *      echoes only a challenge of letters, digits, '-', '_', '.' and a
 *      signature made by meta_signature is valid, one byte off is not. */
#include "fuzz.h"

#include "domain/meta_rules.h"
#include "domain/phone.h"
#include "domain/wa_template.h"

#include <ctype.h>

static void webhook(const struct fuzz_input *in) {
    json_t *body = json_loadb((const char *)in->p, in->n,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!body)
        return;
    struct meta_webhook w;
    struct verr e;
    if (meta_webhook_read(body, 1765000000000, &w, &e) == 0) {
        for (size_t i = 0; i < w.nstatuses; i++) {
            const struct meta_status *s = &w.statuses[i];
            FUZZ_CHECK(s->wamid[0] && strlen(s->wamid) < sizeof s->wamid);
            FUZZ_CHECK(s->mstatus == MSG_SENT || s->mstatus == MSG_DELIVERED ||
                       s->mstatus == MSG_READ || s->mstatus == MSG_UNDELIVERED);
            FUZZ_CHECK(s->at > 0);
            FUZZ_CHECK(strlen(s->error_code) < sizeof s->error_code);
        }
        for (size_t i = 0; i < w.ninbound; i++) {
            FUZZ_CHECK(phone_is_e164(w.inbound[i].from));
            FUZZ_CHECK(w.inbound[i].text && w.inbound[i].phone_number_id[0]);
        }
        meta_webhook_clear(&w);
    } else {
        FUZZ_CHECK_VERR(e);
        FUZZ_CHECK(!w.statuses && !w.inbound && !w.nstatuses && !w.ninbound);
    }
    json_decref(body);
}

static void answer(struct fuzz_input *in) {
    long status = fuzz_byte(in);
    status = status * 256 + fuzz_byte(in);
    struct meta_answer a;
    meta_answer_read(status, (const char *)in->p, in->n, 0, &a);
    if (a.fate == META_ACCEPTED)
        FUZZ_CHECK(status >= 200 && status < 300);
    if (a.fate == META_REJECTED)
        FUZZ_CHECK(a.error_code[0] && status < 500 && status != 429);
    if (status == 429 || status >= 500)
        FUZZ_CHECK(a.fate == META_PUT_BACK);
}

static void template(struct fuzz_input *in) {
    char *to = fuzz_line(in);
    json_t *t = json_loadb((const char *)in->p, in->n, JSON_REJECT_DUPLICATES, NULL);
    struct verr e;
    if (json_is_object(t) && wa_template_check_extras(t, &e) == 0) {
        json_t *params = json_pack("{s:s}", "p", "v");
        char *filled = NULL, missing[65];
        if (wa_template_fill(t, params, &filled, missing) == 0) {
            char *body = NULL;
            const char *why = NULL;
            int usable = json_is_string(json_object_get(t, "name")) &&
                         json_is_string(json_object_get(t, "language"));
            json_t *list = json_object_get(t, "parameters");
            size_t i;
            json_t *p;
            if (list && !json_is_null(list) && !json_is_array(list))
                usable = 0;
            json_array_foreach(list, i, p) usable = usable && json_is_string(p);
            int rc = meta_send_body(to, filled, &body, &why);
            if (usable && to[0] == '+' && phone_is_e164(to))
                FUZZ_CHECK(rc == 0);
            if (rc == 0) {
                json_t *b = json_loads(body, 0, NULL);
                FUZZ_CHECK(b);
                FUZZ_CHECK(strcmp(json_string_value(json_object_get(b, "to")), to + 1) == 0);
                FUZZ_CHECK(strcmp(json_string_value(json_object_get(b, "messaging_product")),
                                  "whatsapp") == 0);
                json_decref(b);
                free(body);
            } else {
                FUZZ_CHECK(why && !body);
            }
            free(filled);
        } else {
            FUZZ_CHECK(!filled);
        }
        json_decref(params);
    } else if (json_is_object(t)) {
        FUZZ_CHECK_VERR(e);
    }
    json_decref(t);
    free(to);
}

static void signature(struct fuzz_input *in) {
    char *token = fuzz_line(in);
    char *challenge = fuzz_line(in);
    if (meta_handshake_ok("subscribe", token, challenge, token)) {
        FUZZ_CHECK(challenge[0] && strlen(challenge) <= 256);
        for (const char *c = challenge; *c; c++)
            FUZZ_CHECK(isalnum((unsigned char)*c) || strchr("-_.", *c));
    }
    char sig[72];
    meta_signature(token, in->p, in->n, sig);
    FUZZ_CHECK(meta_signature_valid(token, in->p, in->n, sig));
    sig[7 + (in->n % 64)] = sig[7 + (in->n % 64)] == '0' ? '1' : '0';
    FUZZ_CHECK(!meta_signature_valid(token, in->p, in->n, sig));
    free(token);
    free(challenge);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    switch (fuzz_byte(&in) % 4) {
    case 0:
        webhook(&in);
        break;
    case 1:
        answer(&in);
        break;
    case 2:
        template(&in);
        break;
    default:
        signature(&in);
        break;
    }
    return 0;
}
