#!/usr/bin/env python3
"""Regenerates the PostgreSQL backend's mirrored files from their SQLite
twins: src/store/sqlite_X.c -> src/store/pg_X.c.

The two backends share their logic line for line; only the driver calls
(sqlite3_* -> the pg_* statement API of pg_internal.h, whose calls have the
same shape) and a few SQL spellings differ. This script applies the driver
renames everywhere and the SQL differences as exact patches, each of which
must apply exactly once: when a SQLite file changed where a patch looks, the
script stops and names the patch, to be updated by hand here. After a change
to a sqlite_X.c, run it, build, and run the store's tests on both backends
(docs/scaling.md). pg.c, pg_conn.c and pg_schema.c are written by hand.

  scripts/pg_mirror.py            regenerate every mirrored file
  scripts/pg_mirror.py --check    exit 1 when a pg_X.c is not what it gives
"""
import pathlib
import re
import subprocess
import sys

STORE = pathlib.Path(__file__).resolve().parents[1] / "src" / "store"
FILES = ["calls", "campaigns", "carriers", "end_facts", "ends", "engine", "events", "inbox", "messages",
         "moves", "providers", "recipients", "sim", "submits", "sweeps", "unknown"]

RENAMES = [
    (r'sqlite3_bind_text\((\w+), ([^,]+), (.+?), -1, SQLITE_\w+\)', r'pg_bind_text(\1, \2, \3)'),
    (r'sqlite3_bind_int64\(', 'pg_bind_int64('),
    (r'sqlite3_bind_int\(', 'pg_bind_int64('),
    (r'sqlite3_bind_double\(', 'pg_bind_double('),
    (r'sqlite3_bind_null\(', 'pg_bind_null('),
    (r'sqlite3_step\(', 'pg_step('),
    (r'sqlite3_reset\(', 'pg_reset('),
    (r'sqlite3_column_int64\(', 'pg_col_int64('),
    (r'sqlite3_column_int\(', 'pg_col_int('),
    (r'sqlite3_column_double\(', 'pg_col_double('),
    (r'sqlite3_column_text\(', 'pg_col_raw('),
    (r'sqlite3_column_type\((\w+), ([^)]+)\) == SQLITE_NULL', r'pg_col_null(\1, \2)'),
    (r'sqlite3_column_type\((\w+), ([^)]+)\) != SQLITE_NULL', r'!pg_col_null(\1, \2)'),
    (r'sqlite3_changes(64)?\((\w+)->db\)', r'pg_changes(\2)'),
    (r'sqlite3_int64', 'int64_t'),
    (r'sqlite3_stmt \*', 'struct pg_stmt *'),
    (r'const unsigned char \*', 'const char *'),
    (r'struct sqlite_conn', 'struct pg_conn'),
    (r'SQLITE_ROW', 'PG_ROW'),
    (r'SQLITE_DONE', 'PG_DONE'),
    (r'SQLITE_MOVE_', 'PG_MOVE_'),
    (r'enum sqlite_move_kind', 'enum pg_move_kind'),
    (r'enum event_kind', 'enum pg_event_kind'),
    (r'\bEVENT_(CALL_ENDED|MESSAGE_UPDATED|RECIPIENT_FINISHED|CAMPAIGN_STATUS)\b', r'PG_EVENT_\1'),
    (r'store/sqlite_internal\.h', 'store/pg_internal.h'),
    (r'\bsqlite_row_reader\b', 'pg_row_reader'),
    (r'\bsqlite_item_clear\b', 'pg_item_clear'),
    (r'\bsqlite_(\w+)', r'pg_\1'),
    (r'SQLite', 'PostgreSQL'),
    # no connection now (the server restarting): busy, to be retried
    (r'if \(!conn\)\n(\s+)return STORE_EIO;', r'if (!conn)\n\1return PG_NO_CONN;'),
]

