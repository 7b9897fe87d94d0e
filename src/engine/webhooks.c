/* webhooks.c - event delivery, see webhooks.h. */
#include "engine/webhooks.h"
#include "engine/engine.h"
#include "store/store.h"
#include "domain/webhook_url.h"
#include "engine/curl_uv.h"
#include "engine/webhook_slots.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/ids.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

/* Delivery slots (see webhook_slots.h): in all, per account, per endpoint
 * (scheme://host:port); and one per campaign. An account whose endpoints
 * hang holds at most MAX_PER_ACCOUNT slots for the 10 s timeout, so
 * MAX_IN_FLIGHT - MAX_PER_ACCOUNT stay for the others. */
#define MAX_IN_FLIGHT 64
#define MAX_PER_ACCOUNT 16
#define MAX_PER_ENDPOINT 4
/* what the outbox is asked for: heads per account and URL, per account, in all */
#define DUE_PER_URL (2 * MAX_PER_ENDPOINT)
#define DUE_PER_ACCOUNT (4 * MAX_PER_ACCOUNT)
#define DUE_LIMIT 1024
#define MAX_RESPONSE_BYTES (64 * 1024)
#define GIVE_UP_MS (24LL * 3600 * 1000)
#define STORE_RETRY_MS 5000 /* a result that could not be stored: look again after */
#define TIMEOUT_MS 10000L   /* a delivery's whole time */

struct transfer {
    struct webhooks *w;
    CURL *easy;
    struct curl_slist *headers;
    char id[48];
    char account[48];
    int64_t campaign; /* campaign_seq, or -seq for an event without one */
    char endpoint[256];
    char *body;
    int attempts;
    int64_t created_at;
    size_t received;
    char error[CURL_ERROR_SIZE];
    char refused[128]; /* why the connect was refused; libcurl owns error[] */
};

struct webhooks {
    struct curl_uv *http;
    const struct engine_deps *deps;
    void (*changed)(void *);
    void *ctx;
    struct transfer *live[MAX_IN_FLIGHT];
    size_t nlive;
    int64_t next_due;
    int64_t hold_until; /* a result could not be stored: no delivery before */
    char turn[48];      /* the account served last: the next turn is the one after */
};

/* ---- results ---- */

static int64_t backoff_ms(int attempts) {
    int64_t ms = 5000;
    for (int i = 1; i < attempts && ms < 3600 * 1000; i++)
        ms *= 2;
    if (ms > 3600 * 1000)
        ms = 3600 * 1000;
    uint32_t r;
    crypto_random(&r, sizeof r);
    return ms / 2 + (int64_t)(r % (uint32_t)ms); /* jitter: 0.5x .. 1.5x */
}

static void finish(struct webhooks *w, struct transfer *t, CURLcode code) {
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    int64_t now = clock_now_ms();
    struct store *st = w->deps->store;
    /* a body over the read limit aborts the read; a 2xx already counts */
    int ok = status >= 200 && status <= 299 && (code == CURLE_OK || code == CURLE_WRITE_ERROR);
    int stored;
    if (ok) {
        stored = st->ops->event_result(st, t->id, "delivered", (int)status, NULL, now, now);
        engine_stats_webhook(w->deps->stats, 1, 0);
    } else {
        char err[300];
        if (t->refused[0])
            snprintf(err, sizeof err, "%s", t->refused);
        else if (code != CURLE_OK)
            snprintf(err, sizeof err, "%s", t->error[0] ? t->error : curl_easy_strerror(code));
        else
            snprintf(err, sizeof err, "HTTP %ld", status);
        int attempts = t->attempts + 1;
        int64_t next = now + backoff_ms(attempts);
        int give_up = next - t->created_at > GIVE_UP_MS;
        stored = st->ops->event_result(st, t->id, give_up ? "failed" : "pending", (int)status, err,
                                       give_up ? now : next, now);
        engine_stats_webhook(w->deps->stats, 0, give_up);
        log_info("webhook %s attempt %d failed (%s)%s", t->id, attempts, err,
                 give_up ? ": given up" : "");
    }
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body);
    for (size_t i = 0; i < w->nlive; i++)
        if (w->live[i] == t)
            w->live[i] = w->live[--w->nlive];
    free(t);
    /* look again; but when the store could not take the result (disk full)
     * the event is still due: hold every delivery a while (a kick does not
     * lift the hold), or it would be delivered in a loop */
    w->hold_until = stored == 0 ? 0 : now + STORE_RETRY_MS;
    w->next_due = stored == 0 ? 0 : w->hold_until;
}

/* A delivery ended (curl_uv): store its result, and let the engine run a
 * pass so that delivery continues. */
