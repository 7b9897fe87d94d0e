/* carrier_test.c - tests of domain/carrier.c: carrier_from_json (the PUT
 * body of /v1/admin/carriers/{name}: every rule with its exact `field`
 * path - name, channel, prefixes and prefixes[i], rate_per_second, burst,
 * max_concurrent, a body name that differs from the path, unknown fields,
 * built-in carriers with prefixes or another channel), carrier_to_json and
 * the round trip through it, carrier_name_valid, carrier_is_builtin, and
 * route tables: longest-prefix match, no match, channel isolation,
 * whatsapp sender ids, and 1,000 carriers with random prefixes checked
 * against a brute-force longest match over 10,000 random numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_fixture.h"

#include "domain/carrier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

static const char *const VOICE = "{'channel':'voice','prefixes':['+1415','+1'],"
                                 "'rate_per_second':20,'burst':1,'max_concurrent':5}";

/* Validates body for carrier `name`; want_field NULL means it must pass.
 * On failure nothing may be left allocated in the carrier. */
static void check_body(const char *name, json_t *body, const char *want_field, const char *what) {
    struct carrier c;
    struct verr e;
    memset(&e, 0, sizeof e);
    int rc = carrier_from_json(name, body, &c, &e);
    char *dump = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (want_field == NULL && rc != 0)
        fail_msg("%s: expected OK, got field '%s' (%s) for %s", what, e.field, e.message, dump);
    if (want_field != NULL) {
        if (rc != -1)
            fail_msg("%s: expected error on '%s', got rc %d for %s", what, want_field, rc, dump);
        if (strcmp(e.field, want_field) != 0)
            fail_msg("%s: expected field '%s', got '%s' (%s) for %s", what, want_field, e.field,
                     e.message, dump);
        if (e.message[0] == '\0')
            fail_msg("%s: empty message", what);
        /* nothing is left allocated on failure */
        assert_null(c.prefixes);
        assert_int_equal(c.nprefixes, 0);
    }
    free(dump);
    carrier_clear(&c);
}

struct mutation {
    const char *name;  /* carrier name in the path */
    const char *base;  /* body */
    const char *key;   /* member to set or delete */
    const char *value; /* single-quoted JSON, or NULL to delete */
    const char *field; /* expected error field, NULL = valid */
};

static void run_mutations(const struct mutation *m, size_t n) {
    for (size_t i = 0; i < n; i++) {
        json_t *body = J(m[i].base);
        if (m[i].key) {
            if (m[i].value)
                json_object_set_new(body, m[i].key, J(m[i].value));
            else
                json_object_del(body, m[i].key);
        }
        char what[256];
        snprintf(what, sizeof what, "case %zu (%s: %s = %s)", i, m[i].name,
                 m[i].key ? m[i].key : "-", m[i].value ? m[i].value : "<deleted>");
        check_body(m[i].name, body, m[i].field, what);
        json_decref(body);
    }
}

#define RUN(table) run_mutations(table, sizeof table / sizeof table[0])

