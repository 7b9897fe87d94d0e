/* webhook_slots.c - choosing the webhook deliveries that start next, see
 * webhook_slots.h. Names (accounts, endpoints) are first turned into small
 * dense numbers in name order (a sort), then counted in arrays. */
#include "engine/webhook_slots.h"
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

struct named {
    const char *name;
    size_t at;
};

static int by_name(const void *a, const void *b) {
    return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/* ids[i] = the rank of names[i] among the distinct names (name order);
 * returns the number of distinct names. */
static size_t intern(const char **names, size_t m, size_t *ids) {
    struct named *v = xcalloc(m ? m : 1, sizeof *v);
    for (size_t i = 0; i < m; i++)
        v[i] = (struct named){names[i] ? names[i] : "", i};
    qsort(v, m, sizeof *v, by_name);
    size_t distinct = 0;
    for (size_t i = 0; i < m; i++) {
        if (i > 0 && strcmp(v[i].name, v[i - 1].name) != 0)
            distinct++;
        ids[v[i].at] = distinct;
    }
    free(v);
    return m ? distinct + 1 : 0;
}

static int busy(const int64_t *campaigns, size_t n, int64_t c) {
    if (c == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (campaigns[i] == c)
            return 1;
    return 0;
}

size_t slots_pick(const struct slot_item *pending, size_t n, const struct slot_item *live,
                  size_t nlive, const struct slot_caps *caps, const char *after, size_t *pick) {
    if (n == 0 || nlive >= caps->total)
        return 0;
    size_t m = n + nlive, room = caps->total - nlive;
    const char **names = xcalloc(m, sizeof *names);
    size_t *acct = xcalloc(m, sizeof *acct), *ep = xcalloc(m, sizeof *ep);
    for (size_t i = 0; i < m; i++)
        names[i] = i < n ? pending[i].account : live[i - n].account;
    size_t naccts = intern(names, m, acct);
    for (size_t i = 0; i < m; i++)
        names[i] = i < n ? pending[i].endpoint : live[i - n].endpoint;
    size_t neps = intern(names, m, ep);
    size_t *acct_load = xcalloc(naccts, sizeof *acct_load);
    size_t *ep_load = xcalloc(neps, sizeof *ep_load);
    int64_t *campaigns = xcalloc(caps->total, sizeof *campaigns);
    size_t ncampaigns = 0;
    for (size_t j = 0; j < nlive; j++) {
        acct_load[acct[n + j]]++;
        ep_load[ep[n + j]]++;
        if (ncampaigns < caps->total)
            campaigns[ncampaigns++] = live[j].campaign;
    }
    /* each account's pending events in the given order: a counting sort */
    size_t *first = xcalloc(naccts + 1, sizeof *first), *order = xcalloc(n, sizeof *order);
    for (size_t i = 0; i < n; i++)
        first[acct[i] + 1]++;
    for (size_t a = 0; a < naccts; a++)
        first[a + 1] += first[a];
    size_t *next = xcalloc(naccts, sizeof *next); /* cursor into the account's events */
    for (size_t a = 0; a < naccts; a++)
        next[a] = first[a];
    for (size_t i = 0; i < n; i++)
        order[next[acct[i]]++] = i;
    for (size_t a = 0; a < naccts; a++)
        next[a] = first[a];
    /* the turn starts with the first account named after `after` */
    size_t start = 0;
    if (after && after[0]) {
        start = naccts;
        for (size_t i = 0; i < m; i++)
            if (strcmp(i < n ? pending[i].account : live[i - n].account, after) > 0 &&
                acct[i] < start)
                start = acct[i];
        if (start == naccts)
            start = 0; /* wrap around */
    }
    size_t picked = 0;
    for (int progress = 1; progress && picked < room;) {
        progress = 0;
        for (size_t k = 0; k < naccts && picked < room; k++) {
            size_t a = (start + k) % naccts;
            if (acct_load[a] >= caps->per_account)
                continue;
            /* skipped events stay unstartable for this call: loads only grow */
            for (; next[a] < first[a + 1]; next[a]++) {
                size_t i = order[next[a]];
                if (ep_load[ep[i]] >= caps->per_endpoint ||
                    busy(campaigns, ncampaigns, pending[i].campaign))
                    continue;
                pick[picked++] = i;
                acct_load[a]++;
                ep_load[ep[i]]++;
                if (pending[i].campaign && ncampaigns < caps->total)
                    campaigns[ncampaigns++] = pending[i].campaign;
                next[a]++;
                progress = 1;
                break;
            }
        }
    }
    free(names);
    free(acct);
    free(ep);
    free(acct_load);
    free(ep_load);
    free(campaigns);
    free(first);
    free(order);
    free(next);
    return picked;
}
