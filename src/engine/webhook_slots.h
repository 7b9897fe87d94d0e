/* webhook_slots.h - which due webhook deliveries start next, so that a
 * slow or hanging endpoint, or one account's backlog, only ever uses its
 * own share of the delivery slots. Pure function (no I/O, no clock); the
 * engine thread calls it on each webhook poll, see engine/webhooks.c.
 *
 * The rule: a delivery may start while all of these hold
 *   - fewer than caps.total deliveries are in flight in all;
 *   - fewer than caps.per_account of its account;
 *   - fewer than caps.per_endpoint to its endpoint (scheme://host:port);
 *   - none of its campaign (key) is in flight (events in order).
 * Among the deliveries that may start, accounts take turns: in account-name
 * order, starting with the first account after the one served last, each
 * account with something startable starts one (its first startable event
 * in the order given), then the next account, round after round until the
 * slots or the startable events run out. An account's own order (the
 * store's: its endpoints in turn, oldest first) decides among its events. */
#ifndef CAMPAIGND_WEBHOOK_SLOTS_H
#define CAMPAIGND_WEBHOOK_SLOTS_H

#include <stddef.h>
#include <stdint.h>

struct slot_caps {
    size_t total, per_account, per_endpoint;
};

/* A delivery: pending (may start) or live (in flight). */
struct slot_item {
    const char *account;
    const char *endpoint;
    int64_t campaign; /* at most one in flight per value; 0 = no such limit */
};

/* Chooses among pending[0..n) given the live[0..nlive) deliveries. after is
 * the account served last ("" or NULL: start with the first by name).
 * pick[] (room for n) receives the chosen indices into pending, in the order
 * to start them; returns how many. Never more than caps->total - nlive. */
size_t slots_pick(const struct slot_item *pending, size_t n, const struct slot_item *live,
                  size_t nlive, const struct slot_caps *caps, const char *after, size_t *pick);

#endif
