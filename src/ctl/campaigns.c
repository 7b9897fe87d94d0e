/* campaigns.c - the campaign commands of campaignctl: create, the
 * lifecycle moves (start, pause, resume, cancel) and ls. Each is one or a
 * few JSON calls; what they print on stdout is meant for people and for
 * scripts alike (create prints the new id alone). */
#include "ctl/ctl.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char create_usage[] =
    "usage: campaignctl create --name NAME --agent-id AGENT [options]\n"
    "\n"
    "Creates a campaign (in draft) and prints its id.\n"
    "\n"
    "  --name NAME          1..200 characters\n"
    "  --agent-id AGENT     the AI agent that talks to recipients\n"
    "  --channel C          voice (default), sms or whatsapp\n"
    "  --caller-id E164     voice: config.caller_id\n"
    "  --from SENDER        sms: config.from\n"
    "  --body TEXT          sms: config.body ({{name}} takes params.name)\n"
    "  --config JSON        the whole config object (or @FILE); the flags above\n"
    "                       set their keys in it\n"
    "  --retry-policy JSON  voice retry policy (or @FILE), e.g.\n"
    "                       '{\"max_attempts\":3,\"delay_seconds\":600}'\n"
    "  --schedule JSON      schedule (or @FILE), e.g. '{\"start_at\":\"...\"}'\n"
    "  --idempotency-key K  sent as Idempotency-Key: a rerun with the same key\n"
    "                       creates nothing new and prints the same id\n" CTL_SETTINGS_HELP;

static const char move_usage[] =
    "usage: campaignctl start|pause|resume|cancel CAMPAIGN\n"
    "\n"
    "Moves a campaign: start (draft -> running), pause (running -> paused),\n"
    "resume (paused -> running), cancel (draft, running or paused -> cancelled:\n"
    "every queued recipient fails as cancelled). Prints the id and the new\n"
    "status.\n" CTL_SETTINGS_HELP;

static const char ls_usage[] =
    "usage: campaignctl ls [--status S] [--channel C] [--limit N]\n"
    "\n"
    "Lists the account's campaigns, newest first: id, status, channel, total,\n"
    "finished (succeeded + failed), succeeded, failed and name.\n"
    "\n"
    "  --status S    draft, running, paused, completed or cancelled\n"
    "  --channel C   voice, sms or whatsapp\n"
    "  --limit N     at most N campaigns (default: all)\n" CTL_SETTINGS_HELP;

/* A JSON flag's value: the text itself, or @FILE's content. New
 * reference, or NULL after the error line. */
static json_t *json_arg(const char *flag, const char *value) {
    json_error_t e;
    json_t *v = value[0] == '@' ? json_load_file(value + 1, 0, &e) : json_loads(value, 0, &e);
    if (!v)
        ctl_error("create: --%s is not JSON: %s (line %d, column %d)", flag, e.text, e.line,
                  e.column);
    return v;
}

static void set_string(json_t *o, const char *key, const char *value) {
    if (value)
        json_object_set_new(o, key, json_string(value));
}

int cmd_create(struct ctl *c, int argc, char **argv) {
    const char *name = NULL, *agent = NULL, *channel = NULL, *caller_id = NULL, *from = NULL,
               *sms_body = NULL, *config = NULL, *retry = NULL, *schedule = NULL, *key = NULL;
    const struct ctl_opt opts[] = {
        {"name", 1, &name, NULL},
        {"agent-id", 1, &agent, NULL},
        {"channel", 1, &channel, NULL},
        {"caller-id", 1, &caller_id, NULL},
        {"from", 1, &from, NULL},
        {"body", 1, &sms_body, NULL},
        {"config", 1, &config, NULL},
        {"retry-policy", 1, &retry, NULL},
        {"schedule", 1, &schedule, NULL},
        {"idempotency-key", 1, &key, NULL},
        {NULL, 0, NULL, NULL},
    };
    const char *pos[1];
    int done = ctl_command_args(c, argc, argv, opts, create_usage, pos, 0, "no arguments");
    if (done >= 0)
        return done;
    json_t *body = json_object();
    set_string(body, "name", name);
    set_string(body, "agent_id", agent);
    set_string(body, "channel", channel);
    json_t *cfg = config ? json_arg("config", config) : json_object();
    int status = CTL_USAGE;
    if (!cfg)
        goto out;
    set_string(cfg, "caller_id", caller_id);
    set_string(cfg, "from", from);
    set_string(cfg, "body", sms_body);
    json_object_set_new(body, "config", cfg);
    const char *flags[] = {"retry-policy", "schedule"}, *values[] = {retry, schedule};
    const char *fields[] = {"retry_policy", "schedule"};
    for (int i = 0; i < 2; i++) {
        if (!values[i])
            continue;
        json_t *v = json_arg(flags[i], values[i]);
        if (!v)
            goto out;
        json_object_set_new(body, fields[i], v);
    }
    /* the server says what is missing or wrong, field by field */
    char *text = json_dumps(body, JSON_COMPACT);
    struct ctl_response r;
    status = CTL_FAILED;
    int rc =
        ctl_request(c, "POST", "/v1/campaigns", "application/json", text, strlen(text), key, &r);
    free(text);
    if (rc)
        goto out;
    json_t *doc = r.status == 201 ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
    const char *id = json_string_value(json_object_get(doc, "id"));
    if (id) {
        printf("%s\n", id);
        status = CTL_OK;
    } else {
        ctl_api_error("create", &r);
    }
    json_decref(doc);
    ctl_response_free(&r);
out:
    json_decref(body);
    return status;
}

