/* url_template.h - a URL with {name} placeholders (a twilio provider's
 * voice_url: "https://agent.example/twiml?call={call_id}&agent={agent_id}"),
 * filled in with each value percent-encoded as one URL component, so a value
 * can never add a path segment, a query parameter or a fragment.
 * Pure; thread-safe. */
#ifndef CAMPAIGND_URL_TEMPLATE_H
#define CAMPAIGND_URL_TEMPLATE_H

#include "util/buf.h"

#include <stddef.h>

struct url_var {
    const char *name;  /* without braces */
    const char *value; /* raw; encoded when filled in */
};

/* Appends tpl to out with every {name} of vars replaced. A '{' that does not
 * open a placeholder of vars is an error: -1 with *why (static text naming
 * the problem), out then partly written. 0 on success; BUF_ETOOBIG past
 * out's cap. */
int url_template_fill(const char *tpl, const struct url_var *vars, size_t n, struct buf *out,
                      const char **why);

/* The placeholders of a twilio voice_url, in the contract's order. */
extern const char *const voice_url_placeholders[4]; /* agent_id call_id recipient_id campaign_id */

#endif
