/* strpool.h - many small strings that live and die together (the texts of
 * one upload's rows), copied into large chunks: one allocation per 64 KiB
 * instead of one per string, and one free for all. A string added stays
 * where it is until strpool_free (chunks are never moved). Not
 * thread-safe. */
#ifndef CAMPAIGND_STRPOOL_H
#define CAMPAIGND_STRPOOL_H

#include <stddef.h>

struct strpool_chunk;

struct strpool {
    struct strpool_chunk *head; /* the chunk being filled, then older ones */
};

void strpool_init(struct strpool *p);
/* A NUL-terminated copy of the n bytes at s, owned by the pool. */
char *strpool_add(struct strpool *p, const char *s, size_t n);
void strpool_free(struct strpool *p);

#endif