/* A string of n copies of ch. */
static char *repeat(char ch, size_t n) {
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

/* ---- names ------------------------------------------------------------ */

static void test_name_valid(void **state) {
    (void)state;
    char *n64 = repeat('a', 64), *n65 = repeat('a', 65);
    const char *ok[] = {"a", "0", "twilio", "us-east.1", "a_b-c.d", "9lives", "a-", "a.", n64};
    const char *bad[] = {"",    "A",   "Twilio", "aB",          "-a",   ".a",  "_a",
                         "a b", "a/b", "a\\b",   "caf\xc3\xa9", "a\tb", "a,b", n65};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (carrier_name_valid(ok[i]) != 1)
            fail_msg("rejected name \"%s\"", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (carrier_name_valid(bad[i]) != 0)
            fail_msg("accepted name \"%s\"", bad[i]);
    free(n64);
    free(n65);
}

static void test_builtin_names(void **state) {
    (void)state;
    enum channel ch = CHANNEL_COUNT;
    assert_string_equal(carrier_builtin_name(CHANNEL_VOICE), "default-voice");
    assert_string_equal(carrier_builtin_name(CHANNEL_SMS), "default-sms");
    assert_string_equal(carrier_builtin_name(CHANNEL_WHATSAPP), "default-whatsapp");
    assert_int_equal(carrier_is_builtin("default-voice", &ch), 1);
    assert_int_equal(ch, CHANNEL_VOICE);
    assert_int_equal(carrier_is_builtin("default-sms", &ch), 1);
    assert_int_equal(ch, CHANNEL_SMS);
    assert_int_equal(carrier_is_builtin("default-whatsapp", NULL), 1);
    assert_int_equal(carrier_is_builtin("default-fax", &ch), 0);
    assert_int_equal(carrier_is_builtin("default-voice2", &ch), 0);
    assert_int_equal(carrier_is_builtin("Default-voice", &ch), 0);
    assert_int_equal(carrier_is_builtin("", &ch), 0);
}

/* ---- carrier_from_json -------------------------------------------------- */

static void test_from_json_valid(void **state) {
    (void)state;
    json_t *body = J(VOICE);
    struct carrier c;
    struct verr e;
    assert_int_equal(carrier_from_json("sf-voice", body, &c, &e), 0);
    assert_string_equal(c.name, "sf-voice");
    assert_int_equal(c.channel, CHANNEL_VOICE);
    assert_int_equal(c.nprefixes, 2);
    assert_string_equal(c.prefixes[0], "+1415");
    assert_string_equal(c.prefixes[1], "+1");
    assert_true(c.rate_per_second == 20.0);
    assert_int_equal(c.burst, 1);
    assert_int_equal(c.max_concurrent, 5);
    assert_int_equal(c.builtin, 0);
    /* prefixes are copies: the body can go */
    json_decref(body);
    assert_string_equal(c.prefixes[0], "+1415");
    carrier_clear(&c);
    assert_null(c.prefixes);
    assert_int_equal(c.nprefixes, 0);
    carrier_clear(&c); /* twice is harmless */

    /* defaults: burst 1, no prefixes */
    body = J("{'channel':'sms','rate_per_second':0.5,'max_concurrent':1}");
    assert_int_equal(carrier_from_json("eu.sms", body, &c, &e), 0);
    assert_int_equal(c.channel, CHANNEL_SMS);
    assert_int_equal(c.nprefixes, 0);
    assert_int_equal(c.burst, 1);
    assert_true(c.rate_per_second == 0.5);
    carrier_clear(&c);
    json_decref(body);

    /* whatsapp prefixes are sender ids */
    body = J("{'channel':'whatsapp','prefixes':['ACME Corp','15551234567','x'],"
             "'rate_per_second':80,'burst':null,'max_concurrent':1000000,'name':'wa'}");
    assert_int_equal(carrier_from_json("wa", body, &c, &e), 0);
    assert_int_equal(c.channel, CHANNEL_WHATSAPP);
    assert_int_equal(c.nprefixes, 3);
    assert_string_equal(c.prefixes[0], "ACME Corp");
    assert_int_equal(c.burst, 1);
    assert_int_equal(c.max_concurrent, 1000000);
    carrier_clear(&c);
    json_decref(body);
}

static void test_from_json_channel(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {"c", VOICE, "channel", NULL, "channel"},
        {"c", VOICE, "channel", "null", "channel"},
        {"c", VOICE, "channel", "'fax'", "channel"},
        {"c", VOICE, "channel", "'Voice'", "channel"},
        {"c", VOICE, "channel", "''", "channel"},
        {"c", VOICE, "channel", "1", "channel"},
        {"c", VOICE, "channel", "['voice']", "channel"},
        {"c", VOICE, "channel", "'sms'", NULL},
        /* "+1415" and "+1" are fine as whatsapp sender ids too */
        {"c", VOICE, "channel", "'whatsapp'", NULL},
    };
    RUN(m);
}

static void test_from_json_prefixes(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {"c", VOICE, "prefixes", NULL, NULL},
        {"c", VOICE, "prefixes", "null", NULL},
        {"c", VOICE, "prefixes", "[]", NULL},
        {"c", VOICE, "prefixes", "'+1'", "prefixes"},
        {"c", VOICE, "prefixes", "{}", "prefixes"},
        {"c", VOICE, "prefixes", "1", "prefixes"},
        {"c", VOICE, "prefixes", "['+1', 1]", "prefixes[1]"},
        {"c", VOICE, "prefixes", "[null]", "prefixes[0]"},
        {"c", VOICE, "prefixes", "[['+1']]", "prefixes[0]"},
        {"c", VOICE, "prefixes", "['+']", "prefixes[0]"},
        {"c", VOICE, "prefixes", "['']", "prefixes[0]"},
        {"c", VOICE, "prefixes", "['1415']", "prefixes[0]"},
        {"c", VOICE, "prefixes", "['+0']", "prefixes[0]"},
        {"c", VOICE, "prefixes", "['+01']", "prefixes[0]"},
        {"c", VOICE, "prefixes", "['+1','+2','+1a']", "prefixes[2]"},
        {"c", VOICE, "prefixes", "['+1 415']", "prefixes[0]"},
        {"c", VOICE, "prefixes", "['++1']", "prefixes[0]"},
        {"c", VOICE, "prefixes", "[' +1']", "prefixes[0]"},
        {"c", VOICE, "prefixes", "['+123456789012345']", NULL},           /* 15 digits */
        {"c", VOICE, "prefixes", "['+1234567890123456']", "prefixes[0]"}, /* 16 */
        {"c", VOICE, "prefixes", "['+9']", NULL},
        {"c", VOICE, "prefixes", "['+10']", NULL}, /* a zero after the first digit is fine */
        /* the first wrong prefix wins */
        {"c", VOICE, "prefixes", "['+1','x','y']", "prefixes[1]"},
        /* a prefix listed twice is refused at its second place */
        {"c", VOICE, "prefixes", "['+1415','+1','+1415']", "prefixes[2]"},
        {"c", VOICE, "prefixes", "['+44','+44']", "prefixes[1]"},
        {"c", VOICE, "prefixes", "['+44','+441']", NULL},
    };
    RUN(m);
}

