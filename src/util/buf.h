/* buf.h - a growable byte buffer with a hard cap (like curl's dynbuf).
 * Every buffer that grows from client input has a cap, which makes request
 * size limits free: buf_append() refuses to grow past it.
 * A buf owns its memory; buf_free() releases it. Not thread-safe. */
#ifndef CAMPAIGND_BUF_H
#define CAMPAIGND_BUF_H

#include <stddef.h>

struct buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t alloc;
    size_t cap; /* most bytes len may reach */
};

void buf_init(struct buf *b, size_t cap);
/* 0 on success, BUF_ETOOBIG when len would pass the cap (nothing appended). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_appends(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the data to the caller (who frees it) and leaves b empty. */
char *buf_steal(struct buf *b);

#define BUF_ETOOBIG (-1)

#endif
