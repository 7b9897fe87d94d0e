/* meta_rules.c - see meta_rules.h. */
#include "domain/meta_rules.h"
#include "domain/phone.h"
#include "domain/provider_report.h"
#include "util/alloc.h"
#include "util/crypto.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_MAX_ITEMS 100000 /* statuses and messages of one webhook */

/* ---- sends ---- */

int meta_sender_valid(const char *sender) {
    size_t n = sender ? strlen(sender) : 0;
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)sender[i]) || sender[i] == '_' || sender[i] == '-'))
            return 0;
    return 1;
}

static json_t *text_param(const char *type, const char *key, const char *value) {
    return json_pack("{s:s, s:s}", "type", type, key, value);
}

/* {"type": "header", "parameters": [...]} from the template's header. */
static json_t *header_component(json_t *h) {
    const char *type = json_string_value(json_object_get(h, "type"));
    json_t *param;
    if (strcmp(type, "text") == 0) {
        param = text_param("text", "text", json_string_value(json_object_get(h, "text")));
    } else {
        json_t *media = json_pack("{s:s}", "link", json_string_value(json_object_get(h, "link")));
        const char *filename = json_string_value(json_object_get(h, "filename"));
        if (filename && strcmp(type, "document") == 0)
            json_object_set_new(media, "filename", json_string(filename));
        param = json_pack("{s:s, s:o}", "type", type, type, media);
    }
    return json_pack("{s:s, s:[o]}", "type", "header", "parameters", param);
}

static json_t *button_component(json_t *b) {
    const char *sub = json_string_value(json_object_get(b, "sub_type"));
    const char *value = json_string_value(json_object_get(b, "parameter"));
    json_t *param = strcmp(sub, "quick_reply") == 0 ? text_param("payload", "payload", value)
                    : strcmp(sub, "copy_code") == 0
                        ? text_param("coupon_code", "coupon_code", value)
                        : text_param("text", "text", value);
    char index[24];
    snprintf(index, sizeof index, "%lld",
             (long long)json_integer_value(json_object_get(b, "index")));
    return json_pack("{s:s, s:s, s:s, s:[o]}", "type", "button", "sub_type", sub, "index", index,
                     "parameters", param);
}

/* 1 when the template's header and buttons have the shape wa_template.c
 * checked (a stored template is trusted, but never blindly). */
static int extras_usable(json_t *t) {
    json_t *h = json_object_get(t, "header");
    if (h && !json_is_null(h)) {
        const char *type = json_string_value(json_object_get(h, "type"));
        if (!type)
            return 0;
        const char *need = strcmp(type, "text") == 0 ? "text" : "link";
        if (strcmp(type, "text") && strcmp(type, "image") && strcmp(type, "video") &&
            strcmp(type, "document"))
            return 0;
        if (!json_is_string(json_object_get(h, need)))
            return 0;
    }
    json_t *buttons = json_object_get(t, "buttons");
    size_t i;
    json_t *b;
    if (buttons && !json_is_null(buttons) && !json_is_array(buttons))
        return 0;
    json_array_foreach(buttons, i, b) {
        const char *sub = json_string_value(json_object_get(b, "sub_type"));
        if (!sub ||
            (strcmp(sub, "url") && strcmp(sub, "quick_reply") && strcmp(sub, "copy_code")) ||
            !json_is_integer(json_object_get(b, "index")) ||
            !json_is_string(json_object_get(b, "parameter")))
            return 0;
    }
    return 1;
}

