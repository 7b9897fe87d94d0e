/* ratelimit.h - "say it at most once every N ms", for log lines that a
 * failing loop or a flood of failing requests could repeat thousands of
 * times a second (a full disk). Thread-safe: any thread may share one
 * struct ratelimit (atomics, no lock). Time is an argument. */
#ifndef CAMPAIGND_RATELIMIT_H
#define CAMPAIGND_RATELIMIT_H

#include <stdint.h>

struct ratelimit {
    _Atomic int64_t next_ms; /* no line before this time */
    _Atomic long suppressed; /* held back since the last line */
};

#define RATELIMIT_INIT                                                                             \
    { 0, 0 }

/* 1 when a line may be written at `now` (the next one then waits every_ms),
 * with *suppressed set to how many were held back since the previous one;
 * 0 when it must be held back (counted). */
int ratelimit_allow(struct ratelimit *r, int64_t now, int64_t every_ms, long *suppressed);

#endif