static void test_from_json_prefix_count(void **state) {
    (void)state;
    for (size_t count = CARRIER_MAX_PREFIXES; count <= CARRIER_MAX_PREFIXES + 1; count++) {
        json_t *body = J(VOICE);
        json_t *pre = json_array();
        for (size_t i = 0; i < count; i++) {
            char p[16];
            snprintf(p, sizeof p, "+%zu", 1000 + i);
            json_array_append_new(pre, json_string(p));
        }
        json_object_set_new(body, "prefixes", pre);
        check_body("many", body, count > CARRIER_MAX_PREFIXES ? "prefixes" : NULL,
                   count > CARRIER_MAX_PREFIXES ? "1001 prefixes" : "1000 prefixes");
        json_decref(body);
    }
    /* an error at the last of 1000 names its index and frees the rest */
    json_t *body = J(VOICE);
    json_t *pre = json_array();
    for (size_t i = 0; i < CARRIER_MAX_PREFIXES; i++) {
        char p[16];
        snprintf(p, sizeof p, "+44%zu", i);
        json_array_append_new(pre, json_string(i == 999 ? "+0" : p));
    }
    json_object_set_new(body, "prefixes", pre);
    check_body("many", body, "prefixes[999]", "bad 1000th prefix");
    json_decref(body);
}

static void test_from_json_whatsapp_senders(void **state) {
    (void)state;
    static const char WA[] = "{'channel':'whatsapp','rate_per_second':80,'max_concurrent':100}";
    char *s64 = repeat('s', 64), *s65 = repeat('s', 65);
    char v64[80], v65[80];
    snprintf(v64, sizeof v64, "['%s']", s64);
    snprintf(v65, sizeof v65, "['ok','%s']", s65);
    const struct mutation m[] = {
        {"wa", WA, "prefixes", "['1234567890']", NULL},
        {"wa", WA, "prefixes", "['+1415']", NULL},
        {"wa", WA, "prefixes", "['ACME']", NULL},
        {"wa", WA, "prefixes", v64, NULL},
        {"wa", WA, "prefixes", v65, "prefixes[1]"},
        {"wa", WA, "prefixes", "['']", "prefixes[0]"},
        {"wa", WA, "prefixes", "[1234567890]", "prefixes[0]"},
    };
    RUN(m);
    free(s64);
    free(s65);
}

static void test_from_json_rate_burst_concurrency(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {"c", VOICE, "rate_per_second", NULL, "rate_per_second"},
        {"c", VOICE, "rate_per_second", "null", "rate_per_second"},
        {"c", VOICE, "rate_per_second", "0", "rate_per_second"},
        {"c", VOICE, "rate_per_second", "0.0", "rate_per_second"},
        {"c", VOICE, "rate_per_second", "-1", "rate_per_second"},
        {"c", VOICE, "rate_per_second", "'20'", "rate_per_second"},
        {"c", VOICE, "rate_per_second", "true", "rate_per_second"},
        {"c", VOICE, "rate_per_second", "1000000.5", "rate_per_second"},
        {"c", VOICE, "rate_per_second", "1000001", "rate_per_second"},
        {"c", VOICE, "rate_per_second", "1e300", "rate_per_second"},
        {"c", VOICE, "rate_per_second", "1000000", NULL},
        {"c", VOICE, "rate_per_second", "1e-9", NULL},
        {"c", VOICE, "rate_per_second", "0.5", NULL},
        {"c", VOICE, "burst", NULL, NULL},
        {"c", VOICE, "burst", "null", NULL},
        {"c", VOICE, "burst", "0", "burst"},
        {"c", VOICE, "burst", "-5", "burst"},
        {"c", VOICE, "burst", "1.5", "burst"},
        {"c", VOICE, "burst", "2.0", "burst"},
        {"c", VOICE, "burst", "'5'", "burst"},
        {"c", VOICE, "burst", "false", "burst"},
        {"c", VOICE, "burst", "1000001", "burst"},
        {"c", VOICE, "burst", "4294967297", "burst"}, /* 2^32 + 1: no int truncation */
        {"c", VOICE, "burst", "1000000", NULL},
        {"c", VOICE, "max_concurrent", NULL, "max_concurrent"},
        {"c", VOICE, "max_concurrent", "null", "max_concurrent"},
        {"c", VOICE, "max_concurrent", "0", "max_concurrent"},
        {"c", VOICE, "max_concurrent", "-1", "max_concurrent"},
        {"c", VOICE, "max_concurrent", "5.0", "max_concurrent"},
        {"c", VOICE, "max_concurrent", "'5'", "max_concurrent"},
        {"c", VOICE, "max_concurrent", "1000001", "max_concurrent"},
        {"c", VOICE, "max_concurrent", "4294967297", "max_concurrent"},
        {"c", VOICE, "max_concurrent", "1", NULL},
        {"c", VOICE, "max_concurrent", "1000000", NULL},
    };
    RUN(m);
}

