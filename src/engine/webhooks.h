/* webhooks.h - delivery of the event outbox to customers' webhook URLs,
 * from the engine's libuv loop with libcurl's multi interface (the pattern
 * of curl's docs/examples/multi-uv.c): no thread per request, and the
 * engine is never blocked by a slow endpoint.
 *
 * Each delivery is a POST of the event's JSON signed as Stripe does:
 *   Campaignd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>
 * (a second v1 while a rotated-out secret is still valid). 2xx = delivered;
 * anything else (connection error, 10 s timeout, non-2xx) is retried with
 * exponential backoff and jitter (5 s doubling, at most 1 h apart) until
 * 24 h after the event, then the event is marked failed.
 *
 * Limits: 64 deliveries in flight, 16 per account and 4 per endpoint
 * (scheme://host:port) so a slow or dead endpoint, or one account's
 * backlog, delays only itself; 1 per campaign so a campaign's events arrive
 * in order where possible. Free slots go to the accounts in turn
 * (engine/webhook_slots.c); a delivery takes at most 5 s to connect and 10 s
 * in all, so a hanging endpoint holds a slot for 10 s. Redirects are not
 * followed; response bodies are read up to 64 KiB and dropped; only http
 * and https; no loopback, link-local or private address unless
 * CAMPAIGND_WEBHOOK_ALLOW_PRIVATE=1 (checked on the resolved address, at
 * connect time).
 * Several nodes on one database: a node leases the events it is about to
 * send (store events_lease: until its node lease runs out, at least 20 s),
 * so no two nodes send one event at once; the result ends the lease, and
 * the events a dead node held are sent by another once their lease ran
 * out.
 * Thread: the engine's. */
#ifndef CAMPAIGND_WEBHOOKS_H
#define CAMPAIGND_WEBHOOKS_H

#include <stdint.h>

struct engine_deps;
struct webhooks;
struct uv_loop_s;

/* changed(ctx) is called (on the loop) when a delivery ended, so the
 * engine runs a pass and delivery continues. */
struct webhooks *webhooks_new(struct uv_loop_s *loop, const struct engine_deps *deps,
                              void (*changed)(void *), void *ctx);
/* Starts the deliveries that are due, as the limits allow. */
void webhooks_poll(struct webhooks *w);
/* New events may have been written: the next poll reads the outbox. */
void webhooks_kick(struct webhooks *w);
/* When the next pending event comes due (0 = none known). */
int64_t webhooks_next_due(const struct webhooks *w);
/* Stops: transfers in flight are dropped (their events stay pending). */
void webhooks_close(struct webhooks *w);

#endif
