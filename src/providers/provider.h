/* provider.h - the interface every provider implements (sim now; twilio,
 * meta, smpp, http later). The engine hands attempts over with send() and
 * learns how each ended through the report callback; it never knows which
 * provider it talks to.
 *
 * Contract:
 *  - send() is idempotent by call_id: an attempt the provider already holds
 *    answers PROVIDER_ACCEPTED and is not started twice. This is how the
 *    engine reconciles in-flight attempts after a crash: it sends them again.
 *  - Voice: every accepted attempt's end is reported. Messaging: the answer
 *    to send() is the submit's fate (accepted = sent, rejected = failed);
 *    later status reports (delivered, read, undelivered) arrive through the
 *    callback. Reports are at-least-once: again after a restart until ack()
 *    says the engine stored them; the engine ignores repeats.
 *  - All calls happen on the engine's thread and loop; reports arrive there. */
#ifndef CAMPAIGND_PROVIDER_H
#define CAMPAIGND_PROVIDER_H

#include "domain/attempt.h"

#include <stddef.h>
#include <stdint.h>

enum provider_answer {
    PROVIDER_ACCEPTED = 0,
    PROVIDER_THROTTLED = 1, /* try again later; uses no retry */
    PROVIDER_REJECTED = 2   /* a hard failure of this attempt */
};

typedef void (*provider_report_cb)(void *ctx, const struct attempt_end *o);

struct provider;

struct provider_ops {
    const char *name;
    /* Answers each of the n attempts in answers[] and sets the provider's
     * own id of each accepted one (a[i].provider_id); 0, or -1 when the
     * provider could take none of them (answers then unset). */
    int (*send)(struct provider *p, struct attempt *a, size_t n, enum provider_answer *answers);
    /* The engine stored these reports durably; the provider may forget them. */
    void (*ack)(struct provider *p, const struct attempt_end *ends, size_t n);
    void (*close)(struct provider *p);
};

struct provider {
    const struct provider_ops *ops;
    provider_report_cb report;
    void *report_ctx;
};

struct uv_loop_s;
/* The simulated provider (see sim.c). state_path is its own SQLite file. */
int provider_sim_open(struct uv_loop_s *loop, const char *state_path, long call_ms, long report_ms,
                      provider_report_cb report, void *ctx, struct provider **out);

#endif
