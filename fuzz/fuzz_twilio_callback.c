/* fuzz_twilio_callback.c - a twilio provider's status callback
 * (POST /v1/providers/{name}/calls/{id} and /messages/{id}, twilio type):
 * the form body through form_parse (src/util/form.c), its
 * X-Twilio-Signature through twilio_signature_valid and its fields through
 * twilio_report_read (src/domain/twilio_rules.c).
 * Input: one byte choosing voice or sms, the signature header, "\n", the
 * form body.
 * Invariants: the form re-encoded (form_add) parses back to the same names
 * and values; the signature computed over the form is valid and the given
 * header is valid only when it equals it (or its port variant's); a
 * refused report has a non-empty, valid UTF-8 message and field; an
 * accepted one names the attempt and channel it was given, a status past
 * queued, an end time, texts that fit with no NUL, a duration only when
 * CallDuration was given, and for a message no call fields. */
#include "fuzz.h"

#include "domain/twilio_rules.h"
#include "util/form.h"

#define URL "https://campaignd.example:8443/v1/providers/tw/calls/call_1?x=1"
#define TOKEN "tok_0123456789"

static void check_round_trip(const struct form *f) {
    struct buf b;
    buf_init(&b, (size_t)-1);
    for (size_t i = 0; i < f->n; i++) {
        /* form_add takes C strings: fields with a NUL inside are skipped */
        if (strlen(f->fields[i].name) == f->fields[i].name_len &&
            strlen(f->fields[i].value) == f->fields[i].value_len)
            FUZZ_CHECK(form_add(&b, f->fields[i].name, f->fields[i].value) == 0);
    }
    struct form again;
    FUZZ_CHECK(form_parse(b.data ? b.data : "", b.len, (size_t)-1, &again) == 0);
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (strlen(f->fields[i].name) != f->fields[i].name_len ||
            strlen(f->fields[i].value) != f->fields[i].value_len)
            continue;
        FUZZ_CHECK(k < again.n); /* even "=" alone: a pair of empty name and value */
        FUZZ_CHECK(strcmp(again.fields[k].name, f->fields[i].name) == 0);
        FUZZ_CHECK(strcmp(again.fields[k].value, f->fields[i].value) == 0);
        k++;
    }
    form_clear(&again);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    enum channel ch = fuzz_byte(&in) % 2 ? CHANNEL_SMS : CHANNEL_VOICE;
    char *header = fuzz_line(&in);
    struct form f;
    if (form_parse((const char *)in.p, in.n, 256, &f) != 0) {
        FUZZ_CHECK(f.n == 0);
        free(header);
        return 0;
    }
    check_round_trip(&f);

    char sig[29];
    twilio_signature(TOKEN, URL, &f, sig);
    FUZZ_CHECK(strlen(sig) == 28);
    FUZZ_CHECK(twilio_signature_valid(TOKEN, URL, &f, sig));
    if (twilio_signature_valid(TOKEN, URL, &f, header) && strcmp(header, sig) != 0) {
        char other[29];
        twilio_signature(TOKEN, "https://campaignd.example/v1/providers/tw/calls/call_1?x=1", &f,
                         other);
        FUZZ_CHECK(strcmp(header, other) == 0);
    }

    struct attempt_end end;
    struct verr e;
    const int64_t now = 1765000000000;
    int rc = twilio_report_read(&f, "call_1", ch, now, &end, &e);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    if (rc < 0) {
        FUZZ_CHECK_VERR(e);
    } else if (rc == 0) {
        FUZZ_CHECK(end.channel == ch && strcmp(end.call_id, "call_1") == 0);
        FUZZ_CHECK(end.ended_at == now);
        if (ch == CHANNEL_VOICE)
            FUZZ_CHECK(end.status != CALL_QUEUED && end.status < CALL_STATUS_COUNT);
        else
            FUZZ_CHECK(end.mstatus != MSG_QUEUED && end.mstatus < MSG_STATUS_COUNT);
        FUZZ_CHECK(strlen(end.provider_call_id) < sizeof end.provider_call_id);
        FUZZ_CHECK(strlen(end.ended_reason) < sizeof end.ended_reason);
        FUZZ_CHECK(strlen(end.error_code) < sizeof end.error_code);
        FUZZ_CHECK(!end.has_duration || (end.duration_ms >= 0 && form_get(&f, "CallDuration")));
        if (ch != CHANNEL_VOICE)
            FUZZ_CHECK(end.answered_by == ANSWERED_NONE && !end.ended_reason[0] &&
                       !end.has_duration && end.answered_at == 0);
    }
    form_clear(&f);
    free(header);
    return 0;
}
