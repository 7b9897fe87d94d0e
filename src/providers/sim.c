/* sim.c - the built-in simulated provider. It behaves as an outside carrier
 * would: it accepts an attempt, keeps it durably in its own SQLite file, and
 * reports what happens to it later, by the number's last digit (the
 * contract's table):
 *
 *   digit  voice                          sms                  whatsapp
 *   0-5    completed                      sent, delivered      sent, delivered, read
 *   6      no_answer                      sent                 sent, delivered
 *   7      busy                           sent                 sent
 *   8      failed                         failed (refused)     failed (refused)
 *   9      no_answer on attempt 1,        sent                 sent, undelivered
 *          completed from attempt 2
 *
 * Voice calls end after CAMPAIGND_SIM_CALL_MS (busy and failed after a
 * quarter of it). Message reports come CAMPAIGND_SIM_REPORT_MS apart.
 *
 * State: sim_accepted (every attempt ever accepted: a second send of the
 * same id is answered "accepted" and starts nothing) and sim_reports (the
 * reports still owed, deleted when the engine acks them). A restart loses
 * nothing: owed reports are loaded back and sent when due, again if they
 * had been sent but not acked. Due reports wait in a min-heap under one
 * libuv timer. Thread: the engine's. */
#include "providers/provider.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/ratelimit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct pending {
    int64_t due;
    struct attempt_end o;
};

#define FAIL_LOG_EVERY_MS 10000

struct sim {
    struct provider base;
    uv_loop_t *loop;
    uv_timer_t timer;
    sqlite3 *db;
    sqlite3_stmt *accept, *report, *remove;
    long call_ms, report_ms;
    struct pending *heap;
    size_t n, cap;
    struct ratelimit fail_log; /* its state file full: a line per window, not per send */
};

static void heap_push(struct sim *s, const struct pending *p) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->heap = xrealloc(s->heap, s->cap * sizeof *s->heap);
    }
    size_t i = s->n++;
    s->heap[i] = *p;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (s->heap[parent].due <= s->heap[i].due)
            break;
        struct pending t = s->heap[parent];
        s->heap[parent] = s->heap[i];
        s->heap[i] = t;
        i = parent;
    }
}

static void heap_pop(struct sim *s) {
    s->heap[0] = s->heap[--s->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && s->heap[l].due < s->heap[m].due)
            m = l;
        if (r < s->n && s->heap[r].due < s->heap[m].due)
            m = r;
        if (m == i)
            break;
        struct pending t = s->heap[m];
        s->heap[m] = s->heap[i];
        s->heap[i] = t;
        i = m;
    }
}

static void arm(struct sim *s);

static void on_timer(uv_timer_t *t) {
    struct sim *s = t->data;
    int64_t now = clock_now_ms();
    while (s->n > 0 && s->heap[0].due <= now) {
        struct attempt_end o = s->heap[0].o;
        heap_pop(s);
        s->base.report(s->base.report_ctx, &o);
    }
    arm(s);
}

static void arm(struct sim *s) {
    if (s->n == 0) {
        uv_timer_stop(&s->timer);
        return;
    }
    int64_t wait = s->heap[0].due - clock_now_ms();
    uv_timer_start(&s->timer, on_timer, wait > 0 ? (uint64_t)wait : 0, 0);
}

static int last_digit(const struct attempt *a) {
    size_t n = strlen(a->to);
    return n ? a->to[n - 1] - '0' : 0;
}

