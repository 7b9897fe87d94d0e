/* objects.c - releasing the strings of the plain objects, see objects.h. */
#include "domain/objects.h"

#include <stdlib.h>

void call_clear(struct call *c) {
    free(c->agent_id);
    free(c->from);
    free(c->to);
    free(c->carrier);
    free(c->provider);
    free(c->provider_call_id);
    free(c->ended_reason);
    free(c->error_code);
    free(c->transcript);
    free(c->recording_url);
    c->agent_id = c->from = c->to = c->carrier = c->provider = c->provider_call_id = NULL;
    c->ended_reason = c->error_code = c->transcript = c->recording_url = NULL;
}

void message_clear(struct message *m) {
    free(m->from);
    free(m->to);
    free(m->body);
    free(m->template_json);
    free(m->carrier);
    free(m->provider);
    free(m->provider_message_id);
    free(m->encoding);
    free(m->error_code);
    free(m->pricing_category);
    m->error_code = m->pricing_category = NULL;
    m->from = m->to = m->body = m->template_json = m->carrier = m->provider = NULL;
    m->provider_message_id = m->encoding = NULL;
}
