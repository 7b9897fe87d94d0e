/* store_json_ids_test.c - the id lists the store binds as one JSON
 * parameter (store_json_ids, store.c): every id keeps its position, plain
 * ids are written as they are, and an id JSON or a database encoding
 * could not take as it is becomes "" and is reported as not plain. The
 * output must parse as a JSON array of n strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"

#include <jansson.h>
#include <stdlib.h>

static void test_plain_ids_are_written_in_order(void **state) {
    (void)state;
    const char *ids[] = {"call_0123abcd", "msg_X-y.z", "call_9"};
    int plain[3] = {0, 0, 0};
    char *text = store_json_ids(ids, 3, plain);
    assert_string_equal(text, "[\"call_0123abcd\",\"msg_X-y.z\",\"call_9\"]");
    assert_true(plain[0] && plain[1] && plain[2]);
    free(text);
}

static void test_other_ids_keep_their_place_as_empty_strings(void **state) {
    (void)state;
    const char *ids[] = {"a\"b", "call_1", "back\\slash", "\xc3\xa9t\xc3\xa9", "tab\there", "\xff"};
    int plain[6];
    char *text = store_json_ids(ids, 6, plain);
    json_error_t err;
    json_t *list = json_loads(text, 0, &err);
    assert_non_null(list);
    assert_int_equal(json_array_size(list), 6);
    assert_string_equal(json_string_value(json_array_get(list, 1)), "call_1");
    for (size_t i = 0; i < 6; i++)
        if (i != 1)
            assert_string_equal(json_string_value(json_array_get(list, i)), "");
    assert_int_equal(plain[1], 1);
    assert_int_equal(plain[0] + plain[2] + plain[3] + plain[4] + plain[5], 0);
    json_decref(list);
    free(text);
}

static void test_an_empty_list(void **state) {
    (void)state;
    char *text = store_json_ids(NULL, 0, NULL);
    assert_string_equal(text, "[]");
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_ids_are_written_in_order),
        cmocka_unit_test(test_other_ids_keep_their_place_as_empty_strings),
        cmocka_unit_test(test_an_empty_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