static void on_done(void *ctx, CURL *easy, CURLcode result) {
    (void)easy;
    struct transfer *t = ctx;
    struct webhooks *w = t->w;
    finish(w, t, result);
    w->changed(w->ctx);
}

/* ---- one delivery ---- */

static size_t on_body(char *data, size_t size, size_t n, void *userp) {
    (void)data;
    struct transfer *t = userp;
    t->received += size * n;
    return t->received > MAX_RESPONSE_BYTES ? 0 : size * n; /* read, drop, stop at 64 KiB */
}

/* Every address libcurl is about to connect to (each one a name resolved
 * to, on every attempt, so a name that later resolves elsewhere -- DNS
 * rebinding -- is judged again), by the rule the URL check uses at create. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *addr) {
    (void)purpose;
    struct transfer *t = clientp;
    if (!t->w->deps->allow_private_webhooks && webhook_sockaddr_is_private(&addr->addr)) {
        char host[64];
        webhook_sockaddr_text(&addr->addr, host, sizeof host);
        snprintf(t->refused, sizeof t->refused, "refused: %s is a private address", host);
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static void endpoint_of(const char *url, char *out, size_t n) {
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    }
    snprintf(out, n, "%s://%s:%s", scheme ? scheme : "", host ? host : "", port ? port : "");
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

static void hex(const uint8_t *mac, char out[65]) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[mac[i] >> 4];
        out[2 * i + 1] = digits[mac[i] & 15];
    }
    out[64] = '\0';
}

/* "t=..,v1=..[,v1=..]" for the account's secret(s). */
static int signature(struct webhooks *w, const char *account, const char *body, char *out,
                     size_t n) {
    char fresh[64];
    memcpy(fresh, "whsec_", 6);
    ids_random_base62(fresh + 6, 32);
    struct webhook_secrets sec;
    int rc = w->deps->store->ops->webhook_secrets(w->deps->store, account, fresh, &sec);
    if (rc != 0)
        return rc;
    int64_t now = clock_now_ms();
    long t = (long)(now / 1000);
    char *signed_text = xasprintf("%ld.%s", t, body);
    uint8_t mac[32];
    char h[65];
    crypto_hmac_sha256(sec.current, strlen(sec.current), signed_text, strlen(signed_text), mac);
    hex(mac, h);
    int used = snprintf(out, n, "t=%ld,v1=%s", t, h);
    if (sec.previous[0] && sec.previous_until > now) {
        crypto_hmac_sha256(sec.previous, strlen(sec.previous), signed_text, strlen(signed_text),
                           mac);
        hex(mac, h);
        snprintf(out + used, n - (size_t)used, ",v1=%s", h);
    }
    free(signed_text);
    return 0;
}

/* The key of the one-in-flight-per-campaign rule. */
static int64_t campaign_key(const struct outbound_event *e) {
    return e->campaign_seq ? e->campaign_seq : -e->seq;
}

static int start_one(struct webhooks *w, struct outbound_event *e, const char *endpoint) {
    char *body = NULL;
    int rc = w->deps->store->ops->event_body(w->deps->store, e->seq, &body);
    if (rc != 0 || !body)
        return rc ? rc : ERROR_NOTFOUND;
    struct transfer *t = xcalloc(1, sizeof *t);
    t->w = w;
    snprintf(t->id, sizeof t->id, "%s", e->id);
    snprintf(t->account, sizeof t->account, "%s", e->account_id);
    t->campaign = campaign_key(e);
    t->attempts = e->attempts;
    t->created_at = e->created_at;
    snprintf(t->endpoint, sizeof t->endpoint, "%s", endpoint);
    t->body = body;
    char sig[300];
    if ((rc = signature(w, e->account_id, t->body, sig, sizeof sig)) != 0) {
        free(t->body);
        free(t);
        return rc;
    }
    char *h = xasprintf("Campaignd-Signature: %s", sig);
    t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
    t->headers = curl_slist_append(t->headers, h);
    free(h);
    h = xasprintf("Campaignd-Event-Id: %s", t->id);
    t->headers = curl_slist_append(t->headers, h);
    free(h);
    t->headers = curl_slist_append(t->headers, "Expect:");
    t->easy = curl_easy_init();
    CURL *c = t->easy;
    curl_easy_setopt(c, CURLOPT_URL, e->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(t->body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "campaignd-webhooks/1");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    /* no proxy from the environment: the address check must see the
     * endpoint itself, not a proxy that would connect anywhere for us */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->error);
    rc = curl_uv_start(w->http, c, on_done, t);
    if (rc != 0) {
        curl_easy_cleanup(c);
        curl_slist_free_all(t->headers);
        free(t->body);
        free(t);
        return rc;
    }
    w->live[w->nlive++] = t;
    return 0;
}

