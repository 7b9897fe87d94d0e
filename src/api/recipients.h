/* recipients.h - what recipients.c shares with export.c: the status= and
 * disposition= filters of the recipient list and export. */
#ifndef CAMPAIGND_API_RECIPIENTS_H
#define CAMPAIGND_API_RECIPIENTS_H

#include "api/request.h"
#include "store/store.h"

/* Reads status= and disposition= into f (zeroed first). 0, or -1 when it
 * answered 400 invalid_argument naming the parameter. */
int recipients_parse_filter(struct request *req, struct recipient_filter *f);

#endif
