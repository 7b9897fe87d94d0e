/* provider_base.c - what every provider implementation does alike: fill
 * its struct provider from the def and env, and build the FATE event of an
 * attempt (see provider.h). Engine thread. */
#include "providers/provider.h"
#include "util/strcopy.h"

#include <stdio.h>
#include <string.h>

void provider_base_init(struct provider *p, const struct provider_ops *ops,
                        const struct provider_def *def, const struct provider_env *env) {
    p->ops = ops;
    snprintf(p->name, sizeof p->name, "%s", def->name);
    p->on_event = env->on_event;
    p->ctx = env->ctx;
}

void provider_fate_event(const struct attempt *a, enum provider_fate fate,
                         struct provider_event *ev) {
    memset(ev, 0, sizeof *ev);
    ev->kind = PROVIDER_EVENT_FATE;
    ev->fate = fate;
    ev->end.channel = a->channel;
    STR_COPY(ev->end.call_id, a->call_id);
    STR_COPY(ev->lane, a->lane);
    ev->campaign_seq = a->campaign_seq;
}
