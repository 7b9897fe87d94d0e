/* upload_raw.c - the RAW floor of the upload benchmark (issue 19): what
 * SQLite allows when an upload does only the minimum correct work, on a
 * minimal schema of its own (bench/raw_schema.h), not campaignd's. Inserts N
 * recipients of one campaign (the same phone numbers and params JSON as
 * bench/upload.py sends) with one prepared statement, one transaction per
 * 10,000 rows (one API request), and the campaign's counters updated once
 * per transaction. Prints rows/second as JSON.
 *
 *   build-release/upload_raw DBPATH [N]
 *
 * The schema and why each part is there:
 * - recipients(seq INTEGER PRIMARY KEY): the row's key is SQLite's rowid,
 *   assigned in upload order, so inserts append to the table's B-tree. A
 *   public opaque id can be derived from it (no second unique id index).
 * - campaign, phone, params, lane, status, attempts, due_at: what an
 *   upload must store (the number, its template params, which carrier lane
 *   it dials on, where it stands, how often it was tried, when it is due).
 *   Status and lane are small integers.
 * - UNIQUE (campaign, phone): dedup of a number within a campaign; any
 *   correct design needs it (it answers "already in this campaign").
 * - recipients_due (lane, campaign, due_at) WHERE status = 0: the engine's
 *   claim finds the due recipients of a lane without scanning; partial, so
 *   rows that left the queue leave the index.
 * - campaigns(total, queued): the counters an upload must move, in the
 *   same transaction as the rows (total = queued + ... holds at commit). */
#include "raw_schema.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PER_TX 10000

static void must(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "upload_raw: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DBPATH [N]\n", argv[0]);
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    sqlite3 *db;
    must(db, sqlite3_open(argv[1], &db), "open");
    must(db, sqlite3_exec(db, raw_schema, NULL, NULL, NULL), "schema");
    sqlite3_stmt *ins, *count;
    must(db,
         sqlite3_prepare_v2(db,
                            "INSERT INTO recipients(campaign, phone, params, lane, created_at) "
                            "VALUES (1, ?1, ?2, 1, ?3) ON CONFLICT(campaign, phone) DO NOTHING",
                            -1, &ins, NULL),
         "prepare");
    must(db,
         sqlite3_prepare_v2(db,
                            "UPDATE campaigns SET total = total + ?1, queued = queued + ?1 "
                            "WHERE seq = 1",
                            -1, &count, NULL),
         "prepare");
    uint64_t t0 = raw_mono_ns();
    long i = 0;
    while (i < n) {
        must(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
        long added = 0;
        int64_t now = (int64_t)time(NULL) * 1000;
        for (long end = i + PER_TX < n ? i + PER_TX : n; i < end; i++) {
            char phone[32], params[96];
            int pl = snprintf(phone, sizeof phone, "+1415%07ld", 2000000 + i);
            int ql = snprintf(params, sizeof params,
                              "{\"name\":\"Person %ld\",\"plan\":\"gold\",\"n\":%ld}", i, i);
            sqlite3_bind_text(ins, 1, phone, pl, SQLITE_STATIC);
            sqlite3_bind_text(ins, 2, params, ql, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 3, now);
            must(db, sqlite3_step(ins), "insert");
            added += sqlite3_changes(db);
            sqlite3_reset(ins);
        }
        sqlite3_bind_int64(count, 1, added);
        must(db, sqlite3_step(count), "counters");
        sqlite3_reset(count);
        must(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
    }
    double secs = (double)(raw_mono_ns() - t0) / 1e9;
    sqlite3_finalize(ins);
    sqlite3_finalize(count);
    sqlite3_close(db);
    printf("{\"bench\": \"upload_raw\", \"rows\": %ld, \"seconds\": %.3f, "
           "\"rows_per_second\": %.0f}\n",
           n, secs, (double)n / secs);
    return 0;
}
