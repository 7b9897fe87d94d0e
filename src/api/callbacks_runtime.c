/* callbacks_runtime.c - see callbacks_runtime.h. */
#include "api/app.h"
#include "api/callbacks_runtime.h"
#include "engine/engine.h"
#include "util/clock.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

static int post_only(struct request *req) {
    if (strcmp(req->method, "POST") == 0)
        return 0;
    snprintf(req->allow, sizeof req->allow, "POST");
    reply_error(req, 405, "method_not_allowed", NULL,
                "%s is not allowed here; allowed: POST (a runtime's webhook)", req->method);
    return -1;
}

static void answer_ok(struct request *req, int status, const char *body) {
    if (body)
        reply_raw(req, status, "application/json; charset=utf-8", body, strlen(body));
    else
        reply_empty(req, status);
}

/* 1 when attempt id is a call of provider def (r->end.call_id set). */
static int ours(struct request *req, const struct provider_def *def, const char *id) {
    char owner[65] = "";
    enum channel ch = CHANNEL_VOICE;
    struct store *st = req->app->store;
    return id[0] && st->ops->attempt_provider(st, id, owner, &ch) == 0 &&
           strcmp(owner, def->name) == 0 && ch == CHANNEL_VOICE;
}

static void apply(struct request *req, const struct provider_def *def, struct runtime_report *r,
                  int ok_status, const char *ok_body) {
    struct store *st = req->app->store;
    if (r->kind == RUNTIME_REPORT_IGNORED) {
        answer_ok(req, ok_status, ok_body);
        return;
    }
    if (!r->end.call_id[0] && r->end.provider_call_id[0]) {
        enum channel ch;
        st->ops->attempt_by_provider_id(st, def->name, r->end.provider_call_id, r->end.call_id,
                                        &ch);
    }
    if (!ours(req, def, r->end.call_id)) {
        log_info("%s %s: a %s about %s (their %s) is no call of this provider: nothing applied",
                 def->type, def->name, r->what, r->end.call_id[0] ? r->end.call_id : "no call id",
                 r->end.provider_call_id[0] ? r->end.provider_call_id : "id unknown");
        answer_ok(req, ok_status, ok_body);
        return;
    }
    if (r->kind == RUNTIME_REPORT_END && r->undocumented)
        log_warn("%s %s: %s ended with %s, a reason the runtime does not document: failed",
                 def->type, def->name, r->end.call_id, r->end.ended_reason);
    int rc = 0;
    if (r->transcript || r->recording_url)
        rc = st->ops->call_set_media(st, r->end.call_id, r->transcript, r->recording_url);
    if (rc == 0)
        rc = engine_report(req->app->engine, st, def->name, &r->end, 1);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    answer_ok(req, ok_status, ok_body);
}

void runtime_webhook(struct request *req, const struct provider_def *def,
                     int (*authorize)(struct request *req, const struct provider_def *def),
                     runtime_read_fn read, int ok_status, const char *ok_body) {
    if (post_only(req) != 0 || authorize(req, def) != 0 || request_parse_json(req) != 0)
        return;
    struct runtime_report r;
    struct verr e;
    if (read(req->json, clock_now_ms(), &r, &e) != 0) {
        reply_error(req, 422, "invalid_argument", e.field, "%s", e.message);
        return;
    }
    apply(req, def, &r, ok_status, ok_body);
    runtime_report_clear(&r);
}
