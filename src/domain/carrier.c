/* carrier.c - carrier validation and prefix routing, see carrier.h. */
#include "domain/carrier.h"
#include "domain/phone.h"
#include "util/alloc.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const builtin_names[CHANNEL_COUNT] = {"default-voice", "default-sms",
                                                         "default-whatsapp"};

void carrier_clear(struct carrier *c) {
    for (size_t i = 0; i < c->nprefixes; i++)
        free(c->prefixes[i]);
    free(c->prefixes);
    c->prefixes = NULL;
    c->nprefixes = 0;
}

const char *carrier_builtin_name(enum channel ch) {
    return (unsigned)ch < CHANNEL_COUNT ? builtin_names[ch] : "default-voice";
}

const struct carrier *carrier_for_lane(const struct carrier *list, size_t n, const char *lane,
                                       enum channel ch) {
    size_t len = strcspn(lane, "|"); /* a lane starts with its carrier's name */
    const char *builtin = carrier_builtin_name(ch);
    const struct carrier *fallback = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strlen(list[i].name) == len && strncmp(list[i].name, lane, len) == 0)
            return &list[i];
        if (strcmp(list[i].name, builtin) == 0)
            fallback = &list[i];
    }
    return fallback;
}

int carrier_is_builtin(const char *name, enum channel *ch) {
    for (int i = 0; i < CHANNEL_COUNT; i++) {
        if (strcmp(name, builtin_names[i]) == 0) {
            if (ch)
                *ch = (enum channel)i;
            return 1;
        }
    }
    return 0;
}

int carrier_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n < 1 || n > CARRIER_NAME_MAX || !isalnum((unsigned char)name[0]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int prefix_valid(const char *p, enum channel ch) {
    size_t n = strlen(p);
    if (ch == CHANNEL_WHATSAPP)
        return n >= 1 && n <= 64;
    if (n < 2 || n > 16 || p[0] != '+' || p[1] == '0')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return 0;
    return 1;
}

int carrier_from_json(const char *name, json_t *body, struct carrier *out, struct verr *e) {
    memset(out, 0, sizeof *out);
    if (!carrier_name_valid(name))
        return verr_set(e, "name", "carrier names are 1..64 of a-z, 0-9, '.', '_', '-'");
    snprintf(out->name, sizeof out->name, "%s", name);
    enum channel builtin_ch = CHANNEL_VOICE;
    out->builtin = carrier_is_builtin(name, &builtin_ch);
    json_t *ch = json_object_get(body, "channel");
    if (!ch || !json_is_string(ch) || channel_parse(json_string_value(ch), &out->channel) != 0)
        return verr_set(e, "channel", "channel must be voice, sms or whatsapp");
    if (out->builtin && out->channel != builtin_ch)
        return verr_set(e, "channel", "%s is the built-in %s carrier", name,
                        channel_name(builtin_ch));
    json_t *pre = json_object_get(body, "prefixes");
    if (pre && !json_is_null(pre)) {
        if (!json_is_array(pre) || json_array_size(pre) > CARRIER_MAX_PREFIXES)
            return verr_set(e, "prefixes", "prefixes must be an array of at most %d strings",
                            CARRIER_MAX_PREFIXES);
        if (out->builtin && json_array_size(pre) > 0)
            return verr_set(e, "prefixes",
                            "a built-in carrier takes every number no prefix matches; "
                            "it has no prefixes");
        out->prefixes = xcalloc(json_array_size(pre) + 1, sizeof *out->prefixes);
        size_t i;
        json_t *p;
        json_array_foreach(pre, i, p) {
            if (!json_is_string(p) || !prefix_valid(json_string_value(p), out->channel)) {
                char f[32];
                snprintf(f, sizeof f, "prefixes[%zu]", i);
                carrier_clear(out);
                return verr_set(e, f,
                                out->channel == CHANNEL_WHATSAPP
                                    ? "%s must be a sender id of 1..64 characters"
                                    : "%s must be \"+\" and 1..15 digits",
                                f);
            }
            for (size_t k = 0; k < out->nprefixes; k++) {
                if (strcmp(out->prefixes[k], json_string_value(p)) == 0) {
                    char f[32];
                    snprintf(f, sizeof f, "prefixes[%zu]", i);
                    carrier_clear(out);
                    return verr_set(e, f, "%s repeats prefixes[%zu]", f, k);
                }
            }
            out->prefixes[out->nprefixes++] = xstrdup(json_string_value(p));
        }
    }
    json_t *rate = json_object_get(body, "rate_per_second");
    if (!rate || !json_is_number(rate) || json_number_value(rate) <= 0 ||
        json_number_value(rate) > 1e6 || !isfinite(json_number_value(rate))) {
        carrier_clear(out);
        return verr_set(e, "rate_per_second", "rate_per_second must be a number in (0, 1000000]");
    }
    out->rate_per_second = json_number_value(rate);
    json_t *burst = json_object_get(body, "burst");
    out->burst = 1;
    if (burst && !json_is_null(burst)) {
        if (!json_is_integer(burst) || json_integer_value(burst) < 1 ||
            json_integer_value(burst) > 1000000) {
            carrier_clear(out);
            return verr_set(e, "burst", "burst must be an integer 1..1000000");
        }
        out->burst = (int)json_integer_value(burst);
    }
    json_t *mc = json_object_get(body, "max_concurrent");
    if (!mc || !json_is_integer(mc) || json_integer_value(mc) < 1 ||
        json_integer_value(mc) > 1000000) {
        carrier_clear(out);
        return verr_set(e, "max_concurrent", "max_concurrent must be an integer 1..1000000");
    }
    out->max_concurrent = (int)json_integer_value(mc);
    json_t *body_name = json_object_get(body, "name");
    if (body_name && (!json_is_string(body_name) || strcmp(json_string_value(body_name), name))) {
        carrier_clear(out);
        return verr_set(e, "name", "name must match the carrier named in the path");
    }
    json_t *provider = json_object_get(body, "provider");
    snprintf(out->provider, sizeof out->provider, "%s", PROVIDER_BUILTIN);
    if (provider && !json_is_null(provider)) {
        if (!json_is_string(provider) || !provider_name_valid(json_string_value(provider))) {
            carrier_clear(out);
            return verr_set(e, "provider", "provider must name a provider");
        }
        snprintf(out->provider, sizeof out->provider, "%s", json_string_value(provider));
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "channel") && strcmp(key, "prefixes") && strcmp(key, "rate_per_second") &&
            strcmp(key, "burst") && strcmp(key, "max_concurrent") && strcmp(key, "name") &&
            strcmp(key, "provider")) {
            carrier_clear(out);
            return verr_set(e, key, "unknown field %s", key);
        }
    }
    return 0;
}

