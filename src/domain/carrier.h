/* carrier.h - carriers decide pacing: each has a channel, number prefixes
 * (for whatsapp: sender ids), a rate (GCRA: rate_per_second with burst) and
 * a concurrency cap. Built-in default-voice / default-sms /
 * default-whatsapp catch every number no prefix matches; their limits come
 * from configuration until an operator PUTs new ones.
 *
 * Routing is longest-prefix match over a table sorted by prefix: for each
 * length from the longest possible down, one binary search (O(L log n)),
 * never a scan of the carriers.
 *
 * Lanes: the pacing key. voice and sms: the carrier's name; whatsapp:
 * carrier "|" sender "|" template category.
 * Pure functions; a route table is immutable once built (thread-safe). */
#ifndef CAMPAIGND_CARRIER_H
#define CAMPAIGND_CARRIER_H

#include "domain/provider_def.h"
#include "domain/types.h"
#include "domain/verr.h"

#include <jansson.h>
#include <stddef.h>

#define CARRIER_NAME_MAX 64
#define CARRIER_MAX_PREFIXES 1000

struct carrier {
    char name[CARRIER_NAME_MAX + 1];
    enum channel channel;
    char **prefixes;
    size_t nprefixes;
    double rate_per_second;
    int burst;
    int max_concurrent;
    int builtin;
    char provider[PROVIDER_NAME_MAX + 1]; /* the provider that carries its recipients */
};
void carrier_clear(struct carrier *c);
/* The built-in carrier's name for a channel ("default-voice", ...). */
const char *carrier_builtin_name(enum channel ch);
/* The carrier that paces lane (of a campaign of channel ch): the one its
 * carrier part names, or, when that carrier is gone (deleted while its
 * recipients wait), the built-in carrier of ch; NULL when neither is in
 * list[0..n). */
const struct carrier *carrier_for_lane(const struct carrier *list, size_t n, const char *lane,
                                       enum channel ch);
/* 1 when name is one of the three built-in carriers; *ch gets its channel. */
int carrier_is_builtin(const char *name, enum channel *ch);
/* 1 when name is usable: 1..64 of [a-z0-9._-], starting alphanumeric. */
int carrier_name_valid(const char *name);
/* Validates a PUT body for carrier `name` and fills out (prefixes copied).
 * "provider" is optional (default "sim"); only its syntax is checked here:
 * whether it exists and carries the channel is the caller's to check. */
int carrier_from_json(const char *name, json_t *body, struct carrier *out, struct verr *e);
json_t *carrier_to_json(const struct carrier *c);

struct route_entry {
    const char *prefix; /* borrowed from the carriers */
    size_t len;
    size_t carrier; /* index into the carriers given to route_table_build */
};

struct route_table {
    struct route_entry *entries;
    size_t n;
    size_t maxlen;
};

/* Builds the table of one channel from carriers[0..n) (others ignored).
 * The carriers must outlive the table. */
void route_table_build(struct route_table *t, const struct carrier *carriers, size_t n,
                       enum channel ch);
void route_table_free(struct route_table *t);
/* Index of the carrier whose prefix is the longest match of key, or -1. */
long route_table_lookup(const struct route_table *t, const char *key);

#endif
