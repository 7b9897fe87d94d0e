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

/* The next character of text at *i (advanced past it) as the encoding
 * sms_count picks writes it over SMPP: gsm (1) as unpacked GSM 03.38
 * septets, one octet each (an extension character: 0x1B, then its code),
 * else UTF-16 big-endian. Writes 1..4 octets to out and returns how many;
 * text[*i] must not be the end. */
size_t sms_encode_char(const char *text, size_t *i, int gsm, unsigned char out[4]);

/* An SMS payload of len octets as UTF-8 text in out (cap bytes, NUL
 * included; cut at a whole character): data_coding 0 as unpacked GSM 03.38
 * septets, 8 as UTF-16 big-endian, any other as Latin-1. */
void sms_decode(const unsigned char *in, size_t len, int data_coding, char *out, size_t cap);

#endif
