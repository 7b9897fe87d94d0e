/* strcopy.h - copying a string into a fixed array, cut to fit and always
 * NUL-terminated: what snprintf(dst, size, "%s", src) does, without the
 * format machinery (tens of copies per dispatched attempt, a few percent of
 * the engine thread in vfprintf; docs/benchmarks.md). A NULL src copies
 * as "". */
#ifndef CAMPAIGND_STRCOPY_H
#define CAMPAIGND_STRCOPY_H

#include <stddef.h>
#include <string.h>

static inline void str_copy(char *dst, size_t size, const char *src) {
    if (size == 0)
        return;
    size_t n = src ? strnlen(src, size - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

/* str_copy into an array, sized by its type. */
#define STR_COPY(array, src) str_copy((array), sizeof(array), (src))

#endif
