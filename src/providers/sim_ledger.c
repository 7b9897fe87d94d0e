/* sim_ledger.c - see sim_ledger.h. The attempts held are an open-addressing
 * table keyed by call id (FNV-1a, linear probing, tombstones; at most half
 * full counting them), each with the batch its reports are stored in and
 * which of its at most three reports are still owed. The batches are an
 * array sorted by seq with the count of their reports still owed. */
#include "providers/sim_ledger.h"
#include "util/alloc.h"
#include "util/strcopy.h"

#include <stdlib.h>
#include <string.h>

#define KINDS_MAX 3 /* reports a sim attempt owes at most (a whatsapp message) */

enum slot_state { SLOT_EMPTY, SLOT_USED, SLOT_GONE };

struct held {
    char call_id[sizeof(((struct attempt_end *)0)->call_id)];
    int64_t batch;
    uint64_t generation; /* of the sim_ledger_owe call that added it */
    int kinds[KINDS_MAX];
    unsigned nkinds, owed; /* owed: a bit per kind not yet acked */
    enum slot_state state;
};

struct batch_count {
    int64_t seq;
    size_t left;
};

struct sim_ledger {
    struct held *slots;
    size_t cap, used, gone; /* used: live entries; gone: tombstones */
    uint64_t generation;
    struct batch_count *batches;
    size_t nbatches, capbatches;
    int64_t *forget;
    size_t nforget, capforget;
};

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct sim_ledger *sim_ledger_new(void) {
    struct sim_ledger *l = xcalloc(1, sizeof *l);
    l->cap = 256;
    l->slots = xcalloc(l->cap, sizeof *l->slots);
    return l;
}

void sim_ledger_free(struct sim_ledger *l) {
    if (!l)
        return;
    free(l->slots);
    free(l->batches);
    free(l->forget);
    free(l);
}

/* The slot of call_id, or NULL. */
static struct held *find(const struct sim_ledger *l, const char *call_id) {
    for (size_t i = hash(call_id) & (l->cap - 1);; i = (i + 1) & (l->cap - 1)) {
        struct held *h = &l->slots[i];
        if (h->state == SLOT_EMPTY)
            return NULL;
        if (h->state == SLOT_USED && strcmp(h->call_id, call_id) == 0)
            return h;
    }
}

/* Rebuilds the table at a capacity that leaves it at most a quarter full
 * (tombstones dropped). */
static void rehash(struct sim_ledger *l) {
    size_t cap = 256;
    while (cap < 4 * (l->used + 1))
        cap *= 2;
    struct held *old = l->slots;
    size_t oldcap = l->cap;
    l->slots = xcalloc(cap, sizeof *l->slots);
    l->cap = cap;
    l->gone = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].state != SLOT_USED)
            continue;
        size_t j = hash(old[i].call_id) & (cap - 1);
        while (l->slots[j].state != SLOT_EMPTY)
            j = (j + 1) & (cap - 1);
        l->slots[j] = old[i];
    }
    free(old);
}

/* A new slot for call_id (not in the table). */
static struct held *add(struct sim_ledger *l, const char *call_id) {
    if (2 * (l->used + l->gone + 1) > l->cap)
        rehash(l);
    size_t i = hash(call_id) & (l->cap - 1);
    while (l->slots[i].state == SLOT_USED)
        i = (i + 1) & (l->cap - 1);
    struct held *h = &l->slots[i];
    if (h->state == SLOT_GONE)
        l->gone--;
    memset(h, 0, sizeof *h);
    STR_COPY(h->call_id, call_id);
    h->state = SLOT_USED;
    l->used++;
    return h;
}

int sim_ledger_holds(const struct sim_ledger *l, const char *call_id) {
    return find(l, call_id) != NULL;
}

