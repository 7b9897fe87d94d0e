/* sqlite_checkpoint.c - the SQLite store's WAL checkpoints, on a thread of
 * their own.
 *
 * SQLite's autocheckpoint runs in the thread that commits, once the -wal
 * file has SQLITE_CHECKPOINT_PAGES pages: the engine thread, dispatching,
 * spent 6 % of its time copying pages into the database. Here every
 * connection of the store has the autocheckpoint off and a WAL hook
 * instead, which after each commit only wakes this thread when the -wal
 * file has grown past SQLITE_CHECKPOINT_PAGES (one atomic exchange per
 * commit, a mutex only when it wakes). The thread runs PASSIVE
 * checkpoints on its own connection: they copy what no reader still needs
 * and never block a reader or a writer. A writer restarts the -wal file
 * from its beginning when it finds it entirely copied.
 *
 * A writer that commits without pause may leave no moment where the
 * whole file is copied, so the file may keep growing; past
 * SQLITE_CHECKPOINT_HARD_PAGES the committing thread checkpoints itself,
 * as SQLite does (cheaply: the thread has copied most of it already;
 * when the thread is at it, the committer waits for it first), and its
 * next transaction restarts the file. journal_size_limit (sqlite.c)
 * still cuts a grown file back at a restart. A checkpoint that fails (a
 * full disk) is logged at most once a minute and tried again at the next
 * wake; a kill -9 in the middle of one loses nothing (SQLite's design). */
#include "store/sqlite_checkpoint.h"

#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define FAIL_LOG_EVERY_MS 60000
#define HARD_WAIT_MS 1000 /* a committer past the hard limit waits for the thread */

struct sqlite_checkpointer {
    sqlite3 *db; /* this thread's own connection */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;              /* under mu */
    atomic_int woken;      /* a commit asked for a checkpoint not yet begun */
    atomic_int running;    /* a checkpoint is under way */
    atomic_long completed; /* checkpoints that copied the whole file, for tests */
    struct ratelimit fail_log;
};

static void checkpoint(struct sqlite_checkpointer *k) {
    int frames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    if (rc == SQLITE_OK) {
        if (copied == frames) /* the next writer restarts the file */
            atomic_fetch_add(&k->completed, 1);
        return;
    }
    if (rc == SQLITE_BUSY) /* a committer past the hard limit is checkpointing */
        return;
    long held = 0;
    if (ratelimit_allow(&k->fail_log, clock_now_ms(), FAIL_LOG_EVERY_MS, &held))
        log_warn("sqlite: background checkpoint failed: %s (%ld more not logged)",
                 sqlite3_errmsg(k->db), held);
}

static void *checkpoint_thread(void *arg) {
    struct sqlite_checkpointer *k = arg;
    for (;;) {
        pthread_mutex_lock(&k->mu);
        while (!k->stop && !atomic_load(&k->woken))
            pthread_cond_wait(&k->cv, &k->mu);
        int stop = k->stop;
        pthread_mutex_unlock(&k->mu);
        if (stop)
            return NULL;
        /* cleared before the checkpoint: a commit during it wakes us again */
        atomic_store(&k->running, 1);
        atomic_store(&k->woken, 0);
        checkpoint(k);
        atomic_store(&k->running, 0);
    }
}

int sqlite_checkpointer_committed(struct sqlite_checkpointer *k, sqlite3 *db, const char *name,
                                  int pages) {
    if (!k) {
        if (pages >= SQLITE_CHECKPOINT_PAGES)
            sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (pages >= SQLITE_CHECKPOINT_HARD_PAGES) {
        /* SQLITE_BUSY: the thread is checkpointing; wait for it (up to a
         * second), then copy what it left */
        for (int i = 0; i < HARD_WAIT_MS; i++) {
            if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) !=
                SQLITE_BUSY)
                break;
            usleep(1000);
        }
        return SQLITE_OK; /* as SQLite's own hook: a failure is not the commit's */
    }
    if (pages >= SQLITE_CHECKPOINT_PAGES && !atomic_exchange(&k->woken, 1)) {
        pthread_mutex_lock(&k->mu);
        pthread_cond_signal(&k->cv);
        pthread_mutex_unlock(&k->mu);
    }
    return SQLITE_OK;
}

/* SQLite calls this after each commit on a watched connection, with the
 * -wal file's size in pages. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages) {
    return sqlite_checkpointer_committed(arg, db, name, pages);
}

struct sqlite_checkpointer *sqlite_checkpointer_start(sqlite3 *db) {
    if (!db)
        return NULL;
    struct sqlite_checkpointer *k = xcalloc(1, sizeof *k);
    k->db = db;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    if (pthread_create(&k->thread, NULL, checkpoint_thread, k) != 0) {
        log_warn("sqlite: no checkpoint thread: checkpoints stay with the committing threads");
        pthread_cond_destroy(&k->cv);
        pthread_mutex_destroy(&k->mu);
        sqlite3_close(db);
        free(k);
        return NULL;
    }
    return k;
}

void sqlite_checkpointer_watch(struct sqlite_checkpointer *k, sqlite3 *db) {
    if (k)
        sqlite3_wal_hook(db, wal_hook, k); /* replaces (turns off) the autocheckpoint */
}

long sqlite_checkpointer_done(const struct sqlite_checkpointer *k) {
    return k ? atomic_load(&k->completed) : 0;
}

int sqlite_checkpointer_idle(const struct sqlite_checkpointer *k) {
    return !k || (!atomic_load(&k->woken) && !atomic_load(&k->running));
}

void sqlite_checkpointer_stop(struct sqlite_checkpointer *k) {
    if (!k)
        return;
    pthread_mutex_lock(&k->mu);
    k->stop = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    sqlite3_close(k->db);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    free(k);
}
