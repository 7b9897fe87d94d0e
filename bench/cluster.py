"""Dispatch with 1, 2 and 3 nodes on one PostgreSQL (issue 14): a voice
campaign of --total recipients (default 100,000), carrier limits set very
high, the sim provider at 0 ms, started through the first node; every node
dispatches it. Figures: dispositions/second end to end (start to completed)
for each node count, and each node's share of the calls. The PostgreSQL
server is a throwaway one (scripts/pg.sh start; fsync off), a fresh
database per node count.

Upload on PostgreSQL (--upload N recipients, default 200,000, with params,
10,000 per request through one node) against COPY of the same rows
(psql's COPY FROM STDIN into the recipients table of another campaign;
the rows only: no counters, no duplicate check, no routing).

Dispatch against its raw floor: build-release/dispatch_raw_pg
(bench/dispatch_raw_pg.c: the same claims and moves as plain SQL from one
client, on a minimal schema, 2,000 a batch) dispatches --total recipients
in a fresh database of the same server, before and after the nodes run;
one record gives both floor runs and each node count's ratio to their
mean (nodes_over_raw_floor).

Paced dispatch from a long queue (--paced N recipients, default 200,000;
0 skips): one node, the carrier at 1,000 calls/s, the sim's calls 300 ms
long; the rate the node starts calls at over 10 s once running, against
the limit, with the machine's busy share. Each claim takes the next few
due recipients of a queue of N; a claim whose cost grows with the queue
shows here (before migration 7 of PostgreSQL: 33 starts/s of 1,000).

The same run gives the database's and the node's CPU per call started
(/proc of every `postgres` and `campaignd` process over the 10 s): what a
paced campaign costs the machine it shares with the API's reads. It runs
once per call length of --paced-call-ms (default 300 and 20,000 ms: the
second holds 20,000 calls in flight, where a claim's cost that grows with
them shows), measuring from when the calls in flight reach their number.

    /usr/bin/python3 bench/cluster.py [--total N] [--nodes 1,2,3] [--upload N] [--paced N]
                                      [--paced-call-ms 300,20000]

`--nodes 0` skips the node runs and their floor; `--upload 0` the upload.
"""
import argparse
import csv
import io
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import REPO, Server, emit  # noqa: E402
from dispatch import campaign, upload, wait_completed  # noqa: E402

PG = str(REPO / "scripts" / "pg.sh")


def psql(url, sql):
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    return subprocess.run(["psql", "-X", "-q", "-A", "-t", url, "-c", sql], check=True,
                          stdout=subprocess.PIPE, text=True, env=env).stdout.strip()


def with_db(url, name):
    base, query = url.split("?", 1)
    return base.rsplit("/", 1)[0] + "/" + name + "?" + query


def fresh_db(url, name):
    """Creates database NAME (dropped first if left over); its URL."""
    psql(url, "DROP DATABASE IF EXISTS %s" % name)
    psql(url, "CREATE DATABASE %s" % name)
    return with_db(url, name)


