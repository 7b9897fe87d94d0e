/* due.c - when may a queued recipient run, see due.h. */
#include "domain/due.h"

int64_t due_earliest(const struct due_rules *r, int64_t due_at, const char *zones, int64_t now) {
    if (due_at == DUE_NEVER)
        return DUE_NEVER;
    int64_t at = due_at > now ? due_at : now;
    if (r->start_at > at)
        at = r->start_at;
    if (r->has_window) {
        int64_t open = window_next_open(&r->window, r->window.per_recipient ? zones : NULL, at);
        if (open == INT64_MAX) /* no opening: look again a day from now */
            open = at > now + DUE_RECHECK_MS ? at : now + DUE_RECHECK_MS;
        at = open;
    }
    return at;
}

int due_ended(const struct due_rules *r, int64_t now) {
    return r->end_at && r->end_at <= now;
}

int due_lane_ready(const struct due_rules *r, int64_t next_due, int64_t now) {
    return !due_ended(r, now) && next_due != DUE_NEVER &&
           due_earliest(r, next_due, NULL, now) <= now;
}
