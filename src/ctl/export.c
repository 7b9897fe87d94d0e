/* export.c - `campaignctl export CAMPAIGN > out.csv`: streams the
 * campaign's recipients (GET .../recipients/export, gzip on the wire) to
 * stdout as they arrive, in constant memory. A transfer cut short is an
 * error (exit 1), so a partial file is never taken for a whole one. */
#include "ctl/ctl.h"
#include "util/alloc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: campaignctl export CAMPAIGN [--status S] [--disposition D] > out.csv\n"
    "\n"
    "Writes the campaign's recipients as CSV to stdout, in upload order, with\n"
    "the columns id, phone_number, status, disposition, attempts,\n"
    "last_attempt_at, last_call_id, last_message_id, params (JSON).\n"
    "\n"
    "  --status S        only recipients in status S (queued, dispatched,\n"
    "                    succeeded, failed)\n"
    "  --disposition D   only recipients with disposition D (completed,\n"
    "                    no_answer, busy, ...)\n" CTL_SETTINGS_HELP;

static void add_query(struct buf *b, const char *name, const char *value) {
    if (!value)
        return;
    char *esc = curl_easy_escape(NULL, value, 0);
    buf_printf(b, "%c%s=%s", b->len && memchr(b->data, '?', b->len) ? '&' : '?', name,
               esc ? esc : "");
    curl_free(esc);
}

int cmd_export(struct ctl *c, int argc, char **argv) {
    const char *pos[1], *status_opt = NULL, *disposition_opt = NULL;
    const struct ctl_opt opts[] = {{"status", 1, &status_opt, NULL},
                                   {"disposition", 1, &disposition_opt, NULL},
                                   {NULL, 0, NULL, NULL}};
    int done = ctl_command_args(c, argc, argv, opts, usage, pos, 1, "CAMPAIGN");
    if (done >= 0)
        return done;
    char *base = ctl_path("/v1/campaigns/%s/recipients/export", pos[0]);
    struct buf path;
    buf_init(&path, 1 << 16);
    buf_appends(&path, base);
    free(base);
    add_query(&path, "status", status_opt);
    add_query(&path, "disposition", disposition_opt);
    fflush(stdout);
    int rc = ctl_download(c, path.data, STDOUT_FILENO, "export");
    buf_free(&path);
    return rc == 0 ? CTL_OK : CTL_FAILED;
}
