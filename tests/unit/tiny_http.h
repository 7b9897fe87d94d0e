/* tiny_http.h - a tiny HTTP server on a libuv loop, for unit tests of HTTP
 * clients that run on the same loop (curl_uv_test.c, http_submit_test.c).
 * It reads each request whole (headers, then Content-Length bytes of body)
 * and asks the test's handler what to do: answer (the handler writes the
 * whole raw answer; the connection closes after it), close the connection
 * unanswered, or hold it (never answered; tiny_stop closes it). Header
 * only: static functions. */
#ifndef CAMPAIGND_TINY_HTTP_H
#define CAMPAIGND_TINY_HTTP_H

#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

enum tiny_action { TINY_ANSWER, TINY_CLOSE, TINY_HOLD };

/* request: the whole request, NUL-terminated. For TINY_ANSWER, writes the
 * raw answer (status line, headers, body) into answer. */
typedef enum tiny_action (*tiny_handler)(const char *request, char *answer, size_t size);

struct tiny_server {
    uv_tcp_t tcp;
    tiny_handler handler;
    uv_tcp_t *held[16]; /* connections held, closed by tiny_stop */
    size_t nheld;
    int port;
};

struct tiny_conn {
    uv_tcp_t tcp;
    struct tiny_server *server;
    char buf[8192];
    size_t len;
    uv_write_t wr;
    char answer[1024];
};

static void tiny_conn_closed(uv_handle_t *h) {
    free(h->data);
}

static void tiny_written(uv_write_t *w, int status) {
    (void)status;
    struct tiny_conn *c = w->data;
    uv_close((uv_handle_t *)&c->tcp, tiny_conn_closed);
}

static void tiny_alloc(uv_handle_t *h, size_t want, uv_buf_t *b) {
    (void)want;
    struct tiny_conn *c = h->data;
    *b = uv_buf_init(c->buf + c->len, (unsigned)(sizeof c->buf - c->len - 1));
}

static void tiny_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
    (void)b;
    struct tiny_conn *c = s->data;
    if (n < 0) {
        uv_close((uv_handle_t *)&c->tcp, tiny_conn_closed);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    const char *end = strstr(c->buf, "\r\n\r\n");
    const char *cl = strstr(c->buf, "Content-Length: ");
    size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0;
    if (!end || c->len < (size_t)(end + 4 - c->buf) + body)
        return; /* the whole request first */
    uv_read_stop(s);
    switch (c->server->handler(c->buf, c->answer, sizeof c->answer)) {
    case TINY_ANSWER: {
        uv_buf_t out = uv_buf_init(c->answer, (unsigned)strlen(c->answer));
        c->wr.data = c;
        uv_write(&c->wr, s, &out, 1, tiny_written);
        break;
    }
    case TINY_CLOSE:
        uv_close((uv_handle_t *)&c->tcp, tiny_conn_closed);
        break;
    case TINY_HOLD:
        if (c->server->nheld < 16)
            c->server->held[c->server->nheld++] = &c->tcp;
        break;
    }
}

static void tiny_connection(uv_stream_t *listener, int status) {
    if (status != 0)
        abort();
    struct tiny_server *srv = listener->data;
    struct tiny_conn *c = xcalloc(1, sizeof *c);
    c->server = srv;
    uv_tcp_init(listener->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0)
        abort();
    uv_read_start((uv_stream_t *)&c->tcp, tiny_alloc, tiny_read);
}

/* Listens on 127.0.0.1 and a free port (srv->port). 0, or -1. */
static int tiny_start(uv_loop_t *loop, struct tiny_server *srv, tiny_handler handler) {
    memset(srv, 0, sizeof *srv);
    srv->handler = handler;
    uv_tcp_init(loop, &srv->tcp);
    srv->tcp.data = srv;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    if (uv_tcp_bind(&srv->tcp, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&srv->tcp, 64, tiny_connection) != 0)
        return -1;
    struct sockaddr_in bound;
    int blen = sizeof bound;
    uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&bound, &blen);
    srv->port = ntohs(bound.sin_port);
    return 0;
}

/* Closes the held connections and the listener (run the loop after). */
static void tiny_stop(struct tiny_server *srv) {
    for (size_t i = 0; i < srv->nheld; i++)
        uv_close((uv_handle_t *)srv->held[i], tiny_conn_closed);
    srv->nheld = 0;
    uv_close((uv_handle_t *)&srv->tcp, NULL);
}

#endif
