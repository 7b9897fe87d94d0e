/* engine.c - the dispatch loop.
 *
 * Owns, per lane (a carrier; for whatsapp carrier|sender|category), a pacer
 * (GCRA + concurrency cap) and the list of running campaigns with queued
 * work in that lane, each with the time its next recipient comes due. One
 * pass does, in order:
 *   1. reload campaigns / carrier limits when the API said they changed;
 *   2. apply the ends providers reported since the last pass, in one
 *      transaction, then ack them to the provider;
 *   3. per lane, ask the pacer how many may start now and share that budget
 *      round-robin over the lane's campaigns with due work (fairness.c: so
 *      one huge campaign cannot starve a small one); claim them all in one
 *      transaction and hand them to the provider;
 *   4. sleep until the next thing can happen: the earliest GCRA slot of a
 *      lane with due work, the earliest due time of queued work, a provider
 *      report, or a wake-up from the API. No polling. With
 *      --engine-gather-ms above 0 (off by default), providers' answers and
 *      reports, and slots a lane's burst leaves room to take late, wait up
 *      to that long after the last pass began (gather_at): a pass costs its
 *      transactions whatever it carries, so a steady pace goes in few,
 *      fuller passes (architecture decision 46).
 *
 * A failing store (disk full, I/O errors, a lock held too long) puts the
 * engine in backoff (backoff.c): no pass runs before the next try is due,
 * the delay doubles up to a few seconds, a line is logged when it changes
 * and then once a minute; reports, wake-ups and unclaims wait in memory
 * and the first write that succeeds ends the backoff. A stop request is
 * looked at on every pass, so SIGTERM is prompt even in a busy loop.
 *
 * Providers: one open instance per named provider (provider_set.c), kept
 * in step with the providers in force; a lane's carrier names the one that
 * carries it. Hand-over is asynchronous (provider.h): attempts are marked as
 * being submitted (one transaction) before submit() takes them, and their
 * fates and reports come back through on_provider_event(), which queues
 * them for the next pass (fates as submit marks and first ends, reports as
 * ends, throttles as give-backs). Stored reports are acked to the provider
 * they came from.
 *
 * Crash safety, at most once toward a provider: a claim commits before the
 * provider hears of the attempt, and the "submitting" mark commits before
 * the request leaves. At start (reconcile) an attempt never handed over is
 * handed over; one marked submitting is handed over again only when its
 * provider's lookup says it certainly never received it; otherwise it
 * waits for its reports. Ends are applied idempotently (a repeated report
 * changes nothing).
 * Reports from outside (providers' HTTP callbacks) come through
 * engine_report(), from any thread: written durably to the store's inbox,
 * then a wake-up (uv_async_send); the pass reads the inbox, applies the
 * reports with the others and deletes the rows it applied.
 *
 * Several nodes on one store (store_ops.shared, PostgreSQL): a lane's
 * pacer here is this node's view only; each claim carries the lane's limits
 * and the store cuts it to what the lane's shared state allows across all
 * nodes (store.h, claim), then answers that state, which the lane's pacer
 * takes (lane_synced): the engine sleeps until the shared next slot. A
 * lane full of attempts across nodes is asked again every LANE_RECHECK_MS
 * (other nodes' ends wake no one here).
 *
 * Several nodes on one database (cluster.c): engine_wake() also notifies the
 * other nodes through the store, and their changes arrive here as the same
 * events; the sweeps (end_at expiry, unknown submits, completion of
 * finished campaigns) run only on the node cluster_sweeper() names.
 *
 * Thread: everything here runs on the engine thread except engine_wake()
 * and engine_report(). */
#include "engine/engine.h"
#include "config.h"
#include "domain/due.h"
#include "engine/backoff.h"
#include "engine/cluster.h"
#include "engine/inforce.h"
#include "engine/fairness.h"
#include "domain/pacer.h"
#include "engine/provider_set.h"
#include "engine/webhooks.h"
#include "providers/provider.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strset.h"
#include "util/strcopy.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define CLAIM_BATCH_MAX 2000 /* most starts claimed per lane per pass */
#define THROTTLE_BACKOFF_MS 1000
#define NO_WORK INT64_MAX
#define LANE_RECHECK_MS 250 /* shared pacing: a lane full across nodes is asked again */

struct lane_work {
    size_t campaign;  /* index into engine.campaigns */
    int64_t next_due; /* NO_WORK when nothing is queued */
};

struct lane {
    char name[LANE_MAX + 1];
    enum channel channel; /* of its campaigns: names the fallback carrier */
    struct pacer pacer;
    struct lane_work *work;
    size_t nwork;
    size_t rr;          /* round-robin position */
    int64_t recheck_at; /* shared pacing: when a lane full across nodes is asked again */
};

struct engine {
    struct engine_deps deps;
    struct store *st;
    uv_thread_t thread;
    uv_loop_t loop;
    uv_async_t async;
    uv_timer_t timer;
    uv_timer_t lease_timer; /* the heartbeat; takes over a dead node's attempts */
    int events;             /* engine_event bits, guarded by mu */
    int stopping;           /* guarded by mu */
    uv_mutex_t mu;
    struct provider_set *providers;
    struct webhooks *webhooks;
    struct cluster *cluster; /* other nodes' changes; whether this node sweeps */

    struct engine_campaign *campaigns;
    size_t ncampaigns;
    struct lane *lanes;
    size_t nlanes;
    struct carrier *carriers;
    size_t ncarriers;

    int64_t next_end;     /* the next schedule.end_at to act on, 0 = none */
    int64_t last_pass_ms; /* when the last pass began */
    int claimed_last;     /* the last claim changed recipients */

    struct attempt_end *ends;                /* reported, not yet stored */
    char (*end_from)[PROVIDER_NAME_MAX + 1]; /* the provider to ack each to ("" = none) */
    int64_t *end_inbox;                      /* the inbox row each came from (0 = none) */
    size_t nends, capends;

    int64_t inbox_read_to;   /* the inbox rows read so far (queued in ends) */
    int64_t inbox_delete_to; /* ... and those to delete once the ends are stored */

    struct submit_mark *marks; /* fates learnt, not yet stored */
    size_t nmarks, capmarks;

    struct attempt *unclaims; /* throttled, not yet put back in the queue */
    size_t nunclaims;
    int64_t unclaim_due;

    int reconciled; /* the attempts in flight at start were handed over */
    int closed;     /* the loop's handles are closing */

    struct backoff backoff;
    int pass_failed; /* a store error (STORE_E*) in this pass, 0 = none */
    int pass_wrote;  /* a store write succeeded in this pass */
};

static void on_timer(uv_timer_t *t);

/* ---- store trouble ---- */

/* Notes the result of a store call for the backoff and returns it. Only
 * writes (`write`) prove the store healthy again: reads still work on a
 * full disk. */
