/* error_test.c - util/error.c: every code has its own description, unknown
 * codes have one too, and the store's names are the same codes (one
 * family: a store error can travel up through the engine unchanged). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "store/store.h"
#include "util/error.h"
#include <string.h>

static void test_every_code_named_once(void **state) {
    (void)state;
    const char *seen[16];
    int n = 0;
    for (int code = ERROR_OK; code >= ERROR_REDO; code--) {
        const char *s = error_str(code);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown error");
        for (int i = 0; i < n; i++)
            assert_string_not_equal(seen[i], s);
        seen[n++] = s;
    }
    assert_string_equal(error_str(ERROR_REDO - 1), "unknown error");
    assert_string_equal(error_str(42), "unknown error");
}

static void test_store_codes_are_the_family(void **state) {
    (void)state;
    assert_int_equal(STORE_ENOTFOUND, ERROR_NOTFOUND);
    assert_int_equal(STORE_EBUSY, ERROR_BUSY);
    assert_int_equal(STORE_EFULL, ERROR_FULL);
    assert_string_equal(store_strerror(STORE_EFULL), error_str(ERROR_FULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_named_once),
        cmocka_unit_test(test_store_codes_are_the_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
