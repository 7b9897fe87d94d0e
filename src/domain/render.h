/* render.h - objects of the contract as JSON (jansson), built from domain
 * structs. Pure; every function returns a new reference. */
#ifndef CAMPAIGND_RENDER_H
#define CAMPAIGND_RENDER_H

#include "domain/campaign.h"
#include "domain/recipient.h"
#include "domain/objects.h"

#include <jansson.h>

/* RFC 3339 string of ms, or JSON null for 0. */
json_t *render_time(int64_t ms);
json_t *render_counters(const struct counters *c);
json_t *render_campaign(const struct campaign *c);
json_t *render_call(const struct call *c);
json_t *render_message(const struct message *m);
json_t *render_opt_out(const struct opt_out *o);
/* next_attempt_at: the instant given (0 renders null). */
json_t *render_recipient(const struct recipient *r, int64_t next_attempt_at);
/* {"data": [...], "next_page_token": token|null}; steals data. */
json_t *render_list(json_t *data, const char *next_token);

#endif
