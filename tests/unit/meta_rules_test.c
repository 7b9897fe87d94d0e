/* meta_rules_test.c - tests of domain/meta_rules.c and domain/wa_template.c:
 * the template send's body (body parameters, each header kind, url /
 * quick_reply / copy_code buttons, no components, unusable templates and
 * numbers), answers to fates (2xx with messages[0].id, 130429 and 131056
 * throttles, 429 and 5xx, 131026 / 131047 / other 4xx with the code),
 * the GET handshake, X-Hub-Signature-256 (HMAC-SHA256 test vectors
 * computed with Python's hmac: right, uppercase hex, wrong secret, one
 * byte changed, wrong prefix or length, missing), webhook bodies (statuses
 * in entries and changes, failed -> undelivered with errors[0].code,
 * timestamps, pricing category, ignored statuses and fields, inbound text
 * messages, malformed shapes naming the field) and the template's header
 * and buttons: checked at create, filled per recipient. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_fixture.h"

#include "domain/meta_rules.h"
#include "domain/wa_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *compact(const char *single_quoted) {
    json_t *v = J(single_quoted);
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    return s;
}

/* The send body for template t (single-quoted JSON), sorted for comparing. */
static void expect_send(const char *to, const char *t, const char *want) {
    json_t *tj = J(t);
    char *text = json_dumps(tj, JSON_COMPACT);
    char *body = NULL;
    const char *why = NULL;
    assert_int_equal(meta_send_body(to, text, &body, &why), 0);
    json_t *got = json_loads(body, 0, NULL);
    char *got_s = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    char *want_s = compact(want);
    assert_string_equal(got_s, want_s);
    free(got_s);
    free(want_s);
    json_decref(got);
    free(body);
    free(text);
    json_decref(tj);
}

