/* tzmap.h - the time zone(s) of a phone number, from libphonenumber's
 * prefix table (timezones/map_data.txt: "prefix|Zone/One&Zone/Two",
 * longest prefix wins) loaded from the data directory at start; without the
 * table, ICU's zones for the number's region (from libphonenumber). A
 * number's zones are written "Zone/One&Zone/Two".
 * A loaded map is immutable: thread-safe. */
#ifndef CAMPAIGND_TZMAP_H
#define CAMPAIGND_TZMAP_H

#include <stddef.h>

struct tzmap;

/* Loads path; NULL when it cannot be read (logged by the caller). */
struct tzmap *tzmap_load(const char *path);
void tzmap_free(struct tzmap *m);
size_t tzmap_size(const struct tzmap *m);
/* The zones of an E.164 number ("+1201..."), by longest prefix; NULL when
 * no prefix matches. Borrowed from the map. */
const char *tzmap_lookup(const struct tzmap *m, const char *e164);
/* ICU's canonical location zones of an ISO region ("US"), joined with '&'
 * into out; 0 when ICU knows none. */
size_t tzmap_region_zones(const char *region, char *out, size_t outlen);

#endif
