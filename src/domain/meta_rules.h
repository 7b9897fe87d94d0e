/* meta_rules.h - what the WhatsApp Cloud API's wire means, as pure
 * functions (contract, Providers, meta_whatsapp): the template send's JSON
 * body, the answer to it turned into a fate, the webhook's GET handshake
 * and X-Hub-Signature-256, and a webhook POST's body read into the
 * statuses and inbound messages it carries. No I/O, no clock (time is an
 * argument); thread-safe. */
#ifndef CAMPAIGND_META_RULES_H
#define CAMPAIGND_META_RULES_H

#include "domain/types.h"
#include "domain/verr.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- sends ---- */

/* The body of POST {base_url}/{api_version}/{sender}/messages for a
 * template send to `to` (E.164; sent without its '+') of the template an
 * attempt carries (wa_template_fill's JSON: name, language, parameters and
 * the optional header and buttons, see wa_template.h). 0 and a new string
 * in *out; -1 with *why when the template is unusable. */
int meta_send_body(const char *to, const char *template_json, char **out, const char **why);
/* 1 when a sender (a phone number id) can go into the request path as it
 * is: 1..64 of letters, digits, '_' and '-'. */
int meta_sender_valid(const char *sender);

enum meta_fate {
    META_ACCEPTED, /* 2xx: Meta has it; wamid names it */
    META_REJECTED, /* this attempt fails; error_code is Meta's error.code */
    META_PUT_BACK  /* 130429, 131056, HTTP 429 or 5xx: over its limits or down */
};

struct meta_answer {
    enum meta_fate fate;
    char wamid[64];         /* accepted: messages[0].id ("" when absent) */
    char error_code[32];    /* rejected: error.code, else "http_<status>" */
    int64_t retry_after_ms; /* put back: Retry-After (0: the engine's backoff) */
};

void meta_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                      struct meta_answer *out);

/* ---- the webhook ---- */

/* GET ...?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C: 1 when
 * mode is "subscribe", T equals verify_token (constant time) and C is 1..256
 * of letters, digits, '-', '_' and '.' (Meta sends a number; the answer
 * echoes it, so nothing else is echoed); 0 otherwise (NULLs too). */
int meta_handshake_ok(const char *mode, const char *token, const char *challenge,
                      const char *verify_token);
/* 1 when header is "sha256=" + the lowercase or uppercase hex of
 * HMAC-SHA256(app_secret, body), compared in constant time. */
int meta_signature_valid(const char *app_secret, const void *body, size_t n, const char *header);
/* "sha256=<hex>" of body under app_secret (what Meta sends); out: 72 bytes. */
void meta_signature(const char *app_secret, const void *body, size_t n, char out[72]);

/* One entry[].changes[].value.statuses[] item. */
struct meta_status {
    char wamid[64];              /* a longer id is none this server sent: ignored */
    enum message_status mstatus; /* sent, delivered, read; failed -> undelivered */
    int64_t at;                  /* timestamp (s) in ms; now when absent or malformed */
    int timed;                   /* 1 when the status carried a timestamp */
    char error_code[32];         /* errors[0].code, or "" */
    char pricing_category[32];   /* pricing.category, or "" */
    char phone_number_id[64];    /* value.metadata.phone_number_id */
};

/* One entry[].changes[].value.messages[] item of type text. */
struct meta_inbound {
    char phone_number_id[64]; /* the business number it was sent to */
    char from[20];            /* E.164, '+' added */
    char *text;               /* text.body (owned) */
};

struct meta_webhook {
    struct meta_status *statuses;
    size_t nstatuses;
    struct meta_inbound *inbound;
    size_t ninbound;
    size_t ignored; /* items that move nothing: other statuses, non-text messages, other fields */
};

/* Reads a webhook body (an object, as Meta posts it: {"object":
 * "whatsapp_business_account", "entry": [{"changes": [{"field":
 * "messages", "value": {...}}]}]}) at time now. Statuses sent, delivered,
 * read and failed are kept in order; others (deleted, warning, played, ...)
 * and messages that are not text are counted in ignored. 0 with out filled
 * (meta_webhook_clear), or -1 with e naming the item at fault (a status
 * without id, a text message without from, a shape that is not Meta's). */
int meta_webhook_read(json_t *body, int64_t now, struct meta_webhook *out, struct verr *e);
void meta_webhook_clear(struct meta_webhook *w);

#endif