static int noted(struct engine *e, int rc, int write) {
    if (rc == STORE_OK)
        e->pass_wrote |= write;
    else if (rc != STORE_ENOTFOUND && !e->pass_failed)
        e->pass_failed = rc;
    return rc;
}

/* At the end of a pass: lengthen or end the backoff, and say so rarely. */
static void settle_backoff(struct engine *e) {
    int64_t now = clock_now_ms();
    struct backoff *b = &e->backoff;
    if (e->pass_failed) {
        switch (backoff_failed(b, now)) {
        case BACKOFF_LONGER:
            log_warn("engine: the store fails (%s); backing off, next try in %lld ms",
                     store_strerror(e->pass_failed), (long long)b->delay_ms);
            break;
        case BACKOFF_STILL:
            log_warn("engine: the store still fails (%s): %ld tries over %lld s; trying every "
                     "%lld ms (see docs/operators.md, \"Full disk\")",
                     store_strerror(e->pass_failed), b->failures,
                     (long long)((now - b->since) / 1000), (long long)b->delay_ms);
            break;
        case BACKOFF_QUIET:
            break;
        }
    } else if (e->pass_wrote) {
        long failures = b->failures;
        int64_t since = b->since;
        if (backoff_succeeded(b, now))
            log_info("engine: the store takes writes again after %ld failed tries over %lld s; "
                     "resuming",
                     failures, (long long)((now - since) / 1000));
    }
    e->pass_failed = 0;
    e->pass_wrote = 0;
}

/* ---- lanes ---- */

static struct lane *lane_find(struct engine *e, const char *name) {
    for (size_t i = 0; i < e->nlanes; i++)
        if (strcmp(e->lanes[i].name, name) == 0)
            return &e->lanes[i];
    return NULL;
}

static void lane_limits(struct engine *e, struct lane *l) {
    double now = (double)clock_now_ms();
    /* its carrier, or (deleted while its recipients wait) its channel's built-in */
    const struct carrier *c = carrier_for_lane(e->carriers, e->ncarriers, l->name, l->channel);
    if (c)
        pacer_set_limits(&l->pacer, c->rate_per_second, c->burst, c->max_concurrent, now);
    else
        pacer_set_limits(&l->pacer, 1, 1, 1, now);
}

static struct lane *lane_get(struct engine *e, const char *name, enum channel ch) {
    struct lane *l = lane_find(e, name);
    if (l)
        return l;
    e->lanes = xrealloc(e->lanes, (e->nlanes + 1) * sizeof *e->lanes);
    l = &e->lanes[e->nlanes++];
    memset(l, 0, sizeof *l);
    STR_COPY(l->name, name);
    l->channel = ch;
    lane_limits(e, l);
    return l;
}

/* How many may start in the lane now, as this node knows. With shared
 * pacing the claim cuts that to the lane's shared budget; a lane full of
 * attempts across nodes is asked again from recheck_at on. */
static size_t lane_budget(struct engine *e, const struct lane *l, int64_t now) {
    struct pacer p = l->pacer;
    if (e->st->ops->shared && p.in_flight >= p.max_concurrent && now >= l->recheck_at)
        p.in_flight = 0;
    return pacer_budget(&p, (double)now);
}

/* Takes the lane's shared state a claim answered: the limits in force, the
 * attempts in flight on every node, and the later of the two arrival times
 * (a throttle's back-off on this node stays). */
static void lane_synced(struct lane *l, const struct pacer *shared, int64_t now) {
    double tat = l->pacer.tat > shared->tat ? l->pacer.tat : shared->tat;
    l->pacer = *shared;
    l->pacer.tat = tat;
    if (l->pacer.in_flight >= l->pacer.max_concurrent)
        l->recheck_at = now + LANE_RECHECK_MS;
}

/* ---- reloads ---- */

static int reload_carriers(struct engine *e) {
    struct carrier *list;
    size_t n;
    int rc = noted(e, carriers_load(e->st, e->deps.cfg, &list, &n), 0);
    if (rc != 0)
        return rc; /* keep the old limits; the next pass tries again */
    carriers_free(e->carriers, e->ncarriers);
    e->carriers = list;
    e->ncarriers = n;
    for (size_t i = 0; i < e->nlanes; i++)
        lane_limits(e, &e->lanes[i]);
    return 0;
}

/* Opens, reopens and closes providers to match the ones in force. 0, or
 * nonzero to try again at the next pass. */
static int reload_providers(struct engine *e) {
    struct provider_def *defs;
    size_t n;
    int rc = noted(e, providers_load(e->st, e->deps.cfg, &defs, &n), 0);
    if (rc != 0)
        return rc;
    int failed = provider_set_sync(e->providers, defs, n);
    providers_free(defs, n);
    return failed;
}

/* Returns 0, or a store error when a part could not be read (the caller
 * asks for another reload). */
static int reload_campaigns(struct engine *e) {
    struct engine_campaign *list;
    size_t n;
    int completed = 0;
    int failed = 0;
    if (cluster_sweeper(e->cluster))
        failed = noted(e, e->st->ops->complete_finished(e->st, clock_now_ms(), &completed), 1);
    int rc = noted(e, e->st->ops->engine_campaigns(e->st, &list, &n), 0);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < e->ncampaigns; i++)
        engine_campaign_clear(&e->campaigns[i]);
    free(e->campaigns);
    e->campaigns = list;
    e->ncampaigns = n;
    for (size_t i = 0; i < e->nlanes; i++) {
        free(e->lanes[i].work);
        e->lanes[i].work = NULL;
        e->lanes[i].nwork = 0;
    }
    for (size_t c = 0; c < n; c++) {
        char **lanes;
        size_t nl;
        int lrc = noted(e, e->st->ops->campaign_lanes(e->st, list[c].seq, &lanes, &nl), 0);
        if (lrc != 0) {
            if (lrc != STORE_ENOTFOUND)
                failed = lrc;
            continue;
        }
        for (size_t k = 0; k < nl; k++) {
            int64_t due = NO_WORK;
            int drc = noted(e, e->st->ops->lane_next_due(e->st, lanes[k], list[c].seq, &due), 0);
            if (drc != 0) /* nothing queued: no work; a failed read: look again */
                due = drc == STORE_ENOTFOUND ? NO_WORK : clock_now_ms();
            struct lane *l = lane_get(e, lanes[k], list[c].channel);
            l->work = xrealloc(l->work, (l->nwork + 1) * sizeof *l->work);
            l->work[l->nwork].campaign = c;
            l->work[l->nwork].next_due = due;
            l->nwork++;
            free(lanes[k]);
        }
        free(lanes);
    }
    return failed;
}

/* ---- ends ---- */

/* Queues an end for the next pass; from = the provider to ack it to once
 * stored, or NULL when it needs no ack (an end the engine derived from a
 * submit's fate). */