static void test_from_json_name(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {"sf-voice", VOICE, "name", "'sf-voice'", NULL},
        {"sf-voice", VOICE, "name", "'other'", "name"},
        {"sf-voice", VOICE, "name", "'SF-voice'", "name"},
        {"sf-voice", VOICE, "name", "'sf-voice '", "name"},
        {"sf-voice", VOICE, "name", "''", "name"},
        {"sf-voice", VOICE, "name", "null", "name"},
        {"sf-voice", VOICE, "name", "1", "name"},
        /* a bad name in the path, whatever the body */
        {"SF", VOICE, NULL, NULL, "name"},
        {"", VOICE, NULL, NULL, "name"},
        {"a b", VOICE, NULL, NULL, "name"},
    };
    RUN(m);
}

static void test_from_json_unknown_fields(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {"c", VOICE, "builtin", "false", "builtin"},
        {"c", VOICE, "rate", "20", "rate"},
        {"c", VOICE, "Channel", "'voice'", "Channel"},
        {"c", VOICE, "prefix", "['+1']", "prefix"},
        {"c", VOICE, "", "1", ""},
    };
    RUN(m);
}

static void test_from_json_builtin(void **state) {
    (void)state;
    static const char DV[] = "{'channel':'voice','rate_per_second':10,'max_concurrent':10}";
    static const struct mutation m[] = {
        {"default-voice", DV, NULL, NULL, NULL},
        {"default-voice", DV, "prefixes", "[]", NULL},
        {"default-voice", DV, "prefixes", "null", NULL},
        {"default-voice", DV, "prefixes", "['+1']", "prefixes"},
        {"default-voice", DV, "channel", "'sms'", "channel"},
        {"default-voice", DV, "channel", "'whatsapp'", "channel"},
        {"default-sms", DV, NULL, NULL, "channel"},
        {"default-sms", DV, "channel", "'sms'", NULL},
        {"default-whatsapp", DV, "channel", "'whatsapp'", NULL},
        {"default-whatsapp", DV, "channel", "'voice'", "channel"},
        {"default-whatsapp", DV, "prefixes", "['ACME']", "channel"}, /* channel first */
        {"default-sms", DV, "prefixes", "['+44']", "channel"},
        /* a name that only resembles a built-in is an ordinary carrier */
        {"default-voice2", DV, "prefixes", "['+1']", NULL},
    };
    RUN(m);

    json_t *body = J(DV);
    struct carrier c;
    struct verr e;
    assert_int_equal(carrier_from_json("default-voice", body, &c, &e), 0);
    assert_int_equal(c.builtin, 1);
    carrier_clear(&c);
    json_decref(body);
    body = J("{'channel':'sms','prefixes':['ACME'],'rate_per_second':1,'max_concurrent':1}");
    assert_int_equal(carrier_from_json("default-sms", body, &c, &e), -1);
    assert_string_equal(e.field, "prefixes");
    json_decref(body);
}

/* The order in which rules are checked: the first wrong field wins. */
static void test_from_json_first_wrong_field_wins(void **state) {
    (void)state;
    struct {
        const char *body, *field;
    } cases[] = {
        {"{'channel':'x','prefixes':[1],'rate_per_second':0,'max_concurrent':0,'zz':1}", "channel"},
        {"{'channel':'voice','prefixes':[1],'rate_per_second':0,'max_concurrent':0,'zz':1}",
         "prefixes[0]"},
        {"{'channel':'voice','rate_per_second':0,'burst':0,'max_concurrent':0,'zz':1}",
         "rate_per_second"},
        {"{'channel':'voice','rate_per_second':1,'burst':0,'max_concurrent':0,'zz':1}", "burst"},
        {"{'channel':'voice','rate_per_second':1,'max_concurrent':0,'name':'x','zz':1}",
         "max_concurrent"},
        {"{'channel':'voice','rate_per_second':1,'max_concurrent':1,'name':'x','zz':1}", "name"},
        {"{'channel':'voice','rate_per_second':1,'max_concurrent':1,'zz':1}", "zz"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *b = J(cases[i].body);
        check_body("c", b, cases[i].field, cases[i].body);
        json_decref(b);
    }
}

static void test_from_json_provider(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {"c", VOICE, "provider", NULL, NULL},
        {"c", VOICE, "provider", "null", NULL},
        {"c", VOICE, "provider", "'twilio-main'", NULL},
        {"c", VOICE, "provider", "''", "provider"},
        {"c", VOICE, "provider", "'Twilio'", "provider"},
        {"c", VOICE, "provider", "1", "provider"},
        {"c", VOICE, "provider", "['sim']", "provider"},
    };
    RUN(m);
    struct carrier c;
    struct verr e;
    json_t *body = J(VOICE);
    assert_int_equal(carrier_from_json("c", body, &c, &e), 0);
    assert_string_equal(c.provider, "sim"); /* the default */
    carrier_clear(&c);
    json_object_set_new(body, "provider", json_string("sim-slow"));
    assert_int_equal(carrier_from_json("c", body, &c, &e), 0);
    assert_string_equal(c.provider, "sim-slow");
    carrier_clear(&c);
    json_decref(body);
}

