/* pacer.h - pacing of one lane: a GCRA limiter (rate_per_second with
 * burst) and a concurrency cap (attempts in flight).
 *
 * GCRA (the generic cell rate algorithm): with emission interval
 * T = 1/rate and tolerance tau = (burst - 1) * T, a start at time t is
 * allowed when TAT - tau <= t, and moves TAT to max(TAT, t) + T. Over any
 * window of length W at most burst + W * rate starts happen, and never more
 * than burst at once.
 * Plain data, no clock reads (time is an argument). The engine keeps one
 * per lane; a store several nodes share rebuilds one per lane inside each
 * claim from the lane's stored state (pacer_load), so that the nodes' starts
 * together obey the limits. */
#ifndef CAMPAIGND_PACER_H
#define CAMPAIGND_PACER_H

#include <stddef.h>

struct pacer {
    double rate; /* starts per second, > 0 */
    int burst;   /* >= 1 */
    int max_concurrent;
    double tat; /* theoretical arrival time, ms */
    int in_flight;
};

void pacer_set_limits(struct pacer *p, double rate, int burst, int max_concurrent, double now_ms);
/* How many attempts may start at now_ms (rate and concurrency both). */
size_t pacer_budget(const struct pacer *p, double now_ms);
/* Records n starts at now_ms (n <= pacer_budget). */
void pacer_started(struct pacer *p, double now_ms, size_t n);
/* An attempt ended. */
void pacer_ended(struct pacer *p);
/* No start for ms from now (a provider said it is throttled): the next slot
 * becomes the later of the one it had and now_ms + ms. */
void pacer_back_off(struct pacer *p, double now_ms, double ms);
/* The earliest time the rate allows a start (now_ms when it does now). */
double pacer_next_slot(const struct pacer *p, double now_ms);
/* A lane's pacer as a store shared by several nodes keeps it: tat is the
 * stored arrival time, booked at stored_rate (0 = nothing stored yet), the
 * limits are those in force now (a changed rate rescales the wait booked,
 * as pacer_set_limits does) and in_flight is what the store counts. */
void pacer_load(struct pacer *p, double tat, double stored_rate, double rate, int burst,
                int max_concurrent, int in_flight, double now_ms);

#endif
