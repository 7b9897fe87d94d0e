/* url_template_test.c - tests of domain/url_template.c: every voice_url
 * placeholder filled in, values percent-encoded so they cannot add a path
 * segment or query parameter, a placeholder used twice, and a '{' that
 * opens no known placeholder refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/url_template.h"

static const struct url_var vars[4] = {{"agent_id", "agt 1/x?y=z"},
                                       {"call_id", "call_abc"},
                                       {"recipient_id", "rcp_def"},
                                       {"campaign_id", "cmp_ghi"}};

static void expect(const char *tpl, const char *want) {
    struct buf b;
    buf_init(&b, 4096);
    const char *why = NULL;
    int rc = url_template_fill(tpl, vars, 4, &b, &why);
    if (want) {
        assert_int_equal(rc, 0);
        assert_string_equal(b.data ? b.data : "", want);
    } else {
        assert_int_equal(rc, -1);
        assert_non_null(why);
    }
    buf_free(&b);
}

static void test_fill(void **state) {
    (void)state;
    expect("https://agent.example/twiml", "https://agent.example/twiml");
    expect(
        "https://agent.example/a/{agent_id}/twiml?call={call_id}&r={recipient_id}&c={campaign_id}",
        "https://agent.example/a/agt%201%2Fx%3Fy%3Dz/twiml?call=call_abc&r=rcp_def&c=cmp_ghi");
    expect("https://x/{call_id}/{call_id}", "https://x/call_abc/call_abc");
    expect("https://x/{name}", NULL);
    expect("https://x/{call_id", NULL);
    expect("https://x/{}", NULL);
    expect("https://x/}", "https://x/}");
    assert_string_equal(voice_url_placeholders[0], "agent_id");
    assert_string_equal(voice_url_placeholders[3], "campaign_id");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fill)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
