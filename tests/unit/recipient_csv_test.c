/* recipient_csv_test.c - tests of domain/recipient_csv.c, the export's CSV
 * rows: the header, plain fields left bare, fields with commas, quotes, CR
 * and LF quoted with quotes doubled, NUL-free bytes and UTF-8 kept as they
 * are, nulls as empty fields, times in the API's format, params as stored
 * ({} when none); and every rendered row read back by the upload's own
 * RFC 4180 reader (domain/csv.c) to the same fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/csv.h"
#include "domain/recipient_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *field(const char *s) {
    struct buf b;
    buf_init(&b, 1 << 20);
    csv_append_field(&b, s, strlen(s));
    return buf_steal(&b);
}

static void expect_field(const char *in, const char *want) {
    char *got = field(in);
    if (strcmp(got ? got : "", want) != 0)
        fail_msg("field(%s) = [%s], want [%s]", in, got, want);
    free(got);
}

static void test_fields(void **state) {
    (void)state;
    expect_field("", "");
    expect_field("plain", "plain");
    expect_field("with space", "with space");
    expect_field("a,b", "\"a,b\"");
    expect_field("say \"hi\"", "\"say \"\"hi\"\"\"");
    expect_field("\"", "\"\"\"\"");
    expect_field("line\nbreak", "\"line\nbreak\"");
    expect_field("cr\rhere", "\"cr\rhere\"");
    expect_field("Zoë 東京", "Zoë 東京");
}

static void test_header(void **state) {
    (void)state;
    struct buf b;
    buf_init(&b, 4096);
    recipient_csv_header(&b);
    assert_string_equal(b.data, "id,phone_number,status,disposition,attempts,last_attempt_at,"
                                "last_call_id,last_message_id,params\r\n");
    buf_free(&b);
}

static void test_row_nulls_and_defaults(void **state) {
    (void)state;
    struct recipient r = {.id = "rcp_1", .status = RECIPIENT_QUEUED, .disposition = DISP_NONE};
    r.phone_number = "+14155550100";
    struct buf b;
    buf_init(&b, 4096);
    recipient_csv_row(&b, &r);
    assert_string_equal(b.data, "rcp_1,+14155550100,queued,,0,,,,{}\r\n");
    buf_free(&b);
}

static void test_row_full_reads_back(void **state) {
    (void)state;
    struct recipient r = {.id = "rcp_2", .status = RECIPIENT_SUCCEEDED};
    disposition_parse("completed", &r.disposition);
    r.phone_number = "+14155550101";
    r.attempts = 2;
    r.last_attempt_at = 1796112000123; /* 2026-12-01T08:00:00.123Z */
    r.last_call_id = "call_9";
    r.params_json = "{\"name\":\"Ada, \\\"L\\\"\",\"note\":\"two\\nlines\",\"city\":\"Zürich\"}";
    struct buf b;
    buf_init(&b, 4096);
    recipient_csv_row(&b, &r);

    struct csv_reader rd;
    struct csv_record rec;
    char err[160];
    csv_reader_init(&rd, b.data, b.len);
    csv_record_init(&rec);
    assert_int_equal(csv_read(&rd, &rec, err, sizeof err), 1);
    assert_int_equal(rec.nfields, 9);
    const char *want[9] = {"rcp_2",      "+14155550101",
                           "succeeded",  "completed",
                           "2",          "2026-12-01T08:00:00.123Z",
                           "call_9",     "",
                           r.params_json};
    for (int i = 0; i < 9; i++)
        if (strcmp(csv_field(&rec, (size_t)i), want[i]) != 0)
            fail_msg("field %d: [%s], want [%s]", i, csv_field(&rec, (size_t)i), want[i]);
    assert_int_equal(csv_read(&rd, &rec, err, sizeof err), 0);
    csv_record_free(&rec);
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_row_nulls_and_defaults),
        cmocka_unit_test(test_row_full_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
