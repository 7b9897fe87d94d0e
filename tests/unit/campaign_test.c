/* campaign_test.c - tests of domain/campaign.c: the lifecycle table
 * (campaign_plan_move over every status x move), validation of create and
 * patch bodies against docs/api.md "Campaigns" (exact `field` paths, first
 * wrong field wins, unknown keys), retry policy defaults and utf8_length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_fixture.h"

#include "domain/campaign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

/* A string of count copies of unit. */
static char *repeat(const char *unit, size_t count) {
    size_t u = strlen(unit);
    char *s = malloc(u * count + 1);
    assert_non_null(s);
    for (size_t i = 0; i < count; i++)
        memcpy(s + i * u, unit, u);
    s[u * count] = '\0';
    return s;
}

/* Sets (value != NULL, stolen) or deletes (value == NULL) the member at a
 * dotted path ("config.call_window.start"); intermediate objects must exist. */
static void set_path(json_t *root, const char *path, json_t *value) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *obj = root;
    char *key = buf;
    for (char *dot; (dot = strchr(key, '.')) != NULL; key = dot + 1) {
        *dot = '\0';
        obj = json_object_get(obj, key);
        if (!json_is_object(obj))
            fail_msg("set_path: %s has no object %s", path, key);
    }
    if (value)
        json_object_set_new(obj, key, value);
    else
        json_object_del(obj, key);
}

static const char *const VOICE = "{'name':'November renewals','agent_id':'agt_123',"
                                 "'config':{'caller_id':'+15551234567'}}";
static const char *const SMS = "{'name':'n','agent_id':'a','channel':'sms',"
                               "'config':{'from':'ACME','body':'Hi {{name}}'}}";
static const char *const WA = "{'name':'n','agent_id':'a','channel':'whatsapp',"
                              "'config':{'sender':'1234567890','template':{'name':'renewal',"
                              "'language':'en_US','category':'marketing'}}}";

static const struct campaign_rules STRICT = {0};
static const struct campaign_rules LAX = {1};

/* Validates body as a create; want_field NULL means it must pass. */
static void check_create(json_t *body, const struct campaign_rules *rules, const char *want_field,
                         const char *what) {
    struct campaign_input in;
    struct verr e;
    memset(&e, 0, sizeof e);
    int rc = campaign_validate_create(body, rules, &in, &e);
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
    }
    free(dump);
}

struct mutation {
    const char *base;
    const char *path;  /* dotted path to set or delete */
    const char *value; /* single-quoted JSON, or NULL to delete */
    const char *field; /* expected error field, NULL = valid */
};

static void run_mutations(const struct mutation *m, size_t n, const struct campaign_rules *r) {
    for (size_t i = 0; i < n; i++) {
        json_t *body = J(m[i].base);
        set_path(body, m[i].path, m[i].value ? J(m[i].value) : NULL);
        char what[256];
        snprintf(what, sizeof what, "case %zu (%s = %s)", i, m[i].path,
                 m[i].value ? m[i].value : "<deleted>");
        check_create(body, r, m[i].field, what);
        json_decref(body);
    }
}

#define RUN(table, rules) run_mutations(table, sizeof table / sizeof table[0], rules)

/* ---- lifecycle -------------------------------------------------------- */

static void test_plan_move_table(void **state) {
    (void)state;
    enum { D = CAMPAIGN_DRAFT, R = CAMPAIGN_RUNNING, P = CAMPAIGN_PAUSED };
    enum { CO = CAMPAIGN_COMPLETED, CA = CAMPAIGN_CANCELLED, X = -9 };
    /* [status][move] = {result, target}; target X when none */
    static const struct {
        int rc, to;
    } want[CAMPAIGN_STATUS_COUNT][5] = {
        /*            start              pause              resume             cancel complete */
        [CAMPAIGN_DRAFT] =
            {{MOVE_OK, R}, {MOVE_INVALID, X}, {MOVE_INVALID, X}, {MOVE_OK, CA}, {MOVE_INVALID, X}},
        [CAMPAIGN_RUNNING] =
            {{MOVE_NOOP, X}, {MOVE_OK, P}, {MOVE_NOOP, X}, {MOVE_OK, CA}, {MOVE_OK, CO}},
        [CAMPAIGN_PAUSED] =
            {{MOVE_INVALID, X}, {MOVE_NOOP, X}, {MOVE_OK, R}, {MOVE_OK, CA}, {MOVE_INVALID, X}},
        [CAMPAIGN_COMPLETED] = {{MOVE_INVALID, X},
                                {MOVE_INVALID, X},
                                {MOVE_INVALID, X},
                                {MOVE_INVALID, X},
                                {MOVE_NOOP, X}},
        [CAMPAIGN_CANCELLED] = {{MOVE_INVALID, X},
                                {MOVE_INVALID, X},
                                {MOVE_INVALID, X},
                                {MOVE_NOOP, X},
                                {MOVE_INVALID, X}},
    };
    static const enum campaign_move moves[] = {MOVE_START, MOVE_PAUSE, MOVE_RESUME, MOVE_CANCEL,
                                               MOVE_COMPLETE};
    for (int s = 0; s < CAMPAIGN_STATUS_COUNT; s++) {
        for (int m = 0; m < 5; m++) {
            enum campaign_status to = (enum campaign_status)X;
            enum move_result rc = campaign_plan_move((enum campaign_status)s, moves[m], 7, &to);
            if ((int)rc != want[s][m].rc || (int)to != want[s][m].to)
                fail_msg("%s from %s: got rc %d to %d, want rc %d to %d",
                         campaign_move_name(moves[m]),
                         campaign_status_name((enum campaign_status)s), (int)rc, (int)to,
                         want[s][m].rc, want[s][m].to);
        }
    }
}

