/* provider.h - the interface every provider implements (sim now; twilio,
 * meta, smpp, vapi, retell later), asynchronous, as libuv's are.
 *
 * The engine hands a batch of claimed attempts to submit(), which takes
 * ownership and returns at once. Every attempt's fate (accepted with the
 * provider's id, rejected with a code, throttled with an optional
 * retry-after, or unknown: the request may or may not have arrived) and
 * every later report (a call's end, a message's delivery) come back through
 * the one event callback, on the engine's loop, never from inside submit().
 * Errors follow util/error.h: 0, or a negative ERROR_* code; a function
 * that returns an error never calls the callback (libuv's rule).
 *
 * At most once toward a provider: the engine marks attempts as being
 * submitted before calling submit(); after a crash, an attempt marked so is
 * never submitted again unless the provider's lookup() says for certain that
 * it never received it. Reports are at-least-once: a provider repeats them
 * (after a restart too) until ack() says the engine stored them; the engine
 * applies each at most once (forward-only moves).
 *
 * Instances are named (a provider row, or the built-in "sim"); the engine
 * opens one per name through provider_open() (registry.c) and closes it when
 * its settings change or the engine stops.
 * Thread: every function runs on the engine's thread and loop. */
#ifndef CAMPAIGND_PROVIDER_H
#define CAMPAIGND_PROVIDER_H

#include "domain/attempt.h"
#include "domain/provider_def.h"
#include "util/error.h"

#include <stddef.h>
#include <stdint.h>

enum provider_fate {
    PROVIDER_ACCEPTED = 0,  /* it has the attempt; provider_id names it there */
    PROVIDER_REJECTED = 1,  /* a hard failure of this attempt (error_code) */
    PROVIDER_THROTTLED = 2, /* over its limits: queue again, no attempt used */
    PROVIDER_UNKNOWN = 3    /* the request may have arrived: never send it again */
};

enum provider_event_kind {
    PROVIDER_EVENT_FATE,  /* the answer to a submit */
    PROVIDER_EVENT_REPORT /* a later report: end (voice) or status (messaging) */
};

struct provider_event {
    enum provider_event_kind kind;
    enum provider_fate fate; /* FATE */
    char lane[LANE_MAX + 1]; /* FATE: the attempt's lane and campaign, as submitted */
    int64_t campaign_seq;
    int64_t retry_after_ms; /* FATE, throttled: 0 = the provider gave none */
    char error_code[32];    /* FATE, rejected: the provider's code, or "" */
    struct attempt_end end; /* call_id and channel always; REPORT: the end; FATE,
                               accepted: provider_call_id = the provider's id;
                               FATE: ended_at = the provider's time of its
                               answer (0 = when it arrived) */
    /* FATE, accepted, a message sent in several parts (smpp): each part's
     * id, stored with the mark (valid during the callback), else NULL */
    const char (*segment_ids)[66];
    size_t nsegments;
};

struct provider;
typedef void (*provider_event_cb)(void *ctx, struct provider *p, const struct provider_event *ev);

struct provider_ops {
    const char *type;
    /* Takes ownership of batch (an array from xcalloc of n attempts, their
     * texts included) and returns 0 at once; each attempt's fate arrives
     * later through the callback. A negative ERROR_* code: took nothing
     * (the caller still owns the batch), and no callback comes. */
    int (*submit)(struct provider *p, struct attempt *batch, size_t n);
    /* Optional (NULL when the provider cannot tell): for attempts whose
     * submit fate is unknown, held[i] = 1 when the provider has attempt
     * ids[i] (provider_ids[i] its id there, or ""), 0 when it certainly
     * never received it, -1 when it cannot tell. 0, or a negative ERROR_*
     * code when it could answer none (held unset). */
    int (*lookup)(struct provider *p, const char *const *ids, size_t n, int *held,
                  char (*provider_ids)[64]);
    /* The engine stored these reports durably; the provider may forget them. */
    void (*ack)(struct provider *p, const struct attempt_end *ends, size_t n);
    /* Optional: this node took over attempts ids[0..n) that another node
     * (dead, its leases run out) handed to this provider and that await
     * their reports. A provider whose reports go only to the node that
     * submitted (the sim, from its state in the store) sends theirs from
     * here on; one whose reports come through callbacks to any node needs
     * nothing (NULL). */
    void (*adopt)(struct provider *p, const char *const *ids, size_t n);
    /* Stops; frees the provider once its handles are closed (uv_run to let
     * it finish). Fates already known are delivered before it returns; no
     * callback comes after. */
    void (*close)(struct provider *p);
};

struct provider {
    const struct provider_ops *ops;
    char name[PROVIDER_NAME_MAX + 1];
    provider_event_cb on_event;
    void *ctx;
};

/* What a provider may use: the engine's loop and store, and the callback. */
struct uv_loop_s;
struct store;
struct provider_env {
    struct uv_loop_s *loop;
    struct store *store;
    provider_event_cb on_event;
    void *ctx;
    const char *public_url; /* CAMPAIGND_PUBLIC_URL, no trailing '/': callback URLs start so */
    int allow_private;      /* CAMPAIGND_PROVIDER_ALLOW_PRIVATE: may connect to private addresses */
};

/* For implementations (provider_base.c): fills p's ops, name and
 * callback; a FATE event of attempt a (its ids, lane and campaign). */
void provider_base_init(struct provider *p, const struct provider_ops *ops,
                        const struct provider_def *def, const struct provider_env *env);
void provider_fate_event(const struct attempt *a, enum provider_fate fate,
                         struct provider_event *ev);

/* Opens the provider def describes (its type picks the implementation).
 * 0, or a negative ERROR_* code with the reason logged (ERROR_INVALID: an
 * unknown type, a setting it refuses; ERROR_IO...: its state unreadable). */
int provider_open(const struct provider_def *def, const struct provider_env *env,
                  struct provider **out);

/* The simulated provider (sim.c); its state lives in the main store, under
 * the provider's name, so any node can deliver its reports. */
int provider_sim_open(const struct provider_def *def, const struct provider_env *env,
                      struct provider **out);

/* Twilio's REST API (twilio.c): Calls.json and Messages.json over HTTP,
 * fates from the answers; reports come as signed callbacks (api/). */
int provider_twilio_open(const struct provider_def *def, const struct provider_env *env,
                         struct provider **out);

/* SMPP 3.4 to an SMSC (smpp.c): bind_transceiver sessions on the engine's
 * loop, a window of submit_sm, receipts as deliver_sm. */
int provider_smpp_open(const struct provider_def *def, const struct provider_env *env,
                       struct provider **out);

/* The WhatsApp Cloud API (meta_whatsapp.c): template sends over HTTP,
 * fates from the answers; statuses come as signed webhooks (api/). */
int provider_meta_whatsapp_open(const struct provider_def *def, const struct provider_env *env,
                                struct provider **out);

/* AI voice agent runtimes (voice_runtime.c): Vapi's POST /call and Retell's
 * create-phone-call over HTTP; ends come as signed webhooks (api/). */
int provider_vapi_open(const struct provider_def *def, const struct provider_env *env,
                       struct provider **out);
int provider_retell_open(const struct provider_def *def, const struct provider_env *env,
                         struct provider **out);

#endif
