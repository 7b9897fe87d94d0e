/* snapshot_gate.h - a write generation for a store other processes write
 * too (PostgreSQL, several nodes), so that the campaign cache
 * (campaign_cache.h) can answer there as it does on SQLite without
 * trusting memory: every GET asks the database whether anything was
 * committed, and concurrent GETs share the asking.
 *
 * snapshot_gate_generation() returns a number taken from the database's
 * snapshot (store_ops.snapshot) by a check SENT AFTER the call began: it
 * reflects every commit acknowledged before the GET arrived, on any node.
 * The gate numbers the distinct snapshots it has seen: a check whose text
 * equals the previous one keeps the number, any other text (something was
 * committed) takes the next. Snapshots only move forward, so equal numbers
 * mean nothing was committed between the two checks; a read made after a
 * check and tagged with its number is current while the number holds, as
 * with SQLite's write generation.
 *
 * One check is in flight at a time; callers arriving while it is wait for
 * the next one, which one of them sends when it returns, so under load one
 * round trip serves every GET that arrived during the previous one (the
 * round trip, not the GET's statement, bounded PostgreSQL's reads: issue
 * 19, docs/benchmarks.md).
 *
 * A caller may also park instead of waiting (snapshot_gate_park): the
 * gate's own thread takes every caller parked so far, gets a generation as
 * above and calls each one back. The HTTP server parks GETs this way with
 * their connections suspended, so that its few worker threads never sleep
 * through a round trip (decision 47 of docs/architecture.md). Thread-safe. */
#ifndef CAMPAIGND_SNAPSHOT_GATE_H
#define CAMPAIGND_SNAPSHOT_GATE_H

#include <stdint.h>

struct store;
struct snapshot_gate;

struct snapshot_gate *snapshot_gate_new(struct store *st);
void snapshot_gate_free(struct snapshot_gate *g); /* NULL: nothing */
/* The generation of a snapshot checked after this call began; 0 when the
 * check failed (the caller reads the store as if there were no cache). */
uint64_t snapshot_gate_generation(struct snapshot_gate *g);
/* Parks a caller instead of blocking its thread: fn(arg, generation) runs
 * later on the gate's own thread, with a generation as above (checked after
 * this call began). 0 when parked; -1 when the gate no longer parks
 * (stopping): fn will not run, the caller asks snapshot_gate_generation. */
typedef void (*snapshot_gate_answer)(void *arg, uint64_t generation);
int snapshot_gate_park(struct snapshot_gate *g, snapshot_gate_answer fn, void *arg);
/* Answers every parked caller and parks no more (before the server that
 * parks its requests stops). Idempotent. */
void snapshot_gate_stop_parking(struct snapshot_gate *g);
/* Checks sent so far (for GET /metrics). */
uint64_t snapshot_gate_checks(struct snapshot_gate *g);

#endif
