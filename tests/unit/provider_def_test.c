/* provider_def_test.c - tests of domain/provider_def.c: names, types and
 * the channels they carry, settings validated against the type's table
 * (kinds, bounds, unknown fields, defaults filled in), the name in the body,
 * and answers that never carry secrets but list them in secrets_set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "domain/provider_def.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *J(const char *single_quoted) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", single_quoted);
    for (char *p = buf; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *v = json_loads(buf, 0, &err);
    if (!v)
        fail_msg("bad test JSON %s: %s", buf, err.text);
    return v;
}

static void expect_private(const char *body, int allow_private, const char *field) {
    json_t *b = J(body);
    struct provider_def d;
    struct verr e;
    int rc = provider_def_from_json("tw", b, allow_private, &d, &e);
    if (field) {
        assert_int_equal(rc, -1);
        assert_string_equal(e.field, field);
    } else {
        if (rc != 0)
            fail_msg("%s refused on %s: %s", body, e.field, e.message);
        provider_def_clear(&d);
    }
    json_decref(b);
}

static void expect(const char *name, const char *body, const char *field) {
    json_t *b = J(body);
    struct provider_def d;
    struct verr e;
    int rc = provider_def_from_json(name, b, 0, &d, &e);
    if (field) {
        if (rc == 0)
            fail_msg("%s %s: accepted, want an error on %s", name, body, field);
        if (strcmp(e.field, field) != 0)
            fail_msg("%s %s: error on %s (%s), want %s", name, body, e.field, e.message, field);
    } else if (rc != 0) {
        fail_msg("%s %s: refused on %s: %s", name, body, e.field, e.message);
    }
    provider_def_clear(&d);
    json_decref(b);
}

static void test_names(void **state) {
    (void)state;
    assert_true(provider_name_valid("sim"));
    assert_true(provider_name_valid("twilio-main.eu_1"));
    assert_false(provider_name_valid(""));
    assert_false(provider_name_valid("-x"));
    assert_false(provider_name_valid("Twilio"));
    assert_false(provider_name_valid("a b"));
    char long_name[80];
    memset(long_name, 'a', sizeof long_name);
    long_name[64] = '\0';
    assert_true(provider_name_valid(long_name));
    long_name[64] = 'a';
    long_name[65] = '\0';
    assert_false(provider_name_valid(long_name));
    expect("Bad Name", "{'type':'sim'}", "name");
}

static void test_types(void **state) {
    (void)state;
    for (int ch = 0; ch < CHANNEL_COUNT; ch++)
        assert_true(provider_type_carries("sim", (enum channel)ch));
    assert_false(provider_type_carries("sim", CHANNEL_COUNT));
    assert_true(provider_type_carries("smpp", CHANNEL_SMS));
    assert_false(provider_type_carries("smpp", CHANNEL_VOICE));
    /* a type the contract does not name is unknown */
    assert_false(provider_type_carries("kannel", CHANNEL_SMS));
    assert_true(provider_type_carries("vapi", CHANNEL_VOICE));
    assert_false(provider_type_carries("vapi", CHANNEL_SMS));
    assert_true(provider_type_carries("retell", CHANNEL_VOICE));
    assert_false(provider_type_carries("retell", CHANNEL_WHATSAPP));
    expect("p", "{'type':'vapi','api_key':'k','phone_number_id':'pn'}", "webhook_secret");
    expect("p",
           "{'type':'vapi','api_key':'k','phone_number_id':'pn','webhook_secret':'s',"
           "'webhook_auth':'basic'}",
           "webhook_auth");
    expect("p",
           "{'type':'vapi','api_key':'k','phone_number_id':'pn','webhook_secret':'s',"
           "'hmac_timestamp_header':'x ts'}",
           "hmac_timestamp_header");
    expect("p", "{'type':'vapi','api_key':'k','phone_number_id':'pn','webhook_secret':'s'}", NULL);
    expect("p", "{'type':'retell','api_key':'k','from_number':'4155550100'}", "from_number");
    expect("p", "{'type':'retell','api_key':'k','from_number':'+14155550100'}", NULL);
    expect("p", "{'type':'retell'}", "api_key");
    assert_true(provider_type_carries("meta_whatsapp", CHANNEL_WHATSAPP));
    assert_false(provider_type_carries("meta_whatsapp", CHANNEL_SMS));
    assert_true(provider_type_carries("twilio", CHANNEL_VOICE));
    assert_true(provider_type_carries("twilio", CHANNEL_SMS));
    assert_false(provider_type_carries("twilio", CHANNEL_WHATSAPP));
    expect("p", "{}", "type");
    expect("p", "{'type':null}", "type");
    expect("p", "{'type':5}", "type");
    expect("p", "{'type':'vapi','api_key':'k'}", "phone_number_id");
    assert_true(provider_type_carries("smpp", CHANNEL_SMS));
    assert_false(provider_type_carries("smpp", CHANNEL_VOICE));
    assert_false(provider_type_carries("smpp", CHANNEL_WHATSAPP));
    expect("p", "{'type':'smpp','host':'h'}", "port");
    expect("p", "{'type':'smpp','host':'h','port':2775,'system_id':'s','password':'p'}", NULL);
    expect("p", "{'type':'smpp','host':'h','port':2775,'system_id':'s','password':'p','window':0}",
           "window");
    /* host: a private, loopback or link-local address only when allowed */