static void test_from_json_not_an_object(void **state) {
    (void)state;
    const char *bodies[] = {"[]", "null", "'voice'", "1"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        json_t *b = J(bodies[i]);
        check_body("c", b, "channel", bodies[i]);
        json_decref(b);
    }
}

/* ---- carrier_to_json ---------------------------------------------------- */

static void test_to_json_shape(void **state) {
    (void)state;
    json_t *body = J(VOICE);
    struct carrier c;
    struct verr e;
    assert_int_equal(carrier_from_json("sf-voice", body, &c, &e), 0);
    json_t *out = carrier_to_json(&c);
    json_t *want = J("{'name':'sf-voice','channel':'voice','prefixes':['+1415','+1'],"
                     "'rate_per_second':20,'burst':1,'max_concurrent':5,'provider':'sim',"
                     "'builtin':false}");
    if (!json_equal(out, want)) {
        char *d = json_dumps(out, JSON_COMPACT);
        fail_msg("to_json: %s", d);
    }
    /* whole rates are integers, others decimals */
    assert_true(json_is_integer(json_object_get(out, "rate_per_second")));
    json_decref(out);
    json_decref(want);
    c.rate_per_second = 2.5;
    out = carrier_to_json(&c);
    assert_true(json_is_real(json_object_get(out, "rate_per_second")));
    assert_true(json_real_value(json_object_get(out, "rate_per_second")) == 2.5);
    json_decref(out);
    carrier_clear(&c);
    json_decref(body);

    /* a built-in with no prefixes: an empty array, builtin true */
    struct carrier d = {.channel = CHANNEL_SMS,
                        .rate_per_second = 1e6,
                        .burst = 7,
                        .max_concurrent = 3,
                        .builtin = 1};
    snprintf(d.name, sizeof d.name, "default-sms");
    out = carrier_to_json(&d);
    want = J("{'name':'default-sms','channel':'sms','prefixes':[],'rate_per_second':1000000,"
             "'burst':7,'max_concurrent':3,'provider':'sim','builtin':true}");
    if (!json_equal(out, want)) {
        char *dmp = json_dumps(out, JSON_COMPACT);
        fail_msg("to_json builtin: %s", dmp);
    }
    json_decref(out);
    json_decref(want);
}

/* Body -> carrier -> JSON -> (without the read-only builtin) carrier again:
 * every field survives, for every channel and for awkward rates. */
static void test_round_trip(void **state) {
    (void)state;
    const char *bodies[] = {
        VOICE,
        "{'channel':'sms','prefixes':['+44','+447'],'rate_per_second':0.1,'burst':50,"
        "'max_concurrent':2}",
        "{'channel':'whatsapp','prefixes':['ACME','1555'],'rate_per_second':123.456,"
        "'max_concurrent':1000000}",
        "{'channel':'voice','rate_per_second':1e-6,'burst':1000000,'max_concurrent':1}",
        "{'channel':'voice','rate_per_second':1000000,'max_concurrent':1}",
        "{'channel':'sms','rate_per_second':0.3333333333333333,'max_concurrent':1}",
    };
    const char *names[] = {"a", "b.sms", "wa-1", "slow", "default-voice", "c"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        json_t *body = J(bodies[i]);
        struct carrier c1, c2;
        struct verr e;
        if (carrier_from_json(names[i], body, &c1, &e) != 0)
            fail_msg("body %zu: %s: %s", i, e.field, e.message);
        json_t *out = carrier_to_json(&c1);
        assert_non_null(out);
        assert_int_equal(json_is_true(json_object_get(out, "builtin")), c1.builtin);
        json_object_del(out, "builtin"); /* read-only, not part of a PUT body */
        if (carrier_from_json(names[i], out, &c2, &e) != 0)
            fail_msg("round trip %zu: %s: %s", i, e.field, e.message);
        assert_string_equal(c1.name, c2.name);
        assert_int_equal(c1.channel, c2.channel);
        assert_int_equal(c1.nprefixes, c2.nprefixes);
        for (size_t k = 0; k < c1.nprefixes; k++)
            assert_string_equal(c1.prefixes[k], c2.prefixes[k]);
        if (c1.rate_per_second != c2.rate_per_second)
            fail_msg("round trip %zu: rate %.17g became %.17g", i, c1.rate_per_second,
                     c2.rate_per_second);
        assert_int_equal(c1.burst, c2.burst);
        assert_int_equal(c1.max_concurrent, c2.max_concurrent);
        assert_int_equal(c1.builtin, c2.builtin);
        /* and the JSON of both is the same */
        json_t *out2 = carrier_to_json(&c2);
        json_object_del(out2, "builtin");
        assert_true(json_equal(out, out2));
        json_decref(out2);
        json_decref(out);
        carrier_clear(&c1);
        carrier_clear(&c2);
        json_decref(body);
    }
}