static void test_plan_move_empty(void **state) {
    (void)state;
    enum campaign_status to = CAMPAIGN_STATUS_COUNT;
    /* starting a draft without recipients: campaign_empty, target untouched */
    assert_int_equal(campaign_plan_move(CAMPAIGN_DRAFT, MOVE_START, 0, &to), MOVE_EMPTY);
    assert_int_equal(to, CAMPAIGN_STATUS_COUNT);
    assert_int_equal(campaign_plan_move(CAMPAIGN_DRAFT, MOVE_START, -1, &to), MOVE_EMPTY);
    assert_int_equal(campaign_plan_move(CAMPAIGN_DRAFT, MOVE_START, INT64_MIN, &to), MOVE_EMPTY);
    assert_int_equal(to, CAMPAIGN_STATUS_COUNT);
    assert_int_equal(campaign_plan_move(CAMPAIGN_DRAFT, MOVE_START, 1, &to), MOVE_OK);
    assert_int_equal(to, CAMPAIGN_RUNNING);
    /* the empty check belongs to start from draft only */
    assert_int_equal(campaign_plan_move(CAMPAIGN_RUNNING, MOVE_START, 0, &to), MOVE_NOOP);
    assert_int_equal(campaign_plan_move(CAMPAIGN_COMPLETED, MOVE_START, 0, &to), MOVE_INVALID);
    to = CAMPAIGN_STATUS_COUNT;
    assert_int_equal(campaign_plan_move(CAMPAIGN_DRAFT, MOVE_CANCEL, 0, &to), MOVE_OK);
    assert_int_equal(to, CAMPAIGN_CANCELLED);
    assert_int_equal(campaign_plan_move(CAMPAIGN_RUNNING, MOVE_PAUSE, 0, &to), MOVE_OK);
    assert_int_equal(to, CAMPAIGN_PAUSED);
    assert_int_equal(campaign_plan_move(CAMPAIGN_RUNNING, MOVE_COMPLETE, 0, &to), MOVE_OK);
    assert_int_equal(to, CAMPAIGN_COMPLETED);
}

static void test_plan_move_hostile(void **state) {
    (void)state;
    enum campaign_status to = CAMPAIGN_STATUS_COUNT;
    /* a move outside the enum is never accepted */
    for (int s = 0; s < CAMPAIGN_STATUS_COUNT; s++) {
        assert_int_equal(
            campaign_plan_move((enum campaign_status)s, (enum campaign_move)99, 5, &to),
            MOVE_INVALID);
        assert_int_equal(
            campaign_plan_move((enum campaign_status)s, (enum campaign_move) - 1, 5, &to),
            MOVE_INVALID);
    }
    assert_int_equal(to, CAMPAIGN_STATUS_COUNT);
}

static void test_move_names(void **state) {
    (void)state;
    assert_string_equal(campaign_move_name(MOVE_START), "start");
    assert_string_equal(campaign_move_name(MOVE_PAUSE), "pause");
    assert_string_equal(campaign_move_name(MOVE_RESUME), "resume");
    assert_string_equal(campaign_move_name(MOVE_CANCEL), "cancel");
    assert_string_equal(campaign_move_name(MOVE_COMPLETE), "complete");
    assert_string_equal(campaign_move_name((enum campaign_move)5), "unknown");
    assert_string_equal(campaign_move_name((enum campaign_move) - 1), "unknown");
}

/* ---- utf8_length ------------------------------------------------------ */

static void test_utf8_length(void **state) {
    (void)state;
    assert_int_equal(utf8_length(""), 0);
    assert_int_equal(utf8_length("abc"), 3);
    assert_int_equal(utf8_length("\xc3\xa9"), 1);                 /* é */
    assert_int_equal(utf8_length("\xe6\x97\xa5\xe6\x9c\xac"), 2); /* 日本 */
    assert_int_equal(utf8_length("\xf0\x9f\x98\x80"), 1);         /* 😀 */
    assert_int_equal(utf8_length("e\xcc\x81"), 2);                /* e + combining acute */
    assert_int_equal(utf8_length("a\xc3\xa9z\xf0\x9f\x98\x80\xe2\x82\xac"), 5); /* aéz😀€ */
}

/* ---- create: per field ------------------------------------------------ */

static void test_create_valid_minimal(void **state) {
    (void)state;
    const char *bodies[] = {VOICE, SMS, WA};
    const enum channel channels[] = {CHANNEL_VOICE, CHANNEL_SMS, CHANNEL_WHATSAPP};
    for (int i = 0; i < 3; i++) {
        json_t *b = J(bodies[i]);
        struct campaign_input in;
        struct verr e;
        memset(&in, 0x5a, sizeof in);
        if (campaign_validate_create(b, &STRICT, &in, &e) != 0)
            fail_msg("body %d rejected: %s %s", i, e.field, e.message);
        assert_int_equal(in.channel, channels[i]);
        assert_string_equal(in.name, json_string_value(json_object_get(b, "name")));
        assert_string_equal(in.agent_id, json_string_value(json_object_get(b, "agent_id")));
        assert_ptr_equal(in.config, json_object_get(b, "config"));
        assert_null(in.schedule);
        assert_null(in.retry_policy);
        assert_true(in.has_name && in.has_config && in.has_schedule && in.has_retry_policy);
        json_decref(b);
    }
}

static void test_create_full_voice(void **state) {
    (void)state;
    json_t *b =
        J("{'name':'n','agent_id':'a','channel':'voice','config':{'caller_id':'+4915112345678',"
          "'webhook_url':'https://hooks.example.com/cb?x=1','extra':{'kept':true},"
          "'call_window':{'start':'09:00','end':'20:00','days':['mon','tue','wed','thu',"
          "'fri','sat','sun'],'timezone':'America/New_York','fallback_timezone':'UTC'}},"
          "'schedule':{'start_at':'2026-11-29T08:00:00Z','end_at':'2026-11-30T08:00:00Z',"
          "'note':'kept'},'retry_policy':{'max_attempts':10,'retry_on':['no_answer','busy'],"
          "'delay_seconds':86400,'backoff':'exponential'}}");
    struct campaign_input in;
    struct verr e;
    if (campaign_validate_create(b, &STRICT, &in, &e) != 0)
        fail_msg("rejected: %s %s", e.field, e.message);
    assert_int_equal(in.channel, CHANNEL_VOICE);
    assert_ptr_equal(in.schedule, json_object_get(b, "schedule"));
    assert_ptr_equal(in.retry_policy, json_object_get(b, "retry_policy"));
    json_decref(b);
}

