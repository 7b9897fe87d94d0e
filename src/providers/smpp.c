/* smpp.c - the smpp provider: SMS straight to an SMSC over SMPP 3.4,
 * contract "Providers, smpp". PDUs are packed and unpacked by Debian's
 * libsmpp34; the sessions are libuv TCP streams on the engine's loop.
 *
 * Sessions: `binds` of them, each connecting, sending bind_transceiver and,
 * once bound, an enquire_link every `enquire_link_seconds` (default 15;
 * a session that hears nothing for three of those is broken). A broken
 * session (connection lost, bind refused) is connected again after a
 * backoff (1 s doubling to `reconnect_max_seconds`, default 30, reset once
 * bound). close() sends unbind to bound sessions. The
 * host is connected to only at an address that is not loopback,
 * link-local or private (webhook_sockaddr_is_private, as HTTP providers
 * judge theirs) unless CAMPAIGND_PROVIDER_ALLOW_PRIVATE; a name resolving
 * to none other is refused, logged, and tried again after the backoff.
 *
 * Submits: submit() turns each attempt into its segments
 * (domain/smpp_segments.c) and queues them; a bound session sends queued
 * segments while it has fewer than `window` submit_sm awaiting their
 * submit_sm_resp (sequence number -> segment). The attempt's fate comes
 * once every segment is answered: all ESME_ROK accepted (the first
 * segment's message_id is provider_message_id); ESME_RTHROTTLED /
 * ESME_RMSGQFUL with nothing accepted throttled (no attempt used); other
 * statuses (generic_nack too) rejected with the status as error_code
 * ("0x0000000b"). A session break: attempts with a segment in its window
 * have an unknown fate (never sent again); queued attempts with nothing
 * sent go back (throttled) when no session can carry them.
 *
 * Receipts: a deliver_sm with esm_class 0x04, read by
 * domain/smpp_receipt.c, finds its message by id (the ids this provider
 * accepted, kept in memory up to ACCEPTED_KEEP messages, else the store)
 * and reports it. A message of one segment: from memory at once (the fast
 * path), else the store's attempt_by_provider_id. A message of several:
 * every segment's id goes with the accepted fate (the engine stores them
 * with the submit mark, one transaction) and each segment's receipt is
 * recorded in the store (segment_receipt) before it is answered, the
 * store saying what the segments add up to (delivered when all are,
 * undelivered when one is not), so kill -9, a restart or the in-memory cap
 * lose no segment's receipt. A receipt
 * whose id is not known yet (it came before its submit_sm_resp) waits
 * among EARLY_KEEP ones until the id is known, unanswered until then (and
 * its report stored), so a crash meanwhile loses it neither: the SMSC
 * sends it again. Other deliver_sm are
 * inbound messages, recorded with their keyword applied (engine/inbound.c).
 * A receipt that reports is answered (deliver_sm_resp) once the engine
 * has stored the report (ack), so a crash before that loses nothing: the
 * SMSC sends it again; other deliver_sm are answered at once.
 * Thread: the engine's loop. */
#include "domain/smpp_receipt.h"
#include "domain/smpp_segments.h"
#include "domain/webhook_url.h"
#include "domain/sms.h"
#include "engine/inbound.h"
#include "providers/provider.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

#include <stdint.h>
/* libsmpp34's headers need <stdint.h> first, and in this order */
#include <smpp34.h>

#include <smpp34_structs.h>

#include <smpp34_params.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define BACKOFF_MIN_MS 1000
#define PDU_MAX 4096
#define ACCEPTED_KEEP 100000
#define EARLY_KEEP 10000
#define BUCKETS 4096
#define UNACKED_KEEP 10000

struct smpp;

/* One attempt on its way: its segments, and what their answers said. */
struct msg {
    struct attempt a; /* text freed once segmented */
    struct smpp_segments segs;
    size_t queued_next; /* the next segment to send */
    size_t answered, accepted, in_window;
    int throttled, broken, fate_sent;
    uint32_t error_status; /* the first refusal */
    char (*ids)[66];       /* message_id of each segment */
    struct msg *qnext;     /* the queue of messages with segments to send */
};

/* A message the SMSC accepted, until its receipts are final. */
struct known {
    char call_id[48];
    char first_id[66];
    size_t nsegs;
    char (*ids)[66]; /* every segment's id */
    int64_t at;
    struct known *older, *newer; /* age list, for the ACCEPTED_KEEP cap */
};

struct id_entry {
    char id[66];
    struct known *k;
    struct id_entry *next;
};

/* A receipt that came before its submit_sm_resp: unanswered until its
 * message is known and its report stored (the deliver_sm it came in, on
 * that connection), so a crash meanwhile loses nothing. */
struct early {
    struct smpp_receipt r;
    struct session *s;
    unsigned epoch;
    uint32_t seq;
    struct early *next;
};

/* A final receipt reported to the engine, its deliver_sm_resp held until
 * the engine has stored the report (ack): a crash in between leaves the
 * receipt unanswered, and the SMSC sends it again. */
struct unacked {
    char call_id[48];
    struct session *s;
    unsigned epoch; /* the session's connection it came on */
    uint32_t seq;
    struct unacked *next;
};

struct slot {
    uint32_t seq; /* 0: free */
    struct msg *m;
    size_t segment;
};

