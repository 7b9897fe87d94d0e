/* curl_uv.c - see curl_uv.h. libcurl tells which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION: one uv_poll_t each) and when to time out
 * (CURLMOPT_TIMERFUNCTION: one uv_timer_t); libuv tells libcurl what
 * happened (curl_multi_socket_action); finished transfers are read with
 * curl_multi_info_read and handed to their done callbacks. */
#include "engine/curl_uv.h"
#include "util/alloc.h"
#include "util/error.h"

#include <stdlib.h>
#include <uv.h>

struct curl_uv {
    uv_loop_t *loop;
    uv_timer_t timer;
    CURLM *multi;
};

struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct curl_uv *cu;
};

/* What CURLOPT_PRIVATE points to: the transfer's callback. */
struct job {
    curl_uv_done done;
    void *ctx;
};

static void on_closed_free(uv_handle_t *h) {
    free(h->data);
}

static void check_done(struct curl_uv *cu) {
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(cu->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        struct job *j = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
        curl_multi_remove_handle(cu->multi, easy);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        struct job copy = *j;
        free(j);
        copy.done(copy.ctx, easy, result);
    }
}

static void on_poll(uv_poll_t *h, int status, int events) {
    struct sock *s = h->data;
    int flags = status < 0 ? CURL_CSELECT_ERR : 0;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    struct curl_uv *cu = s->cu;
    curl_multi_socket_action(cu->multi, s->fd, flags, &running);
    check_done(cu);
}

static int on_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp) {
    (void)easy;
    struct curl_uv *cu = userp;
    struct sock *s = socketp;
    if (action == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_closed_free);
            curl_multi_assign(cu->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = xcalloc(1, sizeof *s);
        s->fd = fd;
        s->cu = cu;
        uv_poll_init_socket(cu->loop, &s->poll, fd);
        s->poll.data = s;
        curl_multi_assign(cu->multi, fd, s);
    }
    int events = 0;
    if (action & CURL_POLL_IN)
        events |= UV_READABLE;
    if (action & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t) {
    struct curl_uv *cu = t->data;
    int running;
    curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(cu);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    struct curl_uv *cu = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&cu->timer);
    else
        uv_timer_start(&cu->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

struct curl_uv *curl_uv_new(uv_loop_t *loop) {
    struct curl_uv *cu = xcalloc(1, sizeof *cu);
    cu->loop = loop;
    uv_timer_init(loop, &cu->timer);
    cu->timer.data = cu;
    cu->multi = curl_multi_init();
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
    return cu;
}

int curl_uv_start(struct curl_uv *cu, CURL *easy, curl_uv_done done, void *ctx) {
    struct job *j = xcalloc(1, sizeof *j);
    j->done = done;
    j->ctx = ctx;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, j);
    if (curl_multi_add_handle(cu->multi, easy) != CURLM_OK) {
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        free(j);
        return ERROR_UNAVAILABLE;
    }
    return 0;
}

void curl_uv_cancel(struct curl_uv *cu, CURL *easy) {
    struct job *j = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
    curl_multi_remove_handle(cu->multi, easy);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
    free(j);
}

CURLM *curl_uv_multi(struct curl_uv *cu) {
    return cu->multi;
}

void curl_uv_free(struct curl_uv *cu) {
    if (!cu)
        return;
    curl_multi_cleanup(cu->multi);
    uv_timer_stop(&cu->timer);
    uv_close((uv_handle_t *)&cu->timer, on_closed_free);
}