int meta_send_body(const char *to, const char *template_json, char **out, const char **why) {
    *out = NULL;
    json_t *t = template_json ? json_loads(template_json, 0, NULL) : NULL;
    const char *name = json_string_value(json_object_get(t, "name"));
    const char *language = json_string_value(json_object_get(t, "language"));
    json_t *params = json_object_get(t, "parameters");
    if (!name || !language || (params && !json_is_null(params) && !json_is_array(params)) ||
        !extras_usable(t)) {
        json_decref(t);
        *why = "the attempt carries no usable template (name, language, parameters)";
        return -1;
    }
    if (!to || to[0] != '+' || !phone_is_e164(to)) {
        json_decref(t);
        *why = "the recipient's number is not E.164";
        return -1;
    }
    json_t *components = json_array();
    json_t *h = json_object_get(t, "header");
    if (json_is_object(h))
        json_array_append_new(components, header_component(h));
    if (json_array_size(params) > 0) {
        json_t *list = json_array();
        size_t i;
        json_t *p;
        json_array_foreach(params, i, p) {
            if (!json_is_string(p)) {
                json_decref(list);
                json_decref(components);
                json_decref(t);
                *why = "a template parameter is not a string";
                return -1;
            }
            json_array_append_new(list, text_param("text", "text", json_string_value(p)));
        }
        json_array_append_new(components,
                              json_pack("{s:s, s:o}", "type", "body", "parameters", list));
    }
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(t, "buttons"), i, b)
        json_array_append_new(components, button_component(b));
    json_t *tpl = json_pack("{s:s, s:{s:s}}", "name", name, "language", "code", language);
    if (json_array_size(components) > 0)
        json_object_set_new(tpl, "components", components);
    else
        json_decref(components);
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:o}", "messaging_product", "whatsapp", "recipient_type",
                  "individual", "to", to + 1, "type", "template", "template", tpl);
    *out = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_decref(t);
    return 0;
}

void meta_answer_read(long status, const char *body, size_t n, int64_t retry_after_ms,
                      struct meta_answer *out) {
    memset(out, 0, sizeof *out);
    json_t *j = json_loadb(body ? body : "", body ? n : 0, 0, NULL);
    json_t *code = json_object_get(json_object_get(j, "error"), "code");
    long long code_value = json_is_integer(code) ? (long long)json_integer_value(code) : 0;
    if (status == 429 || status >= 500 || code_value == 130429 || code_value == 131056) {
        out->fate = META_PUT_BACK;
        out->retry_after_ms = retry_after_ms > 0 ? retry_after_ms : 0;
    } else if (status >= 200 && status < 300) {
        out->fate = META_ACCEPTED;
        const char *id = json_string_value(
            json_object_get(json_array_get(json_object_get(j, "messages"), 0), "id"));
        snprintf(out->wamid, sizeof out->wamid, "%s", id ? id : "");
    } else {
        out->fate = META_REJECTED;
        provider_error_code(code, status, out->error_code);
    }
    json_decref(j);
}

/* ---- the webhook: handshake and signature ---- */

int meta_handshake_ok(const char *mode, const char *token, const char *challenge,
                      const char *verify_token) {
    if (!mode || !token || !challenge || !verify_token || strcmp(mode, "subscribe") != 0)
        return 0;
    size_t n = strlen(challenge);
    if (n < 1 || n > 256)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)challenge[i]) && !strchr("-_.", challenge[i]))
            return 0;
    return crypto_str_equal(token, verify_token);
}

void meta_signature(const char *app_secret, const void *body, size_t n, char out[72]) {
    uint8_t mac[32];
    crypto_hmac_sha256(app_secret, strlen(app_secret), n ? body : "", n, mac);
    memcpy(out, "sha256=", 7);
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
}

int meta_signature_valid(const char *app_secret, const void *body, size_t n, const char *header) {
    if (!app_secret || !header || strlen(header) != 71 || strncmp(header, "sha256=", 7) != 0)
        return 0;
    char want[72], got[72];
    meta_signature(app_secret, body, n, want);
    for (size_t i = 0; i < 71; i++)
        got[i] = (char)tolower((unsigned char)header[i]);
    got[71] = '\0';
    return crypto_equal(want, got, 71);
}

/* ---- the webhook: its body ---- */

