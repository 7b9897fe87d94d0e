/* upload.c - `campaignctl upload CAMPAIGN FILE.csv`: maps the file, plans
 * its chunks (upload_plan.c), checks the campaign, then POSTs each chunk
 * as text/csv (the header row in front) with its derived Idempotency-Key,
 * one after another. A rerun after a break sends the same keys: chunks the
 * server already took are replayed (their first answer, nothing added
 * again), the rest are added, so the totals come out as if there had been
 * no break. Progress goes to stderr: a bar redrawn in place on a terminal,
 * one plain line per chunk otherwise; the summary goes to stdout. */
#include "ctl/ctl.h"
#include "ctl/progress.h"
#include "ctl/upload_plan.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: campaignctl upload CAMPAIGN FILE.csv [--chunk-rows N]\n"
    "\n"
    "Adds the recipients of a CSV file (RFC 4180: a header row with phone_number\n"
    "and any other columns, which become params) to a campaign, 10,000 rows a\n"
    "request. Each request carries an Idempotency-Key derived from the campaign,\n"
    "the file's content and the chunk's index: run the same command again after\n"
    "a break and it resumes, adding nothing twice.\n"
    "\n"
    "  --chunk-rows N   rows a request, 1..10000 (default 10000)\n"
    "\n"
    "On a terminal stderr shows a progress bar (rows/s, accepted, invalid and\n"
    "duplicate rows so far, ETA); otherwise one line per chunk. The summary\n"
    "goes to stdout.\n" CTL_SETTINGS_HELP;

struct mapped {
    const char *data;
    size_t len;
};

static int map_file(const char *path, struct mapped *m) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ctl_error("upload: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ctl_error("upload: %s is not a regular file", path);
        close(fd);
        return -1;
    }
    m->len = (size_t)st.st_size;
    if (m->len == 0) {
        ctl_error("upload: %s is empty: it needs a header row with phone_number", path);
        close(fd);
        return -1;
    }
    void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        ctl_error("upload: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    m->data = p;
    return 0;
}

