/* fuzz.h - what every libFuzzer target in fuzz/ shares: the entry point's
 * prototype, FUZZ_CHECK for invariants (a failed check aborts, which
 * libFuzzer and the replay tests both report as a crash), and a reader that
 * cuts the input into pieces without copying more than it must. */
#ifndef CAMPAIGND_FUZZ_H
#define CAMPAIGND_FUZZ_H

#include "util/utf8.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A refused body's validation error: a message, and both it and the field
 * valid UTF-8 (they are echoed in a 422). Takes a struct verr. */
#define FUZZ_CHECK_VERR(e)                                                                         \
    do {                                                                                           \
        FUZZ_CHECK((e).message[0] != '\0' && utf8_valid((e).message, strlen((e).message)));        \
        FUZZ_CHECK(utf8_valid((e).field, strlen((e).field)));                                      \
    } while (0)

/* The input as a cursor: pieces are taken from the front. */
struct fuzz_input {
    const uint8_t *p;
    size_t n;
};

/* One byte (0 when the input is used up). */
static inline uint8_t fuzz_byte(struct fuzz_input *in) {
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

/* A new NUL-terminated string of the bytes up to the next '\n' (or the end);
 * the newline is consumed. Caller frees. Embedded NULs stay (and cut the
 * string short, as a C caller would see it). */
static inline char *fuzz_line(struct fuzz_input *in) {
    const uint8_t *nl = memchr(in->p, '\n', in->n);
    size_t len = nl ? (size_t)(nl - in->p) : in->n;
    char *s = malloc(len + 1);
    if (!s)
        abort();
    memcpy(s, in->p, len);
    s[len] = '\0';
    in->p += len + (nl ? 1 : 0);
    in->n -= len + (nl ? 1 : 0);
    return s;
}

/* A new NUL-terminated copy of the rest of the input. Caller frees. */
static inline char *fuzz_rest(struct fuzz_input *in) {
    char *s = malloc(in->n + 1);
    if (!s)
        abort();
    memcpy(s, in->p, in->n);
    s[in->n] = '\0';
    in->p += in->n;
    in->n = 0;
    return s;
}

#endif
