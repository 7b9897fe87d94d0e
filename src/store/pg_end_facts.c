/* pg_end_facts.c - the facts a batch of provider reports is decided
 * on (pg_ends.c), read on the PostgreSQL backend: for a call's end, the
 * call, its recipient and its campaign; for a message report, the message
 * and its recipient.
 *
 * A batch reads them all up front, one query per channel over a JSON
 * array of the reports' ids (each row carries its id's position), instead
 * of one query a report: on PostgreSQL each is a round trip
 * (docs/architecture.md decision 38). What a report writes can change the
 * facts of a later report of the same recipient in the batch (a call's
 * progress then its end; a message's sent then delivered), so every report
 * but a recipient's first is marked `again` and reads its facts alone at
 * its turn, after the writes before it; so is a report whose id the list
 * cannot carry (store_json_ids). Engine thread, in the batch's unit. */
#include "store/pg_internal.h"
#include "util/alloc.h"
#include "util/strcopy.h"

#include <stdlib.h>
#include <string.h>

#define END_COLS                                                                                   \
    "c.seq, c.status, c.recipient_seq, c.campaign_seq, c.lane, r.attempts, camp.status, "          \
    "c.created_at, coalesce(camp.end_at, 0), r.status, r.disposition, r.due_at"
#define END_FROM                                                                                   \
    " JOIN recipients r ON r.seq = c.recipient_seq JOIN campaigns camp ON camp.seq = "             \
    "c.campaign_seq"
#define MEND_COLS                                                                                  \
    "m.seq, m.status, m.recipient_seq, m.campaign_seq, m.lane, r.status, r.disposition, r.due_at"
#define MEND_FROM " JOIN recipients r ON r.seq = m.recipient_seq"
/* a JSON array of ids as rows (value, and its position) */
#define ALL_KEY "j.ord - 1"
#define ALL_IDS " FROM jsonb_array_elements_text(?1::jsonb) WITH ORDINALITY AS j(value, ord)"
/* joined to them, the row of table t (as alias a) whose id is j.value */
#define BY_ID(t, a) " CROSS JOIN LATERAL (SELECT * FROM " t " WHERE id = j.value OFFSET 0) " a

static const char SQL_END_ONE[] = "SELECT " END_COLS " FROM calls c" END_FROM " WHERE c.id = ?1";
static const char SQL_END_ALL[] =
    "SELECT " ALL_KEY ", " END_COLS ALL_IDS BY_ID("calls", "c") END_FROM;
static const char SQL_MEND_ONE[] =
    "SELECT " MEND_COLS " FROM messages m" MEND_FROM " WHERE m.id = ?1";
static const char SQL_MEND_ALL[] =
    "SELECT " ALL_KEY ", " MEND_COLS ALL_IDS BY_ID("messages", "m") MEND_FROM;

/* END_COLS from column col. */
static void read_call_facts(struct pg_stmt *s, int col, struct end_facts *x) {
    x->call.current = CALL_QUEUED;
    x->call.campaign = CAMPAIGN_RUNNING;
    x->seq = pg_col_int64(s, col);
    call_status_parse((const char *)pg_col_raw(s, col + 1), &x->call.current);
    x->recipient_seq = pg_col_int64(s, col + 2);
    x->campaign_seq = pg_col_int64(s, col + 3);
    STR_COPY(x->lane, (const char *)pg_col_raw(s, col + 4));
    x->call.attempts = pg_col_int(s, col + 5);
    campaign_status_parse((const char *)pg_col_raw(s, col + 6), &x->call.campaign);
    x->created_at = pg_col_int64(s, col + 7);
    x->call.end_at = pg_col_int64(s, col + 8);
    pg_read_recipient_row(s, col + 9, &x->call.row);
}

/* MEND_COLS from column col. */
static void read_message_facts(struct pg_stmt *s, int col, struct end_facts *x) {
    x->msg.current = MSG_QUEUED;
    x->seq = pg_col_int64(s, col);
    message_status_parse((const char *)pg_col_raw(s, col + 1), &x->msg.current);
    x->recipient_seq = pg_col_int64(s, col + 2);
    x->campaign_seq = pg_col_int64(s, col + 3);
    STR_COPY(x->lane, (const char *)pg_col_raw(s, col + 4));
    pg_read_recipient_row(s, col + 5, &x->msg.row);
}

