/* curl_uv_test.c - libcurl on libuv (engine/curl_uv.c) against a tiny
 * HTTP server on the same loop: many transfers at once all end through
 * their own done callback with their own answer; a refused connection ends
 * with an error, not silence; a cancelled transfer never calls done; and
 * freeing the multi with nothing in flight leaves no handle behind (the
 * loop closes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "engine/curl_uv.h"
#include "util/alloc.h"
#include "tiny_http.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define N 20

/* ---- a server that answers every request with its path ---- */

static enum tiny_action echo_path(const char *request, char *answer, size_t size) {
    char path[64] = "";
    sscanf(request, "GET %63s", path);
    snprintf(answer, size, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(path), path);
    return TINY_ANSWER;
}

/* ---- transfers ---- */

struct result {
    int done;
    CURLcode code;
    char body[64];
    size_t blen;
    CURL *easy;
};

static size_t on_body(char *data, size_t size, size_t n, void *userp) {
    struct result *r = userp;
    size_t k = size * n;
    if (r->blen + k < sizeof r->body) {
        memcpy(r->body + r->blen, data, k);
        r->blen += k;
    }
    return k;
}

static void on_done(void *ctx, CURL *easy, CURLcode code) {
    struct result *r = ctx;
    assert_ptr_equal(easy, r->easy);
    r->done++;
    r->code = code;
    curl_easy_cleanup(easy);
}

static CURL *make(struct result *r, const char *url) {
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    r->easy = e;
    return e;
}

static void test_many_at_once_and_a_cancel(void **state) {
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct tiny_server server;
    assert_int_equal(tiny_start(&loop, &server, echo_path), 0);
    int port = server.port;

    struct curl_uv *cu = curl_uv_new(&loop);
    struct result r[N + 2];
    memset(r, 0, sizeof r);
    char url[128];
    for (int i = 0; i < N; i++) {
        snprintf(url, sizeof url, "http://127.0.0.1:%d/t%d", port, i);
        assert_int_equal(curl_uv_start(cu, make(&r[i], url), on_done, &r[i]), 0);
    }
    /* a port nobody listens on (the server's, closed later, is not safe to
     * guess): port 1 on loopback refuses */
    assert_int_equal(curl_uv_start(cu, make(&r[N], "http://127.0.0.1:1/x"), on_done, &r[N]), 0);
    /* one cancelled at once: its done never comes */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/cancelled", port);
    CURL *c = make(&r[N + 1], url);
    assert_int_equal(curl_uv_start(cu, c, on_done, &r[N + 1]), 0);
    curl_uv_cancel(cu, c);
    curl_easy_cleanup(c);

    int all = 0;
    for (int spins = 0; spins < 100000 && !all; spins++) {
        uv_run(&loop, UV_RUN_ONCE);
        all = 1;
        for (int i = 0; i <= N; i++)
            all &= r[i].done == 1;
    }
    assert_true(all);
    for (int i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof want, "/t%d", i);
        assert_int_equal(r[i].code, CURLE_OK);
        r[i].body[r[i].blen] = '\0';
        assert_string_equal(r[i].body, want);
    }
    assert_int_equal(r[N].code, CURLE_COULDNT_CONNECT);
    assert_int_equal(r[N + 1].done, 0);

    curl_uv_free(cu);
    tiny_stop(&server);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0); /* every handle closed */
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_at_once_and_a_cancel),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
