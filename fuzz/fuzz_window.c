/* fuzz_window.c - call windows, config.call_window: window_validate
 * (src/domain/window.c, ICU time zones) on any JSON value, then for an
 * accepted window when it next opens from a given instant, in its own zone
 * and in a pair of recipient zones (as the claim defers a recipient).
 * Input: 3 bytes of minutes after 2024-01-01T00:00Z (about 31 years), one
 * byte choosing the recipient zones, then the JSON value.
 * Invariants: an error's field and message are valid UTF-8; an accepted
 * window reads back; the next opening is never before t, is t exactly when
 * the window is open at t in every zone, and it is the first instant at
 * which the window is open in every zone. */
#include "fuzz.h"

#include "domain/window.h"
#include "util/utf8.h"

#include <stdint.h>

static const char *const zone_pairs[] = {
    NULL, /* the window's own zone */
    "America/New_York&America/Los_Angeles",
    "Europe/London&Australia/Lord_Howe",
    "Asia/Kolkata&Pacific/Chatham",
};

static int open_everywhere(const struct call_window *w, const char *zones, int64_t t) {
    char list[256];
    snprintf(list, sizeof list, "%s", zones ? zones : w->zone);
    for (char *save = NULL, *z = strtok_r(list, "&", &save); z; z = strtok_r(NULL, "&", &save))
        if (!window_open_in(w, z, t))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4)
        return 0;
    int64_t minutes = (int64_t)data[0] << 16 | (int64_t)data[1] << 8 | data[2];
    int64_t t = 1704067200000 + minutes * 60000 + (data[3] >> 2) * 997;
    const char *zones = zone_pairs[data[3] & 3];
    json_t *v = json_loadb((const char *)data + 4, size - 4,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v)
        return 0;
    struct verr e;
    if (window_validate(v, "config.call_window", &e) != 0) {
        FUZZ_CHECK_VERR(e);
        json_decref(v);
        return 0;
    }
    struct call_window w;
    FUZZ_CHECK(window_from_json(v, &w) == 1);
    FUZZ_CHECK(w.start != w.end && w.days != 0 && w.zone[0]);
    int64_t next = window_next_open(&w, zones, t);
    FUZZ_CHECK(next >= t);
    FUZZ_CHECK((next == t) == open_everywhere(&w, zones, t));
    if (next != INT64_MAX)
        FUZZ_CHECK(open_everywhere(&w, zones, next));
    if (next != INT64_MAX && next > t) /* the first such instant */
        FUZZ_CHECK(!open_everywhere(&w, zones, next - 1));
    json_decref(v);
    return 0;
}
