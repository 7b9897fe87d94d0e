/* tzmap.c - prefix table of time zones, see tzmap.h. Entries are sorted by
 * prefix; a lookup tries each length from the longest down with a binary
 * search. */
#include "domain/tzmap.h"
#include "util/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/uenum.h>

struct tz_entry {
    char *prefix;
    char *zones;
};

struct tzmap {
    struct tz_entry *e;
    size_t n;
    size_t maxlen;
};

static int by_prefix(const void *a, const void *b) {
    return strcmp(((const struct tz_entry *)a)->prefix, ((const struct tz_entry *)b)->prefix);
}

struct tzmap *tzmap_load(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    struct tzmap *m = xcalloc(1, sizeof *m);
    size_t cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    while (getline(&line, &linecap, f) >= 0) {
        char *bar = strchr(line, '|');
        if (line[0] == '#' || !bar || !isdigit((unsigned char)line[0]))
            continue;
        *bar = '\0';
        char *zones = bar + 1;
        zones[strcspn(zones, "\r\n")] = '\0';
        if (m->n == cap) {
            cap = cap ? cap * 2 : 1024;
            m->e = xrealloc(m->e, cap * sizeof *m->e);
        }
        m->e[m->n].prefix = xstrdup(line);
        m->e[m->n].zones = xstrdup(zones);
        if (strlen(line) > m->maxlen)
            m->maxlen = strlen(line);
        m->n++;
    }
    free(line);
    fclose(f);
    qsort(m->e, m->n, sizeof *m->e, by_prefix);
    return m;
}

void tzmap_free(struct tzmap *m) {
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].prefix);
        free(m->e[i].zones);
    }
    free(m->e);
    free(m);
}

size_t tzmap_size(const struct tzmap *m) {
    return m ? m->n : 0;
}

const char *tzmap_lookup(const struct tzmap *m, const char *e164) {
    if (!m || e164[0] != '+')
        return NULL;
    const char *digits = e164 + 1;
    size_t n = strlen(digits);
    char key[32];
    for (size_t len = n < m->maxlen ? n : m->maxlen; len > 0; len--) {
        if (len >= sizeof key)
            continue;
        memcpy(key, digits, len);
        key[len] = '\0';
        struct tz_entry probe = {.prefix = key};
        const struct tz_entry *hit = bsearch(&probe, m->e, m->n, sizeof *m->e, by_prefix);
        if (hit)
            return hit->zones;
    }
    return NULL;
}

size_t tzmap_region_zones(const char *region, char *out, size_t outlen) {
    UErrorCode status = U_ZERO_ERROR;
    UEnumeration *en =
        ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION, region, NULL, &status);
    size_t count = 0, used = 0;
    out[0] = '\0';
    if (U_FAILURE(status))
        return 0;
    const char *id;
    int32_t len;
    while ((id = uenum_next(en, &len, &status)) && U_SUCCESS(status)) {
        if (used + (size_t)len + 2 > outlen)
            break;
        if (count++)
            out[used++] = '&';
        memcpy(out + used, id, (size_t)len);
        used += (size_t)len;
        out[used] = '\0';
    }
    uenum_close(en);
    return count;
}