static void read_facts(const struct attempt_end *e, struct pg_stmt *s, int col,
                       struct end_facts *x) {
    memset(x, 0, sizeof *x);
    x->found = 1;
    if (e->channel == CHANNEL_VOICE)
        read_call_facts(s, col, x);
    else
        read_message_facts(s, col, x);
}

/* One report's facts as they are now. */
static int read_one(struct pg_conn *conn, const struct attempt_end *e, struct end_facts *x) {
    struct pg_stmt *s = pg_prep(conn, e->channel == CHANNEL_VOICE ? SQL_END_ONE : SQL_MEND_ONE);
    pg_bind_text(s, 1, e->call_id);
    int step = pg_step(s);
    x->found = 0;
    if (step == PG_ROW)
        read_facts(e, s, 0, x);
    pg_reset(s);
    return step == PG_ROW || step == PG_DONE ? STORE_OK : pg_err(conn, step, "end_facts");
}

/* The reports of one channel kind (voice, or not) in one query. */
static int read_all_of(struct pg_conn *conn, const struct attempt_end *ends, size_t n, int voice,
                       struct end_facts *pre) {
    const char **ids = xcalloc(n + 1, sizeof *ids);
    int *plain = xcalloc(n + 1, sizeof *plain);
    size_t some = 0;
    for (size_t i = 0; i < n; i++)
        ids[i] = (ends[i].channel == CHANNEL_VOICE) == voice ? (some++, ends[i].call_id) : "";
    char *text = some ? store_json_ids(ids, n, plain) : NULL;
    for (size_t i = 0; text && i < n; i++)
        if (ids[i][0] && !plain[i])
            pre[i].again = 1; /* not in the list: read at its turn */
    free(ids);
    free(plain);
    if (!text)
        return STORE_OK;
    struct pg_stmt *s = pg_prep(conn, voice ? SQL_END_ALL : SQL_MEND_ALL);
    pg_bind_text(s, 1, text);
    int step;
    while ((step = pg_step(s)) == PG_ROW) {
        int64_t at = pg_col_int64(s, 0);
        if (at >= 0 && (size_t)at < n && (ends[at].channel == CHANNEL_VOICE) == voice)
            read_facts(&ends[at], s, 1, &pre[at]);
    }
    pg_reset(s);
    free(text);
    return step == PG_DONE ? STORE_OK : pg_err(conn, step, "end_facts_all");
}

int pg_end_facts_at(struct pg_conn *conn, const struct attempt_end *e, const struct end_facts *pre,
                    struct end_facts *x) {
    if (!pre->again) {
        *x = *pre;
        return STORE_OK;
    }
    return read_one(conn, e, x);
}

static int cmp_seq_at(const void *a, const void *b) {
    const int64_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/* Marks again every report but the first of each recipient. */
static void mark_repeats(struct end_facts *pre, size_t n) {
    int64_t(*keys)[2] = xcalloc(n + 1, sizeof *keys);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (pre[i].found) {
            keys[k][0] = pre[i].recipient_seq;
            keys[k++][1] = (int64_t)i;
        }
    qsort(keys, k, sizeof *keys, cmp_seq_at);
    for (size_t i = 1; i < k; i++)
        if (keys[i][0] == keys[i - 1][0])
            pre[keys[i][1]].again = 1;
    free(keys);
}

int pg_end_facts_all(struct pg_conn *conn, const struct attempt_end *ends, size_t n,
                     struct end_facts **out) {
    struct end_facts *pre = xcalloc(n + 1, sizeof *pre);
    int rc = read_all_of(conn, ends, n, 1, pre);
    if (rc == STORE_OK)
        rc = read_all_of(conn, ends, n, 0, pre);
    if (rc) {
        free(pre);
        *out = NULL;
        return rc;
    }
    mark_repeats(pre, n);
    *out = pre;
    return STORE_OK;
}