static void test_create_name_and_agent(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {VOICE, "name", NULL, "name"},
        {VOICE, "name", "null", "name"},
        {VOICE, "name", "''", "name"},
        {VOICE, "name", "5", "name"},
        {VOICE, "name", "true", "name"},
        {VOICE, "name", "['x']", "name"},
        {VOICE, "name", "{'x':1}", "name"},
        {VOICE, "name", "'x'", NULL},
        {VOICE, "name", "' '", NULL},
        {VOICE, "agent_id", NULL, "agent_id"},
        {VOICE, "agent_id", "null", "agent_id"},
        {VOICE, "agent_id", "''", "agent_id"},
        {VOICE, "agent_id", "123", "agent_id"},
        {VOICE, "agent_id", "'a'", NULL},
    };
    RUN(m, &STRICT);
}

static void check_name_len(const char *unit, size_t count, const char *want) {
    json_t *b = J(VOICE);
    char *s = repeat(unit, count);
    json_t *v = json_string(s);
    assert_non_null(v);
    json_object_set_new(b, "name", v);
    char what[64];
    snprintf(what, sizeof what, "name of %zu x '%s'", count, unit);
    check_create(b, &STRICT, want, what);
    free(s);
    json_decref(b);
}

static void test_create_name_length_code_points(void **state) {
    (void)state;
    check_name_len("a", 200, NULL);
    check_name_len("a", 201, "name");
    check_name_len("\xc3\xa9", 200, NULL); /* é: 400 bytes, 200 code points */
    check_name_len("\xc3\xa9", 201, "name");
    check_name_len("\xe6\x97\xa5", 200, NULL); /* 日: 600 bytes */
    check_name_len("\xe6\x97\xa5", 201, "name");
    check_name_len("\xf0\x9f\x98\x80", 200, NULL); /* 😀: 800 bytes */
    check_name_len("\xf0\x9f\x98\x80", 201, "name");
    check_name_len("x", 100000, "name");
}

static void test_create_agent_length(void **state) {
    (void)state;
    size_t lens[] = {1, 127, 128, 129, 4096};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        json_t *b = J(VOICE);
        char *s = repeat("a", lens[i]);
        json_object_set_new(b, "agent_id", json_string(s));
        check_create(b, &STRICT, lens[i] <= 128 ? NULL : "agent_id", "agent_id length");
        free(s);
        json_decref(b);
    }
    /* code points, not bytes: 128 x "ü" (256 bytes) is fine */
    json_t *b = J(VOICE);
    char *s = repeat("\xc3\xbc", 128);
    json_object_set_new(b, "agent_id", json_string(s));
    check_create(b, &STRICT, NULL, "agent_id 128 code points");
    free(s);
    json_decref(b);
}

static void test_create_embedded_nul(void **state) {
    (void)state;
    const char *fields[] = {"name", "agent_id"};
    for (int i = 0; i < 2; i++) {
        json_t *b = J(VOICE);
        json_object_set_new(b, fields[i], json_stringn("ab\0cd", 5));
        check_create(b, &STRICT, fields[i], "embedded NUL");
        json_decref(b);
    }
    json_t *b = J(SMS);
    set_path(b, "config.body", json_stringn("hi\0there", 8));
    check_create(b, &STRICT, "config.body", "NUL in sms body");
    json_decref(b);
}

static void test_create_channel(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {VOICE, "channel", "'voice'", NULL},
        {VOICE, "channel", "null", NULL},
        {VOICE, "channel", "'fax'", "channel"},
        {VOICE, "channel", "''", "channel"},
        {VOICE, "channel", "'VOICE'", "channel"},
        {VOICE, "channel", "'voice '", "channel"},
        {VOICE, "channel", "1", "channel"},
        {VOICE, "channel", "['voice']", "channel"},
        /* the channel decides which config keys are required */
        {VOICE, "channel", "'sms'", "config.from"},
        {VOICE, "channel", "'whatsapp'", "config.sender"},
        {SMS, "channel", NULL, "config.caller_id"},
    };
    RUN(m, &STRICT);
}

static void test_create_config_voice(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {VOICE, "config", NULL, "config"},
        {VOICE, "config", "null", "config"},
        {VOICE, "config", "[]", "config"},
        {VOICE, "config", "'caller_id'", "config"},
        {VOICE, "config", "7", "config"},
        {VOICE, "config", "{}", "config.caller_id"},
        {VOICE, "config.caller_id", NULL, "config.caller_id"},
        {VOICE, "config.caller_id", "null", "config.caller_id"},
        {VOICE, "config.caller_id", "15551234567", "config.caller_id"},
        {VOICE, "config.caller_id", "'15551234567'", "config.caller_id"},
        {VOICE, "config.caller_id", "'+05551234567'", "config.caller_id"},
        {VOICE, "config.caller_id", "'+1555123'", "config.caller_id"},
        {VOICE, "config.caller_id", "'+15551234'", NULL},
        {VOICE, "config.caller_id", "'+123456789012345'", NULL},
        {VOICE, "config.caller_id", "'+1234567890123456'", "config.caller_id"},
        {VOICE, "config.caller_id", "'+1 555 123 4567'", "config.caller_id"},
        {VOICE, "config.caller_id", "'ACME'", "config.caller_id"},
        {VOICE, "config.caller_id", "''", "config.caller_id"},
        /* unknown keys inside config are kept, not refused */
        {VOICE, "config.anything", "{'deep':[1,2,3]}", NULL},
    };
    RUN(m, &STRICT);
}

