/* sqlite.c - the SQLite backend: connections, transactions, migrations,
 * and the small tables (meta, accounts, keys, idempotency). Campaign
 * operations live in sqlite_campaigns.c.
 *
 * Each thread gets its own connection (pthread key), in WAL mode with a
 * busy timeout and foreign keys on; their commits leave WAL checkpoints to
 * the store's checkpoint thread (sqlite_checkpoint.c), and bump the store's
 * write generation (store_ops.write_generation). Units of work nest: only the outermost
 * begin() issues BEGIN IMMEDIATE (so a writer never has to upgrade a read
 * lock, which WAL could refuse with SQLITE_BUSY_SNAPSHOT), and only the
 * outermost end commits; an inner failure dooms the whole transaction. */
#include "store/sqlite_checkpoint.h"
#include "store/sqlite_internal.h"
#include "store/sqlite_schema.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/ratelimit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000
#define FULL_LOG_EVERY_MS 10000 /* storage-full lines: at most one per window */

/* Shared by every thread: a full disk fails every write, API and engine
 * alike, and must not turn into a line per failure. */
static struct ratelimit full_log = RATELIMIT_INIT;

static void conn_close(struct sqlite_conn *c) {
    for (int i = 0; i < c->ncache; i++)
        sqlite3_finalize(c->cache[i].stmt);
    sqlite3_close(c->db);
    free(c);
}

static void unlink_conn(struct sqlite_store *s, struct sqlite_conn *c) {
    pthread_mutex_lock(&s->mu);
    for (struct sqlite_conn **p = &s->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

/* pthread key destructor: a thread ended, close its connection. (Once the
 * store is closed the key is deleted, so this never runs on a freed store.) */
static void thread_conn_destroy(void *p) {
    struct sqlite_conn *c = p;
    unlink_conn(c->owner, c);
    conn_close(c);
}

static int exec(sqlite3 *db, const char *sql) {
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        log_error("sqlite: %s (in: %.80s)", msg ? msg : sqlite3_errstr(rc), sql);
        sqlite3_free(msg);
    }
    return rc;
}

static void sqlite_memstatus_off(void) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static sqlite3 *open_db(const char *path, long max_pages) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        log_error("sqlite: cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    /* journal_size_limit: a -wal file that grew in a burst (or while the
     * disk was full and checkpoints failed) is cut back to 64 MiB at the
     * next checkpoint, so it does not keep the space for good */
    if (exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                 "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                 "PRAGMA journal_size_limit=67108864;") != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    if (max_pages > 0) {
        /* a size cap: writes past it fail with SQLITE_FULL, as on a full disk */
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA max_page_count=%ld", max_pages);
        if (exec(db, pragma) != SQLITE_OK) {
            sqlite3_close(db);
            return NULL;
        }
    }
    return db;
}

/* SQLite calls this after each commit on one of the store's connections,
 * once the write lock is released: what the commit wrote is visible to
 * every read that starts from now on. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int pages) {
    struct sqlite_store *s = arg;
    if (atomic_load(&s->generation))
        atomic_fetch_add(&s->generation, 1);
    return sqlite_checkpointer_committed(s->ckpt, db, name, pages);
}

static uint64_t op_write_generation(struct store *st) {
    return atomic_load(&((struct sqlite_store *)st)->generation);
}

struct sqlite_conn *sqlite_conn_get(struct store *st) {
    struct sqlite_store *s = (struct sqlite_store *)st;
    struct sqlite_conn *c = pthread_getspecific(s->key);
    if (c)
        return c;
    sqlite3 *db = open_db(s->path, s->max_pages);
    if (!db)
        return NULL;
    sqlite3_wal_hook(db, on_commit, s); /* replaces (turns off) the autocheckpoint */
    c = xcalloc(1, sizeof *c);
    c->db = db;
    c->owner = s;
    pthread_mutex_lock(&s->mu);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->mu);
    pthread_setspecific(s->key, c);
    return c;
}

sqlite3_stmt *sqlite_prep(struct sqlite_conn *c, const char *sql) {
    for (int i = 0; i < c->ncache; i++) {
        if (c->cache[i].sql == sql) {
            sqlite3_reset(c->cache[i].stmt);
            sqlite3_clear_bindings(c->cache[i].stmt);
            return c->cache[i].stmt;
        }
    }
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        log_error("sqlite: prepare failed: %s (in: %.120s)", sqlite3_errmsg(c->db), sql);
        abort(); /* static SQL that does not prepare is a programming error */
    }
    if (c->ncache < SQLITE_STMT_CACHE) {
        c->cache[c->ncache].sql = sql;
        c->cache[c->ncache].stmt = stmt;
        c->ncache++;
    } else {
        log_error("sqlite: statement cache full");
        abort();
    }
    return stmt;
}