def raw_floor(url, total):
    """Runs the raw dispatch floor on a fresh database; its dispositions/s."""
    name = "bench_raw_floor"
    try:
        out = subprocess.run([str(REPO / "build-release" / "dispatch_raw_pg"),
                              fresh_db(url, name), str(total)],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
    finally:
        psql(url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    return json.loads(out)["dispositions_per_second"]


def run(url, nodes, total):
    """Dispatches TOTAL recipients with NODES nodes; their dispositions/s."""
    name = "bench_nodes_%d" % nodes
    db = fresh_db(url, name)
    servers = []
    try:
        for i in range(nodes):
            servers.append(Server(env={"CAMPAIGND_DATABASE": db, "CAMPAIGND_SIM_CALL_MS": "0",
                                       "CAMPAIGND_NODE_ID": "bench-%d" % i}))
        first = servers[0]
        r = first.admin("PUT", "/v1/admin/carriers/default-voice", {
            "channel": "voice", "rate_per_second": 1000000, "burst": 100000,
            "max_concurrent": 100000})
        assert r.status_code == 200, r.text
        cid = campaign(first)
        upload(first, cid, ["+1415%07d" % (2000000 + i) for i in range(total)])
        t0 = time.monotonic()
        first.s.post(first.base + "/v1/campaigns/%s/start" % cid)
        done = wait_completed(first, cid, 3600)
        secs = time.monotonic() - t0
        assert done["counters"]["succeeded"] + done["counters"]["failed"] == total
        shares = psql(db, "SELECT string_agg(claimed_by || '=' || n, ',' ORDER BY claimed_by) "
                          "FROM (SELECT claimed_by, count(*) AS n FROM calls "
                          "GROUP BY claimed_by) x")
        emit({"bench": "cluster_dispatch", "nodes": nodes, "recipients": total,
              "seconds": round(secs, 2), "dispositions_per_second": round(total / secs),
              "calls_per_node": shares})
        return total / secs
    finally:
        for s in servers:
            s.stop()
        psql(url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


def upload_vs_copy(url, total):
    name = "bench_upload"
    db = fresh_db(url, name)
    srv = Server(env={"CAMPAIGND_DATABASE": db})
    try:
        cid = campaign(srv)
        bodies = [json.dumps({"recipients": [
            {"phone_number": "+1415%07d" % (2000000 + i),
             "params": {"name": "Person %d" % i, "plan": "gold", "n": i}}
            for i in range(k, min(k + 10000, total))]}) for k in range(0, total, 10000)]
        url_up = srv.base + "/v1/campaigns/%s/recipients" % cid
        t0 = time.monotonic()
        for b in bodies:
            r = srv.s.post(url_up, data=b, headers={"Content-Type": "application/json"})
            assert r.status_code == 200, r.text
        api_secs = time.monotonic() - t0
        other = campaign(srv)
        seq = psql(db, "SELECT seq FROM campaigns WHERE id = '%s'" % other)
        carrier, lane, region = psql(db, "SELECT carrier, lane, coalesce(region, '') "
                                         "FROM recipients LIMIT 1").split("|")
        out = io.StringIO()
        w = csv.writer(out)
        now = int(time.time() * 1000)
        for i in range(total):
            w.writerow(["rcp_copy%016d" % i, seq, "+1415%07d" % (2000000 + i),
                        json.dumps({"name": "Person %d" % i, "plan": "gold", "n": i}),
                        carrier, lane, region, now, now])
        data = out.getvalue()
        t0 = time.monotonic()
        subprocess.run(["psql", "-X", "-q", db, "-c",
                        "COPY recipients(id, campaign_seq, phone_number, params, carrier, lane, "
                        "region, created_at, updated_at) FROM STDIN WITH (FORMAT csv)"],
                       input=data, text=True, check=True)
        copy_secs = time.monotonic() - t0
        emit({"bench": "pg_upload", "recipients": total,
              "api_recipients_per_second": round(total / api_secs),
              "copy_recipients_per_second": round(total / copy_secs),
              "copy_over_api": round(api_secs / copy_secs, 2)})
    finally:
        srv.stop()
        psql(url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


def machine_busy():
    """(busy, total) jiffies of the whole machine so far."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


def cpu_seconds(comms):
    """CPU seconds (user and system) so far of every process whose name
    starts with one of comms (a process's threads included)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                if not f.read().strip().startswith(comms):
                    continue
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def paced_long_queue(url, total, call_ms=300, limit=1000, seconds=10):
    name = "bench_paced"
    db = fresh_db(url, name)
    srv = Server(env={"CAMPAIGND_DATABASE": db, "CAMPAIGND_SIM_CALL_MS": str(call_ms)})
    try:
        r = srv.admin("PUT", "/v1/admin/carriers/default-voice", {
            "channel": "voice", "rate_per_second": limit, "burst": 10, "max_concurrent": 100000})
        assert r.status_code == 200, r.text
        cid = campaign(srv)
        upload(srv, cid, ["+1415%07d" % (2000000 + i) for i in range(total)])
        srv.s.post(srv.base + "/v1/campaigns/%s/start" % cid)
        time.sleep(2 + call_ms / 1000)  # the calls in flight at their steady number

        def started():
            c = srv.s.get(srv.base + "/v1/campaigns/" + cid).json()["counters"]
            return c["dispatched"] + c["succeeded"] + c["failed"]
        n0, b0, t0 = started(), machine_busy(), time.monotonic()
        pg0, cd0 = cpu_seconds(("postgres",)), cpu_seconds(("campaignd",))
        time.sleep(seconds)
        pg1, cd1 = cpu_seconds(("postgres",)), cpu_seconds(("campaignd",))
        n1, b1, t1 = started(), machine_busy(), time.monotonic()
        rate = (n1 - n0) / (t1 - t0)
        busy = (b1[0] - b0[0]) / (b1[1] - b0[1])
        # the database's and the node's CPU per call started (the node's
        # HTTP threads idle here: the counters are read twice)
        pg_us = (pg1 - pg0) * 1e6 / max(n1 - n0, 1)
        node_us = (cd1 - cd0) * 1e6 / max(n1 - n0, 1)
        print("paced_long_queue: %d queued, calls of %d ms, %.0f starts/s against a limit of "
              "%d/s (%.3f), machine busy %.2f; CPU per start: PostgreSQL %.0f us, campaignd %.0f us"
              % (total, call_ms, rate, limit, rate / limit, busy, pg_us, node_us), flush=True)
        emit({"bench": "pg_paced_long_queue", "recipients": total, "call_ms": call_ms,
              "limit_per_second": limit,
              "starts_per_second": round(rate), "over_limit": round(rate / limit, 3),
              "machine_busy_share": round(busy, 3),
              "postgres_cpu_us_per_start": round(pg_us), "campaignd_cpu_us_per_start":
                  round(node_us)})
    finally:
        srv.stop()
        psql(url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


def dispatch_vs_floor(url, nodes, total):
    floor = [raw_floor(url, total)]
    rates = {n: run(url, n, total) for n in [int(x) for x in nodes.split(",")]}
    floor.append(raw_floor(url, total))
    mean = sum(floor) / len(floor)
    ratios = {str(n): round(r / mean, 3) for n, r in rates.items()}
    print("cluster_dispatch: raw floor %s/s; nodes / raw floor: %s"
          % ("/".join("%.0f" % f for f in floor),
             ", ".join("%s: %.3f" % kv for kv in ratios.items())), flush=True)
    emit({"bench": "cluster_dispatch_floor", "recipients": total,
          "raw_floor_dispositions_per_second": floor, "nodes_over_raw_floor": ratios})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=100000)
    ap.add_argument("--nodes", default="1,2,3")
    ap.add_argument("--upload", type=int, default=200000)
    ap.add_argument("--paced", type=int, default=200000)
    ap.add_argument("--paced-call-ms", default="300,20000")
    a = ap.parse_args()
    url, folder = subprocess.run([PG, "start"], check=True, stdout=subprocess.PIPE,
                                 text=True).stdout.split()
    try:
        if a.nodes != "0":
            dispatch_vs_floor(url, a.nodes, a.total)
        if a.upload:
            upload_vs_copy(url, a.upload)
        if a.paced:
            for call_ms in [int(x) for x in a.paced_call_ms.split(",")]:
                paced_long_queue(url, a.paced, call_ms)
    finally:
        subprocess.run([PG, "stop", folder], check=True)


if __name__ == "__main__":
    main()
