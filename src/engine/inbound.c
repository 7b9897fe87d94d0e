/* inbound.c - an inbound message recorded and its keyword applied, see
 * inbound.h. */
#include "engine/inbound.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/ids.h"

#include <stdio.h>

int inbound_apply(struct store *st, const char *account, enum channel ch, const char *from,
                  const char *to, const char *body, enum keyword_action action, int64_t now) {
    int rc = 0;
    if (action == KEYWORD_OPT_OUT) {
        struct opt_out o = {.channel = ch, .created_at = now};
        ids_new("opt_", o.id);
        snprintf(o.account_id, sizeof o.account_id, "%s", account);
        snprintf(o.phone_number, sizeof o.phone_number, "%s", from);
        snprintf(o.source, sizeof o.source, "inbound");
        int created = 0;
        rc = st->ops->opt_out_insert(st, &o, &created);
    } else if (action == KEYWORD_OPT_IN) {
        rc = st->ops->opt_out_remove_blanket(st, account, from, ch);
        if (rc == STORE_ENOTFOUND)
            rc = 0;
    }
    if (rc == 0)
        rc = st->ops->inbound_insert(st, account, ch, from, to, body, keyword_action_name(action),
                                     now);
    return rc;
}

int inbound_record(struct store *st, enum channel ch, const char *from, const char *to,
                   const char *body, enum keyword_action *action) {
    char account[48] = "";
    int rc = st->ops->sender_account(st, ch, to, account);
    if (rc && rc != STORE_ENOTFOUND)
        return rc;
    *action = ch == CHANNEL_SMS && account[0] ? keyword_classify(body) : KEYWORD_NONE;
    return inbound_apply(st, account, ch, from, to, body, *action, clock_now_ms());
}