int sqlite_err(struct sqlite_conn *c, int rc, const char *what) {
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return STORE_OK;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return STORE_ECONFLICT;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        log_warn("sqlite: %s: busy", what);
        return STORE_EBUSY;
    case SQLITE_FULL:  /* disk full (ENOSPC, a quota) or max_page_count reached */
    case SQLITE_IOERR: /* a read or write, fsync or lock the OS refused */
    {
        long held = 0;
        if (ratelimit_allow(&full_log, clock_now_ms(), FULL_LOG_EVERY_MS, &held))
            log_error("sqlite: %s: %s (storage full or failing; %ld more such errors in the "
                      "last %ds not logged)",
                      what, c ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), held,
                      FULL_LOG_EVERY_MS / 1000);
        return STORE_EFULL;
    }
    }
    log_error("sqlite: %s: %s", what, c ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    return STORE_EIO;
}

int sqlite_unit_begin(struct sqlite_conn *c) {
    if (c->depth++ > 0)
        return STORE_OK;
    c->doomed = 0;
    int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        c->depth = 0;
        return sqlite_err(c, rc, "begin");
    }
    return STORE_OK;
}

int sqlite_unit_batched(struct store *st, int (*body)(struct sqlite_conn *, void *), void *arg) {
    struct sqlite_conn *conn;
    int rc = sqlite_unit_open(st, &conn);
    if (rc == STORE_OK)
        rc = sqlite_unit_end(conn, body(conn, arg));
    return rc;
}

int sqlite_unit_open(struct store *st, struct sqlite_conn **conn) {
    *conn = sqlite_conn_get(st);
    return *conn ? sqlite_unit_begin(*conn) : STORE_EIO;
}

int sqlite_update_texts(struct store *st, const char *sql, const char *what,
                        const char *const *texts, int n) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, sql);
    for (int i = 0; i < n; i++)
        sqlite_bind_text_or_null(s, i + 1, texts[i]);
    rc = sqlite_err(conn, sqlite3_step(s), what);
    sqlite3_reset(s);
    int changed = sqlite3_changes(conn->db);
    rc = sqlite_unit_end(conn, rc);
    return rc == STORE_OK && changed == 0 ? STORE_ENOTFOUND : rc;
}

int sqlite_unit_end(struct sqlite_conn *c, int result) {
    if (c->depth <= 0)
        return result;
    if (result != STORE_OK)
        c->doomed = 1;
    if (--c->depth > 0)
        return result;
    if (c->doomed) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return result != STORE_OK ? result : STORE_EIO;
    }
    int rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int err = sqlite_err(c, rc, "commit");
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return err;
    }
    return STORE_OK;
}

int sqlite_read_page(struct sqlite_conn *c, sqlite3_stmt *s, size_t limit, size_t item_size,
                     sqlite_row_reader read, sqlite_item_clear clear, void **items, size_t *count,
                     int *more, const char *what) {
    char *list = xcalloc(limit + 1, item_size);
    size_t n = 0;
    int rc;
    *more = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        read(s, list + n++ * item_size);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        for (size_t i = 0; clear && i < n; i++)
            clear(list + i * item_size);
        free(list);
        *items = NULL;
        *count = 0;
        return sqlite_err(c, rc, what);
    }
    *items = list;
    *count = n;
    return STORE_OK;
}

int sqlite_read_all(struct sqlite_conn *c, sqlite3_stmt *s, size_t item_size,
                    sqlite_row_reader read, sqlite_item_clear clear, void **items, size_t *count,
                    const char *what) {
    size_t cap = 16, n = 0;
    char *list = xcalloc(cap, item_size);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            list = xrealloc(list, 2 * cap * item_size);
            memset(list + cap * item_size, 0, cap * item_size);
            cap *= 2;
        }
        read(s, list + n++ * item_size);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; clear && i < n; i++)
            clear(list + i * item_size);
        free(list);
        *items = NULL;
        *count = 0;
        return sqlite_err(c, rc, what);
    }
    *items = list;
    *count = n;
    return STORE_OK;
}

