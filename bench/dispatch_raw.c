/* dispatch_raw.c - the RAW floor of the dispatch benchmark (issue 19):
 * what SQLite allows when dispatching a voice campaign does only the
 * minimum correct work per disposition, on a minimal schema of its own
 * (bench/raw_schema.h), not campaignd's. Per batch of up to 2,000 due
 * recipients of a lane (the engine's claim size), two transactions as the
 * engine has: the claim (read the due rows, move each recipient queued ->
 * dispatched, insert its call row, move the counters once) and the end
 * (the call's end update, the recipient dispatched -> succeeded, the
 * counters once). Prints dispositions/second as JSON.
 *
 *   build-release/dispatch_raw DBPATH [N]
 *
 * The N recipients are inserted first, untimed, as bench/upload_raw.c
 * leaves them. The schema and why each part is there:
 * - recipients: as in upload_raw.c (rowid key in upload order, the dedup
 *   UNIQUE (campaign, phone), and the partial due index (lane, campaign,
 *   due_at) WHERE status = 0 the claim reads and every move out of the
 *   queue updates).
 * - calls(seq INTEGER PRIMARY KEY): one row per dial attempt; its one
 *   index is its key (by id: a provider's report names the call). It
 *   stores whom it dialled (recipient, campaign, to), its status and when
 *   it started and ended. No other index: listing calls by campaign or
 *   recipient is a feature of campaignd's API, not of dispatching.
 * - campaigns: the counters, moved once per transaction by the batch's
 *   count (total = queued + dispatched + succeeded + failed at commit). */
#include "raw_schema.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 2000

static sqlite3 *db;

static sqlite3_stmt *prep(const char *sql) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "dispatch_raw: prepare: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    return s;
}

static void run(sqlite3_stmt *s) {
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "dispatch_raw: step: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(s);
}

static void exec(const char *sql) {
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "dispatch_raw: %s: %s\n", sql, sqlite3_errmsg(db));
        exit(1);
    }
}

static void seed(long n) {
    sqlite3_stmt *ins = prep("INSERT INTO recipients(campaign, phone, lane, created_at) "
                             "VALUES (1, ?1, 1, 0)");
    exec("BEGIN");
    for (long i = 0; i < n; i++) {
        char phone[32];
        int len = snprintf(phone, sizeof phone, "+1415%07ld", 2000000 + i);
        sqlite3_bind_text(ins, 1, phone, len, SQLITE_STATIC);
        run(ins);
    }
    sqlite3_finalize(ins);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE campaigns SET total = %ld, queued = %ld", n, n);
    exec(sql);
    exec("COMMIT");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DBPATH [N]\n", argv[0]);
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK)
        return 1;
    exec(raw_schema);
    seed(n);

    sqlite3_stmt *due = prep("SELECT seq, phone FROM recipients WHERE lane = 1 AND campaign = 1 "
                             "AND status = 0 AND due_at <= ?1 ORDER BY due_at LIMIT ?2");
    sqlite3_stmt *claim = prep("UPDATE recipients SET status = 1, attempts = attempts + 1 "
                               "WHERE seq = ?1 AND status = 0");
    sqlite3_stmt *call = prep("INSERT INTO calls(campaign, recipient, to_number, attempt, status, "
                              "created_at) VALUES (1, ?1, ?2, 1, 0, ?3)");
    sqlite3_stmt *c_claim = prep("UPDATE campaigns SET queued = queued - ?1, "
                                 "dispatched = dispatched + ?1 WHERE seq = 1");
    sqlite3_stmt *end_call = prep("UPDATE calls SET status = 1, ended_at = ?2, duration_ms = 0 "
                                  "WHERE seq = ?1 AND ended_at IS NULL");
    sqlite3_stmt *end_rcp = prep("UPDATE recipients SET status = 2 WHERE seq = ?1 AND status = 1");
    sqlite3_stmt *c_end = prep("UPDATE campaigns SET dispatched = dispatched - ?1, "
                               "succeeded = succeeded + ?1 WHERE seq = 1");
    static int64_t rcp[BATCH], calls[BATCH];
    static char phones[BATCH][32];
    uint64_t t0 = raw_mono_ns();
    long done = 0;
    for (;;) {
        int64_t now = (int64_t)time(NULL) * 1000;
        exec("BEGIN IMMEDIATE");
        sqlite3_bind_int64(due, 1, now);
        sqlite3_bind_int64(due, 2, BATCH);
        int k = 0;
        while (sqlite3_step(due) == SQLITE_ROW) {
            rcp[k] = sqlite3_column_int64(due, 0);
            snprintf(phones[k], sizeof phones[k], "%s", (const char *)sqlite3_column_text(due, 1));
            k++;
        }
        sqlite3_reset(due);
        for (int i = 0; i < k; i++) {
            sqlite3_bind_int64(claim, 1, rcp[i]);
            run(claim);
            sqlite3_bind_int64(call, 1, rcp[i]);
            sqlite3_bind_text(call, 2, phones[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64(call, 3, now);
            run(call);
            calls[i] = sqlite3_last_insert_rowid(db);
        }
        sqlite3_bind_int(c_claim, 1, k);
        run(c_claim);
        exec("COMMIT");
        if (k == 0)
            break;
        exec("BEGIN IMMEDIATE");
        for (int i = 0; i < k; i++) {
            sqlite3_bind_int64(end_call, 1, calls[i]);
            sqlite3_bind_int64(end_call, 2, now);
            run(end_call);
            sqlite3_bind_int64(end_rcp, 1, rcp[i]);
            run(end_rcp);
        }
        sqlite3_bind_int(c_end, 1, k);
        run(c_end);
        exec("COMMIT");
        done += k;
    }
    double secs = (double)(raw_mono_ns() - t0) / 1e9;
    sqlite3_finalize(due);
    sqlite3_finalize(claim);
    sqlite3_finalize(call);
    sqlite3_finalize(c_claim);
    sqlite3_finalize(end_call);
    sqlite3_finalize(end_rcp);
    sqlite3_finalize(c_end);
    sqlite3_close(db);
    printf("{\"bench\": \"dispatch_raw\", \"recipients\": %ld, \"seconds\": %.3f, "
           "\"dispositions_per_second\": %.0f}\n",
           done, secs, (double)done / secs);
    return 0;
}
