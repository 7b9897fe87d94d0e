/* phone.c - syntax checks of numbers and sender ids, see phone.h. */
#include "domain/phone.h"

#include <ctype.h>
#include <string.h>

int phone_is_e164(const char *s) {
    if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return 0;
    size_t n = 0;
    for (const char *p = s + 1; *p; p++, n++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return n >= 8 && n <= 15;
}

int phone_is_messaging_service(const char *s) {
    if (strncmp(s, "MG", 2) != 0 || strlen(s) != 34)
        return 0;
    for (const char *p = s + 2; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return 0;
    return 1;
}

int phone_is_sms_sender(const char *s) {
    if (phone_is_e164(s) || phone_is_messaging_service(s))
        return 1;
    size_t n = strlen(s);
    if (n < 1 || n > 11)
        return 0;
    int letters = 0;
    for (const char *p = s; *p; p++) {
        if (isalpha((unsigned char)*p))
            letters++;
        else if (!isdigit((unsigned char)*p) && *p != ' ')
            return 0;
    }
    return letters > 0 && s[0] != ' ' && s[n - 1] != ' ';
}
