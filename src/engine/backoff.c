/* backoff.c - exponential backoff of the engine on a failing store, see
 * backoff.h. */
#include "engine/backoff.h"

#include <string.h>

enum backoff_say backoff_failed(struct backoff *b, int64_t now) {
    b->failures++;
    b->ok_since = 0;
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

int backoff_succeeded(struct backoff *b, int64_t now) {
    if (b->delay_ms == 0)
        return 0;
    if (b->ok_since == 0)
        b->ok_since = now;
    if (now - b->ok_since < BACKOFF_CALM_MS)
        return 0; /* still in the episode: a failure now goes on from here */
    memset(b, 0, sizeof *b);
    return 1;
}

int backoff_waiting(const struct backoff *b, int64_t now) {
    return b->delay_ms != 0 && now < b->retry_at;
}
