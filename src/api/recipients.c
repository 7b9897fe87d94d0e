/* recipients.c - the recipient resource: bulk upload (JSON or text/csv),
 * list in upload order, get one.
 *
 * Upload: every check that needs no lock runs first (count limit, number
 * syntax and numbering plan, params, duplicates within the request, the
 * carrier and lane of each number); then one store transaction re-checks
 * the campaign's state, inserts the accepted rows (the unique index turns
 * numbers already in the campaign into duplicates) and moves the counters.
 * The answer lists rejections in request order, at most 1,000.
 *
 * Per row, nothing is allocated on its own: numbers are borrowed from the
 * parsed JSON (a CSV's are copied into a string pool), zones from the
 * time-zone table, and the other texts the insert binds (params as compact
 * JSON, a region's zones, carrier, lane) go into one pool per upload,
 * consecutive rows sharing the same carrier and lane text. */
#include "api/app.h"
#include "api/carriers.h"
#include "api/effects.h"
#include "api/handlers.h"
#include "api/paging.h"
#include "api/recipients.h"
#include "domain/render.h"
#include "domain/csv.h"
#include "domain/due.h"
#include "engine/engine.h"
#include "domain/recipient.h"
#include "domain/tzmap.h"
#include "domain/window.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/strpool.h"
#include "util/strset.h"
#include "util/utf8.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One row of the upload as read from JSON or CSV. */
struct upload_row {
    const char *phone; /* borrowed from the JSON tree or upload.text; NULL when
                          absent or not a string */
    size_t phone_len;
    json_t *params; /* owned reference, may be NULL */
    int params_bad; /* the row's params cannot be used */
    enum reject_reason reason;
    char region[4];
};

struct upload {
    struct upload_row *rows;
    size_t n;
    struct strpool text; /* the CSV's numbers */
};

static void upload_free(struct upload *u) {
    for (size_t i = 0; i < u->n; i++)
        json_decref(u->rows[i].params);
    free(u->rows);
    strpool_free(&u->text);
}

static int too_many(struct request *req, size_t n) {
    reply_error(req, 422, "too_many_recipients", "recipients",
                "at most %d recipients a request, got %zu%s", RECIPIENT_MAX_PER_UPLOAD, n,
                n > RECIPIENT_MAX_PER_UPLOAD ? "" : " or more");
    return -1;
}

static int read_json(struct request *req, struct upload *u) {
    json_t *list = req->json ? json_object_get(req->json, "recipients") : NULL;
    if (!list || !json_is_array(list)) {
        reply_error(req, 422, "invalid_argument", "recipients",
                    "recipients must be an array of {phone_number, params}");
        return -1;
    }
    static const char *const known[] = {"recipients", NULL};
    if (reply_if_unknown_field(req, known))
        return -1;
    if (json_array_size(list) > RECIPIENT_MAX_PER_UPLOAD)
        return too_many(req, json_array_size(list));
    u->n = json_array_size(list);
    u->rows = xcalloc(u->n + 1, sizeof *u->rows);
    for (size_t i = 0; i < u->n; i++) {
        json_t *item = json_array_get(list, i);
        struct upload_row *r = &u->rows[i];
        json_t *phone = json_is_object(item) ? json_object_get(item, "phone_number") : NULL;
        if (json_is_string(phone)) {
            r->phone = json_string_value(phone);
            r->phone_len = json_string_length(phone);
        }
        json_t *params = json_is_object(item) ? json_object_get(item, "params") : NULL;
        if (params && !json_is_null(params)) {
            r->params = json_incref(params);
            r->params_bad = !recipient_params_valid(params);
        }
        if (json_is_object(item)) {
            const char *key;
            json_t *v;
            json_object_foreach(item, key, v) {
                if (strcmp(key, "phone_number") && strcmp(key, "params"))
                    r->params_bad = 1; /* an unknown key: the row is refused as a whole */
            }
        }
    }
    return 0;
}

