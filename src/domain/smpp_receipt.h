/* smpp_receipt.h - what an SMPP delivery receipt says: the message id it
 * is about and its final state, from the receipted_message_id and
 * message_state TLVs, else from the text SMPP 3.4 Appendix B suggests
 * ("id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done
 * date:YYMMDDhhmm stat:DDDDDDD err:E text: ..."). DELIVRD is delivered;
 * UNDELIV, EXPIRED and REJECTD undelivered (DELETED too); the rest
 * (ENROUTE, ACCEPTD, UNKNOWN) no final state. A message sent in several
 * parts is delivered once every part is, undelivered once one is
 * (segments_verdict_of). Pure, thread-safe. */
#ifndef CAMPAIGND_SMPP_RECEIPT_H
#define CAMPAIGND_SMPP_RECEIPT_H

#include <stddef.h>

enum smpp_receipt_state { SMPP_RECEIPT_OTHER, SMPP_RECEIPT_DELIVERED, SMPP_RECEIPT_UNDELIVERED };

struct smpp_receipt {
    char id[66];
    char stat[8]; /* the text's stat word, or the name of message_state */
    char err[8];  /* the text's err, or "" */
    enum smpp_receipt_state state;
};

/* From the text form (len bytes, not NUL-terminated). 0, or -1 when it
 * has no id: or no stat:. */
int smpp_receipt_from_text(const char *text, size_t len, struct smpp_receipt *out);
/* From the TLVs: id (receipted_message_id) and message_state (SMPP 3.4
 * 5.2.28: 2 DELIVERED, 3 EXPIRED, 4 DELETED, 5 UNDELIVERABLE, 6 ACCEPTED,
 * 7 UNKNOWN, 8 REJECTED). 0, or -1 for an empty id. */
int smpp_receipt_from_tlv(const char *id, int message_state, struct smpp_receipt *out);
/* The final state a stat word means. */
enum smpp_receipt_state smpp_receipt_stat_state(const char *stat);

/* What the receipts of a message's parts add up to. */
enum segments_verdict { SEGMENTS_PENDING = 0, SEGMENTS_DELIVERED = 1, SEGMENTS_UNDELIVERED = 2 };
/* Of nsegments parts, delivered had DELIVRD, undelivered a failure. */
enum segments_verdict segments_verdict_of(size_t nsegments, size_t delivered, size_t undelivered);

#endif
