/* cluster.h - the engine's link to the other nodes on its database: it
 * hears their changes (the store's listener, watched by the engine's loop)
 * and knows whether this node is the one that runs the sweeps. On a store
 * without notifications (SQLite: one process) it does nothing and this
 * node always runs the sweeps. Engine thread only. */
#ifndef CAMPAIGND_CLUSTER_H
#define CAMPAIGND_CLUSTER_H

#include <uv.h>

struct cluster;
struct store;

/* Called on the loop's thread with engine_event bits to act on: what
 * another node changed, or everything after the listener reconnected
 * (notifications may have been missed) or when this node has just become
 * the sweeper. */
typedef void (*cluster_events_fn)(void *ctx, int events);

/* Opens the listener (or starts trying to, with a backoff). node: this
 * node's id (borrowed, outlives the cluster); all: the bits meaning
 * "reload everything". */
struct cluster *cluster_new(uv_loop_t *loop, struct store *st, const char *node, int all,
                            cluster_events_fn fn, void *ctx);
/* 1 when this node runs the sweeps (end_at, unknown submits, completion). */
int cluster_sweeper(const struct cluster *c);
/* Any thread, after a commit: tells the other nodes (no-op on SQLite;
 * a failure is logged, rarely: the others see it at their lease tick). */
void cluster_notify(struct store *st, const char *node, int events);
/* Closes the listener and the loop's handles (freed when the loop runs
 * their close callbacks). */
void cluster_close(struct cluster *c);

#endif