/* A JSON path into the body, cut to fit (verr keeps 160 bytes anyway). */
static void pathf(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pathf(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

struct reader {
    struct meta_webhook *w;
    size_t capstatuses, capinbound;
    int64_t now;
    struct verr *e;
};

/* A timestamp (unix seconds, a string or a number) in ms; 0 when absent
 * or malformed. */
static int64_t seconds_ms(json_t *ts) {
    const char *s = json_string_value(ts);
    long long v = 0;
    if (json_is_integer(ts)) {
        v = (long long)json_integer_value(ts);
    } else if (s && *s && strlen(s) <= 12) {
        for (const char *p = s; *p; p++) {
            if (!isdigit((unsigned char)*p))
                return 0;
            v = v * 10 + (*p - '0');
        }
    }
    return v > 0 && v < 100000000000LL ? (int64_t)v * 1000 : 0;
}

static int status_of(const char *s, enum message_status *out) {
    static const struct {
        const char *name;
        enum message_status m;
    } map[] = {{"sent", MSG_SENT},
               {"delivered", MSG_DELIVERED},
               {"read", MSG_READ},
               {"failed", MSG_UNDELIVERED}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, s) == 0) {
            *out = map[i].m;
            return 0;
        }
    return -1;
}

/* items with room for one more past n (cap grows by doubling). */
static void *grow(void *items, size_t *cap, size_t n, size_t size) {
    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 16;
    return xrealloc(items, *cap * size);
}

static int too_many(struct reader *r, const char *path) {
    return verr_set(r->e, path, "a webhook carries at most %d statuses and messages",
                    META_MAX_ITEMS);
}

static int read_status(struct reader *r, json_t *s, const char *pnid, const char *path) {
    char f[200];
    if (!json_is_object(s))
        return verr_set(r->e, path, "%s must be an object", path);
    const char *id = json_string_value(json_object_get(s, "id"));
    if (!id || !id[0]) {
        pathf(f, sizeof f, "%s.id", path);
        return verr_set(r->e, f, "%s must be the message's id (wamid)", f);
    }
    const char *st = json_string_value(json_object_get(s, "status"));
    if (!st) {
        pathf(f, sizeof f, "%s.status", path);
        return verr_set(r->e, f, "%s must be a string", f);
    }
    enum message_status m;
    if (status_of(st, &m) != 0 || strlen(id) >= sizeof r->w->statuses[0].wamid) {
        r->w->ignored++;
        return 0;
    }
    if (r->w->nstatuses >= META_MAX_ITEMS)
        return too_many(r, path);
    r->w->statuses = grow(r->w->statuses, &r->capstatuses, r->w->nstatuses, sizeof *r->w->statuses);
    struct meta_status *o = &r->w->statuses[r->w->nstatuses++];
    memset(o, 0, sizeof *o);
    snprintf(o->wamid, sizeof o->wamid, "%s", id);
    o->mstatus = m;
    int64_t at = seconds_ms(json_object_get(s, "timestamp"));
    o->timed = at != 0;
    o->at = at ? at : r->now;
    json_t *code = json_object_get(json_array_get(json_object_get(s, "errors"), 0), "code");
    if (json_is_integer(code))
        snprintf(o->error_code, sizeof o->error_code, "%lld", (long long)json_integer_value(code));
    else if (json_is_string(code))
        snprintf(o->error_code, sizeof o->error_code, "%s", json_string_value(code));
    const char *cat = json_string_value(json_object_get(json_object_get(s, "pricing"), "category"));
    snprintf(o->pricing_category, sizeof o->pricing_category, "%s", cat ? cat : "");
    snprintf(o->phone_number_id, sizeof o->phone_number_id, "%s", pnid);
    return 0;
}

static int read_message(struct reader *r, json_t *m, const char *pnid, const char *path) {
    char f[200];
    if (!json_is_object(m))
        return verr_set(r->e, path, "%s must be an object", path);
    const char *type = json_string_value(json_object_get(m, "type"));
    const char *text = json_string_value(json_object_get(json_object_get(m, "text"), "body"));
    if (!type || strcmp(type, "text") != 0 || !text) {
        r->w->ignored++;
        return 0;
    }
    const char *from = json_string_value(json_object_get(m, "from"));
    char e164[20];
    if (!from || strlen(from) > 15 ||
        (snprintf(e164, sizeof e164, "+%s", from), !phone_is_e164(e164))) {
        pathf(f, sizeof f, "%s.from", path);
        return verr_set(r->e, f, "%s must be the sender's number, digits without '+'", f);
    }
    if (!pnid[0]) {
        pathf(f, sizeof f, "%s", path);
        return verr_set(r->e, f, "%s comes with no metadata.phone_number_id", f);
    }
    if (r->w->ninbound >= META_MAX_ITEMS)
        return too_many(r, path);
    r->w->inbound = grow(r->w->inbound, &r->capinbound, r->w->ninbound, sizeof *r->w->inbound);
    struct meta_inbound *o = &r->w->inbound[r->w->ninbound++];
    memset(o, 0, sizeof *o);
    snprintf(o->phone_number_id, sizeof o->phone_number_id, "%s", pnid);
    snprintf(o->from, sizeof o->from, "%s", e164);
    o->text = xstrdup(text);
    return 0;
}

static int read_value(struct reader *r, json_t *v, const char *path) {
    char f[200];
    if (!json_is_object(v))
        return verr_set(r->e, path, "%s must be an object", path);
    json_t *pn = json_object_get(json_object_get(v, "metadata"), "phone_number_id");
    const char *pnid = json_string_value(pn);
    if (pn && (!pnid || strlen(pnid) >= sizeof r->w->statuses[0].phone_number_id)) {
        pathf(f, sizeof f, "%s.metadata.phone_number_id", path);
        return verr_set(r->e, f, "%s must be a string of at most 63 bytes", f);
    }
    static const char *const lists[] = {"statuses", "messages"};
    for (size_t k = 0; k < 2; k++) {
        json_t *list = json_object_get(v, lists[k]);
        if (!list || json_is_null(list))
            continue;
        pathf(f, sizeof f, "%s.%s", path, lists[k]);
        if (!json_is_array(list))
            return verr_set(r->e, f, "%s must be an array", f);
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item) {
            char ip[220];
            pathf(ip, sizeof ip, "%s.%s[%zu]", path, lists[k], i);
            int rc = k == 0 ? read_status(r, item, pnid ? pnid : "", ip)
                            : read_message(r, item, pnid ? pnid : "", ip);
            if (rc)
                return -1;
        }
    }
    return 0;
}

