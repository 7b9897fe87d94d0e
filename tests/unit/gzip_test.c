/* gzip_test.c - tests of util/gzip.c: a stream fed in pieces (empty ones
 * included) inflates back to the same bytes with zlib's own gzip reader;
 * nothing may follow the end; a full output buffer is an error; and the
 * reading of Accept-Encoding (gzip, x-gzip, "*", q values, q=0 refusals,
 * case and blanks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/gzip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_round_trip_in_pieces(void **state) {
    (void)state;
    size_t n = 3 * 1000 * 1000;
    char *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = (char)("id,phone\r\n0123456789"[i % 20] + (i / 100000 % 3));
    struct gzip_stream g;
    assert_int_equal(gzip_stream_init(&g, 6), 0);
    struct buf out;
    buf_init(&out, 64u << 20);
    size_t off = 0, piece = 1;
    while (off < n) {
        size_t k = piece < n - off ? piece : n - off;
        assert_int_equal(gzip_stream_write(&g, in + off, k, 0, &out), 0);
        off += k;
        piece = piece * 3 + 7;
        assert_int_equal(gzip_stream_write(&g, NULL, 0, 0, &out), 0);
    }
    assert_int_equal(gzip_stream_write(&g, NULL, 0, 1, &out), 0);
    assert_int_equal(gzip_stream_write(&g, "x", 1, 0, &out), -1); /* nothing after the end */
    gzip_stream_free(&g);
    assert_true(out.len < n / 10);
    assert_int_equal((unsigned char)out.data[0], 0x1f); /* gzip magic */
    assert_int_equal((unsigned char)out.data[1], 0x8b);

    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    char *back = malloc(n + 1);
    z.next_in = (unsigned char *)out.data;
    z.avail_in = (uInt)out.len;
    z.next_out = (unsigned char *)back;
    z.avail_out = (uInt)(n + 1);
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, n);
    assert_memory_equal(back, in, n);
    inflateEnd(&z);
    free(back);
    free(in);
    buf_free(&out);
}

static void test_full_buffer(void **state) {
    (void)state;
    struct gzip_stream g;
    assert_int_equal(gzip_stream_init(&g, 1), 0);
    struct buf out;
    buf_init(&out, 8);
    char noise[4096];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (char)(i * 2654435761u >> 13);
    assert_int_equal(gzip_stream_write(&g, noise, sizeof noise, 1, &out), -1);
    gzip_stream_free(&g);
    buf_free(&out);
}

static void test_accept_encoding(void **state) {
    (void)state;
    assert_false(gzip_accepted(NULL));
    assert_false(gzip_accepted(""));
    assert_true(gzip_accepted("gzip"));
    assert_true(gzip_accepted("GZIP"));
    assert_true(gzip_accepted("x-gzip"));
    assert_true(gzip_accepted("gzip, deflate, br"));
    assert_true(gzip_accepted("br;q=1.0, gzip;q=0.8, *;q=0.1"));
    assert_true(gzip_accepted(" deflate ,gzip ; q=0.5"));
    assert_true(gzip_accepted("*"));
    assert_false(gzip_accepted("gzip;q=0"));
    assert_false(gzip_accepted("gzip;q=0.000, *"));
    assert_false(gzip_accepted("*;q=0"));
    assert_false(gzip_accepted("identity"));
    assert_false(gzip_accepted("deflate, br"));
    assert_false(gzip_accepted("gzipx"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_in_pieces),
        cmocka_unit_test(test_full_buffer),
        cmocka_unit_test(test_accept_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
