/* move.c - recipient moves and their counter deltas, see move.h. */
#include "domain/move.h"

#include <string.h>

static int64_t *bucket(struct counter_delta *d, enum recipient_status s) {
    switch (s) {
    case RECIPIENT_QUEUED:
        return &d->queued;
    case RECIPIENT_DISPATCHED:
        return &d->dispatched;
    case RECIPIENT_SUCCEEDED:
        return &d->succeeded;
    case RECIPIENT_FAILED:
        return &d->failed;
    case RECIPIENT_STATUS_COUNT:
        break;
    }
    return NULL;
}

static int terminal(enum recipient_status s) {
    return s == RECIPIENT_SUCCEEDED || s == RECIPIENT_FAILED;
}

static int disp_valid(enum disposition d) {
    return d > DISP_NONE && d < DISP_COUNT;
}

void counter_delta_move(struct counter_delta *d, enum recipient_status from, enum disposition fd,
                        enum recipient_status to, enum disposition td) {
    int64_t *a = bucket(d, from), *b = bucket(d, to);
    if (!a || !b)
        return;
    (*a)--;
    (*b)++;
    if (terminal(from) && disp_valid(fd))
        d->disp[fd]--;
    if (terminal(to) && disp_valid(td))
        d->disp[td]++;
}

void counter_delta_add(struct counter_delta *sum, const struct counter_delta *d, int64_t times) {
    sum->total += d->total * times;
    sum->queued += d->queued * times;
    sum->dispatched += d->dispatched * times;
    sum->succeeded += d->succeeded * times;
    sum->failed += d->failed * times;
    for (int i = 0; i < DISP_COUNT; i++)
        sum->disp[i] += d->disp[i] * times;
}

int counter_delta_is_zero(const struct counter_delta *d) {
    static const struct counter_delta zero;
    return memcmp(d, &zero, sizeof zero) == 0;
}

int counter_delta_balanced(const struct counter_delta *d) {
    int64_t disp = 0;
    for (int i = 0; i < DISP_COUNT; i++)
        disp += d->disp[i];
    return d->total == d->queued + d->dispatched + d->succeeded + d->failed &&
           disp == d->succeeded + d->failed;
}

void counters_apply_delta(struct counters *c, const struct counter_delta *d) {
    c->total += d->total;
    c->queued += d->queued;
    c->dispatched += d->dispatched;
    c->succeeded += d->succeeded;
    c->failed += d->failed;
    for (int i = 0; i < DISP_COUNT; i++)
        c->dispositions[i] += d->disp[i];
}

void recipient_move_make(struct recipient_move *m, const struct recipient_row *from,
                         const struct recipient_row *to) {
    memset(m, 0, sizeof *m);
    m->moves = 1;
    m->from = *from;
    m->to = *to;
    counter_delta_move(&m->delta, from->status, from->disposition, to->status, to->disposition);
}

void recipient_move_none(struct recipient_move *m, const struct recipient_row *at) {
    memset(m, 0, sizeof *m);
    m->from = m->to = *at;
}

void move_claim(const struct recipient_row *from, struct recipient_move *m) {
    if (from->status != RECIPIENT_QUEUED) {
        recipient_move_none(m, from);
        return;
    }
    struct recipient_row to = {RECIPIENT_DISPATCHED, from->disposition, 0};
    recipient_move_make(m, from, &to);
}

void move_unclaim(const struct recipient_row *from, int64_t due_at, struct recipient_move *m) {
    if (from->status != RECIPIENT_DISPATCHED) {
        recipient_move_none(m, from);
        return;
    }
    struct recipient_row to = {RECIPIENT_QUEUED, from->disposition, due_at};
    recipient_move_make(m, from, &to);
}

void move_fail_queued(const struct recipient_row *from, enum disposition d,
                      struct recipient_move *m) {
    if (from->status != RECIPIENT_QUEUED || !disp_valid(d)) {
        recipient_move_none(m, from);
        return;
    }
    struct recipient_row to = {RECIPIENT_FAILED, d, 0};
    recipient_move_make(m, from, &to);
}

void move_fail_unknown(const struct recipient_row *from, struct recipient_move *m) {
    if (from->status != RECIPIENT_DISPATCHED) {
        recipient_move_none(m, from);
        return;
    }
    struct recipient_row to = {RECIPIENT_FAILED, DISP_UNKNOWN, 0};
    recipient_move_make(m, from, &to);
}
