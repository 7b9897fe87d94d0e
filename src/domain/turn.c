/* turn.c - the decision at a recipient's turn, see turn.h. */
#include "domain/turn.h"
#include "domain/template.h"
#include "domain/wa_template.h"

#include <stdlib.h>
#include <string.h>

const char *turn_category(enum channel ch, json_t *config) {
    if (ch != CHANNEL_WHATSAPP)
        return NULL;
    return json_string_value(json_object_get(json_object_get(config, "template"), "category"));
}

int turn_render(enum channel ch, json_t *config, json_t *params, char **text) {
    char missing[65];
    *text = NULL;
    if (ch == CHANNEL_SMS)
        return template_render(json_string_value(json_object_get(config, "body")), params, text,
                               missing);
    return wa_template_fill(json_object_get(config, "template"), params, text, missing);
}

static void fail(const struct turn_facts *f, enum disposition d, struct turn_decision *out) {
    out->kind = TURN_FAIL;
    move_fail_queued(&f->row, d, &out->move);
}

void turn_decide(const struct turn_facts *f, int64_t now, struct turn_decision *out) {
    memset(out, 0, sizeof *out);
    if (f->campaign != CAMPAIGN_RUNNING || f->row.status != RECIPIENT_QUEUED) {
        out->kind = TURN_SKIP;
        recipient_move_none(&out->move, &f->row);
        return;
    }
    if (due_ended(f->rules, now)) {
        fail(f, DISP_EXPIRED, out);
        return;
    }
    int64_t at = due_earliest(f->rules, f->row.due_at, f->zones, now);
    if (at > now) {
        struct recipient_row later = f->row;
        later.due_at = at;
        out->kind = TURN_DEFER;
        recipient_move_make(&out->move, &f->row, &later);
        return;
    }
    if (f->opted_out) {
        fail(f, DISP_OPTED_OUT, out);
        return;
    }
    if (f->channel != CHANNEL_VOICE && turn_render(f->channel, f->config, f->params, &out->text)) {
        fail(f, DISP_MISSING_PARAM, out);
        return;
    }
    out->kind = TURN_DISPATCH;
    move_claim(&f->row, &out->move);
}
