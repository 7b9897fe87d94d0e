/* form_test.c - tests of util/form.c: encoding (WHATWG form: '+' for a
 * space, unreserved kept, UTF-8 bytes as %XX, repeated names), URL
 * component encoding, and parsing (+, %XX, a bad '%' kept, empty pairs,
 * a name without '=', a NUL inside, the field cap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/form.h"

#include <string.h>

static void test_encode(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(form_add(&b, "To", "+14155550100"), 0);
    assert_int_equal(form_add(&b, "StatusCallbackEvent", "initiated"), 0);
    assert_int_equal(form_add(&b, "StatusCallbackEvent", "ringing"), 0);
    assert_int_equal(form_add(&b, "Body", "Hi Zoë & co/*~"), 0);
    assert_string_equal(b.data, "To=%2B14155550100&StatusCallbackEvent=initiated&"
                                "StatusCallbackEvent=ringing&Body=Hi+Zo%C3%AB+%26+co%2F*%7E");
    buf_free(&b);
    buf_init(&b, 8);
    assert_int_equal(form_add(&b, "Body", "too long for it"), BUF_ETOOBIG);
    buf_free(&b);
    buf_init(&b, 1024);
    assert_int_equal(url_encode_component(&b, "a b/c?d=e&f#g~h.i_j-k é"), 0);
    assert_string_equal(b.data, "a%20b%2Fc%3Fd%3De%26f%23g~h.i_j-k%20%C3%A9");
    buf_free(&b);
}

static void test_parse(void **state) {
    (void)state;
    const char *body = "CallStatus=in-progress&&Caller=%2B1415+555&AnsweredBy=machine_start&"
                       "Flag&Bad=100%&Hex=%zz%4&Nul=a%00b&Name%3D=x%3Dy";
    struct form f;
    assert_int_equal(form_parse(body, strlen(body), 100, &f), 0);
    assert_int_equal(f.n, 8);
    assert_string_equal(form_get(&f, "CallStatus"), "in-progress");
    assert_string_equal(form_get(&f, "Caller"), "+1415 555");
    assert_string_equal(form_get(&f, "Flag"), "");
    assert_string_equal(form_get(&f, "Bad"), "100%");
    assert_string_equal(form_get(&f, "Hex"), "%zz%4");
    assert_int_equal(f.fields[6].value_len, 3);
    assert_memory_equal(f.fields[6].value, "a\0b", 3);
    assert_string_equal(form_get(&f, "Name="), "x=y");
    assert_null(form_get(&f, "Missing"));
    form_clear(&f);
    assert_int_equal(form_parse(body, strlen(body), 7, &f), -1);
    assert_int_equal(f.n, 0);
    assert_int_equal(form_parse("", 0, 1, &f), 0);
    assert_int_equal(f.n, 0);
    form_clear(&f);
    /* round trip */
    struct buf b;
    buf_init(&b, 1024);
    form_add(&b, "Body", "Olá, {{name}} + 100% ✓");
    assert_int_equal(form_parse(b.data, b.len, 10, &f), 0);
    assert_string_equal(form_get(&f, "Body"), "Olá, {{name}} + 100% ✓");
    form_clear(&f);
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
