/* request.h - one HTTP request as handlers see it, and the ways to answer.
 *
 * server.c fills a struct request from libmicrohttpd, router.c picks the
 * handler, and the handler answers exactly once with reply_json() or
 * reply_error() (or reply_empty() for 204). Everything a request allocates
 * is freed when the request ends (request_free), so handlers cannot leak:
 * reply_json steals its json_t, query strings are borrowed from MHD.
 * Thread: the libmicrohttpd worker that owns the connection. */
#ifndef CAMPAIGND_REQUEST_H
#define CAMPAIGND_REQUEST_H

#include "util/buf.h"

#include <jansson.h>
#include <stdint.h>

struct app;
struct route;
struct MHD_Connection;

#define REQUEST_MAX_PARAMS 4
#define REQUEST_MAX_HEADERS 8

/* An extra header of the answer (reply_header). */
struct reply_header {
    const char *name;
    const char *value;
};

struct request_cleanup; /* request_defer's list */

struct request {
    struct app *app;
    struct MHD_Connection *conn;
    const char *method;
    const char *url; /* path, without the query string */
    char *raw_uri;   /* the request line's URI as sent: path and query, not decoded */
    const struct route *route;
    int route_index; /* -1 when no route matched */
    char *path_copy;
    const char *params[REQUEST_MAX_PARAMS]; /* {name} segments of the path */
    struct buf body;
    int body_too_big;
    size_t discarded;         /* bytes dropped after the body passed the limit */
    int bad_framing;          /* Content-Length headers that disagree */
    int bodies_full;          /* refused: all bodies in flight hold too much */
    size_t body_reserved;     /* bytes counted against SERVER_MAX_BODIES_HELD */
    const char *content_type; /* borrowed from MHD, may be NULL */
    json_t *json;             /* parsed body, when the route takes JSON */
    char account_id[48];      /* the caller's account, or "" */
    int is_admin;
    const char *idem_key; /* Idempotency-Key header, borrowed */
    int in_tx;            /* a store transaction is open for this request */
    int replayed;         /* the answer is a stored idempotent replay */
    int wake;             /* engine_event bits to send once the change commits */
    char revoked_key[16]; /* prefix of a key this request revoked, or "" (auth_after_request) */
    /* a key whose check the handler reads with its object (auth.h,
     * ROUTE_KEY_WITH_OBJECT): its prefix and SHA-256, account_id still "" */
    int key_deferred;
    char key_prefix[16];
    char key_hash[65];
    uint64_t start_ns;
    /* parked for the snapshot gate (server.c, ROUTE_SNAPSHOT): answered,
     * and the generation it gave (0: none, read the store) */
    int gated;
    uint64_t gate_generation;
    int park_deferred;                /* the first call that could park returned without it */
    struct request_cleanup *cleanups; /* run when the request ends, last first */

    /* the answer */
    int status;
    char *resp_body; /* owned */
    size_t resp_len;
    const char *resp_type;
    char allow[64];  /* Allow header for 405, or "" */
    int retry_after; /* seconds, 0 = none */
    int close;       /* close the connection after the answer */
    struct reply_header headers[REQUEST_MAX_HEADERS];
    int nheaders;
    const char *resp_encoding;        /* Content-Encoding of the answer, or NULL */
    struct reply_stream *resp_stream; /* a streamed answer (reply_stream), owned */
};

/* Answers with status and the JSON value (stolen). */
void reply_json(struct request *req, int status, json_t *body);
/* Answers with status and JSON text already written (text is stolen,
 * malloc'ed, len bytes). */
void reply_json_text(struct request *req, int status, char *text, size_t len);
/* Answers with a contract error: {"error": {"code", "message", "field"}}.
 * field may be NULL. */
void reply_error(struct request *req, int status, const char *code, const char *field,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* 204 with no body. */
void reply_empty(struct request *req, int status);
/* Answers with raw bytes (copied). */
void reply_raw(struct request *req, int status, const char *type, const char *data, size_t len);
/* Adds a header to the answer (ETag, Location, Content-Security-Policy...).
 * name and value are borrowed: static strings, or request_alloc'd ones.
 * Past REQUEST_MAX_HEADERS the header is dropped (a programming error,
 * asserted in debug builds). */
void reply_header(struct request *req, const char *name, const char *value);
/* A streamed answer's source: fills buf with up to max bytes and answers
 * how many (> 0), 0 at the end of the body, -1 on a failure (the
 * connection is then cut, so the client sees a truncated body, never a
 * complete-looking one). Called on the connection's thread after the
 * handler returned, only as fast as the client reads. */
typedef long (*reply_stream_fn)(void *cls, char *buf, size_t max);
/* Answers status with a body of unknown length read from fn(cls) (HTTP/1.1
 * chunked). The stream owns cls from now on: free_cls(cls) runs when the
 * answer is done or dropped, whatever happens. encoding (static, may be
 * NULL) is the Content-Encoding header. */
void reply_stream(struct request *req, int status, const char *type, const char *encoding,
                  reply_stream_fn fn, void *cls, void (*free_cls)(void *));
struct reply_stream {
    reply_stream_fn fn;
    void *cls;
    void (*free_cls)(void *);
};
/* Frees a stream and its cls (NULL: nothing); server.c hands it to
 * libmicrohttpd, which calls this when the answer ends. */
void reply_stream_free(struct reply_stream *s);
/* 404 not_found naming what was not found. */
void reply_not_found(struct request *req, const char *what);
/* After a store lookup: answers 404 naming what (ENOTFOUND) or the store
 * failure, and returns 1; 0 when rc is success. */
int reply_lookup_failed(struct request *req, int rc, const char *what);
/* Answers for a store failure (503 when busy, else 500). */
void reply_store_error(struct request *req, int err);

/* For endpoints that take no fields: answers 422 naming the first field of
 * the body and returns -1; 0 for an empty body or {}. */
int reply_if_any_field(struct request *req);
/* Answers 422 naming the first field of the body not in known (a
 * NULL-terminated list) and returns -1; 0 when every field is known. */
int reply_if_unknown_field(struct request *req, const char *const *known);

/* Request-scoped memory: what a handler hands over here is released when
 * the request ends, whatever it answered, so early returns need no
 * hand-written cleanup. request_defer runs fn(p) then (the last deferred
 * first; p NULL: nothing); request_alloc is a zeroed array of n items that
 * lives as long as the request. */
void request_defer(struct request *req, void (*fn)(void *), void *p);
void *request_alloc(struct request *req, size_t n, size_t size);

/* For BODY_RAW routes whose provider type takes JSON: parses req->body
 * into req->json with the checks of every JSON route (media type, tree
 * bounds, an object, no NUL, nesting). 0, or -1 when it answered. */
int request_parse_json(struct request *req);

/* A query parameter (decoded), or NULL. Borrowed. */
const char *request_query(struct request *req, const char *name);
/* A request header, or NULL. Borrowed. */
const char *request_header(struct request *req, const char *name);

#endif
