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
#include "domain/recipient_csv.h"
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
    "usage: campaignctl upload CAMPAIGN FILE.csv [--chunk-rows N] [--rejects FILE]\n"
    "\n"
    "Adds the recipients of a CSV file (RFC 4180: a header row with phone_number\n"
    "and any other columns, which become params) to a campaign, 10,000 rows a\n"
    "request. Each request carries an Idempotency-Key derived from the campaign,\n"
    "the file's content and the chunk's index: run the same command again after\n"
    "a break and it resumes, adding nothing twice.\n"
    "\n"
    "  --chunk-rows N   rows a request, 1..10000 (default 10000)\n"
    "  --rejects FILE   write the refused rows there as CSV: row (in the file,\n"
    "                   1 = the first after the header), phone_number, reason\n"
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

/* One upload under way. */
struct upload_job {
    struct ctl *c;
    const char *path, *campaign, *hash;
    struct mapped m;
    struct upload_plan plan;
    size_t chunk_rows;
    struct upload_progress p;
    long long total;   /* the campaign's, after the last chunk */
    FILE *rejects;     /* --rejects, or NULL */
    size_t cut_chunks; /* chunks whose rejections the server listed only in part */
};

/* Appends a chunk's rejected rows to the rejects file: the row's number in
 * the file (1-based, after the header), its phone_number and the reason. */
static void write_rejects(struct upload_job *j, const struct upload_chunk *ch, json_t *doc) {
    size_t i;
    json_t *item;
    struct buf line;
    buf_init(&line, 1 << 20);
    json_array_foreach(json_object_get(doc, "rejected"), i, item) {
        json_t *index = json_object_get(item, "index");
        const char *phone = json_string_value(json_object_get(item, "phone_number"));
        const char *reason = json_string_value(json_object_get(item, "reason"));
        if (!json_is_integer(index))
            continue;
        buf_reset(&line);
        buf_printf(&line, "%zu,", ch->first_row + (size_t)json_integer_value(index));
        if (phone)
            csv_append_field(&line, phone, strlen(phone));
        buf_printf(&line, ",%s\r\n", reason ? reason : "");
        fwrite(line.data, 1, line.len, j->rejects);
    }
    buf_free(&line);
    if (json_is_true(json_object_get(doc, "rejected_truncated")))
        j->cut_chunks++;
}

/* Sends chunk i and adds its answer to the progress. 0, or -1 after the
 * error line. */
static int send_chunk(struct upload_job *j, size_t i) {
    const struct upload_chunk *ch = &j->plan.chunks[i];
    size_t len = j->plan.header_len + (ch->end - ch->start);
    char *body = xmalloc(len);
    memcpy(body, j->m.data, j->plan.header_len);
    memcpy(body + j->plan.header_len, j->m.data + ch->start, ch->end - ch->start);
    char key[UPLOAD_KEY_LEN + 1], context[128];
    upload_chunk_key(j->campaign, j->hash, j->chunk_rows, i, key);
    snprintf(context, sizeof context, "upload: chunk %zu/%zu (rows %zu-%zu)", i + 1,
             j->plan.nchunks, ch->first_row, ch->first_row + ch->rows - 1);
    struct ctl_response r;
    int rc = ctl_request(j->c, "POST", j->path, "text/csv", body, len, key, &r);
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
    j->total = answer_count(doc, "total");
    if (j->rejects && acc >= 0)
        write_rejects(j, ch, doc);
    json_decref(doc);
    struct upload_progress *p = &j->p;
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
    p->chunks_replayed += p->last_replayed ? 1 : 0;
    return 0;
}

/* The chunks, one after another, with the progress shown. 0, or -1 after
 * the error line. */
static int send_all(struct upload_job *j) {
    int tty = isatty(STDERR_FILENO);
    uint64_t t0 = clock_mono_ns();
    if (tty)
        show(&j->p, tty);
    for (size_t i = 0; i < j->plan.nchunks; i++) {
        int rc = send_chunk(j, i);
        j->p.elapsed_s = (double)(clock_mono_ns() - t0) / 1e9;
        if (rc != 0) {
            if (tty)
                fputc('\n', stderr); /* the error on a line of its own */
            return -1;
        }
        show(&j->p, tty);
    }
    if (tty)
        fputc('\n', stderr);
    return 0;
}