enum session_state { S_IDLE, S_CONNECTING, S_BINDING, S_BOUND, S_UNBINDING, S_CLOSED };

struct session {
    struct smpp *owner;
    int index;
    enum session_state state;
    uv_tcp_t tcp;
    uv_timer_t timer; /* backoff, then enquire_link */
    uv_connect_t connect;
    int tcp_open;
    uint32_t seq;
    unsigned char rbuf[PDU_MAX * 2];
    size_t rlen;
    struct slot *window;
    size_t outstanding;
    int64_t heard_at;
    int64_t backoff_ms;
    unsigned epoch; /* counts connections */
};

struct smpp {
    struct provider base;
    struct store *store;
    uv_loop_t *loop;
    char host[254];
    int port;
    char system_id[16], password[9], system_type[13];
    size_t window;
    int nbinds;
    struct session *sessions;
    struct msg *qhead, *qtail;
    struct id_entry *ids[BUCKETS];
    struct known *oldest, *newest;
    size_t nknown;
    struct early *early;
    size_t nearly;
    struct unacked *unacked;
    size_t nunacked;
    struct session *defer_s; /* the receipt being read: its answer may wait */
    uint32_t defer_seq;
    int deferred;
    uint8_t ref;
    int closing, handles;
    int allow_private;      /* CAMPAIGND_PROVIDER_ALLOW_PRIVATE */
    uint64_t enquire_ms;    /* enquire_link_seconds */
    int64_t backoff_max_ms; /* reconnect_max_seconds */
};

static void session_pump(struct session *s);
static void session_break(struct session *s, const char *why);
static void send_simple(struct session *s, uint32_t command_id, uint32_t seq, uint32_t status);
static void pump_all(struct smpp *p);

/* ---- message ids: hash of id -> known message ---- */

static unsigned id_hash(const char *id) {
    unsigned h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h % BUCKETS;
}