char *sqlite_col_text(sqlite3_stmt *s, int col) {
    if (sqlite3_column_type(s, col) == SQLITE_NULL)
        return NULL;
    const unsigned char *t = sqlite3_column_text(s, col);
    return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(s, col));
}

void sqlite_bind_text_or_null(sqlite3_stmt *s, int idx, const char *v) {
    if (v)
        sqlite3_bind_text(s, idx, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, idx);
}

void sqlite_bind_time(sqlite3_stmt *s, int idx, int64_t v) {
    if (v)
        sqlite3_bind_int64(s, idx, v);
    else
        sqlite3_bind_null(s, idx);
}

/* ---- transactions, as seen by callers of store.h ---- */

int sqlite_delete_by_key(struct store *st, const char *sql, const char *a, const char *b,
                         const char *c, const char *what) {
    struct sqlite_conn *conn = sqlite_conn_get(st);
    if (!conn)
        return STORE_EIO;
    int rc = sqlite_unit_begin(conn);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(conn, sql);
    const char *keys[] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (keys[i])
            sqlite3_bind_text(s, i + 1, keys[i], -1, SQLITE_STATIC);
    rc = sqlite_err(conn, sqlite3_step(s), what);
    sqlite3_reset(s);
    if (rc == STORE_OK && sqlite3_changes(conn->db) == 0)
        rc = STORE_ENOTFOUND;
    /* nothing deleted is still a successful unit: commit, answer ENOTFOUND */
    return sqlite_unit_end(conn, rc == STORE_ENOTFOUND ? STORE_OK : rc) == STORE_OK ? rc
                                                                                    : STORE_EIO;
}

static int op_begin(struct store *st) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    return c ? sqlite_unit_begin(c) : STORE_EIO;
}

static int op_commit(struct store *st) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    return c ? sqlite_unit_end(c, STORE_OK) : STORE_EIO;
}

static void op_rollback(struct store *st) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (c)
        sqlite_unit_end(c, STORE_EIO);
}

static int op_ping(struct store *st) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(c, "SELECT 1");
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? STORE_OK : sqlite_err(c, rc, "ping");
}

/* ---- meta ---- */

static const char SQL_META_GET[] = "SELECT value FROM meta WHERE key = ?1";
static const char SQL_META_PUT[] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                                   "ON CONFLICT(key) DO NOTHING";

static int op_meta_get(struct store *st, const char *key, char **value) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(c, SQL_META_GET);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *value = sqlite_col_text(s, 0);
        sqlite3_reset(s);
        return STORE_OK;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(c, rc, "meta_get");
}

static int op_meta_get_or_put(struct store *st, const char *key, const char *value_if_new,
                              char **value) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    int rc = sqlite_unit_begin(c);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(c, SQL_META_PUT);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value_if_new, -1, SQLITE_STATIC);
    rc = sqlite_err(c, sqlite3_step(s), "meta_put");
    sqlite3_reset(s);
    if (rc == STORE_OK)
        rc = op_meta_get(st, key, value);
    return sqlite_unit_end(c, rc);
}

/* ---- accounts and keys ---- */

static const char SQL_ACCOUNT_INSERT[] =
    "INSERT INTO accounts(id, name, created_at) VALUES (?1, ?2, ?3)";
static const char SQL_ACCOUNT_EXISTS[] = "SELECT 1 FROM accounts WHERE id = ?1";
static const char SQL_KEY_INSERT[] =
    "INSERT INTO api_keys(prefix, account_id, hash, created_at) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_KEY_GET[] =
    "SELECT prefix, account_id, hash, created_at, revoked_at FROM api_keys WHERE prefix = ?1";
static const char SQL_KEY_REVOKE[] =
    "UPDATE api_keys SET revoked_at = ?2 WHERE prefix = ?1 AND revoked_at IS NULL";

static int step_done(struct sqlite_conn *c, sqlite3_stmt *s, const char *what) {
    int rc = sqlite_err(c, sqlite3_step(s), what);
    sqlite3_reset(s);
    return rc;
}

static int op_account_insert(struct store *st, const struct account *a) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    int rc = sqlite_unit_begin(c);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(c, SQL_ACCOUNT_INSERT);
    sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, a->created_at);
    return sqlite_unit_end(c, step_done(c, s, "account_insert"));
}