int cmd_upload(struct ctl *c, int argc, char **argv) {
    const char *pos[2], *rows_opt = NULL, *rejects_opt = NULL;
    const struct ctl_opt opts[] = {{"chunk-rows", 1, &rows_opt, NULL},
                                   {"rejects", 1, &rejects_opt, NULL},
                                   {NULL, 0, NULL, NULL}};
    int done = ctl_command_args(c, argc, argv, opts, usage, pos, 2, "CAMPAIGN and FILE.csv");
    if (done >= 0)
        return done;
    struct upload_job j = {.c = c, .campaign = pos[0], .chunk_rows = UPLOAD_CHUNK_ROWS};
    const char *file = pos[1];
    if (rows_opt) {
        char *end;
        long v = strtol(rows_opt, &end, 10);
        if (*end || end == rows_opt || v < 1 || v > UPLOAD_CHUNK_ROWS) {
            ctl_error("upload: --chunk-rows must be 1..%d", UPLOAD_CHUNK_ROWS);
            return CTL_USAGE;
        }
        j.chunk_rows = (size_t)v;
    }
    if (map_file(file, &j.m) != 0)
        return CTL_FAILED;
    int status = CTL_FAILED;
    char err[256], hash[65];
    char *path = NULL;
    if (upload_plan_make(j.m.data, j.m.len, j.chunk_rows, 0, &j.plan, err, sizeof err) != 0) {
        ctl_error("upload: %s: %s", file, err);
        goto out;
    }
    crypto_sha256_hex(j.m.data, j.m.len, hash);
    j.hash = hash;

    /* the campaign first: a wrong id is one clear error before any chunk */
    path = ctl_path("/v1/campaigns/%s", j.campaign);
    json_t *before = NULL;
    if (ctl_json(c, "GET", path, NULL, "upload", &before) != 0)
        goto out;
    json_t *t = json_object_get(json_object_get(before, "counters"), "total");
    j.total = json_is_integer(t) ? (long long)json_integer_value(t) : -1;
    json_decref(before);
    if (rejects_opt) {
        j.rejects = fopen(rejects_opt, "w");
        if (!j.rejects) {
            ctl_error("upload: cannot write %s: %s", rejects_opt, strerror(errno));
            goto out;
        }
        fputs("row,phone_number,reason\r\n", j.rejects);
    }
    free(path);
    path = ctl_path("/v1/campaigns/%s/recipients", j.campaign);
    j.path = path;
    j.p.rows_total = j.plan.rows;
    j.p.chunks_total = j.plan.nchunks;
    if (send_all(&j) != 0)
        goto out;
    if (j.rejects && fclose(j.rejects) != 0) {
        j.rejects = NULL;
        ctl_error("upload: cannot write %s: %s", rejects_opt, strerror(errno));
        goto out;
    }
    j.rejects = NULL;
    const struct upload_progress *p = &j.p;
    printf("uploaded %s to %s: %llu rows, accepted %llu, invalid %llu, duplicates %llu "
           "(%zu chunks, %zu already uploaded); campaign total %lld\n",
           file, j.campaign, (unsigned long long)p->rows_done, (unsigned long long)p->accepted,
           (unsigned long long)p->invalid, (unsigned long long)p->duplicates, p->chunks_done,
           p->chunks_replayed, j.total);
    if (j.cut_chunks)
        printf("%s lists the first 1,000 rejected rows of each request: %zu requests had "
               "more\n",
               rejects_opt, j.cut_chunks);
    status = CTL_OK;
out:
    if (j.rejects)
        fclose(j.rejects);
    free(path);
    upload_plan_free(&j.plan);
    munmap((void *)j.m.data, j.m.len);
    return status;
}
