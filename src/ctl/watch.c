/* watch.c - `campaignctl watch CAMPAIGN`: polls the campaign every
 * interval and shows its counters, the rate at which recipients finish
 * (over the last few polls) and the dispositions, until the campaign is
 * completed or cancelled. On a terminal the screen (watch_view.c) is
 * redrawn in place; otherwise a plain line is printed whenever the
 * counters change. Output goes to stdout. */
#include "ctl/ctl.h"
#include "ctl/watch_view.h"
#include "util/alloc.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: campaignctl watch CAMPAIGN [--interval SECONDS]\n"
    "\n"
    "Shows a campaign's status, counters, finishing rate and dispositions, and\n"
    "redraws them until the campaign is completed or cancelled (exit 0). On a\n"
    "terminal the screen is redrawn in place; otherwise one line is printed each\n"
    "time the counters change.\n"
    "\n"
    "  --interval S     seconds between polls, 0.1..60 (default 1)\n" CTL_SETTINGS_HELP;

#define RATE_SAMPLES 8

struct sample {
    double t;
    long long finished;
};

static int terminal_width(void) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static void nap(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

int cmd_watch(struct ctl *c, int argc, char **argv) {
    const char *pos[1], *interval_opt = NULL;
    const struct ctl_opt opts[] = {{"interval", 1, &interval_opt, NULL}, {NULL, 0, NULL, NULL}};
    int done = ctl_command_args(c, argc, argv, opts, usage, pos, 1, "CAMPAIGN");
    if (done >= 0)
        return done;
    double interval = 1.0;
    if (interval_opt) {
        char *end;
        interval = strtod(interval_opt, &end);
        if (*end || end == interval_opt || !(interval >= 0.1 && interval <= 60)) {
            ctl_error("watch: --interval must be 0.1..60 seconds");
            return CTL_USAGE;
        }
    }
    char *path = ctl_path("/v1/campaigns/%s", pos[0]);
    int tty = isatty(STDOUT_FILENO);
    struct sample samples[RATE_SAMPLES];
    size_t nsamples = 0;
    int drawn = 0; /* lines of the last screen */
    struct buf last, now;
    buf_init(&last, 1 << 20);
    buf_init(&now, 1 << 20);
    int status = CTL_FAILED;
    for (;;) {
        json_t *camp = NULL;
        if (ctl_json(c, "GET", path, NULL, "watch", &camp) != 0)
            break;
        double t = (double)clock_mono_ns() / 1e9;
        long long finished = watch_finished(camp);
        if (nsamples == RATE_SAMPLES) {
            memmove(samples, samples + 1, (RATE_SAMPLES - 1) * sizeof *samples);
            nsamples--;
        }
        samples[nsamples++] = (struct sample){t, finished};
        double rate = -1;
        if (nsamples > 1 && t > samples[0].t)
            rate = (double)(finished - samples[0].finished) / (t - samples[0].t);
        buf_reset(&now);
        if (tty) {
            watch_screen(camp, rate, terminal_width() - 1, &now);
            if (drawn)
                printf("\033[%dA\033[J", drawn); /* back to the top of the last screen */
            fwrite(now.data, 1, now.len, stdout);
            drawn = 0;
            for (size_t i = 0; i < now.len; i++)
                drawn += now.data[i] == '\n';
        } else {
            /* a line when the counters change (the rate alone does not count) */
            watch_line(camp, -1, &now);
            if (last.len != now.len || memcmp(last.data, now.data, now.len) != 0) {
                buf_reset(&last);
                buf_append(&last, now.data, now.len);
                buf_reset(&now);
                watch_line(camp, rate, &now);
                fwrite(now.data, 1, now.len, stdout);
            }
        }
        fflush(stdout);
        int over = watch_is_over(camp);
        json_decref(camp);
        if (over) {
            status = CTL_OK;
            break;
        }
        nap(interval);
    }
    buf_free(&last);
    buf_free(&now);
    free(path);
    return status;
}
