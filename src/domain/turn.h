/* turn.h - the decision at a queued recipient's turn, when the store has
 * taken it from the queue for a claim: run it, defer it, or fail it before
 * anything reaches a provider.
 *
 * In order:
 *   1. the campaign is not running, or the recipient is no longer queued:
 *      skip (nothing changes; another writer got there first);
 *   2. schedule.end_at has come: fail it as expired;
 *   3. not yet runnable (due.c: its due_at, schedule.start_at, its call
 *      window in its zones): defer, QUEUED -> QUEUED due at that instant,
 *      nothing counted;
 *   4. opted out (the store's probe, an input here): fail as opted_out;
 *   5. a message whose params do not fill its text: fail as missing_param;
 *   6. otherwise dispatch: QUEUED -> DISPATCHED, with the rendered text for
 *      sms (the body) and whatsapp (the template JSON, parameters filled),
 *      and for voice the params (an agent runtime's variables).
 * Pure (time is an argument); thread-safe. */
#ifndef CAMPAIGND_TURN_H
#define CAMPAIGND_TURN_H

#include "domain/due.h"
#include "domain/move.h"

#include <jansson.h>

/* What the store looked up for the decision (all borrowed). */
struct turn_facts {
    enum campaign_status campaign; /* as read in the claim's transaction */
    enum channel channel;
    json_t *config; /* the campaign's config: body, template */
    const struct due_rules *rules;
    struct recipient_row row;
    const char *zones; /* the recipient's time zones, NULL = unknown */
    json_t *params;    /* the recipient's params, NULL = none */
    int opted_out;     /* 1 when an opt-out covers the number (turn_category) */
};

enum turn_kind { TURN_SKIP, TURN_DEFER, TURN_FAIL, TURN_DISPATCH };

struct turn_decision {
    enum turn_kind kind;
    struct recipient_move move; /* SKIP: none; DEFER: due_at later; FAIL; DISPATCH: the claim */
    char *text; /* DISPATCH: a message's text to send, a call's params as compact JSON
                  (or NULL: none); new, the caller frees */
};

void turn_decide(const struct turn_facts *f, int64_t now, struct turn_decision *out);
/* The opt-out category the probe must include besides blanket opt-outs:
 * the whatsapp template's category (borrowed from config), else NULL. */
const char *turn_category(enum channel ch, json_t *config);
/* Renders the text of a message campaign for params: the sms body, or the
 * whatsapp template as compact JSON with its parameters filled. 0 and a new
 * string in *text, or -1 when a param is missing. */
int turn_render(enum channel ch, json_t *config, json_t *params, char **text);

#endif