/* ---- route tables ------------------------------------------------------- */

/* A carrier of channel ch with the given NULL-terminated prefixes (copied). */
static struct carrier mk(const char *name, enum channel ch, const char *const *prefixes) {
    struct carrier c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.channel = ch;
    size_t n = 0;
    while (prefixes && prefixes[n])
        n++;
    c.prefixes = calloc(n + 1, sizeof *c.prefixes);
    assert_non_null(c.prefixes);
    for (size_t i = 0; i < n; i++) {
        c.prefixes[i] = strdup(prefixes[i]);
        assert_non_null(c.prefixes[i]);
    }
    c.nprefixes = n;
    c.rate_per_second = 1;
    c.burst = 1;
    c.max_concurrent = 1;
    return c;
}

static void test_route_longest_prefix(void **state) {
    (void)state;
    struct carrier cs[] = {
        mk("us", CHANNEL_VOICE, (const char *const[]){"+1", NULL}),
        mk("sf", CHANNEL_VOICE, (const char *const[]){"+1415", NULL}),
        mk("sf5", CHANNEL_VOICE, (const char *const[]){"+14155", "+4420", NULL}),
        mk("uk", CHANNEL_VOICE, (const char *const[]){"+44", NULL}),
    };
    const size_t n = sizeof cs / sizeof cs[0];
    /* the answer does not depend on the order of the carriers */
    for (int order = 0; order < 2; order++) {
        struct route_table t;
        route_table_build(&t, cs, n, CHANNEL_VOICE);
        long US = order ? 3 : 0, SF = order ? 2 : 1, SF5 = order ? 1 : 2, UK = order ? 0 : 3;
        struct {
            const char *key;
            long want;
        } cases[] = {
            {"+14155550100", SF5},
            {"+14151234567", SF},
            {"+14165550100", US},
            {"+1415", SF},
            {"+14155", SF5},
            {"+1", US},
            {"+441234567890", UK},
            {"+442071838750", SF5},
            {"+4421", UK},
            {"+4930123456", -1},
            {"+", -1},
            {"", -1},
            {"1415", -1},
            {"+2", -1},
            {"+141", US},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            long got = route_table_lookup(&t, cases[i].key);
            if (got != cases[i].want)
                fail_msg("order %d: %s routed to %ld, want %ld", order, cases[i].key, got,
                         cases[i].want);
        }
        route_table_free(&t);
        assert_null(t.entries);
        /* reverse the carriers for the second pass */
        for (size_t i = 0; i < n / 2; i++) {
            struct carrier tmp = cs[i];
            cs[i] = cs[n - 1 - i];
            cs[n - 1 - i] = tmp;
        }
    }
    for (size_t i = 0; i < n; i++)
        carrier_clear(&cs[i]);
}

static void test_route_empty(void **state) {
    (void)state;
    struct route_table t;
    route_table_build(&t, NULL, 0, CHANNEL_VOICE);
    assert_int_equal(route_table_lookup(&t, "+14155550100"), -1);
    assert_int_equal(route_table_lookup(&t, ""), -1);
    route_table_free(&t);
    /* carriers without prefixes (built-ins) never match */
    struct carrier cs[] = {mk("default-voice", CHANNEL_VOICE, NULL),
                           mk("none", CHANNEL_VOICE, NULL)};
    route_table_build(&t, cs, 2, CHANNEL_VOICE);
    assert_int_equal(route_table_lookup(&t, "+14155550100"), -1);
    route_table_free(&t);
    carrier_clear(&cs[0]);
    carrier_clear(&cs[1]);
}

/* A table holds one channel: a voice prefix never routes an sms number and
 * the other way round; indexes refer to the whole carrier array. */
static void test_route_channel_isolation(void **state) {
    (void)state;
    struct carrier cs[] = {
        mk("v-us", CHANNEL_VOICE, (const char *const[]){"+1", NULL}),
        mk("s-sf", CHANNEL_SMS, (const char *const[]){"+1415", NULL}),
        mk("v-sf", CHANNEL_VOICE, (const char *const[]){"+14155", NULL}),
        mk("w", CHANNEL_WHATSAPP, (const char *const[]){"+1", "+14155550100", NULL}),
        mk("s-uk", CHANNEL_SMS, (const char *const[]){"+44", NULL}),
    };
    struct route_table v, s, w;
    route_table_build(&v, cs, 5, CHANNEL_VOICE);
    route_table_build(&s, cs, 5, CHANNEL_SMS);
    route_table_build(&w, cs, 5, CHANNEL_WHATSAPP);
    assert_int_equal(v.n, 2);
    assert_int_equal(s.n, 2);
    assert_int_equal(w.n, 2);
    assert_int_equal(route_table_lookup(&v, "+14155550100"), 2);
    assert_int_equal(route_table_lookup(&v, "+14151111111"), 0);
    assert_int_equal(route_table_lookup(&v, "+441234567890"), -1);
    assert_int_equal(route_table_lookup(&s, "+14155550100"), 1);
    assert_int_equal(route_table_lookup(&s, "+12125550100"), -1);
    assert_int_equal(route_table_lookup(&s, "+441234567890"), 4);
    assert_int_equal(route_table_lookup(&w, "+14155550100"), 3);
    route_table_free(&v);
    route_table_free(&s);
    route_table_free(&w);
    for (size_t i = 0; i < 5; i++)
        carrier_clear(&cs[i]);
}