static int read_csv(struct request *req, struct upload *u) {
    struct csv_reader rd;
    struct csv_record rec;
    char err[160];
    csv_reader_init(&rd, req->body.data ? req->body.data : "", req->body.len);
    csv_record_init(&rec);
    int rc = csv_read(&rd, &rec, err, sizeof err);
    if (rc <= 0) {
        csv_record_free(&rec);
        reply_error(req, 422, "invalid_argument", "csv", "%s",
                    rc == 0 ? "the CSV is empty: it needs a header row with phone_number" : err);
        return -1;
    }
    size_t ncols = rec.nfields, phone_col = (size_t)-1;
    char **names = xcalloc(ncols, sizeof *names);
    for (size_t i = 0; i < ncols; i++) {
        const char *name = csv_field(&rec, i);
        names[i] = xstrdup(name);
        /* trim blanks around header names, a common spreadsheet artefact */
        char *s = names[i];
        while (*s == ' ')
            memmove(s, s + 1, strlen(s));
        for (size_t n = strlen(s); n && s[n - 1] == ' ';)
            s[--n] = '\0';
        if (strcmp(names[i], "phone_number") == 0 && phone_col == (size_t)-1) {
            phone_col = i;
        } else if (!recipient_param_name_valid(names[i])) {
            char f[48];
            snprintf(f, sizeof f, "csv.header[%zu]", i);
            reply_error(req, 422, "invalid_argument", f,
                        "column names must be phone_number or template names "
                        "([A-Za-z_][A-Za-z0-9_]*, at most 64)");
            rc = -1;
            goto out;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(names[k], names[i]) == 0) {
                char f[48];
                snprintf(f, sizeof f, "csv.header[%zu]", i);
                reply_error(req, 422, "invalid_argument", f, "column %s appears twice", names[i]);
                rc = -1;
                goto out;
            }
        }
    }
    if (phone_col == (size_t)-1) {
        reply_error(req, 422, "invalid_argument", "csv.header",
                    "the header row needs a phone_number column");
        rc = -1;
        goto out;
    }
    size_t cap = 256;
    u->rows = xcalloc(cap, sizeof *u->rows);
    while ((rc = csv_read(&rd, &rec, err, sizeof err)) == 1) {
        if (u->n == RECIPIENT_MAX_PER_UPLOAD) {
            too_many(req, u->n + 1);
            rc = -1;
            goto out;
        }
        if (u->n == cap) {
            cap *= 2;
            u->rows = xrealloc(u->rows, cap * sizeof *u->rows);
        }
        struct upload_row *r = &u->rows[u->n++];
        memset(r, 0, sizeof *r);
        if (rec.nfields != ncols)
            r->params_bad = 1;
        if (phone_col < rec.nfields) {
            r->phone = strpool_add(&u->text, csv_field(&rec, phone_col), rec.len[phone_col]);
            r->phone_len = rec.len[phone_col];
        }
        if (ncols > 1 && !r->params_bad) {
            r->params = json_object();
            for (size_t i = 0; i < ncols && !r->params_bad; i++) {
                if (i == phone_col)
                    continue;
                if (rec.len[i] > RECIPIENT_MAX_PARAM_BYTES ||
                    !utf8_valid(csv_field(&rec, i), rec.len[i]))
                    r->params_bad = 1;
                else
                    json_object_set_new(r->params, names[i],
                                        json_stringn(csv_field(&rec, i), rec.len[i]));
            }
        }
    }
    if (rc < 0)
        reply_error(req, 422, "invalid_argument", "csv", "%s", err);
out:
    for (size_t i = 0; i < ncols; i++)
        free(names[i]);
    free(names);
    csv_record_free(&rec);
    return rc < 0 ? -1 : 0;
}

struct check_slice {
    struct upload_row *rows;
    size_t n;
};

static void *check_slice_run(void *arg) {
    struct check_slice *sl = arg;
    for (size_t i = 0; i < sl->n; i++) {
        struct upload_row *r = &sl->rows[i];
        r->reason =
            r->phone ? recipient_check_number(r->phone, r->phone_len, r->region) : REJECT_NOT_E164;
    }
    return NULL;
}

/* Checks every number against its numbering plan. The check is independent
 * per row (about 0.3 us on compiled plans, domain/phone_plan.cc), so a
 * large upload splits it with a second thread. */