static void test_create_webhook_url(void **state) {
    (void)state;
    static const struct mutation strict[] = {
        {VOICE, "config.webhook_url", "'https://hooks.example.com/cb'", NULL},
        {VOICE, "config.webhook_url", "'http://93.184.216.34:8080/x'", NULL},
        {VOICE, "config.webhook_url", "null", NULL},
        {VOICE, "config.webhook_url", "''", "config.webhook_url"},
        {VOICE, "config.webhook_url", "5", "config.webhook_url"},
        {VOICE, "config.webhook_url", "{'url':'https://x.example'}", "config.webhook_url"},
        {VOICE, "config.webhook_url", "'ftp://example.com/'", "config.webhook_url"},
        {VOICE, "config.webhook_url", "'example.com/cb'", "config.webhook_url"},
        {VOICE, "config.webhook_url", "'http://127.0.0.1:9000/'", "config.webhook_url"},
        {VOICE, "config.webhook_url", "'http://10.1.2.3/'", "config.webhook_url"},
        {VOICE, "config.webhook_url", "'http://localhost/'", "config.webhook_url"},
        {VOICE, "config.webhook_url", "'http://[::1]/'", "config.webhook_url"},
        {SMS, "config.webhook_url", "'http://192.168.1.1/'", "config.webhook_url"},
        {WA, "config.webhook_url", "'http://169.254.169.254/latest'", "config.webhook_url"},
        {WA, "config.webhook_url", "'https://hooks.example.com/'", NULL},
    };
    RUN(strict, &STRICT);
    static const struct mutation lax[] = {
        {VOICE, "config.webhook_url", "'http://127.0.0.1:9000/'", NULL},
        {SMS, "config.webhook_url", "'http://localhost/'", NULL},
        {WA, "config.webhook_url", "'http://10.0.0.1/'", NULL},
        /* allowing private addresses does not allow other schemes */
        {VOICE, "config.webhook_url", "'file:///etc/passwd'", "config.webhook_url"},
        {VOICE, "config.webhook_url", "'gopher://127.0.0.1/'", "config.webhook_url"},
    };
    RUN(lax, &LAX);
}

static void test_create_call_window(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00'}", NULL},
        {VOICE, "config.call_window", "{'start':'22:00','end':'06:00'}", NULL}, /* spans midnight */
        {VOICE, "config.call_window", "null", NULL},
        {VOICE, "config.call_window", "'09:00-20:00'", "config.call_window"},
        {VOICE, "config.call_window", "[]", "config.call_window"},
        {VOICE, "config.call_window", "{}", "config.call_window.start"},
        {VOICE, "config.call_window", "{'end':'20:00'}", "config.call_window.start"},
        {VOICE, "config.call_window", "{'start':'09:00'}", "config.call_window.end"},
        {VOICE, "config.call_window", "{'start':'9:00','end':'20:00'}", "config.call_window.start"},
        {VOICE, "config.call_window", "{'start':900,'end':'20:00'}", "config.call_window.start"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'24:00'}", "config.call_window.end"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:60'}", "config.call_window.end"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'09:00'}", "config.call_window.end"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','days':['mon','sun']}", NULL},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','days':null}", NULL},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','days':[]}",
         "config.call_window.days"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','days':'mon'}",
         "config.call_window.days"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','days':['mon','Tue']}",
         "config.call_window.days[1]"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','days':['mon','tue',1]}",
         "config.call_window.days[2]"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','days':['monday']}",
         "config.call_window.days[0]"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','timezone':'recipient'}",
         NULL},
        {VOICE, "config.call_window",
         "{'start':'09:00','end':'20:00','timezone':'America/New_York'}", NULL},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','timezone':'Mars/Olympus'}",
         "config.call_window.timezone"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','timezone':''}",
         "config.call_window.timezone"},
        {VOICE, "config.call_window", "{'start':'09:00','end':'20:00','timezone':5}",
         "config.call_window.timezone"},
        {VOICE, "config.call_window",
         "{'start':'09:00','end':'20:00','timezone':'recipient','fallback_timezone':"
         "'Europe/Berlin'}",
         NULL},
        {VOICE, "config.call_window",
         "{'start':'09:00','end':'20:00','fallback_timezone':'recipient'}",
         "config.call_window.fallback_timezone"},
        {SMS, "config.call_window", "{'start':'09:00','end':'25:00'}", "config.call_window.end"},
        {SMS, "config.call_window", "{'start':'09:00','end':'20:00'}", NULL},
    };
    RUN(m, &STRICT);
}

static void test_create_config_sms(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {SMS, "config", "{}", "config.from"},
        {SMS, "config.from", NULL, "config.from"},
        {SMS, "config.from", "null", "config.from"},
        {SMS, "config.from", "42", "config.from"},
        {SMS, "config.from", "'+15551234567'", NULL},
        {SMS, "config.from", "'A'", NULL},
        {SMS, "config.from", "'ACME Bank 1'", NULL},           /* 11 chars */
        {SMS, "config.from", "'ACME Bank 12'", "config.from"}, /* 12 chars */
        {SMS, "config.from", "''", "config.from"},
        {SMS, "config.from", "'12345'", "config.from"}, /* no letter, not E.164 */
        {SMS, "config.from", "'ACME-Bank'", "config.from"},
        {SMS, "config.from", "'+1555'", "config.from"},
        {SMS, "config.body", NULL, "config.body"},
        {SMS, "config.body", "null", "config.body"},
        {SMS, "config.body", "''", "config.body"},
        {SMS, "config.body", "['hi']", "config.body"},
        /* order: from before body */
        {SMS, "config", "{'from':'', 'body':''}", "config.from"},
    };
    RUN(m, &STRICT);
    size_t lens[] = {1, 1600, 1601};
    for (int i = 0; i < 3; i++) {
        json_t *b = J(SMS);
        char *s = repeat("\xc3\xa9", lens[i]);
        set_path(b, "config.body", json_string(s));
        check_create(b, &STRICT, lens[i] <= 1600 ? NULL : "config.body", "sms body length");
        free(s);
        json_decref(b);
    }
}

static void test_create_config_whatsapp(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {WA, "config", "{}", "config.sender"},
        {WA, "config.sender", NULL, "config.sender"},
        {WA, "config.sender", "''", "config.sender"},
        {WA, "config.sender", "12345", "config.sender"},
        {WA, "config.template", NULL, "config.template"},
        {WA, "config.template", "null", "config.template"},
        {WA, "config.template", "'renewal'", "config.template"},
        {WA, "config.template", "[]", "config.template"},
        {WA, "config.template.name", NULL, "config.template.name"},
        {WA, "config.template.name", "''", "config.template.name"},
        {WA, "config.template.language", NULL, "config.template.language"},
        {WA, "config.template.language", "'e'", "config.template.language"},
        {WA, "config.template.language", "'en'", NULL},
        {WA, "config.template.category", NULL, "config.template.category"},
        {WA, "config.template.category", "null", "config.template.category"},
        {WA, "config.template.category", "'promo'", "config.template.category"},
        {WA, "config.template.category", "'Marketing'", "config.template.category"},
        {WA, "config.template.category", "3", "config.template.category"},
        {WA, "config.template.category", "'utility'", NULL},
        {WA, "config.template.category", "'authentication'", NULL},
        {WA, "config.template.parameters", "['{{name}}','x']", NULL},
        {WA, "config.template.parameters", "[]", NULL},
        {WA, "config.template.parameters", "null", NULL},
        {WA, "config.template.parameters", "'{{name}}'", "config.template.parameters"},
        {WA, "config.template.parameters", "['a',5]", "config.template.parameters[1]"},
        {WA, "config.template.parameters", "[null]", "config.template.parameters[0]"},
        /* order: sender, template.name, language, category, parameters */
        {WA, "config.template", "{'language':'x','category':'y'}", "config.template.name"},
        {WA, "config.template", "{'name':'t','category':'y'}", "config.template.language"},
        {WA, "config.template", "{'name':'t','language':'en','category':'y','parameters':[1]}",
         "config.template.category"},
    };
    RUN(m, &STRICT);
}