static int op_account_exists(struct store *st, const char *id) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(c, SQL_ACCOUNT_EXISTS);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(c, rc, "account_exists");
}

static int op_key_insert(struct store *st, const struct api_key *k) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    int rc = sqlite_unit_begin(c);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(c, SQL_KEY_INSERT);
    sqlite3_bind_text(s, 1, k->prefix, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, k->account_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, k->hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, k->created_at);
    return sqlite_unit_end(c, step_done(c, s, "key_insert"));
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *s, int col) {
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static int op_key_get(struct store *st, const char *prefix, struct api_key *out) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(c, SQL_KEY_GET);
    sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        copy_col(out->prefix, sizeof out->prefix, s, 0);
        copy_col(out->account_id, sizeof out->account_id, s, 1);
        copy_col(out->hash, sizeof out->hash, s, 2);
        out->created_at = sqlite3_column_int64(s, 3);
        out->revoked_at = sqlite3_column_int64(s, 4);
        sqlite3_reset(s);
        return STORE_OK;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(c, rc, "key_get");
}

static int op_key_revoke(struct store *st, const char *prefix, int64_t now) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    int rc = sqlite_unit_begin(c);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(c, SQL_KEY_REVOKE);
    sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now);
    rc = step_done(c, s, "key_revoke");
    if (rc == STORE_OK && sqlite3_changes(c->db) == 0)
        rc = STORE_ENOTFOUND;
    return sqlite_unit_end(c, rc);
}

/* ---- idempotency ---- */

static const char SQL_IDEM_GET[] =
    "SELECT fingerprint, status, body, created_at FROM idempotency_keys "
    "WHERE account_id = ?1 AND key = ?2 AND created_at >= ?3";
static const char SQL_IDEM_EXPIRE[] = "DELETE FROM idempotency_keys WHERE rowid IN "
                                      "(SELECT rowid FROM idempotency_keys "
                                      " WHERE created_at < ?1 LIMIT 100)";
static const char SQL_IDEM_PUT[] =
    "INSERT INTO idempotency_keys(account_id, key, fingerprint, status, body, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(account_id, key) DO UPDATE SET "
    "fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body, "
    "created_at = excluded.created_at WHERE idempotency_keys.created_at < ?7";

static int op_idem_get(struct store *st, const char *account_id, const char *key,
                       int64_t not_before, struct idem_record *out) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    sqlite3_stmt *s = sqlite_prep(c, SQL_IDEM_GET);
    sqlite3_bind_text(s, 1, account_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, not_before);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        snprintf(out->account_id, sizeof out->account_id, "%s", account_id);
        out->key = key;
        copy_col(out->fingerprint, sizeof out->fingerprint, s, 0);
        out->status = sqlite3_column_int(s, 1);
        out->body = sqlite_col_text(s, 2);
        out->created_at = sqlite3_column_int64(s, 3);
        sqlite3_reset(s);
        return STORE_OK;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? STORE_ENOTFOUND : sqlite_err(c, rc, "idem_get");
}

static int op_idem_put(struct store *st, const struct idem_record *r, int64_t expire_before) {
    struct sqlite_conn *c = sqlite_conn_get(st);
    if (!c)
        return STORE_EIO;
    int rc = sqlite_unit_begin(c);
    if (rc)
        return rc;
    sqlite3_stmt *s = sqlite_prep(c, SQL_IDEM_EXPIRE);
    sqlite3_bind_int64(s, 1, expire_before);
    rc = step_done(c, s, "idem_expire");
    if (rc == STORE_OK) {
        s = sqlite_prep(c, SQL_IDEM_PUT);
        sqlite3_bind_text(s, 1, r->account_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, r->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, r->fingerprint, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, r->status);
        sqlite3_bind_text(s, 5, r->body ? r->body : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 6, r->created_at);
        sqlite3_bind_int64(s, 7, expire_before);
        rc = step_done(c, s, "idem_put");
        if (rc == STORE_OK && sqlite3_changes(c->db) == 0)
            rc = STORE_ECONFLICT; /* a live record holds the key */
    }
    return sqlite_unit_end(c, rc);
}

/* ---- open, migrate, close ---- */

