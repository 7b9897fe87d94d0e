/* http.c - campaignctl's HTTP calls to campaignd over one libcurl easy
 * handle (connections kept alive between calls), and its error lines; see
 * ctl.h. Answers are read into a capped buffer, except downloads, which
 * go to a file descriptor as they arrive. */
#include "ctl/ctl.h"
#include "util/alloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_ANSWER (64u * 1024 * 1024)
#define MAX_RETRIES 5
#define MAX_RETRY_WAIT_S 30

void ctl_error(const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* one line, whatever the server or the system said */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "campaignctl: %s\n", msg);
}

void ctl_api_error(const char *context, const struct ctl_response *r) {
    json_t *doc = r->body.data ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
    json_t *err = json_object_get(doc, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *message = json_string_value(json_object_get(err, "message"));
    const char *field = json_string_value(json_object_get(err, "field"));
    char where[256] = "";
    if (context)
        snprintf(where, sizeof where, "%s: ", context);
    if (code)
        ctl_error("%sHTTP %ld %s: %s%s%s%s", where, r->status, code, message ? message : "",
                  field ? " (field " : "", field ? field : "", field ? ")" : "");
    else
        ctl_error("%sHTTP %ld from the server, not an API answer: %.200s", where, r->status,
                  r->body.data ? r->body.data : "");
    json_decref(doc);
}

void ctl_response_free(struct ctl_response *r) {
    buf_free(&r->body);
}

char *ctl_path(const char *fmt, const char *id) {
    char *esc = curl_easy_escape(NULL, id, 0);
    char *path = xasprintf(fmt, esc ? esc : "");
    curl_free(esc);
    return path;
}

static CURL *handle(struct ctl *c) {
    if (!c->curl) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        c->curl = curl_easy_init();
        if (!c->curl) {
            ctl_error("cannot start libcurl");
            exit(CTL_FAILED);
        }
    }
    curl_easy_reset(c->curl); /* keeps the connection cache */
    return c->curl;
}

void ctl_close(struct ctl *c) {
    if (c->curl) {
        curl_easy_cleanup(c->curl);
        curl_global_cleanup();
        c->curl = NULL;
    }
}

static size_t to_buf(char *data, size_t size, size_t n, void *cls) {
    struct buf *b = cls;
    return buf_append(b, data, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *cls) {
    struct ctl_response *r = cls;
    size_t len = size * n;
    char line[256];
    size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, data, k);
    line[k] = '\0';
    if (strncasecmp(line, "Idempotent-Replayed:", 20) == 0 && strstr(line + 20, "true"))
        r->replayed = 1;
    if (strncasecmp(line, "Retry-After:", 12) == 0)
        r->retry_after = strtol(line + 12, NULL, 10);
    if (strncmp(line, "HTTP/", 5) == 0) { /* a new answer (after a redirect or 100) */
        r->replayed = 0;
        r->retry_after = 0;
    }
    return len;
}

/* The options every request shares. */
static struct curl_slist *setup(struct ctl *c, CURL *h, const char *method, const char *path,
                                const char *content_type, const char *idem_key, char *url,
                                size_t url_size, char *errbuf) {
    size_t n = strlen(c->url);
    while (n && c->url[n - 1] == '/')
        n--;
    snprintf(url, url_size, "%.*s%s", (int)n, c->url, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "campaignctl/1");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a server silent for a minute */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *hdrs = NULL;
    char line[512];
    if (c->api_key) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", c->api_key);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (idem_key) {
        snprintf(line, sizeof line, "Idempotency-Key: %s", idem_key);
        hdrs = curl_slist_append(hdrs, line);
    }
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    return hdrs;
}

