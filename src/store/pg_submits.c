/* pg_submits.c - where each attempt stands toward its provider
 * (calls.submit_state, messages.submit_state: pending, submitting,
 * accepted, rejected; forward only), the provider's id of accepted ones,
 * and finding an attempt by its id or by (provider, provider id). The
 * attempts in flight, with their state, are read by pg_sweeps.c
 * (in_flight, under leases). */
#include "store/pg_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_MARK_CALL[] =
    "UPDATE calls SET submit_state = ?2, provider_call_id = coalesce(?3, provider_call_id) "
    "WHERE id = ?1 AND submit_state < ?2";
static const char SQL_MARK_MSG[] =
    "UPDATE messages SET submit_state = ?2, "
    "provider_message_id = coalesce(?3, provider_message_id) WHERE id = ?1 AND submit_state < ?2";
static const char SQL_BY_PROVIDER_CALL[] =
    "SELECT id FROM calls WHERE provider = ?1 AND provider_call_id = ?2";
static const char SQL_BY_PROVIDER_MSG[] =
    "SELECT id, channel FROM messages WHERE provider = ?1 AND provider_message_id = ?2";

int pg_submits_mark(struct store *st, const struct submit_mark *m, size_t n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    int rc = pg_unit_begin(conn);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        struct pg_stmt *s =
            pg_prep(conn, m[i].channel == CHANNEL_VOICE ? SQL_MARK_CALL : SQL_MARK_MSG);
        pg_bind_text(s, 1, m[i].attempt_id);
        pg_bind_int64(s, 2, m[i].state);
        pg_bind_text_or_null(s, 3, m[i].provider_id[0] ? m[i].provider_id : NULL);
        rc = pg_err(conn, pg_step(s), "submits_mark");
        pg_reset(s);
    }
    return pg_unit_end(conn, rc);
}

static const char SQL_PROVIDER_OF[] = "SELECT provider, 'voice' FROM calls WHERE id = ?1 UNION ALL "
                                      "SELECT provider, channel FROM messages WHERE id = ?1";

int pg_attempt_provider(struct store *st, const char *attempt_id, char provider[65],
                        enum channel *ch) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_PROVIDER_OF);
    pg_bind_text(s, 1, attempt_id);
    int step = pg_step(s);
    if (step == PG_ROW) {
        snprintf(provider, 65, "%s", (const char *)pg_col_raw(s, 0));
        channel_parse((const char *)pg_col_raw(s, 1), ch);
    }
    pg_reset(s);
    if (step == PG_ROW)
        return STORE_OK;
    return step == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, step, "attempt_provider");
}

int pg_attempt_by_provider_id(struct store *st, const char *provider, const char *provider_id,
                              char attempt_id[48], enum channel *ch) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    struct pg_stmt *s = pg_prep(conn, SQL_BY_PROVIDER_CALL);
    pg_bind_text(s, 1, provider);
    pg_bind_text(s, 2, provider_id);
    int step = pg_step(s);
    if (step == PG_ROW) {
        snprintf(attempt_id, 48, "%s", (const char *)pg_col_raw(s, 0));
        *ch = CHANNEL_VOICE;
    }
    pg_reset(s);
    if (step == PG_ROW)
        return STORE_OK;
    if (step != PG_DONE)
        return pg_err(conn, step, "attempt_by_provider_id");
    s = pg_prep(conn, SQL_BY_PROVIDER_MSG);
    pg_bind_text(s, 1, provider);
    pg_bind_text(s, 2, provider_id);
    step = pg_step(s);
    if (step == PG_ROW) {
        snprintf(attempt_id, 48, "%s", (const char *)pg_col_raw(s, 0));
        channel_parse((const char *)pg_col_raw(s, 1), ch);
    }
    pg_reset(s);
    if (step == PG_ROW)
        return STORE_OK;
    return step == PG_DONE ? STORE_ENOTFOUND : pg_err(conn, step, "attempt_by_provider_id");
}
