/* verr_test.c - tests of domain/verr.c (verr_set): field and message are
 * kept whole when they fit; a field or message cut short to fit its buffer
 * never ends in half a UTF-8 character (two-, three- and four-byte
 * characters across the cut), so the JSON answer that echoes them can be
 * built; ASCII cut short keeps every byte that fits. Found by
 * fuzz/fuzz_campaign.c: an unknown key of 80 "é" crashed the 422 answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/verr.h"
#include "util/utf8.h"

#include <string.h>

static void kept_whole_when_it_fits(void **state) {
    (void)state;
    struct verr e;
    assert_int_equal(verr_set(&e, "config.caller_id", "%s is required", "config.caller_id"), -1);
    assert_string_equal(e.field, "config.caller_id");
    assert_string_equal(e.message, "config.caller_id is required");
    verr_set(&e, NULL, "x");
    assert_string_equal(e.field, "");
}

/* A string of n copies of ch. */
static void repeat(char *out, size_t size, const char *ch, size_t n) {
    out[0] = '\0';
    for (size_t i = 0; i < n && strlen(out) + strlen(ch) < size; i++)
        strncat(out, ch, size - strlen(out) - 1);
}

static void cut_never_splits_a_character(void **state) {
    (void)state;
    const char *chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}; /* é € 😀 */
    for (size_t c = 0; c < 3; c++) {
        for (size_t pad = 0; pad < 4; pad++) {
            char key[1024];
            repeat(key, sizeof key, "a", pad);
            repeat(key + pad, sizeof key - pad, chars[c], 200);
            struct verr e;
            verr_set(&e, key, "unknown field %s", key);
            assert_true(utf8_valid(e.field, strlen(e.field)));
            assert_true(utf8_valid(e.message, strlen(e.message)));
            /* no more than one character's bytes were given up */
            assert_true(strlen(e.field) >= sizeof e.field - 1 - 3);
            assert_true(strlen(e.message) >= sizeof e.message - 1 - 3);
        }
    }
}

static void ascii_cut_keeps_what_fits(void **state) {
    (void)state;
    char key[400];
    repeat(key, sizeof key, "k", 300);
    struct verr e;
    verr_set(&e, key, "%s", key);
    assert_int_equal(strlen(e.field), sizeof e.field - 1);
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kept_whole_when_it_fits),
        cmocka_unit_test(cut_never_splits_a_character),
        cmocka_unit_test(ascii_cut_keeps_what_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