/* The reports owed for an accepted attempt, in order; returns how many. */
static size_t plan(const struct sim *s, const struct attempt *a, struct pending out[3]) {
    int digit = last_digit(a);
    int64_t t0 = a->created_at;
    memset(out, 0, 3 * sizeof *out);
    for (int i = 0; i < 3; i++) {
        snprintf(out[i].o.call_id, sizeof out[i].o.call_id, "%s", a->call_id);
        snprintf(out[i].o.provider_call_id, sizeof out[i].o.provider_call_id, "SIM%s",
                 strchr(a->call_id, '_') ? strchr(a->call_id, '_') + 1 : a->call_id);
        out[i].o.channel = a->channel;
    }
    if (a->channel == CHANNEL_VOICE) {
        if (digit == 9)
            digit = a->attempt == 1 ? 6 : 0;
        struct attempt_end *o = &out[0].o;
        switch (digit) {
        case 6:
            o->status = CALL_NO_ANSWER;
            o->ended_at = t0 + s->call_ms;
            break;
        case 7:
            o->status = CALL_BUSY;
            o->ended_at = t0 + s->call_ms / 4;
            break;
        case 8:
            o->status = CALL_FAILED;
            o->ended_at = t0 + s->call_ms / 4;
            break;
        default:
            o->status = CALL_COMPLETED;
            o->answered_at = t0 + s->call_ms / 10;
            o->ended_at = t0 + s->call_ms;
            break;
        }
        out[0].due = o->ended_at;
        return 1;
    }
    enum message_status steps[3];
    size_t n = 0;
    if (a->channel == CHANNEL_SMS) {
        if (digit <= 5)
            steps[n++] = MSG_DELIVERED;
    } else if (digit <= 5) {
        steps[n++] = MSG_DELIVERED;
        steps[n++] = MSG_READ;
    } else if (digit == 6) {
        steps[n++] = MSG_DELIVERED;
    } else if (digit == 9) {
        steps[n++] = MSG_UNDELIVERED;
    }
    for (size_t i = 0; i < n; i++) {
        out[i].o.mstatus = steps[i];
        out[i].o.ended_at = t0 + (int64_t)(i + 1) * s->report_ms;
        out[i].due = out[i].o.ended_at;
    }
    return n;
}

static int report_key(const struct attempt_end *o) {
    return o->channel == CHANNEL_VOICE ? (int)o->status : 100 + (int)o->mstatus;
}

static int sim_send(struct provider *p, struct attempt *a, size_t n,
                    enum provider_answer *answers) {
    struct sim *s = (struct sim *)p;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    struct pending *fresh = xcalloc(3 * n + 1, sizeof *fresh);
    size_t nfresh = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (a[i].channel != CHANNEL_VOICE && last_digit(&a[i]) == 8) {
            answers[i] = PROVIDER_REJECTED; /* the submit is refused */
            continue;
        }
        answers[i] = PROVIDER_ACCEPTED;
        snprintf(a[i].provider_id, sizeof a[i].provider_id, "SIM%s",
                 strchr(a[i].call_id, '_') ? strchr(a[i].call_id, '_') + 1 : a[i].call_id);
        sqlite3_bind_text(s->accept, 1, a[i].call_id, -1, SQLITE_STATIC);
        int step = sqlite3_step(s->accept);
        sqlite3_reset(s->accept);
        if (step != SQLITE_DONE) {
            rc = -1;
            break;
        }
        if (sqlite3_changes(s->db) == 0)
            continue; /* known attempt: it is already under way */
        struct pending owed[3];
        size_t k = plan(s, &a[i], owed);
        for (size_t j = 0; j < k && rc == 0; j++) {
            const struct attempt_end *o = &owed[j].o;
            sqlite3_bind_text(s->report, 1, o->call_id, -1, SQLITE_STATIC);
            sqlite3_bind_int(s->report, 2, report_key(o));
            sqlite3_bind_int(s->report, 3, (int)o->channel);
            sqlite3_bind_int64(s->report, 4, o->answered_at);
            sqlite3_bind_int64(s->report, 5, o->ended_at);
            sqlite3_bind_text(s->report, 6, o->provider_call_id, -1, SQLITE_STATIC);
            if (sqlite3_step(s->report) != SQLITE_DONE)
                rc = -1;
            sqlite3_reset(s->report);
            fresh[nfresh++] = owed[j];
        }
    }
    if (rc != 0 || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        long held = 0;
        if (ratelimit_allow(&s->fail_log, clock_now_ms(), FAIL_LOG_EVERY_MS, &held))
            log_error("sim: cannot store attempts: %s (the engine retries them as throttled; "
                      "%ld more such failures in the last %ds not logged)",
                      sqlite3_errmsg(s->db), held, FAIL_LOG_EVERY_MS / 1000);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        free(fresh);
        return -1;
    }
    for (size_t i = 0; i < nfresh; i++)
        heap_push(s, &fresh[i]);
    free(fresh);
    arm(s);
    return 0;
}