static void queue_end(struct engine *e, const struct attempt_end *end, const struct provider *from,
                      int64_t inbox_seq) {
    if (e->nends == e->capends) {
        e->capends = e->capends ? e->capends * 2 : 256;
        e->ends = xrealloc(e->ends, e->capends * sizeof *e->ends);
        e->end_from = xrealloc(e->end_from, e->capends * sizeof *e->end_from);
        e->end_inbox = xrealloc(e->end_inbox, e->capends * sizeof *e->end_inbox);
    }
    e->ends[e->nends] = *end;
    STR_COPY(e->end_from[e->nends], from ? from->name : "");
    e->end_inbox[e->nends] = inbox_seq;
    e->nends++;
}

static int seq_cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Drops the queued ends read from inbox rows that this pass's delete did
 * not remove (deleted: ascending): another node removed them, so it applied
 * them, in its own transaction. */
static void drop_ends_taken_elsewhere(struct engine *e, const int64_t *deleted, size_t ndeleted) {
    size_t k = 0;
    for (size_t i = 0; i < e->nends; i++) {
        int64_t seq = e->end_inbox[i];
        if (seq && !bsearch(&seq, deleted, ndeleted, sizeof *deleted, seq_cmp))
            continue;
        if (k != i) {
            e->ends[k] = e->ends[i];
            memcpy(e->end_from[k], e->end_from[i], sizeof e->end_from[k]);
            e->end_inbox[k] = seq;
        }
        k++;
    }
    e->nends = k;
}

static void queue_mark(struct engine *e, const char *id, enum channel ch, int state,
                       const char *provider_id, const char (*segment_ids)[66], size_t nsegments) {
    if (e->nmarks == e->capmarks) {
        e->capmarks = e->capmarks ? e->capmarks * 2 : 256;
        e->marks = xrealloc(e->marks, e->capmarks * sizeof *e->marks);
    }
    struct submit_mark *m = &e->marks[e->nmarks++];
    memset(m, 0, sizeof *m);
    STR_COPY(m->attempt_id, id);
    m->channel = ch;
    m->state = state;
    STR_COPY(m->provider_id, provider_id ? provider_id : "");
    if (segment_ids && nsegments) {
        m->segment_ids = xcalloc(nsegments, sizeof *m->segment_ids);
        memcpy(m->segment_ids, segment_ids, nsegments * sizeof *m->segment_ids);
        m->nsegments = nsegments;
    }
}

/* Forgets the marks from the kept-th on (their segment ids are owned). */
static void marks_truncate(struct engine *e, size_t kept) {
    for (size_t i = kept; i < e->nmarks; i++)
        free(e->marks[i].segment_ids);
    e->nmarks = kept;
}

static void note_retry(struct engine *e, const struct attempt_applied *a) {
    struct lane *l = lane_find(e, a->lane);
    if (!l)
        return;
    for (size_t i = 0; i < l->nwork; i++)
        if (e->campaigns[l->work[i].campaign].seq == a->campaign_seq &&
            a->retry_due < l->work[i].next_due)
            l->work[i].next_due = a->retry_due;
}

/* Acks each stored report to the provider it came from (runs of one
 * provider at a time). */
static void ack_ends(struct engine *e, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(e->end_from[j], e->end_from[i]) == 0)
            j++;
        struct provider *p = e->end_from[i][0] && e->providers
                                 ? provider_set_find(e->providers, e->end_from[i])
                                 : NULL;
        if (p)
            p->ops->ack(p, e->ends + i, j - i);
        i = j;
    }
}

/* A call accepted and ended within one pass needs no "accepted" mark: its
 * end closes it (and carries the provider's id). Messages keep theirs: a
 * message's reports leave its submit state alone. */
static void drop_marks_of_ended(struct engine *e) {
    if (e->nmarks == 0 || e->nends == 0)
        return;
    struct strset ended;
    strset_init(&ended, e->nends);
    for (size_t i = 0; i < e->nends; i++)
        if (e->ends[i].channel == CHANNEL_VOICE && e->ends[i].provider_call_id[0])
            strset_add(&ended, e->ends[i].call_id);
    size_t kept = 0;
    for (size_t i = 0; i < e->nmarks; i++) {
        const struct submit_mark *m = &e->marks[i];
        if (m->channel == CHANNEL_VOICE && m->state == SUBMIT_ACCEPTED &&
            !strset_add(&ended, m->attempt_id)) {
            free(m->segment_ids);
            continue; /* its end is in this batch */
        }
        e->marks[kept++] = *m;
    }
    e->nmarks = kept;
    strset_free(&ended);
}

/* Begins a unit of work, batched (store.h begin_batch) when asked and the
 * store has batches. */
static int unit_begin(struct store *st, int batched) {
    return batched && st->ops->begin_batch ? st->ops->begin_batch(st) : st->ops->begin(st);
}

/* Stores, in one transaction, the fates learnt since the last pass (submit
 * marks: the provider's id of accepted attempts), the ends reported (each
 * recipient, call or message, counters and events), and the deletion of
 * the inbox rows those came from (first: a report whose row another node
 * deleted was applied by that node, and is dropped here); then acks the
 * reports to their providers.
 * On a store error nothing of it is kept and everything waits for the next
 * pass (after the backoff). */
static void apply_reports(struct engine *e) {
    if (e->nmarks == 0 && e->nends == 0)
        return;
    struct store *st = e->st;
    drop_marks_of_ended(e);
    struct attempt_applied *applied = NULL;
    size_t n = 0;
    int rc;
    for (int batched = 1;; batched = 0) { /* once more, plainly, when the batch must be redone */
        free(applied);
        applied = NULL;
        n = 0;
        rc = unit_begin(st, batched);
        if (rc != 0)
            break;
        if (e->inbox_delete_to) {
            int64_t *deleted = NULL;
            size_t ndeleted = 0;
            rc = st->ops->inbox_delete(st, e->inbox_delete_to, &deleted, &ndeleted);
            if (rc == 0)
                drop_ends_taken_elsewhere(e, deleted, ndeleted);
            free(deleted);
        }
        n = e->nends;
        applied = xcalloc(n + 1, sizeof *applied);
        if (rc == 0 && e->nmarks)
            rc = st->ops->submits_mark(st, e->marks, e->nmarks);
        if (rc == 0 && n)
            rc = st->ops->apply_ends(st, e->ends, n, clock_now_ms(), applied);
        if (rc == 0)
            rc = st->ops->commit(st);
        else
            st->ops->rollback(st);
        if (rc != STORE_EREDO || !batched)
            break;
    }
    if (noted(e, rc, 1) != 0) {
        free(applied);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!applied[i].applied)
            continue;
        struct lane *l = lane_find(e, applied[i].lane);
        if (l && applied[i].released)
            pacer_ended(&l->pacer);
        if (applied[i].retry_due)
            note_retry(e, &applied[i]);
    }
    ack_ends(e, n);
    free(applied);
    e->nends = 0;
    marks_truncate(e, 0);
    e->inbox_delete_to = 0;
}