json_t *carrier_to_json(const struct carrier *c) {
    json_t *pre = json_array();
    for (size_t i = 0; i < c->nprefixes; i++)
        json_array_append_new(pre, json_string(c->prefixes[i]));
    json_t *rate = c->rate_per_second == floor(c->rate_per_second)
                       ? json_integer((json_int_t)c->rate_per_second)
                       : json_real(c->rate_per_second);
    return json_pack("{s:s, s:s, s:o, s:o, s:i, s:i, s:s, s:b}", "name", c->name, "channel",
                     channel_name(c->channel), "prefixes", pre, "rate_per_second", rate, "burst",
                     c->burst, "max_concurrent", c->max_concurrent, "provider",
                     c->provider[0] ? c->provider : PROVIDER_BUILTIN, "builtin", c->builtin);
}

static int entry_cmp(const void *a, const void *b) {
    const struct route_entry *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->prefix, y->prefix, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

void route_table_build(struct route_table *t, const struct carrier *carriers, size_t n,
                       enum channel ch) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (carriers[i].channel == ch)
            total += carriers[i].nprefixes;
    t->entries = xcalloc(total + 1, sizeof *t->entries);
    t->n = 0;
    t->maxlen = 0;
    for (size_t i = 0; i < n; i++) {
        if (carriers[i].channel != ch)
            continue;
        for (size_t k = 0; k < carriers[i].nprefixes; k++) {
            struct route_entry *e = &t->entries[t->n++];
            e->prefix = carriers[i].prefixes[k];
            e->len = strlen(e->prefix);
            e->carrier = i;
            if (e->len > t->maxlen)
                t->maxlen = e->len;
        }
    }
    qsort(t->entries, t->n, sizeof *t->entries, entry_cmp);
}

void route_table_free(struct route_table *t) {
    free(t->entries);
    t->entries = NULL;
    t->n = 0;
}

long route_table_lookup(const struct route_table *t, const char *key) {
    size_t klen = strlen(key);
    size_t start = klen < t->maxlen ? klen : t->maxlen;
    for (size_t len = start; len > 0; len--) {
        struct route_entry probe = {.prefix = key, .len = len};
        const struct route_entry *hit =
            bsearch(&probe, t->entries, t->n, sizeof *t->entries, entry_cmp);
        if (hit)
            return (long)hit->carrier;
    }
    return -1;
}
