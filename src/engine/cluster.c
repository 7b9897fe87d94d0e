/* cluster.c - the engine's link to the other nodes on its database (see
 * cluster.h).
 *
 * Hearing changes: the store's listening connection (store ops
 * listen_open / listen_read) is watched with a uv_poll on its socket; each
 * readable turn reads the notifications other nodes sent (the engine_event
 * bits they woke their own engine with) and hands them to the engine. When
 * the connection is lost (PostgreSQL restarted, the session killed) the
 * poll stops and a timer tries again after a backoff (250 ms doubling to 5
 * s); once it is back, the engine reloads everything (what was notified
 * meanwhile is lost).
 *
 * The sweeper: while the listener is up and this node is not the sweeper,
 * the same timer asks the store every second (sweeper_try: a session lock
 * held by the listening connection); the node that gets it keeps it until
 * its connection ends, so a node that dies hands the sweeps to another
 * within about a second. Becoming the sweeper asks for a full reload (the
 * pass then runs the sweeps at once).
 *
 * Without listen_open (SQLite) nothing is opened and this node is always
 * the sweeper. */
#include "engine/cluster.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/ratelimit.h"

#include <stdlib.h>

#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS 5000
#define SWEEPER_TRY_MS 1000
#define NOTIFY_LOG_EVERY_MS 10000

struct cluster {
    uv_timer_t timer; /* first: the struct is freed with it */
    uv_poll_t *poll;  /* NULL while the listener is down */
    struct store *st;
    const char *node;
    int all;
    cluster_events_fn fn;
    void *ctx;
    int sweeper;
    int was_up;        /* the listener was open before: a reopen reloads everything */
    uint64_t retry_ms; /* the next reconnect's delay */
    int closed;
};

static struct ratelimit notify_log = RATELIMIT_INIT;

static void on_tick(uv_timer_t *t);

static void free_handle(uv_handle_t *h) {
    free(h);
}

/* The listener is gone: stop watching it and try again later. */
static void lose(struct cluster *c) {
    if (c->poll) {
        uv_close((uv_handle_t *)c->poll, free_handle);
        c->poll = NULL;
    }
    c->st->ops->listen_close(c->st);
    if (c->sweeper)
        log_warn("cluster: this node no longer runs the sweeps (its listening connection is "
                 "lost)");
    c->sweeper = 0;
    c->was_up = 1; /* whatever was notified until it is back is lost */
    uv_timer_start(&c->timer, on_tick, c->retry_ms, 0);
    c->retry_ms = c->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->retry_ms * 2;
}

/* Reads what arrived; 0, or -1 after losing the listener. */
static int drain(struct cluster *c) {
    int events = 0;
    if (c->st->ops->listen_read(c->st, c->node, &events) != 0) {
        lose(c);
        return -1;
    }
    if (events)
        c->fn(c->ctx, events);
    return 0;
}

static void on_readable(uv_poll_t *p, int status, int events) {
    (void)events;
    struct cluster *c = p->data;
    if (status < 0) {
        lose(c);
        return;
    }
    drain(c);
}

static void try_sweeper(struct cluster *c) {
    int held = 0;
    int rc = c->st->ops->sweeper_try(c->st, c->node, &held);
    if (rc != 0) {
        lose(c);
        return;
    }
    if (drain(c) != 0)
        return;
    if (held && !c->sweeper) {
        c->sweeper = 1;
        log_info("cluster: this node runs the sweeps (end_at, unknown submits, completion)");
        c->fn(c->ctx, c->all);
    }
    if (!c->sweeper)
        uv_timer_start(&c->timer, on_tick, SWEEPER_TRY_MS, 0);
}

static void open_listener(struct cluster *c) {
    int fd = c->st->ops->listen_open(c->st);
    if (fd < 0) {
        lose(c);
        return;
    }
    c->poll = xcalloc(1, sizeof *c->poll);
    if (uv_poll_init(c->timer.loop, c->poll, fd) != 0) {
        free(c->poll);
        c->poll = NULL;
        lose(c);
        return;
    }
    c->poll->data = c;
    uv_poll_start(c->poll, UV_READABLE, on_readable);
    c->retry_ms = RETRY_FIRST_MS;
    if (c->was_up) {
        log_info("cluster: listening again for other nodes' changes; reloading everything");
        c->fn(c->ctx, c->all);
    }
    c->was_up = 1;
    try_sweeper(c);
}

static void on_tick(uv_timer_t *t) {
    struct cluster *c = (struct cluster *)t;
    if (c->closed)
        return;
    if (!c->poll)
        open_listener(c);
    else if (!c->sweeper)
        try_sweeper(c);
}

struct cluster *cluster_new(uv_loop_t *loop, struct store *st, const char *node, int all,
                            cluster_events_fn fn, void *ctx) {
    struct cluster *c = xcalloc(1, sizeof *c);
    uv_timer_init(loop, &c->timer);
    c->st = st;
    c->node = node;
    c->all = all;
    c->fn = fn;
    c->ctx = ctx;
    c->retry_ms = RETRY_FIRST_MS;
    if (!st->ops->listen_open)
        c->sweeper = 1; /* one process per database */
    else
        open_listener(c);
    return c;
}

int cluster_sweeper(const struct cluster *c) {
    return c ? c->sweeper : 1;
}

void cluster_notify(struct store *st, const char *node, int events) {
    if (!st->ops->notify || !events)
        return;
    int rc = st->ops->notify(st, node, events);
    long held = 0;
    if (rc != 0 && ratelimit_allow(&notify_log, clock_now_ms(), NOTIFY_LOG_EVERY_MS, &held))
        log_warn("cluster: cannot tell the other nodes of a change (%s; %ld more not logged): "
                 "they see it at their next lease tick",
                 store_strerror(rc), held);
}

void cluster_close(struct cluster *c) {
    if (!c)
        return;
    c->closed = 1;
    if (c->poll)
        uv_close((uv_handle_t *)c->poll, free_handle);
    c->poll = NULL;
    if (c->st->ops->listen_close)
        c->st->ops->listen_close(c->st);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, free_handle);
}
