/* pg_providers.c - named provider rows of the PostgreSQL backend. Settings
 * are kept as one JSON object, secrets included (the database is as secret
 * as the providers' credentials: see docs/operators.md). */
#include "store/pg_internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_LIST[] =
    "SELECT name, type, settings, created_at, updated_at FROM providers ORDER BY name";
static const char SQL_PUT[] =
    "INSERT INTO providers(name, type, settings, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(name) DO UPDATE SET type = excluded.type, "
    "settings = excluded.settings, updated_at = excluded.updated_at";
static const char SQL_DELETE[] = "DELETE FROM providers WHERE name = ?1";

static void read_provider(struct pg_stmt *s, void *item) {
    struct provider_def *d = item;
    snprintf(d->name, sizeof d->name, "%s", (const char *)pg_col_raw(s, 0));
    snprintf(d->type, sizeof d->type, "%s", (const char *)pg_col_raw(s, 1));
    d->settings = json_loads((const char *)pg_col_raw(s, 2), 0, NULL);
    if (!d->settings)
        d->settings = json_object();
    d->created_at = pg_col_int64(s, 3);
    d->updated_at = pg_col_int64(s, 4);
}

static void clear_provider(void *item) {
    provider_def_clear(item);
}

int pg_provider_list(struct store *st, struct provider_def **out, size_t *n) {
    struct pg_conn *conn = pg_conn_get(st);
    if (!conn)
        return PG_NO_CONN;
    return pg_read_all(conn, pg_prep(conn, SQL_LIST), sizeof **out, read_provider, clear_provider,
                       (void **)out, n, "provider_list");
}

int pg_provider_put(struct store *st, const struct provider_def *d, int64_t now) {
    struct pg_conn *conn;
    int rc = pg_unit_open(st, &conn);
    if (rc)
        return rc;
    char *text = json_dumps(d->settings, JSON_COMPACT);
    struct pg_stmt *s = pg_prep(conn, SQL_PUT);
    pg_bind_text(s, 1, d->name);
    pg_bind_text(s, 2, d->type);
    pg_bind_text(s, 3, text ? text : "{}");
    pg_bind_int64(s, 4, now);
    rc = pg_err(conn, pg_step(s), "provider_put");
    pg_reset(s);
    free(text);
    return pg_unit_end(conn, rc);
}

int pg_provider_delete(struct store *st, const char *name) {
    return pg_delete_by_key(st, SQL_DELETE, name, NULL, NULL, "provider_delete");
}
