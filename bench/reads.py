"""API read benchmark: GET /v1/campaigns/{id} with wrk (64 connections,
15 s, 2 threads) while a campaign dispatches at 1,000/s, against nginx
serving a static file of the same bytes on the same machine with the same
wrk settings. Reports requests/second, p50 and p99 latency, and the ratio
against issue 19's goals (campaignd p99 under 5 ms, and at least 0.6 of
nginx's requests/second), both servers measured in the same invocation,
the share of the run's GETs the campaign cache answered, and on
PostgreSQL the GETs each snapshot check served (api/snapshot_gate.c), and
how many dispositions the engine made by the end of the run (a build
whose reads starve the engine shows here).

    /usr/bin/python3 bench/reads.py [--seconds 15] [--connections 64] [--threads N] [--idle N]

--idle N holds N more keep-alive connections open and idle on each server
while wrk measures it (each had one answer first): the cost of a worker
watching many connections (epoll against poll(), docs/architecture.md
decision 48); at most 4,000 (the server takes 4,096).

--threads sets the server's HTTP worker threads (CAMPAIGND_THREADS; the
server's default when absent). --postgres runs the server on a fresh
database of a throwaway PostgreSQL (scripts/pg.sh start) instead of SQLite,
and measures a third peer in the same run: PostgreSQL alone answering the
statement the GET sends (pgbench, prepared, as many clients as the server
has threads, the statement's text read from src/store/pg_campaigns.c),
while the campaign still dispatches: the ceiling the database puts on a
GET that reaches it, with no HTTP around it; and a fourth: PostgreSQL
answering `SELECT 1` with as many clients, the cheapest round trip a GET
that consults the database on its own makes. From it and nginx the run
prints the ceiling such a GET has against nginx on this machine: nginx's
own HTTP work plus that one round trip, nothing else, sharing the machine
(1 / (1/nginx + 1/select1), over nginx); GETs sharing one snapshot check
each pay a fraction of it.
"""
import argparse
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import REPO, Server, emit, free_port  # noqa: E402

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


def get_statement(db, cid):
    """The SQL text of store_ops.campaign_get_with_key on PostgreSQL, with
    the bench account's key prefix (its only key) and campaign id in."""
    src = (REPO / "src" / "store" / "pg_campaigns.c").read_text()
    macros = {"CAMPAIGN_COLS": "".join(re.findall(r'"([^"]*)"', re.search(
        r"#define CAMPAIGN_COLS(.*?)\n(?!\s+\")", src, re.S).group(1)))}
    body = re.search(r"SQL_GET_WITH_KEY\[\] =(.*?);", src, re.S).group(1)
    sql = "".join(q or macros[m] for q, m in re.findall(r'"([^"]*)"|(CAMPAIGN_COLS)', body))
    prefix = subprocess.run(["psql", "-X", "-A", "-t", db, "-c", "SELECT prefix FROM api_keys"],
                            check=True, capture_output=True, text=True).stdout.strip()
    return sql.replace("?1", "'%s'" % prefix).replace("?2", "'%s'" % cid) + ";"


