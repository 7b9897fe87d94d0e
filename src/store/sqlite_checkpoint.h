/* sqlite_checkpoint.h - WAL checkpoints of the SQLite store on a thread of
 * their own, so that a committing thread (the engine's) does not copy the
 * -wal file into the database itself. See sqlite_checkpoint.c. Not for use
 * outside src/store/sqlite*.c (and its unit test). */
#ifndef CAMPAIGND_SQLITE_CHECKPOINT_H
#define CAMPAIGND_SQLITE_CHECKPOINT_H

#include <sqlite3.h>

/* A -wal file of this many pages wakes the checkpoint thread. */
#define SQLITE_CHECKPOINT_PAGES 1000
/* A -wal file of this many pages (the thread has not kept up) is
 * checkpointed by the committing thread itself, as SQLite's own
 * autocheckpoint would: the -wal file never grows without bound. */
#define SQLITE_CHECKPOINT_HARD_PAGES (10 * SQLITE_CHECKPOINT_PAGES)

struct sqlite_checkpointer;

/* Starts the checkpoint thread on db, its own connection to the store's
 * file (owned from now on: closed by stop, or here when the thread cannot
 * start). NULL when db is NULL or the thread cannot start: the store's
 * connections then keep SQLite's autocheckpoint. */
struct sqlite_checkpointer *sqlite_checkpointer_start(sqlite3 *db);
/* Turns off SQLite's autocheckpoint on a writer's connection db and has
 * its commits wake k instead (past SQLITE_CHECKPOINT_HARD_PAGES the
 * committer checkpoints itself). Nothing when k is NULL. */
void sqlite_checkpointer_watch(struct sqlite_checkpointer *k, sqlite3 *db);
/* What a watched connection's commit does, for a store that installs its
 * own WAL hook (sqlite3_wal_hook's arguments after k): wakes k, or past
 * SQLITE_CHECKPOINT_HARD_PAGES checkpoints itself; with k NULL, checkpoints
 * past SQLITE_CHECKPOINT_PAGES as SQLite's autocheckpoint (which that hook
 * replaces) would. Always SQLITE_OK. */
int sqlite_checkpointer_committed(struct sqlite_checkpointer *k, sqlite3 *db, const char *name,
                                  int pages);
/* Checkpoints the thread completed that copied the whole -wal file (so the
 * next writer restarts it), for tests. */
long sqlite_checkpointer_done(const struct sqlite_checkpointer *k);
/* 1 when no checkpoint is asked for nor under way, for tests: once the
 * writers stop, the last one they asked for is then done. */
int sqlite_checkpointer_idle(const struct sqlite_checkpointer *k);
/* Stops and joins the thread, closes its connection, frees k (NULL: nothing).
 * Call before closing the connections it watches. */
void sqlite_checkpointer_stop(struct sqlite_checkpointer *k);

#endif