static void check_numbers(struct upload *u) {
    struct check_slice all = {u->rows, u->n};
    pthread_t helper;
    if (u->n < 2000) {
        check_slice_run(&all);
        return;
    }
    struct check_slice second = {u->rows + u->n / 2, u->n - u->n / 2};
    struct check_slice first = {u->rows, u->n / 2};
    if (pthread_create(&helper, NULL, check_slice_run, &second) != 0) {
        check_slice_run(&all);
        return;
    }
    check_slice_run(&first);
    pthread_join(helper, NULL);
}

/* The rows to insert and the texts they point to (in text, or borrowed
 * from the request's tree and the time-zone table). */
struct staged {
    struct recipient_new *items;
    size_t *map; /* item -> row index */
    size_t n;
    struct strpool text;
};

/* s in g's pool; the previous row's copy when it is the same text (most
 * rows of an upload share their carrier, lane and zones). */
static const char *staged_text(struct staged *g, const char *prev, const char *s) {
    if (prev && strcmp(prev, s) == 0)
        return prev;
    return strpool_add(&g->text, s, strlen(s));
}

/* Routes every accepted row to its carrier and lane. */
static int route_rows(struct request *req, const struct campaign *c, struct upload *u,
                      struct staged *g) {
    struct lane_router router;
    int rc = lane_router_load(req->app->store, req->app->cfg, &router);
    if (rc)
        return rc;
    json_t *config = json_loads(c->config_json, 0, NULL);
    const char *prev_carrier = NULL, *prev_lane = NULL;
    for (size_t k = 0; k < g->n; k++) {
        char carrier[CARRIER_NAME_MAX + 1], lane[LANE_MAX + 1];
        lane_router_route(&router, c->channel, u->rows[g->map[k]].phone, config, carrier,
                          sizeof carrier, lane, sizeof lane);
        g->items[k].carrier = prev_carrier = staged_text(g, prev_carrier, carrier);
        g->items[k].lane = prev_lane = staged_text(g, prev_lane, lane);
    }
    json_decref(config);
    lane_router_free(&router);
    return 0;
}

/* Decides each accepted row's time zones, once, as it is stored: the
 * longest prefix of the number in the data table, else ICU's zones for the
 * number's region (several zones: the window must be open in all). */
static void zone_rows(struct request *req, struct upload *u, struct staged *g) {
    char last_region[4] = "";
    const char *last_zones = NULL;
    for (size_t k = 0; k < g->n; k++) {
        struct recipient_new *it = &g->items[k];
        /* borrowed from the table, which outlives the request */
        const char *z = tzmap_lookup(req->app->tzmap, u->rows[g->map[k]].phone);
        if (!z && it->region[0]) {
            if (strcmp(last_region, it->region) != 0) {
                char buf[4096];
                last_zones = tzmap_region_zones(it->region, buf, sizeof buf)
                                 ? strpool_add(&g->text, buf, strlen(buf))
                                 : NULL;
                memcpy(last_region, it->region, sizeof last_region);
            }
            z = last_zones;
        }
        it->zones = z;
    }
}

static void upload_release(void *p) {
    upload_free(p);
}

static void campaign_release(void *p) {
    campaign_clear(p);
}

static void staged_release(void *p) {
    struct staged *g = p;
    free(g->items);
    free(g->map);
    strpool_free(&g->text);
}

/* The params as compact JSON text in g's pool (NULL when empty): dumped
 * into a scratch buffer first, so a row costs no allocation of its own. */
static const char *params_text(struct staged *g, json_t *params) {
    if (!params || json_object_size(params) == 0)
        return NULL;
    char scratch[1024];
    size_t n = json_dumpb(params, scratch, sizeof scratch, JSON_COMPACT);
    if (n > 0 && n <= sizeof scratch)
        return strpool_add(&g->text, scratch, n);
    char *big = json_dumps(params, JSON_COMPACT);
    const char *out = big ? strpool_add(&g->text, big, strlen(big)) : NULL;
    free(big);
    return out;
}

/* Validates each row (duplicates within the request by a hash set) and
 * stages the good ones as items. */
