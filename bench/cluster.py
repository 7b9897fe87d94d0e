"""Dispatch with 1, 2 and 3 nodes on one PostgreSQL (issue 14): a voice
campaign of --total recipients (default 100,000), carrier limits set very
high, the sim provider at 0 ms, started through the first node; every node
dispatches it. Figures: dispositions/second end to end (start to completed)
for each node count, and each node's share of the calls. The PostgreSQL
server is a throwaway one (scripts/pg.sh start; fsync off), a fresh
database per node count.

Not here yet: the raw floor (the same claims and moves as plain SQL from
one client) and upload against COPY (see docs/benchmarks.md).

    /usr/bin/python3 bench/cluster.py [--total N] [--nodes 1,2,3]
"""
import argparse
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


def run(url, nodes, total):
    name = "bench_nodes_%d" % nodes
    psql(url, "DROP DATABASE IF EXISTS %s" % name)
    psql(url, "CREATE DATABASE %s" % name)
    db = with_db(url, name)
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
    finally:
        for s in servers:
            s.stop()
        psql(url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=100000)
    ap.add_argument("--nodes", default="1,2,3")
    a = ap.parse_args()
    url, folder = subprocess.run([PG, "start"], check=True, stdout=subprocess.PIPE,
                                 text=True).stdout.split()
    try:
        for n in [int(x) for x in a.nodes.split(",")]:
            run(url, n, a.total)
    finally:
        subprocess.run([PG, "stop", folder], check=True)


if __name__ == "__main__":
    main()