def pgbench(db, sql, clients, seconds):
    """Statements/second PostgreSQL answers sql at with clients clients."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(sql + "\n")
    try:
        out = subprocess.run([PGBENCH, "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
                              "-T", str(seconds), "-f", f.name, db],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def wrk(url, key, seconds, conns):
    out = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "--latency",
                          "-H", "Authorization: Bearer %s" % key, url],
                         check=True, capture_output=True, text=True).stdout

    def ms(v, unit):
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_second": rps, "p50_ms": round(ms(*p50.groups()), 3),
            "p99_ms": round(ms(*p99.groups()), 3),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def hold_idle(port, n, request):
    """n keep-alive connections to port, each answered once, left idle."""
    held = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        s.recv(65536)
        held.append(s)
    return held


def release(held):
    for s in held:
        s.close()


def nginx(root, port):
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""worker_processes auto; daemon off; pid %(r)s/nginx.pid;
error_log %(r)s/error.log; worker_rlimit_nofile 10000;
events { worker_connections 5000; }
http { access_log off; default_type application/json;
  client_body_temp_path %(r)s; proxy_temp_path %(r)s; fastcgi_temp_path %(r)s;
  uwsgi_temp_path %(r)s; scgi_temp_path %(r)s;
  server { listen 127.0.0.1:%(p)d; root %(r)s; location / { } } }
""" % {"r": root, "p": port})
    return subprocess.Popen(["nginx", "-c", conf, "-p", root], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


P99_GOAL_MS, RATIO_GOAL = 5.0, 0.6


def cache_counts(srv):
    """(hits, misses, snapshot checks) of the campaign cache from GET
    /metrics (checks 0 on SQLite, which needs none), or None where there
    is no cache."""
    text = srv.s.get(srv.base + "/metrics").text
    hits = re.search(r"^campaignd_campaign_cache_hits_total (\d+)$", text, re.M)
    misses = re.search(r"^campaignd_campaign_cache_misses_total (\d+)$", text, re.M)
    checks = re.search(r"^campaignd_snapshot_checks_total (\d+)$", text, re.M)
    if not hits or not misses:
        return None
    return (int(hits.group(1)), int(misses.group(1)), int(checks.group(1)) if checks else 0)


def cache_share(before, after):
    """The share of the run's GETs answered from the campaign cache."""
    if not before or not after:
        return None
    hits, misses = after[0] - before[0], after[1] - before[1]
    return round(hits / (hits + misses), 4) if hits + misses else None


def gets_per_check(before, after):
    """GETs served by each check of the database's snapshot (PostgreSQL)."""
    if not before or not after or after[2] == before[2]:
        return None
    return round((after[0] + after[1] - before[0] - before[1]) / (after[2] - before[2]), 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--idle", type=int, default=0)
    a = ap.parse_args()
    if not 0 <= a.idle <= 4000:
        raise SystemExit("reads: --idle is 0..4000")
    if a.idle:  # the servers started below inherit it
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if not shutil.which("wrk") or not shutil.which("nginx"):
        raise SystemExit("reads: needs wrk and nginx (apt-get install wrk nginx-light)")
    env = {"CAMPAIGND_SIM_CALL_MS": "300"}
    if a.threads:
        env["CAMPAIGND_THREADS"] = str(a.threads)
    pg = None
    if a.postgres:
        from cluster import PG, fresh_db
        url, folder = subprocess.run([PG, "start"], check=True, stdout=subprocess.PIPE,
                                     text=True).stdout.split()
        pg = folder
        env["CAMPAIGND_DATABASE"] = fresh_db(url, "bench_reads")
    try:
        run(a, env)
    finally:
        if pg:
            subprocess.run([PG, "stop", pg], check=True)


def run(a, env):
    srv = Server(env=env)
    root = tempfile.mkdtemp(prefix="campaignd-nginx-")
    ng = None
    try:
        r = srv.admin("PUT", "/v1/admin/carriers/default-voice", {
            "channel": "voice", "rate_per_second": 1000, "burst": 10, "max_concurrent": 1000})
        assert r.status_code == 200, r.text
        cid = srv.s.post(srv.base + "/v1/campaigns", json={
            "name": "reads", "agent_id": "agt", "config": {"caller_id": "+14155550100"}}).json()["id"]
        peers = 4 if a.postgres else 2  # campaignd and nginx; the statement and SELECT 1
        n = ((peers + 1) * a.seconds + 10) * 1000  # dispatching through every peer's run
        url = srv.base + "/v1/campaigns/%s/recipients" % cid
        for i in range(0, n, 10000):
            body = {"recipients": [{"phone_number": "+1415%07d" % (2000000 + j)}
                                   for j in range(i, min(n, i + 10000))]}
            assert srv.s.post(url, json=body).status_code == 200
        srv.s.post(srv.base + "/v1/campaigns/%s/start" % cid)
        time.sleep(1)
        target = srv.base + "/v1/campaigns/" + cid
        body = srv.s.get(target).content
        with open(os.path.join(root, "campaign.json"), "wb") as f:
            f.write(body)
        port = free_port()
        ng = nginx(root, port)
        time.sleep(0.5)
        cache_before = cache_counts(srv)
        path = "/v1/campaigns/" + cid
        held = hold_idle(srv.port, a.idle, b"GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: "
                         b"Bearer %s\r\n\r\n" % (path.encode(), srv.key.encode()))
        api = wrk(target, srv.key, a.seconds, a.connections)
        release(held)
        cache_after = cache_counts(srv)
        before = srv.s.get(target).json()["counters"]
        alone = select1 = None
        if a.postgres:
            db = env["CAMPAIGND_DATABASE"]
            clients = a.threads or (os.cpu_count() or 1) + 4
            alone = pgbench(db, get_statement(db, cid), clients, a.seconds)
            select1 = pgbench(db, "SELECT 1;", clients, a.seconds)
        held = hold_idle(port, a.idle, b"GET /campaign.json HTTP/1.1\r\nHost: x\r\n\r\n")
        static = wrk("http://127.0.0.1:%d/campaign.json" % port, srv.key, a.seconds,
                     a.connections)
        release(held)
        ratio = api["requests_per_second"] / static["requests_per_second"]
        # a GET that makes one round trip of the cheapest kind, with nginx's
        # HTTP work around it: the machine does both per request
        ceiling = select1 / (static["requests_per_second"] + select1) if select1 else None
        emit({"bench": "reads", "store": env.get("CAMPAIGND_DATABASE", "sqlite")[:8],
              "bytes": len(body), "connections": a.connections, "idle_connections": a.idle,
              "seconds": a.seconds, "threads": a.threads or None, "campaignd": api, "nginx": static,
              "campaignd_over_nginx": round(ratio, 3), "goal_over_nginx": RATIO_GOAL,
              "goal_p99_ms": P99_GOAL_MS,
              "dispatched_during_run": before["succeeded"] + before["failed"],
              "campaign_cache_hit_share": cache_share(cache_before, cache_after),
              "gets_per_snapshot_check": gets_per_check(cache_before, cache_after),
              "postgres_alone_statements_per_second": alone,
              "campaignd_over_postgres_alone":
                  round(api["requests_per_second"] / alone, 3) if alone else None,
              "postgres_select1_per_second": select1,
              "round_trip_ceiling_over_nginx": round(ceiling, 3) if ceiling else None})
        print("reads: campaignd %.0f req/s p99 %.2f ms, nginx %.0f req/s p99 %.2f ms -> ratio "
              "%.3f (goal >= %.2f, p99 < %.0f ms)"
              % (api["requests_per_second"], api["p99_ms"], static["requests_per_second"],
                 static["p99_ms"], ratio, RATIO_GOAL, P99_GOAL_MS), flush=True)
        if alone:
            print("reads: PostgreSQL alone answers the GET's statement %.0f/s: campaignd at %.3f "
                  "of it, nginx at %.2f of it" % (alone, api["requests_per_second"] / alone,
                                                  static["requests_per_second"] / alone),
                  flush=True)
            print("reads: PostgreSQL answers SELECT 1 %.0f/s: a GET of nginx's HTTP work and "
                  "one such round trip would be at most %.3f of nginx" % (select1, ceiling),
                  flush=True)
    finally:
        if ng:
            ng.send_signal(signal.SIGQUIT)
            ng.wait(timeout=10)
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
