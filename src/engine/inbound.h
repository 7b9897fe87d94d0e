/* inbound.h - an inbound message from a recipient, as every provider's
 * inbound path records it (the sim's POST /v1/providers/sim/inbound, Meta's
 * webhook, the smpp provider's mobile-originated deliver_sm). Runs on the
 * caller's thread with the store; joins the caller's transaction. */
#ifndef CAMPAIGND_INBOUND_H
#define CAMPAIGND_INBOUND_H

#include "domain/keywords.h"
#include "domain/types.h"

#include <stdint.h>

struct store;

/* What an inbound message does (the caller classified its keywords for the
 * account that owns `to`, "" when none): a blanket opt-out of from on ch
 * recorded (opted out) or removed (opted in), and the message recorded
 * with the action taken. 0 or a store error. */
int inbound_apply(struct store *st, const char *account, enum channel ch, const char *from,
                  const char *to, const char *body, enum keyword_action action, int64_t now);

/* An sms or whatsapp message from `from` (E.164) to the sender `to`: the
 * account that sends from `to` is found; on sms its keywords act
 * (domain/keywords.c; whatsapp text is recorded only); then
 * inbound_apply. 0 with *action what it did, or a store error. */
int inbound_record(struct store *st, enum channel ch, const char *from, const char *to,
                   const char *body, enum keyword_action *action);

#endif
