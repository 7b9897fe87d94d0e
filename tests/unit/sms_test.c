/* sms_test.c - tests of domain/sms.c (sms_count): GSM-7 when every
 * character is in the GSM 03.38 default alphabet (one septet) or its
 * extension table (two septets), else UCS-2 counted in UTF-16 code units
 * (a surrogate pair counts two); one segment up to 160 septets / 70 units,
 * then 153 / 67 per concatenated segment: boundaries 160/161, 306/307,
 * 459/460 and 70/71, 134/135, 201/202; the empty text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/sms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GSM_BASIC                                                                                   \
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" \
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
#define GSM_EXTENSION "\f^{}\\[~]|€"

/* A new string: prefix, then unit count times, then suffix. */
static char *build(const char *prefix, const char *unit, size_t count, const char *suffix) {
    size_t p = strlen(prefix), u = strlen(unit), s = strlen(suffix);
    char *out = malloc(p + u * count + s + 1);
    assert_non_null(out);
    memcpy(out, prefix, p);
    for (size_t i = 0; i < count; i++)
        memcpy(out + p + i * u, unit, u);
    memcpy(out + p + u * count, suffix, s + 1);
    return out;
}

static void expect(const char *text, const char *encoding, size_t units, size_t segments) {
    struct sms_info info;
    memset(&info, 0, sizeof info);
    sms_count(text, &info);
    assert_non_null(info.encoding);
    if (strcmp(info.encoding, encoding) != 0 || info.units != units || info.segments != segments)
        fail_msg("sms_count(\"%.40s...\" %zu bytes) = %s %zu units %zu segments, want %s %zu %zu",
                 text, strlen(text), info.encoding, info.units, info.segments, encoding, units,
                 segments);
}

/* unit repeated count times, with prefix and suffix. */
static void expect_rep(const char *prefix, const char *unit, size_t count, const char *suffix,
                       const char *encoding, size_t units, size_t segments) {
    char *s = build(prefix, unit, count, suffix);
    expect(s, encoding, units, segments);
    free(s);
}

static void empty_text(void **state) {
    (void)state;
    expect("", "GSM-7", 0, 1);
}

static void gsm_basic_table(void **state) {
    (void)state;
    expect(GSM_BASIC, "GSM-7", 127, 1);
    /* each character alone is one septet */
    const char *all = GSM_BASIC;
    for (size_t i = 0; all[i];) {
        size_t n = 1;
        while ((all[i + n] & 0xc0) == 0x80)
            n++;
        char one[8] = {0};
        memcpy(one, all + i, n);
        expect(one, "GSM-7", 1, 1);
        i += n;
    }
    expect("Hello, world! 100% @home (£5) ¿Qué? Ñoño", "GSM-7", 40, 1);
}

