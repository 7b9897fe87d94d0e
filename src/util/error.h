/* error.h - the one error convention of campaignd's core (store, engine,
 * providers): a function answers int, 0 for success, a negative code of
 * this enum for a failure, and error_str() names it. A function that
 * answers an error never calls its callback (libuv's rule). The store
 * spells the same codes STORE_E* (store.h); api/ turns them into HTTP
 * answers (reply_store_error). */
#ifndef CAMPAIGND_ERROR_H
#define CAMPAIGND_ERROR_H

enum error_code {
    ERROR_OK = 0,
    ERROR_NOTFOUND = -1,    /* no such row or object */
    ERROR_CONFLICT = -2,    /* a unique key is taken */
    ERROR_BUSY = -3,        /* a lock stayed held past its timeout: retry */
    ERROR_IO = -4,          /* any other storage or system failure (logged where it happened) */
    ERROR_STATE = -5,       /* the object's state forbids the change */
    ERROR_FULL = -6,        /* storage full or failing: retry later */
    ERROR_INVALID = -7,     /* a setting or argument is refused */
    ERROR_UNAVAILABLE = -8, /* a provider or peer cannot take the work now */
    ERROR_REDO = -9,        /* a batched unit of work found an assumption wrong: nothing was
                               kept; run it again unbatched (store and engine only) */
};

/* A short, static description of code (any int). */
const char *error_str(int code);

#endif
