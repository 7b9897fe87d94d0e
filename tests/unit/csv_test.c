/* csv_test.c - tests of domain/csv.c, the RFC 4180 reader of recipient
 * uploads: plain and quoted fields (embedded commas, LF and CRLF newlines,
 * doubled quotes, empty quoted fields), the UTF-8 byte-order mark, CRLF and
 * LF record ends, blank lines skipped, with and without a final newline,
 * empty fields, and hostile input: unterminated quotes, quotes inside
 * unquoted fields, bytes after a closing quote (each an error naming its
 * line), a 1 MB field, NUL bytes and invalid UTF-8 kept as bytes with
 * their lengths, more than CSV_MAX_FIELDS fields, 10,001 rows read one by
 * one, a file of only a BOM, and line numbers across quoted newlines.
 * Every input is an exact-size heap copy, so AddressSanitizer catches a
 * read past the end of the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

/* A reader over an exact-size copy of data[0..len) (freed by done()). */
struct fixture {
    char *copy;
    struct csv_reader r;
    struct csv_record rec;
    char err[160];
};

static void start(struct fixture *f, const char *data, size_t len) {
    f->copy = malloc(len ? len : 1);
    assert_non_null(f->copy);
    if (len)
        memcpy(f->copy, data, len);
    csv_reader_init(&f->r, f->copy, len);
    csv_record_init(&f->rec);
    f->err[0] = '\0';
}

static void done(struct fixture *f) {
    csv_record_free(&f->rec);
    free(f->copy);
}

static int next(struct fixture *f) {
    return csv_read(&f->r, &f->rec, f->err, sizeof f->err);
}

#define MAXF 8
struct want_rec {
    size_t line;
    size_t n;
    const char *f[MAXF]; /* NUL-free expected fields */
};

/* Reads every record of data and compares with want[0..nwant); the reader
 * must then report the end (0), and keep reporting it. */
static void expect_records(const char *what, const char *data, size_t len,
                           const struct want_rec *want, size_t nwant) {
    struct fixture f;
    start(&f, data, len);
    for (size_t i = 0; i < nwant; i++) {
        int rc = next(&f);
        if (rc != 1)
            fail_msg("%s: record %zu: rc %d (%s)", what, i, rc, f.err);
        if (f.rec.nfields != want[i].n)
            fail_msg("%s: record %zu: %zu fields, want %zu", what, i, f.rec.nfields, want[i].n);
        if (f.rec.line != want[i].line)
            fail_msg("%s: record %zu: line %zu, want %zu", what, i, f.rec.line, want[i].line);
        for (size_t k = 0; k < want[i].n; k++) {
            const char *got = csv_field(&f.rec, k);
            size_t wl = strlen(want[i].f[k]);
            if (f.rec.len[k] != wl || memcmp(got, want[i].f[k], wl) != 0)
                fail_msg("%s: record %zu field %zu: got \"%.*s\" (%zu bytes), want \"%s\"", what, i,
                         k, (int)f.rec.len[k], got, f.rec.len[k], want[i].f[k]);
            if (got[f.rec.len[k]] != '\0')
                fail_msg("%s: record %zu field %zu not NUL-terminated", what, i, k);
        }
    }
    int rc = next(&f);
    if (rc != 0)
        fail_msg("%s: expected the end, got rc %d (%zu fields, %s)", what, rc, f.rec.nfields,
                 f.err);
    assert_int_equal(next(&f), 0);
    done(&f);
}

#define EXPECT(what, lit, ...)                                                                     \
    do {                                                                                           \
        const struct want_rec w_[] = {__VA_ARGS__};                                                \
        expect_records(what, lit, sizeof(lit) - 1, w_, sizeof w_ / sizeof w_[0]);                  \
    } while (0)

/* Reads data until an error; checks that one comes after `good` records
 * and that its message names the line. */
