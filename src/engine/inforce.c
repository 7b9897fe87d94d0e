/* inforce.c - the carriers and providers in force, and lane routing; see
 * inforce.h. */
#include "engine/inforce.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void builtin_defaults(const struct config *cfg, enum channel ch, struct carrier *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", carrier_builtin_name(ch));
    c->channel = ch;
    c->builtin = 1;
    snprintf(c->provider, sizeof c->provider, "%s", PROVIDER_BUILTIN);
    switch (ch) {
    case CHANNEL_VOICE:
        c->rate_per_second = (double)cfg->default_voice_rate;
        c->burst = (int)cfg->default_voice_burst;
        c->max_concurrent = (int)cfg->default_voice_concurrency;
        break;
    case CHANNEL_SMS:
        c->rate_per_second = (double)cfg->default_sms_rate;
        c->burst = (int)cfg->default_sms_burst;
        c->max_concurrent = (int)cfg->default_sms_concurrency;
        break;
    default:
        c->rate_per_second = (double)cfg->default_whatsapp_rate;
        c->burst = (int)cfg->default_whatsapp_burst;
        c->max_concurrent = (int)cfg->default_whatsapp_concurrency;
        break;
    }
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const struct carrier *)a)->name, ((const struct carrier *)b)->name);
}

int carriers_load(struct store *st, const struct config *cfg, struct carrier **out, size_t *n) {
    struct carrier *stored = NULL;
    size_t count = 0;
    int rc = st->ops->carrier_list(st, &stored, &count);
    if (rc)
        return rc;
    stored = xrealloc(stored, (count + CHANNEL_COUNT) * sizeof *stored);
    for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
        int present = 0;
        for (size_t i = 0; i < count; i++)
            present |= strcmp(stored[i].name, carrier_builtin_name((enum channel)ch)) == 0;
        if (!present)
            builtin_defaults(cfg, (enum channel)ch, &stored[count++]);
    }
    qsort(stored, count, sizeof *stored, by_name);
    *out = stored;
    *n = count;
    return 0;
}

void carriers_free(struct carrier *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        carrier_clear(&list[i]);
    free(list);
}

int lane_router_load(struct store *st, const struct config *cfg, struct lane_router *r) {
    int rc = carriers_load(st, cfg, &r->list, &r->n);
    if (rc)
        return rc;
    for (int ch = 0; ch < CHANNEL_COUNT; ch++)
        route_table_build(&r->table[ch], r->list, r->n, (enum channel)ch);
    return 0;
}

void lane_router_free(struct lane_router *r) {
    for (int ch = 0; ch < CHANNEL_COUNT; ch++)
        route_table_free(&r->table[ch]);
    carriers_free(r->list, r->n);
}

void lane_router_route(const struct lane_router *r, enum channel ch, const char *number,
                       json_t *config, char *carrier, size_t carrier_size, char *lane,
                       size_t lane_size) {
    const char *key = number;
    const char *sender = NULL, *category = NULL;
    if (ch == CHANNEL_WHATSAPP) {
        sender = json_string_value(json_object_get(config, "sender"));
        category =
            json_string_value(json_object_get(json_object_get(config, "template"), "category"));
        key = sender ? sender : "";
    }
    long hit = route_table_lookup(&r->table[ch], key);
    snprintf(carrier, carrier_size, "%s", hit >= 0 ? r->list[hit].name : carrier_builtin_name(ch));
    if (ch == CHANNEL_WHATSAPP)
        snprintf(lane, lane_size, "%s|%s|%s", carrier, sender ? sender : "",
                 category ? category : "");
    else
        snprintf(lane, lane_size, "%s", carrier);
}

static int provider_by_name(const void *a, const void *b) {
    return strcmp(((const struct provider_def *)a)->name, ((const struct provider_def *)b)->name);
}

int providers_load(struct store *st, const struct config *cfg, struct provider_def **out,
                   size_t *n) {
    struct provider_def *stored = NULL;
    size_t count = 0;
    int rc = st->ops->provider_list(st, &stored, &count);
    if (rc)
        return rc;
    stored = xrealloc(stored, (count + 1) * sizeof *stored);
    provider_def_builtin(cfg->sim_call_ms, cfg->sim_report_ms, &stored[count++]);
    qsort(stored, count, sizeof *stored, provider_by_name);
    *out = stored;
    *n = count;
    return 0;
}

void providers_free(struct provider_def *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        provider_def_clear(&list[i]);
    free(list);
}

const struct provider_def *providers_find(const struct provider_def *list, size_t n,
                                          const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].name, name) == 0)
            return &list[i];
    return NULL;
}
