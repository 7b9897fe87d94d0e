/* smpp_segments.h - an SMS body as the submit_sm PDUs that carry it.
 *
 * The encoding is the one domain/sms.c picks (sms_count): GSM-7 written as
 * unpacked septets (data_coding 0, the SMSC's default alphabet, one octet
 * per septet) or UCS-2 as UTF-16 big-endian (data_coding 8). A body that
 * fits one SMS (160 septets, 70 UTF-16 units) is one short_message; a
 * longer one is split into concatenated segments of 153 septets / 67 units,
 * each behind a 6-octet UDH (00 03 ref total seq: 8-bit reference) with
 * esm_class 0x40; a character is never split across segments, so the count
 * is sms_count's. Pure, thread-safe. */
#ifndef CAMPAIGND_SMPP_SEGMENTS_H
#define CAMPAIGND_SMPP_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>

#define SMPP_SEGMENT_MAX 166 /* octets of one short_message: 160 septets, or 6 + 153 */
#define SMPP_SEGMENTS_MAX 255

struct smpp_segment {
    unsigned char data[SMPP_SEGMENT_MAX];
    size_t len;
};

struct smpp_segments {
    uint8_t data_coding; /* 0 GSM-7, 8 UCS-2 */
    uint8_t esm_class;   /* 0x40 when the segments carry a UDH */
    size_t n;
    struct smpp_segment *seg; /* owned, n of them */
};

/* Splits text (valid UTF-8) with the concatenation reference ref. 0, or -1
 * when it would take more than SMPP_SEGMENTS_MAX segments (out empty). */
int smpp_segments_build(const char *text, uint8_t ref, struct smpp_segments *out);
void smpp_segments_free(struct smpp_segments *s);

#endif
