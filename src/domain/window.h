/* window.h - call windows (config.call_window): validation, and when a
 * window is open in a time zone. Time-zone arithmetic goes through ICU's
 * calendar (ucal) with an explicit zone, never the process's TZ, so DST
 * changes are right: a window is read in local wall-clock time, a start
 * that falls in the skipped spring-forward hour opens at the first valid
 * instant after it, and a repeated fall-back hour is open in both
 * occurrences.
 *
 * The days filter names the day the window starts on: a window 22:00-02:00
 * on "fri" is open Friday 22:00 to Saturday 02:00.
 * Pure functions (time is an argument), thread-safe. */
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

struct call_window {
    int start, end;    /* minutes after midnight; end < start spans midnight */
    unsigned days;     /* bit 0 = Monday ... bit 6 = Sunday */
    int per_recipient; /* timezone "recipient" */
    char zone[64];     /* the fixed zone, or the fallback for recipients */
};

/* Reads a validated call_window (NULL = none: returns 0, always open).
 * 1 when there is a window. */
int window_from_json(json_t *w, struct call_window *out);
/* 1 when the window is open at t (ms) in zone. */
int window_open_in(const struct call_window *w, const char *zone, int64_t t);
/* The first instant >= t at which the window is open in every zone of
 * zones ("A&B", or NULL/"" for the window's own zone); t when open now;
 * INT64_MAX when the zones' windows never meet within two weeks. */
int64_t window_next_open(const struct call_window *w, const char *zones, int64_t t);

#endif
