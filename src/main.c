/* main.c - the process: read settings, open the store, start the HTTP
 * server, wait for SIGTERM or SIGINT, shut down in order (stop accepting,
 * finish requests, close the store). */
#include "api/app.h"
#include "api/campaign_cache.h"
#include "api/snapshot_gate.h"
#include "api/key_cache.h"
#include "api/metrics.h"
#include "api/server.h"
#include "config.h"
#include "engine/engine.h"
#include "domain/tzmap.h"
#include "util/alloc.h"
#include "util/log.h"

#include <curl/curl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum log_level parse_level(const char *s) {
    if (strcmp(s, "debug") == 0)
        return LOG_DEBUG;
    if (strcmp(s, "warn") == 0)
        return LOG_WARN;
    if (strcmp(s, "error") == 0)
        return LOG_ERROR;
    return LOG_INFO;
}

/* The simulated provider keeps its state beside an SQLite database
 * (PATH-sim), else in campaignd-sim.db, unless configured. */
/* Loads the phone-prefix time-zone table from the data directory (default:
 * data/ beside the binary, where the build installs it). Without it, a
 * number's zones come from ICU's zones of its region. */
static struct tzmap *load_tzmap(const struct config *cfg) {
    char *dir;
    if (cfg->data_dir && cfg->data_dir[0]) {
        dir = xstrdup(cfg->data_dir);
    } else {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        dir = xasprintf("%s/data", n > 0 ? exe : ".");
    }
    char *path = xasprintf("%s/timezones/map_data.txt", dir);
    struct tzmap *m = tzmap_load(path);
    if (m)
        log_info("time zones: %zu phone prefixes from %s", tzmap_size(m), path);
    else
        log_warn("time zones: no table at %s; a number's zones come from its country (see "
                 "docs/operators.md)",
                 path);
    free(path);
    free(dir);
    return m;
}

/* glibc maps every allocation of 128 KiB or more afresh and unmaps it on
 * free, so the engine's per-batch arrays (a batch of attempts is over a
 * megabyte) cost a page fault per page and the kernel's zeroing at every
 * batch. Served from the heap instead, and kept there up to 32 MiB free,
 * they are reused: dispatch 0.209-0.213 -> 0.219-0.221 of the raw floor,
 * peak RSS +0.8 MiB (docs/benchmarks.md). */
static void malloc_keep_batches(void) {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
#endif
}

int main(int argc, char **argv) {
    malloc_keep_batches();
    struct config cfg;
    char err[512];
    switch (config_load(&cfg, argc, argv, err, sizeof err)) {
    case CONFIG_HELP:
        config_print_help(argv[0]);
        config_free(&cfg);
        return 0;
    case CONFIG_ERROR:
        fprintf(stderr, "campaignd: %s\n", err);
        config_free(&cfg);
        return 2;
    case CONFIG_OK:
        break;
    }
    log_set_level(parse_level(cfg.log_level));
    curl_global_init(CURL_GLOBAL_DEFAULT);

    /* Signals are taken synchronously by this thread (sigwait); every other
     * thread inherits the blocked mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* the composition root: the store, the engine (which opens the
     * providers) and the HTTP server, each given only what it needs */
    static struct engine_stats engine_stats;
    struct app app = {.cfg = &cfg};
    app.rules.allow_private_webhooks = cfg.webhook_allow_private != 0;
    struct server *server = NULL;
    int status = 1;
    struct store_options store_opts = {.max_pages = cfg.sqlite_max_pages, .exclusive = 1};
    int rc = store_open_with(cfg.database, &store_opts, &app.store, err, sizeof err);
    if (rc) {
        log_error("store: %s", err);
        goto out;
    }
    if (app_load_secret(&app) != 0)
        goto out;
    app.metrics = metrics_new(&engine_stats);
    /* a key revoked on another node must fail at once: no cache there */
    if (!app.store->ops->shared)
        app.keys = key_cache_new();
    /* a GET answered from what it rendered while nothing was written; only
     * where every write passes through this process */
    if (app.store->ops->write_generation)
        app.campaigns = campaign_cache_new();
    /* on PostgreSQL, with a generation every GET asks the database for */
    if (!app.campaigns && app.store->ops->snapshot) {
        app.gate = snapshot_gate_new(app.store);
        app.campaigns = campaign_cache_new();
    }
    app.tzmap = load_tzmap(&cfg);
    struct engine_deps deps = {.store = app.store,
                               .cfg = &cfg,
                               .allow_private_webhooks = app.rules.allow_private_webhooks,
                               .stats = &engine_stats};
    if (engine_start(&deps, &app.engine) != 0)
        goto out;
    if (server_start(&app, cfg.listen, config_http_threads(&cfg), &server) != 0)
        goto out;
    log_info("campaignd serving on %s, store %s, admin API %s", cfg.listen, cfg.database,
             cfg.admin_token ? "on" : "off (no admin token)");

    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    status = 0;
out:
    /* in the reverse order of the start: stop accepting, finish requests,
     * stop the engine (in-flight attempts stay for the next start), close */
    server_stop(server);
    engine_stop(app.engine);
    metrics_free(app.metrics);
    key_cache_free(app.keys);
    campaign_cache_free(app.campaigns);
    snapshot_gate_free(app.gate);
    tzmap_free(app.tzmap);
    if (app.store)
        app.store->ops->close(app.store);
    curl_global_cleanup();
    config_free(&cfg);
    if (status == 0)
        log_info("stopped");
    return status;
}
