/* template_test.c - tests of domain/template.c: template_check (well-formed
 * placeholders with blanks inside the braces, malformed ones: empty, a name
 * that starts with a digit, unclosed, bad characters, a name over 64) and
 * template_render (values from the params: strings as they are, numbers and
 * booleans as JSON writes them; a "{{" that opens no placeholder is left as
 * is; a missing or null param fails the render and is named; a value is
 * never expanded again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_fixture.h"

#include "domain/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *repeat(char c, size_t n) {
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void check_ok(const char *tmpl) {
    const char *why = NULL;
    if (template_check(tmpl, &why) != 0)
        fail_msg("template_check(\"%s\") refused it: %s", tmpl, why ? why : "(no reason)");
}

static void check_bad(const char *tmpl) {
    const char *why = NULL;
    if (template_check(tmpl, &why) != -1)
        fail_msg("template_check(\"%s\") accepted a malformed placeholder", tmpl);
    assert_non_null(why);
    assert_true(strlen(why) > 0);
}

/* Renders tmpl with params (single-quoted JSON, or NULL) and compares. */
static void render_is(const char *tmpl, const char *params_sq, const char *want) {
    json_t *params = params_sq ? J(params_sq) : NULL;
    char *out = NULL;
    char missing[65] = "";
    int rc = template_render(tmpl, params, &out, missing);
    if (rc != 0)
        fail_msg("template_render(\"%s\") failed, missing \"%s\"", tmpl, missing);
    assert_non_null(out);
    if (strcmp(out, want) != 0)
        fail_msg("template_render(\"%s\") = \"%s\", want \"%s\"", tmpl, out, want);
    free(out);
    json_decref(params);
}

static void render_missing(const char *tmpl, const char *params_sq, const char *name) {
    json_t *params = params_sq ? J(params_sq) : NULL;
    char *out = NULL;
    char missing[65] = "";
    int rc = template_render(tmpl, params, &out, missing);
    if (rc != -1)
        fail_msg("template_render(\"%s\") rendered \"%s\" with a param missing", tmpl,
                 out ? out : "(null)");
    assert_null(out); /* never a half-filled text */
    assert_string_equal(missing, name);
    json_decref(params);
}

/* ---- template_check ---------------------------------------------------- */

static void check_accepts_wellformed(void **state) {
    (void)state;
    check_ok("");
    check_ok("no placeholders at all");
    check_ok("Hi {{name}}");
    check_ok("Hi {{ name }}");
    check_ok("Hi {{\tname\t}}");
    check_ok("Hi {{   name}}");
    check_ok("{{_}}{{_x1}}{{A_b_9}}");
    check_ok("{{a}}{{b}}");
    check_ok("a single { brace and }} closing ones { name }");
    check_ok("Zoë {{name}} €");
    char *name = repeat('n', 64);
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "{{%s}}", name);
    check_ok(tmpl);
    free(name);
}

static void check_refuses_malformed(void **state) {
    (void)state;
    check_bad("{{");
    check_bad("Hi {{");
    check_bad("{{}}");
    check_bad("{{ }}");
    check_bad("{{\t}}");
    check_bad("{{1x}}");
    check_bad("{{ 1 }}");
    check_bad("{{name");
    check_bad("{{name}");
    check_bad("{{name }");
    check_bad("{{na-me}}");
    check_bad("{{name.first}}");
    check_bad("{{na me}}");
    check_bad("{{é}}");
    check_bad("{{{name}}}");
    check_bad("fine {{name}} then {{ }}");
    check_bad("{{name}}{{");
    check_bad("{{ name }\n}");
    char *name = repeat('n', 65);
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "{{%s}}", name);
    check_bad(tmpl);
    free(name);
}

/* ---- template_render --------------------------------------------------- */

