/* handlers.h - every request handler, one file per resource:
 * ops.c (health, metrics), dashboard.c (the static dashboard), admin.c
 * (accounts, keys), carriers.c,
 * campaigns.c, recipients.c.
 * Each answers exactly once through reply_*; see request.h. */
#ifndef CAMPAIGND_HANDLERS_H
#define CAMPAIGND_HANDLERS_H

#include "api/request.h"
#include "domain/keywords.h"
#include "domain/types.h"

#include <stdint.h>

struct store;

void ops_healthz(struct request *req);
void ops_readyz(struct request *req);
void ops_metrics(struct request *req);

void dashboard_redirect(struct request *req);
void dashboard_index(struct request *req);
void dashboard_file(struct request *req);

void admin_create_account(struct request *req);
void admin_create_key(struct request *req);
void admin_revoke_key(struct request *req);

void campaigns_create(struct request *req);
void campaigns_list(struct request *req);
void campaigns_get(struct request *req);
void campaigns_patch(struct request *req);
void campaigns_start(struct request *req);
void campaigns_pause(struct request *req);
void campaigns_resume(struct request *req);
void campaigns_cancel(struct request *req);

void recipients_upload(struct request *req);
void recipients_list(struct request *req);
void recipients_get(struct request *req);
void recipients_export(struct request *req);

void calls_list(struct request *req);
void calls_get(struct request *req);

void messages_list(struct request *req);
void messages_get(struct request *req);

void optouts_create(struct request *req);
void optouts_list(struct request *req);
void optouts_delete(struct request *req);
void providers_sim_inbound(struct request *req);
void providers_call_report(struct request *req);
void providers_message_report(struct request *req);
void providers_webhook(struct request *req);

void events_list(struct request *req);
void events_redeliver(struct request *req);
void webhook_secret_get(struct request *req);
void webhook_secret_rotate(struct request *req);

void admin_list_carriers(struct request *req);
void admin_get_carrier(struct request *req);
void admin_put_carrier(struct request *req);
void admin_delete_carrier(struct request *req);

void admin_list_providers(struct request *req);
void admin_get_provider(struct request *req);
void admin_put_provider(struct request *req);
void admin_delete_provider(struct request *req);

#endif
