/* dispatch_raw_pg.c - the RAW floor of dispatch on PostgreSQL (issue 14):
 * what one client of a PostgreSQL database allows when dispatching a voice
 * campaign does only the minimum correct work per disposition, on the
 * minimal schema of bench/dispatch_raw.c in PostgreSQL's types
 * (raw_schema_pg in bench/raw_schema.h), not campaignd's. Per batch of up
 * to 2,000 due recipients (the engine's claim size), two transactions as
 * the engine has:
 * - the claim: one statement takes the due rows with FOR UPDATE SKIP
 *   LOCKED (what lets several claimers share a queue), moves each
 *   recipient queued -> dispatched and inserts its call row, returning the
 *   calls' keys; then the campaign's counters move once by the count;
 * - the end: one statement ends the calls by key (as reports name them)
 *   and moves their recipients dispatched -> succeeded, guarded; then the
 *   counters move once by the count it moved.
 * Set-based statements (the batch's keys as one array parameter), prepared
 * once, one connection, so a batch costs a handful of round trips, not one
 * per row. Prints dispositions/second as JSON, after checking the counters
 * and calls add up (exit 1 otherwise).
 *
 *   build-release/dispatch_raw_pg POSTGRES_URL [N]
 *
 * The database must not have the tables yet (bench/cluster.py gives it a
 * fresh one); nothing is dropped. The N recipients are inserted first,
 * untimed, in one statement, then analyzed. */
#include "raw_schema.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 2000

static PGconn *conn;

/* Exits with the server's message unless RES has status WANT; returns RES. */
static PGresult *check(PGresult *res, ExecStatusType want, const char *what) {
    if (PQresultStatus(res) != want) {
        fprintf(stderr, "dispatch_raw_pg: %s: %s", what, PQerrorMessage(conn));
        exit(1);
    }
    return res;
}

static void exec(const char *sql) {
    PQclear(check(PQexec(conn, sql), PGRES_COMMAND_OK, sql));
}

static void prep(const char *name, const char *sql) {
    PQclear(check(PQprepare(conn, name, sql, 0, NULL), PGRES_COMMAND_OK, name));
}

static PGresult *run(const char *name, int n, const char *const *params, ExecStatusType want) {
    return check(PQexecPrepared(conn, name, n, params, NULL, NULL, 0), want, name);
}