/* Queues the reports waiting in the store's inbox (written by HTTP threads
 * through engine_report) as ends of this pass. 0, or a store error. */
static int read_inbox(struct engine *e) {
    for (;;) {
        struct inbox_report *rows = NULL;
        size_t n = 0;
        int rc = noted(e, e->st->ops->inbox_read(e->st, e->inbox_read_to, 2000, &rows, &n), 0);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < n; i++) {
            queue_end(e, &rows[i].end, NULL, rows[i].seq);
            e->inbox_read_to = e->inbox_delete_to = rows[i].seq;
        }
        free(rows);
        if (n < 2000)
            return 0;
    }
}

/* ---- claims ---- */

/* When the campaign's queued work may run, as due.c reads it (the call
 * window is left to each recipient's turn in the claim). */
static struct due_rules campaign_due_rules(const struct engine_campaign *c) {
    struct due_rules r = {.start_at = c->start_at, .end_at = c->end_at};
    return r;
}

static const char *campaign_from(const struct engine_campaign *c, json_t **config) {
    *config = json_loads(c->config_json, 0, NULL);
    const char *key = c->channel == CHANNEL_VOICE ? "caller_id"
                      : c->channel == CHANNEL_SMS ? "from"
                                                  : "sender";
    return json_string_value(json_object_get(*config, key));
}

/* Puts throttled attempts back in the queue, due after a pause, and frees
 * their in-flight slots; on a store error they wait for the next pass. Each
 * lane throttled backs off once until the pause ends (however many of its
 * attempts were refused); on a store several nodes share the back-off is
 * also stored (lane_hold), so every node's next claim on the lane waits. */
static void flush_unclaims(struct engine *e) {
    if (e->nunclaims == 0)
        return;
    int64_t now = clock_now_ms();
    int64_t due = e->unclaim_due > now ? e->unclaim_due : now;
    if (noted(e, e->st->ops->unclaim(e->st, e->unclaims, e->nunclaims, due), 1) != 0)
        return;
    struct lane **held = xcalloc(e->nunclaims, sizeof *held);
    size_t nheld = 0;
    for (size_t i = 0; i < e->nunclaims; i++) {
        struct lane *l = lane_find(e, e->unclaims[i].lane);
        if (!l)
            continue;
        pacer_ended(&l->pacer);
        size_t h = 0;
        while (h < nheld && held[h] != l)
            h++;
        if (h == nheld)
            held[nheld++] = l;
        struct attempt_applied again = {.campaign_seq = e->unclaims[i].campaign_seq,
                                        .retry_due = due};
        STR_COPY(again.lane, l->name);
        note_retry(e, &again);
    }
    for (size_t h = 0; h < nheld; h++) {
        struct pacer *p = &held[h]->pacer;
        pacer_back_off(p, (double)now, (double)(due - now));
        if (e->st->ops->shared) /* the others wait too; failing, this node still does */
            noted(e, e->st->ops->lane_hold(e->st, held[h]->name, p->tat, p->rate, now), 1);
    }
    free(held);
    e->nunclaims = 0;
}

/* Queues attempts to go back to the queue at the next pass (a throttle, or
 * a hand-over that did not happen), after retry_after_ms or the default
 * pause. Their in-flight slots stay taken until then. Texts are not kept. */
static void requeue(struct engine *e, const struct attempt *a, size_t n, int64_t retry_after_ms) {
    if (n == 0)
        return;
    e->unclaims = xrealloc(e->unclaims, (e->nunclaims + n) * sizeof *e->unclaims);
    for (size_t i = 0; i < n; i++) {
        e->unclaims[e->nunclaims] = a[i];
        e->unclaims[e->nunclaims].text = NULL;
        e->nunclaims++;
    }
    int64_t due = clock_now_ms() + (retry_after_ms > 0 ? retry_after_ms : THROTTLE_BACKOFF_MS);
    if (due > e->unclaim_due)
        e->unclaim_due = due;
}

static int mark_submitting(struct engine *e, const struct attempt *a, size_t n);
static void dispatch_to_providers(struct engine *e, struct attempt *a, size_t n);

/* Hands attempts to their providers. They are marked as being submitted
 * before they leave: claimed ones are already (the claim writes them so, in
 * its transaction); reconciled ones (`mark`) are marked here, in one
 * transaction. From then on an attempt is never handed over again unless
 * its provider says it never received it. The attempts' texts move to the
 * providers; the array stays the caller's. */
static void send_attempts(struct engine *e, struct attempt *a, size_t n, int mark) {
    if (n == 0)
        return;
    if (mark && mark_submitting(e, a, n) != 0) {
        requeue(e, a, n, 0); /* never left: back to the queue */
        return;
    }
    dispatch_to_providers(e, a, n);
}

static int mark_submitting(struct engine *e, const struct attempt *a, size_t n) {
    struct submit_mark *m = xcalloc(n, sizeof *m);
    for (size_t i = 0; i < n; i++) {
        STR_COPY(m[i].attempt_id, a[i].call_id);
        m[i].channel = a[i].channel;
        m[i].state = SUBMIT_SUBMITTING;
    }
    int rc = noted(e, e->st->ops->submits_mark(e->st, m, n), 1);
    free(m);
    return rc;
}

/* Groups attempts by provider and submits each group. */
static void dispatch_to_providers(struct engine *e, struct attempt *a, size_t n) {
    char *taken = xcalloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        if (taken[i])
            continue;
        size_t k = 0;
        for (size_t j = i; j < n; j++)
            k += !taken[j] && strcmp(a[j].provider, a[i].provider) == 0;
        struct attempt *batch = xcalloc(k, sizeof *batch);
        size_t b = 0;
        for (size_t j = i; j < n; j++) {
            if (taken[j] || strcmp(a[j].provider, a[i].provider) != 0)
                continue;
            taken[j] = 1;
            batch[b] = a[j];
            a[j].text = NULL; /* moves with the batch */
            b++;
        }
        struct provider *p = provider_set_find(e->providers, batch[0].provider);
        if (p && p->ops->submit(p, batch, k) == 0)
            continue; /* the provider owns the batch */
        if (!p)
            log_warn("engine: no provider %s is open: %zu attempts wait", batch[0].provider, k);
        requeue(e, batch, k, 0);
        for (size_t j = 0; j < k; j++)
            free(batch[j].text);
        free(batch);
    }
    free(taken);
}

static int64_t gather_at(const struct engine *e, int64_t now);

