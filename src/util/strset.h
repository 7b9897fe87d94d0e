/* strset.h - a set of borrowed strings (open addressing, FNV-1a), used to
 * find duplicates within one request. Not thread-safe. */
#ifndef CAMPAIGND_STRSET_H
#define CAMPAIGND_STRSET_H

#include <stddef.h>

struct strset {
    const char **slots;
    size_t cap, count;
};

void strset_init(struct strset *s, size_t expected);
/* 1 when s was added, 0 when it was already there. The string is
 * borrowed: it must outlive the set. */
int strset_add(struct strset *s, const char *str);
void strset_free(struct strset *s);

#endif