int cmd_move(struct ctl *c, int argc, char **argv) {
    const char *pos[1];
    const char *move = argv[0];
    int done = ctl_command_args(c, argc, argv, NULL, move_usage, pos, 1, "CAMPAIGN");
    if (done >= 0)
        return done;
    char *fmt = xasprintf("/v1/campaigns/%%s/%s", move);
    char *path = ctl_path(fmt, pos[0]);
    free(fmt);
    json_t *camp = NULL;
    int rc = ctl_json(c, "POST", path, NULL, move, &camp);
    free(path);
    if (rc)
        return CTL_FAILED;
    printf("%s %s\n", json_string_value(json_object_get(camp, "id")),
           json_string_value(json_object_get(camp, "status")));
    json_decref(camp);
    return CTL_OK;
}

static long long count(json_t *camp, const char *name) {
    return (long long)json_integer_value(json_object_get(json_object_get(camp, "counters"), name));
}

static const char *str(json_t *o, const char *name) {
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "";
}

int cmd_ls(struct ctl *c, int argc, char **argv) {
    const char *status = NULL, *channel = NULL, *limit_opt = NULL;
    const struct ctl_opt opts[] = {{"status", 1, &status, NULL},
                                   {"channel", 1, &channel, NULL},
                                   {"limit", 1, &limit_opt, NULL},
                                   {NULL, 0, NULL, NULL}};
    const char *pos[1];
    int done = ctl_command_args(c, argc, argv, opts, ls_usage, pos, 0, "no arguments");
    if (done >= 0)
        return done;
    long limit = -1;
    if (limit_opt) {
        char *end;
        limit = strtol(limit_opt, &end, 10);
        if (*end || end == limit_opt || limit < 1) {
            ctl_error("ls: --limit must be a positive number");
            return CTL_USAGE;
        }
    }
    char *st = status ? ctl_path("&status=%s", status) : xstrdup("");
    char *ch = channel ? ctl_path("&channel=%s", channel) : xstrdup("");
    char *token = NULL;
    long shown = 0;
    int result = CTL_OK;
    for (int first = 1;; first = 0) {
        char *tok = token ? ctl_path("&page_token=%s", token) : xstrdup("");
        char *path = xasprintf("/v1/campaigns?page_size=100%s%s%s", st, ch, tok);
        free(tok);
        json_t *page = NULL;
        int rc = ctl_json(c, "GET", path, NULL, "ls", &page);
        free(path);
        if (rc) {
            result = CTL_FAILED;
            break;
        }
        if (first) /* after the first answer: an error stays the only line */
            printf("%-30s %-10s %-9s %10s %10s %10s %10s  %s\n", "ID", "STATUS", "CHANNEL", "TOTAL",
                   "FINISHED", "SUCCEEDED", "FAILED", "NAME");
        size_t i;
        json_t *camp;
        json_array_foreach(json_object_get(page, "data"), i, camp) {
            if (limit >= 0 && shown == limit)
                break;
            printf("%-30s %-10s %-9s %10lld %10lld %10lld %10lld  %s\n", str(camp, "id"),
                   str(camp, "status"), str(camp, "channel"), count(camp, "total"),
                   count(camp, "succeeded") + count(camp, "failed"), count(camp, "succeeded"),
                   count(camp, "failed"), str(camp, "name"));
            shown++;
        }
        free(token);
        const char *next = json_string_value(json_object_get(page, "next_page_token"));
        token = next && (limit < 0 || shown < limit) ? xstrdup(next) : NULL;
        json_decref(page);
        if (!token)
            break;
    }
    free(st);
    free(ch);
    free(token);
    return result;
}
