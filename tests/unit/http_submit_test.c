/* http_submit_test.c - the fate rules every HTTP provider shares
 * (providers/http_submit.c), against a tiny server on the same loop whose
 * path says what it does: /answer answers 201 with a body (the classify
 * function sees status, body and Retry-After), /drop reads the request and
 * closes the connection (may have arrived: UNKNOWN), /hold never answers
 * (the provider closed meanwhile: UNKNOWN, delivered by close). A refused
 * connection (never left) and a private address when they are not allowed
 * are THROTTLED; a deferred fate comes at the next loop turn, never from
 * inside the call. Every handle is closed at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "providers/http_submit.h"
#include "util/alloc.h"
#include "tiny_http.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* ---- the server ---- */

static enum tiny_action by_path(const char *request, char *answer, size_t size) {
    if (strncmp(request, "POST /drop", 10) == 0)
        return TINY_CLOSE;
    if (strncmp(request, "POST /hold", 10) == 0)
        return TINY_HOLD;
    const char *body = "{\"sid\": \"X1\"}";
    snprintf(answer, size,
             "HTTP/1.1 201 Created\r\nContent-Length: %zu\r\nRetry-After: 3\r\n"
             "Connection: close\r\n\r\n%s",
             strlen(body), body);
    return TINY_ANSWER;
}

/* ---- the provider's side ---- */

struct seen {
    struct provider_event ev[8];
    size_t n;
    int inside_call; /* an event while a test call runs: forbidden */
    long status;
    char body[64];
    int64_t retry_after_ms;
};

static struct seen seen;

static void on_event(void *ctx, struct provider *p, const struct provider_event *ev) {
    (void)ctx, (void)p;
    assert_false(seen.inside_call);
    assert_true(seen.n < 8);
    seen.ev[seen.n++] = *ev;
}

static void classify(void *ctx, const struct attempt *a, const struct http_answer *ans,
                     struct provider_event *ev) {
    (void)ctx;
    assert_string_equal(a->call_id, "call_answer");
    seen.status = ans->status;
    snprintf(seen.body, sizeof seen.body, "%s", ans->body);
    seen.retry_after_ms = ans->retry_after_ms;
    ev->fate = PROVIDER_ACCEPTED;
    snprintf(ev->end.provider_call_id, sizeof ev->end.provider_call_id, "X1");
}

static const struct provider_event *fate_of(const char *id) {
    for (size_t i = 0; i < seen.n; i++)
        if (strcmp(seen.ev[i].end.call_id, id) == 0)
            return &seen.ev[i];
    return NULL;
}

static void send_one(struct http_submit *h, const char *id, const char *url) {
    struct attempt a = {.channel = CHANNEL_SMS, .campaign_seq = 7};
    snprintf(a.call_id, sizeof a.call_id, "%s", id);
    snprintf(a.lane, sizeof a.lane, "lane-1");
    struct http_request req = {.url = xstrdup(url),
                               .body = xstrdup("To=%2B1&Body=hi"),
                               .content_type = "application/x-www-form-urlencoded",
                               .userpwd = "AC1:secret"};
    seen.inside_call = 1;
    http_submit_start(h, &a, &req, classify, NULL);
    seen.inside_call = 0;
    assert_null(req.url);
    assert_null(req.body);
}

static void run_until(uv_loop_t *loop, size_t n) {
    for (int spins = 0; spins < 200000 && seen.n < n; spins++)
        uv_run(loop, UV_RUN_ONCE);
    assert_int_equal(seen.n, n);
}

static void test_fates(void **state) {
    (void)state;
    memset(&seen, 0, sizeof seen);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct tiny_server server;
    assert_int_equal(tiny_start(&loop, &server, by_path), 0);
    int port = server.port;

    struct provider p = {.on_event = on_event};
    snprintf(p.name, sizeof p.name, "tw");
    struct provider_env env = {.loop = &loop, .allow_private = 1};
    struct http_submit *h = http_submit_new(&p, &env);
    struct provider_env strict_env = {.loop = &loop, .allow_private = 0};
    struct http_submit *strict = http_submit_new(&p, &strict_env);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/answer", port);
    send_one(h, "call_answer", url);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/drop", port);
    send_one(h, "call_drop", url);
    send_one(h, "call_refused", "http://127.0.0.1:1/x");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/answer", port);
    send_one(strict, "call_private", url);
    seen.inside_call = 1;
    http_submit_defer(h, &(struct attempt){.call_id = "call_deferred"}, PROVIDER_REJECTED,
                      "no_voice_url");
    seen.inside_call = 0;
    assert_int_equal(seen.n, 0); /* nothing from inside the calls */
    run_until(&loop, 5);

    const struct provider_event *ev = fate_of("call_answer");
    assert_non_null(ev);
    assert_int_equal(ev->kind, PROVIDER_EVENT_FATE);
    assert_int_equal(ev->fate, PROVIDER_ACCEPTED);
    assert_string_equal(ev->end.provider_call_id, "X1");
    assert_string_equal(ev->lane, "lane-1");
    assert_int_equal(ev->campaign_seq, 7);
    assert_int_equal(ev->end.channel, CHANNEL_SMS);
    assert_int_equal(seen.status, 201);
    assert_string_equal(seen.body, "{\"sid\": \"X1\"}");
    assert_int_equal(seen.retry_after_ms, 3000);
    assert_int_equal(fate_of("call_drop")->fate, PROVIDER_UNKNOWN);
    assert_int_equal(fate_of("call_refused")->fate, PROVIDER_THROTTLED);
    assert_int_equal(fate_of("call_private")->fate, PROVIDER_THROTTLED);
    assert_int_equal(fate_of("call_deferred")->fate, PROVIDER_REJECTED);
    assert_string_equal(fate_of("call_deferred")->error_code, "no_voice_url");

    /* a request the server holds: closing the provider decides it */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hold", port);
    send_one(h, "call_hold", url);
    for (int spins = 0; spins < 200000 && !server.nheld; spins++)
        uv_run(&loop, UV_RUN_NOWAIT); /* until the server has read it all */
    assert_int_equal(server.nheld, 1);
    assert_int_equal(http_submit_in_flight(h), 1);
    http_submit_close(h);
    assert_int_equal(seen.n, 6);
    assert_int_equal(fate_of("call_hold")->fate, PROVIDER_UNKNOWN);
    http_submit_close(strict);

    tiny_stop(&server);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0); /* every handle closed */
    assert_int_equal(seen.n, 6);               /* and no callback after close */
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fates)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
