/* sim_ledger.h - what the simulated provider owes, in memory, beside its
 * durable copy (the store's sim_batches, one row per accepted batch):
 * which attempts it holds (a report still owed on them, not yet acked),
 * how many reports of each stored batch are not yet acked, and the
 * batches whose reports were all acked, to be deleted with the sim's next
 * write. Also the text a batch is stored as: one line per report,
 * "call_id kind channel answered_at at provider_id". Thread: the engine's
 * (no locking). */
#ifndef CAMPAIGND_SIM_LEDGER_H
#define CAMPAIGND_SIM_LEDGER_H

#include "domain/attempt.h"

#include <stddef.h>
#include <stdint.h>

struct sim_ledger;

struct sim_ledger *sim_ledger_new(void);
void sim_ledger_free(struct sim_ledger *l);

/* 1 when the sim holds the attempt (it owes a report on it). */
int sim_ledger_holds(const struct sim_ledger *l, const char *call_id);
/* Records the reports[0..n) of stored batch seq as owed (grouped by
 * call_id). Reports of an attempt already held are left out (a batch
 * loaded twice, or adopted after a restart loaded it): returns how many
 * were taken, which are moved to the front of reports, in order. */
size_t sim_ledger_owe(struct sim_ledger *l, int64_t seq, struct attempt_end *reports, size_t n);
/* The engine stored this report: one fewer owed on its attempt and its
 * batch. A batch with none left joins the batches to forget. A report
 * not owed (acked already) changes nothing. */
void sim_ledger_acked(struct sim_ledger *l, const struct attempt_end *report);
/* The batches to delete (all their reports acked), and how many. */
const int64_t *sim_ledger_forget(const struct sim_ledger *l, size_t *n);
/* Their deletion committed: the first n of them are forgotten. */
void sim_ledger_forgotten(struct sim_ledger *l, size_t n);

/* The report's key within its attempt: a call's end, or a message status. */
int sim_report_kind(const struct attempt_end *o);
/* A batch's text (NUL-terminated, the caller frees it). */
char *sim_ledger_encode(const struct attempt_end *reports, size_t n);
/* The reports of a batch's text (a new array; *n of them; lines that do
 * not read as a report are skipped). */
struct attempt_end *sim_ledger_parse(const char *text, size_t *n);

#endif
