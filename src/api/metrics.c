/* metrics.c - fixed arrays of atomic counters indexed by route and status,
 * see metrics.h. Routes come from the constant routing table, so the series
 * are known at start and no lock is needed. */
#include "api/metrics.h"
#include "api/router.h"
#include "util/alloc.h"

#include <stdlib.h>

static const int status_codes[] = {200, 201, 204, 400, 401, 404, 405, 409,
                                   413, 415, 422, 429, 500, 503, 0 /* other */};
#define NSTATUS (sizeof status_codes / sizeof status_codes[0])
static const double bucket_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define NBUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

struct series {
    uint64_t by_status[NSTATUS];
    uint64_t buckets[NBUCKETS + 1]; /* last = +Inf */
    uint64_t sum_ns;
};

struct metrics {
    const struct engine_stats *engine; /* written by the engine thread */
    size_t nroutes;
    struct series *series; /* nroutes + 1: the last is "no route" */
};

struct metrics *metrics_new(const struct engine_stats *engine) {
    struct metrics *m = xcalloc(1, sizeof *m);
    m->engine = engine;
    router_routes(&m->nroutes);
    m->series = xcalloc(m->nroutes + 1, sizeof *m->series);
    return m;
}

void metrics_free(struct metrics *m) {
    if (!m)
        return;
    free(m->series);
    free(m);
}

void metrics_record(struct metrics *m, int route_index, int status, uint64_t duration_ns) {
    struct series *s =
        &m->series[route_index >= 0 && (size_t)route_index < m->nroutes ? (size_t)route_index
                                                                        : m->nroutes];
    size_t si = NSTATUS - 1;
    for (size_t i = 0; i + 1 < NSTATUS; i++)
        if (status_codes[i] == status)
            si = i;
    __atomic_fetch_add(&s->by_status[si], 1, __ATOMIC_RELAXED);
    double secs = (double)duration_ns / 1e9;
    size_t b = 0;
    while (b < NBUCKETS && secs > bucket_bounds[b])
        b++;
    __atomic_fetch_add(&s->buckets[b], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->sum_ns, duration_ns, __ATOMIC_RELAXED);
}

static void render_webhooks(struct metrics *m, int64_t depth, struct buf *out) {
    static const struct engine_stats none;
    const struct engine_stats *e = m->engine ? m->engine : &none;
    buf_printf(out,
               "# HELP campaignd_webhook_deliveries_total Webhook events delivered (2xx).\n"
               "# TYPE campaignd_webhook_deliveries_total counter\n"
               "campaignd_webhook_deliveries_total %llu\n"
               "# HELP campaignd_webhook_failures_total Webhook delivery attempts that failed.\n"
               "# TYPE campaignd_webhook_failures_total counter\n"
               "campaignd_webhook_failures_total %llu\n"
               "# HELP campaignd_webhook_given_up_total Webhook events marked failed after 24 h.\n"
               "# TYPE campaignd_webhook_given_up_total counter\n"
               "campaignd_webhook_given_up_total %llu\n"
               "# HELP campaignd_engine_passes_total Passes of the dispatch loop (each writes "
               "a few transactions).\n"
               "# TYPE campaignd_engine_passes_total counter\n"
               "campaignd_engine_passes_total %llu\n",
               (unsigned long long)__atomic_load_n(&e->webhook_delivered, __ATOMIC_RELAXED),
               (unsigned long long)__atomic_load_n(&e->webhook_failed_attempts, __ATOMIC_RELAXED),
               (unsigned long long)__atomic_load_n(&e->webhook_given_up, __ATOMIC_RELAXED),
               (unsigned long long)__atomic_load_n(&e->engine_passes, __ATOMIC_RELAXED));
    if (depth >= 0)
        buf_printf(out,
                   "# HELP campaignd_webhook_outbox_depth Events waiting for delivery.\n"
                   "# TYPE campaignd_webhook_outbox_depth gauge\n"
                   "campaignd_webhook_outbox_depth %lld\n",
                   (long long)depth);
}

void metrics_render(struct metrics *m, int64_t outbox_depth, struct buf *out) {
    render_webhooks(m, outbox_depth, out);
    size_t n;
    const struct route *routes = router_routes(&n);
    buf_appends(out, "# HELP campaignd_http_requests_total HTTP requests by route and status.\n"
                     "# TYPE campaignd_http_requests_total counter\n");
    for (size_t r = 0; r <= n; r++) {
        const char *pattern = r < n ? routes[r].pattern : "unmatched";
        const char *method = r < n ? routes[r].method : "any";
        for (size_t i = 0; i < NSTATUS; i++) {
            uint64_t v = __atomic_load_n(&m->series[r].by_status[i], __ATOMIC_RELAXED);
            if (!v)
                continue;
            if (status_codes[i])
                buf_printf(out,
                           "campaignd_http_requests_total{route=\"%s\",method=\"%s\","
                           "status=\"%d\"} %llu\n",
                           pattern, method, status_codes[i], (unsigned long long)v);
            else
                buf_printf(out,
                           "campaignd_http_requests_total{route=\"%s\",method=\"%s\","
                           "status=\"other\"} %llu\n",
                           pattern, method, (unsigned long long)v);
        }
    }
    buf_appends(out, "# HELP campaignd_http_request_duration_seconds Time from request to "
                     "answer.\n# TYPE campaignd_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= n; r++) {
        const char *pattern = r < n ? routes[r].pattern : "unmatched";
        const char *method = r < n ? routes[r].method : "any";
        uint64_t cum = 0;
        for (size_t b = 0; b <= NBUCKETS; b++)
            cum += __atomic_load_n(&m->series[r].buckets[b], __ATOMIC_RELAXED);
        if (!cum)
            continue;
        uint64_t total = cum;
        cum = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += __atomic_load_n(&m->series[r].buckets[b], __ATOMIC_RELAXED);
            buf_printf(out,
                       "campaignd_http_request_duration_seconds_bucket{route=\"%s\","
                       "method=\"%s\",le=\"%g\"} %llu\n",
                       pattern, method, bucket_bounds[b], (unsigned long long)cum);
        }
        buf_printf(out,
                   "campaignd_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\","
                   "le=\"+Inf\"} %llu\n",
                   pattern, method, (unsigned long long)total);
        buf_printf(out,
                   "campaignd_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} "
                   "%.6f\n",
                   pattern, method,
                   (double)__atomic_load_n(&m->series[r].sum_ns, __ATOMIC_RELAXED) / 1e9);
        buf_printf(out,
                   "campaignd_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} "
                   "%llu\n",
                   pattern, method, (unsigned long long)total);
    }
}