static int terminal_width(void) {
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static void show(const struct upload_progress *p, int tty) {
    char line[512];
    if (tty) {
        int w = terminal_width();
        progress_bar(p, w - 1, line, sizeof line);
        fprintf(stderr, "\r%s\033[K", line);
    } else {
        progress_line(p, line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

static long long answer_count(json_t *doc, const char *name) {
    json_t *v = json_object_get(doc, name);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* Sends one chunk and adds its answer to p. 0, or -1 after the error line. */
static int send_chunk(struct ctl *c, const char *path, const char *campaign, const char *hash,
                      const struct mapped *m, const struct upload_plan *plan, size_t i,
                      size_t chunk_rows, struct upload_progress *p, long long *total) {
    const struct upload_chunk *ch = &plan->chunks[i];
    size_t len = plan->header_len + (ch->end - ch->start);
    char *body = xmalloc(len + 2);
    memcpy(body, m->data, plan->header_len);
    memcpy(body + plan->header_len, m->data + ch->start, ch->end - ch->start);
    char key[UPLOAD_KEY_LEN + 1], context[128];
    upload_chunk_key(campaign, hash, chunk_rows, i, key);
    snprintf(context, sizeof context, "upload: chunk %zu/%zu (rows %zu-%zu)", i + 1, plan->nchunks,
             ch->first_row, ch->first_row + ch->rows - 1);
    struct ctl_response r;
    int rc = ctl_request(c, "POST", path, "text/csv", body, len, key, &r);
    free(body);
    if (rc)
        return -1;
    if (r.status != 200) {
        ctl_api_error(context, &r);
        ctl_response_free(&r);
        return -1;
    }
    json_t *doc = json_loadb(r.body.data, r.body.len, 0, NULL);
    long long acc = answer_count(doc, "accepted"), inv = answer_count(doc, "invalid"),
              dup = answer_count(doc, "duplicates");
    *total = answer_count(doc, "total");
    json_decref(doc);
    p->last_replayed = r.replayed;
    ctl_response_free(&r);
    if (acc < 0 || inv < 0 || dup < 0) {
        ctl_error("%s: the server's answer lacks accepted/invalid/duplicates", context);
        return -1;
    }
    p->accepted += (uint64_t)acc;
    p->invalid += (uint64_t)inv;
    p->duplicates += (uint64_t)dup;
    p->rows_done += ch->rows;
    p->chunks_done++;
    p->chunks_replayed += r.replayed ? 1 : 0;
    return 0;
}

int cmd_upload(struct ctl *c, int argc, char **argv) {
    const char *pos[2], *rows_opt = NULL;
    const struct ctl_opt opts[] = {{"chunk-rows", 1, &rows_opt, NULL}, {NULL, 0, NULL, NULL}};
    int done = ctl_command_args(c, argc, argv, opts, usage, pos, 2, "CAMPAIGN and FILE.csv");
    if (done >= 0)
        return done;
    size_t chunk_rows = UPLOAD_CHUNK_ROWS;
    if (rows_opt) {
        char *end;
        long v = strtol(rows_opt, &end, 10);
        if (*end || end == rows_opt || v < 1 || v > UPLOAD_CHUNK_ROWS) {
            ctl_error("upload: --chunk-rows must be 1..%d", UPLOAD_CHUNK_ROWS);
            return CTL_USAGE;
        }
        chunk_rows = (size_t)v;
    }
    const char *campaign = pos[0], *file = pos[1];

    struct mapped m;
    if (map_file(file, &m) != 0)
        return CTL_FAILED;
    int status = CTL_FAILED;
    struct upload_plan plan;
    char err[256];
    char *path = NULL;
    if (upload_plan_make(m.data, m.len, chunk_rows, 0, &plan, err, sizeof err) != 0) {
        ctl_error("upload: %s: %s", file, err);
        goto out_unmap;
    }
    char hash[65];
    crypto_sha256_hex(m.data, m.len, hash);

    /* the campaign first: a wrong id is one clear error before any chunk */
    path = ctl_path("/v1/campaigns/%s", campaign);
    json_t *before = NULL;
    if (ctl_json(c, "GET", path, NULL, "upload", &before) != 0)
        goto out;
    json_t *t = json_object_get(json_object_get(before, "counters"), "total");
    long long total = json_is_integer(t) ? (long long)json_integer_value(t) : -1;
    json_decref(before);
    free(path);
    path = ctl_path("/v1/campaigns/%s/recipients", campaign);

    int tty = isatty(STDERR_FILENO);
    struct upload_progress p = {.rows_total = plan.rows, .chunks_total = plan.nchunks};
    uint64_t t0 = clock_mono_ns();
    if (tty)
        show(&p, tty);
    for (size_t i = 0; i < plan.nchunks; i++) {
        int rc = send_chunk(c, path, campaign, hash, &m, &plan, i, chunk_rows, &p, &total);
        p.elapsed_s = (double)(clock_mono_ns() - t0) / 1e9;
        if (rc != 0) {
            if (tty)
                fputc('\n', stderr); /* the error on a line of its own */
            goto out;
        }
        show(&p, tty);
    }
    if (tty)
        fputc('\n', stderr);
    printf("uploaded %s to %s: %llu rows, accepted %llu, invalid %llu, duplicates %llu "
           "(%zu chunks, %zu already uploaded); campaign total %lld\n",
           file, campaign, (unsigned long long)p.rows_done, (unsigned long long)p.accepted,
           (unsigned long long)p.invalid, (unsigned long long)p.duplicates, p.chunks_done,
           p.chunks_replayed, total);
    status = CTL_OK;
out:
    free(path);
    upload_plan_free(&plan);
out_unmap:
    munmap((void *)m.data, m.len);
    return status;
}
