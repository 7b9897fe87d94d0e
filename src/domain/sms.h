/* sms.h - how many SMS segments a text takes. GSM-7 when every character
 * is in the GSM 03.38 default alphabet or its extension table (extension
 * characters take two septets): 160 septets in one segment, 153 per
 * segment when concatenated. Otherwise UCS-2 (UTF-16 code units): 70 in
 * one segment, 67 per segment when concatenated. Pure, thread-safe. */
#ifndef CAMPAIGND_SMS_H
#define CAMPAIGND_SMS_H

#include <stddef.h>

struct sms_info {
    const char *encoding; /* "GSM-7" or "UCS-2" */
    size_t units;         /* septets or UTF-16 code units */
    size_t segments;
};

/* text must be valid UTF-8. */
void sms_count(const char *text, struct sms_info *out);

#endif
