/* provider_def.c - provider types and settings, see provider_def.h. */
#include "domain/provider_def.h"
#include "domain/url_template.h"
#include "domain/webhook_url.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* SETTING_URL: an http(s) URL the server itself connects to; SETTING_HOST:
 * a host name or address it connects to (letters, digits, '.', '-', '_',
 * ':'). For both, a literal loopback, link-local or private host (or
 * "localhost") is refused unless the server allows private provider
 * addresses (CAMPAIGND_PROVIDER_ALLOW_PRIVATE); names are judged again on
 * the address they resolve to, when connecting. */
enum setting_kind { SETTING_STRING, SETTING_INTEGER, SETTING_BOOL, SETTING_URL, SETTING_HOST };

struct setting {
    const char *name;
    enum setting_kind kind;
    int required;
    long long min, max;   /* integers: bounds; strings and URLs: length in bytes */
    long long dflt;       /* integers and booleans, when not required */
    const char *dflt_str; /* strings and URLs, when not required (NULL: absent) */
};

struct provider_type {
    const char *name;
    unsigned channels; /* 1 << enum channel */
    const struct setting *settings;
    size_t nsettings;
    /* Checks beyond each setting's kind (settings complete, defaults in):
     * 0, or -1 with e. NULL: none. */
    int (*check)(json_t *settings, struct verr *e);
    /* The channels these settings let it carry (a subset of channels).
     * NULL: every one of channels. */
    unsigned (*carries)(json_t *settings);
};

#define ALL_CHANNELS ((1u << CHANNEL_VOICE) | (1u << CHANNEL_SMS) | (1u << CHANNEL_WHATSAPP))

/* sim: the simulated provider; a named one behaves as the built-in one with
 * its own delays (a carrier on a slow simulated route, in tests and demos). */
static const struct setting sim_settings[] = {
    {"call_ms", SETTING_INTEGER, 0, 0, 3600000, 300, NULL},
    {"report_ms", SETTING_INTEGER, 0, 0, 3600000, 100, NULL},
};

/* twilio: Twilio's REST API (or one that speaks it: SignalWire, Telnyx
 * TeXML) for voice and sms (contract, Providers, twilio). voice_url is what
 * Twilio fetches when a call is answered; without it the provider carries
 * sms only, and a voice carrier naming it is refused (provider_def_carries). */
static const struct setting twilio_settings[] = {
    {"account_sid", SETTING_STRING, 1, 1, 64, 0, NULL},
    {"auth_token", SETTING_STRING, 1, 1, 256, 0, NULL},
    {"base_url", SETTING_URL, 0, 1, 2048, 0, "https://api.twilio.com"},
    {"voice_url", SETTING_STRING, 0, 1, 2048, 0, NULL},
    {"machine_detection", SETTING_BOOL, 0, 0, 0, 0, NULL},
};

/* account_sid goes into the request path: letters, digits, '-' and '_'
 * (Twilio's AC..., SignalWire's project UUIDs); voice_url fills in to an
 * http(s) URL. */
