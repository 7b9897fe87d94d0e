/* keywords_test.c - tests of domain/keywords.c (keyword_classify,
 * keyword_action_name): STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
 * REVOKE, OPTOUT opt out and START, UNSTOP opt back in, in any case, with
 * blanks (space, tab, CR, LF) around them ignored; only when the keyword is
 * the whole message ("STOP PLEASE", "STOP!", "S TOP" are nothing); the
 * empty body and NULL are nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/keywords.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const OPT_OUT[] = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL",
                                      "END",  "QUIT",    "REVOKE",      "OPTOUT"};
static const char *const OPT_IN[] = {"START", "UNSTOP"};

static void expect(const char *body, enum keyword_action want) {
    enum keyword_action got = keyword_classify(body);
    if (got != want)
        fail_msg("keyword_classify(\"%s\") = %s, want %s", body ? body : "(null)",
                 keyword_action_name(got), keyword_action_name(want));
}

/* The word in upper, lower and mixed case, each bare and with blanks. */
static void expect_variants(const char *word, enum keyword_action want) {
    static const char *const pads[][2] = {{"", ""},     {" ", ""},     {"", " "},
                                          {"  ", "  "}, {"\t", "\n"},  {"\r\n", "\r\n"},
                                          {" \t ", ""}, {"", "\n\n "}, {"\v", "\f"}};
    char cased[3][32];
    size_t n = strlen(word);
    assert_true(n < sizeof cased[0]);
    for (size_t i = 0; i <= n; i++) {
        cased[0][i] = word[i];
        cased[1][i] = (char)tolower((unsigned char)word[i]);
        cased[2][i] = i % 2 ? (char)tolower((unsigned char)word[i]) : word[i];
    }
    for (size_t c = 0; c < 3; c++) {
        for (size_t p = 0; p < sizeof pads / sizeof pads[0]; p++) {
            char body[128];
            snprintf(body, sizeof body, "%s%s%s", pads[p][0], cased[c], pads[p][1]);
            expect(body, want);
        }
    }
}

static void opt_out_keywords(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof OPT_OUT / sizeof OPT_OUT[0]; i++)
        expect_variants(OPT_OUT[i], KEYWORD_OPT_OUT);
    expect("Stop", KEYWORD_OPT_OUT);
    expect("sToP", KEYWORD_OPT_OUT);
    expect("UnSubScribe", KEYWORD_OPT_OUT);
    expect("optOut", KEYWORD_OPT_OUT);
}

static void opt_in_keywords(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof OPT_IN / sizeof OPT_IN[0]; i++)
        expect_variants(OPT_IN[i], KEYWORD_OPT_IN);
    expect("Start", KEYWORD_OPT_IN);
    expect("unStop", KEYWORD_OPT_IN);
}

static void keyword_must_be_the_whole_message(void **state) {
    (void)state;
    const char *nothing[] = {"STOP PLEASE",     "please stop",  "STOP!",    "STOP.",
                             "S TOP",           "STO",          "STOPP",    "STOP STOP",
                             "stop\tstop",      "STOPALLL",     "STOP ALL", "OPT OUT",
                             "OPT-OUT",         "UN STOP",      "STARTS",   "RESTART",
                             "START NOW",       "UNSUBSCRIBED", "ENDS",     "QUITE",
                             "\"STOP\"",        "STOP\x01",     "x",        "Hello there",
                             "STOP\xc2\xa0more"};
    for (size_t i = 0; i < sizeof nothing / sizeof nothing[0]; i++)
        expect(nothing[i], KEYWORD_NONE);
}

static void empty_and_null_are_nothing(void **state) {
    (void)state;
    expect(NULL, KEYWORD_NONE);
    expect("", KEYWORD_NONE);
    expect(" ", KEYWORD_NONE);
    expect(" \t\r\n ", KEYWORD_NONE);
}

static void keywords_in_other_scripts_are_nothing(void **state) {
    (void)state;
    expect("ＳＴＯＰ", KEYWORD_NONE); /* fullwidth letters */
    expect("STÖP", KEYWORD_NONE);
    expect("СТОП", KEYWORD_NONE);
}

static void action_names(void **state) {
    (void)state;
    assert_string_equal(keyword_action_name(KEYWORD_OPT_OUT), "opted_out");
    assert_string_equal(keyword_action_name(KEYWORD_OPT_IN), "opted_in");
    assert_string_equal(keyword_action_name(KEYWORD_NONE), "none");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opt_out_keywords),
        cmocka_unit_test(opt_in_keywords),
        cmocka_unit_test(keyword_must_be_the_whole_message),
        cmocka_unit_test(empty_and_null_are_nothing),
        cmocka_unit_test(keywords_in_other_scripts_are_nothing),
        cmocka_unit_test(action_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