static void expect_error(const char *what, const char *data, size_t len, size_t good, size_t line) {
    struct fixture f;
    start(&f, data, len);
    for (size_t i = 0; i < good; i++) {
        int rc = next(&f);
        if (rc != 1)
            fail_msg("%s: record %zu before the error: rc %d (%s)", what, i, rc, f.err);
    }
    int rc = next(&f);
    if (rc != -1)
        fail_msg("%s: expected an error, got rc %d", what, rc);
    char needle[32];
    snprintf(needle, sizeof needle, "line %zu", line);
    if (strstr(f.err, needle) == NULL)
        fail_msg("%s: error \"%s\" does not name %s", what, f.err, needle);
    /* the digits are the whole number: "line 1" must not match "line 12" */
    const char *at = strstr(f.err, needle) + strlen(needle);
    if (*at >= '0' && *at <= '9')
        fail_msg("%s: error \"%s\" names another line than %zu", what, f.err, line);
    done(&f);
}

#define EXPECT_ERROR(what, lit, good, line) expect_error(what, lit, sizeof(lit) - 1, good, line)

/* ---- well-formed input ------------------------------------------------ */

static void test_simple_lf_crlf(void **state) {
    (void)state;
    EXPECT("LF, final newline", "phone_number,name\n+15551234567,Ann\n",
           {1, 2, {"phone_number", "name"}}, {2, 2, {"+15551234567", "Ann"}});
    EXPECT("LF, no final newline", "phone_number,name\n+15551234567,Ann",
           {1, 2, {"phone_number", "name"}}, {2, 2, {"+15551234567", "Ann"}});
    EXPECT("CRLF, final newline", "a,b\r\nc,d\r\n", {1, 2, {"a", "b"}}, {2, 2, {"c", "d"}});
    EXPECT("CRLF, no final newline", "a,b\r\nc,d", {1, 2, {"a", "b"}}, {2, 2, {"c", "d"}});
    EXPECT("mixed CRLF and LF", "a\r\nb\nc\r\nd", {1, 1, {"a"}}, {2, 1, {"b"}}, {3, 1, {"c"}},
           {4, 1, {"d"}});
    EXPECT("one field", "x", {1, 1, {"x"}});
    EXPECT("spaces are data", " a , b ", {1, 2, {" a ", " b "}});
}

static void test_empty_input(void **state) {
    (void)state;
    struct fixture f;
    start(&f, "", 0);
    assert_int_equal(next(&f), 0);
    assert_int_equal(next(&f), 0);
    done(&f);
    /* only blank lines */
    start(&f, "\n\r\n\n", 4);
    assert_int_equal(next(&f), 0);
    done(&f);
}

static void test_quoted_fields(void **state) {
    (void)state;
    EXPECT("embedded comma", "\"Smith, Ann\",x\n", {1, 2, {"Smith, Ann", "x"}});
    EXPECT("embedded LF", "\"two\nlines\",x\ny\n", {1, 2, {"two\nlines", "x"}}, {3, 1, {"y"}});
    EXPECT("embedded CRLF kept as is", "\"two\r\nlines\",x\r\ny\r\n", {1, 2, {"two\r\nlines", "x"}},
           {3, 1, {"y"}});
    EXPECT("doubled quotes", "\"say \"\"hi\"\"\",\"\"\"\",\"a\"\"\"\"b\"\n",
           {1, 3, {"say \"hi\"", "\"", "a\"\"b"}});
    EXPECT("empty quoted fields", "\"\",\"\"\n\"\"\n", {1, 2, {"", ""}}, {2, 1, {""}});
    EXPECT("quoted at end of input", "a,\"b\"", {1, 2, {"a", "b"}});
    EXPECT("quoted then CRLF", "\"a\"\r\n\"b\"\r\n", {1, 1, {"a"}}, {2, 1, {"b"}});
    EXPECT("quoted blank line is a field", "\"\n\"\n", {1, 1, {"\n"}});
    EXPECT("quoted comma-only", "\",\",\",,\"", {1, 2, {",", ",,"}});
}

