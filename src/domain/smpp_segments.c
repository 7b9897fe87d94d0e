/* smpp_segments.c - an SMS body split into submit_sm payloads, see
 * smpp_segments.h. Characters are encoded one at a time (sms_encode_char)
 * and packed into the current segment while they fit whole. */
#include "domain/smpp_segments.h"
#include "domain/sms.h"
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

int smpp_segments_build(const char *text, uint8_t ref, struct smpp_segments *out) {
    memset(out, 0, sizeof *out);
    struct sms_info info;
    sms_count(text, &info);
    int gsm = strcmp(info.encoding, "GSM-7") == 0;
    if (info.segments > SMPP_SEGMENTS_MAX)
        return -1;
    int multi = info.segments > 1;
    size_t room = gsm ? (multi ? 153 : 160) : (multi ? 134 : 140); /* octets of text */
    size_t head = multi ? 6 : 0;
    out->data_coding = gsm ? 0 : 8;
    out->esm_class = multi ? 0x40 : 0;
    out->seg = xcalloc(info.segments, sizeof *out->seg);
    size_t n = 1;
    for (size_t i = 0; text[i];) {
        unsigned char c[4];
        size_t w = sms_encode_char(text, &i, gsm, c);
        struct smpp_segment *s = &out->seg[n - 1];
        if (s->len + w > room && n < info.segments)
            s = &out->seg[n++];
        memcpy(s->data + head + s->len, c, w);
        s->len += w;
    }
    for (size_t k = 0; k < n; k++) {
        struct smpp_segment *s = &out->seg[k];
        if (multi) {
            unsigned char udh[6] = {
                0x05, 0x00, 0x03, ref, (unsigned char)n, (unsigned char)(k + 1)};
            memcpy(s->data, udh, 6);
        }
        s->len += head;
    }
    out->n = n;
    return 0;
}

void smpp_segments_free(struct smpp_segments *s) {
    free(s->seg);
    memset(s, 0, sizeof *s);
}