static void render_strings(void **state) {
    (void)state;
    render_is("Hi {{name}}", "{'name': 'Ada'}", "Hi Ada");
    render_is("Hi {{ name }}!", "{'name': 'Ada'}", "Hi Ada!");
    render_is("Hi {{\tname  }}!", "{'name': 'Ada'}", "Hi Ada!");
    render_is("{{a}}{{b}}{{a}}", "{'a': 'x', 'b': 'y'}", "xyx");
    render_is("{{name}}", "{'name': ''}", "");
    render_is("{{name}} €", "{'name': 'Zoë 😀'}", "Zoë 😀 €");
    render_is("no placeholders", NULL, "no placeholders");
    render_is("no placeholders", "{}", "no placeholders");
    render_is("", "{}", "");
    /* extra params are ignored */
    render_is("Hi {{name}}", "{'name': 'Ada', 'other': 1}", "Hi Ada");
}

static void render_values_as_json(void **state) {
    (void)state;
    render_is("{{n}}", "{'n': 3}", "3");
    render_is("{{n}}", "{'n': 0}", "0");
    render_is("{{n}}", "{'n': -7}", "-7");
    render_is("{{n}}", "{'n': 9007199254740993}", "9007199254740993");
    render_is("{{f}}", "{'f': 2.5}", "2.5");
    render_is("{{f}}", "{'f': -0.25}", "-0.25");
    render_is("{{t}}", "{'t': true}", "true");
    render_is("{{t}}", "{'t': false}", "false");
    render_is("n={{n}} f={{f}} t={{t}} s={{s}}", "{'n': 3, 'f': 2.5, 't': true, 's': '3'}",
              "n=3 f=2.5 t=true s=3");
}

/* Regression (fixed): reals are written with 17 significant digits: 0.1 renders
 * "0.10000000000000001" and 19.99 "19.989999999999998", not as JSON (or
 * the sender) wrote them. */
static void render_fractions_as_written(void **state) {
    (void)state;
    render_is("{{f}}", "{'f': 0.1}", "0.1");
    render_is("Pay {{f}}", "{'f': 19.99}", "Pay 19.99");
}

static void render_leaves_literal_braces(void **state) {
    (void)state;
    /* a "{{" that opens no placeholder stays as it is */
    render_is("a {{ b", "{}", "a {{ b");
    render_is("{{", "{}", "{{");
    render_is("{{1}} and {{name}}", "{'name': 'Ada'}", "{{1}} and Ada");
    render_is("{{ }} {{name}}", "{'name': 'Ada'}", "{{ }} Ada");
    render_is("x {{na-me}} y", "{}", "x {{na-me}} y");
    render_is("{{name", "{'name': 'Ada'}", "{{name");
    render_is("{name} }} {", "{'name': 'Ada'}", "{name} }} {");
}

static void render_never_expands_values(void **state) {
    (void)state;
    render_is("{{a}}", "{'a': '{{b}}', 'b': 'no'}", "{{b}}");
    render_is("{{a}}{{b}}", "{'a': '{{', 'b': 'b}}'}", "{{b}}");
}

static void render_missing_params(void **state) {
    (void)state;
    render_missing("Hi {{name}}", "{}", "name");
    render_missing("Hi {{name}}", NULL, "name");
    render_missing("Hi {{ name }}", "{'Name': 'Ada'}", "name");
    render_missing("Hi {{name}}", "{'name': null}", "name");
    /* the first one missing is named */
    render_missing("{{a}} {{b}} {{c}}", "{'a': 1}", "b");
    render_missing("{{a}} {{b}} {{c}}", "{'a': 1, 'b': 2}", "c");
    char *name = repeat('z', 64);
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "x {{ %s }}", name);
    render_missing(tmpl, "{}", name);
    free(name);
}

/* A stored config without its text (a row written before NUL was refused)
 * renders nothing rather than crashing the engine at every claim. */
static void render_without_template(void **state) {
    (void)state;
    char *out = NULL, missing[65] = "x";
    assert_int_equal(template_render(NULL, NULL, &out, missing), -1);
    assert_null(out);
    assert_string_equal(missing, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_accepts_wellformed),
        cmocka_unit_test(check_refuses_malformed),
        cmocka_unit_test(render_strings),
        cmocka_unit_test(render_values_as_json),
        cmocka_unit_test(render_fractions_as_written),
        cmocka_unit_test(render_leaves_literal_braces),
        cmocka_unit_test(render_never_expands_values),
        cmocka_unit_test(render_missing_params),
        cmocka_unit_test(render_without_template),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