static void test_bom(void **state) {
    (void)state;
    EXPECT("BOM skipped", "\xEF\xBB\xBFphone_number\n+15551234567\n", {1, 1, {"phone_number"}},
           {2, 1, {"+15551234567"}});
    EXPECT("BOM then quoted field", "\xEF\xBB\xBF\"a,b\",c", {1, 2, {"a,b", "c"}});
    EXPECT("BOM then blank lines", "\xEF\xBB\xBF\n\nx\n", {3, 1, {"x"}});
    /* only a leading BOM is special: later ones are data */
    EXPECT("BOM elsewhere is data",
           "a\n\xEF\xBB\xBF"
           "b\n",
           {1, 1, {"a"}},
           {2,
            1,
            {"\xEF\xBB\xBF"
             "b"}});
    /* a partial BOM is data */
    EXPECT("partial BOM", "\xEF\xBBx", {1, 1, {"\xEF\xBBx"}});
}

static void test_bom_only(void **state) {
    (void)state;
    const char *inputs[] = {"\xEF\xBB\xBF", "\xEF\xBB\xBF\n", "\xEF\xBB\xBF\r\n\r\n"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        struct fixture f;
        start(&f, inputs[i], strlen(inputs[i]));
        int rc = next(&f);
        if (rc != 0)
            fail_msg("BOM-only input %zu: rc %d, %zu fields", i, rc, f.rec.nfields);
        done(&f);
    }
}

static void test_blank_lines_skipped(void **state) {
    (void)state;
    EXPECT("leading, inner and trailing blank lines", "\n\na\n\n\nb\r\n\r\nc\n\n\n", {3, 1, {"a"}},
           {6, 1, {"b"}}, {8, 1, {"c"}});
    EXPECT("blank CRLF lines", "\r\n\r\nx,y\r\n\r\n", {3, 2, {"x", "y"}});
}

static void test_empty_fields(void **state) {
    (void)state;
    EXPECT("lone comma", ",\n", {1, 2, {"", ""}});
    EXPECT("two commas", ",,", {1, 3, {"", "", ""}});
    EXPECT("empty middle", "a,,b\n", {1, 3, {"a", "", "b"}});
    EXPECT("trailing comma", "a,\nb,\r\n", {1, 2, {"a", ""}}, {2, 2, {"b", ""}});
    EXPECT("leading comma", ",a", {1, 2, {"", "a"}});
    EXPECT("empty then quoted", ",\"\",", {1, 3, {"", "", ""}});
}

/* Each record's fields replace the last one's: reading a long record then
 * a short one leaves no stale bytes. */
static void test_record_reuse(void **state) {
    (void)state;
    EXPECT("long then short", "aaaaaaaaaa,bbbbbbbbbb,cccccccccc\nx\n\"y\"\n",
           {1, 3, {"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"}}, {2, 1, {"x"}}, {3, 1, {"y"}});
}

static void test_line_numbers_across_quoted_newlines(void **state) {
    (void)state;
    EXPECT("records after multi-line fields", "h1,h2\n\"a\nb\nc\",d\ne,\"f\r\ng\"\nh\n\n\"i\n\"\nj",
           {1, 2, {"h1", "h2"}}, {2, 2, {"a\nb\nc", "d"}}, {5, 2, {"e", "f\r\ng"}}, {7, 1, {"h"}},
           {9, 1, {"i\n"}}, {11, 1, {"j"}});
    /* an error after a multi-line field names the line it is on */
    EXPECT_ERROR("error after quoted newlines", "a\n\"b\nc\nd\",e\nf,g\"h\n", 2, 5);
    EXPECT_ERROR("error inside the record, after its newlines", "\"x\ny\"z\n", 0, 2);
}

/* ---- hostile input ---------------------------------------------------- */

