/* export_floor.c - the floor for the export benchmark: reads one
 * campaign's recipients straight from SQLite in one statement (upload
 * order, the export's columns) and renders each row with the export's own
 * CSV code (domain/recipient_csv.c) into a buffer emptied to /dev/null
 * every 64 KiB; prints rows/second as JSON. What it leaves out is what the
 * API adds: HTTP, chunked framing, keyset pages and the campaign checks.
 *
 *   build-release/export_floor DBPATH CAMPAIGN_ID */
#include "domain/recipient_csv.h"
#include "util/clock.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *text(sqlite3_stmt *s, int i) {
    return (char *)sqlite3_column_text(s, i);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DBPATH CAMPAIGN_ID\n", argv[0]);
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 1;
    }
    FILE *sink = fopen("/dev/null", "w");
    sqlite3_stmt *s;
    sqlite3_prepare_v2(db,
                       "SELECT r.id, r.phone_number, r.status, r.disposition, r.attempts, "
                       "r.last_attempt_at, r.last_call_id, r.last_message_id, r.params "
                       "FROM recipients r JOIN campaigns c ON c.seq = r.campaign_seq "
                       "WHERE c.id = ?1 ORDER BY r.seq",
                       -1, &s, NULL);
    sqlite3_bind_text(s, 1, argv[2], -1, SQLITE_STATIC);
    struct buf out;
    buf_init(&out, 1 << 30);
    uint64_t t0 = clock_mono_ns();
    recipient_csv_header(&out);
    long rows = 0;
    size_t bytes = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        struct recipient r;
        memset(&r, 0, sizeof r);
        snprintf(r.id, sizeof r.id, "%s", text(s, 0));
        r.phone_number = text(s, 1);
        recipient_status_parse(text(s, 2), &r.status);
        if (text(s, 3))
            disposition_parse(text(s, 3), &r.disposition);
        r.attempts = sqlite3_column_int(s, 4);
        r.last_attempt_at = sqlite3_column_int64(s, 5);
        r.last_call_id = text(s, 6);
        r.last_message_id = text(s, 7);
        r.params_json = text(s, 8);
        recipient_csv_row(&out, &r);
        rows++;
        if (out.len >= 65536) {
            fwrite(out.data, 1, out.len, sink);
            bytes += out.len;
            buf_reset(&out);
        }
    }
    fwrite(out.data, 1, out.len, sink);
    bytes += out.len;
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    printf("{\"rows\": %ld, \"bytes\": %zu, \"seconds\": %.3f, \"rows_per_second\": %.0f}\n", rows,
           bytes, secs, rows / secs);
    buf_free(&out);
    sqlite3_finalize(s);
    sqlite3_close(db);
    fclose(sink);
    return 0;
}
