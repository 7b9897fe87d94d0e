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
 * State lives in the main store under the provider's name (sim_batches:
 * a row per accepted batch holding the reports owed on it, written before
 * the batch's fates are answered; sim_ledger.c keeps which attempts it
 * holds and counts the acks): an attempt with a report owed is one it
 * holds, so a second submit of it starts nothing. Every accepted attempt
 * owes at least one report (a message that stays sent owes a repeat of
 * sent), and the engine stores an attempt's fate before it acks its
 * reports, so lookup() never takes an accepted attempt for a new one. A
 * batch whose reports were all acked is deleted with the next batch's
 * write (or FORGET_MS later when none comes, and at close): a crash before
 * that only sends its reports again, which the engine ignores. A restart
 * loses nothing: owed reports are loaded back and sent when due, again if
 * they had been sent but not acked. Attempts of a dead node that this node
 * takes over get theirs the same way (adopt). lookup() answers for certain
 * whether an attempt arrived.
 * Due reports wait in a min-heap under one libuv timer; fates wait in a
 * list under another, fired at once. Thread: the engine's. */
#include "providers/provider.h"
#include "providers/sim_ledger.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strcopy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* How long acked batches wait for the sim's next write before they are
 * deleted on their own. */
#define FORGET_MS 200

struct pending {
    int64_t due;
    struct attempt_end o;
};

struct sim {
    struct provider base;
    struct store *st;
    uv_timer_t timer;        /* the next owed report */
    uv_timer_t fate_timer;   /* answers to submits, delivered after submit returns */
    uv_timer_t forget_timer; /* deletes acked batches when no write took them */
    struct sim_ledger *ledger;
    long call_ms, report_ms;
    struct pending *heap;
    size_t n, cap;
    struct provider_event *fates;
    size_t nfates, capfates;
    /* submit's work arrays, kept across batches (grown, never shrunk):
     * a fresh ~2 MB of them per 2,000-attempt batch was mapped and
     * faulted in every time (docs/benchmarks.md) */
    struct pending *owed;
    struct attempt_end *reports;
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

/* Writes the batch of reports[0..n) (none: NULL) with the deletion of
 * the batches whose reports were all acked, in one transaction; *seq gets
 * the new batch's key. */
static int put(struct sim *s, const struct attempt_end *reports, size_t n, int64_t *seq) {
    size_t nforget;
    const int64_t *forget = sim_ledger_forget(s->ledger, &nforget);
    if (n == 0 && nforget == 0)
        return 0;
    char *text = n ? sim_ledger_encode(reports, n) : NULL;
    int rc = s->st->ops->sim_put(s->st, s->base.name, text, forget, nforget, seq);
    free(text);
    if (rc == 0) {
        sim_ledger_forgotten(s->ledger, nforget);
        uv_timer_stop(&s->forget_timer);
    }
    return rc;
}

static void on_forget_timer(uv_timer_t *t) {
    struct sim *s = t->data;
    int64_t unused;
    if (put(s, NULL, 0, &unused) != 0) /* the store is busy: next time */
        uv_timer_start(&s->forget_timer, on_forget_timer, FORGET_MS, 0);
}

static int sim_submit(struct provider *p, struct attempt *a, size_t n) {
    struct sim *s = (struct sim *)p;
    if (s->capsubmit < n + 1) {
        s->capsubmit = n + 1;
        s->owed = xrealloc(s->owed, 3 * s->capsubmit * sizeof *s->owed);
        s->reports = xrealloc(s->reports, 3 * s->capsubmit * sizeof *s->reports);
    }
    struct pending *owed = s->owed;
    struct attempt_end *reports = s->reports;
    size_t nowed = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i].channel != CHANNEL_VOICE && last_digit(&a[i]) == 8)
            continue; /* the submit is refused: nothing to keep */
        if (sim_ledger_holds(s->ledger, a[i].call_id))
            continue; /* a second submit: its reports are owed already */
        nowed += plan(s, &a[i], owed + nowed);
    }
    for (size_t k = 0; k < nowed; k++)
        reports[k] = owed[k].o;
    int64_t seq = 0;
    int rc = put(s, reports, nowed, &seq);
    if (rc != 0)
        return rc; /* the store refused (full, busy): the caller keeps the batch */
    /* the reports are owed from now on, each due at its time */
    size_t taken = nowed ? sim_ledger_owe(s->ledger, seq, reports, nowed) : 0;
    for (size_t k = 0; k < taken; k++) {
        struct pending pe = {.due = reports[k].ended_at, .o = reports[k]};
        heap_push(s, &pe);
    }
    for (size_t i = 0; i < n; i++)
        queue_fate(s, &a[i],
                   a[i].channel != CHANNEL_VOICE && last_digit(&a[i]) == 8 ? PROVIDER_REJECTED
                                                                           : PROVIDER_ACCEPTED);
    uv_timer_start(&s->fate_timer, on_fates, 0, 0);
    arm(s);
    free_batch(a, n);
    return 0;
}

