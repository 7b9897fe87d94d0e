/* verr.c - see verr.h. */
#include "domain/verr.h"

#include <stdarg.h>
#include <stdio.h>

int verr_set(struct verr *e, const char *field, const char *fmt, ...) {
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}