static void test_create_schedule(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {VOICE, "schedule", "null", NULL},
        {VOICE, "schedule", "{}", NULL},
        {VOICE, "schedule", "{'start_at':'2026-11-29T08:00:00Z'}", NULL},
        {VOICE, "schedule", "{'end_at':'2026-11-29T08:00:00Z'}", NULL},
        {VOICE, "schedule", "{'start_at':null,'end_at':null,'other':1}", NULL},
        {VOICE, "schedule", "'2026-11-29T08:00:00Z'", "schedule"},
        {VOICE, "schedule", "[]", "schedule"},
        {VOICE, "schedule", "0", "schedule"},
        {VOICE, "schedule", "{'start_at':'2026-11-29'}", "schedule.start_at"},
        {VOICE, "schedule", "{'start_at':'2026-11-29 08:00:00'}", "schedule.start_at"},
        {VOICE, "schedule", "{'start_at':1795939200}", "schedule.start_at"},
        {VOICE, "schedule", "{'start_at':'2026-02-30T08:00:00Z'}", "schedule.start_at"},
        {VOICE, "schedule", "{'end_at':'2026-11-29T24:00:00Z'}", "schedule.end_at"},
        {VOICE, "schedule", "{'end_at':'2026-11-29T08:00:00'}", "schedule.end_at"},
        {VOICE, "schedule", "{'start_at':'bad','end_at':'bad'}", "schedule.start_at"},
        {VOICE, "schedule", "{'start_at':'2026-11-29T08:00:00Z','end_at':'2026-11-29T09:00:00Z'}",
         NULL},
        {VOICE, "schedule", "{'start_at':'2026-11-29T08:00:00Z','end_at':'2026-11-29T08:00:00Z'}",
         "schedule.end_at"},
        {VOICE, "schedule", "{'start_at':'2026-11-29T08:00:00Z','end_at':'2026-11-29T07:59:59Z'}",
         "schedule.end_at"},
        {VOICE, "schedule",
         "{'start_at':'2026-11-29T08:00:00.001Z','end_at':'2026-11-29T08:00:00Z'}",
         "schedule.end_at"},
        /* offsets are honoured: 10:00+02:00 is 08:00Z, before 09:00Z */
        {VOICE, "schedule",
         "{'start_at':'2026-11-29T10:00:00+02:00','end_at':'2026-11-29T09:00:00Z'}", NULL},
        /* 11:00+02:00 is 09:00Z, before 10:00Z */
        {VOICE, "schedule",
         "{'start_at':'2026-11-29T10:00:00Z','end_at':'2026-11-29T11:00:00+02:00'}",
         "schedule.end_at"},
        /* times before 1970 */
        {VOICE, "schedule", "{'start_at':'1969-07-20T20:17:00Z','end_at':'1969-07-21T02:56:00Z'}",
         NULL},
        {VOICE, "schedule", "{'start_at':'1969-07-21T02:56:00Z','end_at':'1969-07-20T20:17:00Z'}",
         "schedule.end_at"},
    };
    RUN(m, &STRICT);
}

static void test_create_retry_policy(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {VOICE, "retry_policy", "null", NULL},
        {VOICE, "retry_policy", "{}", NULL},
        {VOICE, "retry_policy", "{'unknown':true}", NULL},
        {VOICE, "retry_policy", "'fixed'", "retry_policy"},
        {VOICE, "retry_policy", "[]", "retry_policy"},
        {VOICE, "retry_policy", "{'max_attempts':1}", NULL},
        {VOICE, "retry_policy", "{'max_attempts':10}", NULL},
        {VOICE, "retry_policy", "{'max_attempts':0}", "retry_policy.max_attempts"},
        {VOICE, "retry_policy", "{'max_attempts':-1}", "retry_policy.max_attempts"},
        {VOICE, "retry_policy", "{'max_attempts':11}", "retry_policy.max_attempts"},
        {VOICE, "retry_policy", "{'max_attempts':4294967297}", "retry_policy.max_attempts"},
        {VOICE, "retry_policy", "{'max_attempts':3.0}", "retry_policy.max_attempts"},
        {VOICE, "retry_policy", "{'max_attempts':'3'}", "retry_policy.max_attempts"},
        {VOICE, "retry_policy", "{'max_attempts':true}", "retry_policy.max_attempts"},
        {VOICE, "retry_policy", "{'retry_on':['no_answer','busy']}", NULL},
        {VOICE, "retry_policy", "{'retry_on':['busy']}", NULL},
        {VOICE, "retry_policy", "{'retry_on':[]}", NULL},
        {VOICE, "retry_policy", "{'retry_on':'busy'}", "retry_policy.retry_on"},
        {VOICE, "retry_policy", "{'retry_on':{'busy':1}}", "retry_policy.retry_on"},
        {VOICE, "retry_policy", "{'retry_on':['busy','failed']}", "retry_policy.retry_on[1]"},
        {VOICE, "retry_policy", "{'retry_on':['BUSY']}", "retry_policy.retry_on[0]"},
        {VOICE, "retry_policy", "{'retry_on':[1]}", "retry_policy.retry_on[0]"},
        {VOICE, "retry_policy", "{'delay_seconds':0}", NULL},
        {VOICE, "retry_policy", "{'delay_seconds':86400}", NULL},
        {VOICE, "retry_policy", "{'delay_seconds':-1}", "retry_policy.delay_seconds"},
        {VOICE, "retry_policy", "{'delay_seconds':86401}", "retry_policy.delay_seconds"},
        {VOICE, "retry_policy", "{'delay_seconds':1.5}", "retry_policy.delay_seconds"},
        {VOICE, "retry_policy", "{'delay_seconds':'60'}", "retry_policy.delay_seconds"},
        {VOICE, "retry_policy", "{'backoff':'fixed'}", NULL},
        {VOICE, "retry_policy", "{'backoff':'exponential'}", NULL},
        {VOICE, "retry_policy", "{'backoff':'linear'}", "retry_policy.backoff"},
        {VOICE, "retry_policy", "{'backoff':'Fixed'}", "retry_policy.backoff"},
        {VOICE, "retry_policy", "{'backoff':1}", "retry_policy.backoff"},
        /* order inside the policy: max_attempts, retry_on, delay_seconds, backoff */
        {VOICE, "retry_policy",
         "{'backoff':'x','delay_seconds':-1,'retry_on':['x'],"
         "'max_attempts':0}",
         "retry_policy.max_attempts"},
        {VOICE, "retry_policy", "{'backoff':'x','delay_seconds':-1,'retry_on':['x']}",
         "retry_policy.retry_on[0]"},
        {VOICE, "retry_policy", "{'backoff':'x','delay_seconds':-1}", "retry_policy.delay_seconds"},
        /* voice only: any non-null policy on sms / whatsapp is refused */
        {SMS, "retry_policy", "{}", "retry_policy"},
        {SMS, "retry_policy", "{'max_attempts':3}", "retry_policy"},
        {SMS, "retry_policy", "'junk'", "retry_policy"},
        {WA, "retry_policy", "{'max_attempts':3}", "retry_policy"},
        {SMS, "retry_policy", "null", NULL},
        {WA, "retry_policy", "null", NULL},
    };
    RUN(m, &STRICT);
}

