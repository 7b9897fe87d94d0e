/* pg_schema.h - numbered schema migrations of the PostgreSQL backend, a
 * list of its own beside sqlite_schema.h (1 here is SQLite's 1 to 13).
 * Each entry runs once, in order, in its own transaction, under an
 * advisory lock (pg.c); the applied version is kept in schema_migrations.
 * Never edit a shipped migration: append a new one, mirroring each new
 * SQLite migration. */
#ifndef CAMPAIGND_PG_SCHEMA_H
#define CAMPAIGND_PG_SCHEMA_H

extern const char *const pg_migrations[];
extern const int pg_migration_count;

#endif
