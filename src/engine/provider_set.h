/* provider_set.h - the engine's open providers, one per name, kept in step
 * with the providers in force (engine/inforce.c): a new name is opened, a
 * name whose type or settings changed is closed and opened again, a name
 * gone is closed. A provider that fails to open is left out (logged) and
 * tried again at the next sync. Thread: the engine's. */
#ifndef CAMPAIGND_PROVIDER_SET_H
#define CAMPAIGND_PROVIDER_SET_H

#include "providers/provider.h"

struct provider_set;

/* env is copied; its loop, store and callback serve every provider. */
struct provider_set *provider_set_new(const struct provider_env *env);
/* Opens, reopens and closes providers so that exactly defs[0..n) are open.
 * Answers how many failed to open. */
int provider_set_sync(struct provider_set *s, const struct provider_def *defs, size_t n);
/* The open provider of that name, or NULL. Borrowed until the next sync. */
struct provider *provider_set_find(struct provider_set *s, const char *name);
/* Closes every provider and frees the set (handles close on the loop). */
void provider_set_free(struct provider_set *s);

#endif