static void test_create_unknown_top_level(void **state) {
    (void)state;
    static const struct mutation m[] = {
        {VOICE, "foo", "1", "foo"},
        {VOICE, "status", "'running'", "status"},
        {VOICE, "id", "'cmp_x'", "id"},
        {VOICE, "counters", "{}", "counters"},
        {VOICE, "Name", "'x'", "Name"},
        {VOICE, "foo", "null", "foo"},
        {SMS, "caller_id", "'+15551234567'", "caller_id"},
    };
    RUN(m, &STRICT);
}

static void test_create_not_an_object(void **state) {
    (void)state;
    const char *bodies[] = {"[]", "null", "'x'", "5", "{}"};
    for (int i = 0; i < 5; i++) {
        json_t *b = J(bodies[i]);
        check_create(b, &STRICT, "name", bodies[i]);
        json_decref(b);
    }
}

/* Several wrong fields at once: the first in body order is reported. */
static void test_create_first_wrong_field_wins(void **state) {
    (void)state;
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{'name':'','agent_id':'','channel':'x','config':1,'schedule':1,'retry_policy':1,'z':1}",
         "name"},
        {"{'name':'n','agent_id':'','channel':'x','config':1,'schedule':1,'retry_policy':1,'z':1}",
         "agent_id"},
        {"{'name':'n','agent_id':'a','channel':'x','config':1,'schedule':1,'retry_policy':1,'z':1}",
         "channel"},
        {"{'name':'n','agent_id':'a','config':1,'schedule':1,'retry_policy':1,'z':1}", "config"},
        {"{'name':'n','agent_id':'a','config':{'caller_id':'1'},'schedule':1,'retry_policy':1,"
         "'z':1}",
         "config.caller_id"},
        {"{'name':'n','agent_id':'a','config':{'caller_id':'+15551234567'},'schedule':1,"
         "'retry_policy':1,'z':1}",
         "schedule"},
        {"{'name':'n','agent_id':'a','config':{'caller_id':'+15551234567'},'retry_policy':1,"
         "'z':1}",
         "retry_policy"},
        {"{'name':'n','agent_id':'a','config':{'caller_id':'+15551234567'},'z':1}", "z"},
        /* key order in the body does not change which field is reported */
        {"{'z':1,'retry_policy':1,'schedule':1,'config':1,'channel':'x','agent_id':'','name':''}",
         "name"},
        /* inside voice config: caller_id, webhook_url, call_window */
        {"{'name':'n','agent_id':'a','config':{'call_window':{},'webhook_url':'x',"
         "'caller_id':'1'}}",
         "config.caller_id"},
        {"{'name':'n','agent_id':'a','config':{'call_window':{},'webhook_url':'x',"
         "'caller_id':'+15551234567'}}",
         "config.webhook_url"},
        {"{'name':'n','agent_id':'a','config':{'call_window':{'end':'x','start':'y'},"
         "'caller_id':'+15551234567'}}",
         "config.call_window.start"},
        /* inside sms config: from, body, webhook_url, call_window */
        {"{'name':'n','agent_id':'a','channel':'sms','config':{'call_window':{},'webhook_url':"
         "'x','body':'','from':''}}",
         "config.from"},
        {"{'name':'n','agent_id':'a','channel':'sms','config':{'call_window':{},'webhook_url':"
         "'x','body':'','from':'ACME'}}",
         "config.body"},
        {"{'name':'n','agent_id':'a','channel':'sms','config':{'call_window':{},'webhook_url':"
         "'x','body':'b','from':'ACME'}}",
         "config.webhook_url"},
        /* inside call_window: start, end, days, timezone, fallback_timezone */
        {"{'name':'n','agent_id':'a','config':{'caller_id':'+15551234567','call_window':{"
         "'fallback_timezone':'x','timezone':'x','days':[],'start':'09:00','end':'10:00'}}}",
         "config.call_window.days"},
        {"{'name':'n','agent_id':'a','config':{'caller_id':'+15551234567','call_window':{"
         "'fallback_timezone':'x','timezone':'x','start':'09:00','end':'10:00'}}}",
         "config.call_window.timezone"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *b = J(cases[i].body);
        check_create(b, &STRICT, cases[i].field, cases[i].body);
        json_decref(b);
    }
}

/* ---- patch ------------------------------------------------------------ */