static int read_entries(struct reader *r, json_t *body) {
    json_t *entries = json_object_get(body, "entry");
    if (!json_is_array(entries))
        return verr_set(r->e, "entry", "entry must be an array (a Meta webhook body)");
    size_t i, j;
    json_t *entry, *change;
    json_array_foreach(entries, i, entry) {
        char f[200];
        pathf(f, sizeof f, "entry[%zu].changes", i);
        json_t *changes = json_object_get(entry, "changes");
        if (!json_is_object(entry) || !json_is_array(changes))
            return verr_set(r->e, f, "%s must be an array", f);
        json_array_foreach(changes, j, change) {
            pathf(f, sizeof f, "entry[%zu].changes[%zu]", i, j);
            if (!json_is_object(change))
                return verr_set(r->e, f, "%s must be an object", f);
            const char *field = json_string_value(json_object_get(change, "field"));
            if (field && strcmp(field, "messages") != 0) {
                r->w->ignored++; /* account updates, template reviews, ... */
                continue;
            }
            pathf(f, sizeof f, "entry[%zu].changes[%zu].value", i, j);
            if (read_value(r, json_object_get(change, "value"), f))
                return -1;
        }
    }
    return 0;
}

int meta_webhook_read(json_t *body, int64_t now, struct meta_webhook *out, struct verr *e) {
    memset(out, 0, sizeof *out);
    struct reader r = {.w = out, .now = now, .e = e};
    if (!json_is_object(body))
        return verr_set(e, "entry", "a webhook body is an object with an entry array");
    if (read_entries(&r, body) != 0) {
        meta_webhook_clear(out);
        return -1;
    }
    return 0;
}

void meta_webhook_clear(struct meta_webhook *w) {
    for (size_t i = 0; i < w->ninbound; i++)
        free(w->inbound[i].text);
    free(w->statuses);
    free(w->inbound);
    memset(w, 0, sizeof *w);
}