/* Leases the k events picked to this node (store events_lease); taken[j]
 * (new array) says which of them this node may send: none another node
 * is sending, nor one no longer pending. A store no other process shares
 * (SQLite) needs no lease: every event picked is this node's, and a full
 * disk, which refuses the lease's write, does not stop deliveries whose
 * results it cannot store either (they are sent again once it can). */
static int *lease(struct webhooks *w, const struct outbound_event *due, const size_t *pick,
                  size_t k, int64_t now) {
    int *taken = xcalloc(k + 1, sizeof *taken);
    if (!w->deps->store->ops->shared) {
        for (size_t j = 0; j < k; j++)
            taken[j] = 1;
        return taken;
    }
    int64_t *seqs = xcalloc(k + 1, sizeof *seqs);
    for (size_t j = 0; j < k; j++)
        seqs[j] = due[pick[j]].seq;
    const struct config *cfg = w->deps->cfg;
    /* the node lease, held by the node's heartbeat (renew_leases) while
     * the delivery lasts; its result clears it */
    int64_t until = now + cfg->lease_ms;
    if (k)
        w->deps->store->ops->events_lease(w->deps->store, seqs, k, cfg->node_id, now, until, taken);
    free(seqs);
    return taken;
}

void webhooks_poll(struct webhooks *w) {
    int64_t now = clock_now_ms();
    if (w->hold_until > now) {
        w->next_due = w->hold_until;
        return;
    }
    if (w->next_due && w->next_due > now)
        return;
    if (w->nlive >= MAX_IN_FLIGHT)
        return;
    struct store *st = w->deps->store;
    /* the outbox answers a bounded, per-account interleaved set of campaign
     * heads, so one account's backlog cannot hide another's */
    struct outbound_event *due = NULL;
    size_t n = 0;
    if (st->ops->events_due(st, now, DUE_PER_URL, DUE_PER_ACCOUNT, DUE_LIMIT, &due, &n) != 0)
        return;
    char(*endpoints)[256] = xcalloc(n ? n : 1, sizeof *endpoints);
    struct slot_item *pending = xcalloc(n ? n : 1, sizeof *pending);
    for (size_t i = 0; i < n; i++) {
        endpoint_of(due[i].url, endpoints[i], sizeof endpoints[i]);
        pending[i] = (struct slot_item){due[i].account_id, endpoints[i], campaign_key(&due[i])};
    }
    struct slot_item live[MAX_IN_FLIGHT];
    for (size_t j = 0; j < w->nlive; j++)
        live[j] =
            (struct slot_item){w->live[j]->account, w->live[j]->endpoint, w->live[j]->campaign};
    static const struct slot_caps caps = {MAX_IN_FLIGHT, MAX_PER_ACCOUNT, MAX_PER_ENDPOINT};
    size_t *pick = xcalloc(n ? n : 1, sizeof *pick);
    size_t k = slots_pick(pending, n, live, w->nlive, &caps, w->turn, pick);
    int *taken = lease(w, due, pick, k, now);
    for (size_t j = 0; j < k; j++) {
        struct outbound_event *e = &due[pick[j]];
        if (taken[j] && start_one(w, e, endpoints[pick[j]]) == 0)
            snprintf(w->turn, sizeof w->turn, "%s", e->account_id);
    }
    free(taken);
    free(pick);
    free(pending);
    free(endpoints);
    outbound_events_free(due, n);
    int64_t next = 0;
    st->ops->events_next(st, &next, NULL);
    /* due events held back by a limit are looked at again when a delivery
     * ends (changed() -> poll); otherwise sleep until the next one is due */
    w->next_due = next > now ? next : (w->nlive ? INT64_MAX : now + 1000);
}

void webhooks_kick(struct webhooks *w) {
    w->next_due = 0;
}

int64_t webhooks_next_due(const struct webhooks *w) {
    return w->next_due == INT64_MAX ? 0 : w->next_due;
}

struct webhooks *webhooks_new(uv_loop_t *loop, const struct engine_deps *deps,
                              void (*changed)(void *), void *ctx) {
    struct webhooks *w = xcalloc(1, sizeof *w);
    w->http = curl_uv_new(loop);
    w->deps = deps;
    w->changed = changed;
    w->ctx = ctx;
    return w;
}

void webhooks_close(struct webhooks *w) {
    if (!w)
        return;
    while (w->nlive) {
        struct transfer *t = w->live[--w->nlive];
        curl_uv_cancel(w->http, t->easy);
        curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        free(t->body);
        free(t);
    }
    curl_uv_free(w->http);
    free(w);
}
