/* fuzz_sms.c - sms segmenting, sms_count (src/domain/sms.c), on any valid
 * UTF-8 text (the rendered config.body; the function requires valid
 * UTF-8, which template rendering of validated bodies and params gives).
 * Input: the text; inputs that are not valid UTF-8 are skipped.
 * Invariants: UCS-2 counts UTF-16 code units exactly; GSM-7 takes one or
 * two septets a character; one segment exactly when the units fit in one
 * (160 / 70), else enough segments of 153 / 67 to hold them and no more
 * than packing one character less per segment would need. */
#include "fuzz.h"

#include "domain/sms.h"
#include "util/utf8.h"

/* UTF-16 code units and code points of valid UTF-8. */
static void count(const char *s, size_t *utf16, size_t *chars) {
    *utf16 = *chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) == 0x80)
            continue;
        (*chars)++;
        *utf16 += *p >= 0xf0 ? 2 : 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!utf8_valid((const char *)data, size))
        return 0;
    struct fuzz_input in = {data, size};
    char *text = fuzz_rest(&in);
    struct sms_info info;
    sms_count(text, &info);
    size_t utf16, chars;
    count(text, &utf16, &chars);
    int gsm = strcmp(info.encoding, "GSM-7") == 0;
    FUZZ_CHECK(gsm || strcmp(info.encoding, "UCS-2") == 0);
    if (gsm)
        FUZZ_CHECK(info.units >= chars && info.units <= 2 * chars);
    else
        FUZZ_CHECK(info.units == utf16);
    size_t single = gsm ? 160 : 70, per = gsm ? 153 : 67;
    FUZZ_CHECK(info.segments >= 1);
    FUZZ_CHECK((info.segments == 1) == (info.units <= single));
    if (info.segments > 1) {
        FUZZ_CHECK(info.segments * per >= info.units);
        FUZZ_CHECK(info.units / (per - 1) + 1 >= info.segments);
    }
    free(text);
    return 0;
}
