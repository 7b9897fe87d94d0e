/* campaign.c - campaign lifecycle table and body validation, see campaign.h.
 * Validators walk the body in a fixed order so `field` always names the
 * first wrong field; unknown keys inside config / schedule / retry_policy
 * are left alone (kept as sent), unknown top-level keys are refused. */
#include "domain/campaign.h"
#include "domain/phone.h"
#include "domain/template.h"
#include "domain/wa_template.h"
#include "domain/webhook_url.h"
#include "domain/window.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

void campaign_clear(struct campaign *c) {
    free(c->name);
    free(c->agent_id);
    free(c->config_json);
    free(c->schedule_json);
    free(c->retry_policy_json);
    c->name = c->agent_id = c->config_json = c->schedule_json = c->retry_policy_json = NULL;
}

const char *campaign_move_name(enum campaign_move m) {
    static const char *names[] = {"start", "pause", "resume", "cancel", "complete"};
    return (unsigned)m <= MOVE_COMPLETE ? names[m] : "unknown";
}

enum move_result campaign_plan_move(enum campaign_status from, enum campaign_move move,
                                    int64_t total, enum campaign_status *to) {
    switch (move) {
    case MOVE_START:
        if (from == CAMPAIGN_RUNNING)
            return MOVE_NOOP;
        if (from != CAMPAIGN_DRAFT)
            return MOVE_INVALID;
        if (total <= 0)
            return MOVE_EMPTY;
        *to = CAMPAIGN_RUNNING;
        return MOVE_OK;
    case MOVE_PAUSE:
        if (from == CAMPAIGN_PAUSED)
            return MOVE_NOOP;
        if (from != CAMPAIGN_RUNNING)
            return MOVE_INVALID;
        *to = CAMPAIGN_PAUSED;
        return MOVE_OK;
    case MOVE_RESUME:
        if (from == CAMPAIGN_RUNNING)
            return MOVE_NOOP;
        if (from != CAMPAIGN_PAUSED)
            return MOVE_INVALID;
        *to = CAMPAIGN_RUNNING;
        return MOVE_OK;
    case MOVE_CANCEL:
        if (from == CAMPAIGN_CANCELLED)
            return MOVE_NOOP;
        if (from == CAMPAIGN_COMPLETED)
            return MOVE_INVALID;
        *to = CAMPAIGN_CANCELLED;
        return MOVE_OK;
    case MOVE_COMPLETE:
        if (from == CAMPAIGN_COMPLETED)
            return MOVE_NOOP;
        if (from != CAMPAIGN_RUNNING)
            return MOVE_INVALID;
        *to = CAMPAIGN_COMPLETED;
        return MOVE_OK;
    }
    return MOVE_INVALID;
}