/* Every report the store holds for this sim (all nodes'), or a store
 * error. */
static int stored_reports(struct sim *s, struct attempt_end **out, size_t *n, int64_t **batch_of) {
    struct sim_batch *batches = NULL;
    size_t nbatches = 0;
    *out = NULL;
    *n = 0;
    *batch_of = NULL;
    int rc = s->st->ops->sim_batches(s->st, s->base.name, &batches, &nbatches);
    if (rc != 0)
        return rc;
    size_t cap = 0;
    for (size_t b = 0; b < nbatches; b++) {
        size_t k = 0;
        struct attempt_end *r = sim_ledger_parse(batches[b].reports, &k);
        if (*n + k > cap) {
            cap = 2 * (*n + k);
            *out = xrealloc(*out, (cap + 1) * sizeof **out);
            *batch_of = xrealloc(*batch_of, (cap + 1) * sizeof **batch_of);
        }
        for (size_t i = 0; i < k; i++) {
            (*out)[*n + i] = r[i];
            (*batch_of)[*n + i] = batches[b].seq;
        }
        *n += k;
        free(r);
        free(batches[b].reports);
    }
    free(batches);
    return 0;
}

/* Takes the stored reports[i] that wanted[i] marks (all when NULL) as owed
 * by this sim, batch by batch; returns how many were new to it. */
static size_t take_owed(struct sim *s, struct attempt_end *reports, const int64_t *batch_of,
                        size_t n, const char *wanted) {
    size_t taken = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, m = 0;
        struct attempt_end *run = reports + i;
        for (; j < n && batch_of[j] == batch_of[i]; j++)
            if (!wanted || wanted[j])
                run[m++] = reports[j];
        size_t k = sim_ledger_owe(s->ledger, batch_of[i], run, m);
        for (size_t r = 0; r < k; r++) {
            struct pending pe = {.due = run[r].ended_at, .o = run[r]};
            heap_push(s, &pe);
        }
        taken += k;
        i = j;
    }
    return taken;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int sim_lookup(struct provider *p, const char *const *ids, size_t n, int *held,
                      char (*provider_ids)[64]) {
    struct sim *s = (struct sim *)p;
    struct attempt_end *stored;
    int64_t *batch_of;
    size_t nstored;
    int rc = stored_reports(s, &stored, &nstored, &batch_of);
    if (rc != 0)
        return rc;
    const char **sorted = xcalloc(nstored + 1, sizeof *sorted);
    for (size_t i = 0; i < nstored; i++)
        sorted[i] = stored[i].call_id;
    qsort(sorted, nstored, sizeof *sorted, cmp_str);
    for (size_t i = 0; i < n; i++) {
        /* held: a report owed on it, here or in a batch another node wrote */
        held[i] = sim_ledger_holds(s->ledger, ids[i]) ||
                  bsearch(&ids[i], sorted, nstored, sizeof *sorted, cmp_str) != NULL;
        provider_ids[i][0] = '\0';
        if (held[i])
            sim_id(ids[i], provider_ids[i], sizeof provider_ids[i]);
    }
    free(sorted);
    free(stored);
    free(batch_of);
    return 0;
}

