/* phone_plan_test.c - tests of domain/phone_plan.cc: the check on compiled
 * plans (phone_plan_check) answers exactly what libphonenumber's own calls
 * answer (phone_plan_check_library: GetRegionCodeForNumber then
 * IsValidNumberForRegion), valid or not and which region, over many
 * generated numbers: uniformly random E.164 numbers of every length, and
 * numbers built on prefixes of many countries, among them the shared
 * country codes whose region is found by leading digits or by number type
 * (+1 NANPA, +7, +39 with the Vatican, +44 with the Crown dependencies,
 * +47, +262, +599, +61, +212) and the non-geographic codes (+800, +882,
 * +979...). Also from two threads at once (each thread has its own
 * matchers) and with the compiled plans in use, not the fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/phone_plan.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define N_RANDOM 6000
#define N_PREFIXED 200 /* per prefix */

static const char *const prefixes[] = {
    "1415",   "1212",    "1613",   "1416",  "1604",     "1268",   "1876", "1340",  "1787",  "1809",
    "1242",   "1441",    "1671",   "1684",  "1800",     "1900",   "1500", "1555",  "4420",  "447",
    "441624", "441534",  "441481", "4487",  "4930",     "4915",   "4917", "336",   "331",   "338",
    "3906",   "393",     "390669", "379",   "34",       "9198",   "9122", "8613",  "8610",  "8190",
    "813",    "6141",    "612",    "61891", "61891622", "5511",   "5521", "7495",  "79",    "77",
    "7700",   "4778",    "4779",   "4740",  "262269",   "262639", "2626", "5999",  "59971", "5993",
    "212528", "2125288", "2126",   "800",   "808",      "870",    "878",  "881",   "882",   "883",
    "888",    "979",     "2348",   "2547",  "27",       "20",     "9715", "96650", "6591",  "85291",
    "8869",   "352",     "3524",   "420",   "358",      "35818",  "298",  "299",   "290",   "2908",
    "64",     "649",     "6421",   "6723",  "672",      "68",     "6881", "690",   "500",
};

/* xorshift64, one state per caller (threads do not share it) */
static unsigned next(uint64_t *rng, unsigned bound) {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return (unsigned)(*rng % bound);
}

/* "+" then prefix then random digits up to min..min+spread-1 digits in
 * all (at least one after the prefix). */
static void make(char *out, const char *prefix, size_t min, unsigned spread, uint64_t *rng) {
    size_t total = min + next(rng, spread), n = strlen(prefix);
    if (n >= total)
        total = n + 1 + next(rng, 2);
    out[0] = '+';
    memcpy(out + 1, prefix, n);
    for (size_t i = n; i < total; i++)
        out[1 + i] = (char)('0' + next(rng, 10));
    out[1 + total] = '\0';
}

struct tally {
    int valid, invalid, mismatches;
    char regions[300][4];
    int nregions;
};

static void compare(const char *number, struct tally *t) {
    char a[4] = "", b[4] = "";
    enum phone_plan_result ra = phone_plan_check(number, a);
    enum phone_plan_result rb = phone_plan_check_library(number, b);
    if (ra != rb || (ra == PHONE_PLAN_VALID && strcmp(a, b) != 0)) {
        if (t->mismatches++ < 10)
            print_error("%s: compiled %d %s, library %d %s\n", number, ra, a, rb, b);
        return;
    }
    if (ra != PHONE_PLAN_VALID) {
        t->invalid++;
        return;
    }
    t->valid++;
    for (int i = 0; i < t->nregions; i++)
        if (strcmp(t->regions[i], a) == 0)
            return;
    if (t->nregions < 300)
        memcpy(t->regions[t->nregions++], a, 4);
}

static void run_all(struct tally *t) {
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    char num[24];
    for (int i = 0; i < N_RANDOM; i++) {
        char first[2] = {(char)('1' + next(&rng, 9)), '\0'};
        make(num, first, 8, 8, &rng); /* every E.164 length */
        compare(num, t);
    }
    for (size_t p = 0; p < sizeof prefixes / sizeof *prefixes; p++)
        for (int i = 0; i < N_PREFIXED; i++) {
            make(num, prefixes[p], 9, 5, &rng); /* the common lengths */
            compare(num, t);
        }
}

static void test_same_answers_as_library(void **state) {
    (void)state;
    phone_plan_init();
    assert_true(phone_plan_compiled());
    struct tally t = {0};
    run_all(&t);
    print_message("%d valid in %d regions, %d invalid\n", t.valid, t.nregions, t.invalid);
    assert_int_equal(t.mismatches, 0);
    /* the comparison means something: many of each answer, many regions */
    assert_true(t.valid > 3000);
    assert_true(t.invalid > 2000);
    assert_true(t.nregions > 60);
}

static void test_fixed_cases(void **state) {
    (void)state;
    static const char *const cases[][2] = {
        {"+14155550100", "US"},  {"+16135550123", "CA"},  {"+12684601234", "AG"},
        {"+442071838750", "GB"}, {"+441624756789", "IM"}, {"+390669812345", "VA"},
        {"+80012345678", "001"}, {"+4930123456", "DE"},   {"+79123456789", "RU"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char region[4] = "";
        assert_int_equal(phone_plan_check(cases[i][0], region), PHONE_PLAN_VALID);
        assert_string_equal(region, cases[i][1]);
    }
    char region[4] = "";
    assert_int_equal(phone_plan_check("+11234567890", region), PHONE_PLAN_INVALID);
    assert_int_equal(phone_plan_check("+999123456789", region), PHONE_PLAN_INVALID);
    assert_int_equal(phone_plan_check("+", region), PHONE_PLAN_INVALID);
    assert_int_equal(phone_plan_check(NULL, region), PHONE_PLAN_INVALID);
    assert_int_equal(phone_plan_check("+1415abc0100", region), PHONE_PLAN_INVALID);
}

static void *thread_run(void *arg) {
    run_all(arg);
    return NULL;
}

static void test_two_threads(void **state) {
    (void)state;
    struct tally a = {0}, b = {0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_run, &a), 0);
    run_all(&b);
    pthread_join(th, NULL);
    assert_int_equal(a.mismatches, 0);
    assert_int_equal(b.mismatches, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_answers_as_library),
        cmocka_unit_test(test_fixed_cases),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