static int migrate(sqlite3 *db, char *err, size_t errlen) {
    if (exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL)") !=
        SQLITE_OK) {
        snprintf(err, errlen, "cannot create schema_migrations: %s", sqlite3_errmsg(db));
        return STORE_EIO;
    }
    if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
        snprintf(err, errlen, "cannot lock the database: %s", sqlite3_errmsg(db));
        return STORE_EBUSY;
    }
    sqlite3_stmt *s = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version > sqlite_migration_count) {
        exec(db, "ROLLBACK");
        snprintf(err, errlen, "database schema %d is newer than this campaignd (%d)", version,
                 sqlite_migration_count);
        return STORE_EIO;
    }
    for (int v = version; v < sqlite_migration_count; v++) {
        char record[96];
        snprintf(record, sizeof record, "INSERT INTO schema_migrations(version) VALUES (%d)",
                 v + 1);
        if (exec(db, sqlite_migrations[v]) != SQLITE_OK || exec(db, record) != SQLITE_OK) {
            snprintf(err, errlen, "migration %d failed: %s", v + 1, sqlite3_errmsg(db));
            exec(db, "ROLLBACK");
            return STORE_EIO;
        }
        log_info("sqlite: applied migration %d", v + 1);
    }
    if (exec(db, "COMMIT") != SQLITE_OK) {
        snprintf(err, errlen, "cannot commit migrations: %s", sqlite3_errmsg(db));
        return STORE_EIO;
    }
    return STORE_OK;
}

/* 1 when db's file is in WAL mode (":memory:" answers "memory"). */
static int in_wal_mode(sqlite3 *db) {
    sqlite3_stmt *q = NULL;
    int wal = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(q, 0);
        wal = mode && strcmp((const char *)mode, "wal") == 0;
    }
    sqlite3_finalize(q);
    return wal;
}

static void op_close(struct store *st) {
    struct sqlite_store *s = (struct sqlite_store *)st;
    sqlite_checkpointer_stop(s->ckpt); /* before the connections it watches */
    pthread_key_delete(s->key);
    pthread_mutex_lock(&s->mu);
    struct sqlite_conn *c = s->conns;
    s->conns = NULL;
    pthread_mutex_unlock(&s->mu);
    while (c) {
        struct sqlite_conn *next = c->next;
        conn_close(c);
        c = next;
    }
    pthread_mutex_destroy(&s->mu);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* after every connection: see hold_database */
    free(s->path);
    free(s);
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = op_close,
    .ping = op_ping,
    .begin = op_begin,
    .commit = op_commit,
    .rollback = op_rollback,
    .write_generation = op_write_generation,
    .meta_get = op_meta_get,
    .meta_get_or_put = op_meta_get_or_put,
    .account_insert = op_account_insert,
    .account_exists = op_account_exists,
    .key_insert = op_key_insert,
    .key_get = op_key_get,
    .key_revoke = op_key_revoke,
    .idem_get = op_idem_get,
    .idem_put = op_idem_put,
    .campaign_insert = sqlite_campaign_insert,
    .campaign_get = sqlite_campaign_get,
    .campaign_get_with_key = sqlite_campaign_get_with_key,
    .campaign_list = sqlite_campaign_list,
    .campaign_update = sqlite_campaign_update,
    .campaign_move = sqlite_campaign_move,
    .recipients_insert = sqlite_recipients_insert,
    .recipient_list = sqlite_recipient_list,
    .recipient_get = sqlite_recipient_get,
    .carrier_list = sqlite_carrier_list,
    .carrier_put = sqlite_carrier_put,
    .carrier_delete = sqlite_carrier_delete,
    .submits_mark = sqlite_submits_mark,
    .attempt_provider = sqlite_attempt_provider,
    .attempt_by_provider_id = sqlite_attempt_by_provider_id,
    .segment_receipt = sqlite_segment_receipt,
    .sim_put = sqlite_sim_put,
    .sim_batches = sqlite_sim_batches,
    .inbox_put = sqlite_inbox_put,
    .inbox_read = sqlite_inbox_read,
    .inbox_delete = sqlite_inbox_delete,
    .provider_list = sqlite_provider_list,
    .provider_put = sqlite_provider_put,
    .provider_delete = sqlite_provider_delete,
    .relane = sqlite_relane,
    .engine_campaigns = sqlite_engine_campaigns,
    .campaign_lanes = sqlite_campaign_lanes,
    .lane_next_due = sqlite_lane_next_due,
    .claim = sqlite_claim,
    .apply_ends = sqlite_apply_ends,
    .unclaim = sqlite_unclaim,
    .lane_hold = sqlite_lane_hold,
    .in_flight = sqlite_in_flight,
    .renew_leases = sqlite_renew_leases,
    .complete_finished = sqlite_complete_finished,
    .fail_unknown_submits = sqlite_fail_unknown_submits,
    .expire_ended = sqlite_expire_ended,
    .events_due = sqlite_events_due,
    .event_body = sqlite_event_body,
    .event_result = sqlite_event_result,
    .events_lease = sqlite_events_lease,
    .events_next = sqlite_events_next,
    .event_list = sqlite_event_list,
    .event_redeliver = sqlite_event_redeliver,
    .webhook_secrets = sqlite_webhook_secrets,
    .webhook_rotate = sqlite_webhook_rotate,
    .call_list = sqlite_call_list,
    .call_get = sqlite_call_get,
    .call_set_media = sqlite_call_set_media,
    .message_set_pricing = sqlite_message_set_pricing,
    .message_list = sqlite_message_list,
    .message_get = sqlite_message_get,
    .opt_out_insert = sqlite_opt_out_insert,
    .opt_out_list = sqlite_opt_out_list,
    .opt_out_delete = sqlite_opt_out_delete,
    .opt_out_remove_blanket = sqlite_opt_out_remove_blanket,
    .sender_account = sqlite_sender_account,
    .inbound_insert = sqlite_inbound_insert,
};

