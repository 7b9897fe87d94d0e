/* strset.c - see strset.h. The table stays at most half full. */
#include "util/strset.h"
#include "util/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void strset_init(struct strset *s, size_t expected) {
    s->cap = 16;
    while (s->cap < expected * 2)
        s->cap *= 2;
    s->slots = xcalloc(s->cap, sizeof *s->slots);
    s->count = 0;
}

static void grow(struct strset *s) {
    struct strset bigger;
    bigger.cap = s->cap * 2;
    bigger.slots = xcalloc(bigger.cap, sizeof *bigger.slots);
    bigger.count = 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            strset_add(&bigger, s->slots[i]);
    free(s->slots);
    *s = bigger;
}

int strset_add(struct strset *s, const char *str) {
    if ((s->count + 1) * 2 > s->cap)
        grow(s);
    size_t i = hash(str) & (s->cap - 1);
    while (s->slots[i]) {
        if (strcmp(s->slots[i], str) == 0)
            return 0;
        i = (i + 1) & (s->cap - 1);
    }
    s->slots[i] = str;
    s->count++;
    return 1;
}

void strset_free(struct strset *s) {
    free(s->slots);
    s->slots = NULL;
}