static void sim_ack(struct provider *p, const struct attempt_end *ends, size_t n) {
    struct sim *s = (struct sim *)p;
    sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text(s->remove, 1, ends[i].call_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(s->remove, 2, report_key(&ends[i]));
        sqlite3_step(s->remove);
        sqlite3_reset(s->remove);
    }
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
}

static void on_closed(uv_handle_t *h) {
    struct sim *s = h->data;
    free(s->heap);
    free(s);
}

static void sim_close(struct provider *p) {
    struct sim *s = (struct sim *)p;
    sqlite3_finalize(s->accept);
    sqlite3_finalize(s->report);
    sqlite3_finalize(s->remove);
    sqlite3_close(s->db);
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_closed);
}

static const struct provider_ops sim_ops = {
    .name = "sim",
    .send = sim_send,
    .ack = sim_ack,
    .close = sim_close,
};

static int load_owed(struct sim *s) {
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT call_id, kind, channel, answered_at, at, provider_id "
                           "FROM sim_reports",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    size_t loaded = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        struct pending pe;
        memset(&pe, 0, sizeof pe);
        snprintf(pe.o.call_id, sizeof pe.o.call_id, "%s", (const char *)sqlite3_column_text(q, 0));
        int kind = sqlite3_column_int(q, 1);
        pe.o.channel = (enum channel)sqlite3_column_int(q, 2);
        if (kind >= 100)
            pe.o.mstatus = (enum message_status)(kind - 100);
        else
            pe.o.status = (enum call_status)kind;
        pe.o.answered_at = sqlite3_column_int64(q, 3);
        pe.o.ended_at = sqlite3_column_int64(q, 4);
        snprintf(pe.o.provider_call_id, sizeof pe.o.provider_call_id, "%s",
                 (const char *)sqlite3_column_text(q, 5));
        pe.due = pe.o.ended_at;
        heap_push(s, &pe);
        loaded++;
    }
    sqlite3_finalize(q);
    if (loaded)
        log_info("sim: %zu reports owed from before the restart", loaded);
    return 0;
}

int provider_sim_open(uv_loop_t *loop, const char *state_path, long call_ms, long report_ms,
                      provider_report_cb report, void *ctx, struct provider **out) {
    struct sim *s = xcalloc(1, sizeof *s);
    s->base.ops = &sim_ops;
    s->base.report = report;
    s->base.report_ctx = ctx;
    s->loop = loop;
    s->call_ms = call_ms;
    s->report_ms = report_ms;
    if (sqlite3_open(state_path, &s->db) != SQLITE_OK ||
        sqlite3_exec(s->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE IF NOT EXISTS sim_accepted (call_id TEXT PRIMARY KEY) "
                     "WITHOUT ROWID;"
                     "CREATE TABLE IF NOT EXISTS sim_reports (call_id TEXT NOT NULL,"
                     " kind INTEGER NOT NULL, channel INTEGER NOT NULL, answered_at INTEGER,"
                     " at INTEGER NOT NULL, provider_id TEXT NOT NULL,"
                     " PRIMARY KEY (call_id, kind))",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO sim_accepted(call_id) VALUES (?1) "
                           "ON CONFLICT(call_id) DO NOTHING",
                           -1, &s->accept, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO sim_reports(call_id, kind, channel, answered_at, at, "
                           "provider_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                           -1, &s->report, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM sim_reports WHERE call_id = ?1 AND kind = ?2", -1,
                           &s->remove, NULL) != SQLITE_OK) {
        log_error("sim: cannot open its state %s: %s", state_path, sqlite3_errmsg(s->db));
        sqlite3_finalize(s->accept);
        sqlite3_finalize(s->report);
        sqlite3_close(s->db);
        free(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 10000);
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    if (load_owed(s) != 0) {
        sim_close(&s->base);
        return -1;
    }
    arm(s);
    *out = &s->base;
    return 0;
}
