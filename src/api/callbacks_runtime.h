/* callbacks_runtime.h - what the vapi and retell webhooks share once a
 * runtime's request is authenticated and read (callbacks_vapi.c,
 * callbacks_retell.c): find the attempt the report is about, write its
 * transcript and recording, hand its end or progress to the engine, and
 * answer. HTTP worker threads. */
#ifndef CAMPAIGND_CALLBACKS_RUNTIME_H
#define CAMPAIGND_CALLBACKS_RUNTIME_H

#include "api/request.h"
#include "domain/provider_def.h"
#include "domain/runtime_rules.h"
#include "domain/verr.h"

/* Reads a webhook body into a report at time now: 0, or -1 with e. */
typedef int (*runtime_read_fn)(json_t *body, int64_t now, struct runtime_report *out,
                               struct verr *e);

/* The whole webhook: POST only (else 405), authorize (it answers 403 on
 * its own), the JSON body (400 / 415 / 422 as every JSON route), read (422
 * with the field at fault), then the report applied and answered ok_status
 * with ok_body (a JSON text, or NULL for no body). The call is the one
 * named in the metadata we sent, else the one the runtime knows by its own
 * id; a report on no call of this provider (another runtime's call, one
 * campaignd never placed) is answered as applied and changes nothing.
 * Media are written durably before the end, so a call that reads as ended
 * already has its transcript. A store failure answers 5xx (the runtime
 * sends again). */
void runtime_webhook(struct request *req, const struct provider_def *def,
                     int (*authorize)(struct request *req, const struct provider_def *def),
                     runtime_read_fn read, int ok_status, const char *ok_body);

#endif
