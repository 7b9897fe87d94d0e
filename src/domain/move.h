/* move.h - a recipient's move as the rules answer it: the row it leaves
 * (which is also the guard the store applies it under), the row it
 * reaches, and how the move changes the campaign's stored counters.
 *
 * One struct counter_delta for every move in the program: the claim, the
 * decision at a recipient's turn (turn.c), a call's end (call_end.c), a
 * message report (message_report.c), a throttled give-back, and the bulk
 * moves of cancel and schedule.end_at. A delta built by counter_delta_move
 * always keeps total = queued + dispatched + succeeded + failed and counts a
 * disposition only while its recipient is terminal (succeeded or failed).
 * Pure functions; thread-safe. */
#ifndef CAMPAIGND_MOVE_H
#define CAMPAIGND_MOVE_H

#include "domain/types.h"

#include <stdint.h>

/* How moves change one campaign's counters (struct counters). */
struct counter_delta {
    int64_t total, queued, dispatched, succeeded, failed;
    int64_t disp[DISP_COUNT];
};

/* The part of a recipient row a move reads and writes. */
struct recipient_row {
    enum recipient_status status;
    enum disposition disposition; /* DISP_NONE = null */
    int64_t due_at;               /* queued: earliest next attempt (0 = at once) */
};

/* One move. When moves is 0 nothing changes (delta is zero). The store
 * applies it as UPDATE ... SET <to> WHERE seq = ? AND status = <from.status>
 * AND disposition IS <from.disposition>, and moves the counters by delta
 * only when that changed a row: so a move applied twice changes nothing the
 * second time. */
struct recipient_move {
    int moves;
    struct recipient_row from, to;
    struct counter_delta delta;
};

/* Adds to d the counter change of one recipient going from (from, fd) to
 * (to, td). Dispositions count only for terminal statuses. */
void counter_delta_move(struct counter_delta *d, enum recipient_status from, enum disposition fd,
                        enum recipient_status to, enum disposition td);
/* sum += d * times. */
void counter_delta_add(struct counter_delta *sum, const struct counter_delta *d, int64_t times);
/* 1 when every field is 0. */
int counter_delta_is_zero(const struct counter_delta *d);
/* 1 when d keeps the invariants: total moves as queued + dispatched +
 * succeeded + failed do, and the dispositions as succeeded + failed do. */
int counter_delta_balanced(const struct counter_delta *d);
/* counters += d. */
void counters_apply_delta(struct counters *c, const struct counter_delta *d);

/* Fills m with the move from `from` to `to` and its delta (moves = 1). */
void recipient_move_make(struct recipient_move *m, const struct recipient_row *from,
                         const struct recipient_row *to);
/* No move: m->moves = 0, rows equal to `at`, delta zero. */
void recipient_move_none(struct recipient_move *m, const struct recipient_row *at);

/* The claim: QUEUED -> DISPATCHED (its disposition from an earlier attempt
 * kept, due_at cleared). */
void move_claim(const struct recipient_row *from, struct recipient_move *m);
/* A throttled give-back: DISPATCHED -> QUEUED due at due_at, using no retry
 * (the store also takes back the attempt it counted). */
void move_unclaim(const struct recipient_row *from, int64_t due_at, struct recipient_move *m);
/* A queued recipient that will never be attempted: QUEUED -> FAILED with d
 * (cancelled, expired, opted_out, missing_param). Only from QUEUED. */
void move_fail_queued(const struct recipient_row *from, enum disposition d,
                      struct recipient_move *m);
/* An attempt whose submit's fate never became known, given up after
 * CAMPAIGND_UNKNOWN_SUBMIT_SECONDS: DISPATCHED -> FAILED / unknown. Only
 * from DISPATCHED. */
void move_fail_unknown(const struct recipient_row *from, struct recipient_move *m);

#endif
