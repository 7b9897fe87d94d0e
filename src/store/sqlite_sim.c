/* sqlite_sim.c - the simulated provider's durable state in the main store,
 * under each sim provider's name: sim_batches, one row per batch of
 * attempts it accepted, holding the reports it still owes on them as text
 * (providers/sim_ledger.c writes and reads it; the store never looks
 * inside). A batch is written before the sim answers the batch's fates and
 * deleted once the engine stored every report of it (the sim counts the
 * acks); deletions ride with the next batch's insert. One row per batch,
 * not per report: 2,000 index entries inserted and deleted again per
 * dispatch batch cost 12-15 % of the bench's dispatch (docs/benchmarks.md).
 * Keeping the table here, not in a file of its own, lets any node of a
 * cluster deliver the reports. */
#include "store/sqlite_internal.h"

#include <stdlib.h>

static const char SQL_FORGET[] = "DELETE FROM sim_batches WHERE seq = ?2 AND provider = ?1";
static const char SQL_PUT[] =
    "INSERT INTO sim_batches(provider, reports) VALUES (?1, ?2) RETURNING seq";
static const char SQL_BATCHES[] =
    "SELECT seq, reports FROM sim_batches WHERE provider = ?1 ORDER BY seq";

struct put_args {
    const char *provider;
    const char *reports;
    const int64_t *forget;
    size_t nforget;
    int64_t *seq;
};

static int put_unit(struct sqlite_conn *conn, void *arg) {
    const struct put_args *a = arg;
    int rc = STORE_OK;
    for (size_t i = 0; i < a->nforget && rc == STORE_OK; i++) {
        sqlite3_stmt *s = sqlite_prep(conn, SQL_FORGET);
        sqlite3_bind_text(s, 1, a->provider, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, a->forget[i]);
        rc = sqlite_err(conn, sqlite3_step(s), "sim_forget");
        sqlite3_reset(s);
    }
    if (rc != STORE_OK || !a->reports)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_PUT);
    sqlite3_bind_text(s, 1, a->provider, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a->reports, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *a->seq = sqlite3_column_int64(s, 0);
        step = sqlite3_step(s);
    }
    rc = sqlite_err(conn, step, "sim_put");
    sqlite3_reset(s);
    return rc;
}

int sqlite_sim_put(struct store *st, const char *provider, const char *reports,
                   const int64_t *forget, size_t nforget, int64_t *seq) {
    struct put_args a = {provider, reports, forget, nforget, seq};
    return sqlite_unit_batched(st, put_unit, &a);
}

static void read_batch(sqlite3_stmt *s, void *item) {
    struct sim_batch *b = item;
    b->seq = sqlite3_column_int64(s, 0);
    b->reports = sqlite_col_text(s, 1);
}

static void clear_batch(void *item) {
    free(((struct sim_batch *)item)->reports);
}

int sqlite_sim_batches(struct store *st, const char *provider, struct sim_batch **out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(conn, SQL_BATCHES);
    sqlite3_bind_text(s, 1, provider, -1, SQLITE_TRANSIENT);
    return sqlite_read_all(conn, s, sizeof **out, read_batch, clear_batch, (void **)out, n,
                           "sim_batches");
}