# (file, old, new): SQL that PostgreSQL spells otherwise, applied after the
# renames, on the text before clang-format.
PATCHES = [
    ("campaigns",
     """"CASE " channel " WHEN 'sms' THEN json_extract(" config ", '$.from') WHEN 'whatsapp' THEN "    \\
    "json_extract(" config ", '$.sender') END\"""",
     """"CASE " channel " WHEN 'sms' THEN (" config ")::json ->> 'from' WHEN 'whatsapp' THEN "      \\
    "(" config ")::json ->> 'sender' END\""""),
    ("campaigns", """"json_extract(?7, '$.webhook_url'))";""",
     """"?7::json ->> 'webhook_url') RETURNING seq";"""),
    ("campaigns", """"webhook_url = json_extract(?4, '$.webhook_url') \"""",
     """"webhook_url = ?4::json ->> 'webhook_url' \""""),
    ("campaigns", """    rc = pg_err(conn, pg_step(s), "campaign_insert");
    pg_reset(s);
    if (rc == STORE_OK)
        c->seq = sqlite3_last_insert_rowid(conn->db);""",
     """    rc = pg_err(conn, pg_step(s), "campaign_insert");
    if (rc == STORE_OK)
        c->seq = pg_col_int64(s, 0);
    pg_reset(s);"""),
    ("moves", "disposition IS ?3\"", "disposition IS NOT DISTINCT FROM ?3\""),
    ("sweeps", "(?4 AND claimed_by IS ?1)", "(?4 <> 0 AND claimed_by IS NOT DISTINCT FROM ?1)"),
    ("sweeps", "(claimed_by IS NOT ?1 AND", "(claimed_by IS DISTINCT FROM ?1 AND"),
    ("sweeps", "ended_at IS NULL AND claimed_by IS NOT ?1 AND",
     "ended_at IS NULL AND claimed_by IS DISTINCT FROM ?1 AND"),
    ("sweeps", "\"AND claimed_by IS NOT ?1 \"", "\"AND claimed_by IS DISTINCT FROM ?1 \""),
    ("unknown", " INDEXED BY calls_in_flight", ""),
    ("unknown", " INDEXED BY messages_in_flight", ""),
    # A guard on the row an equality on a unique key finds: "(...) IS TRUE",
    # so that the planner cannot take it for the predicate of the partial
    # index of attempts in flight. From the index's statistics (it is small
    # after an ANALYZE between bursts) PostgreSQL reckoned that scanning
    # every call in flight and filtering by seq was cheaper than the primary
    # key, and chose it for the generic plan: 200 rows read per end at 300
    # in flight, 52 buffers, 0.25 ms (docs/benchmarks.md, lever 9).
    ("ends", "WHERE seq = ?1 AND ended_at IS NULL\";", "WHERE seq = ?1 AND (ended_at IS NULL) IS TRUE\";"),
    ("ends", "WHERE seq = ?1 AND status = ?6 AND ended_at IS NULL\";",
     "WHERE seq = ?1 AND status = ?6 AND (ended_at IS NULL) IS TRUE\";"),
    ("ends", "WHERE id = ?1 AND ended_at IS NULL RETURNING", "WHERE id = ?1 AND (ended_at IS NULL) IS TRUE RETURNING"),
    ("ends", "WHERE id = ?1 AND status = 'queued' RETURNING",
     "WHERE id = ?1 AND (status = 'queued') IS TRUE RETURNING"),
    ("unknown", "WHERE seq = ?1 AND ended_at IS NULL AND submit_state = 1\";",
     "WHERE seq = ?1 AND (ended_at IS NULL) IS TRUE AND submit_state = 1\";"),
    ("unknown", "WHERE seq = ?1 AND status = 'queued' AND submit_state = 1\";",
     "WHERE seq = ?1 AND (status = 'queued') IS TRUE AND submit_state = 1\";"),
    ("end_facts", '#define ALL_KEY "j.key"', '#define ALL_KEY "j.ord - 1"'),
    ("end_facts", '#define ALL_IDS " FROM json_each(?1) AS j"',
     '#define ALL_IDS " FROM jsonb_array_elements_text(?1::jsonb) WITH ORDINALITY AS j(value, ord)"'),
    # one index lookup per id: PostgreSQL takes a set-returning function for
    # 100 rows and, while calls is small (tens of thousands of rows), joined
    # it by a hash over a scan of the whole table (1.8 ms for 50 ids at
    # 5,600 calls, 0.4 ms this way); OFFSET 0 keeps the lookup a subquery
    ("end_facts", '#define BY_ID(t, a) " JOIN " t " " a " ON " a ".id = j.value"',
     '#define BY_ID(t, a) " CROSS JOIN LATERAL (SELECT * FROM " t " WHERE id = j.value OFFSET 0) " a'),
    # SQLite's page cache of the claiming connection: PostgreSQL's is the
    # server's shared_buffers, nothing to set per connection
    ("engine", """/* The connection that claims (the engine's) writes thousands of rows a
 * transaction across recipients, calls, the sim's reports and their indexes:
 * at PostgreSQL's default 2 MiB page cache it spills dirty pages mid-transaction
 * (dispatch 18-21k/s), at 3 MiB it does not (30-34k/s, docs/benchmarks.md).
 * The API's connections keep the default, so RSS grows by one cache only. */""",
     """/* SQLite enlarges the claiming connection's page cache here; PostgreSQL's
 * pages are the server's shared_buffers: nothing to set per connection. */"""),
    ("engine", """    conn->engine_cache = 1;
    sqlite3_exec(conn->db, "PRAGMA cache_size=-3072", NULL, NULL, NULL);""",
     """    conn->engine_cache = 1;"""),
    # a claim's calls and messages one by one: the batch unit sends a run of
    # them as one statement (pg_coalesce.c), and a statement takes at most
    # PG_MAX_PARAMS (32) parameters
    ("engine", "#define CLAIM_INSERT_ROWS 32", "#define CLAIM_INSERT_ROWS 1"),
    # a PostgreSQL statement takes at most PG_MAX_PARAMS (32) parameters:
    # 2 + 4 rows of 7
    ("recipients", "#define INSERT_BATCH 32", "#define INSERT_BATCH 4"),
    # several nodes: a due recipient another claim holds is skipped, not waited on
    ("engine", "\"ORDER BY due_at, seq LIMIT ?4\";", "\"ORDER BY due_at, seq LIMIT ?4 FOR UPDATE SKIP LOCKED\";"),
    # the lane's attempts in flight: kept by triggers (PostgreSQL migration 8)
    ("engine",
     '    "(SELECT count(*) FROM calls WHERE lane = ?1 AND ended_at IS NULL) + "\n'
     '    "(SELECT count(*) FROM messages WHERE lane = ?1 AND status = \'queued\') "',
     '    "coalesce((SELECT n FROM lane_in_flight WHERE lane = ?1), 0) "'),
]


def mirror(name):
    text = (STORE / ("sqlite_%s.c" % name)).read_text()
    for pat, rep in RENAMES:
        text = re.sub(pat, rep, text)
    for f, old, new in PATCHES:
        if f != name:
            continue
        count = text.count(old)
        if count != 1:
            sys.exit("pg_mirror: patch for %s found %d times, want 1: %r" % (name, count, old))
        text = text.replace(old, new)
    left = sorted(set(re.findall(r'\bsqlite\w*|\bSQLITE\w*', text)))
    if left:
        sys.exit("pg_mirror: pg_%s.c still names %s: add a rename or a patch" % (name, left))
    return subprocess.run(["clang-format", "--assume-filename=pg_%s.c" % name], input=text,
                          text=True, stdout=subprocess.PIPE, check=True,
                          cwd=str(STORE)).stdout


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name in FILES:
        out = mirror(name)
        path = STORE / ("pg_%s.c" % name)
        if check:
            if not path.exists() or path.read_text() != out:
                stale.append(path.name)
        else:
            path.write_text(out)
    if stale:
        print("pg_mirror: not what scripts/pg_mirror.py gives: " + " ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
