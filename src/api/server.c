/* server.c - libmicrohttpd glue: collects the body into a capped buffer,
 * routes, authenticates, parses JSON, wraps mutating handlers in a request
 * transaction (effects.c), answers, logs one line and records metrics.
 *
 * The first call of the access handler only allocates the request
 * (*req_cls); the answer is queued on a later call. Queuing on the first
 * call makes libmicrohttpd 0.9.75 close keep-alive connections.
 *
 * Where the store has a snapshot gate (PostgreSQL), a GET of a
 * ROUTE_SNAPSHOT route is parked before it is handled: its connection is
 * suspended, the gate's thread resumes it once a check sent after it
 * arrived answers, and libmicrohttpd calls the access handler again, which
 * then handles it with that generation (park_for_snapshot; on the second
 * call of the handler, not the one that read the request, so that the
 * resume reads nothing first). Suspension comes before parking, so a resume never precedes its
 * suspend, and the gate stops parking (answering everyone parked) before the daemon stops, which
 * must not hold a suspended connection. */
#include "api/server.h"
#include "api/app.h"
#include "api/auth.h"
#include "api/effects.h"
#include "api/metrics.h"
#include "api/request_scope.h"
#include "api/router.h"
#include "api/snapshot_gate.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/form.h"
#include "util/json_check.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <stdatomic.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct server {
    struct MHD_Daemon *daemon;
    struct app *app;
};

/* What one JSON body may hold. An upload carries up to 10,000 recipients,
 * each an object with a params object of up to 64 values; the default fits
 * every other body (a carrier lists at most 1,000 prefixes). */
static const struct json_limits body_limits = {.max_containers = 10000, .max_items = 100000};
static const struct json_limits upload_limits = {.max_containers = 40000, .max_items = 400000};

/* Content-Length headers of a request: two that differ make its framing
 * ambiguous (a proxy may read one, we the other: request smuggling). */
struct length_headers {
    const char *first;
    int differ;
};

static enum MHD_Result count_length_headers(void *cls, enum MHD_ValueKind kind, const char *key,
                                            const char *value) {
    (void)kind;
    struct length_headers *l = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0 || !value)
        return MHD_YES;
    if (!l->first)
        l->first = value;
    else if (strcmp(l->first, value) != 0)
        l->differ = 1;
    return MHD_YES;
}

/* The request line's URI, before libmicrohttpd decodes it: the request
 * starts here, holding it as sent (a provider's signature covers the URL it
 * called); request_new fills the rest at the first call. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    (void)cls;
    (void)conn;
    struct request *req = xcalloc(1, sizeof *req);
    req->raw_uri = xstrdup(uri);
    return req;
}

static struct request *request_new(struct app *app, struct MHD_Connection *conn, const char *url,
                                   const char *method, struct request *req) {
    if (!req)
        req = xcalloc(1, sizeof *req);
    req->app = app;
    req->conn = conn;
    req->url = url;
    req->method = method;
    req->route_index = -1;
    req->start_ns = clock_mono_ns();
    buf_init(&req->body, SERVER_MAX_BODY);
    struct length_headers lengths = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_length_headers, &lengths);
    if (lengths.differ)
        req->bad_framing = 1;
    else if (lengths.first && strtoull(lengths.first, NULL, 10) > SERVER_MAX_BODY)
        req->body_too_big = 1;
    return req;
}

/* Bytes of request bodies held by all connections together. Each body is
 * capped at SERVER_MAX_BODY; this caps their sum, so 4,096 connections
 * sending 16 MiB each cannot take 64 GiB: past it a body is read and
 * dropped and answered 503 with Retry-After. */
static _Atomic size_t bodies_held;

static int reserve_body_bytes(struct request *req, size_t n) {
    size_t before = atomic_fetch_add(&bodies_held, n);
    req->body_reserved += n;
    return before + n <= SERVER_MAX_BODIES_HELD;
}

static void release_body_bytes(struct request *req) {
    atomic_fetch_sub(&bodies_held, req->body_reserved);
    req->body_reserved = 0;
}

static void request_free(struct request *req) {
    request_run_cleanups(req);
    release_body_bytes(req);
    size_t big = req->body.alloc;
    buf_free(&req->body);
    json_decref(req->json);
    free(req->resp_body);
    reply_stream_free(req->resp_stream);
    free(req->path_copy);
    free(req->raw_uri);
    free(req);
    /* a big body's tree was freed into this thread's arena: give the pages
     * back rather than keep the peak of the largest upload forever */
    if (big >= 1024 * 1024)
        malloc_trim(0);
}

