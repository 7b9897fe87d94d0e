/* gzip.h - gzip compression of a stream (zlib's deflate with the gzip
 * wrapper), fed in pieces, and the reading of an Accept-Encoding header.
 * A gzip_stream belongs to one thread at a time; gzip_accepted is pure. */
#ifndef CAMPAIGND_GZIP_H
#define CAMPAIGND_GZIP_H

#include "util/buf.h"

#include <stddef.h>
#include <zlib.h>

struct gzip_stream {
    z_stream z;
    int finished;
};

/* level: 1 (fastest) .. 9 (smallest). 0, or -1 when zlib refuses. */
int gzip_stream_init(struct gzip_stream *g, int level);
/* Compresses in[0..n) and appends what deflate gives onto out; finish = 1
 * also writes the end of the stream (nothing may follow). 0, or -1 on a
 * zlib failure or when out is full. */
int gzip_stream_write(struct gzip_stream *g, const void *in, size_t n, int finish, struct buf *out);
void gzip_stream_free(struct gzip_stream *g);

/* 1 when an Accept-Encoding header value allows gzip ("gzip", "x-gzip" or
 * "*" with a q above 0, gzip not refused by name); 0 for NULL. */
int gzip_accepted(const char *accept_encoding);

#endif
