/* sqlite_schema.c - the migrations themselves, see sqlite_schema.h. */
#include "store/sqlite_schema.h"

const char *const sqlite_migrations[] = {
    /* 1: accounts, keys, campaigns with stored counters, idempotency */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE accounts ("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE TABLE api_keys ("
    "  prefix TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id),"
    "  hash TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);"
    "CREATE TABLE campaigns ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  account_id TEXT NOT NULL REFERENCES accounts(id),"
    "  name TEXT NOT NULL, agent_id TEXT NOT NULL,"
    "  channel TEXT NOT NULL, status TEXT NOT NULL,"
    "  config TEXT NOT NULL, schedule TEXT, retry_policy TEXT,"
    "  total INTEGER NOT NULL DEFAULT 0, queued INTEGER NOT NULL DEFAULT 0,"
    "  dispatched INTEGER NOT NULL DEFAULT 0, succeeded INTEGER NOT NULL DEFAULT 0,"
    "  failed INTEGER NOT NULL DEFAULT 0,"
    "  d_completed INTEGER NOT NULL DEFAULT 0, d_no_answer INTEGER NOT NULL DEFAULT 0,"
    "  d_busy INTEGER NOT NULL DEFAULT 0, d_failed INTEGER NOT NULL DEFAULT 0,"
    "  d_cancelled INTEGER NOT NULL DEFAULT 0, d_opted_out INTEGER NOT NULL DEFAULT 0,"
    "  d_sent INTEGER NOT NULL DEFAULT 0, d_delivered INTEGER NOT NULL DEFAULT 0,"
    "  d_read INTEGER NOT NULL DEFAULT 0, d_undelivered INTEGER NOT NULL DEFAULT 0,"
    "  d_missing_param INTEGER NOT NULL DEFAULT 0, d_expired INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  started_at INTEGER, completed_at INTEGER, cancelled_at INTEGER,"
    "  CHECK (total = queued + dispatched + succeeded + failed));"
    "CREATE INDEX campaigns_by_account ON campaigns(account_id, seq);"
    "CREATE TABLE idempotency_keys ("
    "  account_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    "  status INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, key));"
    "CREATE INDEX idempotency_by_age ON idempotency_keys(created_at);",
};

const int sqlite_migration_count = (int)(sizeof sqlite_migrations / sizeof sqlite_migrations[0]);
