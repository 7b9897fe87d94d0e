/* verr.h - a validation error: which field is at fault (a JSON path such as
 * "config.call_window.start" or "recipients[3]") and a message for humans.
 * Domain validators fill one and return -1; api/ turns it into a 422. */
#ifndef CAMPAIGND_VERR_H
#define CAMPAIGND_VERR_H

struct verr {
    char field[160];
    char message[256];
};

/* Fills e and returns -1, so validators can `return verr_set(...)`. */
int verr_set(struct verr *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