/* A pass for what a provider event queued (a submit's answer, a report,
 * a give-back), at the gathering time (gather_at) unless one is due sooner
 * already. */
static void wake_to_gather(struct engine *e) {
    int64_t now = clock_now_ms(), at = gather_at(e, now);
    uint64_t in = at > now ? (uint64_t)(at - now) : 0;
    if (uv_is_active((uv_handle_t *)&e->timer) && uv_timer_get_due_in(&e->timer) <= in)
        return;
    uv_update_time(&e->loop); /* the timer counts from the loop's clock */
    uv_timer_start(&e->timer, on_timer, in, 0);
}

/* A provider's event, on the engine's loop: stored at the next pass. */
static void on_provider_event(void *ctx, struct provider *p, const struct provider_event *ev) {
    struct engine *e = ctx;
    const struct attempt_end *end = &ev->end;
    if (ev->kind == PROVIDER_EVENT_REPORT) {
        queue_end(e, end, p, 0);
    } else if (ev->fate == PROVIDER_ACCEPTED || ev->fate == PROVIDER_REJECTED) {
        int accepted = ev->fate == PROVIDER_ACCEPTED;
        queue_mark(e, end->call_id, end->channel, accepted ? SUBMIT_ACCEPTED : SUBMIT_REJECTED,
                   accepted ? end->provider_call_id : NULL, accepted ? ev->segment_ids : NULL,
                   accepted ? ev->nsegments : 0);
        /* voice: a refused dial is a hard failure; messaging: the submit's
         * answer is the message's first status (sent or failed), at the
         * provider's time when it gives one */
        struct attempt_end first = {.channel = end->channel,
                                    .ended_at = end->ended_at ? end->ended_at : clock_now_ms()};
        STR_COPY(first.call_id, end->call_id);
        STR_COPY(first.provider_call_id, end->provider_call_id);
        if (!accepted) {
            STR_COPY(first.error_code, ev->error_code);
            STR_COPY(first.ended_reason, end->ended_reason);
        }
        if (end->channel != CHANNEL_VOICE) {
            first.mstatus = accepted ? MSG_SENT : MSG_FAILED;
            queue_end(e, &first, NULL, 0);
        } else if (!accepted) {
            first.status = CALL_FAILED;
            queue_end(e, &first, NULL, 0);
        }
    } else if (ev->fate == PROVIDER_THROTTLED) {
        struct attempt a = {.channel = end->channel, .campaign_seq = ev->campaign_seq};
        STR_COPY(a.call_id, end->call_id);
        STR_COPY(a.lane, ev->lane);
        requeue(e, &a, 1, ev->retry_after_ms);
    }
    /* PROVIDER_UNKNOWN: the attempt stays marked as being submitted and
     * waits for a report */
    wake_to_gather(e);
}

/* The provider that carries a lane: its carrier's, or, for a carrier
 * deleted while recipients wait, the channel's built-in carrier's. */
static const char *lane_provider(struct engine *e, const char *lane, enum channel ch) {
    size_t n = strcspn(lane, "|");
    const char *builtin = carrier_builtin_name(ch), *fallback = PROVIDER_BUILTIN;
    for (size_t i = 0; i < e->ncarriers; i++) {
        const struct carrier *c = &e->carriers[i];
        if (strlen(c->name) == n && strncmp(c->name, lane, n) == 0)
            return c->provider[0] ? c->provider : PROVIDER_BUILTIN;
        if (strcmp(c->name, builtin) == 0 && c->provider[0])
            fallback = c->provider;
    }
    return fallback;
}

/* Claims; on a shared store the time of the claim is read once its
 * transaction holds the writers' lock (store begin), so that starts and
 * ends stay in order across nodes: no start is dated before an end another
 * node applied first to free its slot. *now gets the time used. */
static int claim_in_order(struct engine *e, struct claim_request *reqs, size_t nreq, int64_t *now,
                          struct attempt *out, size_t *got) {
    struct store *st = e->st;
    if (!st->ops->shared)
        return st->ops->claim(st, reqs, nreq, *now, out, got);
    struct claim_request *asked = xmalloc(nreq * sizeof *asked + 1); /* for a redo */
    memcpy(asked, reqs, nreq * sizeof *asked);
    int rc;
    for (int batched = 1;; batched = 0) {
        *got = 0;
        rc = unit_begin(st, batched);
        if (rc != 0)
            break;
        *now = clock_now_ms();
        rc = st->ops->claim(st, reqs, nreq, *now, out, got);
        if (rc != 0)
            st->ops->rollback(st);
        else
            rc = st->ops->commit(st);
        if (rc != 0) { /* nothing was claimed after all */
            for (size_t i = 0; i < *got; i++)
                free(out[i].text);
            *got = 0;
        }
        if (rc != STORE_EREDO || !batched)
            break;
        memcpy(reqs, asked, nreq * sizeof *asked);
    }
    free(asked);
    return rc;
}