static void test_unterminated_quote(void **state) {
    (void)state;
    EXPECT_ERROR("first line", "\"abc", 0, 1);
    EXPECT_ERROR("third line", "h\nx,y\n\"abc,def\n", 2, 3);
    EXPECT_ERROR("after blank lines", "h\n\n\n\"abc", 1, 4);
    EXPECT_ERROR("second field", "a,\"b\n", 0, 1);
    EXPECT_ERROR("CRLF file", "a\r\nb\r\n\"c\r\nd\r\n", 2, 3);
}

/* Regression (fixed): input that ends inside a quoted field right after the opening
 * quote or right after a doubled quote is accepted instead of being an
 * unterminated quoted field: csv_read's loop ends (r->p == r->end) before
 * the QUOTED state gets to look for the closing quote, and the field is
 * ended as if it were closed. `"` reads as one empty field, `a,"` as
 * {"a", ""} and `"ab""` as {ab"}. */
static void test_unterminated_quote_at_end_bug(void **state) {
    (void)state;
    EXPECT_ERROR("lone quote", "\"", 0, 1);
    EXPECT_ERROR("quote after a comma", "a,\"", 0, 1);
    EXPECT_ERROR("quote on the last line", "h\n\"", 1, 2);
    EXPECT_ERROR("ends in a doubled quote", "\"ab\"\"", 0, 1);
}

static void test_quote_inside_unquoted(void **state) {
    (void)state;
    EXPECT_ERROR("middle", "ab\"c\"\n", 0, 1);
    EXPECT_ERROR("end", "ab\"\n", 0, 1);
    EXPECT_ERROR("second line, second field", "a,b\nc,d\"e\n", 1, 2);
    EXPECT_ERROR("after a space", " \"a\"", 0, 1);
}

static void test_after_closing_quote(void **state) {
    (void)state;
    EXPECT_ERROR("letter", "\"ab\"c\n", 0, 1);
    EXPECT_ERROR("space before comma", "\"ab\" ,x\n", 0, 1);
    EXPECT_ERROR("on line 3", "x\ny\n\"a\"b", 2, 3);
    EXPECT_ERROR("a quote", "\"a\"b\"", 0, 1);
    EXPECT_ERROR("NUL", "\"a\"\0", 0, 1);
}

static void test_one_megabyte_field(void **state) {
    (void)state;
    const size_t big = 1u << 20;
    /* unquoted: big bytes of 'x' then ",end" */
    char *data = malloc(big + 16);
    assert_non_null(data);
    memset(data, 'x', big);
    memcpy(data + big, ",end\n", 5);
    struct fixture f;
    start(&f, data, big + 5);
    assert_int_equal(next(&f), 1);
    assert_int_equal(f.rec.nfields, 2);
    assert_int_equal(f.rec.len[0], big);
    const char *got = csv_field(&f.rec, 0);
    for (size_t i = 0; i < big; i++)
        if (got[i] != 'x')
            fail_msg("byte %zu of the big field is %d", i, got[i]);
    assert_int_equal(f.rec.len[1], 3);
    assert_string_equal(csv_field(&f.rec, 1), "end");
    assert_int_equal(next(&f), 0);
    done(&f);

    /* quoted, with a doubled quote and newlines inside: 1 MB of data */
    size_t n = 0;
    data[n++] = '"';
    while (n < big - 4) {
        data[n] = (n % 1000 == 0) ? '\n' : 'y';
        n++;
    }
    size_t newlines = 0;
    for (size_t i = 1; i < n; i++)
        newlines += data[i] == '\n';
    data[n++] = '"';
    data[n++] = '"';
    data[n++] = 'z';
    data[n++] = '"';
    data[n++] = '\n';
    data[n++] = 'k';
    start(&f, data, n);
    assert_int_equal(next(&f), 1);
    assert_int_equal(f.rec.nfields, 1);
    assert_int_equal(f.rec.len[0], (big - 4 - 1) + 2); /* the body, one quote, z */
    got = csv_field(&f.rec, 0);
    assert_memory_equal(got, data + 1, big - 5);
    assert_memory_equal(got + big - 5, "\"z", 2);
    assert_int_equal(next(&f), 1);
    assert_int_equal(f.rec.line, 2 + newlines);
    assert_string_equal(csv_field(&f.rec, 0), "k");
    assert_int_equal(next(&f), 0);
    done(&f);
    free(data);
}

