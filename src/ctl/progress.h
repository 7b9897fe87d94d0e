/* progress.h - the text campaignctl shows while it works: the upload's
 * progress bar (one line redrawn on a terminal), its plain line (one per
 * chunk when the output is not a terminal), and the number and duration
 * formats they share. Pure: every function formats what it is given into
 * the caller's buffer (always NUL-terminated, cut to fit). */
#ifndef CAMPAIGNCTL_PROGRESS_H
#define CAMPAIGNCTL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct upload_progress {
    uint64_t rows_total, rows_done;
    uint64_t accepted, invalid, duplicates;
    size_t chunks_total, chunks_done, chunks_replayed;
    int last_replayed; /* the last chunk was already on the server (a rerun) */
    double elapsed_s;
};

/* 1234567 -> "1,234,567". */
void format_count(uint64_t n, char *out, size_t size);
/* Seconds as "0:07", "12:34" or "3:02:01"; negative or not finite: "--:--". */
void format_duration(double s, char *out, size_t size);
/* Rows a second so far (0 before any time has passed). */
double progress_rate(const struct upload_progress *p);
/* Seconds left at the rate so far; -1 when unknown. */
double progress_eta(const struct upload_progress *p);
/* The terminal line, at most width columns:
 *  " 45% [#########>          ] 45,000/100,000 rows  12,345 rows/s  ETA 0:04
 *   accepted 44,990  invalid 5  duplicates 5"
 * (one line; the bar shrinks, then goes, on a narrow terminal). */
void progress_bar(const struct upload_progress *p, int width, char *out, size_t size);
/* The plain line of one chunk, for logs:
 * "chunk 3/10: 30000/100000 rows (30%), 12345 rows/s, accepted 29990,
 *  invalid 5, duplicates 5, ETA 0:06" (one line). */
void progress_line(const struct upload_progress *p, char *out, size_t size);

/* A bar of width cells filled to fraction (0..1): "#####>    ". */
void format_bar(double fraction, int width, char *out, size_t size);

#endif
