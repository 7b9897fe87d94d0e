/* dashboard_assets_test.c - tests of the table cmake/embed_assets.cmake
 * generates from web/dashboard/ (api/dashboard_assets.h): the page and the
 * files it loads are there; names are unique and flat; each has a
 * Content-Type matching its extension, a quoted 16-hex-digit ETag, distinct
 * from the others, and its bytes followed by a NUL the generator adds (so
 * the length is the file's, not one more); the table ends with a zero row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/dashboard_assets.h"

#include <string.h>

static const struct dashboard_asset *find(const char *name) {
    for (size_t i = 0; i < dashboard_asset_count; i++)
        if (strcmp(dashboard_assets[i].name, name) == 0)
            return &dashboard_assets[i];
    return NULL;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_the_page_and_its_files_are_embedded(void **state) {
    (void)state;
    const char *names[] = {"index.html",    "app.js",    "plot.js",
                           "csv_upload.js", "style.css", "favicon.svg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_non_null(find(names[i]));
    const struct dashboard_asset *index = find("index.html");
    assert_non_null(strstr((const char *)index->data, "<title>campaignd dashboard</title>"));
    assert_null(find("README.md"));
    assert_null(find(""));
}

static void test_each_row_is_well_formed(void **state) {
    (void)state;
    assert_true(dashboard_asset_count >= 6);
    for (size_t i = 0; i < dashboard_asset_count; i++) {
        const struct dashboard_asset *a = &dashboard_assets[i];
        assert_non_null(a->name);
        assert_null(strchr(a->name, '/'));
        assert_true(a->len > 0);
        assert_int_equal(a->data[a->len], 0);
        assert_int_equal(strlen(a->etag), 18);
        assert_true(a->etag[0] == '"' && a->etag[17] == '"');
        for (int k = 1; k < 17; k++)
            assert_non_null(strchr("0123456789abcdef", a->etag[k]));
        if (ends_with(a->name, ".html"))
            assert_string_equal(a->content_type, "text/html; charset=utf-8");
        else if (ends_with(a->name, ".js"))
            assert_string_equal(a->content_type, "text/javascript; charset=utf-8");
        else if (ends_with(a->name, ".css"))
            assert_string_equal(a->content_type, "text/css; charset=utf-8");
        else if (ends_with(a->name, ".svg"))
            assert_string_equal(a->content_type, "image/svg+xml");
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(a->name, dashboard_assets[j].name);
            assert_string_not_equal(a->etag, dashboard_assets[j].etag);
        }
    }
    assert_null(dashboard_assets[dashboard_asset_count].name);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_page_and_its_files_are_embedded),
        cmocka_unit_test(test_each_row_is_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