static int is_media_type(const char *ct, const char *want) {
    size_t n = strlen(want);
    if (strncasecmp(ct, want, n) != 0)
        return 0;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* The JSON body of a route, checked and parsed into req->json; lim bounds
 * the tree; an upload's recipients are checked one by one later (a NUL
 * there rejects the recipient, not the request). -1 when it answered. */
static int parse_json_body(struct request *req, const struct json_limits *lim, int upload) {
    const char *ct = req->content_type;
    if (ct && !is_media_type(ct, "application/json")) {
        reply_error(req, 415, "unsupported_media_type", NULL,
                    upload ? "send application/json or text/csv" : "send application/json");
        return -1;
    }
    /* bound the tree before building it: a body of "[{},{},...]" would
     * otherwise cost ~70 times its size in nodes */
    if (json_prescan(req->body.data, req->body.len, lim) != JSON_CHECK_OK) {
        reply_error(req, 413, "payload_too_large", NULL,
                    "the body holds more than %zu JSON values or %zu objects and arrays",
                    lim->max_items, lim->max_containers);
        return -1;
    }
    json_error_t err;
    req->json = json_loadb(req->body.data, req->body.len,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!req->json) {
        reply_error(req, 400, "invalid_json", NULL, "body is not valid JSON at byte %d: %s",
                    err.position, err.text);
        return -1;
    }
    if (!json_is_object(req->json)) {
        reply_error(req, 422, "invalid_argument", NULL, "body must be a JSON object");
        return -1;
    }
    char path[256];
    switch (json_find_unsafe(req->json, SERVER_MAX_JSON_DEPTH, upload ? "recipients" : NULL, path,
                             sizeof path)) {
    case JSON_CHECK_NUL:
        reply_error(req, 422, "invalid_argument", path, "%s must not contain NUL characters", path);
        return -1;
    case JSON_CHECK_DEPTH:
        reply_error(req, 422, "invalid_argument", path[0] ? path : NULL,
                    "the body nests objects and arrays deeper than %d levels",
                    SERVER_MAX_JSON_DEPTH);
        return -1;
    default:
        return 0;
    }
}

int request_parse_json(struct request *req) {
    if (req->body.len == 0) {
        reply_error(req, 400, "invalid_json", NULL, "body is not valid JSON at byte 0: empty body");
        return -1;
    }
    return parse_json_body(req, &body_limits, 0);
}

/* Parses the body for routes that take one. -1 when it answered. */
static int read_body(struct request *req) {
    if (req->body.len == 0 && (req->route->flags & ROUTE_BODY_REQUIRED)) {
        reply_error(req, 400, "invalid_json", NULL, "body is not valid JSON at byte 0: empty body");
        return -1;
    }
    if (req->route->body == BODY_NONE || req->route->body == BODY_RAW || req->body.len == 0)
        return 0;
    int upload = req->route->body == BODY_JSON_OR_CSV;
    if (upload && req->content_type && is_media_type(req->content_type, "text/csv"))
        return 0; /* the handler reads the CSV */
    return parse_json_body(req, upload ? &upload_limits : &body_limits, upload);
}

static void handle(struct request *req) {
    if (req->bad_framing) {
        req->close = 1;
        reply_error(req, 400, "bad_request", NULL,
                    "the request has Content-Length headers that disagree");
        return;
    }
    switch (router_match(req)) {
    case ROUTE_NO_PATH:
        reply_error(req, 404, "not_found", NULL, "no such path %s", req->url);
        return;
    case ROUTE_BAD_METHOD:
        reply_error(req, 405, "method_not_allowed", NULL, "%s is not allowed here; allowed: %s",
                    req->method, req->allow);
        return;
    case ROUTE_FOUND:
        break;
    }
    if (auth_check(req) != 0)
        return;
    if (req->bodies_full) {
        req->retry_after = 1;
        reply_error(req, 503, "unavailable", NULL,
                    "the server holds too many request bodies at once; retry shortly");
        return;
    }
    if (req->body_too_big) {
        reply_error(req, 413, "payload_too_large", NULL, "the body is over %u bytes",
                    SERVER_MAX_BODY);
        return;
    }
    req->content_type = request_header(req, "Content-Type");
    /* callbacks are no account's requests: providers repeat them freely */
    req->idem_key =
        req->route->auth == AUTH_PROVIDER ? NULL : request_header(req, "Idempotency-Key");
    /* a replay, or a key reused for another request, answers before the
     * body is even read: a different body is a conflict however wrong it is */
    if (api_precheck_idempotency(req) != 0)
        return;
    if (read_body(req) != 0)
        return;
    int writes = strcmp(req->method, "GET") != 0;
    if (writes && !(req->route->flags & ROUTE_LATE_EFFECTS) && api_begin_effects(req) != 0) {
        api_end_effects(req); /* replayed or refused: close the transaction */
        return;
    }
    req->route->handler(req);
    if (!req->status)
        reply_error(req, 500, "internal", NULL, "the handler gave no answer");
    api_end_effects(req);
    auth_after_request(req);
}

