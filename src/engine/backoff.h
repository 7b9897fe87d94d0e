/* backoff.h - how the engine waits out a failing store (disk full, I/O
 * errors, a lock held too long) instead of retrying in a tight loop.
 *
 * An episode starts with the first failure and ends once writes have
 * succeeded for BACKOFF_CALM_MS with no failure between (a nearly full
 * disk takes a small write now and then: one success must not start the
 * delays over, nor cost a line each time). Within it, each failure doubles
 * the delay before the next try, from BACKOFF_MIN_MS up to BACKOFF_MAX_MS;
 * the engine runs no pass before retry_at (after a success it runs at
 * once). What to log is decided here too, so a failing store
 * costs a line per change of delay (a handful) and then one per
 * BACKOFF_NOTE_MS, never a line per try.
 * Plain data, time is an argument; engine thread only. */
#ifndef CAMPAIGND_BACKOFF_H
#define CAMPAIGND_BACKOFF_H

#include <stdint.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define BACKOFF_NOTE_MS 60000
#define BACKOFF_CALM_MS 2000

struct backoff {
    int64_t delay_ms;  /* 0 = no episode */
    int64_t retry_at;  /* no pass before this */
    int64_t since;     /* the episode's first failure */
    long failures;     /* in this episode */
    int64_t next_note; /* the next "still failing" line, at the cap */
    int64_t ok_since;  /* the first success since the last failure, 0 = none */
};

enum backoff_say {
    BACKOFF_QUIET,  /* nothing worth a line */
    BACKOFF_LONGER, /* the delay changed: say so */
    BACKOFF_STILL,  /* at the cap, BACKOFF_NOTE_MS since the last line */
};

/* A failure at `now`: lengthens the delay and sets retry_at. */
enum backoff_say backoff_failed(struct backoff *b, int64_t now);
/* A write succeeded at `now`: 1 when this ends an episode (say so), else 0. */
int backoff_succeeded(struct backoff *b, int64_t now);
/* 1 while an episode asks to wait at `now`. */
int backoff_waiting(const struct backoff *b, int64_t now);

#endif
