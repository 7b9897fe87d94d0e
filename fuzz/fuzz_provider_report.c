/* fuzz_provider_report.c - a provider's callback about one attempt
 * (POST /v1/providers/{name}/calls/{id} and /messages/{id}, sim type):
 * the JSON body through provider_report_from_json
 * (src/domain/provider_report.c).
 * Input: one byte choosing the channel, the attempt id, "\n", the body.
 * Invariants: an error's field and message are valid UTF-8 and the message
 * is not empty; an accepted report names the attempt and channel it was
 * given, carries a call status past queued (voice) or a message status past
 * queued, has an end time (now when absent), provider id, ended reason and
 * error code that fit with no NUL, and a duration only when it is given and
 * not negative; a message carries no call fields. */
#include "fuzz.h"

#include "domain/provider_report.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    enum channel ch = (enum channel)(fuzz_byte(&in) % CHANNEL_COUNT);
    char *id = fuzz_line(&in);
    json_t *body = json_loadb((const char *)in.p, in.n,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    struct attempt_end end;
    struct verr e;
    const int64_t now = 1765000000000;
    if (json_is_object(body) && provider_report_from_json(body, id, ch, now, &end, &e) == 0) {
        FUZZ_CHECK(end.channel == ch);
        FUZZ_CHECK(strncmp(end.call_id, id, sizeof end.call_id - 1) == 0);
        if (ch == CHANNEL_VOICE)
            FUZZ_CHECK(end.status != CALL_QUEUED && end.status < CALL_STATUS_COUNT);
        else
            FUZZ_CHECK(end.mstatus != MSG_QUEUED);
        FUZZ_CHECK(end.ended_at != 0);
        FUZZ_CHECK(strlen(end.provider_call_id) < sizeof end.provider_call_id);
        FUZZ_CHECK(strlen(end.ended_reason) < sizeof end.ended_reason);
        FUZZ_CHECK(strlen(end.error_code) < sizeof end.error_code);
        FUZZ_CHECK(!end.has_duration || end.duration_ms >= 0);
        FUZZ_CHECK(end.has_duration == (ch == CHANNEL_VOICE &&
                                        json_is_number(json_object_get(body, "duration_seconds"))));
        if (ch != CHANNEL_VOICE)
            FUZZ_CHECK(end.answered_by == ANSWERED_NONE && !end.ended_reason[0]);
        if (!json_object_get(body, "ended_at") || json_is_null(json_object_get(body, "ended_at")))
            FUZZ_CHECK(end.ended_at == now);
    } else if (json_is_object(body)) {
        FUZZ_CHECK_VERR(e);
    }
    json_decref(body);
    free(id);
    return 0;
}
