/* ctl.h - what every campaignctl command shares: the settings (server URL
 * and API key, from flags or CAMPAIGND_URL / CAMPAIGND_API_KEY), the HTTP
 * calls to campaignd (libcurl, one easy handle kept alive across calls),
 * and the one-line error convention: every failure prints exactly one line
 * "campaignctl: ..." on stderr (for an API error, its status, code and
 * message) and the command exits non-zero.
 * Single-threaded. */
#ifndef CAMPAIGNCTL_CTL_H
#define CAMPAIGNCTL_CTL_H

#include "util/buf.h"

#include <jansson.h>
#include <stddef.h>

/* The settings part of every command's --help. */
#define CTL_SETTINGS_HELP                                                                          \
    "\nSettings (every command):\n"                                                                \
    "  --url URL        campaignd's base URL (env CAMPAIGND_URL, default "                         \
    "http://127.0.0.1:8080)\n"                                                                     \
    "  --api-key KEY    the account's API key (env CAMPAIGND_API_KEY)\n"                           \
    "  -h, --help       this help\n"

/* Exit statuses. */
enum { CTL_OK = 0, CTL_FAILED = 1, CTL_USAGE = 2 };

struct ctl {
    const char *url;     /* base URL, no trailing slash needed */
    const char *api_key; /* may be NULL until a command needs it */
    void *curl;          /* CURL *, created on first use */
    int err_tty;         /* stderr is a terminal */
};

struct ctl_response {
    long status;
    struct buf body;
    int replayed;     /* Idempotent-Replayed: true */
    long retry_after; /* seconds, 0 = none */
};
void ctl_response_free(struct ctl_response *r);

/* Prints "campaignctl: " and the message as one line on stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line for an API error answer: "<context>: HTTP 404 not_found: no such
 * campaign (field status)"; context may be NULL. */
void ctl_api_error(const char *context, const struct ctl_response *r);

/* path with one campaign id segment URL-escaped: fmt has one %s. New
 * string. */
char *ctl_path(const char *fmt, const char *id);

/* Sends one request (body NULL: none) and reads the whole answer. 503 and
 * 429 are retried a few times, after Retry-After. 0 with *out filled (any
 * status), or -1 after printing the transport failure. */
int ctl_request(struct ctl *c, const char *method, const char *path, const char *content_type,
                const char *body, size_t len, const char *idem_key, struct ctl_response *out);
/* A JSON call: body (borrowed, may be NULL) sent as JSON; on a 2xx answer
 * *out (may be NULL) gets the parsed answer (new reference) and it returns
 * 0; otherwise it prints the error line (context first) and returns -1. */
int ctl_json(struct ctl *c, const char *method, const char *path, json_t *body, const char *context,
             json_t **out);

/* Streams a GET's 200 body to fd as it arrives (decompressing gzip). 0, or
 * -1 after printing the error (an API error, a transport failure, a body
 * cut short, a failed write). */
int ctl_download(struct ctl *c, const char *path, int fd, const char *context);

void ctl_close(struct ctl *c);

/* Commands: argc/argv start at the command's name. Each answers its exit
 * status. */
int cmd_upload(struct ctl *c, int argc, char **argv);
int cmd_watch(struct ctl *c, int argc, char **argv);
int cmd_export(struct ctl *c, int argc, char **argv);
int cmd_create(struct ctl *c, int argc, char **argv);
int cmd_move(struct ctl *c, int argc, char **argv); /* start, pause, resume, cancel */
int cmd_ls(struct ctl *c, int argc, char **argv);

/* Option parsing shared by the commands: the settings flags every command
 * takes (--url, --api-key, --help). */
struct ctl_opt {
    const char *name; /* long name without "--" */
    int has_arg;
    const char **value; /* where the argument goes (has_arg), else NULL */
    int *flag;          /* set to 1 (no argument), else NULL */
};
/* Parses argv[1..] against opts (NULL-name terminated) plus --url,
 * --api-key and --help/-h; positional arguments are collected in pos
 * (at most maxpos). Returns the count of positionals, -1 after printing a
 * usage error, or -2 when --help was asked (usage printed to stdout). */
int ctl_parse(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, const char *usage,
              const char **pos, int maxpos);
/* Checks that an API key is set; prints the error and returns -1 if not. */
int ctl_need_key(struct ctl *c);
/* A command's start: ctl_parse, then exactly want positionals (needs, e.g.
 * "CAMPAIGN and FILE.csv", names them in the error) and an API key.
 * Answers -1 to go on, else the exit status (CTL_OK after --help,
 * CTL_USAGE after the error line). */
int ctl_command_args(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts,
                     const char *usage, const char **pos, int want, const char *needs);

#endif
