/* config_test.c - tests of config.c: built-in defaults; the config file
 * (comments, blank lines, spaces, CRLF, underscores or dashes, unknown
 * setting, missing '=', bad or out-of-range numbers, missing file);
 * priority default < file < environment < flag; --flag=value and
 * --flag value; --config in both forms; --help / -h; bad flags. Every test
 * starts with no CAMPAIGND_* variable set and removes its temp files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void clear_env(void) {
    for (;;) {
        char name[256] = "";
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "CAMPAIGND_", 10) == 0) {
                const char *eq = strchr(*e, '=');
                size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
                if (n >= sizeof name)
                    n = sizeof name - 1;
                memcpy(name, *e, n);
                name[n] = '\0';
                break;
            }
        }
        if (name[0] == '\0')
            return;
        unsetenv(name);
    }
}

static int setup(void **state) {
    (void)state;
    clear_env();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    clear_env();
    return 0;
}

/* Writes text to a new temp file; returns its path (caller unlinks, frees). */
static char *temp_file(const char *text) {
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/campaignd-config-test-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return strdup(path);
}

static void remove_file(char *path) {
    unlink(path);
    free(path);
}

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static enum config_result load(struct config *cfg, int argc, char **argv, char *err,
                               size_t errlen) {
    memset(err, 0, errlen);
    return config_load(cfg, argc, argv, err, errlen);
}

static void test_defaults(void **state) {
    (void)state;
    struct config c;
    char err[256];
    char *argv[] = {"campaignd"};
    assert_int_equal(load(&c, ARGC(argv), argv, err, sizeof err), CONFIG_OK);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.database, "sqlite:campaignd.db");
    assert_null(c.admin_token);
    assert_string_equal(c.data_dir, ""); /* "": data/ beside the binary */
    assert_int_equal(c.threads, 0);      /* one per CPU, plus one */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(config_http_threads(&c), (unsigned)(cpus > 0 ? cpus : 1) + 1);
    assert_int_equal(c.sim_call_ms, 300);
    assert_int_equal(c.sim_report_ms, 200);
    assert_int_equal(c.webhook_allow_private, 0);
    assert_int_equal(c.default_voice_rate, 10);
    assert_int_equal(c.default_voice_burst, 1);
    assert_int_equal(c.default_voice_concurrency, 50);
    assert_int_equal(c.default_sms_rate, 30);
    assert_int_equal(c.default_sms_burst, 1);
    assert_int_equal(c.default_sms_concurrency, 100);
    assert_int_equal(c.default_whatsapp_rate, 80);
    assert_int_equal(c.default_whatsapp_burst, 1);
    assert_int_equal(c.default_whatsapp_concurrency, 100);
    assert_string_equal(c.log_level, "info");
    assert_int_equal(c.sqlite_max_pages, 0); /* no size cap */
    config_free(&c);
    assert_null(c.listen);
    assert_null(c.log_level);
    config_free(&c); /* twice is harmless */

    /* argc 0 or 1 both mean "no flags" */
    assert_int_equal(load(&c, 0, argv, err, sizeof err), CONFIG_OK);
    assert_int_equal(c.threads, 0);
    c.threads = 5; /* set: as it is */
    assert_int_equal(config_http_threads(&c), 5);
    config_free(&c);
}

static void test_file(void **state) {
    (void)state;
    char *path = temp_file("# campaignd settings\n"
                           "\n"
                           "   # indented comment\n"
                           "listen = 0.0.0.0:9090\n"
                           "database=sqlite:/var/lib/campaignd.db\n"
                           "  threads   =   16  \n"
                           "admin_token = s3cr3t=with=equals\n"
                           "data-dir = /srv/data\n"
                           "sim_call_ms = 0\r\n"
                           "webhook-allow-private = 1\n"
                           "default_whatsapp_concurrency = 1000000\n"
                           "log-level = debug"); /* no final newline */
    struct config c;
    char err[256];
    char arg[600];
    snprintf(arg, sizeof arg, "--config=%s", path);
    char *argv[] = {"campaignd", arg};
    if (load(&c, ARGC(argv), argv, err, sizeof err) != CONFIG_OK)
        fail_msg("config file refused: %s", err);
    assert_string_equal(c.listen, "0.0.0.0:9090");
    assert_string_equal(c.database, "sqlite:/var/lib/campaignd.db");
    assert_int_equal(c.threads, 16);
    assert_string_equal(c.admin_token, "s3cr3t=with=equals");
    assert_string_equal(c.data_dir, "/srv/data");
    assert_int_equal(c.sim_call_ms, 0);
    assert_int_equal(c.webhook_allow_private, 1);
    assert_int_equal(c.default_whatsapp_concurrency, 1000000);
    assert_string_equal(c.log_level, "debug");
    assert_int_equal(c.sim_report_ms, 200); /* untouched settings keep defaults */
    config_free(&c);

    /* --config FILE, the separate-argument form */
    char *argv2[] = {"campaignd", "--config", path};
    assert_int_equal(load(&c, ARGC(argv2), argv2, err, sizeof err), CONFIG_OK);
    assert_int_equal(c.threads, 16);
    config_free(&c);
    remove_file(path);
}

