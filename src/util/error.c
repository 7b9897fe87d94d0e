/* error.c - see error.h. */
#include "util/error.h"

const char *error_str(int code) {
    switch (code) {
    case ERROR_OK:
        return "ok";
    case ERROR_NOTFOUND:
        return "not found";
    case ERROR_CONFLICT:
        return "conflict with an existing row";
    case ERROR_BUSY:
        return "busy";
    case ERROR_IO:
        return "storage or system error";
    case ERROR_STATE:
        return "the object's state forbids the change";
    case ERROR_FULL:
        return "storage full or failing";
    case ERROR_INVALID:
        return "invalid setting or argument";
    case ERROR_UNAVAILABLE:
        return "unavailable";
    case ERROR_REDO:
        return "batched unit to run again";
    }
    return "unknown error";
}