/* The batch's count, or NULL. */
static struct batch_count *batch_find(struct sim_ledger *l, int64_t seq, size_t *at) {
    size_t lo = 0, hi = l->nbatches;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->batches[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return lo < l->nbatches && l->batches[lo].seq == seq ? &l->batches[lo] : NULL;
}

static void batch_add(struct sim_ledger *l, int64_t seq, size_t n) {
    size_t at;
    struct batch_count *b = batch_find(l, seq, &at);
    if (b) {
        b->left += n;
        return;
    }
    if (l->nbatches == l->capbatches) {
        l->capbatches = l->capbatches ? 2 * l->capbatches : 16;
        l->batches = xrealloc(l->batches, l->capbatches * sizeof *l->batches);
    }
    memmove(l->batches + at + 1, l->batches + at, (l->nbatches - at) * sizeof *l->batches);
    l->batches[at] = (struct batch_count){.seq = seq, .left = n};
    l->nbatches++;
}

int sim_report_kind(const struct attempt_end *o) {
    return o->channel == CHANNEL_VOICE ? (int)o->status : 100 + (int)o->mstatus;
}

size_t sim_ledger_owe(struct sim_ledger *l, int64_t seq, struct attempt_end *reports, size_t n) {
    uint64_t generation = ++l->generation;
    size_t taken = 0;
    for (size_t i = 0; i < n; i++) {
        struct held *h = find(l, reports[i].call_id);
        if (!h) {
            h = add(l, reports[i].call_id);
            h->batch = seq;
            h->generation = generation;
        } else if (h->generation != generation || h->batch != seq || h->nkinds == KINDS_MAX)
            continue; /* held already, from another batch or an earlier load */
        h->kinds[h->nkinds] = sim_report_kind(&reports[i]);
        h->owed |= 1u << h->nkinds++;
        reports[taken++] = reports[i];
    }
    if (taken)
        batch_add(l, seq, taken);
    return taken;
}

void sim_ledger_acked(struct sim_ledger *l, const struct attempt_end *report) {
    struct held *h = find(l, report->call_id);
    if (!h)
        return;
    int kind = sim_report_kind(report);
    unsigned k = 0;
    while (k < h->nkinds && !(h->kinds[k] == kind && (h->owed & (1u << k))))
        k++;
    if (k == h->nkinds)
        return; /* not a report it owes (acked already) */
    h->owed &= ~(1u << k);
    size_t at;
    struct batch_count *b = batch_find(l, h->batch, &at);
    if (!h->owed) {
        h->state = SLOT_GONE;
        l->used--;
        l->gone++;
    }
    if (!b || --b->left > 0)
        return;
    if (l->nforget == l->capforget) {
        l->capforget = l->capforget ? 2 * l->capforget : 16;
        l->forget = xrealloc(l->forget, l->capforget * sizeof *l->forget);
    }
    l->forget[l->nforget++] = b->seq;
    memmove(b, b + 1, (l->nbatches - at - 1) * sizeof *b);
    l->nbatches--;
}

const int64_t *sim_ledger_forget(const struct sim_ledger *l, size_t *n) {
    *n = l->nforget;
    return l->forget;
}

void sim_ledger_forgotten(struct sim_ledger *l, size_t n) {
    if (n > l->nforget)
        n = l->nforget;
    if (n == 0)
        return;
    memmove(l->forget, l->forget + n, (l->nforget - n) * sizeof *l->forget);
    l->nforget -= n;
}

/* ---- a batch's text ---- */

/* Appends v in decimal at p; returns the end. */
static char *put_int(char *p, int64_t v) {
    char digits[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    if (v < 0)
        *p++ = '-';
    while (n > 0)
        *p++ = digits[--n];
    return p;
}

static char *put_word(char *p, const char *s) {
    for (; *s; s++)
        *p++ = *s == ' ' || *s == '\n' ? '_' : *s; /* ids have neither */
    return p;
}

char *sim_ledger_encode(const struct attempt_end *reports, size_t n) {
    const size_t line_max = sizeof reports->call_id + sizeof reports->provider_call_id + 4 * 21 + 8;
    char *text = xmalloc(n * line_max + 1), *p = text;
    for (size_t i = 0; i < n; i++) {
        const struct attempt_end *o = &reports[i];
        p = put_word(p, o->call_id);
        *p++ = ' ';
        p = put_int(p, sim_report_kind(o));
        *p++ = ' ';
        p = put_int(p, (int64_t)o->channel);
        *p++ = ' ';
        p = put_int(p, o->answered_at);
        *p++ = ' ';
        p = put_int(p, o->ended_at);
        *p++ = ' ';
        p = put_word(p, o->provider_call_id);
        *p++ = '\n';
    }
    *p = '\0';
    return text;
}

/* Reads a word into out (size bytes); 0 when none or too long. */
static int get_word(const char **p, char *out, size_t size) {
    size_t n = strcspn(*p, " \n");
    if (n == 0 || n >= size)
        return 0;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p += n;
    return 1;
}

static int get_int(const char **p, int64_t *v) {
    char *end;
    long long x = strtoll(*p, &end, 10);
    if (end == *p)
        return 0;
    *v = x;
    *p = end;
    return 1;
}

static int get_space(const char **p) {
    return **p == ' ' ? (++*p, 1) : 0;
}

/* One line into o; 0 when it does not read as a report. */
static int parse_line(const char *p, struct attempt_end *o) {
    int64_t kind, channel;
    memset(o, 0, sizeof *o);
    if (!get_word(&p, o->call_id, sizeof o->call_id) || !get_space(&p) || !get_int(&p, &kind) ||
        !get_space(&p) || !get_int(&p, &channel) || !get_space(&p) ||
        !get_int(&p, &o->answered_at) || !get_space(&p) || !get_int(&p, &o->ended_at) ||
        !get_space(&p) || !get_word(&p, o->provider_call_id, sizeof o->provider_call_id))
        return 0;
    if (channel < 0 || channel >= CHANNEL_COUNT || kind < 0 ||
        (channel != CHANNEL_VOICE && kind < 100))
        return 0;
    o->channel = (enum channel)channel;
    if (o->channel == CHANNEL_VOICE)
        o->status = (enum call_status)kind;
    else
        o->mstatus = (enum message_status)(kind - 100);
    return 1;
}

struct attempt_end *sim_ledger_parse(const char *text, size_t *n) {
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    struct attempt_end *out = xcalloc(lines, sizeof *out);
    *n = 0;
    for (const char *p = text; *p;) {
        if (parse_line(p, &out[*n]))
            (*n)++;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    return out;
}