static void claim_and_send(struct engine *e) {
    int64_t now = clock_now_ms();
    e->claimed_last = 0;
    size_t nreq = 0, capreq = 16, total_want = 0;
    struct claim_request *reqs = xcalloc(capreq, sizeof *reqs);
    json_t **configs = xcalloc(capreq, sizeof *configs);
    for (size_t li = 0; li < e->nlanes; li++) {
        struct lane *l = &e->lanes[li];
        if (l->nwork == 0)
            continue;
        int *due = xcalloc(l->nwork, sizeof *due);
        size_t *want = xcalloc(l->nwork, sizeof *want);
        for (size_t i = 0; i < l->nwork; i++) {
            struct due_rules rules = campaign_due_rules(&e->campaigns[l->work[i].campaign]);
            due[i] = due_lane_ready(&rules, l->work[i].next_due, now);
        }
        size_t budget = lane_budget(e, l, now);
        if (budget > CLAIM_BATCH_MAX)
            budget = CLAIM_BATCH_MAX;
        fair_share(due, l->nwork, l->rr, budget, want);
        for (size_t i = 0; i < l->nwork; i++) {
            if (!want[i])
                continue;
            if (nreq == capreq) {
                capreq *= 2;
                reqs = xrealloc(reqs, capreq * sizeof *reqs);
                configs = xrealloc(configs, capreq * sizeof *configs);
            }
            const struct engine_campaign *c = &e->campaigns[l->work[i].campaign];
            struct claim_request *r = &reqs[nreq];
            memset(r, 0, sizeof *r);
            r->lane = l->name;
            r->campaign = c;
            r->from = campaign_from(c, &configs[nreq]);
            r->provider = lane_provider(e, l->name, c->channel);
            r->node = e->deps.cfg->node_id;
            r->lease_until = now + e->deps.cfg->lease_ms;
            r->want = want[i];
            if (e->st->ops->shared) { /* the store cuts want to the shared budget */
                r->pace.rate = l->pacer.rate;
                r->pace.burst = l->pacer.burst;
                r->pace.max_concurrent = l->pacer.max_concurrent;
            }
            nreq++;
            total_want += want[i];
        }
        free(due);
        free(want);
        l->rr = l->nwork ? (l->rr + 1) % l->nwork : 0;
    }
    if (nreq > 0) {
        struct attempt *attempts = xcalloc(total_want, sizeof *attempts);
        size_t got = 0;
        int rc = noted(e, claim_in_order(e, reqs, nreq, &now, attempts, &got), 1);
        e->claimed_last = rc == 0;
        if (rc == 0) {
            /* the claim answers each request's attempts in turn */
            for (size_t i = 0, k = 0; i < nreq; i++)
                for (size_t j = 0; j < reqs[i].got && k < got; j++, k++)
                    STR_COPY(attempts[k].provider, reqs[i].provider);
            for (size_t i = 0; i < nreq; i++) {
                struct lane *l = lane_find(e, reqs[i].lane);
                if (e->st->ops->shared)
                    lane_synced(l, &reqs[i].pace, now);
                else
                    pacer_started(&l->pacer, (double)now, reqs[i].got);
                if (reqs[i].stale) { /* paused or ended by another writer: reload */
                    uv_mutex_lock(&e->mu);
                    e->events |= ENGINE_CAMPAIGNS;
                    uv_mutex_unlock(&e->mu);
                }
                if (reqs[i].scanned < reqs[i].want) {
                    int64_t due = NO_WORK;
                    /* drained what is due: learn when the next one is */
                    for (size_t k = 0; k < l->nwork; k++) {
                        struct lane_work *w = &l->work[k];
                        if (&e->campaigns[w->campaign] != reqs[i].campaign)
                            continue;
                        int drc = noted(
                            e,
                            e->st->ops->lane_next_due(e->st, l->name, reqs[i].campaign->seq, &due),
                            0);
                        /* nothing queued: no work; a failed read: look again */
                        w->next_due = drc == 0 ? due : drc == STORE_ENOTFOUND ? NO_WORK : now;
                    }
                }
            }
            send_attempts(e, attempts, got, 0);
        }
        for (size_t i = 0; i < got; i++)
            free(attempts[i].text);
        free(attempts);
    }
    for (size_t i = 0; i < nreq; i++)
        json_decref(configs[i]);
    free(configs);
    free(reqs);
}

/* ---- the loop ---- */

static void on_timer(uv_timer_t *t);

/* When the next pass may run to gather work that can wait a little:
 * every pass writes a few transactions whatever it carries, so reports
 * and claims wait up to --engine-gather-ms (0: not at all) after the last
 * pass began and go in one (arm; docs/benchmarks.md). Wake-ups from the
 * API do not wait. */
static int64_t gather_at(const struct engine *e, int64_t now) {
    int64_t wait = e->deps.cfg->engine_gather_ms, at = e->last_pass_ms + wait;
    return at > now + wait ? now + wait : at; /* the clock went back: wait no longer */
}

/* Sleeps until the next thing can happen; `retry`: a store call of this
 * pass failed and must be tried again. In backoff, never before retry_at. */
static void arm(struct engine *e, int retry) {
    int64_t now = clock_now_ms();
    int64_t next = NO_WORK;
    int64_t gather = gather_at(e, now);
    if (retry || !e->reconciled)
        next = now;
    else if (e->nends || e->nmarks || e->nunclaims)
        next = gather > now ? gather : now;
    int64_t hook = webhooks_next_due(e->webhooks);
    if (hook && hook < next)
        next = hook;
    if (e->next_end && e->next_end < next)
        next = e->next_end;
    for (size_t li = 0; li < e->nlanes; li++) {
        struct lane *l = &e->lanes[li];
        int64_t due = NO_WORK;
        for (size_t i = 0; i < l->nwork; i++) {
            struct due_rules rules = campaign_due_rules(&e->campaigns[l->work[i].campaign]);
            if (due_ended(&rules, now))
                continue; /* ended: its queued ones expire, nothing to wake for */
            int64_t at = due_earliest(&rules, l->work[i].next_due, NULL, now);
            if (at < due)
                due = at;
        }
        if (due == NO_WORK)
            continue;
        int full = l->pacer.in_flight >= l->pacer.max_concurrent;
        if (full && !e->st->ops->shared)
            continue; /* an end will wake us */
        /* the first whole ms at or after the slot: waking late loses
         * throughput a small burst cannot make up */
        int64_t slot = (int64_t)ceil(pacer_next_slot(&l->pacer, (double)now));
        if (full && l->recheck_at > slot)
            slot = l->recheck_at; /* other nodes' ends wake no one here */
        int64_t at = due > slot ? due : slot;
        /* gathered with the pass's other work, but by no more than half
         * of what the burst lets the lane make up: waking that late still
         * keeps the rate, with the other half left for a late wake-up */
        int64_t spare = (int64_t)((l->pacer.burst - 1) * 1000.0 / l->pacer.rate / 2);
        int64_t late = gather < at + spare ? gather : at + spare;
        if (late > at)
            at = late;
        if (at < next)
            next = at;
    }
    if (next == NO_WORK) {
        uv_timer_stop(&e->timer);
        return;
    }
    if (e->backoff.delay_ms && next < e->backoff.retry_at)
        next = e->backoff.retry_at;
    uv_update_time(&e->loop); /* the timer counts from the loop's clock */
    uv_timer_start(&e->timer, on_timer, next > now ? (uint64_t)(next - now) : 0, 0);
}

/* Takes over attempts in flight under leases (store in_flight): at start
 * this node's own and every one whose lease ran out; later (the lease tick)
 * the ones whose lease ran out since (a node that died; with SQLite, this
 * process's previous run, whose id was another). At start every attempt in
 * flight holds its lane's slot, taken or not (with SQLite the ones still
 * leased are the previous run's, whose reports come here); later takeovers
 * were counted then. Of those taken: one never handed over (pending) is
 * handed over now; one being handed over when its node stopped is asked
 * about: the provider holds it (its fate is accepted), certainly never got
 * it (handed over now), or cannot tell (it waits for its report, never sent
 * twice); accepted ones wait for their reports. */
/* Tells each provider of the attempts taken over (awaits[i] set) that now
 * wait here for their reports (provider adopt), one provider at a time. */
static void adopt_awaiting(struct engine *e, const struct attempt *list, size_t n, char *awaits) {
    const char **ids = xcalloc(n + 1, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        if (!awaits[i])
            continue;
        size_t k = 0;
        for (size_t j = i; j < n; j++)
            if (awaits[j] && strcmp(list[j].provider, list[i].provider) == 0) {
                ids[k++] = list[j].call_id;
                awaits[j] = 0;
            }
        struct provider *p = provider_set_find(e->providers, list[i].provider);
        if (p && p->ops->adopt)
            p->ops->adopt(p, ids, k);
    }
    free(ids);
}

