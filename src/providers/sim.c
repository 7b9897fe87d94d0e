/* sim.c - the built-in simulated provider. It behaves as an outside carrier
 * would, through the asynchronous interface of provider.h: it accepts an
 * attempt, keeps it durably, answers its fate a moment later (never from
 * inside submit), and reports what happens to it later, by the number's
 * last digit (the contract's table):
 *
 *   digit  voice                          sms                  whatsapp
 *   0-5    completed                      sent, delivered      sent, delivered, read
 *   6      no_answer                      sent                 sent, delivered
 *   7      busy                           sent                 sent
 *   8      failed                         failed (refused)     failed (refused)
 *   9      no_answer on attempt 1,        sent                 sent, undelivered
 *          completed from attempt 2
 *
 * Voice calls end after the provider's call_ms (busy and failed after a
 * quarter of it). Message reports come report_ms apart.
 *
 * State lives in the main store under the provider's name (sim_reports:
 * the reports still owed, deleted when the engine acks them; an attempt
 * with a report owed is one it holds, so a second submit of it starts
 * nothing), written before the fate is answered. Every accepted attempt
 * owes at least one report (a message that stays sent owes a repeat of
 * sent), and the engine stores an attempt's fate before it acks its
 * reports, so lookup() never takes an accepted attempt for a new one. A restart loses nothing: owed
 * reports are loaded back and sent when due, again if they had been sent
 * but not acked. Attempts of a dead node that this node takes over get
 * theirs the same way (adopt). lookup() answers for certain whether an
 * attempt arrived.
 * Due reports wait in a min-heap under one libuv timer; fates wait in a
 * list under another, fired at once. Thread: the engine's. */
#include "providers/provider.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strcopy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct pending {
    int64_t due;
    struct attempt_end o;
};

struct sim {
    struct provider base;
    struct store *st;
    uv_timer_t timer;      /* the next owed report */
    uv_timer_t fate_timer; /* answers to submits, delivered after submit returns */
    long call_ms, report_ms;
    struct pending *heap;
    size_t n, cap;
    struct provider_event *fates;
    size_t nfates, capfates;
    /* submit's work arrays, kept across batches (grown, never shrunk):
     * a fresh ~2 MB of them per 2,000-attempt batch was mapped and
     * faulted in every time (docs/benchmarks.md) */
    const char **ids;
    struct pending *owed;
    struct attempt_end *reports;
    int *fresh;
    size_t capsubmit;
    int closing;
};

static void heap_push(struct sim *s, const struct pending *p) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->heap = xrealloc(s->heap, s->cap * sizeof *s->heap);
    }
    size_t i = s->n++;
    s->heap[i] = *p;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (s->heap[parent].due <= s->heap[i].due)
            break;
        struct pending t = s->heap[parent];
        s->heap[parent] = s->heap[i];
        s->heap[i] = t;
        i = parent;
    }
}

static void heap_pop(struct sim *s) {
    s->heap[0] = s->heap[--s->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && s->heap[l].due < s->heap[m].due)
            m = l;
        if (r < s->n && s->heap[r].due < s->heap[m].due)
            m = r;
        if (m == i)
            break;
        struct pending t = s->heap[m];
        s->heap[m] = s->heap[i];
        s->heap[i] = t;
        i = m;
    }
}

static int last_digit(const struct attempt *a) {
    size_t n = strlen(a->to);
    return n ? a->to[n - 1] - '0' : 0;
}

/* The sim's id of an attempt: "SIM" and the attempt id's random part,
 * cut to size (at least 4) bytes. */
static void sim_id(const char *call_id, char *out, size_t size) {
    const char *us = strchr(call_id, '_');
    memcpy(out, "SIM", 3);
    str_copy(out + 3, size - 3, us ? us + 1 : call_id);
}

