/* keywords.c - see keywords.h. */
#include "domain/keywords.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum keyword_action keyword_classify(const char *body) {
    static const char *const out[] = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL",
                                      "END",  "QUIT",    "REVOKE",      "OPTOUT"};
    static const char *const in[] = {"START", "UNSTOP"};
    if (!body)
        return KEYWORD_NONE;
    while (isspace((unsigned char)*body))
        body++;
    size_t n = strlen(body);
    while (n > 0 && isspace((unsigned char)body[n - 1]))
        n--;
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        if (strlen(out[i]) == n && strncasecmp(body, out[i], n) == 0)
            return KEYWORD_OPT_OUT;
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        if (strlen(in[i]) == n && strncasecmp(body, in[i], n) == 0)
            return KEYWORD_OPT_IN;
    return KEYWORD_NONE;
}

const char *keyword_action_name(enum keyword_action a) {
    return a == KEYWORD_OPT_OUT ? "opted_out" : a == KEYWORD_OPT_IN ? "opted_in" : "none";
}
