/* provider_set.c - see provider_set.h. A few providers at most: a plain
 * array searched by name. */
#include "engine/provider_set.h"
#include "util/alloc.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

struct member {
    struct provider *p;
    struct provider_def def; /* as opened: a change of type or settings reopens */
};

struct provider_set {
    struct provider_env env;
    struct member *m;
    size_t n;
};

struct provider_set *provider_set_new(const struct provider_env *env) {
    struct provider_set *s = xcalloc(1, sizeof *s);
    s->env = *env;
    return s;
}

static const struct provider_def *def_find(const struct provider_def *defs, size_t n,
                                           const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

static int same(const struct provider_def *a, const struct provider_def *b) {
    return strcmp(a->type, b->type) == 0 && json_equal(a->settings, b->settings);
}

static void drop(struct provider_set *s, size_t i) {
    s->m[i].p->ops->close(s->m[i].p);
    provider_def_clear(&s->m[i].def);
    s->m[i] = s->m[--s->n];
}

int provider_set_sync(struct provider_set *s, const struct provider_def *defs, size_t n) {
    /* close what is gone or changed */
    for (size_t i = 0; i < s->n;) {
        const struct provider_def *d = def_find(defs, n, s->m[i].def.name);
        if (!d || !same(d, &s->m[i].def)) {
            log_info("providers: %s %s", s->m[i].def.name, d ? "changed: reopening" : "removed");
            drop(s, i);
        } else {
            i++;
        }
    }
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (provider_set_find(s, defs[i].name))
            continue;
        struct provider *p = NULL;
        if (provider_open(&defs[i], &s->env, &p) != 0) {
            failed++;
            continue;
        }
        s->m = xrealloc(s->m, (s->n + 1) * sizeof *s->m);
        s->m[s->n].p = p;
        s->m[s->n].def = defs[i];
        s->m[s->n].def.settings = json_deep_copy(defs[i].settings);
        s->n++;
    }
    return failed;
}

struct provider *provider_set_find(struct provider_set *s, const char *name) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->m[i].def.name, name) == 0)
            return s->m[i].p;
    return NULL;
}

void provider_set_free(struct provider_set *s) {
    if (!s)
        return;
    while (s->n)
        drop(s, s->n - 1);
    free(s->m);
    free(s);
}