static struct id_entry *id_find(struct smpp *p, const char *id) {
    for (struct id_entry *e = p->ids[id_hash(id)]; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

static void id_remove(struct smpp *p, const char *id) {
    for (struct id_entry **e = &p->ids[id_hash(id)]; *e; e = &(*e)->next)
        if (strcmp((*e)->id, id) == 0) {
            struct id_entry *gone = *e;
            *e = gone->next;
            free(gone);
            return;
        }
}

/* Forgets k and the ids that point at it. */
static void known_forget(struct smpp *p, struct known *k) {
    for (size_t i = 0; i < k->nsegs; i++)
        id_remove(p, k->ids[i]);
    if (k->older)
        k->older->newer = k->newer;
    else
        p->oldest = k->newer;
    if (k->newer)
        k->newer->older = k->older;
    else
        p->newest = k->older;
    p->nknown--;
    free(k->ids);
    free(k);
}

/* ---- events ---- */

static void emit_fate(struct smpp *p, struct msg *m, enum provider_fate fate, const char *id) {
    struct provider_event ev;
    provider_fate_event(&m->a, fate, &ev);
    if (fate == PROVIDER_ACCEPTED)
        snprintf(ev.end.provider_call_id, sizeof ev.end.provider_call_id, "%s", id);
    if (fate == PROVIDER_ACCEPTED && m->segs.n > 1) {
        ev.segment_ids = (const char(*)[66])m->ids; /* stored with the mark */
        ev.nsegments = m->segs.n;
    }
    if (fate == PROVIDER_REJECTED)
        snprintf(ev.error_code, sizeof ev.error_code, "0x%08x", (unsigned)m->error_status);
    m->fate_sent = 1;
    p->base.on_event(p->base.ctx, &p->base, &ev);
}

static void emit_report(struct smpp *p, const char *call_id, const char *provider_id,
                        enum message_status st, const char *err) {
    struct provider_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = PROVIDER_EVENT_REPORT;
    snprintf(ev.end.call_id, sizeof ev.end.call_id, "%s", call_id);
    ev.end.channel = CHANNEL_SMS;
    ev.end.mstatus = st;
    ev.end.ended_at = clock_now_ms();
    snprintf(ev.end.provider_call_id, sizeof ev.end.provider_call_id, "%s", provider_id);
    if (err && err[0] && st == MSG_UNDELIVERED)
        snprintf(ev.end.error_code, sizeof ev.end.error_code, "%s", err);
    if (p->defer_s && p->nunacked < UNACKED_KEEP) {
        struct unacked *u = xcalloc(1, sizeof *u);
        snprintf(u->call_id, sizeof u->call_id, "%s", call_id);
        u->s = p->defer_s;
        u->epoch = p->defer_s->epoch;
        u->seq = p->defer_seq;
        u->next = p->unacked;
        p->unacked = u;
        p->nunacked++;
        p->deferred = 1;
    }
    p->base.on_event(p->base.ctx, &p->base, &ev);
}

static void msg_free(struct msg *m) {
    smpp_segments_free(&m->segs);
    free(m->ids);
    free(m);
}

static void apply_receipt(struct smpp *p, const struct smpp_receipt *r, int *matched);

/* Every segment answered: the fate; accepted messages become known. */
static void msg_settle(struct smpp *p, struct msg *m) {
    if (m->fate_sent || m->answered < m->segs.n)
        return;
    if (m->accepted == m->segs.n) {
        struct known *k = xcalloc(1, sizeof *k);
        snprintf(k->call_id, sizeof k->call_id, "%s", m->a.call_id);
        snprintf(k->first_id, sizeof k->first_id, "%s", m->ids[0]);
        k->nsegs = m->segs.n;
        k->ids = xcalloc(k->nsegs, sizeof *k->ids);
        memcpy(k->ids, m->ids, k->nsegs * sizeof *k->ids);
        k->at = clock_now_ms();
        k->older = p->newest;
        if (p->newest)
            p->newest->newer = k;
        else
            p->oldest = k;
        p->newest = k;
        p->nknown++;
        for (size_t i = 0; i < m->segs.n; i++) {
            if (!m->ids[i][0])
                continue;
            struct id_entry *e = xcalloc(1, sizeof *e);
            snprintf(e->id, sizeof e->id, "%s", m->ids[i]);
            e->k = k;
            unsigned h = id_hash(e->id);
            e->next = p->ids[h];
            p->ids[h] = e;
        }
        if (p->nknown > ACCEPTED_KEEP)
            known_forget(p, p->oldest);
        emit_fate(p, m, PROVIDER_ACCEPTED, m->ids[0]);
        /* receipts that came before their answer: answered as if they came
         * now (once stored), on their connection if it still stands */
        struct session *was_s = p->defer_s;
        uint32_t was_seq = p->defer_seq;
        int was_deferred = p->deferred;
        for (struct early **e = &p->early; *e;) {
            int matched = 0;
            struct early *x = *e;
            int live = x->s && x->s->state == S_BOUND && x->s->epoch == x->epoch;
            p->defer_s = live ? x->s : NULL;
            p->defer_seq = x->seq;
            p->deferred = 0;
            if (id_find(p, x->r.id))
                apply_receipt(p, &x->r, &matched);
            if (matched && live && !p->deferred)
                send_simple(x->s, DELIVER_SM_RESP, x->seq, ESME_ROK);
            if (matched) {
                struct early *gone = *e;
                *e = gone->next;
                free(gone);
                p->nearly--;
            } else {
                e = &(*e)->next;
            }
        }
        p->defer_s = was_s;
        p->defer_seq = was_seq;
        p->deferred = was_deferred;
    } else if (m->broken) {
        emit_fate(p, m, PROVIDER_UNKNOWN, NULL);
    } else if (m->throttled && m->accepted == 0 && m->error_status == 0) {
        emit_fate(p, m, PROVIDER_THROTTLED, NULL);
    } else {
        if (m->error_status == 0)
            m->error_status = ESME_RTHROTTLED; /* throttled after part of it went */
        emit_fate(p, m, PROVIDER_REJECTED, NULL);
    }
    msg_free(m);
}

/* ---- receipts ---- */

/* A receipt for a part of a message sent in several: recorded in the
 * store (the message's id and part count from memory when known there),
 * which says what all its parts add up to. 0 (matched), 1 (no such part
 * stored), -1 (a store error: left unanswered, the SMSC sends it again). */
static int apply_segment_receipt(struct smpp *p, const struct smpp_receipt *r, struct known *k) {
    char call_id[48] = "";
    enum segments_verdict v = SEGMENTS_PENDING;
    int rc = p->store->ops->segment_receipt(
        p->store, p->base.name, r->id, k ? k->call_id : NULL, k ? k->nsegs : 0,
        r->state == SMPP_RECEIPT_DELIVERED ? SEGMENTS_DELIVERED : SEGMENTS_UNDELIVERED, call_id,
        &v);
    if (rc == STORE_ENOTFOUND)
        return 1;
    if (rc != 0) {
        log_warn("smpp %s: the receipt for %s could not be stored; left unanswered", p->base.name,
                 r->id);
        p->deferred = 1;
        return -1;
    }
    if (v != SEGMENTS_PENDING) {
        emit_report(p, call_id, k ? k->first_id : "",
                    v == SEGMENTS_DELIVERED ? MSG_DELIVERED : MSG_UNDELIVERED, r->err);
        if (k)
            known_forget(p, k);
    }
    return 0;
}

static void apply_receipt(struct smpp *p, const struct smpp_receipt *r, int *matched) {
    *matched = 1;
    if (r->state == SMPP_RECEIPT_OTHER)
        return; /* an intermediate state: nothing to move */
    enum message_status st = r->state == SMPP_RECEIPT_DELIVERED ? MSG_DELIVERED : MSG_UNDELIVERED;
    struct id_entry *e = id_find(p, r->id);
    struct known *k = e ? e->k : NULL;
    if (k && k->nsegs == 1) { /* the fast path: nothing to record */
        emit_report(p, k->call_id, k->first_id, st, r->err);
        known_forget(p, k);
        return;
    }
    if (!p->store) {
        *matched = 0;
        return;
    }
    if (apply_segment_receipt(p, r, k) <= 0)
        return;
    /* a message of one part, no longer in memory */
    char call_id[48] = "";
    enum channel ch;
    if (p->store->ops->attempt_by_provider_id(p->store, p->base.name, r->id, call_id, &ch) == 0 &&
        call_id[0])
        emit_report(p, call_id, r->id, st, r->err);
    else
        *matched = 0;
}

static void on_receipt(struct smpp *p, const struct smpp_receipt *r) {
    int matched = 0;
    apply_receipt(p, r, &matched);
    if (matched)
        return;
    if (p->nearly >= EARLY_KEEP) {
        log_warn("smpp %s: receipt for %s matches no message; dropped", p->base.name, r->id);
        return;
    }
    struct early *e = xcalloc(1, sizeof *e);
    e->r = *r;
    if (p->defer_s) { /* its answer waits for the message (see struct early) */
        e->s = p->defer_s;
        e->epoch = p->defer_s->epoch;
        e->seq = p->defer_seq;
        p->deferred = 1;
    }
    e->next = p->early;
    p->early = e;
    p->nearly++;
}

/* ---- writing PDUs ---- */

struct wreq {
    uv_write_t w;
    unsigned char buf[PDU_MAX];
};

static void on_written(uv_write_t *w, int status) {
    (void)status; /* a failed write shows as a read error / EOF */
    free(w->data);
}

/* Packs pdu (a libsmpp34 struct whose header the caller filled) and
 * writes it. 0, or -1 (nothing written). */
static int send_pdu(struct session *s, void *pdu) {
    if (!s->tcp_open)
        return -1;
    struct wreq *r = xmalloc(sizeof *r);
    int len = 0;
    if (smpp34_pack2(r->buf, (int)sizeof r->buf, &len, pdu) != 0) {
        log_error("smpp %s: cannot pack a PDU: %s", s->owner->base.name, smpp34_strerror);
        free(r);
        return -1;
    }
    r->w.data = r;
    uv_buf_t b = uv_buf_init((char *)r->buf, (unsigned)len);
    if (uv_write(&r->w, (uv_stream_t *)&s->tcp, &b, 1, on_written) != 0) {
        free(r);
        return -1;
    }
    return 0;
}

/* The next wait before connecting again: doubled, up to the setting. */
static void backoff_double(struct session *s) {
    int64_t max = s->owner->backoff_max_ms;
    s->backoff_ms = s->backoff_ms * 2 > max ? max : s->backoff_ms * 2;
}

static uint32_t next_seq(struct session *s) {
    s->seq = s->seq >= 0x7fffffff ? 1 : s->seq + 1;
    return s->seq;
}

/* A PDU with nothing but its header (generic_nack, enquire_link(_resp),
 * unbind(_resp)) or deliver_sm_resp (an empty message_id): each packed from
 * its own libsmpp34 struct, as smpp34_pack2 reads it by command_id. */
static void send_simple(struct session *s, uint32_t command_id, uint32_t seq, uint32_t status) {
    union {
        generic_nack_t nack;
        enquire_link_t enquire;
        enquire_link_resp_t enquire_resp;
        unbind_t unbind;
        unbind_resp_t unbind_resp;
        deliver_sm_resp_t deliver_resp;
    } pdu;
    memset(&pdu, 0, sizeof pdu);
    /* the header fields come first in each of them */
    pdu.nack.command_id = command_id;
    pdu.nack.command_status = status;
    pdu.nack.sequence_number = seq;
    (void)send_pdu(s, &pdu);
}

static int send_segment(struct session *s, struct msg *m, size_t k, uint32_t seq) {
    struct smpp *p = s->owner;
    submit_sm_t pdu;
    memset(&pdu, 0, sizeof pdu);
    pdu.command_id = SUBMIT_SM;
    pdu.sequence_number = seq;
    int alpha = m->a.from[0] && m->a.from[0] != '+';
    pdu.source_addr_ton = alpha ? TON_Alphanumeric : TON_International;
    pdu.source_addr_npi = alpha ? NPI_Unknown : NPI_ISDN_E163_E164;
    snprintf((char *)pdu.source_addr, sizeof pdu.source_addr, "%.20s",
             m->a.from[0] == '+' ? m->a.from + 1 : m->a.from);
    pdu.dest_addr_ton = TON_International;
    pdu.dest_addr_npi = NPI_ISDN_E163_E164;
    snprintf((char *)pdu.destination_addr, sizeof pdu.destination_addr, "%.20s",
             m->a.to[0] == '+' ? m->a.to + 1 : m->a.to);
    pdu.esm_class = m->segs.esm_class;
    pdu.registered_delivery = 1;
    pdu.data_coding = m->segs.data_coding;
    pdu.sm_length = (uint8_t)m->segs.seg[k].len;
    memcpy(pdu.short_message, m->segs.seg[k].data, m->segs.seg[k].len);
    (void)p;
    return send_pdu(s, &pdu);
}

/* ---- the queue ---- */

static void queue_push(struct smpp *p, struct msg *m) {
    m->qnext = NULL;
    if (p->qtail)
        p->qtail->qnext = m;
    else
        p->qhead = m;
    p->qtail = m;
}

static int any_bound(struct smpp *p) {
    for (int i = 0; i < p->nbinds; i++)
        if (p->sessions[i].state == S_BOUND)
            return 1;
    return 0;
}

/* Nothing can carry the queue now: messages with nothing sent go back;
 * those partly sent have an unknown fate. */
static void queue_give_back(struct smpp *p) {
    struct msg *m = p->qhead;
    p->qhead = p->qtail = NULL;
    while (m) {
        struct msg *next = m->qnext;
        if (m->queued_next == 0) {
            m->answered = m->segs.n;
            m->throttled = 1;
        } else {
            m->broken = 1;
            m->answered += m->segs.n - m->queued_next;
        }
        m->queued_next = m->segs.n;
        if (m->in_window == 0)
            msg_settle(p, m);
        m = next;
    }
}

static void session_pump(struct session *s) {
    struct smpp *p = s->owner;
    while (s->state == S_BOUND && s->outstanding < p->window && p->qhead) {
        struct msg *m = p->qhead;
        size_t k = m->queued_next++;
        if (m->queued_next >= m->segs.n) {
            p->qhead = m->qnext;
            if (!p->qhead)
                p->qtail = NULL;
        }
        size_t w = 0;
        while (s->window[w].seq)
            w++;
        uint32_t seq = next_seq(s);
        if (send_segment(s, m, k, seq) != 0) {
            m->answered++;
            m->broken = 1;
            msg_settle(p, m);
            session_break(s, "write failed");
            return;
        }
        s->window[w] = (struct slot){.seq = seq, .m = m, .segment = k};
        s->outstanding++;
        m->in_window++;
    }
}

static void pump_all(struct smpp *p) {
    for (int i = 0; i < p->nbinds && p->qhead; i++)
        session_pump(&p->sessions[i]);
}

/* ---- reading PDUs ---- */

static struct slot *slot_take(struct session *s, uint32_t seq) {
    for (size_t i = 0; i < s->owner->window; i++)
        if (s->window[i].seq == seq)
            return &s->window[i];
    return NULL;
}

static void on_submit_answer(struct session *s, uint32_t seq, uint32_t status, const char *id) {
    struct smpp *p = s->owner;
    struct slot *sl = slot_take(s, seq);
    if (!sl) {
        log_warn("smpp %s: an answer to unknown sequence %u", p->base.name, (unsigned)seq);
        return;
    }
    struct msg *m = sl->m;
    size_t k = sl->segment;
    *sl = (struct slot){0};
    s->outstanding--;
    m->in_window--;
    m->answered++;
    if (status == ESME_ROK) { /* an empty message_id: accepted, its receipts unmatched */
        snprintf(m->ids[k], sizeof m->ids[k], "%s", id ? id : "");
        m->accepted++;
    } else if (status == ESME_RTHROTTLED || status == ESME_RMSGQFUL) {
        m->throttled = 1;
        log_info("smpp %s: %s throttled (0x%08x)", p->base.name, m->a.call_id, (unsigned)status);
    } else {
        if (m->error_status == 0)
            m->error_status = status ? status : ESME_RUNKNOWNERR;
        log_info("smpp %s: %s refused with 0x%08x", p->base.name, m->a.call_id, (unsigned)status);
    }
    if (m->in_window == 0 && m->queued_next >= m->segs.n)
        msg_settle(p, m);
}

/* An address as campaignd writes numbers: digits become E.164 ("+..."). */
static void address_of(const uint8_t *addr, char *out, size_t cap) {
    const char *a = (const char *)addr;
    int digits = a[0] != '\0' && strspn(a, "0123456789") == strlen(a);
    snprintf(out, cap, "%s%.20s", digits ? "+" : "", a);
}

/* A mobile-originated message: recorded, its keyword (STOP, START)
 * applied for the account that sends from its destination. */
static void on_inbound(struct smpp *p, const deliver_sm_t *d) {
    char from[24], to[24], body[1024];
    address_of(d->source_addr, from, sizeof from);
    address_of(d->destination_addr, to, sizeof to);
    const unsigned char *text = d->short_message;
    size_t len = d->sm_length;
    for (const tlv_t *t = d->tlv; t; t = t->next)
        if (t->tag == TLVID_message_payload)
            text = t->value.octet, len = t->length;
    size_t skip = (d->esm_class & 0x40) && len > 0 ? (size_t)text[0] + 1 : 0; /* a UDH */
    sms_decode(text + (skip < len ? skip : len), skip < len ? len - skip : 0, d->data_coding, body,
               sizeof body);
    enum keyword_action action = KEYWORD_NONE;
    int rc = p->store && from[0] == '+'
                 ? inbound_record(p->store, CHANNEL_SMS, from, to, body, &action)
                 : -1;
    if (rc != 0)
        log_warn("smpp %s: an inbound message from %s to %s not recorded", p->base.name, from, to);
    else
        log_info("smpp %s: inbound message from %s to %s: %s", p->base.name, from, to,
                 keyword_action_name(action));
}

static void on_deliver(struct session *s, const unsigned char *buf, size_t len) {
    struct smpp *p = s->owner;
    deliver_sm_t *d = xcalloc(1, sizeof *d);
    if (smpp34_unpack2(d, buf, (int)len) != 0) {
        log_warn("smpp %s: unreadable deliver_sm: %s", p->base.name, smpp34_strerror);
        destroy_tlv(d->tlv);
        send_simple(s, GENERIC_NACK, d->sequence_number, ESME_RINVCMDLEN);
        free(d);
        return;
    }
    if (d->esm_class & 0x04) {
        char id[66] = "";
        int state = -1;
        for (tlv_t *t = d->tlv; t; t = t->next) {
            if (t->tag == TLVID_receipted_message_id)
                snprintf(id, sizeof id, "%.*s", (int)(t->length < 65 ? t->length : 65),
                         (const char *)t->value.octet);
            else if (t->tag == TLVID_message_state)
                state = t->value.val08;
        }
        struct smpp_receipt r;
        int ok = id[0] && state >= 0
                     ? smpp_receipt_from_tlv(id, state, &r)
                     : smpp_receipt_from_text((const char *)d->short_message, d->sm_length, &r);
        p->defer_s = s;
        p->defer_seq = d->sequence_number;
        p->deferred = 0;
        if (ok == 0)
            on_receipt(p, &r);
        else
            log_warn("smpp %s: a receipt with no id or state", p->base.name);
        p->defer_s = NULL;
        if (!p->deferred)
            send_simple(s, DELIVER_SM_RESP, d->sequence_number, ESME_ROK);
    } else {
        on_inbound(p, d); /* recorded durably before the answer */
        send_simple(s, DELIVER_SM_RESP, d->sequence_number, ESME_ROK);
    }
    destroy_tlv(d->tlv);
    free(d);
}

static void start_enquire_timer(struct session *s);

static void on_pdu(struct session *s, const unsigned char *buf, size_t len) {
    struct smpp *p = s->owner;
    uint32_t id = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
    uint32_t status =
        (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
    uint32_t seq =
        (uint32_t)buf[12] << 24 | (uint32_t)buf[13] << 16 | (uint32_t)buf[14] << 8 | buf[15];
    s->heard_at = clock_now_ms();
    switch (id) {
    case BIND_TRANSCEIVER_RESP:
        if (status != ESME_ROK) {
            log_error("smpp %s: bind %d refused with 0x%08x", p->base.name, s->index,
                      (unsigned)status);
            session_break(s, "bind refused");
            return;
        }
        s->state = S_BOUND;
        s->backoff_ms = BACKOFF_MIN_MS;
        log_info("smpp %s: bind %d bound to %s:%d", p->base.name, s->index, p->host, p->port);
        start_enquire_timer(s);
        session_pump(s);
        return;
    case SUBMIT_SM_RESP: {
        submit_sm_resp_t r;
        memset(&r, 0, sizeof r);
        if (smpp34_unpack2(&r, buf, (int)len) != 0 && status == ESME_ROK)
            status = ESME_RUNKNOWNERR;
        on_submit_answer(s, seq, status, (const char *)r.message_id);
        session_pump(s);
        return;
    }
    case GENERIC_NACK:
        if (slot_take(s, seq)) {
            on_submit_answer(s, seq, status ? status : ESME_RUNKNOWNERR, NULL);
            session_pump(s);
        } else {
            log_warn("smpp %s: generic_nack 0x%08x for sequence %u", p->base.name, (unsigned)status,
                     (unsigned)seq);
        }
        return;
    case DELIVER_SM:
        on_deliver(s, buf, len);
        return;
    case ENQUIRE_LINK:
        send_simple(s, ENQUIRE_LINK_RESP, seq, ESME_ROK);
        return;
    case ENQUIRE_LINK_RESP:
    case UNBIND_RESP:
        return;
    case UNBIND:
        send_simple(s, UNBIND_RESP, seq, ESME_ROK);
        session_break(s, "the SMSC unbound");
        return;
    default:
        if (id & 0x80000000u)
            return; /* an answer we do not wait for */
        send_simple(s, GENERIC_NACK, seq, ESME_RINVCMDID);
        return;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
    (void)suggested;
    struct session *s = h->data;
    b->base = (char *)s->rbuf + s->rlen;
    b->len = sizeof s->rbuf - s->rlen;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
    (void)b;
    struct session *s = st->data;
    if (n < 0) {
        session_break(s, n == UV_EOF ? "the SMSC closed the connection" : uv_strerror((int)n));
        return;
    }
    s->rlen += (size_t)n;
    size_t off = 0;
    while (s->rlen - off >= 16) {
        const unsigned char *h = s->rbuf + off;
        uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        if (len < 16 || len > PDU_MAX) {
            session_break(s, "a PDU of an impossible length");
            return;
        }
        if (s->rlen - off < len)
            break;
        on_pdu(s, h, len);
        if (s->state == S_IDLE || s->state == S_CLOSED)
            return; /* broken while handling it */
        off += len;
    }
    memmove(s->rbuf, s->rbuf + off, s->rlen - off);
    s->rlen -= off;
}

/* ---- connecting, binding, breaking ---- */

static void on_handle_closed(uv_handle_t *h) {
    struct session *s = h->data;
    struct smpp *p = s->owner;
    if (--p->handles == 0 && p->closing) {
        free(p->sessions);
        free(p);
    }
}

static void session_connect(struct session *s);

static void on_timer(uv_timer_t *t) {
    struct session *s = t->data;
    struct smpp *p = s->owner;
    if (s->state == S_IDLE) {
        session_connect(s);
        return;
    }
    if (s->state == S_BOUND) {
        if (clock_now_ms() - s->heard_at > 3 * (int64_t)p->enquire_ms) {
            session_break(s, "the SMSC stopped answering enquire_link");
            return;
        }
        send_simple(s, ENQUIRE_LINK, next_seq(s), ESME_ROK);
        (void)p;
    }
}

static void start_enquire_timer(struct session *s) {
    uv_timer_start(&s->timer, on_timer, s->owner->enquire_ms, s->owner->enquire_ms);
}

static void on_tcp_closed(uv_handle_t *h) {
    struct session *s = h->data;
    struct smpp *p = s->owner;
    s->tcp_open = 0;
    if (p->closing) {
        on_handle_closed(h);
        return;
    }
    p->handles--;
    if (s->state == S_IDLE)
        uv_timer_start(&s->timer, on_timer, (uint64_t)s->backoff_ms, 0);
}

/* The session is over: its window's attempts have an unknown fate; it
 * connects again after its backoff. */
static void session_break(struct session *s, const char *why) {
    struct smpp *p = s->owner;
    if (s->state == S_IDLE || s->state == S_CLOSED)
        return;
    if (!p->closing)
        log_warn("smpp %s: bind %d broken (%s); %zu submits in its window have an unknown fate",
                 p->base.name, s->index, why, s->outstanding);
    s->state = p->closing ? S_CLOSED : S_IDLE;
    uv_timer_stop(&s->timer);
    for (size_t i = 0; i < p->window; i++) {
        struct slot *sl = &s->window[i];
        if (!sl->seq)
            continue;
        struct msg *m = sl->m;
        *sl = (struct slot){0};
        m->in_window--;
        m->answered++;
        m->broken = 1;
        if (m->in_window == 0 && m->queued_next >= m->segs.n)
            msg_settle(p, m);
    }
    s->outstanding = 0;
    s->rlen = 0;
    if (s->tcp_open && !uv_is_closing((uv_handle_t *)&s->tcp))
        uv_close((uv_handle_t *)&s->tcp, on_tcp_closed);
    if (!p->closing) {
        backoff_double(s);
        if (!any_bound(p))
            queue_give_back(p);
    }
}

static void on_connected(uv_connect_t *c, int status) {
    struct session *s = c->data;
    struct smpp *p = s->owner;
    if (status != 0) {
        if (status != UV_ECANCELED)
            session_break(s, uv_strerror(status));
        return;
    }
    s->state = S_BINDING;
    s->epoch++;
    s->heard_at = clock_now_ms();
    uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    bind_transceiver_t b;
    memset(&b, 0, sizeof b);
    b.command_id = BIND_TRANSCEIVER;
    b.sequence_number = next_seq(s);
    snprintf((char *)b.system_id, sizeof b.system_id, "%s", p->system_id);
    snprintf((char *)b.password, sizeof b.password, "%s", p->password);
    snprintf((char *)b.system_type, sizeof b.system_type, "%s", p->system_type);
    b.interface_version = SMPP_VERSION;
    if (send_pdu(s, &b) != 0)
        session_break(s, "bind could not be written");
}

static void on_resolved(uv_getaddrinfo_t *r, int status, struct addrinfo *res) {
    struct session *s = r->data;
    struct smpp *p = s->owner;
    free(r);
    p->handles--;
    if (p->closing) {
        uv_freeaddrinfo(res);
        if (p->handles == 0) {
            free(p->sessions);
            free(p);
        }
        return;
    }
    const struct addrinfo *to = res;
    while (to && !p->allow_private && webhook_sockaddr_is_private(to->ai_addr))
        to = to->ai_next;
    if (status == 0 && res && !to) {
        char addr[64];
        webhook_sockaddr_text(res->ai_addr, addr, sizeof addr);
        log_error("smpp %s: refused: %s resolves to %s, a private address "
                  "(CAMPAIGND_PROVIDER_ALLOW_PRIVATE=1 allows it)",
                  p->base.name, p->host, addr);
    }
    if (status != 0 || !to) {
        uv_freeaddrinfo(res);
        if (status != 0 || !res)
            log_warn("smpp %s: cannot resolve %s: %s", p->base.name, p->host, uv_strerror(status));
        s->state = S_IDLE;
        backoff_double(s);
        uv_timer_start(&s->timer, on_timer, (uint64_t)s->backoff_ms, 0);
        if (!any_bound(p))
            queue_give_back(p);
        return;
    }
    uv_tcp_init(p->loop, &s->tcp);
    s->tcp.data = s;
    s->tcp_open = 1;
    p->handles++;
    uv_tcp_nodelay(&s->tcp, 1);
    s->connect.data = s;
    if (uv_tcp_connect(&s->connect, &s->tcp, to->ai_addr, on_connected) != 0)
        session_break(s, "cannot connect");
    uv_freeaddrinfo(res);
}

static void session_connect(struct session *s) {
    struct smpp *p = s->owner;
    s->state = S_CONNECTING;
    s->seq = 0;
    uv_getaddrinfo_t *r = xcalloc(1, sizeof *r);
    r->data = s;
    char port[8];
    snprintf(port, sizeof port, "%d", p->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    p->handles++;
    if (uv_getaddrinfo(p->loop, r, on_resolved, p->host, port, &hints) != 0) {
        p->handles--;
        free(r);
        s->state = S_IDLE;
        uv_timer_start(&s->timer, on_timer, (uint64_t)s->backoff_ms, 0);
    }
}

/* ---- the provider ---- */

static int smpp_submit(struct provider *pv, struct attempt *batch, size_t n) {
    struct smpp *p = (struct smpp *)pv;
    for (size_t i = 0; i < n; i++) {
        struct msg *m = xcalloc(1, sizeof *m);
        m->a = batch[i];
        const char *text = batch[i].text ? batch[i].text : "";
        int rc =
            batch[i].channel == CHANNEL_SMS ? smpp_segments_build(text, ++p->ref, &m->segs) : -1;
        free(batch[i].text);
        m->a.text = NULL;
        if (rc != 0) {
            m->error_status = ESME_RINVMSGLEN;
            m->answered = m->segs.n;
            emit_fate(p, m, PROVIDER_REJECTED, NULL);
            msg_free(m);
            continue;
        }
        m->ids = xcalloc(m->segs.n, sizeof *m->ids);
        queue_push(p, m);
    }
    free(batch);
    if (any_bound(p))
        pump_all(p);
    else {
        int trying = 0;
        for (int i = 0; i < p->nbinds; i++)
            trying |= p->sessions[i].state != S_IDLE || p->sessions[i].backoff_ms <= BACKOFF_MIN_MS;
        if (!trying)
            queue_give_back(p); /* every session is waiting out a backoff */
    }
    return 0;
}

/* The engine stored these reports: their receipts are answered now (on
 * the connection they came on; a receipt that came on a broken one is
 * sent again by the SMSC). */
static void smpp_ack(struct provider *pv, const struct attempt_end *ends, size_t n) {
    struct smpp *p = (struct smpp *)pv;
    for (size_t i = 0; i < n && p->unacked; i++)
        for (struct unacked **u = &p->unacked; *u;) {
            if (strcmp((*u)->call_id, ends[i].call_id) != 0) {
                u = &(*u)->next;
                continue;
            }
            struct unacked *done = *u;
            *u = done->next;
            p->nunacked--;
            if (done->s->state == S_BOUND && done->s->epoch == done->epoch)
                send_simple(done->s, DELIVER_SM_RESP, done->seq, ESME_ROK);
            free(done);
        }
}

static void smpp_close(struct provider *pv) {
    struct smpp *p = (struct smpp *)pv;
    p->closing = 1;
    queue_give_back(p);
    for (int i = 0; i < p->nbinds; i++) {
        struct session *s = &p->sessions[i];
        if (s->state == S_BOUND)
            send_simple(s, UNBIND, next_seq(s), ESME_ROK);
        session_break(s, "closing"); /* the window's fates: unknown */
        s->state = S_CLOSED;
        uv_timer_stop(&s->timer);
        uv_close((uv_handle_t *)&s->timer, on_handle_closed);
    }
    while (p->oldest)
        known_forget(p, p->oldest);
    while (p->early) {
        struct early *e = p->early;
        p->early = e->next;
        free(e);
    }
    while (p->unacked) {
        struct unacked *u = p->unacked;
        p->unacked = u->next;
        free(u);
    }
    for (int i = 0; i < p->nbinds; i++)
        free(p->sessions[i].window);
}

static const struct provider_ops smpp_ops = {
    .type = "smpp",
    .submit = smpp_submit,
    .lookup = NULL,
    .ack = smpp_ack,
    .close = smpp_close,
};

static const char *setting(const struct provider_def *def, const char *name) {
    const char *v = json_string_value(json_object_get(def->settings, name));
    return v ? v : "";
}

int provider_smpp_open(const struct provider_def *def, const struct provider_env *env,
                       struct provider **out) {
    json_int_t port = json_integer_value(json_object_get(def->settings, "port"));
    json_int_t window = json_integer_value(json_object_get(def->settings, "window"));
    json_int_t binds = json_integer_value(json_object_get(def->settings, "binds"));
    if (!setting(def, "host")[0] || port < 1 || port > 65535 || !setting(def, "system_id")[0]) {
        log_error("smpp %s: host, port and system_id are needed", def->name);
        return ERROR_INVALID;
    }
    struct smpp *p = xcalloc(1, sizeof *p);
    provider_base_init(&p->base, &smpp_ops, def, env);
    p->store = env->store;
    p->loop = env->loop;
    p->allow_private = env->allow_private;
    snprintf(p->host, sizeof p->host, "%s", setting(def, "host"));
    p->port = (int)port;
    snprintf(p->system_id, sizeof p->system_id, "%s", setting(def, "system_id"));
    snprintf(p->password, sizeof p->password, "%s", setting(def, "password"));
    snprintf(p->system_type, sizeof p->system_type, "%s", setting(def, "system_type"));
    p->window = window > 0 ? (size_t)window : 10;
    json_int_t enquire = json_integer_value(json_object_get(def->settings, "enquire_link_seconds"));
    json_int_t reconnect =
        json_integer_value(json_object_get(def->settings, "reconnect_max_seconds"));
    p->enquire_ms = (uint64_t)(enquire > 0 ? enquire : 15) * 1000;
    p->backoff_max_ms = (int64_t)(reconnect > 0 ? reconnect : 30) * 1000;
    if (p->backoff_max_ms < BACKOFF_MIN_MS)
        p->backoff_max_ms = BACKOFF_MIN_MS;
    p->nbinds = binds > 0 ? (int)binds : 1;
    p->sessions = xcalloc((size_t)p->nbinds, sizeof *p->sessions);
    for (int i = 0; i < p->nbinds; i++) {
        struct session *s = &p->sessions[i];
        s->owner = p;
        s->index = i;
        s->backoff_ms = BACKOFF_MIN_MS;
        s->window = xcalloc(p->window, sizeof *s->window);
        uv_timer_init(p->loop, &s->timer);
        s->timer.data = s;
        p->handles++;
        session_connect(s);
    }
    log_info("smpp %s: %d bind(s) to %s:%d as %s, window %zu", def->name, p->nbinds, p->host,
             p->port, p->system_id, p->window);
    *out = &p->base;
    return 0;
}
