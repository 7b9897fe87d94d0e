/* request_scope.c - request-scoped memory (request.h): a list of cleanups
 * a handler defers, run by the server when the request ends (request_free
 * in server.c calls request_run_cleanups), last deferred first, so what a
 * handler builds is released on every path out of it. */
#include "api/request.h"
#include "api/request_scope.h"
#include "util/alloc.h"

#include <stdlib.h>

struct request_cleanup {
    void (*fn)(void *);
    void *p;
    struct request_cleanup *next;
};

void request_defer(struct request *req, void (*fn)(void *), void *p) {
    if (!p)
        return;
    struct request_cleanup *c = xcalloc(1, sizeof *c);
    c->fn = fn;
    c->p = p;
    c->next = req->cleanups;
    req->cleanups = c;
}

void *request_alloc(struct request *req, size_t n, size_t size) {
    void *p = xcalloc(n ? n : 1, size);
    request_defer(req, free, p);
    return p;
}

void request_run_cleanups(struct request *req) {
    while (req->cleanups) {
        struct request_cleanup *c = req->cleanups;
        req->cleanups = c->next;
        c->fn(c->p);
        free(c);
    }
}