size_t utf8_length(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

static int check_string(json_t *v, const char *field, size_t min, size_t max, struct verr *e) {
    if (!v || json_is_null(v))
        return verr_set(e, field, "%s is required", field);
    if (!json_is_string(v))
        return verr_set(e, field, "%s must be a string", field);
    size_t n = utf8_length(json_string_value(v));
    if (n < min || n > max)
        return verr_set(e, field, "%s must be %zu..%zu characters", field, min, max);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return verr_set(e, field, "%s must not contain NUL characters", field);
    return 0;
}

static int check_webhook(json_t *config, const struct campaign_rules *rules, struct verr *e) {
    json_t *v = json_object_get(config, "webhook_url");
    if (!v || json_is_null(v))
        return 0;
    const char *why = NULL;
    if (!json_is_string(v))
        return verr_set(e, "config.webhook_url", "config.webhook_url must be a string");
    if (webhook_url_check(json_string_value(v), rules->allow_private_webhooks, &why) != 0)
        return verr_set(e, "config.webhook_url", "config.webhook_url %s", why);
    return 0;
}

static int check_window(json_t *config, struct verr *e) {
    json_t *w = json_object_get(config, "call_window");
    if (!w || json_is_null(w))
        return 0;
    return window_validate(w, "config.call_window", e);
}

static int check_voice_config(json_t *c, const struct campaign_rules *r, struct verr *e) {
    json_t *caller = json_object_get(c, "caller_id");
    if (!caller || json_is_null(caller))
        return verr_set(e, "config.caller_id", "config.caller_id is required for voice");
    if (!json_is_string(caller) || !phone_is_e164(json_string_value(caller)))
        return verr_set(e, "config.caller_id", "config.caller_id must be an E.164 number");
    if (check_webhook(c, r, e) || check_window(c, e))
        return -1;
    return 0;
}

static int check_sms_config(json_t *c, const struct campaign_rules *r, struct verr *e) {
    json_t *from = json_object_get(c, "from");
    if (!from || json_is_null(from))
        return verr_set(e, "config.from", "config.from is required for sms");
    if (!json_is_string(from) || !phone_is_sms_sender(json_string_value(from)))
        return verr_set(e, "config.from",
                        "config.from must be an E.164 number, a Twilio Messaging Service SID "
                        "(MG...) or an alphanumeric sender id "
                        "of 1..11 characters");
    if (check_string(json_object_get(c, "body"), "config.body", 1, 1600, e))
        return -1;
    const char *why = NULL;
    if (template_check(json_string_value(json_object_get(c, "body")), &why) != 0)
        return verr_set(e, "config.body", "config.body %s", why);
    if (check_webhook(c, r, e) || check_window(c, e))
        return -1;
    return 0;
}

static int check_whatsapp_config(json_t *c, const struct campaign_rules *r, struct verr *e) {
    if (check_string(json_object_get(c, "sender"), "config.sender", 1, 128, e))
        return -1;
    json_t *t = json_object_get(c, "template");
    if (!t || json_is_null(t))
        return verr_set(e, "config.template", "config.template is required for whatsapp");
    if (!json_is_object(t))
        return verr_set(e, "config.template", "config.template must be an object");
    if (check_string(json_object_get(t, "name"), "config.template.name", 1, 512, e) ||
        check_string(json_object_get(t, "language"), "config.template.language", 2, 16, e))
        return -1;
    json_t *cat = json_object_get(t, "category");
    const char *cs = json_string_value(cat);
    if (!cat || json_is_null(cat))
        return verr_set(e, "config.template.category", "config.template.category is required");
    if (!cs || (strcmp(cs, "marketing") && strcmp(cs, "utility") && strcmp(cs, "authentication")))
        return verr_set(e, "config.template.category",
                        "config.template.category must be marketing, utility or authentication");
    json_t *params = json_object_get(t, "parameters");
    if (params && !json_is_null(params)) {
        if (!json_is_array(params))
            return verr_set(e, "config.template.parameters",
                            "config.template.parameters must be an array of strings");
        size_t i;
        json_t *p;
        json_array_foreach(params, i, p) {
            char f[64];
            snprintf(f, sizeof f, "config.template.parameters[%zu]", i);
            const char *why = NULL;
            if (!json_is_string(p))
                return verr_set(e, f, "%s must be a string", f);
            if (template_check(json_string_value(p), &why) != 0)
                return verr_set(e, f, "%s %s", f, why);
        }
    }
    if (wa_template_check_extras(t, e) || check_window(c, e))
        return -1;
    return check_webhook(c, r, e);
}

static int check_config(json_t *config, enum channel ch, const struct campaign_rules *r,
                        struct verr *e) {
    if (!config || json_is_null(config))
        return verr_set(e, "config", "config is required");
    if (!json_is_object(config))
        return verr_set(e, "config", "config must be an object");
    switch (ch) {
    case CHANNEL_VOICE:
        return check_voice_config(config, r, e);
    case CHANNEL_SMS:
        return check_sms_config(config, r, e);
    default:
        return check_whatsapp_config(config, r, e);
    }
}

static int check_schedule(json_t *s, struct verr *e) {
    if (!s || json_is_null(s))
        return 0;
    if (!json_is_object(s))
        return verr_set(e, "schedule", "schedule must be an object or null");
    int64_t at[2] = {0, 0};
    int given[2] = {0, 0};
    const char *keys[] = {"start_at", "end_at"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(s, keys[i]);
        char f[32];
        snprintf(f, sizeof f, "schedule.%s", keys[i]);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_string(v) || clock_parse_rfc3339(json_string_value(v), &at[i]) != 0)
            return verr_set(e, f, "%s must be an RFC 3339 date-time", f);
        given[i] = 1;
    }
    if (given[0] && given[1] && at[1] <= at[0])
        return verr_set(e, "schedule.end_at", "schedule.end_at must be after schedule.start_at");
    return 0;
}

static int check_retry_policy(json_t *p, enum channel ch, struct verr *e) {
    if (!p || json_is_null(p))
        return 0;
    if (ch != CHANNEL_VOICE)
        return verr_set(e, "retry_policy", "retry_policy applies to voice campaigns only");
    if (!json_is_object(p))
        return verr_set(e, "retry_policy", "retry_policy must be an object or null");
    json_t *v = json_object_get(p, "max_attempts");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 10))
        return verr_set(e, "retry_policy.max_attempts",
                        "retry_policy.max_attempts must be an integer 1..10");
    v = json_object_get(p, "retry_on");
    if (v) {
        if (!json_is_array(v))
            return verr_set(e, "retry_policy.retry_on",
                            "retry_policy.retry_on must be an array of no_answer, busy, voicemail");
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            const char *s = json_string_value(x);
            if (!s || (strcmp(s, "no_answer") && strcmp(s, "busy") && strcmp(s, "voicemail"))) {
                char f[48];
                snprintf(f, sizeof f, "retry_policy.retry_on[%zu]", i);
                return verr_set(e, f, "%s must be no_answer, busy or voicemail", f);
            }
        }
    }
    v = json_object_get(p, "delay_seconds");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 86400))
        return verr_set(e, "retry_policy.delay_seconds",
                        "retry_policy.delay_seconds must be an integer 0..86400");
    v = json_object_get(p, "backoff");
    if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "fixed") &&
                                     strcmp(json_string_value(v), "exponential"))))
        return verr_set(e, "retry_policy.backoff",
                        "retry_policy.backoff must be fixed or exponential");
    return 0;
}