/* whatsapp tables are keyed by sender id: each sender routes to its carrier,
 * an unknown sender to none. */
static void test_route_whatsapp_senders(void **state) {
    (void)state;
    struct carrier cs[] = {
        mk("wa-acme", CHANNEL_WHATSAPP, (const char *const[]){"ACME Corp", "15551234567", NULL}),
        mk("wa-other", CHANNEL_WHATSAPP, (const char *const[]){"Other", "44200000000", NULL}),
        mk("v", CHANNEL_VOICE, (const char *const[]){"+1", NULL}),
    };
    struct route_table t;
    route_table_build(&t, cs, 3, CHANNEL_WHATSAPP);
    assert_int_equal(route_table_lookup(&t, "ACME Corp"), 0);
    assert_int_equal(route_table_lookup(&t, "15551234567"), 0);
    assert_int_equal(route_table_lookup(&t, "Other"), 1);
    assert_int_equal(route_table_lookup(&t, "44200000000"), 1);
    assert_int_equal(route_table_lookup(&t, "ACME"), -1);      /* shorter: no match */
    assert_int_equal(route_table_lookup(&t, "acme corp"), -1); /* case matters */
    assert_int_equal(route_table_lookup(&t, "Unknown"), -1);
    assert_int_equal(route_table_lookup(&t, "+1555"), -1); /* voice prefixes are elsewhere */
    assert_int_equal(route_table_lookup(&t, ""), -1);
    route_table_free(&t);
    for (size_t i = 0; i < 3; i++)
        carrier_clear(&cs[i]);
}

/* ---- random tables against brute force ---------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void) {
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* Index of the carrier of channel ch with the longest prefix of key, by
 * looking at every prefix; -1 when none. Prefixes are unique per channel,
 * so the answer is unique. */
static long brute_force(const struct carrier *cs, size_t n, enum channel ch, const char *key) {
    long best = -1;
    size_t best_len = 0, klen = strlen(key);
    for (size_t i = 0; i < n; i++) {
        if (cs[i].channel != ch)
            continue;
        for (size_t k = 0; k < cs[i].nprefixes; k++) {
            size_t pl = strlen(cs[i].prefixes[k]);
            if (pl <= klen && pl > best_len && memcmp(cs[i].prefixes[k], key, pl) == 0) {
                best = (long)i;
                best_len = pl;
            }
        }
    }
    return best;
}