/* Holds the database file for this process: an exclusive flock (not the
 * fcntl locks SQLite takes, which it does not disturb) on a descriptor kept
 * open until every connection is closed (closing a descriptor of the file
 * earlier would drop SQLite's own locks). The file is created if missing
 * (SQLite takes an empty file as a new database). The fd, or -1 with a
 * reason in err. */
static int hold_database(const char *path, char *err, size_t errlen) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open SQLite database %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            snprintf(err, errlen,
                     "SQLite database %s is in use by another campaignd process (one process "
                     "per SQLite database; several nodes need PostgreSQL)",
                     path);
        else
            snprintf(err, errlen, "cannot lock SQLite database %s: %s", path, strerror(e));
        return -1;
    }
    return fd;
}

/* SQLite's memory statistics off, once per process, before its first use:
 * with them on every allocation SQLite makes takes a global mutex to count
 * it (1.6 % + 1.2 % of a dispatching server in pthread_mutex_lock/unlock,
 * and dispatch +9 %, docs/benchmarks.md). Nothing here reads them. Later
 * calls (a second store in one process) answer SQLITE_MISUSE, harmlessly. */
static void sqlite_global_config(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_memstatus_off);
}

int store_sqlite_open(const char *path, const struct store_options *opts, struct store **out,
                      char *err, size_t errlen) {
    sqlite_global_config();
    if (!path[0]) {
        snprintf(err, errlen, "sqlite: empty database path");
        return STORE_EIO;
    }
    int lock_fd = -1;
    if (opts->exclusive && strcmp(path, ":memory:") != 0 &&
        (lock_fd = hold_database(path, err, errlen)) < 0)
        return STORE_EIO;
    sqlite3 *db = open_db(path, opts->max_pages);
    if (!db) {
        snprintf(err, errlen, "cannot open SQLite database %s", path);
        if (lock_fd >= 0)
            close(lock_fd);
        return STORE_EIO;
    }
    int rc = migrate(db, err, errlen);
    int wal = in_wal_mode(db);
    sqlite3_close(db);
    if (rc) {
        if (lock_fd >= 0)
            close(lock_fd);
        return rc;
    }
    struct sqlite_store *s = xcalloc(1, sizeof *s);
    s->lock_fd = lock_fd;
    s->base.ops = &sqlite_ops;
    s->path = xstrdup(path);
    s->max_pages = opts->max_pages;
    pthread_mutex_init(&s->mu, NULL);
    pthread_key_create(&s->key, thread_conn_destroy);
    /* WAL mode is the file's (every connection has it): then each commit
     * runs on_commit and the generation moves; else it stays 0, "cannot
     * tell" */
    atomic_init(&s->generation, wal ? 1 : 0);
    /* checkpoints on a thread of their own (sqlite_checkpoint.c); an
     * in-memory database has no -wal file */
    if (strcmp(path, ":memory:") != 0)
        s->ckpt = sqlite_checkpointer_start(open_db(path, opts->max_pages));
    *out = &s->base;
    return STORE_OK;
}