static void test_file_errors(void **state) {
    (void)state;
    static const struct {
        const char *text;
        const char *needles[3]; /* substrings the error must contain */
    } cases[] = {
        {"threads = 4\n\nbogus = 1\n", {"unknown setting", "bogus", ":3"}},
        {"Threads = 4\n", {"unknown setting", "Threads", ":1"}},
        {"config = other.conf\n", {"unknown setting", "config", NULL}},
        {"threads = many\n", {"threads", "many", ":1"}},
        {"threads = 4.5\n", {"threads", NULL, NULL}},
        {"threads = 0x10\n", {"threads", NULL, NULL}},
        {"threads = 4 # four\n", {"threads", NULL, NULL}},
        {"threads = \n", {"threads", NULL, NULL}},
        {"threads = 257\n", {"threads", "0..256", NULL}},
        {"threads = -4\n", {"threads", NULL, NULL}},
        {"threads = 99999999999999999999999\n", {"threads", NULL, NULL}},
        {"webhook_allow_private = 2\n", {"webhook-allow-private", NULL, NULL}},
        {"# ok\nlisten 0.0.0.0:80\n", {"expected name = value", ":2", NULL}},
        {"= 5\n", {"unknown setting", NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = temp_file(cases[i].text);
        char *argv[] = {"campaignd", "--config", path};
        struct config c;
        char err[512];
        enum config_result rc = load(&c, ARGC(argv), argv, err, sizeof err);
        config_free(&c);
        if (rc != CONFIG_ERROR)
            fail_msg("file %s: accepted", cases[i].text);
        if (strstr(err, path) == NULL)
            fail_msg("file %s: error \"%s\" does not name the file", cases[i].text, err);
        for (int k = 0; k < 3 && cases[i].needles[k]; k++)
            if (strstr(err, cases[i].needles[k]) == NULL)
                fail_msg("file %s: error \"%s\" lacks \"%s\"", cases[i].text, err,
                         cases[i].needles[k]);
        remove_file(path);
    }
}

static void test_missing_file(void **state) {
    (void)state;
    char *argv[] = {"campaignd", "--config=/nonexistent/dir/campaignd.conf"};
    struct config c;
    char err[256];
    assert_int_equal(load(&c, ARGC(argv), argv, err, sizeof err), CONFIG_ERROR);
    assert_non_null(strstr(err, "/nonexistent/dir/campaignd.conf"));
    config_free(&c);
    char *argv2[] = {"campaignd", "--config", "/nonexistent.conf", "--threads", "4"};
    assert_int_equal(load(&c, ARGC(argv2), argv2, err, sizeof err), CONFIG_ERROR);
    config_free(&c);
}

static void test_priority(void **state) {
    (void)state;
    char *path = temp_file("threads = 2\nlisten = file:1\nlog_level = warn\nsim-call-ms = 7\n");
    struct config c;
    char err[256];
    char cfgarg[600];
    snprintf(cfgarg, sizeof cfgarg, "--config=%s", path);

    /* file beats default */
    char *a1[] = {"campaignd", cfgarg};
    assert_int_equal(load(&c, ARGC(a1), a1, err, sizeof err), CONFIG_OK);
    assert_int_equal(c.threads, 2);
    assert_string_equal(c.listen, "file:1");
    config_free(&c);

    /* environment beats file */
    setenv("CAMPAIGND_THREADS", "3", 1);
    setenv("CAMPAIGND_LISTEN", "env:1", 1);
    assert_int_equal(load(&c, ARGC(a1), a1, err, sizeof err), CONFIG_OK);
    assert_int_equal(c.threads, 3);
    assert_string_equal(c.listen, "env:1");
    assert_string_equal(c.log_level, "warn"); /* from the file, no env */
    assert_int_equal(c.sim_call_ms, 7);
    config_free(&c);

    /* flag beats environment, whether before or after --config */
    char *a2[] = {"campaignd", "--threads", "5", cfgarg, "--listen=flag:1"};
    assert_int_equal(load(&c, ARGC(a2), a2, err, sizeof err), CONFIG_OK);
    assert_int_equal(c.threads, 5);
    assert_string_equal(c.listen, "flag:1");
    assert_string_equal(c.log_level, "warn");
    config_free(&c);

    /* the last of a repeated flag wins */
    char *a3[] = {"campaignd", "--threads=6", "--threads", "7"};
    assert_int_equal(load(&c, ARGC(a3), a3, err, sizeof err), CONFIG_OK);
    assert_int_equal(c.threads, 7);
    config_free(&c);
    remove_file(path);

    /* a later config file overrides an earlier one */
    clear_env();
    char *p1 = temp_file("threads = 11\nsim_report_ms = 1\n");
    char *p2 = temp_file("threads = 12\n");
    char *a4[] = {"campaignd", "--config", p1, "--config", p2};
    assert_int_equal(load(&c, ARGC(a4), a4, err, sizeof err), CONFIG_OK);
    assert_int_equal(c.threads, 12);
    assert_int_equal(c.sim_report_ms, 1);
    config_free(&c);
    remove_file(p1);
    remove_file(p2);
}

static void test_env(void **state) {
    (void)state;
    struct config c;
    char err[256];
    char *argv[] = {"campaignd"};
    setenv("CAMPAIGND_ADMIN_TOKEN", "tok", 1);
    setenv("CAMPAIGND_DEFAULT_SMS_RATE", "1000000", 1);
    setenv("CAMPAIGND_LOG_LEVEL", "error", 1);
    assert_int_equal(load(&c, ARGC(argv), argv, err, sizeof err), CONFIG_OK);
    assert_string_equal(c.admin_token, "tok");
    assert_int_equal(c.default_sms_rate, 1000000);
    assert_string_equal(c.log_level, "error");
    config_free(&c);

    /* an empty admin token means off */
    setenv("CAMPAIGND_ADMIN_TOKEN", "", 1);
    assert_int_equal(load(&c, ARGC(argv), argv, err, sizeof err), CONFIG_OK);
    assert_null(c.admin_token);
    config_free(&c);

    /* bad numbers from the environment are errors naming the variable */
    const char *bad[] = {"", "abc", "12abc", "0", "1000001", "-5", "1e3", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("CAMPAIGND_DEFAULT_SMS_RATE", bad[i], 1);
        if (load(&c, ARGC(argv), argv, err, sizeof err) != CONFIG_ERROR)
            fail_msg("CAMPAIGND_DEFAULT_SMS_RATE=\"%s\" accepted", bad[i]);
        assert_non_null(strstr(err, "CAMPAIGND_DEFAULT_SMS_RATE"));
        config_free(&c);
    }
}

static void test_flags(void **state) {
    (void)state;
    struct config c;
    char err[256];
    char *argv[] = {"campaignd",
                    "--listen",
                    "[::1]:8443",
                    "--database=sqlite:/tmp/x.db",
                    "--admin-token=a=b=c",
                    "--threads=256",
                    "--sim-call-ms",
                    "3600000",
                    "--webhook-allow-private=1",
                    "--default-voice-burst",
                    "1000000",
                    "--log-level",
                    "warn",
                    "--sqlite-max-pages=1024",
                    "--data-dir",
                    "--odd-dir"}; /* a text value may start with dashes */
    if (load(&c, ARGC(argv), argv, err, sizeof err) != CONFIG_OK)
        fail_msg("flags refused: %s", err);
    assert_string_equal(c.listen, "[::1]:8443");
    assert_string_equal(c.database, "sqlite:/tmp/x.db");
    assert_string_equal(c.admin_token, "a=b=c");
    assert_int_equal(c.threads, 256);
    assert_int_equal(c.sim_call_ms, 3600000);
    assert_int_equal(c.webhook_allow_private, 1);
    assert_int_equal(c.default_voice_burst, 1000000);
    assert_string_equal(c.log_level, "warn");
    assert_string_equal(c.data_dir, "--odd-dir");
    assert_int_equal(c.sqlite_max_pages, 1024);
    config_free(&c);

    char *empty[] = {"campaignd", "--admin-token="};
    assert_int_equal(load(&c, ARGC(empty), empty, err, sizeof err), CONFIG_OK);
    assert_null(c.admin_token);
    config_free(&c);
}

static void test_flag_errors(void **state) {
    (void)state;
    static const struct {
        const char *args[4];
        const char *needle;
    } cases[] = {
        {{"--bogus", "1"}, "--bogus"},
        {{"--threads"}, "threads"},
        {{"--threads=abc"}, "--threads"},
        {{"--threads", "-1"}, "--threads"},
        {{"--threads", "257"}, "--threads"},
        {{"--threads="}, "--threads"},
        {{"--threads", " "}, "--threads"},
        {{"--listen"}, "listen"},
        {{"positional"}, "positional"},
        {{"-t", "4"}, "-t"},
        {{"--"}, "--"},
        {{"---threads=4"}, "---threads"},
        {{"--THREADS=4"}, "--THREADS"},
        {{"--admin_token=x"}, "--admin_token"}, /* flags use dashes only */
        {{"--threads", "4", "extra"}, "extra"},
        {{"--threads=4", "--listen"}, "listen"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[5] = {"campaignd"};
        int argc = 1;
        for (int k = 0; k < 4 && cases[i].args[k]; k++)
            argv[argc++] = (char *)cases[i].args[k];
        struct config c;
        char err[256];
        enum config_result rc = load(&c, argc, argv, err, sizeof err);
        config_free(&c);
        if (rc != CONFIG_ERROR)
            fail_msg("case %zu (%s ...) accepted", i, argv[1]);
        if (strstr(err, cases[i].needle) == NULL)
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, cases[i].needle);
    }
}

static void test_help(void **state) {
    (void)state;
    struct config c;
    char err[64];
    char *a1[] = {"campaignd", "--help"};
    assert_int_equal(load(&c, ARGC(a1), a1, err, sizeof err), CONFIG_HELP);
    config_free(&c);
    char *a2[] = {"campaignd", "-h"};
    assert_int_equal(load(&c, ARGC(a2), a2, err, sizeof err), CONFIG_HELP);
    config_free(&c);
    /* help wins over a bad flag or a missing config file */
    char *a3[] = {"campaignd", "--threads=-1", "--help"};
    assert_int_equal(load(&c, ARGC(a3), a3, err, sizeof err), CONFIG_HELP);
    config_free(&c);
    char *a4[] = {"campaignd", "--help", "--config", "/nonexistent/x.conf"};
    assert_int_equal(load(&c, ARGC(a4), a4, err, sizeof err), CONFIG_HELP);
    config_free(&c);
}

static void test_help_text(void **state) {
    (void)state;
    char *path = temp_file("");
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    config_print_help("campaignd");
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);

    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    remove_file(path);

    const char *needles[] = {"usage: campaignd",
                             "--config",
                             "--listen",
                             "CAMPAIGND_LISTEN",
                             "127.0.0.1:8080",
                             "--threads",
                             "CAMPAIGND_THREADS",
                             "--admin-token",
                             "unset",
                             "--webhook-allow-private",
                             "--default-whatsapp-concurrency",
                             "CAMPAIGND_DEFAULT_WHATSAPP_CONCURRENCY",
                             "--log-level",
                             "--sqlite-max-pages",
                             "CAMPAIGND_SQLITE_MAX_PAGES"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        if (strstr(text, needles[i]) == NULL)
            fail_msg("help text lacks \"%s\"", needles[i]);
}

static void test_small_error_buffer(void **state) {
    (void)state;
    char err[16];
    memset(err, '#', sizeof err);
    char *argv[] = {"campaignd", "--a-very-long-unknown-flag-name-indeed=1"};
    struct config c;
    assert_int_equal(config_load(&c, ARGC(argv), argv, err, 8), CONFIG_ERROR);
    config_free(&c);
    assert_non_null(memchr(err, '\0', 8));
    for (int i = 8; i < 16; i++)
        assert_int_equal(err[i], '#');
}

/* A line longer than the reader's buffer is never silently truncated: the
 * setting gets the whole value or the file is refused. */
static void test_long_line_not_truncated(void **state) {
    (void)state;
    size_t n = 5000;
    char *text = malloc(n + 32);
    assert_non_null(text);
    int k = snprintf(text, n + 32, "admin_token = ");
    memset(text + k, 't', n);
    snprintf(text + k + n, 32, "\n");
    char *path = temp_file(text);
    char *argv[] = {"campaignd", "--config", path};
    struct config c;
    char err[512];
    enum config_result rc = load(&c, ARGC(argv), argv, err, sizeof err);
    if (rc == CONFIG_OK)
        assert_int_equal(strlen(c.admin_token), n);
    config_free(&c);
    remove_file(path);
    free(text);
}

/* Regression (fixed): load_file reads with fgets into a 4096-byte buffer and treats the
 * rest of a longer line as a new line, so the tail of a long comment
 * becomes a live setting (and later errors report the wrong line). */
static void test_long_comment_leaks_bug(void **state) {
    (void)state;
    char text[4200];
    int k = snprintf(text, sizeof text, "# ");
    memset(text + k, 'x', 4093);
    snprintf(text + k + 4093, sizeof text - (size_t)k - 4093, "threads = 200\n");
    char *path = temp_file(text);
    char *argv[] = {"campaignd", "--config", path};
    struct config c;
    char err[512];
    enum config_result rc = load(&c, ARGC(argv), argv, err, sizeof err);
    long threads = c.threads;
    config_free(&c);
    remove_file(path);
    assert_int_equal(rc, CONFIG_OK);
    assert_int_equal(threads, 0); /* the comment must not set anything: the default stays */
}

/* Regression (fixed): a config file that opens but cannot be read (a directory: fgets
 * fails with EISDIR) is silently taken as empty; read errors are not
 * checked (no ferror after the fgets loop). */
static void test_config_unreadable_file_bug(void **state) {
    (void)state;
    struct config c;
    char err[256];
    char *argv[] = {"campaignd", "--config", "/"};
    enum config_result rc = load(&c, ARGC(argv), argv, err, sizeof err);
    config_free(&c);
    assert_int_equal(rc, CONFIG_ERROR);
}

/* Regression (fixed): a trailing "--config" with no file is silently ignored (CONFIG_OK),
 * while every other flag without a value is an error ("needs a value"). */
static void test_config_flag_without_value_bug(void **state) {
    (void)state;
    struct config c;
    char err[256];
    char *argv[] = {"campaignd", "--config"};
    enum config_result rc = load(&c, ARGC(argv), argv, err, sizeof err);
    config_free(&c);
    assert_int_equal(rc, CONFIG_ERROR);
}

/* The public URL: http:// + listen by default, a trailing '/' dropped,
 * http(s) only; provider-allow-private off by default. */
static void test_public_url(void **state) {
    (void)state;
    struct config c;
    char err[256];
    char *plain[] = {"campaignd", "--listen", "0.0.0.0:9000"};
    assert_int_equal(load(&c, ARGC(plain), plain, err, sizeof err), CONFIG_OK);
    assert_string_equal(c.public_url, "http://0.0.0.0:9000");
    assert_int_equal(c.provider_allow_private, 0);
    config_free(&c);
    setenv("CAMPAIGND_PUBLIC_URL", "https://campaignd.example.com/prefix//", 1);
    setenv("CAMPAIGND_PROVIDER_ALLOW_PRIVATE", "1", 1);
    char *none[] = {"campaignd"};
    assert_int_equal(load(&c, ARGC(none), none, err, sizeof err), CONFIG_OK);
    assert_string_equal(c.public_url, "https://campaignd.example.com/prefix");
    assert_int_equal(c.provider_allow_private, 1);
    config_free(&c);
    char *bad[] = {"campaignd", "--public-url", "ftp://x"};
    assert_int_equal(load(&c, ARGC(bad), bad, err, sizeof err), CONFIG_ERROR);
    assert_non_null(strstr(err, "public-url"));
    config_free(&c);
}

/* The default node id: "local" on SQLite (one process per database), a
 * new random one per start on PostgreSQL; a given one is kept. */
static void test_node_id(void **state) {
    (void)state;
    struct config c;
    char err[256];
    char *sqlite[] = {"campaignd", "--database", "sqlite:/tmp/x.db"};
    assert_int_equal(load(&c, ARGC(sqlite), sqlite, err, sizeof err), CONFIG_OK);
    assert_string_equal(c.node_id, "local");
    config_free(&c);
    char *pg[] = {"campaignd", "--database", "postgres://u@h/db"};
    assert_int_equal(load(&c, ARGC(pg), pg, err, sizeof err), CONFIG_OK);
    char first[128];
    snprintf(first, sizeof first, "%s", c.node_id);
    assert_int_equal(strncmp(first, "node_", 5), 0);
    config_free(&c);
    assert_int_equal(load(&c, ARGC(pg), pg, err, sizeof err), CONFIG_OK);
    assert_string_not_equal(c.node_id, first);
    config_free(&c);
    char *given[] = {"campaignd", "--node-id", "n1"};
    assert_int_equal(load(&c, ARGC(given), given, err, sizeof err), CONFIG_OK);
    assert_string_equal(c.node_id, "n1");
    config_free(&c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_file),
        T(test_file_errors),
        T(test_missing_file),
        T(test_priority),
        T(test_env),
        T(test_flags),
        T(test_flag_errors),
        T(test_help),
        T(test_help_text),
        T(test_small_error_buffer),
        T(test_long_line_not_truncated),
        T(test_config_flag_without_value_bug),
        T(test_config_unreadable_file_bug),
        T(test_long_comment_leaks_bug),
        T(test_public_url),
        T(test_node_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