static void test_route_random_against_brute_force(void **state) {
    (void)state;
    enum { NCARRIERS = 1000, NNUMBERS = 10000, MAXP = 6 };
    rng_state = 0x243f6a8885a308d3ull;
    struct carrier *cs = calloc(NCARRIERS, sizeof *cs);
    assert_non_null(cs);
    /* all prefixes so far per channel, to keep them unique (the API's rule:
     * a prefix belongs to at most one carrier of a channel) */
    char(*seen)[20] = calloc((size_t)NCARRIERS * MAXP, sizeof *seen);
    enum channel *seen_ch = calloc((size_t)NCARRIERS * MAXP, sizeof *seen_ch);
    assert_non_null(seen);
    assert_non_null(seen_ch);
    size_t nseen = 0, total = 0;
    for (size_t i = 0; i < NCARRIERS; i++) {
        struct carrier *c = &cs[i];
        snprintf(c->name, sizeof c->name, "c%zu", i);
        c->channel = rnd() % 4 == 0 ? CHANNEL_SMS : CHANNEL_VOICE;
        size_t want = rnd() % (MAXP + 1); /* some carriers have none */
        c->prefixes = calloc(want + 1, sizeof *c->prefixes);
        assert_non_null(c->prefixes);
        for (size_t k = 0; k < want; k++) {
            char p[20] = "+";
            /* lengths 1..8 digits, short ones over a small alphabet so that
             * prefixes nest and numbers often match several */
            size_t len = 1 + rnd() % 8;
            for (size_t d = 0; d < len; d++)
                p[1 + d] = (char)('1' + rnd() % (d < 3 ? 3 : 9));
            p[1 + len] = '\0';
            int dup = 0;
            for (size_t s = 0; s < nseen && !dup; s++)
                dup = seen_ch[s] == c->channel && strcmp(seen[s], p) == 0;
            if (dup)
                continue;
            memcpy(seen[nseen], p, sizeof p);
            seen_ch[nseen++] = c->channel;
            c->prefixes[c->nprefixes++] = strdup(p);
            total++;
        }
    }
    assert_true(total > 1500);
    struct route_table t;
    route_table_build(&t, cs, NCARRIERS, CHANNEL_VOICE);
    size_t matched = 0, depth_hits[10] = {0};
    for (size_t i = 0; i < NNUMBERS; i++) {
        char num[20] = "+";
        size_t len = 8 + rnd() % 8; /* 8..15 digits */
        for (size_t d = 0; d < len; d++)
            num[1 + d] = (char)('1' + rnd() % (d < 3 ? 3 : 9));
        num[1 + len] = '\0';
        if (i % 10 == 0) /* a key that is exactly a prefix */
            snprintf(num, sizeof num, "%s", seen[rnd() % nseen]);
        else if (i % 10 == 1) /* no prefix starts with 9: no match */
            num[1] = '9';
        long want = brute_force(cs, NCARRIERS, CHANNEL_VOICE, num);
        long got = route_table_lookup(&t, num);
        if (got != want)
            fail_msg("%s: table says %ld, brute force %ld", num, got, want);
        if (want >= 0) {
            matched++;
            for (size_t k = 0; k < cs[want].nprefixes; k++)
                if (strncmp(cs[want].prefixes[k], num, strlen(cs[want].prefixes[k])) == 0)
                    depth_hits[strlen(cs[want].prefixes[k]) - 1]++;
        }
    }
    /* the sweep exercised real longest-match decisions, not just misses */
    assert_true(matched > NNUMBERS / 2);
    assert_true(matched < NNUMBERS);
    size_t depths = 0;
    for (size_t d = 0; d < 10; d++)
        depths += depth_hits[d] > 0;
    assert_true(depths >= 5);
    route_table_free(&t);
    for (size_t i = 0; i < NCARRIERS; i++)
        carrier_clear(&cs[i]);
    free(cs);
    free(seen);
    free(seen_ch);
}

/* The carrier pacing a lane: its own, else its channel's built-in (never
 * default-voice for an sms or whatsapp lane), else none. */
static void test_carrier_for_lane(void **state) {
    (void)state;
    struct carrier list[5];
    memset(list, 0, sizeof list);
    const char *names[] = {"default-voice", "default-sms", "default-whatsapp", "eu-sms", "wa1"};
    for (int i = 0; i < 5; i++)
        snprintf(list[i].name, sizeof list[i].name, "%s", names[i]);
    assert_ptr_equal(carrier_for_lane(list, 5, "eu-sms", CHANNEL_SMS), &list[3]);
    assert_ptr_equal(carrier_for_lane(list, 5, "wa1|s1|marketing", CHANNEL_WHATSAPP), &list[4]);
    assert_ptr_equal(carrier_for_lane(list, 5, "default-voice", CHANNEL_VOICE), &list[0]);
    /* deleted carriers: the lane's channel's built-in */
    for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
        const struct carrier *c = carrier_for_lane(list, 5, "gone", (enum channel)ch);
        assert_non_null(c);
        assert_string_equal(c->name, carrier_builtin_name((enum channel)ch));
    }
    assert_string_equal(carrier_for_lane(list, 5, "gone|s1|utility", CHANNEL_WHATSAPP)->name,
                        "default-whatsapp");
    /* a prefix of a name is not the name */
    assert_string_equal(carrier_for_lane(list, 5, "eu", CHANNEL_SMS)->name, "default-sms");
    assert_string_equal(carrier_for_lane(list, 5, "eu-sms2", CHANNEL_SMS)->name, "default-sms");
    /* nothing to fall back on */
    assert_null(carrier_for_lane(list + 3, 2, "gone", CHANNEL_VOICE));
    assert_null(carrier_for_lane(NULL, 0, "gone", CHANNEL_SMS));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_carrier_for_lane),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_builtin_names),
        cmocka_unit_test(test_from_json_valid),
        cmocka_unit_test(test_from_json_channel),
        cmocka_unit_test(test_from_json_prefixes),
        cmocka_unit_test(test_from_json_prefix_count),
        cmocka_unit_test(test_from_json_whatsapp_senders),
        cmocka_unit_test(test_from_json_rate_burst_concurrency),
        cmocka_unit_test(test_from_json_name),
        cmocka_unit_test(test_from_json_unknown_fields),
        cmocka_unit_test(test_from_json_builtin),
        cmocka_unit_test(test_from_json_first_wrong_field_wins),
        cmocka_unit_test(test_from_json_not_an_object),
        cmocka_unit_test(test_from_json_provider),
        cmocka_unit_test(test_to_json_shape),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_route_longest_prefix),
        cmocka_unit_test(test_route_empty),
        cmocka_unit_test(test_route_channel_isolation),
        cmocka_unit_test(test_route_whatsapp_senders),
        cmocka_unit_test(test_route_random_against_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
