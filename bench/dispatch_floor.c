/* dispatch_floor.c - the floor for the dispatch benchmark: the same row
 * updates the engine makes for each recipient of a voice campaign, done
 * directly in SQLite from C with prepared statements, 2,000 recipients per
 * transaction (the engine's batch): claim (recipient dispatched + call row
 * + counters), then the end (call ended + recipient succeeded + counters).
 * Prints dispositions/second as JSON.
 *
 *   build-release/dispatch_floor DBPATH [N]
 *
 * The schema comes from campaignd's own migrations (store_open). */
#include "store/store.h"
#include "util/clock.h"
#include "util/ids.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 2000

static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    return s;
}

static void step(sqlite3 *db, sqlite3_stmt *s) {
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "step: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(s);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DBPATH [N]\n", argv[0]);
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    char url[1024], err[256];
    snprintf(url, sizeof url, "sqlite:%s", argv[1]);
    struct store *st;
    if (store_open(url, &st, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    st->ops->close(st);
    sqlite3 *db;
    sqlite3_open(argv[1], &db);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
                 NULL, NULL, NULL);
    sqlite3_exec(db,
                 "INSERT INTO accounts(id, name, created_at) VALUES ('acct_floor', 'floor', 0);"
                 "INSERT INTO campaigns(id, account_id, name, agent_id, channel, status, config, "
                 "created_at, updated_at) VALUES ('cmp_floor', 'acct_floor', 'f', 'a', 'voice', "
                 "'running', '{}', 0, 0)",
                 NULL, NULL, NULL);
    /* the recipients, as an upload leaves them (not timed) */
    sqlite3_stmt *ins =
        prep(db, "INSERT INTO recipients(id, campaign_seq, phone_number, carrier, "
                 "lane, created_at, updated_at) VALUES (?1, 1, ?2, 'default-voice', "
                 "'default-voice', 0, 0)");
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (long i = 0; i < n; i++) {
        char id[IDS_MAX_LEN], phone[32];
        ids_new("rcp_", id);
        snprintf(phone, sizeof phone, "+1415%07ld", 2000000 + i);
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, phone, -1, SQLITE_TRANSIENT);
        step(db, ins);
    }
    char count_sql[128];
    snprintf(count_sql, sizeof count_sql, "UPDATE campaigns SET total = %ld, queued = %ld", n, n);
    sqlite3_exec(db, count_sql, NULL, NULL, NULL);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(ins);

    sqlite3_stmt *due = prep(db, "SELECT seq, phone_number FROM recipients WHERE lane = "
                                 "'default-voice' AND campaign_seq = 1 AND status = 'queued' AND "
                                 "due_at <= ?1 ORDER BY due_at, seq LIMIT ?2");
    sqlite3_stmt *claim = prep(db, "UPDATE recipients SET status = 'dispatched', attempts = "
                                   "attempts + 1, last_attempt_at = ?2, last_call_id = ?3, "
                                   "updated_at = ?2 WHERE seq = ?1");
    sqlite3_stmt *call = prep(db, "INSERT INTO calls(id, account_id, campaign_seq, recipient_seq, "
                                  "agent_id, from_number, to_number, attempt, status, carrier, "
                                  "lane, provider, created_at) VALUES (?1, 'acct_floor', 1, ?2, "
                                  "'a', '+14155550100', ?3, 1, 'ringing', 'default-voice', "
                                  "'default-voice', 'sim', ?4)");
    sqlite3_stmt *c_claim =
        prep(db, "UPDATE campaigns SET queued = queued - ?1, dispatched = dispatched + ?1 "
                 "WHERE seq = 1");
    sqlite3_stmt *end_call = prep(db, "UPDATE calls SET status = 'completed', answered_at = ?2, "
                                      "ended_at = ?2, duration_ms = 0 WHERE id = ?1");
    sqlite3_stmt *end_rcp = prep(db, "UPDATE recipients SET status = 'succeeded', disposition = "
                                     "'completed', due_at = 0, updated_at = ?2 WHERE seq = ?1");
    sqlite3_stmt *c_end =
        prep(db, "UPDATE campaigns SET dispatched = dispatched - ?1, succeeded = succeeded + ?1, "
                 "d_completed = d_completed + ?1 WHERE seq = 1");
    int64_t *seqs = malloc(BATCH * sizeof *seqs);
    char(*ids)[IDS_MAX_LEN] = malloc(BATCH * sizeof *ids);
    uint64_t t0 = clock_mono_ns();
    long done = 0;
    while (done < n) {
        int64_t now = clock_now_ms();
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_bind_int64(due, 1, now);
        sqlite3_bind_int64(due, 2, BATCH);
        int k = 0;
        char phones[BATCH][20];
        while (sqlite3_step(due) == SQLITE_ROW) {
            seqs[k] = sqlite3_column_int64(due, 0);
            snprintf(phones[k], sizeof phones[k], "%s", (const char *)sqlite3_column_text(due, 1));
            k++;
        }
        sqlite3_reset(due);
        for (int i = 0; i < k; i++) {
            ids_new("call_", ids[i]);
            sqlite3_bind_int64(claim, 1, seqs[i]);
            sqlite3_bind_int64(claim, 2, now);
            sqlite3_bind_text(claim, 3, ids[i], -1, SQLITE_STATIC);
            step(db, claim);
            sqlite3_bind_text(call, 1, ids[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64(call, 2, seqs[i]);
            sqlite3_bind_text(call, 3, phones[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64(call, 4, now);
            step(db, call);
        }
        sqlite3_bind_int(c_claim, 1, k);
        step(db, c_claim);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (int i = 0; i < k; i++) {
            sqlite3_bind_text(end_call, 1, ids[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64(end_call, 2, now);
            step(db, end_call);
            sqlite3_bind_int64(end_rcp, 1, seqs[i]);
            sqlite3_bind_int64(end_rcp, 2, now);
            step(db, end_rcp);
        }
        sqlite3_bind_int(c_end, 1, k);
        step(db, c_end);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        done += k;
        if (k == 0)
            break;
    }
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    printf("{\"bench\": \"dispatch_floor\", \"recipients\": %ld, \"seconds\": %.3f, "
           "\"dispositions_per_second\": %.0f}\n",
           done, secs, (double)done / secs);
    free(seqs);
    free(ids);
    sqlite3_close(db);
    return 0;
}
