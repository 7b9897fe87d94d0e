/* sqlite_schema.h - numbered schema migrations of the SQLite backend.
 * Each entry runs once, in order, inside one transaction at start; the
 * applied version is kept in schema_migrations. Never edit a shipped
 * migration: append a new one. */
#ifndef CAMPAIGND_SQLITE_SCHEMA_H
#define CAMPAIGND_SQLITE_SCHEMA_H

extern const char *const sqlite_migrations[];
extern const int sqlite_migration_count;

#endif