static void stage_rows(struct upload *u, struct staged *g) {
    struct strset seen;
    strset_init(&seen, u->n);
    g->items = xcalloc(u->n + 1, sizeof *g->items);
    g->map = xcalloc(u->n + 1, sizeof *g->map);
    strpool_init(&g->text);
    check_numbers(u);
    for (size_t i = 0; i < u->n; i++) {
        struct upload_row *r = &u->rows[i];
        if (r->reason == REJECT_NONE && r->params_bad)
            r->reason = REJECT_INVALID_PARAMS;
        if (r->reason == REJECT_NONE && !strset_add(&seen, r->phone))
            r->reason = REJECT_DUPLICATE;
        if (r->reason != REJECT_NONE)
            continue;
        struct recipient_new *it = &g->items[g->n];
        ids_new("rcp_", it->id);
        it->phone_number = r->phone;
        it->params_json = params_text(g, r->params);
        memcpy(it->region, r->region, sizeof it->region);
        g->map[g->n++] = i;
    }
    strset_free(&seen);
}

/* The answer: counts and the first rejected rows. */
static void reply_upload(struct request *req, const struct upload *u, int64_t total) {
    size_t accepted = 0, invalid = 0, duplicates = 0, listed = 0;
    json_t *rejected = json_array();
    for (size_t i = 0; i < u->n; i++) {
        struct upload_row *r = &u->rows[i];
        if (r->reason == REJECT_NONE) {
            accepted++;
            continue;
        }
        if (r->reason == REJECT_DUPLICATE)
            duplicates++;
        else
            invalid++;
        if (listed++ < RECIPIENT_MAX_REJECTED_LISTED) {
            json_t *phone = r->phone && utf8_valid(r->phone, r->phone_len)
                                ? json_stringn(r->phone, r->phone_len)
                                : json_null();
            json_array_append_new(rejected, json_pack("{s:I, s:o, s:s}", "index", (json_int_t)i,
                                                      "phone_number", phone, "reason",
                                                      reject_reason_name(r->reason)));
        }
    }
    reply_json(req, 200,
               json_pack("{s:I, s:I, s:I, s:I, s:o, s:b}", "accepted", (json_int_t)accepted,
                         "invalid", (json_int_t)invalid, "duplicates", (json_int_t)duplicates,
                         "total", (json_int_t)total, "rejected", rejected, "rejected_truncated",
                         listed > RECIPIENT_MAX_REJECTED_LISTED));
    if (accepted)
        req->wake = ENGINE_CAMPAIGNS;
}

/* Everything it builds is request-scoped (request_defer), so each early
 * answer just returns. */
void recipients_upload(struct request *req) {
    struct store *st = req->app->store;
    struct campaign *c = request_alloc(req, 1, sizeof *c);
    request_defer(req, campaign_release, c);
    int rc = st->ops->campaign_get(st, req->account_id, req->params[0], c);
    if (reply_lookup_failed(req, rc, "campaign"))
        return;
    struct upload *u = request_alloc(req, 1, sizeof *u);
    request_defer(req, upload_release, u);
    int is_csv = req->content_type && strncasecmp(req->content_type, "text/csv", 8) == 0;
    if (!is_csv && !req->json) {
        reply_error(req, 400, "invalid_json", NULL, "body is not valid JSON at byte 0: empty body");
        return;
    }
    if ((is_csv ? read_csv(req, u) : read_json(req, u)) != 0)
        return;
    struct staged *g = request_alloc(req, 1, sizeof *g);
    request_defer(req, staged_release, g);
    stage_rows(u, g);
    zone_rows(req, u, g);
    rc = route_rows(req, c, u, g);
    if (rc) {
        reply_store_error(req, rc);
        return;
    }
    if (api_begin_effects(req) != 0)
        return;
    struct campaign *after = request_alloc(req, 1, sizeof *after);
    request_defer(req, campaign_release, after);
    rc = st->ops->recipients_insert(st, req->account_id, req->params[0], g->items, g->n,
                                    clock_now_ms(), after);
    if (rc == STORE_ENOTFOUND) {
        reply_not_found(req, "campaign");
    } else if (rc == STORE_ESTATE) {
        reply_error(req, 409, "campaign_closed", NULL,
                    "campaign is %s: recipients can no longer be added",
                    campaign_status_name(after->status));
    } else if (rc) {
        reply_store_error(req, rc);
    } else {
        for (size_t k = 0; k < g->n; k++)
            if (!g->items[k].inserted)
                u->rows[g->map[k]].reason = REJECT_DUPLICATE;
        reply_upload(req, u, after->counters.total);
    }
}