static void reconcile(struct engine *e, int at_start) {
    struct attempt *list;
    size_t n;
    int64_t now = clock_now_ms();
    int rc = e->st->ops->in_flight(e->st, e->deps.cfg->node_id, now, now + e->deps.cfg->lease_ms,
                                   at_start, &list, &n);
    if (noted(e, rc, 1) != 0)
        return; /* the next pass (or lease tick) tries again */
    if (at_start)
        e->reconciled = 1;
    size_t ntaken = 0;
    for (size_t i = 0; i < n; i++) {
        if (at_start)
            pacer_started(&lane_get(e, list[i].lane, list[i].channel)->pacer, 0, 1);
        if (list[i].taken)
            list[ntaken++] = list[i];
        else
            free(list[i].text);
    }
    size_t leased = n - ntaken; /* left to another node id's live lease */
    n = ntaken;
    struct attempt *again = xcalloc(n + 1, sizeof *again);
    size_t nagain = 0, held_count = 0, unknown = 0, waiting = 0;
    const char **ids = xcalloc(n + 1, sizeof *ids);
    int *held = xcalloc(n + 1, sizeof *held);
    char(*pids)[64] = xcalloc(n + 1, sizeof *pids);
    char *done = xcalloc(n + 1, 1);
    char *awaits = xcalloc(n + 1, 1); /* taken from another node, awaiting reports */
    for (size_t i = 0; i < n; i++) {
        if (list[i].submit_state == SUBMIT_PENDING) {
            again[nagain] = list[i];
            list[i].text = NULL;
            nagain++;
            done[i] = 1;
        } else if (list[i].submit_state != SUBMIT_SUBMITTING) {
            waiting++;
            done[i] = 1;
            awaits[i] = !at_start;
        }
    }
    /* the ones being handed over: ask their providers, one provider at a time */
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        size_t k = 0;
        size_t *idx = xcalloc(n, sizeof *idx);
        for (size_t j = i; j < n; j++)
            if (!done[j] && strcmp(list[j].provider, list[i].provider) == 0) {
                idx[k] = j;
                ids[k++] = list[j].call_id;
                done[j] = 1;
            }
        struct provider *p = provider_set_find(e->providers, list[i].provider);
        int asked = p && p->ops->lookup && p->ops->lookup(p, ids, k, held, pids) == 0;
        for (size_t q = 0; q < k; q++) {
            struct attempt *a = &list[idx[q]];
            if (!asked || held[q] < 0) {
                unknown++;
            } else if (held[q] == 0) {
                again[nagain] = *a;
                a->text = NULL;
                nagain++;
            } else {
                struct provider_event ev = {.kind = PROVIDER_EVENT_FATE, .fate = PROVIDER_ACCEPTED};
                STR_COPY(ev.end.call_id, a->call_id);
                ev.end.channel = a->channel;
                STR_COPY(ev.end.provider_call_id, pids[q]);
                on_provider_event(e, p, &ev);
                held_count++;
                awaits[idx[q]] = !at_start;
            }
        }
        free(idx);
    }
    /* the ones still leased to another id wait for their reports, or for
     * their lease to run out (then a later tick takes them over) */
    if (n + leased)
        log_info("engine: %zu attempts in flight %s: %zu handed over now (never "
                 "received), %zu held by their provider, %zu awaiting reports, %zu of unknown "
                 "fate (never sent again); %zu of those awaiting are leased to another node id",
                 n + leased, at_start ? "at start" : "taken over", nagain, held_count,
                 waiting + leased, unknown, leased);
    /* at start, providers loaded what they owe when they opened */
    adopt_awaiting(e, list, n, awaits);
    free(awaits);
    for (size_t off = 0; off < nagain; off += CLAIM_BATCH_MAX) {
        size_t k = nagain - off < CLAIM_BATCH_MAX ? nagain - off : CLAIM_BATCH_MAX;
        send_attempts(e, again + off, k, 1);
    }
    for (size_t i = 0; i < nagain; i++)
        free(again[i].text);
    for (size_t i = 0; i < n; i++)
        free(list[i].text);
    free(again);
    free(ids);
    free(held);
    free(pids);
    free(done);
    free(list);
}

