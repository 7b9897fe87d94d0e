/* ratelimit.c - at most one line per window, see ratelimit.h. */
#include "util/ratelimit.h"

#include <stdatomic.h>

int ratelimit_allow(struct ratelimit *r, int64_t now, int64_t every_ms, long *suppressed) {
    int64_t next = atomic_load_explicit(&r->next_ms, memory_order_relaxed);
    if (now < next ||
        !atomic_compare_exchange_strong_explicit(&r->next_ms, &next, now + every_ms,
                                                 memory_order_relaxed, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&r->suppressed, 1, memory_order_relaxed);
        return 0;
    }
    *suppressed = atomic_exchange_explicit(&r->suppressed, 0, memory_order_relaxed);
    return 1;
}