static const char *first_unknown_key(json_t *body, const char *const *known) {
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        int ok = 0;
        for (const char *const *k = known; *k; k++)
            ok |= strcmp(*k, key) == 0;
        if (!ok)
            return key;
    }
    return NULL;
}

static json_t *nonnull(json_t *v) {
    return v && !json_is_null(v) ? v : NULL;
}

int campaign_validate_create(json_t *body, const struct campaign_rules *rules,
                             struct campaign_input *out, struct verr *e) {
    static const char *const known[] = {"name",     "agent_id",     "channel", "config",
                                        "schedule", "retry_policy", NULL};
    memset(out, 0, sizeof *out);
    if (check_string(json_object_get(body, "name"), "name", 1, 200, e) ||
        check_string(json_object_get(body, "agent_id"), "agent_id", 1, 128, e))
        return -1;
    out->channel = CHANNEL_VOICE;
    json_t *ch = json_object_get(body, "channel");
    if (ch && !json_is_null(ch) &&
        (!json_is_string(ch) || channel_parse(json_string_value(ch), &out->channel) != 0))
        return verr_set(e, "channel", "channel must be voice, sms or whatsapp");
    json_t *config = json_object_get(body, "config");
    if (check_config(config, out->channel, rules, e) ||
        check_schedule(json_object_get(body, "schedule"), e) ||
        check_retry_policy(json_object_get(body, "retry_policy"), out->channel, e))
        return -1;
    const char *unknown = first_unknown_key(body, known);
    if (unknown)
        return verr_set(e, unknown, "unknown field %s", unknown);
    out->name = json_string_value(json_object_get(body, "name"));
    out->agent_id = json_string_value(json_object_get(body, "agent_id"));
    out->config = config;
    out->schedule = nonnull(json_object_get(body, "schedule"));
    out->retry_policy = nonnull(json_object_get(body, "retry_policy"));
    out->has_name = out->has_config = out->has_schedule = out->has_retry_policy = 1;
    return 0;
}

int campaign_validate_patch(json_t *body, enum channel channel, enum campaign_status status,
                            const struct campaign_rules *rules, struct campaign_input *out,
                            struct verr *e) {
    static const char *const known[] = {"name", "config", "schedule", "retry_policy", NULL};
    memset(out, 0, sizeof *out);
    out->channel = channel;
    const char *unknown = first_unknown_key(body, known);
    if (unknown)
        return verr_set(e, unknown, "%s cannot be changed", unknown);
    if (status != CAMPAIGN_DRAFT) {
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v) {
            if (strcmp(key, "name") != 0) {
                verr_set(e, key, "only name can change once a campaign is %s",
                         campaign_status_name(status));
                return -2;
            }
        }
    }
    json_t *v;
    if ((v = json_object_get(body, "name"))) {
        if (check_string(v, "name", 1, 200, e))
            return -1;
        out->name = json_string_value(v);
        out->has_name = 1;
    }
    if ((v = json_object_get(body, "config"))) {
        if (check_config(v, channel, rules, e))
            return -1;
        out->config = v;
        out->has_config = 1;
    }
    if ((v = json_object_get(body, "schedule"))) {
        if (check_schedule(v, e))
            return -1;
        out->schedule = nonnull(v);
        out->has_schedule = 1;
    }
    if ((v = json_object_get(body, "retry_policy"))) {
        if (check_retry_policy(v, channel, e))
            return -1;
        out->retry_policy = nonnull(v);
        out->has_retry_policy = 1;
    }
    return 0;
}

void campaign_retry_policy(json_t *p, struct retry_policy *out) {
    out->max_attempts = 1;
    out->retry_on_no_answer = out->retry_on_busy = 1;
    out->retry_on_voicemail = 0;
    out->delay_seconds = 300;
    out->exponential = 0;
    if (!p || !json_is_object(p))
        return;
    json_t *v = json_object_get(p, "max_attempts");
    out->max_attempts = v ? (int)json_integer_value(v) : 3;
    if ((v = json_object_get(p, "retry_on"))) {
        out->retry_on_no_answer = out->retry_on_busy = 0;
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            const char *s = json_string_value(x);
            if (strcmp(s, "no_answer") == 0)
                out->retry_on_no_answer = 1;
            else if (strcmp(s, "voicemail") == 0)
                out->retry_on_voicemail = 1;
            else
                out->retry_on_busy = 1;
        }
    }
    if ((v = json_object_get(p, "delay_seconds")))
        out->delay_seconds = (int)json_integer_value(v);
    if ((v = json_object_get(p, "backoff")))
        out->exponential = strcmp(json_string_value(v), "exponential") == 0;
}

void campaign_schedule_times(json_t *schedule, int64_t *start_at, int64_t *end_at) {
    *start_at = *end_at = 0;
    const char *s = json_string_value(json_object_get(schedule, "start_at"));
    const char *e = json_string_value(json_object_get(schedule, "end_at"));
    if (s && clock_parse_rfc3339(s, start_at) != 0)
        *start_at = 0;
    if (e && clock_parse_rfc3339(e, end_at) != 0)
        *end_at = 0;
}
