/* pg_sim.c - the simulated provider's durable state in the main store,
 * under each sim provider's name: sim_reports, the reports it still owes
 * (written when it accepts an attempt, deleted when the engine acks them).
 * An attempt it holds is one with a report still owed: the engine stores
 * an attempt's accepted fate before it acks any of its reports, so an
 * attempt whose reports are all acked is never asked about nor submitted
 * again, and a second submit of an id it holds starts nothing. Keeping the
 * table here, not in a file of its own, lets any node of a cluster deliver
 * the reports. */
#include "store/pg_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_OWE[] =
    "INSERT INTO sim_reports(provider, call_id, kind, channel, answered_at, at, provider_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
static const char SQL_OWED[] = "SELECT call_id, kind, channel, answered_at, at, provider_id "
                               "FROM sim_reports WHERE provider = ?1 ORDER BY call_id, kind";
static const char SQL_ACK[] =
    "DELETE FROM sim_reports WHERE provider = ?1 AND call_id = ?2 AND kind = ?3";
/* the positions in the JSON array ?2 of the ids with a report owed */
static const char SQL_HELD[] =
    "SELECT j.ord - 1 FROM jsonb_array_elements_text(?2::jsonb) WITH ORDINALITY AS j(value, ord) "
    "WHERE EXISTS "
    "(SELECT 1 FROM sim_reports WHERE provider = ?1 AND call_id = j.value OFFSET 0)";

/* One key per report of an attempt: a call's end, or a message status. */
static int report_kind(const struct attempt_end *o) {
    return o->channel == CHANNEL_VOICE ? (int)o->status : 100 + (int)o->mstatus;
}

/* held[i] = 1 when ids[i] has a report owed: one query for them all. */
static int held_all(struct pg_conn *conn, const char *provider, const char *const *ids, size_t n,
                    int *held) {
    for (size_t i = 0; i < n; i++)
        held[i] = 0;
    /* the sim holds only ids the engine made (plain): another is not held */
    char *text = store_json_ids(ids, n, NULL);
    struct pg_stmt *s = pg_prep(conn, SQL_HELD);
    pg_bind_text(s, 1, provider);
    pg_bind_text(s, 2, text);
    int step;
    while ((step = pg_step(s)) == PG_ROW) {
        int64_t at = pg_col_int64(s, 0);
        if (at >= 0 && (size_t)at < n)
            held[at] = 1;
    }
    pg_reset(s);
    free(text);
    return step == PG_DONE ? STORE_OK : pg_err(conn, step, "sim_held");
}

struct accept_args {
    const char *provider;
    const char *const *ids;
    size_t n;
    const struct attempt_end *reports;
    size_t nreports;
    int *fresh;
};

static int accept_unit(struct pg_conn *conn, void *arg) {
    const struct accept_args *a = arg;
    const char *provider = a->provider;
    int rc = held_all(conn, provider, a->ids, a->n, a->fresh);
    size_t k = 0; /* reports come grouped in the order of ids */
    for (size_t i = 0; i < a->n && rc == STORE_OK; i++) {
        a->fresh[i] = !a->fresh[i];
        for (; k < a->nreports && rc == STORE_OK && strcmp(a->reports[k].call_id, a->ids[i]) == 0;
             k++) {
            const struct attempt_end *o = &a->reports[k];
            if (!a->fresh[i])
                continue; /* known: its reports are owed already */
            struct pg_stmt *s = pg_prep(conn, SQL_OWE);
            pg_bind_text(s, 1, provider);
            pg_bind_text(s, 2, o->call_id);
            pg_bind_int64(s, 3, report_kind(o));
            pg_bind_int64(s, 4, (int)o->channel);
            pg_bind_int64(s, 5, o->answered_at);
            pg_bind_int64(s, 6, o->ended_at);
            pg_bind_text(s, 7, o->provider_call_id);
            rc = pg_err(conn, pg_step(s), "sim_owe");
            pg_reset(s);
        }
    }
    return rc;
}

int pg_sim_accept(struct store *st, const char *provider, const char *const *ids, size_t n,
                  const struct attempt_end *reports, size_t nreports, int *fresh) {
    struct accept_args a = {provider, ids, n, reports, nreports, fresh};
    return pg_unit_batched(st, accept_unit, &a);
}

static void read_owed(struct pg_stmt *s, void *item) {
    struct attempt_end *o = item;
    snprintf(o->call_id, sizeof o->call_id, "%s", (const char *)pg_col_raw(s, 0));
    int kind = pg_col_int(s, 1);
    o->channel = (enum channel)pg_col_int(s, 2);
    if (kind >= 100)
        o->mstatus = (enum message_status)(kind - 100);
    else
        o->status = (enum call_status)kind;
    o->answered_at = pg_col_int64(s, 3);
    o->ended_at = pg_col_int64(s, 4);
    snprintf(o->provider_call_id, sizeof o->provider_call_id, "%s", (const char *)pg_col_raw(s, 5));
}

int pg_sim_owed(struct store *st, const char *provider, struct attempt_end **out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_OWED);
    pg_bind_text(s, 1, provider);
    return pg_read_all(conn, s, sizeof **out, read_owed, NULL, (void **)out, n, "sim_owed");
}

struct ack_args {
    const char *provider;
    const struct attempt_end *ends;
    size_t n;
};

static int ack_unit(struct pg_conn *conn, void *arg) {
    const struct ack_args *a = arg;
    int rc = STORE_OK;
    for (size_t i = 0; i < a->n && rc == STORE_OK; i++) {
        struct pg_stmt *s = pg_prep(conn, SQL_ACK);
        pg_bind_text(s, 1, a->provider);
        pg_bind_text(s, 2, a->ends[i].call_id);
        pg_bind_int64(s, 3, report_kind(&a->ends[i]));
        rc = pg_err(conn, pg_step(s), "sim_ack");
        pg_reset(s);
    }
    return rc;
}

int pg_sim_ack(struct store *st, const char *provider, const struct attempt_end *ends, size_t n) {
    struct ack_args a = {provider, ends, n};
    return pg_unit_batched(st, ack_unit, &a);
}

int pg_sim_held(struct store *st, const char *provider, const char *const *ids, size_t n,
                int *held) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    return held_all(conn, provider, ids, n, held);
}
