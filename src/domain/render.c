/* render.c - JSON renderings of contract objects, see render.h. Stored JSON
 * texts (config, schedule, retry_policy) are parsed back and embedded, so
 * unknown keys come back as they were sent. */
#include "domain/render.h"
#include "util/clock.h"

json_t *render_time(int64_t ms) {
    if (!ms)
        return json_null();
    char ts[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(ms, ts);
    return json_string(ts);
}

static json_t *stored_json(const char *text) {
    if (!text)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_null();
}

json_t *render_counters(const struct counters *c) {
    json_t *d = json_object();
    for (int i = 0; i < DISP_COUNT; i++)
        json_object_set_new(d, disposition_name((enum disposition)i),
                            json_integer(c->dispositions[i]));
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "total", (json_int_t)c->total, "queued",
                     (json_int_t)c->queued, "dispatched", (json_int_t)c->dispatched, "succeeded",
                     (json_int_t)c->succeeded, "failed", (json_int_t)c->failed, "dispositions", d);
}

json_t *render_campaign(const struct campaign *c) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "name", json_string(c->name));
    json_object_set_new(o, "agent_id", json_string(c->agent_id));
    json_object_set_new(o, "channel", json_string(channel_name(c->channel)));
    json_object_set_new(o, "status", json_string(campaign_status_name(c->status)));
    json_object_set_new(o, "config", stored_json(c->config_json));
    json_object_set_new(o, "schedule", stored_json(c->schedule_json));
    json_object_set_new(o, "retry_policy", stored_json(c->retry_policy_json));
    json_object_set_new(o, "counters", render_counters(&c->counters));
    json_object_set_new(o, "created_at", render_time(c->created_at));
    json_object_set_new(o, "updated_at", render_time(c->updated_at));
    json_object_set_new(o, "started_at", render_time(c->started_at));
    json_object_set_new(o, "completed_at", render_time(c->completed_at));
    json_object_set_new(o, "cancelled_at", render_time(c->cancelled_at));
    return o;
}

json_t *render_list(json_t *data, const char *next_token) {
    return json_pack("{s:o, s:o}", "data", data, "next_page_token",
                     next_token ? json_string(next_token) : json_null());
}

static json_t *string_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

json_t *render_recipient(const struct recipient *r, int64_t next_attempt_at) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "campaign_id", json_string(r->campaign_id));
    json_object_set_new(o, "phone_number", json_string(r->phone_number));
    json_object_set_new(o, "params", r->params_json ? stored_json(r->params_json) : json_object());
    json_object_set_new(o, "status", json_string(recipient_status_name(r->status)));
    json_object_set_new(o, "disposition", string_or_null(disposition_name(r->disposition)));
    json_object_set_new(o, "attempts", json_integer(r->attempts));
    json_object_set_new(o, "carrier", string_or_null(r->carrier));
    json_object_set_new(o, "created_at", render_time(r->created_at));
    json_object_set_new(o, "last_attempt_at", render_time(r->last_attempt_at));
    json_object_set_new(o, "next_attempt_at", render_time(next_attempt_at));
    json_object_set_new(o, "last_call_id", string_or_null(r->last_call_id));
    json_object_set_new(o, "last_message_id", string_or_null(r->last_message_id));
    return o;
}

json_t *render_call(const struct call *c) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "campaign_id",
                        c->campaign_id[0] ? json_string(c->campaign_id) : json_null());
    json_object_set_new(o, "recipient_id", json_string(c->recipient_id));
    json_object_set_new(o, "agent_id", string_or_null(c->agent_id));
    json_object_set_new(o, "from", string_or_null(c->from));
    json_object_set_new(o, "to", string_or_null(c->to));
    json_object_set_new(o, "attempt", json_integer(c->attempt));
    json_object_set_new(o, "status", json_string(call_status_name(c->status)));
    json_object_set_new(o, "carrier", string_or_null(c->carrier));
    json_object_set_new(o, "provider", string_or_null(c->provider));
    json_object_set_new(o, "provider_call_id", string_or_null(c->provider_call_id));
    json_object_set_new(o, "created_at", render_time(c->created_at));
    json_object_set_new(o, "answered_at", render_time(c->answered_at));
    json_object_set_new(o, "ended_at", render_time(c->ended_at));
    json_object_set_new(o, "duration_seconds",
                        c->duration_ms >= 0 && c->ended_at
                            ? json_real((double)c->duration_ms / 1000.0)
                            : json_null());
    json_object_set_new(o, "transcript", string_or_null(c->transcript));
    json_object_set_new(o, "recording_url", string_or_null(c->recording_url));
    json_object_set_new(o, "answered_by", string_or_null(answered_by_name(c->answered_by)));
    json_object_set_new(o, "ended_reason", string_or_null(c->ended_reason));
    json_object_set_new(o, "error_code", string_or_null(c->error_code));
    return o;
}

json_t *render_message(const struct message *m) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(m->id));
    json_object_set_new(o, "campaign_id",
                        m->campaign_id[0] ? json_string(m->campaign_id) : json_null());
    json_object_set_new(o, "recipient_id", json_string(m->recipient_id));
    json_object_set_new(o, "channel", json_string(channel_name(m->channel)));
    if (m->channel == CHANNEL_WHATSAPP) {
        json_object_set_new(o, "sender", string_or_null(m->from));
        json_object_set_new(o, "to", string_or_null(m->to));
        json_object_set_new(o, "template", stored_json(m->template_json));
        json_object_set_new(o, "pricing_category", string_or_null(m->pricing_category));
    } else {
        json_object_set_new(o, "from", string_or_null(m->from));
        json_object_set_new(o, "to", string_or_null(m->to));
        json_object_set_new(o, "body", string_or_null(m->body));
        json_object_set_new(o, "segments", json_integer(m->segments));
        json_object_set_new(o, "encoding", string_or_null(m->encoding));
    }
    json_object_set_new(o, "attempt", json_integer(m->attempt));
    json_object_set_new(o, "status", json_string(message_status_name(m->status)));
    json_object_set_new(o, "carrier", string_or_null(m->carrier));
    json_object_set_new(o, "provider", string_or_null(m->provider));
    json_object_set_new(o, "provider_message_id", string_or_null(m->provider_message_id));
    json_object_set_new(o, "created_at", render_time(m->created_at));
    json_object_set_new(o, "sent_at", render_time(m->sent_at));
    json_object_set_new(o, "delivered_at", render_time(m->delivered_at));
    json_object_set_new(o, "read_at", render_time(m->read_at));
    json_object_set_new(o, "failed_at", render_time(m->failed_at));
    json_object_set_new(o, "updated_at", render_time(m->updated_at));
    json_object_set_new(o, "error_code", string_or_null(m->error_code));
    return o;
}

json_t *render_opt_out(const struct opt_out *o) {
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}", "id", o->id, "phone_number", o->phone_number,
                     "channel", channel_name(o->channel), "category",
                     o->category[0] ? json_string(o->category) : json_null(), "source", o->source,
                     "created_at", render_time(o->created_at));
}
