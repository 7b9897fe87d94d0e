/* args.c - option parsing shared by the commands, see ctl.h. Options may
 * come before, between or after the positional arguments, as "--name
 * value" or "--name=value"; "--" ends them. */
#include "ctl/ctl.h"

#include <stdio.h>
#include <string.h>

static const struct ctl_opt *find(const struct ctl_opt *opts, const char *name, size_t n) {
    for (const struct ctl_opt *o = opts; o && o->name; o++)
        if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
            return o;
    return NULL;
}

int ctl_parse(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, const char *usage,
              const char **pos, int maxpos) {
    const char *cmd = argv[0];
    int help = 0;
    const struct ctl_opt common[] = {
        {"url", 1, &c->url, NULL},
        {"api-key", 1, &c->api_key, NULL},
        {"help", 0, NULL, &help},
        {NULL, 0, NULL, NULL},
    };
    int npos = 0, options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (npos == maxpos) {
                ctl_error("%s: unexpected argument \"%s\" (see campaignctl %s --help)", cmd, a,
                          cmd);
                return -1;
            }
            pos[npos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0) {
            help = 1;
            continue;
        }
        if (a[1] != '-') {
            ctl_error("%s: unknown option %s (see campaignctl %s --help)", cmd, a, cmd);
            return -1;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const struct ctl_opt *o = find(opts, name, n);
        if (!o)
            o = find(common, name, n);
        if (!o) {
            ctl_error("%s: unknown option --%.*s (see campaignctl %s --help)", cmd, (int)n, name,
                      cmd);
            return -1;
        }
        if (!o->has_arg) {
            if (eq) {
                ctl_error("%s: --%s takes no value", cmd, o->name);
                return -1;
            }
            *o->flag = 1;
            continue;
        }
        if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            ctl_error("%s: --%s needs a value", cmd, o->name);
            return -1;
        }
    }
    if (help) {
        fputs(usage, stdout);
        return -2;
    }
    return npos;
}

int ctl_need_key(struct ctl *c) {
    if (c->api_key && c->api_key[0])
        return 0;
    ctl_error("no API key: pass --api-key KEY or set CAMPAIGND_API_KEY");
    return -1;
}

int ctl_command_args(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts,
                     const char *usage, const char **pos, int want, const char *needs) {
    int n = ctl_parse(c, argc, argv, opts, usage, pos, want);
    if (n == -2)
        return CTL_OK;
    if (n < 0)
        return CTL_USAGE;
    if (n != want) {
        ctl_error("%s: needs %s (see campaignctl %s --help)", argv[0], needs, argv[0]);
        return CTL_USAGE;
    }
    return ctl_need_key(c) ? CTL_USAGE : -1;
}