/* libmicrohttpd's reader of a streamed answer: asks for more only when the
 * client took what was sent, so a slow reader holds one block at most. */
static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    struct reply_stream *s = cls;
    long n = s->fn(s->cls, buf, max);
    if (n > 0)
        return (ssize_t)n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void free_stream(void *cls) {
    reply_stream_free(cls);
}

#define STREAM_BLOCK (64 * 1024)

/* libmicrohttpd 0.9.75 watches epoll edge-triggered and takes a short read
 * for an empty socket: when a client's end of stream came with its request
 * (it half-closed: HTTP/1.0 style, `nc -N`), the read that took the
 * request left the end unseen and no new edge comes, so the answered
 * connection waited for its 60 s idle timeout, and such clients could hold
 * the server at its connection limit (decision 48 of docs/architecture.md).
 * When a peek finds the end, shutting our side's reading raises a new
 * edge; libmicrohttpd answers (and any request it already holds), then
 * reads the end and closes. One recv() an answer. */
static void notice_end_of_stream(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    char c;
    if (ci && recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
        shutdown(ci->connect_fd, SHUT_RD);
}

static enum MHD_Result send_answer(struct request *req) {
    struct MHD_Response *resp;
    if (req->resp_stream) {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, read_stream,
                                                 req->resp_stream, free_stream);
        if (!resp)
            return MHD_NO; /* request_free still owns the stream */
        req->resp_stream = NULL;
    } else if (req->resp_body) {
        resp =
            MHD_create_response_from_buffer(req->resp_len, req->resp_body, MHD_RESPMEM_MUST_FREE);
        req->resp_body = NULL;
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    if (req->resp_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->resp_type);
    if (req->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->allow);
    if (req->resp_encoding)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, req->resp_encoding);
    if (req->retry_after) {
        char v[16];
        snprintf(v, sizeof v, "%d", req->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
    }
    if (req->close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (req->replayed)
        MHD_add_response_header(resp, "Idempotent-Replayed", "true");
    for (int i = 0; i < req->nheaders; i++)
        MHD_add_response_header(resp, req->headers[i].name, req->headers[i].value);
    notice_end_of_stream(req->conn);
    enum MHD_Result r = MHD_queue_response(req->conn, (unsigned)req->status, resp);
    MHD_destroy_response(resp);

    uint64_t ns = clock_mono_ns() - req->start_ns;
    metrics_record(req->app->metrics, req->route_index, req->status, ns);
    log_info("http %s %s %d %.3fms account=%s", req->method, req->route ? req->route->pattern : "-",
             req->status, (double)ns / 1e6, req->account_id[0] ? req->account_id : "-");
    return r;
}

/* The snapshot gate's answer to a parked request: its generation, and the
 * connection back to its worker, which calls on_request again. */
static void resume_parked(void *arg, uint64_t generation) {
    struct request *req = arg;
    req->gate_generation = generation;
    MHD_resume_connection(req->conn);
}

/* A request of a ROUTE_SNAPSHOT route waits for the snapshot gate's check
 * without holding its worker thread: the connection is suspended and the
 * gate's thread resumes it (with every other request that arrived during
 * the check before), so that one worker takes many GETs into one check
 * instead of sleeping through each. 1 when parked (or resumed at once
 * because the gate no longer parks: it reads the store then). */
static int park_for_snapshot(struct request *req) {
    struct snapshot_gate *gate = req->app->gate;
    if (!gate || req->gated || req->bad_framing || strcmp(req->method, "GET") != 0)
        return 0;
    if (router_match(req) != ROUTE_FOUND || !(req->route->flags & ROUTE_SNAPSHOT))
        return 0;
    /* Not on the call that read the request: libmicrohttpd 0.9.75 keeps
     * the connection's last wait ("read") while it is suspended and, on
     * resume, reads before it calls the handler again; a client that had
     * half-closed (its end of stream read as 0) then had its GET dropped
     * unanswered. Returning once with no answer makes libmicrohttpd mark
     * the connection as waiting for the application (no reads) and call
     * again at once, and that call parks. */
    if (!req->park_deferred) {
        req->park_deferred = 1;
        return 1;
    }
    req->gated = 1;
    MHD_suspend_connection(req->conn);
    if (snapshot_gate_park(gate, resume_parked, req) != 0)
        resume_parked(req, 0);
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
    (void)version;
    struct request *req = *req_cls;
    if (!req || !req->conn) { /* the first call (on_uri may have started it) */
        req = request_new(cls, conn, url, method, req);
        *req_cls = req;
        if (!req->body_too_big && !req->bad_framing)
            return MHD_YES;
        /* Content-Length over the limit: answer now, before any
         * "100 Continue", and let libmicrohttpd close the connection. */
        handle(req);
        return send_answer(req);
    }
    if (req->status)
        return MHD_YES; /* answered early: discard what is still arriving */
    if (*upload_data_size) {
        /* Past the limit (a chunked body has no Content-Length to refuse
         * up front) the rest is read and dropped, and the 413 goes out once
         * the body ends: libmicrohttpd cannot answer in the middle of an
         * upload. A body that keeps coming far past the limit is cut off. */
        if (req->body_too_big || req->bodies_full) {
            req->discarded += *upload_data_size;
            *upload_data_size = 0;
            return req->discarded > SERVER_MAX_DISCARD ? MHD_NO : MHD_YES;
        }
        if (!reserve_body_bytes(req, *upload_data_size)) {
            req->bodies_full = 1;
            release_body_bytes(req);
            buf_free(&req->body);
            req->discarded += *upload_data_size;
        } else if (buf_append(&req->body, upload_data, *upload_data_size) != 0) {
            req->body_too_big = 1;
            release_body_bytes(req);
            buf_free(&req->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (park_for_snapshot(req))
        return MHD_YES;
    handle(req);
    return send_answer(req);
}

/* Decodes %XX escapes of the path and query in place, as libmicrohttpd
 * would, but leaves "%00" as it is: a decoded NUL would end the C string
 * early, so "/v1/calls/<id>%00" would find the call and "page_token=%00"
 * would read as no token. Left encoded, they are simply not found / not
 * valid. */
static size_t unescape_keeping_nul(void *cls, struct MHD_Connection *conn, char *s) {
    (void)cls;
    (void)conn;
    char *out = s;
    for (const char *in = s; *in;) {
        int hi, lo;
        if (in[0] == '%' && (hi = form_hex_value(in[1])) >= 0 &&
            (lo = form_hex_value(in[2])) >= 0 && (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode code) {
    (void)cls;
    (void)conn;
    (void)code;
    if (*req_cls)
        request_free(*req_cls);
    *req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_warn("http: %s", msg);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len) {
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
        return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {
        h[strlen(h) - 1] = '\0';
        h++;
    }
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    if (getaddrinfo(h, colon + 1, &hints, &res) != 0 || !res)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int server_start(struct app *app, const char *listen, unsigned threads, struct server **out) {
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    if (parse_listen(listen, &ss, &sslen) != 0) {
        log_error("cannot parse listen address \"%s\" (want host:port)", listen);
        return -1;
    }
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (app->gate)
        flags |= MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct server *s = xcalloc(1, sizeof *s);
    s->app = app;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, app, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape_keeping_nul, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        log_error("cannot listen on %s (address in use or not permitted?)", listen);
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void server_stop(struct server *s) {
    if (!s)
        return;
    /* No MHD_quiesce_daemon first: with a thread pool on epoll it races a
     * worker that takes the listening socket out of its own epoll set (at
     * the connection limit), and libmicrohttpd 0.9.75 then aborts ("Failed
     * to remove listen FD from epoll set"), seen once in ~800 stops. Stop
     * closes the listening socket itself before it ends the connections. */
    snapshot_gate_stop_parking(s->app->gate); /* resumes every parked request */
    MHD_stop_daemon(s->daemon);
    free(s);
}
