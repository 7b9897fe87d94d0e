/* pacer.c - GCRA and concurrency cap of one lane, see pacer.h. */
#include "domain/pacer.h"

#include <math.h>

static double interval_ms(const struct pacer *p) {
    return 1000.0 / p->rate;
}

void pacer_set_limits(struct pacer *p, double rate, int burst, int max_concurrent, double now_ms) {
    double old_rate = p->rate;
    p->rate = rate > 0 ? rate : 1;
    /* New limits apply now: the wait already booked (tat - now, in old
     * intervals) is rescaled to the new interval, so a raised rate takes
     * effect at once while the starts already made still count. */
    if (old_rate > 0 && p->tat > now_ms)
        p->tat = now_ms + (p->tat - now_ms) * old_rate / p->rate;
    p->burst = burst >= 1 ? burst : 1;
    p->max_concurrent = max_concurrent >= 1 ? max_concurrent : 1;
}

size_t pacer_budget(const struct pacer *p, double now_ms) {
    if (p->in_flight >= p->max_concurrent)
        return 0;
    double t = interval_ms(p);
    double tau = (p->burst - 1) * t;
    double tat = p->tat > now_ms ? p->tat : now_ms;
    double slot = tat - tau; /* exactly pacer_next_slot's answer */
    if (slot > now_ms)
        return 0;
    /* a few ulps of slack in the count, so float rounding of tat (sums of
     * 1000/rate near 1e12 ms) never grants burst - 1 on an idle lane */
    double mag = fabs(now_ms) + fabs(tat);
    double slack = 4 * (nextafter(mag, INFINITY) - mag) / t + 1e-9;
    double by_rate = floor((now_ms - slot) / t + slack) + 1;
    if (by_rate > p->burst)
        by_rate = p->burst;
    size_t by_cap = (size_t)(p->max_concurrent - p->in_flight);
    return by_rate < (double)by_cap ? (size_t)by_rate : by_cap;
}

void pacer_started(struct pacer *p, double now_ms, size_t n) {
    double tat = p->tat > now_ms ? p->tat : now_ms;
    p->tat = tat + (double)n * interval_ms(p);
    p->in_flight += (int)n;
}

void pacer_ended(struct pacer *p) {
    if (p->in_flight > 0)
        p->in_flight--;
}

void pacer_back_off(struct pacer *p, double now_ms, double ms) {
    /* no start for ms from now, whatever burst the lane had saved up; a
     * later slot the lane already had stays (several refusals of one
     * throttle each ask for the same pause: they do not add up) */
    double tau = (p->burst - 1) * interval_ms(p);
    double tat = now_ms + tau + ms;
    if (tat > p->tat)
        p->tat = tat;
}

double pacer_next_slot(const struct pacer *p, double now_ms) {
    double tau = (p->burst - 1) * interval_ms(p);
    double at = p->tat - tau;
    return at > now_ms ? at : now_ms;
}

void pacer_load(struct pacer *p, double tat, double stored_rate, double rate, int burst,
                int max_concurrent, int in_flight, double now_ms) {
    p->rate = stored_rate > 0 ? stored_rate : 0;
    p->tat = stored_rate > 0 ? tat : 0;
    pacer_set_limits(p, rate, burst, max_concurrent, now_ms);
    p->in_flight = in_flight > 0 ? in_flight : 0;
}
