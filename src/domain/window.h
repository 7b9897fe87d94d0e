/* window.h - call windows (config.call_window): validation now; the
 * arithmetic of openings in a recipient's zone arrives with the time rules.
 * Time zones are checked against ICU's database (ucal), never the process
 * TZ. Pure, thread-safe. */
#ifndef CAMPAIGND_WINDOW_H
#define CAMPAIGND_WINDOW_H

#include "domain/verr.h"

#include <jansson.h>

/* Validates a call_window object; path is its JSON path for error fields
 * (e.g. "config.call_window"). 0 or -1 with e filled. */
int window_validate(json_t *window, const char *path, struct verr *e);
/* 1 when name is a time zone ICU knows (an IANA id such as "Europe/Berlin"
 * or "UTC"). */
int window_zone_known(const char *name);
/* Parses "HH:MM" (24 h) into minutes after midnight; -1 when malformed. */
int window_parse_hhmm(const char *s);

#endif