static int twilio_check(json_t *settings, struct verr *e) {
    const char *sid = json_string_value(json_object_get(settings, "account_sid"));
    for (const char *p = sid; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
            return verr_set(e, "account_sid",
                            "account_sid must be letters, digits, '-' or '_' (Twilio's AC...)");
    const char *tpl = json_string_value(json_object_get(settings, "voice_url"));
    if (!tpl)
        return 0;
    struct url_var vars[4];
    for (size_t i = 0; i < 4; i++)
        vars[i] = (struct url_var){voice_url_placeholders[i], "x"};
    struct buf b;
    buf_init(&b, 4096);
    const char *why = NULL;
    int rc = url_template_fill(tpl, vars, 4, &b, &why);
    if (rc == 0 && webhook_url_check(b.data ? b.data : "", 1, &why) != 0)
        rc = -1;
    buf_free(&b);
    if (rc != 0)
        return verr_set(e, "voice_url", "voice_url %s", why ? why : "is too long");
    return 0;
}

static unsigned twilio_carries(json_t *settings) {
    return (1u << CHANNEL_SMS) |
           (json_is_string(json_object_get(settings, "voice_url")) ? 1u << CHANNEL_VOICE : 0);
}

/* smpp: SMS straight to an SMSC over SMPP 3.4 (contract, Providers, smpp):
 * host and port of the SMSC, the bind's credentials, the window of submits
 * awaiting their answer, the number of sessions, the keep-alive interval
 * and the longest wait before binding again. */
static const struct setting smpp_settings[] = {
    {"host", SETTING_HOST, 1, 1, 253, 0, NULL},
    {"port", SETTING_INTEGER, 1, 1, 65535, 0, NULL},
    {"system_id", SETTING_STRING, 1, 1, 15, 0, NULL},
    {"password", SETTING_STRING, 1, 0, 8, 0, NULL},
    {"system_type", SETTING_STRING, 0, 0, 12, 0, ""},
    {"window", SETTING_INTEGER, 0, 1, 1000, 10, NULL},
    {"binds", SETTING_INTEGER, 0, 1, 16, 1, NULL},
    {"enquire_link_seconds", SETTING_INTEGER, 0, 1, 3600, 15, NULL},
    {"reconnect_max_seconds", SETTING_INTEGER, 0, 1, 3600, 30, NULL},
};

/* meta_whatsapp: the WhatsApp Cloud API (contract, Providers,
 * meta_whatsapp). api_version goes into the request path. */
static const struct setting meta_settings[] = {
    {"access_token", SETTING_STRING, 1, 1, 1024, 0, NULL},
    {"app_secret", SETTING_STRING, 1, 1, 256, 0, NULL},
    {"verify_token", SETTING_STRING, 1, 1, 256, 0, NULL},
    {"base_url", SETTING_URL, 0, 1, 2048, 0, "https://graph.facebook.com"},
    {"api_version", SETTING_STRING, 0, 2, 16, 0, "v21.0"},
};

static int meta_check(json_t *settings, struct verr *e) {
    const char *v = json_string_value(json_object_get(settings, "api_version"));
    if (v[0] != 'v')
        return verr_set(e, "api_version", "api_version must look like v21.0");
    for (const char *p = v + 1; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return verr_set(e, "api_version", "api_version must look like v21.0");
    return 0;
}

/* vapi and retell: AI voice agent runtimes that dial themselves
 * (contract, Providers, vapi and retell; docs/providers.md). Vapi names
 * the number to call from by its id; its server messages are
 * authenticated by webhook_auth: "hmac" (an HMAC credential, SHA-256, hex,
 * the signature in hmac_signature_header over "{timestamp}.{body}" with
 * the timestamp from hmac_timestamp_header), "bearer" (a Bearer token
 * credential) or "x-vapi-secret" (the server secret), each with
 * webhook_secret. set_server_url points each call's assistant server at
 * this server's webhook (credential_id attaches a Vapi credential). Retell
 * signs its webhooks with the api_key; from_number defaults to the
 * campaign's caller_id; set_webhook_url points each call's agent webhook
 * at this server. */
static const struct setting vapi_settings[] = {
    {"api_key", SETTING_STRING, 1, 1, 256, 0, NULL},
    {"base_url", SETTING_URL, 0, 1, 2048, 0, "https://api.vapi.ai"},
    {"phone_number_id", SETTING_STRING, 1, 1, 128, 0, NULL},
    {"webhook_auth", SETTING_STRING, 0, 1, 16, 0, "hmac"},
    {"webhook_secret", SETTING_STRING, 1, 1, 256, 0, NULL},
    {"hmac_signature_header", SETTING_STRING, 0, 1, 64, 0, "x-signature"},
    {"hmac_timestamp_header", SETTING_STRING, 0, 1, 64, 0, "x-timestamp"},
    {"credential_id", SETTING_STRING, 0, 1, 128, 0, NULL},
    {"set_server_url", SETTING_BOOL, 0, 0, 0, 1, NULL},
};

static int header_name_valid(const char *s) {
    for (const char *p = s; p && *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static int vapi_check(json_t *settings, struct verr *e) {
    const char *mode = json_string_value(json_object_get(settings, "webhook_auth"));
    if (strcmp(mode, "hmac") && strcmp(mode, "bearer") && strcmp(mode, "x-vapi-secret"))
        return verr_set(e, "webhook_auth",
                        "webhook_auth must be \"hmac\", \"bearer\" or \"x-vapi-secret\"");
    static const char *const headers[] = {"hmac_signature_header", "hmac_timestamp_header"};
    for (size_t i = 0; i < 2; i++)
        if (!header_name_valid(json_string_value(json_object_get(settings, headers[i]))))
            return verr_set(e, headers[i], "%s must be a header name (letters, digits, '-')",
                            headers[i]);
    return 0;
}

static const struct setting retell_settings[] = {
    {"api_key", SETTING_STRING, 1, 1, 256, 0, NULL},
    {"base_url", SETTING_URL, 0, 1, 2048, 0, "https://api.retellai.com"},
    {"from_number", SETTING_STRING, 0, 1, 16, 0, NULL},
    {"set_webhook_url", SETTING_BOOL, 0, 0, 0, 1, NULL},
};

static int retell_check(json_t *settings, struct verr *e) {
    const char *from = json_string_value(json_object_get(settings, "from_number"));
    if (!from)
        return 0;
    size_t n = strlen(from);
    int ok = n >= 9 && n <= 16 && from[0] == '+' && from[1] != '0';
    for (size_t i = 1; ok && i < n; i++)
        ok = isdigit((unsigned char)from[i]);
    return ok ? 0 : verr_set(e, "from_number", "from_number must be E.164 (+ and 8..15 digits)");
}

#define N_OF(a) (sizeof a / sizeof a[0])

static const struct provider_type types[] = {
    {"sim", ALL_CHANNELS, sim_settings, N_OF(sim_settings), NULL, NULL},
    {"twilio", (1u << CHANNEL_VOICE) | (1u << CHANNEL_SMS), twilio_settings, N_OF(twilio_settings),
     twilio_check, twilio_carries},
    {"smpp", 1u << CHANNEL_SMS, smpp_settings, N_OF(smpp_settings), NULL, NULL},
    {"meta_whatsapp", 1u << CHANNEL_WHATSAPP, meta_settings, N_OF(meta_settings), meta_check, NULL},
    {"vapi", 1u << CHANNEL_VOICE, vapi_settings, N_OF(vapi_settings), vapi_check, NULL},
    {"retell", 1u << CHANNEL_VOICE, retell_settings, N_OF(retell_settings), retell_check, NULL},
};

/* The contract's secret setting names, whatever the type. */
static const char *const secrets[] = {"auth_token", "api_key",  "access_token",
                                      "app_secret", "password", "webhook_secret"};

static const struct provider_type *type_find(const char *name) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}

void provider_def_clear(struct provider_def *d) {
    json_decref(d->settings);
    d->settings = NULL;
}

int provider_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n < 1 || n > PROVIDER_NAME_MAX || !isalnum((unsigned char)name[0]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int provider_type_carries(const char *type, enum channel ch) {
    const struct provider_type *t = type_find(type);
    return t && (unsigned)ch < CHANNEL_COUNT && (t->channels & (1u << ch));
}

int provider_setting_is_secret(const char *setting) {
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (strcmp(secrets[i], setting) == 0)
            return 1;
    return 0;
}

int provider_def_carries(const struct provider_def *d, enum channel ch) {
    const struct provider_type *t = type_find(d->type);
    if (!t || (unsigned)ch >= CHANNEL_COUNT || !(t->channels & (1u << ch)))
        return 0;
    return !t->carries || (t->carries(d->settings) & (1u << ch));
}

static const struct setting *setting_find(const struct provider_type *t, const char *name) {
    for (size_t i = 0; i < t->nsettings; i++)
        if (strcmp(t->settings[i].name, name) == 0)
            return &t->settings[i];
    return NULL;
}

/* Checks one given value against its setting; 0 or -1 with e. */
static int check_value(const struct setting *s, json_t *v, int allow_private, struct verr *e) {
    const char *why;
    switch (s->kind) {
    case SETTING_INTEGER:
        if (!json_is_integer(v) || json_integer_value(v) < s->min || json_integer_value(v) > s->max)
            return verr_set(e, s->name, "%s must be an integer %lld..%lld", s->name, s->min,
                            s->max);
        return 0;
    case SETTING_BOOL:
        if (!json_is_boolean(v))
            return verr_set(e, s->name, "%s must be true or false", s->name);
        return 0;
    case SETTING_URL:
        if (!json_is_string(v) || json_string_length(v) < 1)
            return verr_set(e, s->name, "%s must be an http or https URL", s->name);
        if (webhook_url_check(json_string_value(v), allow_private, &why) != 0)
            return verr_set(e, s->name, "%s %s%s", s->name, why,
                            allow_private ? "" : " (CAMPAIGND_PROVIDER_ALLOW_PRIVATE=1 allows it)");
        return 0;
    case SETTING_HOST:
        if (!json_is_string(v) || json_string_length(v) < 1 ||
            (long long)json_string_length(v) > s->max ||
            strspn(json_string_value(v), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789.-_:") != json_string_length(v))
            return verr_set(e, s->name, "%s must be a host name or address of 1..%lld bytes",
                            s->name, s->max);
        if (!allow_private && webhook_address_is_private(json_string_value(v)))
            return verr_set(e, s->name,
                            "%s must not be a loopback, link-local or private address "
                            "(CAMPAIGND_PROVIDER_ALLOW_PRIVATE=1 allows it)",
                            s->name);
        return 0;
    case SETTING_STRING:
    default:
        if (!json_is_string(v) || (long long)json_string_length(v) < s->min ||
            (long long)json_string_length(v) > s->max)
            return verr_set(e, s->name, "%s must be a string of %lld..%lld bytes", s->name, s->min,
                            s->max);
        return 0;
    }
}

int provider_def_from_json(const char *name, json_t *body, int allow_private,
                           struct provider_def *out, struct verr *e) {
    memset(out, 0, sizeof *out);
    if (!provider_name_valid(name))
        return verr_set(e, "name",
                        "a provider name is 1..64 of a-z, 0-9, '.', '_', '-', starting with a "
                        "letter or digit");
    snprintf(out->name, sizeof out->name, "%s", name);
    json_t *type = json_object_get(body, "type");
    if (!json_is_string(type))
        return verr_set(e, "type", "type is required: a provider type such as \"sim\"");
    const struct provider_type *t = type_find(json_string_value(type));
    if (!t)
        return verr_set(e, "type", "type %s is not a provider type this server has",
                        json_string_value(type));
    snprintf(out->type, sizeof out->type, "%s", t->name);
    json_t *body_name = json_object_get(body, "name");
    if (body_name && (!json_is_string(body_name) || strcmp(json_string_value(body_name), name)))
        return verr_set(e, "name", "name must match the provider named in the path");
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "type") == 0 || strcmp(key, "name") == 0)
            continue;
        const struct setting *s = setting_find(t, key);
        if (!s)
            return verr_set(e, key, "unknown field %s for a %s provider", key, t->name);
        if (check_value(s, v, allow_private, e) != 0)
            return -1;
    }
    json_t *settings = json_object();
    for (size_t i = 0; i < t->nsettings; i++) {
        const struct setting *s = &t->settings[i];
        json_t *given = json_object_get(body, s->name);
        if (given) {
            json_object_set(settings, s->name, given);
        } else if (s->required) {
            json_decref(settings);
            return verr_set(e, s->name, "%s is required for a %s provider", s->name, t->name);
        } else if (s->kind == SETTING_INTEGER) {
            json_object_set_new(settings, s->name, json_integer(s->dflt));
        } else if (s->kind == SETTING_BOOL) {
            json_object_set_new(settings, s->name, json_boolean(s->dflt));
        } else if (s->dflt_str) {
            json_object_set_new(settings, s->name, json_string(s->dflt_str));
        }
    }
    if (t->check && t->check(settings, e) != 0) {
        json_decref(settings);
        return -1;
    }
    out->settings = settings;
    return 0;
}

json_t *provider_def_to_json(const struct provider_def *d) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(d->name));
    json_object_set_new(o, "type", json_string(d->type));
    json_t *set = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(d->settings, key, v) {
        if (provider_setting_is_secret(key))
            json_array_append_new(set, json_string(key));
        else if (strcmp(key, "name") && strcmp(key, "type") && strcmp(key, "builtin") &&
                 strcmp(key, "secrets_set"))
            json_object_set(o, key, v);
    }
    json_object_set_new(o, "secrets_set", set);
    json_object_set_new(o, "builtin", json_boolean(d->builtin));
    return o;
}

void provider_def_builtin(long call_ms, long report_ms, struct provider_def *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", PROVIDER_BUILTIN);
    snprintf(out->type, sizeof out->type, "sim");
    out->settings =
        json_pack("{s:I, s:I}", "call_ms", (json_int_t)call_ms, "report_ms", (json_int_t)report_ms);
    out->builtin = 1;
}