static int patch(const char *body, enum channel ch, enum campaign_status st,
                 struct campaign_input *in, struct verr *e) {
    json_t *b = J(body);
    memset(e, 0, sizeof *e);
    int rc = campaign_validate_patch(b, ch, st, &STRICT, in, e);
    json_decref(b); /* in's pointers are not used after this */
    return rc;
}

static void test_patch_draft(void **state) {
    (void)state;
    struct campaign_input in;
    struct verr e;
    assert_int_equal(patch("{}", CHANNEL_VOICE, CAMPAIGN_DRAFT, &in, &e), 0);
    assert_false(in.has_name || in.has_config || in.has_schedule || in.has_retry_policy);
    assert_int_equal(in.channel, CHANNEL_VOICE);

    json_t *b = J("{'name':'new','config':{'caller_id':'+15551234567'},'schedule':null,"
                  "'retry_policy':{'max_attempts':2}}");
    assert_int_equal(campaign_validate_patch(b, CHANNEL_VOICE, CAMPAIGN_DRAFT, &STRICT, &in, &e),
                     0);
    assert_true(in.has_name && in.has_config && in.has_schedule && in.has_retry_policy);
    assert_string_equal(in.name, "new");
    assert_ptr_equal(in.config, json_object_get(b, "config"));
    assert_null(in.schedule); /* null clears it */
    assert_ptr_equal(in.retry_policy, json_object_get(b, "retry_policy"));
    json_decref(b);

    b = J("{'retry_policy':null}");
    assert_int_equal(campaign_validate_patch(b, CHANNEL_SMS, CAMPAIGN_DRAFT, &STRICT, &in, &e), 0);
    assert_true(in.has_retry_policy);
    assert_null(in.retry_policy);
    assert_int_equal(in.channel, CHANNEL_SMS);
    json_decref(b);

    static const struct {
        const char *body;
        enum channel ch;
        const char *field;
    } bad[] = {
        {"{'name':''}", CHANNEL_VOICE, "name"},
        {"{'name':null}", CHANNEL_VOICE, "name"},
        {"{'name':7}", CHANNEL_VOICE, "name"},
        {"{'config':null}", CHANNEL_VOICE, "config"},
        {"{'config':[]}", CHANNEL_VOICE, "config"},
        {"{'config':{}}", CHANNEL_VOICE, "config.caller_id"},
        /* the config is validated against the campaign's channel */
        {"{'config':{'caller_id':'+15551234567'}}", CHANNEL_SMS, "config.from"},
        {"{'config':{'from':'ACME','body':'x'}}", CHANNEL_VOICE, "config.caller_id"},
        {"{'config':{'caller_id':'+15551234567','webhook_url':'http://127.0.0.1/'}}", CHANNEL_VOICE,
         "config.webhook_url"},
        {"{'schedule':'x'}", CHANNEL_VOICE, "schedule"},
        {"{'schedule':{'start_at':'2026-01-02T00:00:00Z','end_at':'2026-01-01T00:00:00Z'}}",
         CHANNEL_VOICE, "schedule.end_at"},
        {"{'retry_policy':{'max_attempts':11}}", CHANNEL_VOICE, "retry_policy.max_attempts"},
        {"{'retry_policy':{}}", CHANNEL_SMS, "retry_policy"},
        {"{'retry_policy':{}}", CHANNEL_WHATSAPP, "retry_policy"},
        /* fields that can never change */
        {"{'channel':'sms'}", CHANNEL_VOICE, "channel"},
        {"{'agent_id':'x'}", CHANNEL_VOICE, "agent_id"},
        {"{'status':'running'}", CHANNEL_VOICE, "status"},
        {"{'name':'ok','bogus':1}", CHANNEL_VOICE, "bogus"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = patch(bad[i].body, bad[i].ch, CAMPAIGN_DRAFT, &in, &e);
        if (rc != -1 || strcmp(e.field, bad[i].field) != 0)
            fail_msg("patch %s: rc %d field '%s', want -1 '%s'", bad[i].body, rc, e.field,
                     bad[i].field);
    }
}

static void test_patch_after_draft(void **state) {
    (void)state;
    static const enum campaign_status later[] = {CAMPAIGN_RUNNING, CAMPAIGN_PAUSED,
                                                 CAMPAIGN_COMPLETED, CAMPAIGN_CANCELLED};
    struct campaign_input in;
    struct verr e;
    for (int i = 0; i < 4; i++) {
        enum campaign_status st = later[i];
        /* name alone may change */
        assert_int_equal(patch("{'name':'renamed'}", CHANNEL_VOICE, st, &in, &e), 0);
        assert_true(in.has_name);
        assert_false(in.has_config || in.has_schedule || in.has_retry_policy);
        assert_int_equal(patch("{}", CHANNEL_VOICE, st, &in, &e), 0);
        /* name is still validated */
        assert_int_equal(patch("{'name':''}", CHANNEL_VOICE, st, &in, &e), -1);
        assert_string_equal(e.field, "name");
        /* anything else: -2 (409), even when valid or null */
        static const struct {
            const char *body, *field;
        } refused[] = {
            {"{'config':{'caller_id':'+15551234567'}}", "config"},
            {"{'schedule':null}", "schedule"},
            {"{'retry_policy':null}", "retry_policy"},
            {"{'name':'ok','retry_policy':{'max_attempts':2}}", "retry_policy"},
            {"{'schedule':{},'name':'ok'}", "schedule"},
        };
        for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
            int rc = patch(refused[k].body, CHANNEL_VOICE, st, &in, &e);
            if (rc != -2 || strcmp(e.field, refused[k].field) != 0)
                fail_msg("patch %s in %s: rc %d field '%s', want -2 '%s'", refused[k].body,
                         campaign_status_name(st), rc, e.field, refused[k].field);
            assert_true(e.message[0] != '\0');
        }
        /* an invalid name next to a frozen field is still a 409 */
        assert_int_equal(patch("{'name':'','config':{}}", CHANNEL_VOICE, st, &in, &e), -2);
    }
}

/* ---- retry policy defaults -------------------------------------------- */

static void policy_of(const char *json, struct retry_policy *p) {
    memset(p, 0x7f, sizeof *p);
    if (!json) {
        campaign_retry_policy(NULL, p);
        return;
    }
    json_t *v = J(json);
    campaign_retry_policy(v, p);
    json_decref(v);
}

