/* window.c - call window validation, see window.h. */
#include "domain/window.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

int window_parse_hhmm(const char *s) {
    if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
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
