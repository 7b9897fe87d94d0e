/* url_template.c - see url_template.h. */
#include "domain/url_template.h"
#include "util/form.h"

#include <string.h>

const char *const voice_url_placeholders[4] = {"agent_id", "call_id", "recipient_id",
                                               "campaign_id"};

int url_template_fill(const char *tpl, const struct url_var *vars, size_t n, struct buf *out,
                      const char **why) {
    const char *p = tpl;
    while (*p) {
        const char *open = strchr(p, '{');
        size_t lit = open ? (size_t)(open - p) : strlen(p);
        if (buf_append(out, p, lit))
            return BUF_ETOOBIG;
        if (!open)
            return 0;
        const char *close = strchr(open, '}');
        const struct url_var *v = NULL;
        for (size_t i = 0; close && i < n && !v; i++)
            if (strlen(vars[i].name) == (size_t)(close - open - 1) &&
                strncmp(vars[i].name, open + 1, (size_t)(close - open - 1)) == 0)
                v = &vars[i];
        if (!v) {
            *why = "a '{' must open one of the placeholders {agent_id}, {call_id}, "
                   "{recipient_id}, {campaign_id}";
            return -1;
        }
        if (url_encode_component(out, v->value))
            return BUF_ETOOBIG;
        p = close + 1;
    }
    return 0;
}