static void test_retry_policy_defaults(void **state) {
    (void)state;
    struct retry_policy p;
    const char *none[] = {NULL, "null"};
    for (int i = 0; i < 2; i++) {
        policy_of(none[i], &p);
        assert_int_equal(p.max_attempts, 1);
        assert_int_equal(p.retry_on_no_answer, 1);
        assert_int_equal(p.retry_on_busy, 1);
        assert_int_equal(p.delay_seconds, 300);
        assert_int_equal(p.exponential, 0);
    }
    policy_of("{}", &p);
    assert_int_equal(p.max_attempts, 3);
    assert_int_equal(p.retry_on_no_answer, 1);
    assert_int_equal(p.retry_on_busy, 1);
    assert_int_equal(p.delay_seconds, 300);
    assert_int_equal(p.exponential, 0);

    policy_of("{'delay_seconds':0}", &p);
    assert_int_equal(p.max_attempts, 3);
    assert_int_equal(p.delay_seconds, 0);
}

static void test_retry_policy_explicit(void **state) {
    (void)state;
    struct retry_policy p;
    policy_of("{'max_attempts':5,'retry_on':['busy'],'delay_seconds':60,'backoff':'exponential'}",
              &p);
    assert_int_equal(p.max_attempts, 5);
    assert_int_equal(p.retry_on_no_answer, 0);
    assert_int_equal(p.retry_on_busy, 1);
    assert_int_equal(p.delay_seconds, 60);
    assert_int_equal(p.exponential, 1);

    policy_of("{'max_attempts':1,'retry_on':['no_answer'],'backoff':'fixed'}", &p);
    assert_int_equal(p.max_attempts, 1);
    assert_int_equal(p.retry_on_no_answer, 1);
    assert_int_equal(p.retry_on_busy, 0);
    assert_int_equal(p.delay_seconds, 300);
    assert_int_equal(p.exponential, 0);

    policy_of("{'retry_on':[]}", &p);
    assert_int_equal(p.max_attempts, 3);
    assert_int_equal(p.retry_on_no_answer, 0);
    assert_int_equal(p.retry_on_busy, 0);

    policy_of("{'retry_on':['busy','no_answer','busy'],'max_attempts':10,'delay_seconds':86400}",
              &p);
    assert_int_equal(p.max_attempts, 10);
    assert_int_equal(p.retry_on_no_answer, 1);
    assert_int_equal(p.retry_on_busy, 1);
    assert_int_equal(p.delay_seconds, 86400);
}

/* A policy accepted by the validator reads back with the same values. */
static void test_retry_policy_validated_round_trip(void **state) {
    (void)state;
    for (int max = 1; max <= 10; max++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{'name':'n','agent_id':'a','config':{'caller_id':'+15551234567'},"
                 "'retry_policy':{'max_attempts':%d,'delay_seconds':%d}}",
                 max, max * 1000);
        json_t *b = J(body);
        struct campaign_input in;
        struct verr e;
        assert_int_equal(campaign_validate_create(b, &STRICT, &in, &e), 0);
        struct retry_policy p;
        campaign_retry_policy(in.retry_policy, &p);
        assert_int_equal(p.max_attempts, max);
        assert_int_equal(p.delay_seconds, max * 1000);
        json_decref(b);
    }
}

static void test_campaign_clear(void **state) {
    (void)state;
    struct campaign c;
    memset(&c, 0, sizeof c);
    c.name = strdup("n");
    c.agent_id = strdup("a");
    c.config_json = strdup("{}");
    c.schedule_json = NULL;
    c.retry_policy_json = strdup("{}");
    campaign_clear(&c);
    assert_null(c.name);
    assert_null(c.agent_id);
    assert_null(c.config_json);
    assert_null(c.schedule_json);
    assert_null(c.retry_policy_json);
    campaign_clear(&c); /* twice is harmless */
}

/* Regression (fixed): check_schedule treats a parsed time of 0 ms (1970-01-01T00:00:00Z)
 * as "absent", so end_at at the epoch is never compared with start_at (and
 * start_at at the epoch never with end_at). */
static void test_schedule_epoch_bug(void **state) {
    (void)state;
    json_t *b = J(VOICE);
    set_path(b, "schedule",
             J("{'start_at':'2026-11-29T08:00:00Z','end_at':'1970-01-01T00:00:00Z'}"));
    check_create(b, &STRICT, "schedule.end_at", "end_at at the epoch, before start_at");
    json_decref(b);
    b = J(VOICE);
    set_path(b, "schedule",
             J("{'start_at':'1970-01-01T00:00:00Z','end_at':'1969-12-31T23:00:00Z'}"));
    check_create(b, &STRICT, "schedule.end_at", "start_at at the epoch, end_at before it");
    json_decref(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_move_table),
        cmocka_unit_test(test_plan_move_empty),
        cmocka_unit_test(test_plan_move_hostile),
        cmocka_unit_test(test_move_names),
        cmocka_unit_test(test_utf8_length),
        cmocka_unit_test(test_create_valid_minimal),
        cmocka_unit_test(test_create_full_voice),
        cmocka_unit_test(test_create_name_and_agent),
        cmocka_unit_test(test_create_name_length_code_points),
        cmocka_unit_test(test_create_agent_length),
        cmocka_unit_test(test_create_embedded_nul),
        cmocka_unit_test(test_create_channel),
        cmocka_unit_test(test_create_config_voice),
        cmocka_unit_test(test_create_webhook_url),
        cmocka_unit_test(test_create_call_window),
        cmocka_unit_test(test_create_config_sms),
        cmocka_unit_test(test_create_config_whatsapp),
        cmocka_unit_test(test_create_schedule),
        cmocka_unit_test(test_create_retry_policy),
        cmocka_unit_test(test_create_unknown_top_level),
        cmocka_unit_test(test_create_not_an_object),
        cmocka_unit_test(test_create_first_wrong_field_wins),
        cmocka_unit_test(test_patch_draft),
        cmocka_unit_test(test_patch_after_draft),
        cmocka_unit_test(test_retry_policy_defaults),
        cmocka_unit_test(test_retry_policy_explicit),
        cmocka_unit_test(test_retry_policy_validated_round_trip),
        cmocka_unit_test(test_campaign_clear),
        cmocka_unit_test(test_schedule_epoch_bug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
