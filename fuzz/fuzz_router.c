/* fuzz_router.c - request routing and error rendering on arbitrary client
 * bytes: router_match (src/api/router.c) on any method and path, then the
 * errors server.c renders from them (404 echoing the path, 405 echoing the
 * method), and reply_error (src/api/reply.c) echoing client text as the
 * field and in the message, as handlers do for unknown body keys.
 * Input: the method, "\n", the path (as libmicrohttpd hands it over:
 * already %-decoded, so any byte but NUL).
 * Invariants: a match is the route's method and rebuilding its pattern
 * with the params gives the path back; a 405 lists allowed methods; every
 * rendered error is a JSON object {"error": {"code", "message"}}. */
#include "fuzz.h"

#include "api/request.h"
#include "api/router.h"

#include <jansson.h>

/* The answer in req is the contract's error shape with this code. */
static void check_error(const struct request *req, int status, const char *code) {
    FUZZ_CHECK(req->status == status);
    FUZZ_CHECK(req->resp_body != NULL && req->resp_len == strlen(req->resp_body));
    json_t *o = json_loadb(req->resp_body, req->resp_len, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_CHECK(json_is_object(o));
    json_t *e = json_object_get(o, "error");
    FUZZ_CHECK(json_is_object(e));
    const char *got = json_string_value(json_object_get(e, "code"));
    FUZZ_CHECK(got != NULL && strcmp(got, code) == 0);
    FUZZ_CHECK(json_is_string(json_object_get(e, "message")));
    json_decref(o);
}

/* Rebuilds the path from the matched pattern and params. */
static void check_match(const struct request *req) {
    size_t count;
    const struct route *routes = router_routes(&count);
    FUZZ_CHECK(req->route_index >= 0 && (size_t)req->route_index < count);
    FUZZ_CHECK(req->route == &routes[req->route_index]);
    FUZZ_CHECK(strcmp(req->route->method, req->method) == 0);
    char rebuilt[8192] = "";
    size_t n = 0, np = 0;
    for (const char *p = req->route->pattern; *p && n < sizeof rebuilt - 1;) {
        if (*p == '{') {
            const char *param = req->params[np++];
            FUZZ_CHECK(param[0] != '\0' && !strchr(param, '/'));
            n += (size_t)snprintf(rebuilt + n, sizeof rebuilt - n, "%s", param);
            p = strchr(p, '}') + 1;
        } else {
            rebuilt[n++] = *p++;
            rebuilt[n] = '\0';
        }
    }
    if (n < sizeof rebuilt - 1)
        FUZZ_CHECK(strcmp(rebuilt, req->url) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    char *method = fuzz_line(&in);
    char *url = fuzz_rest(&in);
    struct request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.url = url;
    req.route_index = -1;
    switch (router_match(&req)) {
    case ROUTE_FOUND:
        check_match(&req);
        break;
    case ROUTE_NO_PATH:
        reply_error(&req, 404, "not_found", NULL, "no such path %s", req.url);
        check_error(&req, 404, "not_found");
        break;
    case ROUTE_BAD_METHOD:
        FUZZ_CHECK(req.allow[0] != '\0');
        reply_error(&req, 405, "method_not_allowed", NULL, "%s is not allowed here; allowed: %s",
                    req.method, req.allow);
        check_error(&req, 405, "method_not_allowed");
        break;
    }
    /* client text as the field and in the message (unknown body keys) */
    reply_error(&req, 422, "invalid_argument", method, "unknown field %s", url);
    check_error(&req, 422, "invalid_argument");
    free(req.resp_body);
    free(req.path_copy);
    free(method);
    free(url);
    return 0;
}