/* The reports owed for an accepted attempt, in order; returns how many. */
static size_t plan(const struct sim *s, const struct attempt *a, struct pending out[3]) {
    int digit = last_digit(a);
    int64_t t0 = a->created_at;
    memset(out, 0, 3 * sizeof *out);
    for (int i = 0; i < 3; i++) {
        STR_COPY(out[i].o.call_id, a->call_id);
        sim_id(a->call_id, out[i].o.provider_call_id, sizeof out[i].o.provider_call_id);
        out[i].o.channel = a->channel;
    }
    if (a->channel == CHANNEL_VOICE) {
        if (digit == 9)
            digit = a->attempt == 1 ? 6 : 0;
        struct attempt_end *o = &out[0].o;
        switch (digit) {
        case 6:
            o->status = CALL_NO_ANSWER;
            o->ended_at = t0 + s->call_ms;
            break;
        case 7:
            o->status = CALL_BUSY;
            o->ended_at = t0 + s->call_ms / 4;
            break;
        case 8:
            o->status = CALL_FAILED;
            o->ended_at = t0 + s->call_ms / 4;
            break;
        default:
            o->status = CALL_COMPLETED;
            o->answered_at = t0 + s->call_ms / 10;
            o->ended_at = t0 + s->call_ms;
            break;
        }
        out[0].due = o->ended_at;
        return 1;
    }
    enum message_status steps[3];
    size_t n = 0;
    if (a->channel == CHANNEL_SMS) {
        if (digit <= 5)
            steps[n++] = MSG_DELIVERED;
    } else if (digit <= 5) {
        steps[n++] = MSG_DELIVERED;
        steps[n++] = MSG_READ;
    } else if (digit == 6) {
        steps[n++] = MSG_DELIVERED;
    } else if (digit == 9) {
        steps[n++] = MSG_UNDELIVERED;
    }
    /* a message that stays sent: one report repeating it, so the sim owes
     * something until the engine has stored the accepted fate (a report
     * is what lookup() knows it holds by); applied, it changes nothing */
    if (n == 0)
        steps[n++] = MSG_SENT;
    for (size_t i = 0; i < n; i++) {
        out[i].o.mstatus = steps[i];
        out[i].o.ended_at = t0 + (int64_t)(i + 1) * s->report_ms;
        out[i].due = out[i].o.ended_at;
    }
    return n;
}

static void arm(struct sim *s);

static void on_timer(uv_timer_t *t) {
    struct sim *s = t->data;
    int64_t now = clock_now_ms();
    while (s->n > 0 && s->heap[0].due <= now) {
        struct provider_event ev = {.kind = PROVIDER_EVENT_REPORT, .end = s->heap[0].o};
        heap_pop(s);
        s->base.on_event(s->base.ctx, &s->base, &ev);
    }
    arm(s);
}

static void arm(struct sim *s) {
    if (s->n == 0) {
        uv_timer_stop(&s->timer);
        return;
    }
    int64_t wait = s->heap[0].due - clock_now_ms();
    uv_timer_start(&s->timer, on_timer, wait > 0 ? (uint64_t)wait : 0, 0);
}

static void on_fates(uv_timer_t *t) {
    struct sim *s = t->data;
    /* a callback may submit again: take the list first */
    struct provider_event *list = s->fates;
    size_t n = s->nfates;
    s->fates = NULL;
    s->nfates = s->capfates = 0;
    for (size_t i = 0; i < n; i++)
        s->base.on_event(s->base.ctx, &s->base, &list[i]);
    free(list);
}

static void queue_fate(struct sim *s, const struct attempt *a, enum provider_fate fate) {
    if (s->nfates == s->capfates) {
        s->capfates = s->capfates ? s->capfates * 2 : 64;
        s->fates = xrealloc(s->fates, s->capfates * sizeof *s->fates);
    }
    struct provider_event *ev = &s->fates[s->nfates++];
    provider_fate_event(a, fate, ev);
    /* the sim's clock starts at the attempt's dial time: its reports come
     * report_ms apart from there (plan), and a message is sent at it, so
     * its status times never go backwards */
    ev->end.ended_at = a->created_at;
    if (fate == PROVIDER_ACCEPTED)
        sim_id(a->call_id, ev->end.provider_call_id, sizeof ev->end.provider_call_id);
    else
        snprintf(ev->error_code, sizeof ev->error_code, "sim_refused");
}

static void free_batch(struct attempt *batch, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(batch[i].text);
    free(batch);
}

static int sim_submit(struct provider *p, struct attempt *a, size_t n) {
    struct sim *s = (struct sim *)p;
    if (s->capsubmit < n + 1) {
        s->capsubmit = n + 1;
        s->ids = xrealloc(s->ids, s->capsubmit * sizeof *s->ids);
        s->owed = xrealloc(s->owed, 3 * s->capsubmit * sizeof *s->owed);
        s->reports = xrealloc(s->reports, 3 * s->capsubmit * sizeof *s->reports);
        s->fresh = xrealloc(s->fresh, s->capsubmit * sizeof *s->fresh);
    }
    const char **ids = s->ids;
    struct pending *owed = s->owed;
    struct attempt_end *reports = s->reports;
    int *fresh = s->fresh;
    size_t nids = 0, nowed = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i].channel != CHANNEL_VOICE && last_digit(&a[i]) == 8)
            continue; /* the submit is refused: nothing to keep */
        ids[nids++] = a[i].call_id;
        nowed += plan(s, &a[i], owed + nowed);
    }
    for (size_t k = 0; k < nowed; k++)
        reports[k] = owed[k].o;
    int rc =
        nids ? s->st->ops->sim_accept(s->st, s->base.name, ids, nids, reports, nowed, fresh) : 0;
    if (rc == 0) {
        /* the reports of attempts new to the sim are owed from now on */
        for (size_t i = 0, k = 0; i < nids; i++)
            for (; k < nowed && strcmp(owed[k].o.call_id, ids[i]) == 0; k++)
                if (fresh[i])
                    heap_push(s, &owed[k]);
        for (size_t i = 0; i < n; i++)
            queue_fate(s, &a[i],
                       a[i].channel != CHANNEL_VOICE && last_digit(&a[i]) == 8 ? PROVIDER_REJECTED
                                                                               : PROVIDER_ACCEPTED);
        uv_timer_start(&s->fate_timer, on_fates, 0, 0);
        arm(s);
    }
    if (rc != 0)
        return rc; /* the store refused (full, busy): the caller keeps the batch */
    free_batch(a, n);
    return 0;
}

