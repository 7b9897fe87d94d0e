/* dashboard.c - serves the live dashboard: the static files of
 * web/dashboard/ embedded in the binary (dashboard_assets.h).
 *
 * GET /dashboard answers 308 to /dashboard/; GET /dashboard/ is index.html;
 * GET /dashboard/{file} one file by name (the table is flat: a name with a
 * slash, "..", or an unknown one is 404). No authentication: the files hold
 * no data; the page asks for an API key, keeps it in the tab's
 * sessionStorage and calls /v1/... with it like any client.
 *
 * Every answer carries a strict Content-Security-Policy (scripts, styles,
 * images and fetches from this origin only, no inline code, no framing),
 * nosniff and no-referrer. Caching: the names are not fingerprinted, so
 * browsers revalidate (Cache-Control: no-cache) with the file's ETag and
 * get 304 while the binary is the same. */
#include "api/dashboard_assets.h"
#include "api/handlers.h"

#include <string.h>

#define DASHBOARD_CSP                                                                              \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

static const struct dashboard_asset *find_asset(const char *name) {
    for (size_t i = 0; i < dashboard_asset_count; i++)
        if (strcmp(dashboard_assets[i].name, name) == 0)
            return &dashboard_assets[i];
    return NULL;
}

static void security_headers(struct request *req) {
    reply_header(req, "Content-Security-Policy", DASHBOARD_CSP);
    reply_header(req, "X-Content-Type-Options", "nosniff");
    reply_header(req, "Referrer-Policy", "no-referrer");
    reply_header(req, "X-Frame-Options", "DENY");
}

/* If-None-Match names this ETag (in a list, or "*"): the copy is current. */
static int client_has(struct request *req, const char *etag) {
    const char *inm = request_header(req, "If-None-Match");
    if (!inm)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    return strstr(inm, etag) != NULL;
}

static void serve(struct request *req, const char *name) {
    const struct dashboard_asset *a = find_asset(name);
    if (!a) {
        reply_not_found(req, "dashboard file");
        return;
    }
    if (client_has(req, a->etag))
        reply_empty(req, 304);
    else
        reply_raw(req, 200, a->content_type, (const char *)a->data, a->len);
    reply_header(req, "ETag", a->etag);
    reply_header(req, "Cache-Control", "no-cache");
    security_headers(req);
}

void dashboard_redirect(struct request *req) {
    reply_empty(req, 308);
    reply_header(req, "Location", "/dashboard/");
}

void dashboard_index(struct request *req) {
    serve(req, "index.html");
}

void dashboard_file(struct request *req) {
    serve(req, req->params[0]);
}
