/* http_submit.c - see http_submit.h. Each request is a struct request in a
 * doubly linked list (cut at close); its answer's body is kept up to a
 * cap. Whether a request that got no answer may have reached the server is
 * read from libcurl: CURLINFO_PRETRANSFER_TIME_T is 0 until the connection
 * is up and the request is about to go, so a failure before it is one the
 * server never saw. */
#include "providers/http_submit.h"
#include "domain/webhook_url.h"
#include "engine/curl_uv.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

struct request {
    struct http_submit *h;
    struct request *prev, *next;
    CURL *easy;
    struct curl_slist *headers;
    struct attempt a;
    char *url, *body;
    struct buf answer;
    http_classify_fn classify;
    void *ctx;
    char refused[192]; /* why the connect was refused */
    char error[CURL_ERROR_SIZE];
};

struct http_submit {
    struct provider *p;
    struct curl_uv *http;
    int allow_private;
    struct request *live;
    size_t nlive;
    uv_timer_t deferred_timer;
    struct provider_event *deferred;
    size_t ndeferred, capdeferred;
};

static void deliver(struct http_submit *h, const struct provider_event *ev) {
    h->p->on_event(h->p->ctx, h->p, ev);
}

static void on_deferred(uv_timer_t *t) {
    struct http_submit *h = t->data;
    struct provider_event *list = h->deferred; /* a callback may submit again */
    size_t n = h->ndeferred;
    h->deferred = NULL;
    h->ndeferred = h->capdeferred = 0;
    for (size_t i = 0; i < n; i++)
        deliver(h, &list[i]);
    free(list);
}

static void defer_event(struct http_submit *h, const struct provider_event *ev) {
    if (h->ndeferred == h->capdeferred) {
        h->capdeferred = h->capdeferred ? h->capdeferred * 2 : 16;
        h->deferred = xrealloc(h->deferred, h->capdeferred * sizeof *h->deferred);
    }
    h->deferred[h->ndeferred++] = *ev;
    uv_timer_start(&h->deferred_timer, on_deferred, 0, 0);
}

void http_submit_defer(struct http_submit *h, const struct attempt *a, enum provider_fate fate,
                       const char *error_code) {
    struct provider_event ev;
    provider_fate_event(a, fate, &ev);
    snprintf(ev.error_code, sizeof ev.error_code, "%s", error_code ? error_code : "");
    defer_event(h, &ev);
}

static void unlink_request(struct request *r) {
    struct http_submit *h = r->h;
    if (r->prev)
        r->prev->next = r->next;
    else
        h->live = r->next;
    if (r->next)
        r->next->prev = r->prev;
    h->nlive--;
}

static void free_request(struct request *r) {
    curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->url);
    free(r->body);
    buf_free(&r->answer);
    free(r);
}

/* 1 when the request may have reached the server. */
static int may_have_arrived(CURL *easy) {
    curl_off_t pre = 0;
    if (curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pre) != CURLE_OK)
        return 1;
    return pre > 0;
}

/* The fate of a request that got no answer. */
static void no_answer(struct request *r, const char *why, struct provider_event *ev) {
    int arrived = may_have_arrived(r->easy);
    provider_fate_event(&r->a, arrived ? PROVIDER_UNKNOWN : PROVIDER_THROTTLED, ev);
    log_warn("%s: %s %s got no answer (%s): %s", r->h->p->name, r->a.call_id,
             arrived ? "may have arrived" : "never left", why,
             arrived ? "its fate is unknown, it is never sent again" : "it goes back to the queue");
}