static int sim_lookup(struct provider *p, const char *const *ids, size_t n, int *held,
                      char (*provider_ids)[64]) {
    struct sim *s = (struct sim *)p;
    int rc = s->st->ops->sim_held(s->st, s->base.name, ids, n, held);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        provider_ids[i][0] = '\0';
        if (held[i])
            sim_id(ids[i], provider_ids[i], sizeof provider_ids[i]);
    }
    return 0;
}

static void sim_ack(struct provider *p, const struct attempt_end *ends, size_t n) {
    struct sim *s = (struct sim *)p;
    /* a failed ack only means the reports come again: the engine ignores repeats */
    s->st->ops->sim_ack(s->st, s->base.name, ends, n);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Another node's attempts, taken over: their owed reports (in the store)
 * are sent from here on. */
static void sim_adopt(struct provider *p, const char *const *ids, size_t n) {
    struct sim *s = (struct sim *)p;
    struct attempt_end *owed = NULL;
    size_t nowed = 0;
    int rc = s->st->ops->sim_owed(s->st, s->base.name, &owed, &nowed);
    if (rc != 0) {
        log_warn("sim %s: cannot read the reports owed for %zu attempts taken over (%s); they "
                 "wait for this node's next start",
                 s->base.name, n, error_str(rc));
        return;
    }
    const char **sorted = xcalloc(n + 1, sizeof *sorted);
    memcpy(sorted, ids, n * sizeof *ids);
    qsort(sorted, n, sizeof *sorted, cmp_str);
    size_t adopted = 0;
    for (size_t i = 0; i < nowed; i++) {
        const char *id = owed[i].call_id;
        if (!bsearch(&id, sorted, n, sizeof *sorted, cmp_str))
            continue; /* another attempt (this node's own, or a live node's) */
        struct pending pe = {.due = owed[i].ended_at, .o = owed[i]};
        heap_push(s, &pe);
        adopted++;
    }
    free(sorted);
    free(owed);
    if (adopted)
        log_info("sim %s: %zu reports owed for attempts taken over from another node", s->base.name,
                 adopted);
    arm(s);
}

static void on_closed(uv_handle_t *h) {
    struct sim *s = h->data;
    if (--s->closing > 0)
        return;
    free(s->heap);
    free(s->fates);
    free(s->ids);
    free(s->owed);
    free(s->reports);
    free(s->fresh);
    free(s);
}

static void sim_close(struct provider *p) {
    struct sim *s = (struct sim *)p;
    on_fates(&s->fate_timer); /* fates already decided reach the engine */
    uv_timer_stop(&s->timer);
    uv_timer_stop(&s->fate_timer);
    s->closing = 2;
    uv_close((uv_handle_t *)&s->timer, on_closed);
    uv_close((uv_handle_t *)&s->fate_timer, on_closed);
}

static const struct provider_ops sim_ops = {
    .type = "sim",
    .submit = sim_submit,
    .lookup = sim_lookup,
    .ack = sim_ack,
    .adopt = sim_adopt,
    .close = sim_close,
};

static long setting(const struct provider_def *def, const char *name, long dflt) {
    json_t *v = json_object_get(def->settings, name);
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

int provider_sim_open(const struct provider_def *def, const struct provider_env *env,
                      struct provider **out) {
    struct attempt_end *owed = NULL;
    size_t nowed = 0;
    int rc = env->store->ops->sim_owed(env->store, def->name, &owed, &nowed);
    if (rc != 0) {
        log_error("sim %s: cannot read the reports it owes (%s)", def->name, error_str(rc));
        return rc;
    }
    struct sim *s = xcalloc(1, sizeof *s);
    provider_base_init(&s->base, &sim_ops, def, env);
    s->st = env->store;
    s->call_ms = setting(def, "call_ms", 300);
    s->report_ms = setting(def, "report_ms", 100);
    uv_timer_init(env->loop, &s->timer);
    s->timer.data = s;
    uv_timer_init(env->loop, &s->fate_timer);
    s->fate_timer.data = s;
    for (size_t i = 0; i < nowed; i++) {
        struct pending pe = {.due = owed[i].ended_at, .o = owed[i]};
        heap_push(s, &pe);
    }
    free(owed);
    if (nowed)
        log_info("sim %s: %zu reports owed from before the restart", def->name, nowed);
    arm(s);
    *out = &s->base;
    return 0;
}