static void test_send_body(void **state) {
    (void)state;
    expect_send("+16505551234",
                "{'name':'renewal','language':'en_US','category':'marketing',"
                "'parameters':['Zoë','42']}",
                "{'messaging_product':'whatsapp','recipient_type':'individual','to':'16505551234',"
                "'type':'template','template':{'name':'renewal','language':{'code':'en_US'},"
                "'components':[{'type':'body','parameters':[{'type':'text','text':'Zoë'},"
                "{'type':'text','text':'42'}]}]}}");
    /* no parameters: no components */
    expect_send("+447700900123", "{'name':'hello_world','language':'en_US'}",
                "{'messaging_product':'whatsapp','recipient_type':'individual','to':'447700900123',"
                "'type':'template','template':{'name':'hello_world','language':{'code':'en_US'}}}");
    /* header and buttons, in Meta's order: header, body, buttons */
    expect_send(
        "+16505551234",
        "{'name':'inv','language':'pt_BR','parameters':['A'],"
        "'header':{'type':'document','link':'https://f/a.pdf','filename':'a.pdf'},"
        "'buttons':[{'sub_type':'url','index':0,'parameter':'x1'},"
        "{'sub_type':'quick_reply','index':1,'parameter':'p'},"
        "{'sub_type':'copy_code','index':2,'parameter':'SAVE10'}]}",
        "{'messaging_product':'whatsapp','recipient_type':'individual','to':'16505551234',"
        "'type':'template','template':{'name':'inv','language':{'code':'pt_BR'},'components':["
        "{'type':'header','parameters':[{'type':'document','document':{'link':'https://f/a.pdf',"
        "'filename':'a.pdf'}}]},"
        "{'type':'body','parameters':[{'type':'text','text':'A'}]},"
        "{'type':'button','sub_type':'url','index':'0','parameters':[{'type':'text','text':'x1'}]},"
        "{'type':'button','sub_type':'quick_reply','index':'1','parameters':[{'type':'payload',"
        "'payload':'p'}]},"
        "{'type':'button','sub_type':'copy_code','index':'2','parameters':[{'type':'coupon_code',"
        "'coupon_code':'SAVE10'}]}]}}");
    expect_send("+16505551234", "{'name':'t','language':'en','header':{'type':'text','text':'Hi'}}",
                "{'messaging_product':'whatsapp','recipient_type':'individual','to':'16505551234',"
                "'type':'template','template':{'name':'t','language':{'code':'en'},'components':["
                "{'type':'header','parameters':[{'type':'text','text':'Hi'}]}]}}");
    expect_send("+16505551234",
                "{'name':'t','language':'en','header':{'type':'image','link':'https://i/x.png'}}",
                "{'messaging_product':'whatsapp','recipient_type':'individual','to':'16505551234',"
                "'type':'template','template':{'name':'t','language':{'code':'en'},'components':["
                "{'type':'header','parameters':[{'type':'image','image':{'link':'https://i/x.png'}"
                "}]}]}}");
    /* unusable: refused before any request */
    static const char *const bad[] = {
        NULL,
        "not json",
        "{'language':'en'}",
        "{'name':'t'}",
        "{'name':'t','language':'en','parameters':'x'}",
        "{'name':'t','language':'en','parameters':[1]}",
        "{'name':'t','language':'en','header':{'type':'sticker','link':'x'}}",
        "{'name':'t','language':'en','header':{'type':'image'}}",
        "{'name':'t','language':'en','buttons':[{'sub_type':'url','index':'0','parameter':'x'}]}",
        "{'name':'t','language':'en','buttons':{}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text = NULL;
        if (bad[i]) {
            text = strdup(bad[i]);
            for (char *p = text; *p; p++)
                if (*p == '\'')
                    *p = '"';
        }
        char *body = (char *)"unset";
        const char *why = NULL;
        if (meta_send_body("+16505551234", text, &body, &why) != -1)
            fail_msg("template %zu accepted: %s", i, bad[i] ? bad[i] : "(null)");
        assert_null(body);
        assert_non_null(why);
        free(text);
    }
    char *body = NULL;
    const char *why = NULL;
    assert_int_equal(
        meta_send_body("16505551234", "{\"name\":\"t\",\"language\":\"en\"}", &body, &why), -1);
    assert_true(meta_sender_valid("106540352242922"));
    assert_true(meta_sender_valid("wa_sender-1"));
    assert_false(meta_sender_valid(""));
    assert_false(meta_sender_valid("1/../2"));
    assert_false(meta_sender_valid("1 2"));
    assert_false(meta_sender_valid(NULL));
}

static void answer(long status, const char *body, int64_t retry, struct meta_answer *out) {
    meta_answer_read(status, body, body ? strlen(body) : 0, retry, out);
}

static void test_answers(void **state) {
    (void)state;
    struct meta_answer a;
    answer(
        200,
        "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"16505551234\","
        "\"wa_id\":\"16505551234\"}],\"messages\":[{\"id\":\"wamid.HBgLMTY1MDM4Nzk0MzkVAgAR\"}]}",
        0, &a);
    assert_int_equal(a.fate, META_ACCEPTED);
    assert_string_equal(a.wamid, "wamid.HBgLMTY1MDM4Nzk0MzkVAgAR");
    answer(200, "{}", 0, &a);
    assert_int_equal(a.fate, META_ACCEPTED);
    assert_string_equal(a.wamid, "");
    static const char *const throttles[] = {
        "{\"error\":{\"message\":\"(#130429) Rate limit hit\",\"code\":130429}}",
        "{\"error\":{\"message\":\"(#131056) pair rate limit hit\",\"code\":131056}}"};
    for (size_t i = 0; i < 2; i++) {
        answer(400, throttles[i], 0, &a);
        assert_int_equal(a.fate, META_PUT_BACK);
        assert_int_equal(a.retry_after_ms, 0);
    }
    answer(429, "", 3000, &a);
    assert_int_equal(a.fate, META_PUT_BACK);
    assert_int_equal(a.retry_after_ms, 3000);
    answer(500, "{\"error\":{\"code\":131000}}", 0, &a);
    assert_int_equal(a.fate, META_PUT_BACK);
    answer(400, "{\"error\":{\"message\":\"(#131026) Message Undeliverable.\",\"code\":131026}}", 0,
           &a);
    assert_int_equal(a.fate, META_REJECTED);
    assert_string_equal(a.error_code, "131026");
    answer(400, "{\"error\":{\"code\":131047}}", 0, &a);
    assert_string_equal(a.error_code, "131047");
    answer(401, "{\"error\":{\"code\":190,\"type\":\"OAuthException\"}}", 0, &a);
    assert_int_equal(a.fate, META_REJECTED);
    assert_string_equal(a.error_code, "190");
    answer(404, "<html>", 0, &a);
    assert_int_equal(a.fate, META_REJECTED);
    assert_string_equal(a.error_code, "http_404");
}

