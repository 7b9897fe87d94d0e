/* fuzz_campaign.c - campaign bodies: jansson parses the bytes as server.c
 * does (duplicate keys rejected, \u0000 allowed), then the validators of
 * POST /v1/campaigns and PATCH /v1/campaigns/{id} (src/domain/campaign.c,
 * with window.c, webhook_url.c, template.c and phone.c below them), then
 * what the store and engine read back from an accepted body (retry policy,
 * schedule times, call window).
 * Input: one byte (bit 0: private webhooks allowed; bits 1-2: the patched
 * campaign's channel; bits 3-5: its status), then the JSON body.
 * Invariants: an error names a field and a message that are valid UTF-8
 * (they are echoed in the JSON answer); an accepted body has its required
 * parts, its retry policy within the contract's bounds, a schedule whose
 * end follows its start, and a call window that reads back. */
#include "fuzz.h"

#include "domain/campaign.h"
#include "domain/window.h"
#include "util/utf8.h"

static void check_error(const struct verr *e) {
    FUZZ_CHECK(e->message[0] != '\0');
    FUZZ_CHECK_VERR(*e);
}

static void check_accepted(const struct campaign_input *in) {
    if (in->has_config) {
        FUZZ_CHECK(json_is_object(in->config));
        struct call_window w;
        json_t *cw = json_object_get(in->config, "call_window");
        FUZZ_CHECK(window_from_json(cw, &w) == (cw && !json_is_null(cw)));
    }
    if (in->has_retry_policy) {
        struct retry_policy p;
        campaign_retry_policy(in->retry_policy, &p);
        FUZZ_CHECK(p.max_attempts >= 1 && p.max_attempts <= 10);
        FUZZ_CHECK(p.delay_seconds >= 0 && p.delay_seconds <= 86400);
    }
    if (in->has_schedule) {
        int64_t start = 0, end = 0;
        campaign_schedule_times(in->schedule, &start, &end);
        FUZZ_CHECK(!start || !end || start < end);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    struct campaign_rules rules = {.allow_private_webhooks = data[0] & 1};
    enum channel channel = (enum channel)((data[0] >> 1 & 3) % CHANNEL_COUNT);
    enum campaign_status status =
        (enum campaign_status)((data[0] >> 3 & 7) % CAMPAIGN_STATUS_COUNT);
    json_t *body = json_loadb((const char *)data + 1, size - 1,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!json_is_object(body)) { /* server.c answers 400 / 422 itself */
        json_decref(body);
        return 0;
    }
    struct campaign_input in;
    struct verr e;
    if (campaign_validate_create(body, &rules, &in, &e) == 0) {
        FUZZ_CHECK(in.name && in.agent_id && in.has_config && (unsigned)in.channel < CHANNEL_COUNT);
        check_accepted(&in);
    } else {
        check_error(&e);
    }
    int rc = campaign_validate_patch(body, channel, status, &rules, &in, &e);
    if (rc == 0) {
        FUZZ_CHECK(status == CAMPAIGN_DRAFT ||
                   !(in.has_config || in.has_schedule || in.has_retry_policy));
        check_accepted(&in);
    } else {
        FUZZ_CHECK(rc == -1 || (rc == -2 && status != CAMPAIGN_DRAFT));
        check_error(&e);
    }
    json_decref(body);
    return 0;
}
