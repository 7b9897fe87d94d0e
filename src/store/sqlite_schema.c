/* sqlite_schema.c - the migrations themselves, see sqlite_schema.h. */
#include "store/sqlite_schema.h"

const char *const sqlite_migrations[] = {
    /* 1: accounts, keys, campaigns with stored counters, idempotency */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE accounts ("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE TABLE api_keys ("
    "  prefix TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id),"
    "  hash TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);"
    "CREATE TABLE campaigns ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  account_id TEXT NOT NULL REFERENCES accounts(id),"
    "  name TEXT NOT NULL, agent_id TEXT NOT NULL,"
    "  channel TEXT NOT NULL, status TEXT NOT NULL,"
    "  config TEXT NOT NULL, schedule TEXT, retry_policy TEXT,"
    "  total INTEGER NOT NULL DEFAULT 0, queued INTEGER NOT NULL DEFAULT 0,"
    "  dispatched INTEGER NOT NULL DEFAULT 0, succeeded INTEGER NOT NULL DEFAULT 0,"
    "  failed INTEGER NOT NULL DEFAULT 0,"
    "  d_completed INTEGER NOT NULL DEFAULT 0, d_no_answer INTEGER NOT NULL DEFAULT 0,"
    "  d_busy INTEGER NOT NULL DEFAULT 0, d_failed INTEGER NOT NULL DEFAULT 0,"
    "  d_cancelled INTEGER NOT NULL DEFAULT 0, d_opted_out INTEGER NOT NULL DEFAULT 0,"
    "  d_sent INTEGER NOT NULL DEFAULT 0, d_delivered INTEGER NOT NULL DEFAULT 0,"
    "  d_read INTEGER NOT NULL DEFAULT 0, d_undelivered INTEGER NOT NULL DEFAULT 0,"
    "  d_missing_param INTEGER NOT NULL DEFAULT 0, d_expired INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  started_at INTEGER, completed_at INTEGER, cancelled_at INTEGER,"
    "  CHECK (total = queued + dispatched + succeeded + failed));"
    "CREATE INDEX campaigns_by_account ON campaigns(account_id, seq);"
    "CREATE TABLE idempotency_keys ("
    "  account_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    "  status INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, key));"
    "CREATE INDEX idempotency_by_age ON idempotency_keys(created_at);",

    /* 2: recipients (upload order = seq) and carriers */
    "CREATE TABLE recipients ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  campaign_seq INTEGER NOT NULL REFERENCES campaigns(seq),"
    "  phone_number TEXT NOT NULL,"
    "  params TEXT,"
    "  status TEXT NOT NULL DEFAULT 'queued',"
    "  disposition TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  carrier TEXT NOT NULL, lane TEXT NOT NULL, region TEXT,"
    "  last_attempt_at INTEGER, due_at INTEGER NOT NULL DEFAULT 0,"
    "  last_call_id TEXT, last_message_id TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  UNIQUE (campaign_seq, phone_number));"
    "CREATE INDEX recipients_by_campaign ON recipients(campaign_seq, seq);"
    "CREATE INDEX recipients_queue ON recipients(lane, campaign_seq, due_at) "
    "  WHERE status = 'queued';"
    "CREATE TABLE carriers ("
    "  name TEXT PRIMARY KEY, channel TEXT NOT NULL, prefixes TEXT NOT NULL,"
    "  rate_per_second REAL NOT NULL, burst INTEGER NOT NULL,"
    "  max_concurrent INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE campaign_lanes ("
    "  campaign_seq INTEGER NOT NULL REFERENCES campaigns(seq), lane TEXT NOT NULL,"
    "  PRIMARY KEY (campaign_seq, lane)) WITHOUT ROWID;",

    /* 3: calls (one row per dial attempt) */
    "CREATE TABLE calls ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  account_id TEXT NOT NULL,"
    "  campaign_seq INTEGER REFERENCES campaigns(seq),"
    "  recipient_seq INTEGER NOT NULL REFERENCES recipients(seq),"
    "  agent_id TEXT NOT NULL, from_number TEXT NOT NULL, to_number TEXT NOT NULL,"
    "  attempt INTEGER NOT NULL, status TEXT NOT NULL,"
    "  carrier TEXT NOT NULL, lane TEXT NOT NULL, provider TEXT NOT NULL,"
    "  provider_call_id TEXT,"
    "  created_at INTEGER NOT NULL, answered_at INTEGER, ended_at INTEGER,"
    "  duration_ms INTEGER);"
    "CREATE INDEX calls_by_account ON calls(account_id, seq);"
    "CREATE INDEX calls_by_campaign ON calls(campaign_seq, seq);"
    "CREATE INDEX calls_by_recipient ON calls(recipient_seq, seq);"
    "CREATE INDEX calls_in_flight ON calls(lane) WHERE ended_at IS NULL;",

    /* 4: messages, opt-outs, inbound messages, the sender of a campaign */
    "CREATE TABLE messages ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  account_id TEXT NOT NULL,"
    "  campaign_seq INTEGER REFERENCES campaigns(seq),"
    "  recipient_seq INTEGER NOT NULL REFERENCES recipients(seq),"
    "  channel TEXT NOT NULL, from_id TEXT NOT NULL, to_number TEXT NOT NULL,"
    "  attempt INTEGER NOT NULL, body TEXT, template TEXT, status TEXT NOT NULL,"
    "  carrier TEXT NOT NULL, lane TEXT NOT NULL, provider TEXT NOT NULL,"
    "  provider_message_id TEXT, segments INTEGER, encoding TEXT,"
    "  created_at INTEGER NOT NULL, sent_at INTEGER, delivered_at INTEGER, read_at INTEGER,"
    "  failed_at INTEGER, updated_at INTEGER NOT NULL);"
    "CREATE INDEX messages_by_account ON messages(account_id, seq);"
    "CREATE INDEX messages_by_campaign ON messages(campaign_seq, seq);"
    "CREATE INDEX messages_by_recipient ON messages(recipient_seq, seq);"
    "CREATE INDEX messages_in_flight ON messages(lane) WHERE status = 'queued';"
    "CREATE TABLE opt_outs ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  account_id TEXT NOT NULL REFERENCES accounts(id),"
    "  phone_number TEXT NOT NULL, channel TEXT NOT NULL,"
    "  category TEXT NOT NULL DEFAULT '',"
    "  source TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  UNIQUE (account_id, phone_number, channel, category));"
    "CREATE INDEX opt_outs_by_account ON opt_outs(account_id, seq);"
    "CREATE TABLE inbound_messages ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT, channel TEXT NOT NULL,"
    "  from_number TEXT NOT NULL, to_id TEXT NOT NULL, body TEXT NOT NULL,"
    "  action TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "ALTER TABLE campaigns ADD COLUMN sender TEXT;"
    "CREATE INDEX campaigns_by_sender ON campaigns(channel, sender, seq) "
    "  WHERE sender IS NOT NULL;",

    /* 5: time rules: a recipient's time zones, a campaign's schedule instants */
    "ALTER TABLE recipients ADD COLUMN zones TEXT;"
    "ALTER TABLE campaigns ADD COLUMN start_at INTEGER;"
    "ALTER TABLE campaigns ADD COLUMN end_at INTEGER;"
    "CREATE INDEX campaigns_ending ON campaigns(end_at) "
    "  WHERE end_at IS NOT NULL AND status IN ('running', 'paused');",

    /* 6: event webhooks: the outbox, a campaign's webhook_url, account secrets */
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  account_id TEXT NOT NULL,"
    "  campaign_seq INTEGER REFERENCES campaigns(seq),"
    "  type TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending',"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  last_attempt_at INTEGER, last_status INTEGER, last_error TEXT,"
    "  delivered_at INTEGER, created_at INTEGER NOT NULL);"
    "CREATE INDEX events_due ON events(next_attempt_at, seq) WHERE state = 'pending';"
    "CREATE INDEX events_by_account ON events(account_id, seq);"
    "CREATE INDEX events_by_campaign ON events(campaign_seq, seq);"
    "ALTER TABLE campaigns ADD COLUMN webhook_url TEXT;"
    "ALTER TABLE accounts ADD COLUMN webhook_secret TEXT;"
    "ALTER TABLE accounts ADD COLUMN webhook_secret_prev TEXT;"
    "ALTER TABLE accounts ADD COLUMN webhook_secret_prev_until INTEGER;",

    /* 7: webhook delivery finds each campaign's oldest due event without
     * sorting the whole outbox (sqlite_events_due) */
    "CREATE INDEX events_pending_by_campaign ON events(campaign_seq, next_attempt_at, seq) "
    "WHERE state = 'pending';",

    /* 8: named providers (settings as JSON, secrets included) and the
     * provider each carrier names */
    "CREATE TABLE providers ("
    "  name TEXT PRIMARY KEY, type TEXT NOT NULL, settings TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "ALTER TABLE carriers ADD COLUMN provider TEXT NOT NULL DEFAULT 'sim';",

    /* 9: at most once toward a provider: where each attempt stands
     * (0 pending, 1 submitting, 2 accepted, 3 rejected), attempts found by
     * their provider's id, and the simulated provider's state in the main
     * store (it had a file of its own) */
    "ALTER TABLE calls ADD COLUMN submit_state INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN submit_state INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX calls_by_provider_id ON calls(provider, provider_call_id) "
    "  WHERE provider_call_id IS NOT NULL;"
    "CREATE INDEX messages_by_provider_id ON messages(provider, provider_message_id) "
    "  WHERE provider_message_id IS NOT NULL;"
    "CREATE TABLE sim_accepted (provider TEXT NOT NULL, call_id TEXT NOT NULL,"
    "  PRIMARY KEY (provider, call_id)) WITHOUT ROWID;"
    "CREATE TABLE sim_reports (provider TEXT NOT NULL, call_id TEXT NOT NULL,"
    "  kind INTEGER NOT NULL, channel INTEGER NOT NULL, answered_at INTEGER,"
    "  at INTEGER NOT NULL, provider_id TEXT NOT NULL,"
    "  PRIMARY KEY (provider, call_id, kind)) WITHOUT ROWID;"
    /* reports from outside (providers' HTTP callbacks), durable before the
     * callback is answered, until the engine applied them */
    "CREATE TABLE provider_inbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  provider TEXT NOT NULL, call_id TEXT NOT NULL, channel INTEGER NOT NULL,"
    "  status INTEGER NOT NULL, mstatus INTEGER NOT NULL, answered_at INTEGER,"
    "  ended_at INTEGER NOT NULL, provider_id TEXT NOT NULL, received_at INTEGER NOT NULL);",

    /* 10: leases: which node claimed an attempt in flight, and until when */
    "ALTER TABLE calls ADD COLUMN claimed_by TEXT;"
    "ALTER TABLE calls ADD COLUMN lease_until INTEGER;"
    "ALTER TABLE messages ADD COLUMN claimed_by TEXT;"
    "ALTER TABLE messages ADD COLUMN lease_until INTEGER;",

    /* 11: what providers report beyond a status (answered_by, the
     * provider's word for the end, its error code, a runtime's transcript
     * and recording), and the voicemail and unknown dispositions */
    "ALTER TABLE calls ADD COLUMN answered_by TEXT;"
    "ALTER TABLE calls ADD COLUMN ended_reason TEXT;"
    "ALTER TABLE calls ADD COLUMN error_code TEXT;"
    "ALTER TABLE calls ADD COLUMN transcript TEXT;"
    "ALTER TABLE calls ADD COLUMN recording_url TEXT;"
    "ALTER TABLE messages ADD COLUMN error_code TEXT;"
    "ALTER TABLE campaigns ADD COLUMN d_voicemail INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE campaigns ADD COLUMN d_unknown INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE provider_inbox ADD COLUMN answered_by INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE provider_inbox ADD COLUMN duration_ms INTEGER;"
    "ALTER TABLE provider_inbox ADD COLUMN ended_reason TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE provider_inbox ADD COLUMN error_code TEXT NOT NULL DEFAULT '';",

    /* 12: a sim holds an attempt while it owes a report on it: the table of
     * every attempt it ever accepted (a random-keyed insert per attempt,
     * never pruned) goes */
    "DROP TABLE sim_accepted;",

    /* 13: a whatsapp message's pricing category as its provider reports it
     * (Meta's statuses carry pricing.category) */
    "ALTER TABLE messages ADD COLUMN pricing_category TEXT;",

    /* 14: a message sent in several parts (smpp): each part's provider id
     * and its receipt (0 none, 1 delivered, 2 undelivered), so that a
     * message is delivered once all its parts are, across restarts */
    "CREATE TABLE message_segments (provider TEXT NOT NULL, segment_id TEXT NOT NULL,"
    "  message_id TEXT NOT NULL, nsegments INTEGER NOT NULL,"
    "  receipt INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (provider, segment_id)) WITHOUT ROWID;"
    "CREATE INDEX message_segments_by_message ON message_segments(provider, message_id);",

    /* 15: the pacing state of each lane when several nodes share the store
     * (the GCRA's next arrival time, booked at that rate; in-flight counts
     * are derived from the attempt rows), see sqlite_engine.c */
    "CREATE TABLE lane_limits (lane TEXT PRIMARY KEY, tat_ms REAL NOT NULL,"
    "  rate REAL NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;",

    /* 16: webhook deliveries leased: the node sending an event, and until
     * when (several nodes on one database never send one at once) */
    "ALTER TABLE events ADD COLUMN claimed_by TEXT;"
    "ALTER TABLE events ADD COLUMN lease_until INTEGER;",

    /* 17: the events being sent, by campaign (a lease checks that no other
     * event of its campaign is out; the renewal finds a node's own) */
    "CREATE INDEX events_leased ON events(campaign_seq) WHERE lease_until IS NOT NULL;",

    /* 18: each node's heartbeat: its leases hold while it is alive */
    "CREATE TABLE nodes (node TEXT PRIMARY KEY, alive_until INTEGER NOT NULL) WITHOUT ROWID;",

    /* 19: the sim's owed reports, one row per accepted batch (a text of one
     * line per report that providers/sim_ledger.c writes and reads), not
     * one row per report inserted and then deleted: a dispatch of 2,000
     * attempts wrote 2,000 index entries and deleted them again (12-15 % of
     * the bench's dispatch, docs/benchmarks.md). Reports still owed move
     * over, one batch per provider. */
    "CREATE TABLE sim_batches (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  provider TEXT NOT NULL, reports TEXT NOT NULL);"
    "INSERT INTO sim_batches(provider, reports) SELECT provider, group_concat("
    "  call_id || ' ' || kind || ' ' || channel || ' ' || coalesce(answered_at, 0) || ' ' ||"
    "  at || ' ' || provider_id, char(10)) || char(10) FROM sim_reports GROUP BY provider;"
    "DROP TABLE sim_reports;",
};

const int sqlite_migration_count = (int)(sizeof sqlite_migrations / sizeof sqlite_migrations[0]);
