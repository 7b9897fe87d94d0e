/* smpp_receipt.c - delivery receipts read, see smpp_receipt.h. The text
 * form is read as space-separated key:value fields; keys are matched
 * without case, values end at a blank. */
#include "domain/smpp_receipt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum segments_verdict segments_verdict_of(size_t nsegments, size_t delivered, size_t undelivered) {
    if (undelivered > 0)
        return SEGMENTS_UNDELIVERED;
    return delivered >= nsegments ? SEGMENTS_DELIVERED : SEGMENTS_PENDING;
}

enum smpp_receipt_state smpp_receipt_stat_state(const char *stat) {
    if (strcasecmp(stat, "DELIVRD") == 0)
        return SMPP_RECEIPT_DELIVERED;
    if (strcasecmp(stat, "UNDELIV") == 0 || strcasecmp(stat, "EXPIRED") == 0 ||
        strcasecmp(stat, "REJECTD") == 0 || strcasecmp(stat, "DELETED") == 0)
        return SMPP_RECEIPT_UNDELIVERED;
    return SMPP_RECEIPT_OTHER;
}

/* The value after key (e.g. "id:") at a word start in text, into out
 * (cap bytes with its NUL). 0, or -1 when absent or empty. */
static int field(const char *text, size_t len, const char *key, char *out, size_t cap) {
    size_t k = strlen(key);
    for (size_t i = 0; i + k <= len; i++) {
        if ((i > 0 && !isspace((unsigned char)text[i - 1])) || strncasecmp(text + i, key, k) != 0)
            continue;
        size_t j = i + k, n = 0;
        while (j < len && !isspace((unsigned char)text[j]) && n + 1 < cap)
            out[n++] = text[j++];
        out[n] = '\0';
        return n > 0 ? 0 : -1;
    }
    return -1;
}

int smpp_receipt_from_text(const char *text, size_t len, struct smpp_receipt *out) {
    memset(out, 0, sizeof *out);
    if (field(text, len, "id:", out->id, sizeof out->id) != 0 ||
        field(text, len, "stat:", out->stat, sizeof out->stat) != 0)
        return -1;
    (void)field(text, len, "err:", out->err, sizeof out->err);
    out->state = smpp_receipt_stat_state(out->stat);
    return 0;
}

int smpp_receipt_from_tlv(const char *id, int message_state, struct smpp_receipt *out) {
    static const char *const names[] = {"SCHEDUL", "ENROUTE", "DELIVRD", "EXPIRED", "DELETED",
                                        "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD"};
    memset(out, 0, sizeof *out);
    if (!id || !id[0])
        return -1;
    snprintf(out->id, sizeof out->id, "%s", id);
    snprintf(out->stat, sizeof out->stat, "%s",
             message_state >= 0 && message_state <= 8 ? names[message_state] : "UNKNOWN");
    out->state = smpp_receipt_stat_state(out->stat);
    return 0;
}