static void transport_error(const char *url, CURLcode rc, const char *errbuf) {
    ctl_error("cannot reach %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

int ctl_request(struct ctl *c, const char *method, const char *path, const char *content_type,
                const char *body, size_t len, const char *idem_key, struct ctl_response *out) {
    for (int attempt = 0;; attempt++) {
        memset(out, 0, sizeof *out);
        buf_init(&out->body, MAX_ANSWER);
        CURL *h = handle(c);
        char url[2048], errbuf[CURL_ERROR_SIZE] = "";
        struct curl_slist *hdrs =
            setup(c, h, method, path, content_type, idem_key, url, sizeof url, errbuf);
        if (body) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        }
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
        CURLcode rc = curl_easy_perform(h);
        curl_slist_free_all(hdrs);
        if (rc != CURLE_OK) {
            transport_error(url, rc, errbuf);
            ctl_response_free(out);
            return -1;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
        if ((out->status != 503 && out->status != 429) || attempt == MAX_RETRIES)
            return 0;
        long wait = out->retry_after > 0 ? out->retry_after : 1L << attempt;
        if (wait > MAX_RETRY_WAIT_S)
            wait = MAX_RETRY_WAIT_S;
        ctl_response_free(out);
        sleep((unsigned)wait);
    }
}

int ctl_json(struct ctl *c, const char *method, const char *path, json_t *body, const char *context,
             json_t **out) {
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct ctl_response r;
    int rc = ctl_request(c, method, path, text ? "application/json" : NULL, text,
                         text ? strlen(text) : 0, NULL, &r);
    free(text);
    if (rc)
        return -1;
    if (r.status < 200 || r.status > 299) {
        ctl_api_error(context, &r);
        ctl_response_free(&r);
        return -1;
    }
    json_t *doc = NULL;
    if (out) {
        json_error_t e;
        doc = r.body.len ? json_loadb(r.body.data, r.body.len, 0, &e) : json_object();
        if (!doc) {
            ctl_error("%s%sthe server's answer is not JSON: %s", context ? context : "",
                      context ? ": " : "", e.text);
            ctl_response_free(&r);
            return -1;
        }
        *out = doc;
    }
    ctl_response_free(&r);
    return 0;
}

struct download {
    CURL *h;
    int fd;
    long status;
    int write_errno;  /* the write to fd failed */
    struct buf error; /* a non-200 answer's body */
};

static size_t to_fd(char *data, size_t size, size_t n, void *cls) {
    struct download *d = cls;
    size_t len = size * n;
    if (!d->status)
        curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &d->status);
    if (d->status != 200)
        return buf_append(&d->error, data, len) == 0 ? len : 0;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(d->fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            d->write_errno = w < 0 ? errno : EIO;
            return 0;
        }
        off += (size_t)w;
    }
    return len;
}

int ctl_download(struct ctl *c, const char *path, int fd, const char *context) {
    struct download d = {.fd = fd};
    buf_init(&d.error, 1 << 20);
    d.h = handle(c);
    char url[2048], errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = setup(c, d.h, "GET", path, NULL, NULL, url, sizeof url, errbuf);
    curl_easy_setopt(d.h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip, decoded as it comes */
    curl_easy_setopt(d.h, CURLOPT_WRITEFUNCTION, to_fd);
    curl_easy_setopt(d.h, CURLOPT_WRITEDATA, &d);
    CURLcode rc = curl_easy_perform(d.h);
    curl_slist_free_all(hdrs);
    int result = -1;
    if (d.write_errno == EPIPE) {
        result = 0; /* the reader had enough (| head): stop, as cat would */
    } else if (d.write_errno) {
        ctl_error("%s: cannot write the output: %s", context, strerror(d.write_errno));
    } else if (rc != CURLE_OK && d.status == 200) {
        ctl_error("%s: the download was cut short (%s): the output is incomplete", context,
                  errbuf[0] ? errbuf : curl_easy_strerror(rc));
    } else if (rc != CURLE_OK) {
        transport_error(url, rc, errbuf);
    } else {
        if (!d.status)
            curl_easy_getinfo(d.h, CURLINFO_RESPONSE_CODE, &d.status);
        if (d.status == 200) {
            result = 0;
        } else {
            struct ctl_response r = {.status = d.status, .body = d.error};
            ctl_api_error(context, &r);
        }
    }
    buf_free(&d.error);
    return result;
}
