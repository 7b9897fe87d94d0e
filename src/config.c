/* config.c - the settings table and its four sources, see config.h. */
#include "config.h"
#include "util/alloc.h"
#include "util/ids.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { TEXT, NUMBER };

struct setting {
    const char *name; /* flag and config-file key */
    const char *env;
    enum kind kind;
    size_t offset;
    const char *def; /* NULL = unset */
    long min, max;
    const char *help;
};

#define T(field) TEXT, offsetof(struct config, field)
#define N(field) NUMBER, offsetof(struct config, field)

static const struct setting settings[] = {
    {"listen", "CAMPAIGND_LISTEN", T(listen), "127.0.0.1:8080", 0, 0,
     "address:port to serve HTTP on"},
    {"database", "CAMPAIGND_DATABASE", T(database), "sqlite:campaignd.db", 0, 0,
     "sqlite:PATH or a PostgreSQL URL (postgres://...)"},
    {"admin-token", "CAMPAIGND_ADMIN_TOKEN", T(admin_token), NULL, 0, 0,
     "bearer token for /v1/admin/ (unset: the admin API answers 404)"},
    {"data-dir", "CAMPAIGND_DATA_DIR", T(data_dir), "", 0, 0,
     "folder of phone-number data (timezones/map_data.txt); default: data/ beside the binary"},
    {"threads", "CAMPAIGND_THREADS", N(threads), "0", 0, 256,
     "HTTP worker threads (0: one per CPU, plus one)"},
    {"sim-call-ms", "CAMPAIGND_SIM_CALL_MS", N(sim_call_ms), "300", 0, 3600000,
     "how long a simulated call lasts, ms"},
    {"sim-report-ms", "CAMPAIGND_SIM_REPORT_MS", N(sim_report_ms), "200", 0, 3600000,
     "delay of each simulated message status report, ms"},
    {"webhook-allow-private", "CAMPAIGND_WEBHOOK_ALLOW_PRIVATE", N(webhook_allow_private), "0", 0,
     1, "1 lets webhooks reach loopback and private addresses"},
    {"public-url", "CAMPAIGND_PUBLIC_URL", T(public_url), NULL, 0, 0,
     "the base URL at which providers reach this server: every provider callback URL starts "
     "with it and signatures are checked against it (default: http:// + listen)"},
    {"provider-allow-private", "CAMPAIGND_PROVIDER_ALLOW_PRIVATE", N(provider_allow_private), "0",
     0, 1, "1 lets providers' base_url be a loopback or private address (tests, development)"},
    {"default-voice-rate", "CAMPAIGND_DEFAULT_VOICE_RATE", N(default_voice_rate), "10", 1, 1000000,
     "default-voice carrier: calls started per second"},
    {"default-voice-burst", "CAMPAIGND_DEFAULT_VOICE_BURST", N(default_voice_burst), "1", 1,
     1000000, "default-voice carrier: most calls started at once"},
    {"default-voice-concurrency", "CAMPAIGND_DEFAULT_VOICE_CONCURRENCY",
     N(default_voice_concurrency), "50", 1, 1000000, "default-voice carrier: most calls in flight"},
    {"default-sms-rate", "CAMPAIGND_DEFAULT_SMS_RATE", N(default_sms_rate), "30", 1, 1000000,
     "default-sms carrier: messages submitted per second"},
    {"default-sms-burst", "CAMPAIGND_DEFAULT_SMS_BURST", N(default_sms_burst), "1", 1, 1000000,
     "default-sms carrier: most messages submitted at once"},
    {"default-sms-concurrency", "CAMPAIGND_DEFAULT_SMS_CONCURRENCY", N(default_sms_concurrency),
     "100", 1, 1000000, "default-sms carrier: most submits awaiting the provider"},
    {"default-whatsapp-rate", "CAMPAIGND_DEFAULT_WHATSAPP_RATE", N(default_whatsapp_rate), "80", 1,
     1000000, "default-whatsapp carrier: messages per second per sender and category"},
    {"default-whatsapp-burst", "CAMPAIGND_DEFAULT_WHATSAPP_BURST", N(default_whatsapp_burst), "1",
     1, 1000000, "default-whatsapp carrier: most messages submitted at once"},
    {"default-whatsapp-concurrency", "CAMPAIGND_DEFAULT_WHATSAPP_CONCURRENCY",
     N(default_whatsapp_concurrency), "100", 1, 1000000,
     "default-whatsapp carrier: most submits awaiting the provider"},
    {"node-id", "CAMPAIGND_NODE_ID", T(node_id), NULL, 0, 0,
     "this node's name on the attempts it claims (default: \"local\" on SQLite, the one "
     "process of its database; a random id per start on PostgreSQL)"},
    {"lease-ms", "CAMPAIGND_LEASE_MS", N(lease_ms), "3000", 1000, 3600000,
     "how long a claimed attempt stays this node's without renewal, ms (renewed every third)"},
    {"unknown-submit-seconds", "CAMPAIGND_UNKNOWN_SUBMIT_SECONDS", N(unknown_submit_seconds),
     "3600", 1, 31 * 86400,
     "an attempt whose submit's fate is unknown (never sent again) waits this long for its "
     "provider's report, then fails with disposition unknown"},
    {"engine-gather-ms", "CAMPAIGND_ENGINE_GATHER_MS", N(engine_gather_ms), "0", 0, 100,
     "providers' reports and a lane's claims wait up to this long after the engine's last pass "
     "to go in one pass (claims by at most half of what the lane's burst allows), ms"},
    {"log-level", "CAMPAIGND_LOG_LEVEL", T(log_level), "info", 0, 0, "debug, info, warn or error"},
    {"sqlite-max-pages", "CAMPAIGND_SQLITE_MAX_PAGES", N(sqlite_max_pages), "0", 0, 2147483647,
     "for tests and operations: cap the SQLite database at this many pages (PRAGMA "
     "max_page_count; 4 KiB each); writes past it fail as on a full disk. 0 = no cap"},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static int apply(struct config *cfg, const struct setting *s, const char *value, const char *src,
                 char *err, size_t errlen) {
    char *field = (char *)cfg + s->offset;
    if (s->kind == TEXT) {
        char **p = (char **)field;
        free(*p);
        *p = xstrdup(value);
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < s->min || v > s->max) {
        snprintf(err, errlen, "%s: %s must be an integer %ld..%ld, got \"%s\"", src, s->name,
                 s->min, s->max, value);
        return -1;
    }
    *(long *)field = v;
    return 0;
}

static const struct setting *find(const char *name, size_t n) {
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strlen(settings[i].name) == n && strncmp(settings[i].name, name, n) == 0)
            return &settings[i];
    return NULL;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int load_file(struct config *cfg, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *l = trim(line);
        if (*l == '\0' || *l == '#')
            continue;
        char *eq = strchr(l, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected name = value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(l), *value = trim(eq + 1);
        for (char *p = key; *p; p++)
            if (*p == '_')
                *p = '-';
        const struct setting *s = find(key, strlen(key));
        if (!s) {
            snprintf(err, errlen, "%s:%d: unknown setting \"%s\"", path, lineno, key);
            rc = -1;
            break;
        }
        char src[512];
        snprintf(src, sizeof src, "%s:%d", path, lineno);
        rc = apply(cfg, s, value, src, err, errlen);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

enum config_result config_load(struct config *cfg, int argc, char **argv, char *err,
                               size_t errlen) {
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].def && apply(cfg, &settings[i], settings[i].def, "default", err, errlen))
            return CONFIG_ERROR;
    /* the config file comes first, wherever --config stands */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return CONFIG_HELP;
        const char *path = NULL;
        if (strcmp(argv[i], "--config") == 0 && i + 1 >= argc) {
            snprintf(err, errlen, "flag --config needs a value");
            return CONFIG_ERROR;
        }
        if (strcmp(argv[i], "--config") == 0)
            path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
        if (path && load_file(cfg, path, err, errlen))
            return CONFIG_ERROR;
    }
    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *v = getenv(settings[i].env);
        if (v && apply(cfg, &settings[i], v, settings[i].env, err, errlen))
            return CONFIG_ERROR;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", arg);
            return CONFIG_ERROR;
        }
        arg += 2;
        const char *eq = strchr(arg, '=');
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        if (n == 6 && strncmp(arg, "config", 6) == 0) {
            if (!eq)
                i++;
            continue;
        }
        const struct setting *s = find(arg, n);
        if (!s) {
            snprintf(err, errlen, "unknown flag \"%s\" (see --help)", argv[i]);
            return CONFIG_ERROR;
        }
        if (!value) {
            snprintf(err, errlen, "flag --%s needs a value", s->name);
            return CONFIG_ERROR;
        }
        if (!eq)
            i++;
        char src[64];
        snprintf(src, sizeof src, "--%s", s->name);
        if (apply(cfg, s, value, src, err, errlen))
            return CONFIG_ERROR;
    }
    if (strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") &&
        strcmp(cfg->log_level, "warn") && strcmp(cfg->log_level, "error")) {
        snprintf(err, errlen, "log-level must be debug, info, warn or error, got \"%s\"",
                 cfg->log_level);
        return CONFIG_ERROR;
    }
    if (cfg->node_id && (cfg->node_id[0] == '\0' || strlen(cfg->node_id) > 64)) {
        snprintf(err, errlen, "node-id must be 1..64 characters");
        return CONFIG_ERROR;
    }
    if (!cfg->node_id && strncmp(cfg->database, "sqlite:", 7) == 0) {
        /* SQLite has one process per database (store_options.exclusive
         * holds it): a restart is the same node, which takes its attempts
         * in flight back at once instead of after their lease */
        cfg->node_id = xstrdup(CONFIG_SQLITE_NODE_ID);
    } else if (!cfg->node_id) { /* several nodes: a new one per process start */
        char id[IDS_MAX_LEN];
        ids_new("node_", id);
        cfg->node_id = xstrdup(id);
    }
    if (!cfg->public_url || cfg->public_url[0] == '\0') {
        free(cfg->public_url);
        cfg->public_url = xasprintf("http://%s", cfg->listen);
    }
    for (size_t n = strlen(cfg->public_url); n > 0 && cfg->public_url[n - 1] == '/'; n--)
        cfg->public_url[n - 1] = '\0'; /* callback paths start with '/' */
    if (strncmp(cfg->public_url, "http://", 7) != 0 && strncmp(cfg->public_url, "https://", 8)) {
        snprintf(err, errlen, "public-url must be an http:// or https:// URL, got \"%s\"",
                 cfg->public_url);
        return CONFIG_ERROR;
    }
    if (cfg->admin_token && cfg->admin_token[0] == '\0') {
        free(cfg->admin_token);
        cfg->admin_token = NULL;
    }
    return CONFIG_OK;
}

unsigned config_http_threads(const struct config *cfg) {
    if (cfg->threads > 0)
        return (unsigned)cfg->threads;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    return (unsigned)(cpus + 1 > 256 ? 256 : cpus + 1);
}

void config_print_help(const char *argv0) {
    printf("usage: %s [--config FILE] [--SETTING VALUE ...]\n\n"
           "campaignd serves the campaigns API (see docs/openapi.yaml).\n"
           "Every setting comes from, in rising priority: its default, the config file\n"
           "(lines of \"setting = value\"), its environment variable, its flag.\n\n",
           argv0);
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        printf("  --%-30s %s\n  %-32s %s (default: %s)\n\n", s->name, s->env, "", s->help,
               s->def ? s->def : "unset");
    }
}

void config_free(struct config *cfg) {
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].kind == TEXT) {
            char **p = (char **)((char *)cfg + settings[i].offset);
            free(*p);
            *p = NULL;
        }
}