static long query_long(const char *sql) {
    PGresult *r = check(PQexec(conn, sql), PGRES_TUPLES_OK, sql);
    long v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

static void seed(long n) {
    char sql[512];
    exec("BEGIN");
    snprintf(sql, sizeof sql,
             "INSERT INTO recipients(campaign, phone, lane, created_at) "
             "SELECT 1, '+1415' || lpad((2000000 + i)::text, 7, '0'), 1, 0 "
             "FROM generate_series(0, %ld) i",
             n - 1);
    exec(sql);
    snprintf(sql, sizeof sql, "UPDATE campaigns SET total = %ld, queued = %ld", n, n);
    exec(sql);
    exec("COMMIT");
    exec("ANALYZE");
}

static void prepare_all(void) {
    prep("claim", "WITH due AS (SELECT seq FROM recipients WHERE lane = 1 AND campaign = 1 "
                  "AND status = 0 AND due_at <= $1::bigint ORDER BY due_at LIMIT $2::bigint "
                  "FOR UPDATE SKIP LOCKED), "
                  "moved AS (UPDATE recipients r SET status = 1, attempts = r.attempts + 1 "
                  "FROM due WHERE r.seq = due.seq AND r.status = 0 RETURNING r.seq, r.phone) "
                  "INSERT INTO calls(campaign, recipient, to_number, attempt, status, created_at) "
                  "SELECT 1, seq, phone, 1, 0, $1::bigint FROM moved RETURNING seq");
    prep("c_claim", "UPDATE campaigns SET queued = queued - $1::bigint, "
                    "dispatched = dispatched + $1::bigint WHERE seq = 1");
    prep("end", "WITH ended AS (UPDATE calls SET status = 1, ended_at = $2::bigint, "
                "duration_ms = 0 WHERE seq = ANY($1::bigint[]) AND ended_at IS NULL "
                "RETURNING recipient) "
                "UPDATE recipients r SET status = 2 FROM ended "
                "WHERE r.seq = ended.recipient AND r.status = 1");
    prep("c_end", "UPDATE campaigns SET dispatched = dispatched - $1::bigint, "
                  "succeeded = succeeded + $1::bigint WHERE seq = 1");
}

/* The claim transaction: the calls' keys of the claimed batch as a
 * PostgreSQL array literal in KEYS; returns how many were claimed. */
static int claim(const char *now, char *keys, size_t cap) {
    static const char batch[] = "2000";
    const char *p[2] = {now, batch};
    exec("BEGIN");
    PGresult *r = run("claim", 2, p, PGRES_TUPLES_OK);
    int k = PQntuples(r);
    size_t len = 0;
    keys[len++] = '{';
    for (int i = 0; i < k; i++)
        len += (size_t)snprintf(keys + len, cap - len, "%s%s", i ? "," : "", PQgetvalue(r, i, 0));
    snprintf(keys + len, cap - len, "}");
    PQclear(r);
    char count[24];
    snprintf(count, sizeof count, "%d", k);
    const char *c[1] = {count};
    PQclear(run("c_claim", 1, c, PGRES_COMMAND_OK));
    exec("COMMIT");
    return k;
}

/* The end transaction for the calls in KEYS; returns how many recipients
 * it moved to succeeded. */
static long end(const char *keys, const char *now) {
    const char *p[2] = {keys, now};
    exec("BEGIN");
    PGresult *r = run("end", 2, p, PGRES_COMMAND_OK);
    long moved = strtol(PQcmdTuples(r), NULL, 10);
    const char *c[1] = {PQcmdTuples(r)};
    PQclear(run("c_end", 1, c, PGRES_COMMAND_OK));
    PQclear(r);
    exec("COMMIT");
    return moved;
}

/* Exits 1 unless every recipient ended once and the counters add up. */
static void verify(long n, long done) {
    long succeeded = query_long("SELECT succeeded FROM campaigns WHERE seq = 1");
    long others = query_long("SELECT queued + dispatched + failed FROM campaigns WHERE seq = 1");
    long total = query_long("SELECT total FROM campaigns WHERE seq = 1");
    long calls = query_long("SELECT count(*) FROM calls WHERE ended_at IS NOT NULL");
    if (done != n || succeeded != n || others != 0 || total != n || calls != n) {
        fprintf(stderr,
                "dispatch_raw_pg: wrong result: %ld recipients, %ld done, %ld succeeded, "
                "%ld other, total %ld, %ld ended calls\n",
                n, done, succeeded, others, total, calls);
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s POSTGRES_URL [N]\n", argv[0]);
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    if (n < 1) {
        fprintf(stderr, "dispatch_raw_pg: N must be at least 1\n");
        return 2;
    }
    conn = PQconnectdb(argv[1]);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "dispatch_raw_pg: connect: %s", PQerrorMessage(conn));
        return 1;
    }
    exec("SET client_min_messages = warning");
    PQclear(check(PQexec(conn, raw_schema_pg), PGRES_COMMAND_OK, "create the raw schema"));
    seed(n);
    prepare_all();

    static char keys[BATCH * 24 + 4];
    uint64_t t0 = raw_mono_ns();
    long done = 0;
    for (;;) {
        char now[24];
        snprintf(now, sizeof now, "%lld", (long long)time(NULL) * 1000);
        if (claim(now, keys, sizeof keys) == 0)
            break;
        done += end(keys, now);
    }
    double secs = (double)(raw_mono_ns() - t0) / 1e9;
    verify(n, done);
    PQfinish(conn);
    printf("{\"bench\": \"dispatch_raw_pg\", \"recipients\": %ld, \"seconds\": %.3f, "
           "\"dispositions_per_second\": %.0f}\n",
           done, secs, (double)done / secs);
    return 0;
}