#define SMPP_AT(h) "{'type':'smpp','host':'" h "','port':2775,'system_id':'s','password':'p'}"
    expect_private(SMPP_AT("smsc.example.net"), 0, NULL);
    expect_private(SMPP_AT("203.0.113.7"), 0, NULL);
    expect_private(SMPP_AT("127.0.0.1"), 0, "host");
    expect_private(SMPP_AT("10.1.2.3"), 0, "host");
    expect_private(SMPP_AT("169.254.0.9"), 0, "host");
    expect_private(SMPP_AT("::1"), 0, "host");
    expect_private(SMPP_AT("localhost"), 0, "host");
    expect_private(SMPP_AT("127.0.0.1"), 1, NULL);
    expect_private(SMPP_AT("a b"), 1, "host");
    expect_private(SMPP_AT("h/x"), 1, "host");
#undef SMPP_AT
    expect("p", "{'type':'SIM'}", "type");
    expect("p", "{'type':'sim'}", NULL);
}

static void test_settings(void **state) {
    (void)state;
    expect("p", "{'type':'sim','call_ms':0,'report_ms':3600000}", NULL);
    expect("p", "{'type':'sim','call_ms':-1}", "call_ms");
    expect("p", "{'type':'sim','call_ms':3600001}", "call_ms");
    expect("p", "{'type':'sim','call_ms':1.5}", "call_ms");
    expect("p", "{'type':'sim','call_ms':'10'}", "call_ms");
    expect("p", "{'type':'sim','report_ms':true}", "report_ms");
    expect("p", "{'type':'sim','colour':'red'}", "colour");
    expect("p", "{'type':'sim','name':'p'}", NULL);
    expect("p", "{'type':'sim','name':'q'}", "name");
}

