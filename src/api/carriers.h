/* carriers.h - the carriers in force: the stored ones, plus each built-in
 * carrier with its limits from configuration unless an operator stored new
 * ones. Used by the admin API, the upload (to route numbers) and the
 * dispatch engine. Thread-safe (reads the store on the caller's thread). */
#ifndef CAMPAIGND_CARRIERS_H
#define CAMPAIGND_CARRIERS_H

#include "api/app.h"
#include "domain/carrier.h"

#include <stddef.h>

/* 0 or a STORE_E* code; the list is sorted by name. */
int carriers_load(struct app *app, struct carrier **out, size_t *n);
void carriers_free(struct carrier *list, size_t n);

#endif
