/* effects.c - request transactions and idempotency, see effects.h. */
#include "api/effects.h"
#include "api/app.h"
#include "api/router.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fingerprint(struct request *req, char out[65]) {
    struct buf b;
    buf_init(&b, (size_t)-1 / 2);
    buf_appends(&b, req->method);
    buf_append(&b, "\n", 1);
    buf_appends(&b, req->url);
    buf_append(&b, "\n", 1);
    if (req->body.len)
        buf_append(&b, req->body.data, req->body.len);
    crypto_sha256_hex(b.data, b.len, out);
    buf_free(&b);
}

/* Looks the request's key up; -1 when it answered (replay or conflict). */
static int check_key(struct request *req) {
    struct store *st = req->app->store;
    struct idem_record rec = {0};
    int rc = st->ops->idem_get(st, req->account_id, req->idem_key,
                               clock_now_ms() - IDEMPOTENCY_TTL_MS, &rec);
    if (rc == STORE_ENOTFOUND)
        return 0;
    if (rc) {
        reply_store_error(req, rc);
        return -1;
    }
    char fp[65];
    fingerprint(req, fp);
    if (!crypto_equal(fp, rec.fingerprint, 64)) {
        reply_error(req, 409, "idempotency_conflict", "Idempotency-Key",
                    "this Idempotency-Key was used with another method, path or body");
    } else {
        reply_raw(req, rec.status, "application/json; charset=utf-8", rec.body, strlen(rec.body));
        req->replayed = 1;
    }
    idem_record_clear(&rec);
    return -1;
}

static int key_ok(struct request *req) {
    size_t n = strlen(req->idem_key);
    if (n >= 1 && n <= 255)
        return 1;
    reply_error(req, 400, "invalid_argument", "Idempotency-Key",
                "Idempotency-Key must be 1..255 characters");
    return 0;
}

int api_precheck_idempotency(struct request *req) {
    if (!req->idem_key || strcmp(req->method, "POST") != 0)
        return 0;
    if (!key_ok(req))
        return -1;
    return check_key(req);
}

int api_begin_effects(struct request *req) {
    if (req->in_tx)
        return 0;
    struct store *st = req->app->store;
    if (req->idem_key && !key_ok(req))
        return -1;
    int rc = st->ops->begin(st);
    if (rc) {
        reply_store_error(req, rc);
        return -1;
    }
    req->in_tx = 1;
    if (!req->idem_key || strcmp(req->method, "POST") != 0)
        return 0;
    return check_key(req);
}

void api_end_effects(struct request *req) {
    if (!req->in_tx)
        return;
    struct store *st = req->app->store;
    req->in_tx = 0;
    if (req->replayed || req->status < 200 || req->status > 299) {
        st->ops->rollback(st);
        return;
    }
    int rc = 0;
    if (req->idem_key && strcmp(req->method, "POST") == 0) {
        struct idem_record rec = {.key = req->idem_key, .status = req->status};
        snprintf(rec.account_id, sizeof rec.account_id, "%s", req->account_id);
        fingerprint(req, rec.fingerprint);
        rec.body = req->resp_body;
        char *redacted = NULL;
        if (req->route->flags & ROUTE_SECRET_ANSWER) {
            /* keys are shown once: a replay answers without it */
            json_t *o = json_loads(req->resp_body, 0, NULL);
            json_object_del(o, "api_key");
            json_object_del(o, "secret");
            redacted = json_dumps(o, JSON_COMPACT);
            json_decref(o);
            rec.body = redacted;
        }
        rec.created_at = clock_now_ms();
        rc = st->ops->idem_put(st, &rec, rec.created_at - IDEMPOTENCY_TTL_MS);
        rec.body = NULL;
        free(redacted);
    }
    if (rc) {
        st->ops->rollback(st);
    } else {
        rc = st->ops->commit(st);
    }
    if (rc)
        reply_store_error(req, rc);
    else if (req->wake)
        engine_wake(req->app->engine, req->wake);
}
