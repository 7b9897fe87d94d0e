/* watch_view.c - see watch_view.h. Missing or mistyped fields read as 0 or
 * "?", so a server older or newer than campaignctl still shows something. */
#include "ctl/watch_view.h"
#include "ctl/progress.h"

#include <stdio.h>
#include <string.h>

static long long counter(const json_t *c, const char *name) {
    json_t *v = json_object_get(json_object_get(c, "counters"), name);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static const char *text(const json_t *c, const char *name) {
    const char *s = json_string_value(json_object_get(c, name));
    return s ? s : "?";
}

long long watch_finished(const json_t *c) {
    return counter(c, "succeeded") + counter(c, "failed");
}

int watch_is_over(const json_t *c) {
    const char *s = text(c, "status");
    return strcmp(s, "completed") == 0 || strcmp(s, "cancelled") == 0;
}

/* Appends one line cut to width columns (bytes: the text is ASCII but for
 * the campaign's name, which may be cut mid-character only past width). */
static void add_line(struct buf *out, int width, const char *line) {
    size_t n = strlen(line);
    if (width > 0 && n > (size_t)width)
        n = (size_t)width;
    buf_append(out, line, n);
    buf_append(out, "\n", 1);
}

static void dispositions(const json_t *c, int pretty, char *out, size_t size) {
    json_t *d = json_object_get(json_object_get(c, "counters"), "dispositions");
    const char *k;
    json_t *v;
    size_t used = 0;
    out[0] = '\0';
    json_object_foreach(d, k, v) {
        if (!json_is_integer(v) || json_integer_value(v) == 0)
            continue;
        char n[32];
        if (pretty)
            format_count((uint64_t)json_integer_value(v), n, sizeof n);
        else
            snprintf(n, sizeof n, "%lld", (long long)json_integer_value(v));
        int w = snprintf(out + used, size - used, pretty ? "%s%s %s" : "%s%s=%s",
                         used ? (pretty ? "  " : " ") : "", k, n);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
}

void watch_screen(const json_t *c, double rate, int width, struct buf *out) {
    char line[1024];
    snprintf(line, sizeof line, "%s  %s  [%s, %s]", text(c, "id"), text(c, "name"),
             text(c, "status"), text(c, "channel"));
    add_line(out, width, line);

    long long total = counter(c, "total"), done = watch_finished(c);
    char bar[64], n_done[32], n_total[32], n_rate[32], eta[16], rest[256];
    double fraction = total > 0 ? (double)done / (double)total : 0;
    format_count((uint64_t)done, n_done, sizeof n_done);
    format_count((uint64_t)total, n_total, sizeof n_total);
    if (rate >= 0)
        snprintf(n_rate, sizeof n_rate, "%.1f/s", rate);
    else
        snprintf(n_rate, sizeof n_rate, "-/s");
    format_duration(rate > 0 ? (double)(total - done) / rate : (done == total ? 0 : -1), eta,
                    sizeof eta);
    snprintf(rest, sizeof rest, "%3d%%  %s of %s finished  %s  ETA %s", (int)(fraction * 100),
             n_done, n_total, n_rate, eta);
    /* the bar takes what the numbers leave, up to 30 cells */
    int cells = width > 0 ? width - (int)strlen(rest) - 3 : 30;
    if (cells > 30)
        cells = 30;
    if (cells >= 5) {
        format_bar(fraction, cells, bar, sizeof bar);
        snprintf(line, sizeof line, "[%s] %s", bar, rest);
    } else {
        snprintf(line, sizeof line, "%s", rest);
    }
    add_line(out, width, line);

    char q[32], d[32], s[32], f[32];
    format_count((uint64_t)counter(c, "queued"), q, sizeof q);
    format_count((uint64_t)counter(c, "dispatched"), d, sizeof d);
    format_count((uint64_t)counter(c, "succeeded"), s, sizeof s);
    format_count((uint64_t)counter(c, "failed"), f, sizeof f);
    snprintf(line, sizeof line, "queued %s  dispatched %s  succeeded %s  failed %s", q, d, s, f);
    add_line(out, width, line);

    char disp[768];
    dispositions(c, 1, disp, sizeof disp);
    snprintf(line, sizeof line, "dispositions: %s", disp[0] ? disp : "none yet");
    add_line(out, width, line);
}

void watch_line(const json_t *c, double rate, struct buf *out) {
    char disp[768], r[32];
    dispositions(c, 0, disp, sizeof disp);
    if (rate >= 0)
        snprintf(r, sizeof r, "%.1f/s", rate);
    else
        snprintf(r, sizeof r, "-");
    buf_printf(
        out, "%s total=%lld queued=%lld dispatched=%lld succeeded=%lld failed=%lld rate=%s%s%s\n",
        text(c, "status"), counter(c, "total"), counter(c, "queued"), counter(c, "dispatched"),
        counter(c, "succeeded"), counter(c, "failed"), r, disp[0] ? " " : "", disp);
}
