/* config.h - every setting of campaignd, from four sources in rising
 * priority: built-in defaults, the config file (--config FILE, lines of
 * "name = value"), environment variables (CAMPAIGND_*), command-line flags
 * (--name value or --name=value). One table in config.c lists each setting
 * once with its flag, variable, default and help; --help prints it. */
#ifndef CAMPAIGND_CONFIG_H
#define CAMPAIGND_CONFIG_H

#include <stddef.h>

/* The node id of a SQLite deployment when none is given: its one process. */
#define CONFIG_SQLITE_NODE_ID "local"

struct config {
    char *listen;      /* "127.0.0.1:8080" */
    char *database;    /* "sqlite:campaignd.db" */
    char *admin_token; /* NULL = admin API off */
    char *data_dir;    /* phone-number data tables */
    long threads;      /* HTTP worker threads (0: config_http_threads chooses) */
    long sim_call_ms;
    long sim_report_ms;
    long webhook_allow_private;
    char *public_url;            /* providers call back here (no trailing '/') */
    long provider_allow_private; /* providers' base_url may be a private address */
    long default_voice_rate, default_voice_burst, default_voice_concurrency;
    long default_sms_rate, default_sms_burst, default_sms_concurrency;
    long default_whatsapp_rate, default_whatsapp_burst, default_whatsapp_concurrency;
    char *node_id;               /* names this node on the attempts it claims (leases) */
    long lease_ms;               /* a claimed attempt's lease; renewed every lease_ms / 3 */
    long unknown_submit_seconds; /* then an unknown-fate submit fails as unknown */
    long engine_gather_ms;       /* a pass waits this long after the last to gather work */
    char *log_level;
    long sqlite_max_pages; /* for tests and operations: a size cap, 0 = none */
};

enum config_result { CONFIG_OK = 0, CONFIG_HELP = 1, CONFIG_ERROR = -1 };

/* Fills cfg from defaults, file, environment and argv. On CONFIG_ERROR a
 * reason is in err. */
enum config_result config_load(struct config *cfg, int argc, char **argv, char *err, size_t errlen);
void config_print_help(const char *argv0);
/* The HTTP worker threads to run: cfg->threads, or when 0 one per online
 * CPU plus one (a thread per core keeps a request's wait for a CPU short,
 * the extra one covers a thread held by a write; docs/benchmarks.md). */
unsigned config_http_threads(const struct config *cfg);
void config_free(struct config *cfg);

#endif