static void test_twilio(void **state) {
    (void)state;
    expect("tw", "{'type':'twilio','account_sid':'AC0123','auth_token':'tok'}", NULL);
    expect("tw", "{'type':'twilio','account_sid':'AC0123'}", "auth_token");
    expect("tw", "{'type':'twilio','auth_token':'tok'}", "account_sid");
    expect("tw", "{'type':'twilio','account_sid':'','auth_token':'tok'}", "account_sid");
    expect("tw", "{'type':'twilio','account_sid':'AC/../x','auth_token':'tok'}", "account_sid");
    expect("tw", "{'type':'twilio','account_sid':'AC1','auth_token':'t','machine_detection':1}",
           "machine_detection");
    expect("tw", "{'type':'twilio','account_sid':'AC1','auth_token':'t','base_url':'ftp://x'}",
           "base_url");
    expect("tw", "{'type':'twilio','account_sid':'AC1','auth_token':'t','base_url':'nope'}",
           "base_url");
    expect("tw", "{'type':'twilio','account_sid':'AC1','auth_token':'t','sid':'x'}", "sid");
    /* voice_url: placeholders known, an http(s) URL once filled in */
    expect("tw",
           "{'type':'twilio','account_sid':'AC1','auth_token':'t','voice_url':"
           "'https://agent.example/twiml/{agent_id}?c={call_id}&r={recipient_id}&m={campaign_id}'}",
           NULL);
    expect("tw",
           "{'type':'twilio','account_sid':'AC1','auth_token':'t','voice_url':'https://a/{x}'}",
           "voice_url");
    expect("tw", "{'type':'twilio','account_sid':'AC1','auth_token':'t','voice_url':'a/b'}",
           "voice_url");
    expect("tw", "{'type':'twilio','account_sid':'AC1','auth_token':'t','voice_url':''}",
           "voice_url");
    /* base_url: a private address only when the server allows it */
    const char *local = "{'type':'twilio','account_sid':'AC1','auth_token':'t','base_url':"
                        "'http://127.0.0.1:4010'}";
    expect_private(local, 0, "base_url");
    expect_private(local, 1, NULL);
    expect_private("{'type':'twilio','account_sid':'AC1','auth_token':'t','base_url':"
                   "'http://[::1]:4010'}",
                   0, "base_url");
    expect_private("{'type':'twilio','account_sid':'AC1','auth_token':'t','base_url':"
                   "'https://api.signalwire.example'}",
                   0, NULL);

    /* defaults, the answer, and the channels the settings carry */
    json_t *b = J("{'type':'twilio','account_sid':'AC1','auth_token':'s3cr3t'}");
    struct provider_def d;
    struct verr e;
    assert_int_equal(provider_def_from_json("tw", b, 0, &d, &e), 0);
    json_t *out = provider_def_to_json(&d);
    json_t *want = J("{'name':'tw','type':'twilio','account_sid':'AC1',"
                     "'base_url':'https://api.twilio.com','machine_detection':false,"
                     "'secrets_set':['auth_token'],'builtin':false}");
    if (!json_equal(out, want))
        fail_msg("answer %s", json_dumps(out, JSON_COMPACT));
    assert_true(provider_def_carries(&d, CHANNEL_SMS));
    assert_false(provider_def_carries(&d, CHANNEL_VOICE)); /* no voice_url */
    assert_false(provider_def_carries(&d, CHANNEL_WHATSAPP));
    json_object_set_new(d.settings, "voice_url", json_string("https://agent.example/twiml"));
    assert_true(provider_def_carries(&d, CHANNEL_VOICE));
    json_decref(want);
    json_decref(out);
    provider_def_clear(&d);
    json_decref(b);
}

