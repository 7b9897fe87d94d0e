/* backoff.c - exponential backoff of the engine on a failing store, see
 * backoff.h. */
#include "engine/backoff.h"

#include <string.h>

enum backoff_say backoff_failed(struct backoff *b, int64_t now) {
    b->failures++;
    enum backoff_say say = BACKOFF_QUIET;
    if (b->delay_ms == 0) {
        b->since = now;
        b->delay_ms = BACKOFF_MIN_MS;
        say = BACKOFF_LONGER;
    } else if (b->delay_ms < BACKOFF_MAX_MS) {
        b->delay_ms *= 2;
        if (b->delay_ms >= BACKOFF_MAX_MS) {
            b->delay_ms = BACKOFF_MAX_MS;
            b->next_note = now + BACKOFF_NOTE_MS;
        }
        say = BACKOFF_LONGER;
    } else if (now >= b->next_note) {
        b->next_note = now + BACKOFF_NOTE_MS;
        say = BACKOFF_STILL;
    }
    b->retry_at = now + b->delay_ms;
    return say;
}

int backoff_succeeded(struct backoff *b) {
    int ended = b->delay_ms != 0;
    memset(b, 0, sizeof *b);
    return ended;
}

int backoff_waiting(const struct backoff *b, int64_t now) {
    return b->delay_ms != 0 && now < b->retry_at;
}
