/* clock.h - wall-clock reads and RFC 3339 conversion. Times inside campaignd
 * are int64 milliseconds since the Unix epoch (UTC). Only the api/ and
 * engine/ layers read the clock; domain/ takes time as an argument. */
#ifndef CAMPAIGND_CLOCK_H
#define CAMPAIGND_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Current wall-clock time in ms. */
int64_t clock_now_ms(void);
/* Monotonic time in ns, for durations. */
uint64_t clock_mono_ns(void);

#define CLOCK_RFC3339_LEN 64 /* "2026-11-29T08:00:00.123Z" + NUL, with room */
/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (CLOCK_RFC3339_LEN). */
void clock_format_rfc3339(int64_t ms, char out[CLOCK_RFC3339_LEN]);
/* Parses an RFC 3339 date-time ("2026-11-29T08:00:00Z", fractional seconds
 * and a numeric offset allowed). 0 on success, -1 when malformed. */
int clock_parse_rfc3339(const char *s, int64_t *ms_out);

#endif
