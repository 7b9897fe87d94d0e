/* smpp_segments_test.c - tests of domain/smpp_segments.c: GSM-7 bodies as
 * unpacked septets (data_coding 0; '@' is 0x00, '€' the escape 0x1B 0x65),
 * UCS-2 as UTF-16BE (data_coding 8, a surrogate pair kept whole); one
 * segment up to 160 septets / 70 units with no UDH; longer bodies split
 * into 153 / 67 per segment behind the UDH 05 00 03 ref total seq with
 * esm_class 0x40, never splitting a character, as many segments as
 * sms_count says; the empty body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/sms.h"
#include "domain/smpp_segments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *repeat(const char *unit, size_t count) {
    size_t u = strlen(unit);
    char *out = malloc(u * count + 1);
    assert_non_null(out);
    for (size_t i = 0; i < count; i++)
        memcpy(out + i * u, unit, u);
    out[u * count] = '\0';
    return out;
}

static void test_gsm_single(void **state) {
    (void)state;
    struct smpp_segments s;
    assert_int_equal(smpp_segments_build("@Hi€", 7, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.data_coding, 0);
    assert_int_equal(s.esm_class, 0);
    const unsigned char want[] = {0x00, 'H', 'i', 0x1b, 0x65};
    assert_int_equal(s.seg[0].len, sizeof want);
    assert_memory_equal(s.seg[0].data, want, sizeof want);
    smpp_segments_free(&s);
}

static void test_gsm_boundaries(void **state) {
    (void)state;
    size_t lens[] = {160, 161, 306, 307, 459, 460};
    size_t want[] = {1, 2, 2, 3, 3, 4};
    for (size_t i = 0; i < 6; i++) {
        char *t = repeat("a", lens[i]);
        struct smpp_segments s;
        struct sms_info info;
        sms_count(t, &info);
        assert_int_equal(smpp_segments_build(t, 9, &s), 0);
        assert_int_equal(s.n, want[i]);
        assert_int_equal(s.n, info.segments);
        size_t total = 0;
        for (size_t k = 0; k < s.n; k++) {
            if (s.n > 1) {
                const unsigned char udh[] = {
                    5, 0, 3, 9, (unsigned char)s.n, (unsigned char)(k + 1)};
                assert_memory_equal(s.seg[k].data, udh, 6);
                assert_true(s.seg[k].len <= 6 + 153);
                total += s.seg[k].len - 6;
                assert_int_equal(s.esm_class, 0x40);
            } else {
                total += s.seg[k].len;
            }
        }
        assert_int_equal(total, lens[i]);
        smpp_segments_free(&s);
        free(t);
    }
}

static void test_escape_not_split(void **state) {
    (void)state;
    char *a = repeat("a", 152);
    size_t cap = strlen(a) + 16;
    char *t = malloc(cap);
    snprintf(t, cap, "%s€bbbbbbbbb",
             a); /* 152 + 2 + 9 = 163 septets: the escape pair moves whole */
    struct smpp_segments s;
    assert_int_equal(smpp_segments_build(t, 1, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seg[0].len, 6 + 152);
    assert_int_equal(s.seg[1].data[6], 0x1b);
    assert_int_equal(s.seg[1].data[7], 0x65);
    smpp_segments_free(&s);
    free(a);
    free(t);
}

static void test_ucs2(void **state) {
    (void)state;
    struct smpp_segments s;
    assert_int_equal(smpp_segments_build("✓😀", 1, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.data_coding, 8);
    const unsigned char want[] = {0x27, 0x13, 0xd8, 0x3d, 0xde, 0x00};
    assert_int_equal(s.seg[0].len, sizeof want);
    assert_memory_equal(s.seg[0].data, want, sizeof want);
    smpp_segments_free(&s);
    char *t = repeat("✓", 71);
    assert_int_equal(smpp_segments_build(t, 1, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seg[0].len, 6 + 134);
    assert_int_equal(s.seg[1].len, 6 + 8);
    smpp_segments_free(&s);
    free(t);
    /* a surrogate pair that would straddle the boundary moves whole */
    char *u = repeat("✓", 66);
    size_t vcap = strlen(u) + 32;
    char *v = malloc(vcap);
    snprintf(v, vcap, "%s😀✓✓✓✓", u);
    assert_int_equal(smpp_segments_build(v, 1, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seg[0].len, 6 + 132);
    assert_int_equal(s.seg[1].data[6], 0xd8);
    smpp_segments_free(&s);
    free(u);
    free(v);
}

static void test_empty(void **state) {
    (void)state;
    struct smpp_segments s;
    assert_int_equal(smpp_segments_build("", 1, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.seg[0].len, 0);
    smpp_segments_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gsm_single),
        cmocka_unit_test(test_gsm_boundaries),
        cmocka_unit_test(test_escape_not_split),
        cmocka_unit_test(test_ucs2),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
