/* progress.c - see progress.h. Counts are printed with thousands
 * separators on a terminal and bare in plain lines (easy to grep). */
#include "ctl/progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void format_count(uint64_t n, char *out, size_t size) {
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    char tmp[48];
    size_t w = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            tmp[w++] = ',';
        tmp[w++] = digits[i];
    }
    if (size == 0)
        return;
    if (w > size - 1)
        w = size - 1;
    memcpy(out, tmp, w);
    out[w] = '\0';
}

void format_duration(double s, char *out, size_t size) {
    if (!isfinite(s) || s < 0 || s > 360000.0 * 24) {
        snprintf(out, size, "--:--");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, size, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, size, "%lu:%02lu", t / 60, t % 60);
}

double progress_rate(const struct upload_progress *p) {
    return p->elapsed_s > 0 ? (double)p->rows_done / p->elapsed_s : 0;
}

double progress_eta(const struct upload_progress *p) {
    double rate = progress_rate(p);
    if (p->rows_done >= p->rows_total)
        return 0;
    return rate > 0 ? (double)(p->rows_total - p->rows_done) / rate : -1;
}

void format_bar(double fraction, int width, char *out, size_t size) {
    if (size == 0)
        return;
    if (width < 0)
        width = 0;
    if ((size_t)width >= size)
        width = (int)size - 1;
    if (!(fraction >= 0))
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    int full = (int)(fraction * width);
    for (int i = 0; i < width; i++)
        out[i] = i < full ? '#' : (i == full && full < width && fraction > 0 ? '>' : ' ');
    out[width] = '\0';
}

static int percent(const struct upload_progress *p) {
    if (p->rows_total == 0)
        return 100;
    return (int)(100 * p->rows_done / p->rows_total);
}

void progress_bar(const struct upload_progress *p, int width, char *out, size_t size) {
    char done[32], total[32], rate[32], acc[32], inv[32], dup[32], eta[16];
    format_count(p->rows_done, done, sizeof done);
    format_count(p->rows_total, total, sizeof total);
    format_count((uint64_t)(progress_rate(p) + 0.5), rate, sizeof rate);
    format_count(p->accepted, acc, sizeof acc);
    format_count(p->invalid, inv, sizeof inv);
    format_count(p->duplicates, dup, sizeof dup);
    format_duration(progress_eta(p), eta, sizeof eta);
    char tail[320];
    snprintf(tail, sizeof tail,
             " %s/%s rows  %s rows/s  accepted %s  invalid %s  duplicates %s  ETA %s", done, total,
             rate, acc, inv, dup, eta);
    char head[8];
    snprintf(head, sizeof head, "%3d%% ", percent(p));
    int room = width - (int)strlen(head) - (int)strlen(tail) - 2; /* the brackets */
    if (room >= 10) {
        char bar[256];
        format_bar(p->rows_total ? (double)p->rows_done / (double)p->rows_total : 1.0,
                   room > 50 ? 50 : room, bar, sizeof bar);
        snprintf(out, size, "%s[%s]%s", head, bar, tail);
    } else {
        snprintf(out, size, "%s%s", head, tail + 1);
    }
    if (width > 0 && strlen(out) > (size_t)width && (size_t)width < size)
        out[width] = '\0';
}

void progress_line(const struct upload_progress *p, char *out, size_t size) {
    char eta[16];
    format_duration(progress_eta(p), eta, sizeof eta);
    snprintf(out, size,
             "chunk %zu/%zu%s: %llu/%llu rows (%d%%), %.0f rows/s, accepted %llu, invalid %llu, "
             "duplicates %llu, ETA %s",
             p->chunks_done, p->chunks_total, p->last_replayed ? " (already uploaded)" : "",
             (unsigned long long)p->rows_done, (unsigned long long)p->rows_total, percent(p),
             progress_rate(p), (unsigned long long)p->accepted, (unsigned long long)p->invalid,
             (unsigned long long)p->duplicates, eta);
}
