/* window.c - call window validation, see window.h. */
#include "domain/window.h"

#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

int window_parse_hhmm(const char *s) {
    if (!s || strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    return h * 60 + m;
}

int window_zone_known(const char *name) {
    UChar id[128], canonical[128];
    UErrorCode status = U_ZERO_ERROR;
    size_t n = strlen(name);
    if (n == 0 || n >= 64)
        return 0;
    u_uastrncpy(id, name, (int32_t)(sizeof id / sizeof id[0]));
    UBool system = 0;
    ucal_getCanonicalTimeZoneID(
        id, -1, canonical, (int32_t)(sizeof canonical / sizeof canonical[0]), &system, &status);
    return U_SUCCESS(status) && system;
}

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int window_validate(json_t *w, const char *path, struct verr *e) {
    char f[160];
    if (!json_is_object(w))
        return verr_set(e, path, "%s must be an object", path);
    const char *keys[] = {"start", "end"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(w, keys[i]);
        snprintf(f, sizeof f, "%s.%s", path, keys[i]);
        if (!v)
            return verr_set(e, f, "%s is required", f);
        if (!json_is_string(v) || window_parse_hhmm(json_string_value(v)) < 0)
            return verr_set(e, f, "%s must be a time as HH:MM (24 h)", f);
    }
    if (strcmp(json_string_value(json_object_get(w, "start")),
               json_string_value(json_object_get(w, "end"))) == 0) {
        snprintf(f, sizeof f, "%s.end", path);
        return verr_set(e, f, "%s must differ from start", f);
    }
    json_t *days = json_object_get(w, "days");
    snprintf(f, sizeof f, "%s.days", path);
    if (days && !json_is_null(days)) {
        if (!json_is_array(days) || json_array_size(days) == 0)
            return verr_set(e, f, "%s must be a non-empty array of mon..sun", f);
        size_t i;
        json_t *d;
        json_array_foreach(days, i, d) {
            int ok = 0;
            for (int k = 0; k < 7 && json_is_string(d); k++)
                ok |= strcmp(json_string_value(d), day_names[k]) == 0;
            if (!ok) {
                snprintf(f, sizeof f, "%s.days[%zu]", path, i);
                return verr_set(e, f, "%s must be one of mon, tue, wed, thu, fri, sat, sun", f);
            }
        }
    }
    json_t *tz = json_object_get(w, "timezone");
    snprintf(f, sizeof f, "%s.timezone", path);
    if (tz && !json_is_null(tz)) {
        if (!json_is_string(tz) || (strcmp(json_string_value(tz), "recipient") != 0 &&
                                    !window_zone_known(json_string_value(tz))))
            return verr_set(e, f, "%s must be an IANA time zone or \"recipient\"", f);
    }
    json_t *fb = json_object_get(w, "fallback_timezone");
    snprintf(f, sizeof f, "%s.fallback_timezone", path);
    if (fb && !json_is_null(fb)) {
        if (!json_is_string(fb) || !window_zone_known(json_string_value(fb)))
            return verr_set(e, f, "%s must be an IANA time zone", f);
    }
    return 0;
}

/* ---- arithmetic ---- */

int window_from_json(json_t *w, struct call_window *out) {
    memset(out, 0, sizeof *out);
    if (!w || !json_is_object(w))
        return 0;
    out->start = window_parse_hhmm(json_string_value(json_object_get(w, "start")));
    out->end = window_parse_hhmm(json_string_value(json_object_get(w, "end")));
    if (out->start < 0 || out->end < 0 || out->start == out->end)
        return 0; /* not a valid window (validation keeps these out): none */
    json_t *days = json_object_get(w, "days");
    if (!days || !json_is_array(days)) {
        out->days = 0x7f;
    } else {
        size_t i;
        json_t *d;
        json_array_foreach(days, i, d) {
            for (int k = 0; k < 7; k++)
                if (json_is_string(d) && strcmp(json_string_value(d), day_names[k]) == 0)
                    out->days |= 1u << k;
        }
    }
    const char *tz = json_string_value(json_object_get(w, "timezone"));
    const char *fallback = json_string_value(json_object_get(w, "fallback_timezone"));
    out->per_recipient = tz && strcmp(tz, "recipient") == 0;
    snprintf(out->zone, sizeof out->zone, "%s",
             out->per_recipient ? (fallback ? fallback : "UTC") : (tz ? tz : "UTC"));
    return 1;
}

/* A calendar in zone (caller closes it); NULL when ICU fails. */
static UCalendar *calendar(const char *zone) {
    UChar id[128];
    UErrorCode status = U_ZERO_ERROR;
    u_uastrncpy(id, zone, (int32_t)(sizeof id / sizeof id[0]));
    UCalendar *cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &status);
    if (U_FAILURE(status)) {
        if (cal)
            ucal_close(cal);
        return NULL;
    }
    /* fall-back: a repeated wall time means its first occurrence;
     * spring-forward: a skipped wall time means the first valid instant */
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    return cal;
}

