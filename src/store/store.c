/* store.c - backend selection by URL, and the shared helpers of store.h. */
#include "store/store.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *store_strerror(int err) {
    return error_str(err);
}

/* 1 when s needs no escaping in JSON and is safe in any encoding. */
static int plain_id(const char *s) {
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

char *store_json_ids(const char *const *v, size_t n, int *plain) {
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 3;
    char *text = xmalloc(len), *p = text;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        int ok = plain_id(v[i]);
        if (plain)
            plain[i] = ok;
        size_t k = ok ? strlen(v[i]) : 0;
        *p++ = '"';
        memcpy(p, v[i], k);
        p += k;
        *p++ = '"';
        if (i + 1 < n)
            *p++ = ',';
    }
    *p++ = ']';
    *p = '\0';
    return text;
}

void idem_record_clear(struct idem_record *r) {
    free(r->body);
    r->body = NULL;
}

void campaign_page_clear(struct campaign_page *p) {
    for (size_t i = 0; i < p->count; i++)
        campaign_clear(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->count = 0;
}

void recipient_page_clear(struct recipient_page *p) {
    for (size_t i = 0; i < p->count; i++)
        recipient_clear(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->count = 0;
}

void engine_campaign_clear(struct engine_campaign *c) {
    free(c->agent_id);
    free(c->config_json);
    free(c->schedule_json);
    c->agent_id = c->config_json = c->schedule_json = NULL;
}

void call_page_clear(struct call_page *p) {
    for (size_t i = 0; i < p->count; i++)
        call_clear(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->count = 0;
}

void message_page_clear(struct message_page *p) {
    for (size_t i = 0; i < p->count; i++)
        message_clear(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->count = 0;
}

void outbound_events_free(struct outbound_event *list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(list[i].url);
        free(list[i].body);
    }
    free(list);
}

void event_row_clear(struct event_row *e) {
    free(e->body);
    free(e->last_error);
    free(e->url);
    e->body = e->last_error = e->url = NULL;
}

void event_page_clear(struct event_page *p) {
    for (size_t i = 0; i < p->count; i++)
        event_row_clear(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->count = 0;
}

int store_open(const char *url, struct store **out, char *err, size_t errlen) {
    return store_open_with(url, NULL, out, err, errlen);
}

int store_open_with(const char *url, const struct store_options *opts, struct store **out,
                    char *err, size_t errlen) {
    static const struct store_options defaults = {0};
    if (!opts)
        opts = &defaults;
    if (strncmp(url, "sqlite:", 7) == 0)
        return store_sqlite_open(url + 7, opts, out, err, errlen);
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        return store_pg_open(url, opts, out, err, errlen);
    }
    snprintf(err, errlen, "unknown database URL (want sqlite:PATH or postgres://...): %s", url);
    return STORE_EIO;
}
