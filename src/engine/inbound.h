/* inbound.h - an inbound message from a recipient, as every provider's
 * inbound path records it (the sim's POST /v1/providers/sim/inbound, the
 * smpp provider's mobile-originated deliver_sm): the account that sends
 * from `to` is found; on sms, an opt-out keyword records a blanket opt-out
 * for that account and an opt-in keyword removes it (domain/keywords.c);
 * the message is kept among the inbound ones with what it did. Runs on the
 * caller's thread with the store. */
#ifndef CAMPAIGND_INBOUND_H
#define CAMPAIGND_INBOUND_H

#include "domain/keywords.h"
#include "domain/types.h"

struct store;

/* from is an E.164 number, to the sender it was sent to, body UTF-8. 0
 * with *action what it did, or a store error code. */
int inbound_record(struct store *st, enum channel ch, const char *from, const char *to,
                   const char *body, enum keyword_action *action);

#endif