static void on_done(void *ctx, CURL *easy, CURLcode result) {
    struct request *r = ctx;
    struct http_submit *h = r->h;
    unlink_request(r);
    struct provider_event ev;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (result == CURLE_OK && status >= 100) {
        curl_off_t retry = 0;
        curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry);
        struct http_answer ans = {.status = status,
                                  .body = r->answer.data ? r->answer.data : "",
                                  .body_len = r->answer.len,
                                  .retry_after_ms = retry > 0 ? (int64_t)retry * 1000 : 0};
        provider_fate_event(&r->a, PROVIDER_UNKNOWN, &ev);
        r->classify(r->ctx, &r->a, &ans, &ev);
    } else {
        no_answer(r,
                  r->refused[0] ? r->refused
                  : r->error[0] ? r->error
                                : curl_easy_strerror(result),
                  &ev);
    }
    free_request(r);
    deliver(h, &ev);
}

static size_t on_body(char *data, size_t size, size_t n, void *userp) {
    struct request *r = userp;
    size_t room = r->answer.cap - r->answer.len;
    buf_append(&r->answer, data, size * n < room ? size * n : room); /* the rest dropped */
    return size * n;
}

/* Every address libcurl is about to connect to, judged as webhooks judge
 * theirs (a name that resolves to a private address is refused too). */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *addr) {
    (void)purpose;
    struct request *r = clientp;
    if (!r->h->allow_private && webhook_sockaddr_is_private(&addr->addr)) {
        char host[64];
        webhook_sockaddr_text(&addr->addr, host, sizeof host);
        snprintf(r->refused, sizeof r->refused,
                 "refused: %s is a private address (CAMPAIGND_PROVIDER_ALLOW_PRIVATE)", host);
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

void http_submit_start(struct http_submit *h, const struct attempt *a, struct http_request *req,
                       http_classify_fn classify, void *ctx) {
    struct request *r = xcalloc(1, sizeof *r);
    r->h = h;
    r->a = *a;
    r->a.text = NULL;
    r->url = req->url;
    r->body = req->body;
    req->url = req->body = NULL;
    r->classify = classify;
    r->ctx = ctx;
    buf_init(&r->answer, HTTP_SUBMIT_MAX_BODY);
    char *ct = xasprintf("Content-Type: %s", req->content_type);
    r->headers = curl_slist_append(r->headers, ct);
    free(ct);
    r->headers = curl_slist_append(r->headers, "Accept: application/json");
    r->headers = curl_slist_append(r->headers, "Expect:");
    CURL *c = r->easy = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    if (req->userpwd) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, req->userpwd);
    } else if (req->bearer) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, req->bearer);
    }
    curl_easy_setopt(c, CURLOPT_USERAGENT, "campaignd/1");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, HTTP_SUBMIT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, HTTP_SUBMIT_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, r);
    r->next = h->live;
    if (h->live)
        h->live->prev = r;
    h->live = r;
    h->nlive++;
    if (curl_uv_start(h->http, c, on_done, r) != 0) {
        unlink_request(r);
        http_submit_defer(h, a, PROVIDER_THROTTLED, NULL); /* never left */
        free_request(r);
    }
}

size_t http_submit_in_flight(const struct http_submit *h) {
    return h->nlive;
}

struct http_submit *http_submit_new(struct provider *p, const struct provider_env *env) {
    struct http_submit *h = xcalloc(1, sizeof *h);
    h->p = p;
    h->allow_private = env->allow_private;
    h->http = curl_uv_new(env->loop);
    curl_multi_setopt(curl_uv_multi(h->http), CURLMOPT_MAX_HOST_CONNECTIONS,
                      HTTP_SUBMIT_MAX_PER_HOST);
    uv_timer_init(env->loop, &h->deferred_timer);
    h->deferred_timer.data = h;
    return h;
}

static void on_timer_closed(uv_handle_t *t) {
    free(t->data);
}

void http_submit_close(struct http_submit *h) {
    uv_timer_stop(&h->deferred_timer);
    on_deferred(&h->deferred_timer);
    while (h->live) {
        struct request *r = h->live;
        unlink_request(r);
        curl_uv_cancel(h->http, r->easy);
        struct provider_event ev;
        no_answer(r, "the provider was closed", &ev);
        free_request(r);
        deliver(h, &ev);
    }
    curl_uv_free(h->http);
    uv_close((uv_handle_t *)&h->deferred_timer, on_timer_closed);
}
