/* sqlite_providers.c - named provider rows of the SQLite backend. Settings
 * are kept as one JSON object, secrets included (the database is as secret
 * as the providers' credentials: see docs/operators.md). */
#include "store/sqlite_internal.h"
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

static void read_provider(sqlite3_stmt *s, void *item) {
    struct provider_def *d = item;
    snprintf(d->name, sizeof d->name, "%s", (const char *)sqlite3_column_text(s, 0));
    snprintf(d->type, sizeof d->type, "%s", (const char *)sqlite3_column_text(s, 1));
    d->settings = json_loads((const char *)sqlite3_column_text(s, 2), 0, NULL);
    if (!d->settings)
        d->settings = json_object();
    d->created_at = sqlite3_column_int64(s, 3);
    d->updated_at = sqlite3_column_int64(s, 4);
}

static void clear_provider(void *item) {
    provider_def_clear(item);
}

int sqlite_provider_list(struct store *st, struct provider_def **out, size_t *n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    return sqlite_read_all(conn, sqlite_prep(conn, SQL_LIST), sizeof **out, read_provider,
                           clear_provider, (void **)out, n, "provider_list");
}

int sqlite_provider_put(struct store *st, const struct provider_def *d, int64_t now) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc)
        return rc;
    char *text = json_dumps(d->settings, JSON_COMPACT);
    sqlite3_stmt *s = sqlite_prep(conn, SQL_PUT);
    sqlite3_bind_text(s, 1, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, d->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, text ? text : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    rc = sqlite_err(conn, sqlite3_step(s), "provider_put");
    sqlite3_reset(s);
    free(text);
    return sqlite_unit_end(conn, rc);
}

int sqlite_provider_delete(struct store *st, const char *name) {
    return sqlite_delete_by_key(st, SQL_DELETE, name, NULL, NULL, "provider_delete");
}
