/* main.c - campaignctl: the operator's command line for campaignd.
 * Picks the command, fills the settings from the environment (flags of the
 * command override them), runs it and exits with its status: 0 done, 1
 * failed (one error line on stderr), 2 a usage error. */
#include "ctl/ctl.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: campaignctl [--url URL] [--api-key KEY] COMMAND [ARGS...]\n"
    "\n"
    "Commands:\n"
    "  create --name N --agent-id A ...   create a campaign, print its id\n"
    "  upload CAMPAIGN FILE.csv          add recipients from a CSV, resumable\n"
    "  start|pause|resume|cancel CAMPAIGN\n"
    "  watch CAMPAIGN                    live counters until the campaign ends\n"
    "  export CAMPAIGN > out.csv         the recipients and their outcomes as CSV\n"
    "  ls                                the account's campaigns\n"
    "\n"
    "campaignctl COMMAND --help describes each.\n" CTL_SETTINGS_HELP;

struct command {
    const char *name;
    int (*run)(struct ctl *c, int argc, char **argv);
};

static const struct command commands[] = {
    {"upload", cmd_upload}, {"watch", cmd_watch}, {"export", cmd_export},
    {"create", cmd_create}, {"start", cmd_move},  {"pause", cmd_move},
    {"resume", cmd_move},   {"cancel", cmd_move}, {"ls", cmd_ls},
};

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error, reported */
    struct ctl c = {0};
    c.url = getenv("CAMPAIGND_URL");
    if (!c.url || !c.url[0])
        c.url = "http://127.0.0.1:8080";
    c.api_key = getenv("CAMPAIGND_API_KEY");

    /* settings may also come before the command */
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return CTL_OK;
        }
        const char **dst = strncmp(a, "--url", 5) == 0       ? &c.url
                           : strncmp(a, "--api-key", 9) == 0 ? &c.api_key
                                                             : NULL;
        size_t n = dst == &c.url ? 5 : 9;
        if (!dst || (a[n] != '\0' && a[n] != '=')) {
            ctl_error("unknown option %s (see campaignctl --help)", a);
            return CTL_USAGE;
        }
        if (a[n] == '=') {
            *dst = a + n + 1;
        } else if (i + 1 < argc) {
            *dst = argv[++i];
        } else {
            ctl_error("%s needs a value", a);
            return CTL_USAGE;
        }
    }
    if (i == argc) {
        fputs(usage, stderr);
        return CTL_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        fputs(usage, stdout);
        return CTL_OK;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(argv[i], commands[k].name) == 0) {
            int rc = commands[k].run(&c, argc - i, argv + i);
            ctl_close(&c);
            if (fflush(stdout) != 0 && rc == CTL_OK) {
                ctl_error("cannot write the output");
                rc = CTL_FAILED;
            }
            return rc;
        }
    }
    ctl_error("unknown command \"%s\" (see campaignctl --help)", argv[i]);
    return CTL_USAGE;
}
