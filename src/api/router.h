/* router.h - the routing table: method + path pattern -> handler.
 *
 * A pattern is a path whose segments are literals or {name}; {name} matches
 * one non-empty segment, handed to the handler as req->params[i] in order.
 * A path that matches some pattern with another method answers 405 with an
 * Allow header; a path that matches none answers 404. Thread-safe (the
 * table is constant). */
#ifndef CAMPAIGND_ROUTER_H
#define CAMPAIGND_ROUTER_H

#include "api/request.h"

#include <stddef.h>

/* AUTH_PROVIDER: the handler checks, the way the provider type named in
 * the path signs its callbacks (a sim provider: the admin token). */
enum route_auth { AUTH_NONE, AUTH_ACCOUNT, AUTH_ADMIN, AUTH_PROVIDER };
/* BODY_RAW: the bytes are left to the handler (req->body), unparsed: a
 * signature is over the raw body, and a provider type picks its own
 * format (request_parse_json when it is JSON). */
enum route_body { BODY_NONE, BODY_JSON, BODY_JSON_OR_CSV, BODY_RAW };
/* Routes flagged LATE_EFFECTS validate first and open their transaction
 * themselves with api_begin_effects(); the others get it before they run. */
enum route_flags {
    ROUTE_LATE_EFFECTS = 1,
    /* The answer holds a secret shown once (api_key): the stored copy kept
     * for Idempotency-Key replays leaves it out. */
    ROUTE_SECRET_ANSWER = 2,
    /* The body carries required fields: an empty one is 400 invalid_json
     * (answered by server.c before the handler runs). */
    ROUTE_BODY_REQUIRED = 4,
    /* Where no key cache answers (a shared store), the handler reads the
     * API key with the object it answers, in one store read, and finishes
     * the check itself (auth_finish_deferred): one round trip less. */
    ROUTE_KEY_WITH_OBJECT = 8,
    /* The handler asks the snapshot gate (snapshot_gate.h) for a
     * generation: where there is one, server.c parks the request (its
     * connection suspended, no thread held) until a check sent after it
     * arrived answers, and the handler takes req->gate_generation. */
    ROUTE_SNAPSHOT = 16
};

typedef void (*route_handler)(struct request *req);

struct route {
    const char *method;
    const char *pattern;
    route_handler handler;
    enum route_auth auth;
    enum route_body body;
    int flags;
};

enum route_match { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_BAD_METHOD };

/* Matches req->method and req->url; on ROUTE_FOUND sets req->route,
 * req->route_index and req->params; on ROUTE_BAD_METHOD fills req->allow. */
enum route_match router_match(struct request *req);
/* The table, for metrics labels. */
const struct route *router_routes(size_t *count);

#endif
