/* sim.c - the built-in simulated provider. It behaves as an outside carrier
 * would: it accepts an attempt, keeps it durably in its own SQLite file, and
 * reports how it ended after CAMPAIGND_SIM_CALL_MS, by the number's last
 * digit (the contract's table):
 *
 *   0-5 completed   6 no_answer   7 busy   8 failed   9 no_answer on the
 *   first attempt, completed from the second
 *
 * Busy and failed calls end after a quarter of the call time. A restart
 * loses nothing: pending attempts are loaded back and reported when due,
 * and reported ones are reported again until the engine acks them.
 * Pending reports wait in a min-heap on ended_at under one libuv timer.
 * Thread: the engine's. */
#include "providers/provider.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct pending {
    int64_t due;
    struct attempt_end o;
};

struct sim {
    struct provider base;
    uv_loop_t *loop;
    uv_timer_t timer;
    sqlite3 *db;
    sqlite3_stmt *insert, *remove;
    long call_ms, report_ms;
    struct pending *heap;
    size_t n, cap;
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

static void decide(const struct sim *s, const struct attempt *a, struct attempt_end *o) {
    size_t n = strlen(a->to);
    int digit = n ? a->to[n - 1] - '0' : 0;
    int64_t t0 = a->created_at;
    memset(o, 0, sizeof *o);
    snprintf(o->call_id, sizeof o->call_id, "%s", a->call_id);
    snprintf(o->provider_call_id, sizeof o->provider_call_id, "SIM%s", a->call_id + 5);
    if (digit == 9)
        digit = a->attempt == 1 ? 6 : 0;
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
}

static int sim_send(struct provider *p, const struct attempt *a, size_t n,
                    enum provider_answer *answers) {
    struct sim *s = (struct sim *)p;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct pending pe;
        decide(s, &a[i], &pe.o);
        pe.due = pe.o.ended_at;
        sqlite3_bind_text(s->insert, 1, pe.o.call_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(s->insert, 2, (int)pe.o.status);
        sqlite3_bind_int64(s->insert, 3, pe.o.answered_at);
        sqlite3_bind_int64(s->insert, 4, pe.o.ended_at);
        sqlite3_bind_text(s->insert, 5, pe.o.provider_call_id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s->insert);
        sqlite3_reset(s->insert);
        if (rc != SQLITE_DONE) {
            log_error("sim: cannot store attempt %s: %s", pe.o.call_id, sqlite3_errmsg(s->db));
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        answers[i] = PROVIDER_ACCEPTED;
        if (sqlite3_changes(s->db) == 1)
            heap_push(s, &pe); /* new: it will ring; a known one is already queued */
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    arm(s);
    return 0;
}

static void sim_ack(struct provider *p, const char *const *ids, size_t n) {
    struct sim *s = (struct sim *)p;
    sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text(s->remove, 1, ids[i], -1, SQLITE_STATIC);
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
    sqlite3_finalize(s->insert);
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

static int load_pending(struct sim *s) {
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT call_id, status, answered_at, ended_at, provider_call_id "
                           "FROM sim_calls",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    size_t loaded = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        struct pending pe;
        memset(&pe, 0, sizeof pe);
        snprintf(pe.o.call_id, sizeof pe.o.call_id, "%s", (const char *)sqlite3_column_text(q, 0));
        pe.o.status = (enum call_status)sqlite3_column_int(q, 1);
        pe.o.answered_at = sqlite3_column_int64(q, 2);
        pe.o.ended_at = sqlite3_column_int64(q, 3);
        snprintf(pe.o.provider_call_id, sizeof pe.o.provider_call_id, "%s",
                 (const char *)sqlite3_column_text(q, 4));
        pe.due = pe.o.ended_at;
        heap_push(s, &pe);
        loaded++;
    }
    sqlite3_finalize(q);
    if (loaded)
        log_info("sim: %zu attempts from before the restart will report", loaded);
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
                     "CREATE TABLE IF NOT EXISTS sim_calls (call_id TEXT PRIMARY KEY,"
                     " status INTEGER NOT NULL, answered_at INTEGER, ended_at INTEGER NOT NULL,"
                     " provider_call_id TEXT NOT NULL)",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO sim_calls(call_id, status, answered_at, ended_at, "
                           "provider_call_id) VALUES (?1, ?2, ?3, ?4, ?5) "
                           "ON CONFLICT(call_id) DO NOTHING",
                           -1, &s->insert, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM sim_calls WHERE call_id = ?1", -1, &s->remove,
                           NULL) != SQLITE_OK) {
        log_error("sim: cannot open its state %s: %s", state_path, sqlite3_errmsg(s->db));
        sqlite3_finalize(s->insert);
        sqlite3_close(s->db);
        free(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 10000);
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    if (load_pending(s) != 0) {
        sim_close(&s->base);
        return -1;
    }
    arm(s);
    *out = &s->base;
    return 0;
}
