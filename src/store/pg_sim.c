/* pg_sim.c - the simulated provider's durable state in the main store,
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
#include "store/pg_internal.h"

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

static int put_unit(struct pg_conn *conn, void *arg) {
    const struct put_args *a = arg;
    int rc = STORE_OK;
    for (size_t i = 0; i < a->nforget && rc == STORE_OK; i++) {
        struct pg_stmt *s = pg_prep(conn, SQL_FORGET);
        pg_bind_text(s, 1, a->provider);
        pg_bind_int64(s, 2, a->forget[i]);
        rc = pg_err(conn, pg_step(s), "sim_forget");
        pg_reset(s);
    }
    if (rc != STORE_OK || !a->reports)
        return rc;
    struct pg_stmt *s = pg_prep(conn, SQL_PUT);
    pg_bind_text(s, 1, a->provider);
    pg_bind_text(s, 2, a->reports);
    int step = pg_step(s);
    if (step == PG_ROW) {
        *a->seq = pg_col_int64(s, 0);
        step = pg_step(s);
    }
    rc = pg_err(conn, step, "sim_put");
    pg_reset(s);
    return rc;
}

int pg_sim_put(struct store *st, const char *provider, const char *reports, const int64_t *forget,
               size_t nforget, int64_t *seq) {
    struct put_args a = {provider, reports, forget, nforget, seq};
    return pg_unit_batched(st, put_unit, &a);
}

static void read_batch(struct pg_stmt *s, void *item) {
    struct sim_batch *b = item;
    b->seq = pg_col_int64(s, 0);
    b->reports = pg_col_text(s, 1);
}

static void clear_batch(void *item) {
    free(((struct sim_batch *)item)->reports);
}

int pg_sim_batches(struct store *st, const char *provider, struct sim_batch **out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_BATCHES);
    pg_bind_text(s, 1, provider);
    return pg_read_all(conn, s, sizeof **out, read_batch, clear_batch, (void **)out, n,
                       "sim_batches");
}
