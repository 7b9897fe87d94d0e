/* upload_plan_test.c - tests of src/ctl/upload_plan.c, how campaignctl
 * cuts a CSV into requests: chunks of N rows with the header apart, cuts
 * only between records (quoted commas and newlines, doubled quotes, CRLF
 * inside quotes stay in their record), a byte cap that starts a new chunk
 * early, a record over the cap refused with its line, chunk bytes that
 * put back together give the file, files with no final newline, a BOM, a
 * header only, empty and malformed files; and chunk keys that depend on
 * the campaign, the file, the chunk size and the index, and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctl/upload_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[256]; /* the reason of the last refusal */

/* The plan of an exact-size heap copy (ASan sees reads past the end). */
static int plan(const char *text, size_t rows, size_t bytes, struct upload_plan *p, char **copy) {
    size_t len = strlen(text);
    *copy = malloc(len ? len : 1);
    memcpy(*copy, text, len);
    err[0] = '\0';
    return upload_plan_make(*copy, len, rows, bytes, p, err, sizeof err);
}

/* Chunks, put back together after the header, give the file's rows. */
static void check_cover(const char *text, const struct upload_plan *p) {
    size_t at = p->header_len, rows = 0;
    for (size_t i = 0; i < p->nchunks; i++) {
        assert_int_equal(p->chunks[i].start, at);
        assert_true(p->chunks[i].end > p->chunks[i].start);
        assert_int_equal(p->chunks[i].first_row, rows + 1);
        at = p->chunks[i].end;
        rows += p->chunks[i].rows;
    }
    assert_int_equal(at, strlen(text));
    assert_int_equal(rows, p->rows);
}

static void test_rows_per_chunk(void **state) {
    (void)state;
    const char *text = "phone_number,name\n+1,a\n+2,b\n+3,c\n+4,d\n+5,e\n";
    struct upload_plan p;
    char *copy;
    assert_int_equal(plan(text, 2, 0, &p, &copy), 0);
    assert_int_equal(p.header_len, strlen("phone_number,name\n"));
    assert_int_equal(p.rows, 5);
    assert_int_equal(p.nchunks, 3);
    assert_int_equal(p.chunks[0].rows, 2);
    assert_int_equal(p.chunks[2].rows, 1);
    assert_memory_equal(text + p.chunks[1].start, "+3,c\n+4,d\n", 10);
    check_cover(text, &p);
    upload_plan_free(&p);
    free(copy);
}

static void test_quoted_records_stay_whole(void **state) {
    (void)state;
    const char *text = "\xEF\xBB\xBFphone_number,note\r\n"
                       "+1,\"a, b\"\r\n"
                       "+2,\"two\nlines, \"\"quoted\"\"\"\r\n"
                       "+3,\"cr\r\nlf\"\r\n"
                       "+4,last";
    struct upload_plan p;
    char *copy;
    assert_int_equal(plan(text, 1, 0, &p, &copy), 0);
    assert_int_equal(p.header_len, 3 + strlen("phone_number,note\r\n"));
    assert_int_equal(p.rows, 4);
    assert_int_equal(p.nchunks, 4);
    assert_memory_equal(text + p.chunks[1].start, "+2,\"two\nlines, \"\"quoted\"\"\"\r\n",
                        p.chunks[1].end - p.chunks[1].start);
    assert_memory_equal(text + p.chunks[2].start, "+3,\"cr\r\nlf\"\r\n",
                        p.chunks[2].end - p.chunks[2].start);
    assert_int_equal(p.chunks[3].end - p.chunks[3].start, strlen("+4,last"));
    check_cover(text, &p);
    upload_plan_free(&p);
    free(copy);
}

static void test_byte_cap(void **state) {
    (void)state;
    /* records of 10 bytes; a cap of 25 holds two a chunk */
    const char *text = "phone_number\n+100000001\n+100000002\n+100000003\n+100000004\n+100000005\n";
    struct upload_plan p;
    char *copy;
    assert_int_equal(plan(text, 100, 25, &p, &copy), 0);
    assert_int_equal(p.nchunks, 3);
    for (size_t i = 0; i < p.nchunks; i++)
        assert_true(p.chunks[i].end - p.chunks[i].start <= 25);
    check_cover(text, &p);
    upload_plan_free(&p);
    free(copy);
    /* one record over the cap is refused, naming its line */
    assert_int_equal(
        plan("phone_number\n+1\n+1234567890123456789012345678901\n", 100, 25, &p, &copy), -1);
    assert_non_null(strstr(err, "line 3"));
    free(copy);
}

static void test_edges(void **state) {
    (void)state;
    struct upload_plan p;
    char *copy;
    assert_int_equal(plan("phone_number\n", 10, 0, &p, &copy), 0); /* header only */
    assert_int_equal(p.rows, 0);
    assert_int_equal(p.nchunks, 0);
    upload_plan_free(&p);
    free(copy);
    assert_int_equal(plan("phone_number\n\n\n+1\n\n", 10, 0, &p, &copy), 0); /* blank lines */
    assert_int_equal(p.rows, 1);
    upload_plan_free(&p);
    free(copy);
    assert_int_equal(plan("", 10, 0, &p, &copy), -1);
    assert_non_null(strstr(err, "empty"));
    free(copy);
    assert_int_equal(plan("phone_number\n+1,\"open\n+2,x\n", 10, 0, &p, &copy), -1);
    assert_non_null(strstr(err, "line 2"));
    free(copy);
}

static void test_many_rows(void **state) {
    (void)state;
    size_t n = 25001;
    char *text = malloc(20 + n * 16);
    size_t len = (size_t)snprintf(text, 20, "phone_number\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, 20, "+1415%07zu\n", i);
    struct upload_plan p;
    assert_int_equal(upload_plan_make(text, len, 0, 0, &p, err, sizeof err), 0);
    assert_int_equal(p.rows, n);
    assert_int_equal(p.nchunks, 3);
    assert_int_equal(p.chunks[0].rows, UPLOAD_CHUNK_ROWS);
    assert_int_equal(p.chunks[2].rows, 5001);
    assert_int_equal(p.chunks[2].first_row, 20001);
    check_cover(text, &p);
    upload_plan_free(&p);
    free(text);
}

static void test_keys(void **state) {
    (void)state;
    char a[UPLOAD_KEY_LEN + 1], b[UPLOAD_KEY_LEN + 1];
    upload_chunk_key("cmp_1", "ab12", 10000, 0, a);
    assert_int_equal(strlen(a), UPLOAD_KEY_LEN);
    assert_memory_equal(a, "ctl-", 4);
    upload_chunk_key("cmp_1", "ab12", 10000, 0, b);
    assert_string_equal(a, b); /* a rerun sends the same key */
    upload_chunk_key("cmp_1", "ab12", 10000, 1, b);
    assert_string_not_equal(a, b);
    upload_chunk_key("cmp_2", "ab12", 10000, 0, b);
    assert_string_not_equal(a, b);
    upload_chunk_key("cmp_1", "ab13", 10000, 0, b);
    assert_string_not_equal(a, b);
    upload_chunk_key("cmp_1", "ab12", 5000, 0, b);
    assert_string_not_equal(a, b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_per_chunk), cmocka_unit_test(test_quoted_records_stay_whole),
        cmocka_unit_test(test_byte_cap),       cmocka_unit_test(test_edges),
        cmocka_unit_test(test_many_rows),      cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
