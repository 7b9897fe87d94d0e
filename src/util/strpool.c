/* strpool.c - see strpool.h. A string larger than a chunk gets a chunk of
 * its own, linked behind the one being filled so that filling goes on. */
#include "util/strpool.h"
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

#define STRPOOL_CHUNK (64 * 1024)

struct strpool_chunk {
    struct strpool_chunk *next;
    size_t used, size;
    char data[];
};

static struct strpool_chunk *chunk_new(size_t size, struct strpool_chunk *next) {
    struct strpool_chunk *c = xmalloc(sizeof *c + size);
    c->next = next;
    c->used = 0;
    c->size = size;
    return c;
}

void strpool_init(struct strpool *p) {
    p->head = NULL;
}

char *strpool_add(struct strpool *p, const char *s, size_t n) {
    struct strpool_chunk *c = p->head;
    if (n + 1 > STRPOOL_CHUNK / 4) {
        /* a big one: its own chunk, behind the head */
        struct strpool_chunk *big = chunk_new(n + 1, c ? c->next : NULL);
        if (c)
            c->next = big;
        else
            p->head = big;
        c = big;
    } else if (!c || c->size - c->used < n + 1) {
        c = p->head = chunk_new(STRPOOL_CHUNK, c);
    }
    char *out = c->data + c->used;
    memcpy(out, s, n);
    out[n] = '\0';
    c->used += n + 1;
    return out;
}

void strpool_free(struct strpool *p) {
    while (p->head) {
        struct strpool_chunk *next = p->head->next;
        free(p->head);
        p->head = next;
    }
}