static void test_handshake_and_signature(void **state) {
    (void)state;
    assert_true(meta_handshake_ok("subscribe", "tok", "1158201444", "tok"));
    assert_false(meta_handshake_ok("subscribe", "tok2", "1158201444", "tok"));
    assert_false(meta_handshake_ok("subscribe", "to", "1158201444", "tok"));
    assert_false(meta_handshake_ok("unsubscribe", "tok", "1158201444", "tok"));
    assert_false(meta_handshake_ok(NULL, "tok", "1", "tok"));
    assert_false(meta_handshake_ok("subscribe", NULL, "1", "tok"));
    assert_false(meta_handshake_ok("subscribe", "tok", NULL, "tok"));
    assert_false(meta_handshake_ok("subscribe", "tok", "", "tok"));
    assert_false(meta_handshake_ok("subscribe", "tok", "<b>", "tok"));
    char long_challenge[300];
    memset(long_challenge, '7', sizeof long_challenge - 1);
    long_challenge[sizeof long_challenge - 1] = '\0';
    assert_false(meta_handshake_ok("subscribe", "tok", long_challenge, "tok"));

    const char *body = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
    const char *sig = "sha256=09eceea024af6e6343b760cc9bd3ae7c056938dd636e24e92109eb8219500384";
    char out[72];
    meta_signature("appsecret", body, strlen(body), out);
    assert_string_equal(out, sig);
    meta_signature("key", "The quick brown fox jumps over the lazy dog", 43, out);
    assert_string_equal(out,
                        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    assert_true(meta_signature_valid("appsecret", body, strlen(body), sig));
    assert_true(meta_signature_valid(
        "appsecret", body, strlen(body),
        "sha256=09ECEEA024AF6E6343B760CC9BD3AE7C056938DD636E24E92109EB8219500384"));
    assert_false(meta_signature_valid("appsecreT", body, strlen(body), sig));
    assert_false(meta_signature_valid("appsecret", body, strlen(body) - 1, sig));
    assert_false(meta_signature_valid("appsecret", body, strlen(body), sig + 7));
    assert_false(meta_signature_valid("appsecret", body, strlen(body), NULL));
    assert_false(meta_signature_valid(NULL, body, strlen(body), sig));
    assert_false(meta_signature_valid(
        "appsecret", body, strlen(body),
        "sha1=09eceea024af6e6343b760cc9bd3ae7c056938dd636e24e92109eb8219500384"));
    assert_false(meta_signature_valid(
        "appsecret", body, strlen(body),
        "sha256=09eceea024af6e6343b760cc9bd3ae7c056938dd636e24e92109eb821950038"));
    assert_false(meta_signature_valid(
        "appsecret", body, strlen(body),
        "sha256=09eceea024af6e6343b760cc9bd3ae7c056938dd636e24e92109eb82195003840"));
}

#define NOW 1765000000000LL

static int read_webhook(const char *single_quoted, struct meta_webhook *w, struct verr *e) {
    json_t *b = J(single_quoted);
    int rc = meta_webhook_read(b, NOW, w, e);
    json_decref(b);
    return rc;
}

static void test_webhook_statuses(void **state) {
    (void)state;
    struct meta_webhook w;
    struct verr e;
    assert_int_equal(
        read_webhook(
            "{'object':'whatsapp_business_account','entry':["
            "{'id':'1','changes':[{'field':'messages','value':{'messaging_product':'whatsapp',"
            "'metadata':{'display_phone_number':'15550783881','phone_number_id':'106'},"
            "'statuses':[{'id':'wamid.A','status':'sent','timestamp':'1733650000',"
            "'recipient_id':'16505551234','pricing':{'billable':true,'pricing_model':'CBP',"
            "'category':'marketing'}},"
            "{'id':'wamid.B','status':'failed','timestamp':'1733650001','errors':[{'code':131026,"
            "'title':'Message undeliverable'}]},"
            "{'id':'wamid.C','status':'deleted'},"
            "{'id':'wamid.D','status':'read','timestamp':'garbage'}]}},"
            "{'field':'account_update','value':{}}]},"
            "{'id':'2','changes':[{'value':{'metadata':{'phone_number_id':'107'},"
            "'statuses':[{'id':'wamid.E','status':'delivered','timestamp':1733650002,"
            "'errors':[{'code':'x1'}]}]}}]}]}",
            &w, &e),
        0);
    assert_int_equal(w.nstatuses, 4);
    assert_int_equal(w.ninbound, 0);
    assert_int_equal(w.ignored, 2); /* deleted, the account_update change */
    assert_string_equal(w.statuses[0].wamid, "wamid.A");
    assert_int_equal(w.statuses[0].mstatus, MSG_SENT);
    assert_int_equal(w.statuses[0].at, 1733650000000LL);
    assert_string_equal(w.statuses[0].pricing_category, "marketing");
    assert_string_equal(w.statuses[0].phone_number_id, "106");
    assert_string_equal(w.statuses[0].error_code, "");
    assert_int_equal(w.statuses[1].mstatus, MSG_UNDELIVERED);
    assert_string_equal(w.statuses[1].error_code, "131026");
    assert_int_equal(w.statuses[2].mstatus, MSG_READ);
    assert_int_equal(w.statuses[2].at, NOW);
    assert_int_equal(w.statuses[2].timed, 0);
    assert_int_equal(w.statuses[0].timed, 1);
    assert_int_equal(w.statuses[3].timed, 1);
    assert_int_equal(w.statuses[3].mstatus, MSG_DELIVERED);
    assert_int_equal(w.statuses[3].at, 1733650002000LL);
    assert_string_equal(w.statuses[3].error_code, "x1");
    assert_string_equal(w.statuses[3].phone_number_id, "107");
    meta_webhook_clear(&w);

    /* an empty batch, and a status whose id is too long to be one we sent */
    assert_int_equal(read_webhook("{'object':'whatsapp_business_account','entry':[]}", &w, &e), 0);
    assert_int_equal(w.nstatuses + w.ninbound + w.ignored, 0);
    char longid[200] = "{'entry':[{'changes':[{'value':{'statuses':[{'id':'wamid.";
    size_t at = strlen(longid);
    memset(longid + at, 'x', 80);
    snprintf(longid + at + 80, sizeof longid - at - 80, "','status':'read'}]}}]}]}");
    assert_int_equal(read_webhook(longid, &w, &e), 0);
    assert_int_equal(w.nstatuses, 0);
    assert_int_equal(w.ignored, 1);
    meta_webhook_clear(&w);
}

static void test_webhook_messages(void **state) {
    (void)state;
    struct meta_webhook w;
    struct verr e;
    assert_int_equal(
        read_webhook("{'object':'whatsapp_business_account','entry':[{'id':'1','changes':[{"
                     "'field':'messages','value':{'messaging_product':'whatsapp',"
                     "'metadata':{'phone_number_id':'106'},'contacts':[{'wa_id':'16505551234'}],"
                     "'messages':[{'from':'16505551234','id':'wamid.M','timestamp':'1',"
                     "'type':'text','text':{'body':' STOP '}},"
                     "{'from':'16505551234','type':'image','image':{'id':'1'}},"
                     "{'from':'16505551234','type':'button','button':{'text':'Stop'}}]}}]}]}",
                     &w, &e),
        0);
    assert_int_equal(w.ninbound, 1);
    assert_int_equal(w.ignored, 2);
    assert_string_equal(w.inbound[0].from, "+16505551234");
    assert_string_equal(w.inbound[0].phone_number_id, "106");
    assert_string_equal(w.inbound[0].text, " STOP ");
    meta_webhook_clear(&w);
}

static void expect_refused(const char *body, const char *field) {
    struct meta_webhook w;
    struct verr e;
    if (read_webhook(body, &w, &e) != -1)
        fail_msg("accepted: %s", body);
    assert_string_equal(e.field, field);
    assert_true(e.message[0] != '\0');
    assert_null(w.statuses);
    assert_null(w.inbound);
}

static void test_webhook_malformed(void **state) {
    (void)state;
    expect_refused("[]", "entry");
    expect_refused("{}", "entry");
    expect_refused("{'entry':{}}", "entry");
    expect_refused("{'entry':[1]}", "entry[0].changes");
    expect_refused("{'entry':[{'changes':{}}]}", "entry[0].changes");
    expect_refused("{'entry':[{'changes':[7]}]}", "entry[0].changes[0]");
    expect_refused("{'entry':[{'changes':[{'value':[]}]}]}", "entry[0].changes[0].value");
    expect_refused("{'entry':[{'changes':[{'value':{'statuses':{}}}]}]}",
                   "entry[0].changes[0].value.statuses");
    expect_refused("{'entry':[{'changes':[{'value':{'statuses':[{'status':'read'}]}}]}]}",
                   "entry[0].changes[0].value.statuses[0].id");
    expect_refused("{'entry':[{'changes':[{'value':{'statuses':[{'id':'w','status':3}]}}]}]}",
                   "entry[0].changes[0].value.statuses[0].status");
    expect_refused("{'entry':[{'changes':[{'value':{'statuses':[{'id':'w','status':'read'},"
                   "'x']}}]}]}",
                   "entry[0].changes[0].value.statuses[1]");
    expect_refused("{'entry':[{'changes':[{'value':{'metadata':{'phone_number_id':1}}}]}]}",
                   "entry[0].changes[0].value.metadata.phone_number_id");
    expect_refused("{'entry':[{'changes':[{'value':{'metadata':{'phone_number_id':'1'},"
                   "'messages':[{'from':'+1650','type':'text','text':{'body':'STOP'}}]}}]}]}",
                   "entry[0].changes[0].value.messages[0].from");
    expect_refused("{'entry':[{'changes':[{'value':{'messages':[{'from':'16505551234',"
                   "'type':'text','text':{'body':'STOP'}}]}}]}]}",
                   "entry[0].changes[0].value.messages[0]");
}

static void expect_template(const char *t, const char *field) {
    json_t *tj = J(t);
    struct verr e;
    memset(&e, 0, sizeof e);
    int rc = wa_template_check_extras(tj, &e);
    if (field) {
        if (rc != -1)
            fail_msg("accepted: %s", t);
        assert_string_equal(e.field, field);
    } else if (rc != 0) {
        fail_msg("refused %s: %s %s", t, e.field, e.message);
    }
    json_decref(tj);
}

static void test_template_extras(void **state) {
    (void)state;
    expect_template("{}", NULL);
    expect_template("{'header':null,'buttons':null}", NULL);
    expect_template("{'header':{'type':'text','text':'Hi {{name}}'}}", NULL);
    expect_template("{'header':{'type':'document','link':'https://x/{{doc}}','filename':'a'}}",
                    NULL);
    expect_template("{'header':{'type':'video','link':'https://x/v.mp4'}}", NULL);
    expect_template("{'header':'x'}", "config.template.header");
    expect_template("{'header':{'type':'sticker'}}", "config.template.header.type");
    expect_template("{'header':{'type':'text'}}", "config.template.header.text");
    expect_template("{'header':{'type':'text','text':'{{ bad'}}", "config.template.header.text");
    expect_template("{'header':{'type':'image','link':''}}", "config.template.header.link");
    expect_template("{'header':{'type':'image','link':'x','filename':'f'}}",
                    "config.template.header.filename");
    expect_template("{'buttons':[{'sub_type':'url','index':0,'parameter':'{{code}}'},"
                    "{'sub_type':'quick_reply','index':1,'parameter':'p'}]}",
                    NULL);
    expect_template("{'buttons':{}}", "config.template.buttons");
    expect_template("{'buttons':[1,2,3,4,5,6,7,8,9,10,11]}", "config.template.buttons");
    expect_template("{'buttons':[1]}", "config.template.buttons[0]");
    expect_template("{'buttons':[{'sub_type':'call','index':0,'parameter':'x'}]}",
                    "config.template.buttons[0].sub_type");
    expect_template("{'buttons':[{'sub_type':'url','index':10,'parameter':'x'}]}",
                    "config.template.buttons[0].index");
    expect_template("{'buttons':[{'sub_type':'url','index':'0','parameter':'x'}]}",
                    "config.template.buttons[0].index");
    expect_template("{'buttons':[{'sub_type':'url','index':0}]}",
                    "config.template.buttons[0].parameter");
}

static void test_template_fill(void **state) {
    (void)state;
    json_t *t = J("{'name':'inv','language':'en','category':'utility','parameters':['{{name}}',"
                  "'x'],'header':{'type':'document','link':'https://f/{{doc}}.pdf',"
                  "'filename':'{{doc}}.pdf'},'buttons':[{'sub_type':'url','index':0,"
                  "'parameter':'{{doc}}'}]}");
    json_t *params = J("{'name':'Zoë','doc':7}");
    char *out = NULL, missing[65];
    assert_int_equal(wa_template_fill(t, params, &out, missing), 0);
    json_t *got = json_loads(out, 0, NULL);
    char *got_s = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    char *want = compact("{'name':'inv','language':'en','category':'utility','parameters':['Zoë',"
                         "'x'],'header':{'type':'document','link':'https://f/7.pdf',"
                         "'filename':'7.pdf'},'buttons':[{'sub_type':'url','index':0,"
                         "'parameter':'7'}]}");
    assert_string_equal(got_s, want);
    free(got_s);
    free(want);
    json_decref(got);
    free(out);
    /* a param missing from the header or a button fails the fill */
    json_t *no_doc = J("{'name':'Zoë'}");
    assert_int_equal(wa_template_fill(t, no_doc, &out, missing), -1);
    assert_null(out);
    assert_string_equal(missing, "doc");
    json_decref(no_doc);
    json_t *b = J("{'name':'t','buttons':[{'sub_type':'url','index':0,'parameter':'{{code}}'}]}");
    assert_int_equal(wa_template_fill(b, params, &out, missing), -1);
    assert_string_equal(missing, "code");
    json_decref(b);
    json_decref(params);
    json_decref(t);
    /* no template: nothing to fill */
    assert_int_equal(wa_template_fill(NULL, NULL, &out, missing), 0);
    assert_null(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_body),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_handshake_and_signature),
        cmocka_unit_test(test_webhook_statuses),
        cmocka_unit_test(test_webhook_messages),
        cmocka_unit_test(test_webhook_malformed),
        cmocka_unit_test(test_template_extras),
        cmocka_unit_test(test_template_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