static void sim_ack(struct provider *p, const struct attempt_end *ends, size_t n) {
    struct sim *s = (struct sim *)p;
    for (size_t i = 0; i < n; i++)
        sim_ledger_acked(s->ledger, &ends[i]);
    size_t nforget;
    sim_ledger_forget(s->ledger, &nforget);
    /* deleted with the next batch's write, or soon on their own */
    if (nforget && !uv_is_active((uv_handle_t *)&s->forget_timer))
        uv_timer_start(&s->forget_timer, on_forget_timer, FORGET_MS, 0);
}

/* Another node's attempts, taken over: their owed reports (in the store)
 * are sent from here on. */
static void sim_adopt(struct provider *p, const char *const *ids, size_t n) {
    struct sim *s = (struct sim *)p;
    struct attempt_end *stored;
    int64_t *batch_of;
    size_t nstored;
    int rc = stored_reports(s, &stored, &nstored, &batch_of);
    if (rc != 0) {
        log_warn("sim %s: cannot read the reports owed for %zu attempts taken over (%s); they "
                 "wait for this node's next start",
                 s->base.name, n, error_str(rc));
        return;
    }
    const char **sorted = xcalloc(n + 1, sizeof *sorted);
    memcpy(sorted, ids, n * sizeof *ids);
    qsort(sorted, n, sizeof *sorted, cmp_str);
    char *wanted = xcalloc(nstored + 1, 1);
    for (size_t i = 0; i < nstored; i++) {
        const char *id = stored[i].call_id;
        /* another attempt (this node's own, or a live node's) is not taken */
        wanted[i] = bsearch(&id, sorted, n, sizeof *sorted, cmp_str) != NULL;
    }
    size_t adopted = take_owed(s, stored, batch_of, nstored, wanted);
    free(wanted);
    free(sorted);
    free(stored);
    free(batch_of);
    if (adopted)
        log_info("sim %s: %zu reports owed for attempts taken over from another node", s->base.name,
                 adopted);
    arm(s);
}

static void on_closed(uv_handle_t *h) {
    struct sim *s = h->data;
    if (--s->closing > 0)
        return;
    sim_ledger_free(s->ledger);
    free(s->heap);
    free(s->fates);
    free(s->owed);
    free(s->reports);
    free(s);
}

static void sim_close(struct provider *p) {
    struct sim *s = (struct sim *)p;
    on_fates(&s->fate_timer); /* fates already decided reach the engine */
    int64_t unused;
    put(s, NULL, 0, &unused); /* acked batches go now (else: sent again at the next start) */
    uv_timer_stop(&s->timer);
    uv_timer_stop(&s->fate_timer);
    uv_timer_stop(&s->forget_timer);
    s->closing = 3;
    uv_close((uv_handle_t *)&s->timer, on_closed);
    uv_close((uv_handle_t *)&s->fate_timer, on_closed);
    uv_close((uv_handle_t *)&s->forget_timer, on_closed);
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
    struct sim *s = xcalloc(1, sizeof *s);
    provider_base_init(&s->base, &sim_ops, def, env);
    s->st = env->store;
    s->ledger = sim_ledger_new();
    struct attempt_end *stored;
    int64_t *batch_of;
    size_t nstored;
    int rc = stored_reports(s, &stored, &nstored, &batch_of);
    if (rc != 0) {
        log_error("sim %s: cannot read the reports it owes (%s)", def->name, error_str(rc));
        sim_ledger_free(s->ledger);
        free(s);
        return rc;
    }
    s->call_ms = setting(def, "call_ms", 300);
    s->report_ms = setting(def, "report_ms", 100);
    uv_timer_init(env->loop, &s->timer);
    s->timer.data = s;
    uv_timer_init(env->loop, &s->fate_timer);
    s->fate_timer.data = s;
    uv_timer_init(env->loop, &s->forget_timer);
    s->forget_timer.data = s;
    size_t nowed = take_owed(s, stored, batch_of, nstored, NULL);
    free(stored);
    free(batch_of);
    if (nowed)
        log_info("sim %s: %zu reports owed from before the restart", def->name, nowed);
    arm(s);
    *out = &s->base;
    return 0;
}