static void test_meta_whatsapp(void **state) {
    (void)state;
#define META "{'type':'meta_whatsapp','access_token':'EAAG','app_secret':'s','verify_token':'v'"
    expect("m", META "}", NULL);
    expect("m", "{'type':'meta_whatsapp','app_secret':'s','verify_token':'v'}", "access_token");
    expect("m", "{'type':'meta_whatsapp','access_token':'t','verify_token':'v'}", "app_secret");
    expect("m", "{'type':'meta_whatsapp','access_token':'t','app_secret':'s'}", "verify_token");
    expect("m", META ",'verify_token':''}", "verify_token");
    expect("m", META ",'api_version':'v22.0'}", NULL);
    expect("m", META ",'api_version':'22.0'}", "api_version");
    expect("m", META ",'api_version':'v2/../x'}", "api_version");
    expect("m", META ",'base_url':'ftp://graph'}", "base_url");
    expect("m", META ",'phone_number_id':'1'}", "phone_number_id");
    expect_private(META ",'base_url':'http://127.0.0.1:4010'}", 0, "base_url");
    expect_private(META ",'base_url':'http://127.0.0.1:4010'}", 1, NULL);
    json_t *b = J(META "}");
    struct provider_def d;
    struct verr e;
    assert_int_equal(provider_def_from_json("m", b, 0, &d, &e), 0);
    json_t *answer = provider_def_to_json(&d);
    char *text = json_dumps(answer, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(text,
                        "{\"api_version\":\"v21.0\",\"base_url\":\"https://graph.facebook.com\","
                        "\"builtin\":false,\"name\":\"m\",\"secrets_set\":[\"access_token\","
                        "\"app_secret\"],\"type\":\"meta_whatsapp\",\"verify_token\":\"v\"}");
    assert_true(provider_def_carries(&d, CHANNEL_WHATSAPP));
    assert_false(provider_def_carries(&d, CHANNEL_VOICE));
    free(text);
    json_decref(answer);
    json_decref(b);
    provider_def_clear(&d);
#undef META
}

static void test_defaults_and_answer(void **state) {
    (void)state;
    json_t *b = J("{'type':'sim','call_ms':50}");
    struct provider_def d;
    struct verr e;
    assert_int_equal(provider_def_from_json("sim-slow", b, 0, &d, &e), 0);
    json_t *out = provider_def_to_json(&d);
    json_t *want = J("{'name':'sim-slow','type':'sim','call_ms':50,'report_ms':100,"
                     "'secrets_set':[],'builtin':false}");
    if (!json_equal(out, want))
        fail_msg("answer %s", json_dumps(out, JSON_COMPACT));
    json_decref(want);
    json_decref(out);
    provider_def_clear(&d);
    json_decref(b);
}

static void test_secrets_never_answered(void **state) {
    (void)state;
    static const char *const names[] = {"auth_token", "api_key", "access_token", "app_secret",
                                        "password"};
    for (size_t i = 0; i < 5; i++)
        assert_true(provider_setting_is_secret(names[i]));
    assert_false(provider_setting_is_secret("account_sid"));
    assert_false(provider_setting_is_secret("call_ms"));
    struct provider_def d = {.builtin = 0};
    snprintf(d.name, sizeof d.name, "tw");
    snprintf(d.type, sizeof d.type, "twilio");
    d.settings = J("{'account_sid':'AC1','auth_token':'s3cr3t','password':'pw'}");
    json_t *out = provider_def_to_json(&d);
    char *text = json_dumps(out, JSON_COMPACT);
    assert_null(strstr(text, "s3cr3t"));
    assert_null(strstr(text, "pw\""));
    assert_null(json_object_get(out, "auth_token"));
    json_t *want = J("['auth_token','password']");
    assert_true(json_equal(json_object_get(out, "secrets_set"), want));
    assert_string_equal(json_string_value(json_object_get(out, "account_sid")), "AC1");
    free(text);
    json_decref(want);
    json_decref(out);
    provider_def_clear(&d);
}

static void test_builtin(void **state) {
    (void)state;
    struct provider_def d;
    provider_def_builtin(250, 40, &d);
    json_t *out = provider_def_to_json(&d);
    json_t *want = J("{'name':'sim','type':'sim','call_ms':250,'report_ms':40,'secrets_set':[],"
                     "'builtin':true}");
    assert_true(json_equal(out, want));
    json_decref(want);
    json_decref(out);
    provider_def_clear(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_twilio),
        cmocka_unit_test(test_meta_whatsapp),
        cmocka_unit_test(test_defaults_and_answer),
        cmocka_unit_test(test_secrets_never_answered),
        cmocka_unit_test(test_builtin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
