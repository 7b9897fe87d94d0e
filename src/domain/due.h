/* due.h - when may a queued recipient run: the one place that says so.
 *
 * The earliest instant a queued recipient may be attempted is the latest of
 * now, its own due_at (a retry's wait, a throttle's back-off, a deferral to
 * its window's opening), the campaign's schedule.start_at and then the next
 * opening of its call window at or after that (in its own zones with
 * timezone "recipient"). Zones whose windows never meet have no opening:
 * the answer is then a day ahead (looked at again daily).
 * At or after schedule.end_at nothing runs: queued recipients expire.
 *
 * Its callers: the engine (per lane and campaign, without the window, which
 * it leaves to the turn: due_lane_ready and due_earliest over next_due),
 * the store at a recipient's turn (through turn_decide), and the API's
 * next_attempt_at. Pure (time is an argument); thread-safe. */
#ifndef CAMPAIGND_DUE_H
#define CAMPAIGND_DUE_H

#include "domain/window.h"

#include <stdint.h>

#define DUE_NEVER INT64_MAX
#define DUE_RECHECK_MS 86400000 /* zones whose windows never meet: look again daily */

struct due_rules {
    int64_t start_at, end_at; /* schedule, ms; 0 = none */
    int has_window;
    struct call_window window;
};

/* The earliest instant >= now at which a queued recipient due at due_at
 * (0 = at once; DUE_NEVER = nothing queued) may be attempted under rules;
 * zones (NULL = unknown) are its time zones, "A&B". DUE_NEVER stays
 * DUE_NEVER. schedule.end_at is not looked at: see due_ended. */
int64_t due_earliest(const struct due_rules *rules, int64_t due_at, const char *zones, int64_t now);
/* 1 when schedule.end_at has come at now: nothing queued may run. */
int due_ended(const struct due_rules *rules, int64_t now);
/* The engine's question for a (lane, campaign) whose earliest queued
 * recipient is due at next_due: may work start now? (The window is left to
 * each recipient's turn.) */
int due_lane_ready(const struct due_rules *rules, int64_t next_due, int64_t now);

#endif
