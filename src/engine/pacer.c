/* pacer.c - GCRA and concurrency cap of one lane, see pacer.h. */
#include "engine/pacer.h"

#include <math.h>

static double interval_ms(const struct pacer *p) {
    return 1000.0 / p->rate;
}

void pacer_set_limits(struct pacer *p, double rate, int burst, int max_concurrent, double now_ms) {
    p->rate = rate > 0 ? rate : 1;
    /* a raised rate applies now: the next slot is no later than one new
     * interval away, not the old slow interval */
    if (p->tat > now_ms + 1000.0 / p->rate)
        p->tat = now_ms + 1000.0 / p->rate;
    p->burst = burst >= 1 ? burst : 1;
    p->max_concurrent = max_concurrent >= 1 ? max_concurrent : 1;
}

size_t pacer_budget(const struct pacer *p, double now_ms) {
    if (p->in_flight >= p->max_concurrent)
        return 0;
    double t = interval_ms(p);
    double tau = (p->burst - 1) * t;
    double tat = p->tat > now_ms ? p->tat : now_ms;
    if (tat - tau > now_ms)
        return 0;
    double by_rate = floor((now_ms + tau - tat) / t) + 1;
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
    double tat = p->tat > now_ms ? p->tat : now_ms;
    p->tat = tat + ms;
}

double pacer_next_slot(const struct pacer *p, double now_ms) {
    double tau = (p->burst - 1) * interval_ms(p);
    double at = p->tat - tau;
    return at > now_ms ? at : now_ms;
}
