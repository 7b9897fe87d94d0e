/* raw_schema.h - the minimal schema shared by the raw floors
 * (bench/upload_raw.c, bench/dispatch_raw.c, issue 19): campaigns with
 * their counters, recipients with the dedup and due indexes, calls keyed
 * by their id. Why each part is there is in upload_raw.c's and
 * dispatch_raw.c's top comments. raw_schema_pg is the same tables and
 * indexes in PostgreSQL's types, for bench/dispatch_raw_pg.c (issue 14):
 * BIGINT identity keys in insertion order for the rowids, BIGINT for
 * INTEGER, COLLATE "C" on the phone key. Also the floors' monotonic
 * clock. */
#ifndef BENCH_RAW_SCHEMA_H
#define BENCH_RAW_SCHEMA_H

#include <stdint.h>
#include <time.h>

static const char raw_schema[] =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    "CREATE TABLE campaigns (seq INTEGER PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0,"
    "  queued INTEGER NOT NULL DEFAULT 0, dispatched INTEGER NOT NULL DEFAULT 0,"
    "  succeeded INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE recipients (seq INTEGER PRIMARY KEY, campaign INTEGER NOT NULL,"
    "  phone TEXT NOT NULL, params TEXT, lane INTEGER NOT NULL,"
    "  status INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
    "  due_at INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
    "  UNIQUE (campaign, phone));"
    "CREATE INDEX recipients_due ON recipients(lane, campaign, due_at) WHERE status = 0;"
    "CREATE TABLE calls (seq INTEGER PRIMARY KEY, campaign INTEGER NOT NULL,"
    "  recipient INTEGER NOT NULL, to_number TEXT NOT NULL, attempt INTEGER NOT NULL,"
    "  status INTEGER NOT NULL, created_at INTEGER NOT NULL, ended_at INTEGER,"
    "  duration_ms INTEGER);"
    "INSERT INTO campaigns(seq) VALUES (1);";

static const char raw_schema_pg[] =
    "CREATE TABLE campaigns (seq BIGINT PRIMARY KEY, total BIGINT NOT NULL DEFAULT 0,"
    "  queued BIGINT NOT NULL DEFAULT 0, dispatched BIGINT NOT NULL DEFAULT 0,"
    "  succeeded BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE recipients (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  campaign BIGINT NOT NULL, phone TEXT COLLATE \"C\" NOT NULL, params TEXT,"
    "  lane BIGINT NOT NULL, status BIGINT NOT NULL DEFAULT 0,"
    "  attempts BIGINT NOT NULL DEFAULT 0, due_at BIGINT NOT NULL DEFAULT 0,"
    "  created_at BIGINT NOT NULL, UNIQUE (campaign, phone));"
    "CREATE INDEX recipients_due ON recipients(lane, campaign, due_at) WHERE status = 0;"
    "CREATE TABLE calls (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  campaign BIGINT NOT NULL, recipient BIGINT NOT NULL, to_number TEXT NOT NULL,"
    "  attempt BIGINT NOT NULL, status BIGINT NOT NULL, created_at BIGINT NOT NULL,"
    "  ended_at BIGINT, duration_ms BIGINT);"
    "INSERT INTO campaigns(seq) VALUES (1);";

static inline uint64_t raw_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
