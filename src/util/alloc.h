/* alloc.h - the one allocation wrapper: every allocation in campaignd goes
 * through these functions, which abort the process on out-of-memory instead
 * of returning NULL, so callers never check. Thread-safe. */
#ifndef CAMPAIGND_ALLOC_H
#define CAMPAIGND_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Returns a new copy of s (NULL stays NULL). */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