static void gsm_extension_table(void **state) {
    (void)state;
    expect(GSM_EXTENSION, "GSM-7", 20, 1);
    const char *ext[] = {"\f", "^", "{", "}", "\\", "[", "~", "]", "|", "€"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        expect(ext[i], "GSM-7", 2, 1);
    expect("Price: 5€ [net] {x}", "GSM-7", 24, 1);
    expect_rep("", "€", 80, "", "GSM-7", 160, 1);
    expect_rep("", "€", 81, "", "GSM-7", 162, 2);
    expect_rep("", "a", 158, "€", "GSM-7", 160, 1);
    expect_rep("", "a", 159, "€", "GSM-7", 161, 2);
}

static void not_gsm(void **state) {
    (void)state;
    /* characters outside both tables switch the whole text to UCS-2 */
    expect("ç", "UCS-2", 1, 1); /* only the capital Ç is in the table */
    expect("á", "UCS-2", 1, 1);
    expect("ë", "UCS-2", 1, 1);
    expect("`", "UCS-2", 1, 1);
    expect("a\tb", "UCS-2", 3, 1); /* tab is not GSM */
    expect("ж", "UCS-2", 1, 1);
    expect("中文", "UCS-2", 2, 1);
    expect("Hi 😀", "UCS-2", 5, 1);
    expect_rep("", "a", 69, "ç", "UCS-2", 70, 1);
    expect_rep("", "a", 70, "ç", "UCS-2", 71, 2);
    expect_rep("€", "a", 100, "ç", "UCS-2", 102, 2);
}

static void gsm_segment_boundaries(void **state) {
    (void)state;
    expect_rep("", "a", 1, "", "GSM-7", 1, 1);
    expect_rep("", "a", 160, "", "GSM-7", 160, 1);
    expect_rep("", "a", 161, "", "GSM-7", 161, 2);
    expect_rep("", "a", 306, "", "GSM-7", 306, 2);
    expect_rep("", "a", 307, "", "GSM-7", 307, 3);
    expect_rep("", "a", 459, "", "GSM-7", 459, 3);
    expect_rep("", "a", 460, "", "GSM-7", 460, 4);
    expect_rep("", "a", 1600, "", "GSM-7", 1600, 11);
    expect_rep("", "[", 80, "", "GSM-7", 160, 1);
    /* 2-septet characters never straddle segments: 76 fit in 152 septets */
    expect_rep("", "[", 153, "", "GSM-7", 306, 3);
    expect_rep("", "[", 154, "", "GSM-7", 308, 3);
}

static void ucs2_segment_boundaries(void **state) {
    (void)state;
    expect_rep("", "ж", 70, "", "UCS-2", 70, 1);
    expect_rep("", "ж", 71, "", "UCS-2", 71, 2);
    expect_rep("", "ж", 134, "", "UCS-2", 134, 2);
    expect_rep("", "ж", 135, "", "UCS-2", 135, 3);
    expect_rep("", "ж", 201, "", "UCS-2", 201, 3);
    expect_rep("", "ж", 202, "", "UCS-2", 202, 4);
    expect_rep("", "中", 70, "", "UCS-2", 70, 1);
    expect_rep("", "中", 71, "", "UCS-2", 71, 2);
}

static void surrogate_pairs_count_two(void **state) {
    (void)state;
    expect("😀", "UCS-2", 2, 1);
    expect("𝄞", "UCS-2", 2, 1); /* U+1D11E */
    expect_rep("", "😀", 35, "", "UCS-2", 70, 1);
    expect_rep("", "😀", 36, "", "UCS-2", 72, 2);
    expect_rep("", "ж", 68, "😀", "UCS-2", 70, 1);
    expect_rep("", "ж", 69, "😀", "UCS-2", 71, 2);
    /* surrogate pairs never straddle segments: 33 fit in 67 units */
    expect_rep("", "😀", 67, "", "UCS-2", 134, 3);
    expect_rep("", "a", 69, "😀", "UCS-2", 71, 2);
}

/* Regression (fixed): a character is never split across two segments of a concatenated
 * message: an extension character's two septets (ESC + char) and a
 * surrogate pair's two units travel in the same segment. sms_count divides
 * the total by 153 / 67, so a text whose 153rd septet (or 67th unit) would
 * start such a pair is counted one segment short. */
static void pairs_never_split_across_segments(void **state) {
    (void)state;
    /* 152 septets, then €: the ESC would be septet 153 and € the 154th, so €
     * opens segment 2, which then holds 2 + 152 = 154 > 153 septets */
    char *e = build("", "a", 152, "€");
    char *f = build(e, "a", 152, "");
    expect(f, "GSM-7", 306, 3);
    free(e);
    free(f);
    /* 66 units, then a surrogate pair, then 66 more: 134 units, yet 3 segments */
    char *s = build("", "ж", 66, "😀");
    char *t = build(s, "ж", 66, "");
    expect(t, "UCS-2", 134, 3);
    free(s);
    free(t);
}

/* Every GSM character encodes (sms_encode_char) and decodes (sms_decode)
 * back to itself; '@' is 0x00, '¡' 0x40 (after the escape's place), '€' the
 * escape pair 0x1B 0x65. */
static void gsm_encode_decode_round_trip(void **state) {
    (void)state;
    const char *all = GSM_BASIC GSM_EXTENSION;
    unsigned char enc[512];
    size_t n = 0;
    for (size_t i = 0; all[i];)
        n += sms_encode_char(all, &i, 1, enc + n);
    assert_int_equal(n, 127 + 2 * 10);
    assert_int_equal(enc[0], 0x00);
    assert_int_equal(enc[0x1b], 0x1c); /* 'Æ' follows the escape's place */
    char back[1024];
    sms_decode(enc, n, 0, back, sizeof back);
    assert_string_equal(back, all);
    unsigned char at[] = {0x40, 0x1b, 0x65};
    sms_decode(at, 3, 0, back, sizeof back);
    assert_string_equal(back, "¡€");
}

/* UCS-2 (UTF-16BE, surrogate pairs joined), Latin-1, and a cut at a whole
 * character when out is short. */
static void decode_ucs2_latin1_and_cut(void **state) {
    (void)state;
    const unsigned char u[] = {0x00, 'S', 0x27, 0x13, 0xd8, 0x3d, 0xde, 0x00};
    char out[32];
    sms_decode(u, sizeof u, 8, out, sizeof out);
    assert_string_equal(out, "S✓😀");
    const unsigned char l[] = {'S', 'T', 'O', 'P', 0xe9};
    sms_decode(l, sizeof l, 3, out, sizeof out);
    assert_string_equal(out, "STOPé");
    sms_decode(u, sizeof u, 8, out, 5); /* "S" + 3 bytes of ✓ + NUL */
    assert_string_equal(out, "S✓");
    sms_decode(u, sizeof u, 8, out, 4);
    assert_string_equal(out, "S");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_text),
        cmocka_unit_test(gsm_encode_decode_round_trip),
        cmocka_unit_test(decode_ucs2_latin1_and_cut),
        cmocka_unit_test(gsm_basic_table),
        cmocka_unit_test(gsm_extension_table),
        cmocka_unit_test(not_gsm),
        cmocka_unit_test(gsm_segment_boundaries),
        cmocka_unit_test(ucs2_segment_boundaries),
        cmocka_unit_test(surrogate_pairs_count_two),
        cmocka_unit_test(pairs_never_split_across_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