static void test_nul_bytes_kept(void **state) {
    (void)state;
    static const char data[] = "a\0b,\"c\0\",\0\n\0\0\n";
    struct fixture f;
    start(&f, data, sizeof data - 1);
    assert_int_equal(next(&f), 1);
    assert_int_equal(f.rec.nfields, 3);
    assert_int_equal(f.rec.len[0], 3);
    assert_memory_equal(csv_field(&f.rec, 0), "a\0b", 4); /* with its terminator */
    assert_int_equal(f.rec.len[1], 2);
    assert_memory_equal(csv_field(&f.rec, 1), "c\0", 3);
    assert_int_equal(f.rec.len[2], 1);
    assert_memory_equal(csv_field(&f.rec, 2), "\0", 2);
    assert_int_equal(next(&f), 1);
    assert_int_equal(f.rec.line, 2);
    assert_int_equal(f.rec.nfields, 1);
    assert_int_equal(f.rec.len[0], 2);
    assert_memory_equal(csv_field(&f.rec, 0), "\0\0", 3);
    assert_int_equal(next(&f), 0);
    done(&f);
}

static void test_invalid_utf8_kept(void **state) {
    (void)state;
    static const char data[] = "\xff\xfe,\"\xc3\",\xed\xa0\x80\xc0\x80\n\x80";
    struct fixture f;
    start(&f, data, sizeof data - 1);
    assert_int_equal(next(&f), 1);
    assert_int_equal(f.rec.nfields, 3);
    assert_int_equal(f.rec.len[0], 2);
    assert_memory_equal(csv_field(&f.rec, 0), "\xff\xfe", 2);
    assert_int_equal(f.rec.len[1], 1);
    assert_memory_equal(csv_field(&f.rec, 1), "\xc3", 1);
    assert_int_equal(f.rec.len[2], 5);
    assert_memory_equal(csv_field(&f.rec, 2), "\xed\xa0\x80\xc0\x80", 5);
    assert_int_equal(next(&f), 1);
    assert_int_equal(f.rec.len[0], 1);
    assert_memory_equal(csv_field(&f.rec, 0), "\x80", 1);
    assert_int_equal(next(&f), 0);
    done(&f);
}

/* A line of `fields` fields "f0,f1,..." (or empty fields), newline-ended. */
static char *wide_line(size_t fields, int empty, size_t *len) {
    char *s = malloc(fields * 8 + 2);
    assert_non_null(s);
    size_t n = 0;
    for (size_t i = 0; i < fields; i++) {
        if (i)
            s[n++] = ',';
        if (!empty)
            n += (size_t)snprintf(s + n, 8, "f%zu", i);
    }
    s[n++] = '\n';
    *len = n;
    return s;
}

static void test_max_fields(void **state) {
    (void)state;
    for (int empty = 0; empty <= 1; empty++) {
        size_t len;
        char *s = wide_line(CSV_MAX_FIELDS, empty, &len);
        struct fixture f;
        start(&f, s, len);
        assert_int_equal(next(&f), 1);
        assert_int_equal(f.rec.nfields, CSV_MAX_FIELDS);
        char want[8];
        snprintf(want, sizeof want, "f%d", CSV_MAX_FIELDS - 1);
        assert_string_equal(csv_field(&f.rec, CSV_MAX_FIELDS - 1), empty ? "" : want);
        assert_int_equal(next(&f), 0);
        done(&f);
        free(s);

        s = wide_line(CSV_MAX_FIELDS + 1, empty, &len);
        expect_error(empty ? "257 empty fields" : "257 fields", s, len, 0, 1);
        free(s);
    }
    /* far too many, on line 2, and in a quoted form */
    size_t len;
    char *s = wide_line(5000, 0, &len);
    char *two = malloc(len + 2);
    assert_non_null(two);
    memcpy(two, "h\n", 2);
    memcpy(two + 2, s, len);
    expect_error("5000 fields on line 2", two, len + 2, 1, 2);
    free(two);
    free(s);
    char q[4 * (CSV_MAX_FIELDS + 1)];
    size_t n = 0;
    for (size_t i = 0; i <= CSV_MAX_FIELDS; i++) {
        if (i)
            q[n++] = ',';
        q[n++] = '"';
        q[n++] = '"';
    }
    expect_error("257 quoted fields", q, n, 0, 1);
}

