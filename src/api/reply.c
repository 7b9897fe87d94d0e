/* reply.c - building answers, see request.h. Errors always take the
 * contract's shape; 5xx answers never carry internal details. */
#include "api/request.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/utf8.h"

#include <assert.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_body(struct request *req, int status, const char *type, char *body, size_t len) {
    free(req->resp_body);
    reply_stream_free(req->resp_stream);
    req->resp_stream = NULL;
    req->resp_encoding = NULL;
    req->status = status;
    req->resp_type = type;
    req->resp_body = body;
    req->resp_len = len;
}

void reply_json(struct request *req, int status, json_t *body) {
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text) {
        reply_error(req, 500, "internal", NULL, "could not encode the answer");
        return;
    }
    set_body(req, status, "application/json; charset=utf-8", text, strlen(text));
}

void reply_json_text(struct request *req, int status, char *text, size_t len) {
    set_body(req, status, "application/json; charset=utf-8", text, len);
}

/* Client text echoed in a message or field name (a path, a field, a query
 * value) may be invalid UTF-8 or cut mid-character by the buffer: both are
 * repaired (U+FFFD) before they reach jansson, which refuses invalid text. */
void reply_error(struct request *req, int status, const char *code, const char *field,
                 const char *fmt, ...) {
    char raw[512], message[512], field_text[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    size_t raw_len = n < 0 ? 0 : ((size_t)n < sizeof raw ? (size_t)n : sizeof raw - 1);
    utf8_sanitize(message, sizeof message, raw, raw_len);
    json_t *err = json_object();
    json_object_set_new(err, "code", json_string(code));
    json_object_set_new(err, "message", json_string(message));
    if (field) {
        utf8_sanitize(field_text, sizeof field_text, field, strlen(field));
        json_object_set_new(err, "field", json_string(field_text));
    }
    json_t *wrapper = json_object();
    json_object_set_new(wrapper, "error", err);
    char *text = json_dumps(wrapper, JSON_COMPACT);
    json_decref(wrapper);
    if (!text) /* cannot happen with valid UTF-8; never answer without a body */
        text = xstrdup("{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}");
    set_body(req, status, "application/json; charset=utf-8", text, strlen(text));
}

void reply_empty(struct request *req, int status) {
    set_body(req, status, NULL, NULL, 0);
}

void reply_raw(struct request *req, int status, const char *type, const char *data, size_t len) {
    set_body(req, status, type, xstrndup(data, len), len);
}

void reply_header(struct request *req, const char *name, const char *value) {
    assert(req->nheaders < REQUEST_MAX_HEADERS);
    if (req->nheaders >= REQUEST_MAX_HEADERS)
        return;
    req->headers[req->nheaders].name = name;
    req->headers[req->nheaders].value = value;
    req->nheaders++;
}

void reply_stream(struct request *req, int status, const char *type, const char *encoding,
                  reply_stream_fn fn, void *cls, void (*free_cls)(void *)) {
    set_body(req, status, type, NULL, 0);
    struct reply_stream *s = xcalloc(1, sizeof *s);
    s->fn = fn;
    s->cls = cls;
    s->free_cls = free_cls;
    req->resp_stream = s;
    req->resp_encoding = encoding;
}

void reply_stream_free(struct reply_stream *s) {
    if (!s)
        return;
    if (s->free_cls)
        s->free_cls(s->cls);
    free(s);
}

void reply_not_found(struct request *req, const char *what) {
    reply_error(req, 404, "not_found", NULL, "no such %s", what);
}

int reply_lookup_failed(struct request *req, int rc, const char *what) {
    if (rc == STORE_OK)
        return 0;
    if (rc == STORE_ENOTFOUND)
        reply_not_found(req, what);
    else
        reply_store_error(req, rc);
    return 1;
}

/* Transient store errors answer 503 with Retry-After: a lock held past the
 * busy timeout, or storage full / failing (the operator frees space, and
 * the same request then succeeds; see docs/operators.md). */
#define RETRY_AFTER_FULL_S 5

void reply_store_error(struct request *req, int err) {
    if (err == STORE_EBUSY) {
        req->retry_after = 1;
        reply_error(req, 503, "unavailable", NULL, "the database is busy; retry shortly");
    } else if (err == STORE_EFULL) {
        req->retry_after = RETRY_AFTER_FULL_S;
        reply_error(req, 503, "unavailable", NULL,
                    "the database cannot store changes now (storage full); retry later");
    } else {
        reply_error(req, 500, "internal", NULL, "internal error");
    }
}

int reply_if_unknown_field(struct request *req, const char *const *known) {
    const char *key;
    json_t *v;
    if (!req->json)
        return 0;
    json_object_foreach(req->json, key, v) {
        int ok = 0;
        for (const char *const *k = known; k && *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) {
            reply_error(req, 422, "invalid_argument", key, "unknown field %s", key);
            return -1;
        }
    }
    return 0;
}

int reply_if_any_field(struct request *req) {
    return reply_if_unknown_field(req, NULL);
}

const char *request_query(struct request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *request_header(struct request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}
