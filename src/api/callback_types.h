/* callback_types.h - how each provider type takes what its provider sends
 * back (contract, Providers): reports about one attempt at
 * POST /v1/providers/{name}/calls/{call_id} and .../messages/{message_id},
 * and, for types that have one, a webhook at /v1/providers/{name}/webhook
 * (GET and POST: a handshake, batches of statuses, inbound messages).
 *
 * callbacks.c finds the provider named in the path and calls its type's
 * functions; each checks the request its own way (a signature over the raw
 * body, the admin token for sim), reads it into struct attempt_end, writes
 * it durably with engine_report() and answers. A type adds a file
 * (callbacks_<type>.c) and a row in callbacks.c's table. Routes are
 * AUTH_PROVIDER and BODY_RAW: nothing is checked or parsed before the type
 * decides. HTTP worker threads. */
#ifndef CAMPAIGND_CALLBACK_TYPES_H
#define CAMPAIGND_CALLBACK_TYPES_H

#include "api/request.h"
#include "domain/provider_def.h"
#include "domain/types.h"

/* A report on attempt req->params[1] (ch is its channel, already checked to
 * belong to provider def and to match the path). Answers once. */
typedef void (*callback_report_fn)(struct request *req, const struct provider_def *def,
                                   enum channel ch);
/* GET or POST /v1/providers/{name}/webhook. Answers once. */
typedef void (*callback_webhook_fn)(struct request *req, const struct provider_def *def);

struct callback_type {
    const char *type;
    int (*authorize)(struct request *req, const struct provider_def *def); /* 0, or -1 answered */
    callback_report_fn report;   /* NULL: the type reports no attempt this way (404) */
    callback_webhook_fn webhook; /* NULL: no webhook (404) */
};

/* The sim type (callbacks.c): admin token, JSON body. */
extern const struct callback_type callbacks_sim;
/* The twilio type (callbacks_twilio.c): X-Twilio-Signature, form body. */
extern const struct callback_type callbacks_twilio;
/* The meta_whatsapp type (callbacks_meta.c): a webhook only, with the GET
 * handshake and X-Hub-Signature-256 over a JSON body. */
extern const struct callback_type callbacks_meta;

#endif