/* Local day (0 = Monday) and minute of day at t. */
static void local_at(UCalendar *cal, int64_t t, int *day, int *minute) {
    UErrorCode status = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)t, &status);
    int dow = ucal_get(cal, UCAL_DAY_OF_WEEK, &status); /* 1 = Sunday */
    *day = (dow + 5) % 7;
    *minute = ucal_get(cal, UCAL_HOUR_OF_DAY, &status) * 60 + ucal_get(cal, UCAL_MINUTE, &status);
}

static int open_local(const struct call_window *w, int day, int minute) {
    if (w->start < w->end)
        return (w->days >> day & 1) && minute >= w->start && minute < w->end;
    int prev = (day + 6) % 7;
    return ((w->days >> day & 1) && minute >= w->start) ||
           ((w->days >> prev & 1) && minute < w->end);
}

int window_open_in(const struct call_window *w, const char *zone, int64_t t) {
    UCalendar *cal = calendar(zone);
    if (!cal)
        return 0;
    int day, minute;
    local_at(cal, t, &day, &minute);
    ucal_close(cal);
    return open_local(w, day, minute);
}

/* The first instant >= t when the window is open in one zone. */
static int64_t next_open_one(const struct call_window *w, const char *zone, int64_t t) {
    UCalendar *cal = calendar(zone);
    if (!cal)
        return INT64_MAX;
    int day, minute;
    local_at(cal, t, &day, &minute);
    if (open_local(w, day, minute)) {
        ucal_close(cal);
        return t;
    }
    UErrorCode status = U_ZERO_ERROR;
    int64_t best = INT64_MAX;
    for (int offset = 0; offset <= 8 && best == INT64_MAX; offset++) {
        ucal_setMillis(cal, (UDate)t, &status);
        ucal_add(cal, UCAL_DATE, offset, &status);
        int dow = (ucal_get(cal, UCAL_DAY_OF_WEEK, &status) + 5) % 7;
        if (!(w->days >> dow & 1))
            continue;
        /* lenient ICU: a wall time in the skipped DST hour moves forward */
        ucal_set(cal, UCAL_HOUR_OF_DAY, w->start / 60);
        ucal_set(cal, UCAL_MINUTE, w->start % 60);
        ucal_set(cal, UCAL_SECOND, 0);
        ucal_set(cal, UCAL_MILLISECOND, 0);
        int64_t at = (int64_t)ucal_getMillis(cal, &status);
        if (U_SUCCESS(status) && at < t) {
            /* a start in the repeated fall-back hour happens twice: the
             * second occurrence may still be ahead */
            ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_LAST);
            ucal_set(cal, UCAL_HOUR_OF_DAY, w->start / 60);
            at = (int64_t)ucal_getMillis(cal, &status);
            ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
        }
        if (U_SUCCESS(status) && at >= t)
            best = at;
    }
    /* a DST change between now and that start can open the window by
     * itself (the clock falls back into it, or springs forward into it) */
    status = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)t, &status);
    UDate change = 0;
    if (ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &change, &status) &&
        U_SUCCESS(status) && (int64_t)change > t && (int64_t)change < best) {
        int d, m;
        local_at(cal, (int64_t)change, &d, &m);
        if (open_local(w, d, m)) {
            ucal_close(cal);
            return (int64_t)change;
        }
    }
    if (best != INT64_MAX) {
        /* a start in the skipped spring-forward hour: ICU moved it forward by
         * the shift; the window really opens at the transition, earlier */
        int d, m;
        local_at(cal, best, &d, &m);
        for (int k = 0; m != w->start && k < 180 && best - 60000 >= t; k++) {
            local_at(cal, best - 60000, &d, &m);
            if (!open_local(w, d, m))
                break;
            best -= 60000;
        }
    }
    ucal_close(cal);
    return best;
}

int64_t window_next_open(const struct call_window *w, const char *zones, int64_t t) {
    char list[2048];
    snprintf(list, sizeof list, "%s", zones && zones[0] ? zones : w->zone);
    const char *names[64];
    size_t n = 0;
    for (char *save = NULL, *z = strtok_r(list, "&", &save); z && n < 64;
         z = strtok_r(NULL, "&", &save))
        names[n++] = z;
    int64_t limit = t + 14LL * 24 * 3600 * 1000;
    int64_t at = t;
    /* move to the latest opening among the zones until all are open */
    for (int round = 0; round < 256 && at < limit; round++) {
        int64_t latest = at;
        for (size_t i = 0; i < n; i++) {
            int64_t o = next_open_one(w, names[i], at);
            if (o == INT64_MAX)
                return INT64_MAX;
            if (o > latest)
                latest = o;
        }
        if (latest == at)
            return at;
        at = latest;
    }
    return INT64_MAX;
}
