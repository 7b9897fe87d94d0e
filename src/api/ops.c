/* ops.c - operations endpoints: /healthz (the process serves), /readyz (the
 * store answers) and /metrics (Prometheus text, with the campaign cache's hits and misses
 * where there is one). No authentication. */
#include "api/app.h"
#include "api/campaign_cache.h"
#include "api/snapshot_gate.h"
#include "api/handlers.h"
#include "api/metrics.h"

void ops_healthz(struct request *req) {
    reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void ops_readyz(struct request *req) {
    int rc = req->app->store->ops->ping(req->app->store);
    if (rc) {
        reply_error(req, 503, "unavailable", NULL, "the store does not answer: %s",
                    store_strerror(rc));
        return;
    }
    reply_json(req, 200, json_pack("{s:s}", "status", "ready"));
}

void ops_metrics(struct request *req) {
    struct buf b;
    buf_init(&b, 64u << 20);
    int64_t next = 0, depth = -1;
    if (req->app->store->ops->events_next(req->app->store, &next, &depth) != 0)
        depth = -1;
    metrics_render(req->app->metrics, depth, &b);
    if (req->app->campaigns) {
        uint64_t hits, misses;
        campaign_cache_counts(req->app->campaigns, &hits, &misses);
        buf_printf(&b,
                   "# HELP campaignd_campaign_cache_hits_total GET /v1/campaigns/{id} answered "
                   "from the campaign cache.\n"
                   "# TYPE campaignd_campaign_cache_hits_total counter\n"
                   "campaignd_campaign_cache_hits_total %llu\n"
                   "# HELP campaignd_campaign_cache_misses_total GET /v1/campaigns/{id} read "
                   "from the store (not cached, or written since).\n"
                   "# TYPE campaignd_campaign_cache_misses_total counter\n"
                   "campaignd_campaign_cache_misses_total %llu\n",
                   (unsigned long long)hits, (unsigned long long)misses);
    }
    if (req->app->gate)
        buf_printf(&b,
                   "# HELP campaignd_snapshot_checks_total Checks of the database's snapshot "
                   "that validated the campaign cache (one serves every GET waiting on it).\n"
                   "# TYPE campaignd_snapshot_checks_total counter\n"
                   "campaignd_snapshot_checks_total %llu\n",
                   (unsigned long long)snapshot_gate_checks(req->app->gate));
    reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data ? b.data : "", b.len);
    buf_free(&b);
}
