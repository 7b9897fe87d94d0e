/* metrics.h - request metrics for GET /metrics (Prometheus text format):
 * campaignd_http_requests_total{route,method,status} and the histogram
 * campaignd_http_request_duration_seconds{route,method}. Recording is a few
 * relaxed atomic adds, safe from any thread. */
#ifndef CAMPAIGND_METRICS_H
#define CAMPAIGND_METRICS_H

#include "engine/engine_stats.h"
#include "util/buf.h"

#include <stdint.h>

struct metrics;

/* engine: the engine's counters, rendered too (borrowed; may be NULL). */
struct metrics *metrics_new(const struct engine_stats *engine);
void metrics_free(struct metrics *m);
/* route_index -1 = no route matched. */
void metrics_record(struct metrics *m, int route_index, int status, uint64_t duration_ns);
/* Appends the Prometheus text of every series to out; outbox_depth is the
 * number of events waiting for delivery (-1 = unknown). */
void metrics_render(struct metrics *m, int64_t outbox_depth, struct buf *out);

#endif
