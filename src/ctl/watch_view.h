/* watch_view.h - what `campaignctl watch` shows of a campaign: its status,
 * counters, the rate at which recipients finish, and the terminal
 * dispositions. Pure: formats a campaign object (jansson, borrowed) and a
 * rate into the caller's buffer. */
#ifndef CAMPAIGNCTL_WATCH_VIEW_H
#define CAMPAIGNCTL_WATCH_VIEW_H

#include "util/buf.h"

#include <jansson.h>

/* Recipients finished (succeeded + failed) in the campaign object. */
long long watch_finished(const json_t *campaign);
/* 1 when the campaign's status is completed or cancelled. */
int watch_is_over(const json_t *campaign);
/* The screen: several lines, each ended by "\n", at most width columns
 * (0 = no limit). rate: recipients finished a second, < 0 unknown. */
void watch_screen(const json_t *campaign, double rate, int width, struct buf *out);
/* One plain line (ended by "\n") for logs:
 * "running total=10 queued=3 dispatched=1 succeeded=5 failed=1 rate=2.5/s
 *  completed=5 busy=1" (dispositions that are not 0). */
void watch_line(const json_t *campaign, double rate, struct buf *out);

#endif
