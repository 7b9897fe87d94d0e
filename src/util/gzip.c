/* gzip.c - see gzip.h. deflate writes into a fixed scratch block that is
 * appended to the caller's buf, so the buf's cap bounds the output. */
#include "util/gzip.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int gzip_stream_init(struct gzip_stream *g, int level) {
    memset(g, 0, sizeof *g);
    /* windowBits 15 + 16: the gzip wrapper rather than zlib's */
    return deflateInit2(&g->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

int gzip_stream_write(struct gzip_stream *g, const void *in, size_t n, int finish,
                      struct buf *out) {
    if (g->finished)
        return n || !finish ? -1 : 0;
    unsigned char block[16384];
    g->z.next_in = (unsigned char *)in;
    g->z.avail_in = (uInt)n;
    int flush = finish ? Z_FINISH : Z_NO_FLUSH;
    for (;;) {
        g->z.next_out = block;
        g->z.avail_out = sizeof block;
        int rc = deflate(&g->z, flush);
        if (rc == Z_STREAM_ERROR)
            return -1;
        size_t got = sizeof block - g->z.avail_out;
        if (got && buf_append(out, block, got) != 0)
            return -1;
        if (rc == Z_STREAM_END) {
            g->finished = 1;
            return 0;
        }
        /* without finish, deflate is done once it took all the input and
         * left room in the block; with finish, it goes on to the end */
        if (!finish && g->z.avail_in == 0 && g->z.avail_out > 0)
            return 0;
    }
}

void gzip_stream_free(struct gzip_stream *g) {
    deflateEnd(&g->z);
}

/* The q of one "coding;q=0.5" element (1 when it names none). */
static double element_q(const char *params, const char *end) {
    const char *q = params;
    while (q < end) {
        while (q < end && (*q == ';' || *q == ' ' || *q == '\t'))
            q++;
        if (end - q >= 2 && tolower((unsigned char)q[0]) == 'q' && q[1] == '=')
            return strtod(q + 2, NULL);
        while (q < end && *q != ';')
            q++;
    }
    return 1.0;
}

int gzip_accepted(const char *h) {
    if (!h)
        return 0;
    double gzip_q = -1, star_q = -1;
    while (*h) {
        while (*h == ' ' || *h == '\t' || *h == ',')
            h++;
        const char *start = h;
        while (*h && *h != ',' && *h != ';' && *h != ' ' && *h != '\t')
            h++;
        size_t len = (size_t)(h - start);
        const char *elem_end = strchr(h, ',');
        if (!elem_end)
            elem_end = h + strlen(h);
        double q = element_q(h, elem_end);
        if ((len == 4 && strncasecmp(start, "gzip", 4) == 0) ||
            (len == 6 && strncasecmp(start, "x-gzip", 6) == 0))
            gzip_q = q > gzip_q ? q : gzip_q;
        else if (len == 1 && *start == '*')
            star_q = q;
        h = elem_end;
    }
    if (gzip_q >= 0)
        return gzip_q > 0;
    return star_q > 0;
}
