/* upload_floor.c - the floor for the upload benchmark: inserts N recipient
 * rows (same schema, same columns, same kind of ids and params as the API
 * writes) straight into SQLite with one prepared statement in as few
 * transactions as possible (one), and prints rows/second as JSON.
 *
 *   build-release/upload_floor DBPATH [N]
 *
 * The schema comes from campaignd's own migrations (store_open), so the
 * floor pays for the same indexes the server does. */
#include "store/store.h"
#include "util/clock.h"
#include "util/ids.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                 "'draft', '{}', 0, 0)",
                 NULL, NULL, NULL);
    sqlite3_stmt *ins, *lane, *count;
    sqlite3_prepare_v2(db,
                       "INSERT INTO recipients(id, campaign_seq, phone_number, params, carrier, "
                       "lane, region, created_at, updated_at) VALUES (?1, 1, ?2, ?3, "
                       "'default-voice', 'default-voice', 'US', ?4, ?4) "
                       "ON CONFLICT(campaign_seq, phone_number) DO NOTHING",
                       -1, &ins, NULL);
    sqlite3_prepare_v2(db,
                       "INSERT INTO campaign_lanes(campaign_seq, lane) VALUES (1, "
                       "'default-voice') ON CONFLICT DO NOTHING",
                       -1, &lane, NULL);
    sqlite3_prepare_v2(
        db, "UPDATE campaigns SET total = total + ?1, queued = queued + ?1 WHERE seq = 1", -1,
        &count, NULL);
    uint64_t t0 = clock_mono_ns();
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (long i = 0; i < n; i++) {
        char id[IDS_MAX_LEN], phone[32], params[96];
        ids_new("rcp_", id);
        snprintf(phone, sizeof phone, "+1415%07ld", 2000000 + i);
        snprintf(params, sizeof params, "{\"name\":\"Person %ld\",\"plan\":\"gold\",\"n\":%ld}", i,
                 i);
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, phone, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, params, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 4, clock_now_ms());
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "insert failed: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        sqlite3_reset(ins);
    }
    sqlite3_step(lane);
    sqlite3_bind_int64(count, 1, n);
    sqlite3_step(count);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    sqlite3_finalize(ins);
    sqlite3_finalize(lane);
    sqlite3_finalize(count);
    sqlite3_close(db);
    printf("{\"bench\": \"upload_floor\", \"rows\": %ld, \"seconds\": %.3f, "
           "\"rows_per_second\": %.0f}\n",
           n, secs, (double)n / secs);
    return 0;
}