static void close_handle(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Stores what it can (one try each: the process is stopping; what is not
 * stored is found again at the next start), closes every handle: the loop
 * then ends. */
static void shut_down(struct engine *e) {
    e->closed = 1;
    /* providers first: closing delivers the fates they already know */
    provider_set_free(e->providers);
    e->providers = NULL;
    apply_reports(e); /* unacked: the reports come again after the restart */
    flush_unclaims(e);
    webhooks_close(e->webhooks);
    cluster_close(e->cluster);
    e->cluster = NULL;
    uv_walk(&e->loop, close_handle, NULL);
}

static void pass(struct engine *e) {
    if (e->closed)
        return;
    int64_t now = clock_now_ms();
    e->last_pass_ms = now;
    engine_stats_pass(e->deps.stats);
    int waiting = backoff_waiting(&e->backoff, now);
    int events = 0;
    uv_mutex_lock(&e->mu);
    int stopping = e->stopping;
    if (!stopping && !waiting) {
        events = e->events;
        e->events = 0;
    }
    uv_mutex_unlock(&e->mu);
    if (stopping) {
        shut_down(e);
        return;
    }
    if (waiting) {
        /* wake-ups and reports wait for the end of the delay; then the
         * pass tries again whatever failed */
        uv_update_time(&e->loop);
        uv_timer_start(&e->timer, on_timer, (uint64_t)(e->backoff.retry_at - now), 0);
        return;
    }
    int again = 0; /* reloads to try again */
    flush_unclaims(e);
    if ((events & ENGINE_CARRIERS) && reload_carriers(e) != 0)
        again |= ENGINE_CARRIERS;
    if ((events & ENGINE_PROVIDERS) && reload_providers(e) != 0)
        again |= ENGINE_PROVIDERS;
    if ((events & ENGINE_INBOX) && read_inbox(e) != 0)
        again |= ENGINE_INBOX;
    int had_ends = e->nends > 0; /* applying them writes events */
    apply_reports(e);
    now = clock_now_ms();
    if (!cluster_sweeper(e->cluster))
        e->next_end = 0; /* another node's sweep */
    else if ((events & ENGINE_CAMPAIGNS) || (e->next_end && e->next_end <= now))
        if (noted(e, e->st->ops->expire_ended(e->st, now, &e->next_end), 1) != 0)
            e->next_end = now + 1000; /* try again shortly */
    if ((events & ENGINE_CAMPAIGNS) && reload_campaigns(e) != 0)
        again |= ENGINE_CAMPAIGNS;
    if (!e->reconciled)
        reconcile(e, 1);
    /* with the store failing, claiming or delivering would only fail too
     * (or deliver events whose result cannot be stored) */
    if (!e->pass_failed)
        claim_and_send(e);
    if (!e->pass_failed) {
        if (had_ends || events || e->claimed_last)
            webhooks_kick(e->webhooks); /* changes may have written events */
        webhooks_poll(e->webhooks);
    }
    if (again) {
        uv_mutex_lock(&e->mu);
        e->events |= again;
        uv_mutex_unlock(&e->mu);
    }
    int failed = e->pass_failed != 0;
    settle_backoff(e);
    arm(e, failed);
}

static void on_timer(uv_timer_t *t) {
    pass(t->data);
}

/* A wake-up from the API, or engine_stop(): pass() looks at both. */
static void on_async(uv_async_t *a) {
    pass(a->data);
}

/* Attempts whose submit's fate stayed unknown past
 * CAMPAIGND_UNKNOWN_SUBMIT_SECONDS fail as unknown (the store's guarded
 * sweep); their in-flight slots free. */
static void fail_unknown_submits(struct engine *e) {
    int64_t now = clock_now_ms();
    int64_t cutoff = now - (int64_t)e->deps.cfg->unknown_submit_seconds * 1000;
    for (;;) {
        struct attempt_applied *done = NULL;
        size_t n = 0;
        if (noted(e, e->st->ops->fail_unknown_submits(e->st, cutoff, now, &done, &n), 1) != 0)
            return;
        for (size_t i = 0; i < n; i++) {
            struct lane *l = lane_find(e, done[i].lane);
            if (l)
                pacer_ended(&l->pacer);
        }
        free(done);
        if (n == 0)
            return;
        log_warn("engine: %zu attempts of unknown submit fate got no report in %ld s: failed "
                 "as unknown",
                 n, e->deps.cfg->unknown_submit_seconds);
    }
}

/* Every lease_ms / 3: this node's heartbeat (which holds all its leases),
 * take over a dead node's attempts, give up on unknown submits, and reload
 * the campaigns (other writers may have queued work). A store no other
 * process shares (SQLite, held with a lock) needs no heartbeat: no one else
 * could take over, and this node takes its own rows back when it starts. */
static void on_lease_timer(uv_timer_t *t) {
    struct engine *e = t->data;
    if (e->closed || !e->reconciled || backoff_waiting(&e->backoff, clock_now_ms()))
        return; /* the next tick; a failing store is the backoff's to retry */
    int64_t until = clock_now_ms() + e->deps.cfg->lease_ms;
    int renewed = e->st->ops->shared ? e->st->ops->renew_leases(e->st, e->deps.cfg->node_id, until)
                                     : STORE_OK;
    if (noted(e, renewed, 1) == 0) {
        reconcile(e, 0);
        if (cluster_sweeper(e->cluster))
            fail_unknown_submits(e);
    }
    uv_mutex_lock(&e->mu);
    e->events |= ENGINE_CAMPAIGNS;
    uv_mutex_unlock(&e->mu);
    pass(e);
}

/* Changes another node notified (or "everything" after the listener
 * reconnected, or on becoming the sweeper): the next pass reloads them. */
static void on_cluster_events(void *ctx, int events) {
    struct engine *e = ctx;
    uv_mutex_lock(&e->mu);
    e->events |= events;
    uv_mutex_unlock(&e->mu);
    uv_timer_start(&e->timer, on_timer, 0, 0);
}

static void run(void *arg) {
    struct engine *e = arg;
    uint64_t every = (uint64_t)e->deps.cfg->lease_ms / 3;
    uv_timer_start(&e->lease_timer, on_lease_timer, every, every);
    e->cluster =
        cluster_new(&e->loop, e->st, e->deps.cfg->node_id, ENGINE_ALL, on_cluster_events, e);
    pass(e); /* reloads everything (engine_start set the events), reconciles */
    uv_run(&e->loop, UV_RUN_DEFAULT);
}

static void on_webhook_change(void *ctx) {
    struct engine *e = ctx;
    uv_timer_start(&e->timer, on_timer, 0, 0);
}

int engine_start(const struct engine_deps *deps, struct engine **out) {
    struct engine *e = xcalloc(1, sizeof *e);
    e->deps = *deps;
    e->st = deps->store;
    uv_mutex_init(&e->mu);
    uv_loop_init(&e->loop);
    uv_async_init(&e->loop, &e->async, on_async);
    e->async.data = e;
    uv_timer_init(&e->loop, &e->timer);
    e->timer.data = e;
    uv_timer_init(&e->loop, &e->lease_timer);
    e->lease_timer.data = e;
    struct provider_env env = {.loop = &e->loop,
                               .store = e->st,
                               .on_event = on_provider_event,
                               .ctx = e,
                               .public_url = deps->cfg->public_url,
                               .allow_private = deps->cfg->provider_allow_private != 0};
    e->providers = provider_set_new(&env);
    e->webhooks = webhooks_new(&e->loop, &e->deps, on_webhook_change, e);
    e->events = ENGINE_ALL;
    if (uv_thread_create(&e->thread, run, e) != 0) {
        log_error("engine: cannot start its thread");
        return ERROR_IO;
    }
    *out = e;
    return 0;
}

int engine_report(struct engine *e, struct store *st, const char *provider,
                  const struct attempt_end *ends, size_t n) {
    int rc = st->ops->inbox_put(st, provider, ends, n, clock_now_ms());
    if (rc == 0)
        engine_wake(e, ENGINE_INBOX);
    return rc;
}

void engine_wake(struct engine *e, int events) {
    if (!e)
        return;
    uv_mutex_lock(&e->mu);
    e->events |= events;
    uv_mutex_unlock(&e->mu);
    uv_async_send(&e->async);
    cluster_notify(e->st, e->deps.cfg->node_id, events); /* the other nodes */
}

void engine_stop(struct engine *e) {
    if (!e)
        return;
    uv_mutex_lock(&e->mu);
    e->stopping = 1;
    uv_mutex_unlock(&e->mu);
    uv_async_send(&e->async);
    uv_thread_join(&e->thread);
    uv_loop_close(&e->loop);
    for (size_t i = 0; i < e->ncampaigns; i++)
        engine_campaign_clear(&e->campaigns[i]);
    free(e->campaigns);
    for (size_t i = 0; i < e->nlanes; i++)
        free(e->lanes[i].work);
    free(e->lanes);
    carriers_free(e->carriers, e->ncarriers);
    free(e->ends);
    free(e->end_from);
    free(e->end_inbox);
    marks_truncate(e, 0);
    free(e->marks);
    free(e->unclaims);
    uv_mutex_destroy(&e->mu);
    free(e);
}