static void test_many_rows_one_by_one(void **state) {
    (void)state;
    enum { ROWS = 10001 };
    size_t cap = (size_t)ROWS * 48 + 64, n = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    n += (size_t)snprintf(data + n, cap - n, "phone_number,name,n\r\n");
    for (int i = 0; i < ROWS; i++)
        n += (size_t)snprintf(data + n, cap - n, "+1415555%04d,\"Name %d, Jr\",%d\r\n", i % 10000,
                              i, i);
    struct fixture f;
    start(&f, data, n);
    assert_int_equal(next(&f), 1);
    assert_string_equal(csv_field(&f.rec, 0), "phone_number");
    for (int i = 0; i < ROWS; i++) {
        int rc = next(&f);
        if (rc != 1)
            fail_msg("row %d: rc %d (%s)", i, rc, f.err);
        char phone[32], name[32], num[16];
        snprintf(phone, sizeof phone, "+1415555%04d", i % 10000);
        snprintf(name, sizeof name, "Name %d, Jr", i);
        snprintf(num, sizeof num, "%d", i);
        if (f.rec.nfields != 3 || f.rec.line != (size_t)i + 2 ||
            strcmp(csv_field(&f.rec, 0), phone) || strcmp(csv_field(&f.rec, 1), name) ||
            strcmp(csv_field(&f.rec, 2), num) || f.rec.len[1] != strlen(name))
            fail_msg("row %d: %zu fields at line %zu: %s|%s|%s", i, f.rec.nfields, f.rec.line,
                     csv_field(&f.rec, 0), csv_field(&f.rec, 1), csv_field(&f.rec, 2));
    }
    assert_int_equal(next(&f), 0);
    done(&f);
    free(data);
}

/* The reader never reads past len: the same bytes cut at every length
 * either parse or fail cleanly (AddressSanitizer checks the reads). */
static void test_every_prefix(void **state) {
    (void)state;
    static const char data[] = "\xEF\xBB\xBFh,\"a,\"\"b\"\"\r\nc\"\r\n\r\n\"\",x,\n\"q";
    for (size_t cut = 0; cut <= sizeof data - 1; cut++) {
        struct fixture f;
        start(&f, data, cut);
        int rc, guard = 0;
        while ((rc = next(&f)) == 1)
            assert_true(++guard < 10);
        assert_true(rc == 0 || rc == -1);
        if (rc == -1)
            assert_true(strstr(f.err, "line ") != NULL);
        done(&f);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_lf_crlf),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_bom_only),
        cmocka_unit_test(test_blank_lines_skipped),
        cmocka_unit_test(test_empty_fields),
        cmocka_unit_test(test_record_reuse),
        cmocka_unit_test(test_line_numbers_across_quoted_newlines),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_unterminated_quote_at_end_bug),
        cmocka_unit_test(test_quote_inside_unquoted),
        cmocka_unit_test(test_after_closing_quote),
        cmocka_unit_test(test_one_megabyte_field),
        cmocka_unit_test(test_nul_bytes_kept),
        cmocka_unit_test(test_invalid_utf8_kept),
        cmocka_unit_test(test_max_fields),
        cmocka_unit_test(test_many_rows_one_by_one),
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
