/* provider_def.h - a named provider as operators configure it with
 * PUT /v1/admin/providers/{name}: its type and that type's settings.
 *
 * Each type is one row of a table (provider_def.c): the channels it can
 * carry and its settings, each with a kind, whether it is required, its
 * default and whether it is a secret. Validation, defaults and the answer
 * (every setting but secrets, plus "secrets_set") are written once over that
 * table, so a new provider type adds a row, not code. Only types whose
 * provider is built are in the table: a type named by the contract but not
 * built yet is refused as unknown.
 *
 * The built-in provider "sim" exists without a row in the store; it cannot
 * be replaced or deleted. Pure functions; thread-safe. */
#ifndef CAMPAIGND_PROVIDER_DEF_H
#define CAMPAIGND_PROVIDER_DEF_H

#include "domain/types.h"
#include "domain/verr.h"

#include <jansson.h>
#include <stdint.h>

#define PROVIDER_NAME_MAX 64
#define PROVIDER_TYPE_MAX 31
#define PROVIDER_BUILTIN "sim"

struct provider_def {
    char name[PROVIDER_NAME_MAX + 1];
    char type[PROVIDER_TYPE_MAX + 1];
    json_t *settings; /* owned: every setting, defaults filled in, secrets included */
    int builtin;
    int64_t created_at, updated_at;
};

void provider_def_clear(struct provider_def *d);
/* 1 when name is usable: 1..64 of [a-z0-9._-], starting alphanumeric. */
int provider_name_valid(const char *name);
/* 1 when a provider of this type can carry the channel. */
int provider_type_carries(const char *type, enum channel ch);
/* 1 when this provider, with its settings, can carry the channel (a twilio
 * provider carries voice only with a voice_url). */
int provider_def_carries(const struct provider_def *d, enum channel ch);
/* 1 when the setting name is a secret (never answered nor logged). */
int provider_setting_is_secret(const char *setting);

/* Validates a PUT body for provider `name` ({"type": ..., settings...})
 * and fills out (settings copied, defaults filled in). allow_private: a
 * URL the server connects to (base_url) may name a loopback or private
 * address. 0, or -1 with e. */
int provider_def_from_json(const char *name, json_t *body, int allow_private,
                           struct provider_def *out, struct verr *e);
/* The answer: name, type, builtin, every setting but secrets, and
 * "secrets_set" naming the secrets that are set. New reference. */
json_t *provider_def_to_json(const struct provider_def *d);
/* The built-in sim provider, with its delays (ms) as settings. */
void provider_def_builtin(long call_ms, long report_ms, struct provider_def *out);

#endif