/* What decides when a queued recipient may next be attempted (domain/due.c;
 * a campaign past running has none of it). */
static int load_rules(struct request *req, struct due_rules *out) {
    struct campaign c;
    int rc =
        req->app->store->ops->campaign_get(req->app->store, req->account_id, req->params[0], &c);
    if (rc)
        return rc;
    json_t *config = json_loads(c.config_json, 0, NULL);
    memset(out, 0, sizeof *out);
    out->start_at =
        c.status == CAMPAIGN_RUNNING || c.status == CAMPAIGN_DRAFT || c.status == CAMPAIGN_PAUSED
            ? c.start_at
            : 0;
    out->has_window = window_from_json(json_object_get(config, "call_window"), &out->window);
    json_decref(config);
    campaign_clear(&c);
    return 0;
}

/* next_attempt_at: for a queued recipient, the instant due.c answers when
 * it lies ahead; 0 (null) when that is now, or when it is not queued. */
static int64_t next_attempt_at(const struct recipient *r, const struct due_rules *rules,
                               int64_t now) {
    if (r->status != RECIPIENT_QUEUED)
        return 0;
    int64_t at = due_earliest(rules, r->due_at, r->zones, now);
    return at > now ? at : 0;
}

int recipients_parse_filter(struct request *req, struct recipient_filter *f) {
    memset(f, 0, sizeof *f);
    const char *status = paging_query(req, "status");
    const char *disposition = paging_query(req, "disposition");
    if (status) {
        if (recipient_status_parse(status, &f->status) != 0) {
            reply_error(req, 400, "invalid_argument", "status",
                        "status must be queued, dispatched, succeeded or failed");
            return -1;
        }
        f->has_status = 1;
    }
    if (disposition) {
        if (disposition_parse(disposition, &f->disposition) != 0) {
            reply_error(req, 400, "invalid_argument", "disposition", "unknown disposition %s",
                        disposition);
            return -1;
        }
        f->has_disposition = 1;
    }
    return 0;
}

void recipients_list(struct request *req) {
    struct recipient_filter f;
    if (recipients_parse_filter(req, &f) != 0)
        return;
    char filters[160];
    snprintf(filters, sizeof filters, "campaign=%s&status=%s&disposition=%s", req->params[0],
             f.has_status ? recipient_status_name(f.status) : "",
             f.has_disposition ? disposition_name(f.disposition) : "");
    struct paging p;
    if (paging_parse(req, "recipients", filters, &p) != 0)
        return;
    struct recipient_page page;
    int rc = req->app->store->ops->recipient_list(req->app->store, req->account_id, req->params[0],
                                                  &f, p.cursor, p.limit, &page);
    if (reply_lookup_failed(req, rc, "campaign"))
        return;
    struct due_rules rules;
    rc = load_rules(req, &rules);
    if (rc) {
        recipient_page_clear(&page);
        reply_store_error(req, rc);
        return;
    }
    json_t *data = json_array();
    int64_t now = clock_now_ms();
    for (size_t i = 0; i < page.count; i++)
        json_array_append_new(
            data, render_recipient(&page.items[i], next_attempt_at(&page.items[i], &rules, now)));
    paging_reply(req, &p, data, page.more, page.count ? page.items[page.count - 1].seq : 0);
    recipient_page_clear(&page);
}

void recipients_get(struct request *req) {
    struct recipient r;
    int rc = req->app->store->ops->recipient_get(req->app->store, req->account_id, req->params[0],
                                                 req->params[1], &r);
    if (reply_lookup_failed(req, rc, "recipient"))
        return;
    struct due_rules rules;
    rc = load_rules(req, &rules);
    if (rc)
        reply_store_error(req, rc);
    else
        reply_json(req, 200, render_recipient(&r, next_attempt_at(&r, &rules, clock_now_ms())));
    recipient_clear(&r);
}
