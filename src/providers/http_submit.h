/* http_submit.h - what every provider that submits over HTTP shares
 * (twilio now; meta_whatsapp, vapi, retell next): one request per attempt
 * on the engine's loop over curl_uv (its own libcurl multi, so connections
 * to the provider stay open and are reused; many requests in flight), the
 * answer handed to the provider's classify function, which turns it into
 * the attempt's fate, and that fate delivered through the provider's
 * callback. The shared rules of fates:
 *
 *   - the request never left (no connection, a refused private address,
 *     a connect timeout): PROVIDER_THROTTLED, the attempt goes back to the
 *     queue and its lane backs off; it is safe, the provider never saw it;
 *   - the request left but no answer came (the connection broke, the
 *     timeout passed): PROVIDER_UNKNOWN, never sent again;
 *   - an answer came: the provider's classify function decides.
 *
 * Fates are never delivered from inside submit(): an attempt refused
 * before any request (http_submit_defer) waits for the next loop turn.
 * No proxy from the environment, no redirects, http and https only; a
 * connect to a loopback, link-local or private address is refused unless
 * the server allows it (CAMPAIGND_PROVIDER_ALLOW_PRIVATE), as webhooks do.
 * Thread: the engine's loop. */
#ifndef CAMPAIGND_HTTP_SUBMIT_H
#define CAMPAIGND_HTTP_SUBMIT_H

#include "providers/provider.h"

#include <stddef.h>
#include <stdint.h>

#define HTTP_SUBMIT_TIMEOUT_MS 30000L /* a request's whole life */
#define HTTP_SUBMIT_CONNECT_MS 10000L
#define HTTP_SUBMIT_MAX_BODY (64 * 1024) /* of an answer; the rest is dropped */
#define HTTP_SUBMIT_MAX_PER_HOST 32L     /* connections to one host */

/* What came back for one request. */
struct http_answer {
    long status;      /* the HTTP status; 0 when no answer came */
    const char *body; /* NUL-terminated, at most HTTP_SUBMIT_MAX_BODY bytes */
    size_t body_len;
    int64_t retry_after_ms; /* the Retry-After header, 0 when none */
};

/* Fills ev->fate, ev->error_code, ev->retry_after_ms and, when accepted,
 * ev->end.provider_call_id from an answer (status > 0). ev arrives as a
 * FATE event with the attempt's call_id, channel, lane and campaign. */
typedef void (*http_classify_fn)(void *ctx, const struct attempt *a, const struct http_answer *ans,
                                 struct provider_event *ev);

/* One request. url and body are taken (freed by http_submit). */
struct http_request {
    char *url;
    char *body;
    const char *content_type; /* e.g. application/x-www-form-urlencoded */
    const char *userpwd;      /* HTTP Basic "user:password" (copied), or NULL */
    const char *bearer;       /* Authorization: Bearer <token> (copied), or NULL */
};

struct http_submit;

/* p is the provider whose callback gets the fates; borrowed for life. */
struct http_submit *http_submit_new(struct provider *p, const struct provider_env *env);
/* Sends req for attempt a (copied, its text not kept); classify decides
 * the fate of the answer. Always takes req's url and body; the fate comes
 * through the callback whatever happens. */
void http_submit_start(struct http_submit *h, const struct attempt *a, struct http_request *req,
                       http_classify_fn classify, void *ctx);
/* A fate decided without a request (a setting missing, a body too big),
 * delivered at the next loop turn. error_code for REJECTED. */
void http_submit_defer(struct http_submit *h, const struct attempt *a, enum provider_fate fate,
                       const char *error_code);
/* How many requests are in flight. */
size_t http_submit_in_flight(const struct http_submit *h);
/* Stops: deferred fates are delivered, requests in flight are cut and
 * their fates delivered now (never sent: THROTTLED; else UNKNOWN); no
 * callback after. Frees h once its handles are closed (run the loop). */
void http_submit_close(struct http_submit *h);

#endif
