"""Dispatch benchmarks (issue 8):

  A. a voice campaign of --total recipients (default 1,000,000) with limits
     set very high and the sim provider at 0 ms: dispositions/second end to
     end (start to completed), against two floors run in the same
     invocation: the RAW floor (bench/dispatch_raw.c: the minimum row work
     per disposition on a minimal schema of its own, run before and after
     the API; issue 19's goal is API / raw >= 0.25) and the schema floor
     (bench/dispatch_floor.c: campaignd's own row updates on its own
     schema, which shows what the schema costs); peak RSS of the server
     with 10 and with --total recipients stored and a campaign running.
  B. --paced recipients (default 100,000) paced across 4 carriers at 500/s
     each (two campaigns sharing the lanes, 3:1): the realised rate per
     carrier against its limit, the peak concurrency against each cap, and
     the share of starts each campaign got while both had work.

    /usr/bin/python3 bench/dispatch.py [--total N] [--paced N] [--only A|B]
"""
import argparse
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import Server, emit, raw_ratio, run_floor  # noqa: E402


def upload(srv, cid, numbers):
    url = srv.base + "/v1/campaigns/%s/recipients" % cid
    for i in range(0, len(numbers), 10000):
        body = json.dumps({"recipients": [{"phone_number": n} for n in numbers[i:i + 10000]]})
        r = srv.s.post(url, data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 200 and r.json()["accepted"] == len(numbers[i:i + 10000]), r.text


def campaign(srv):
    r = srv.s.post(srv.base + "/v1/campaigns", json={
        "name": "bench", "agent_id": "agt", "config": {"caller_id": "+14155550100"}})
    return r.json()["id"]


def wait_completed(srv, cid, timeout, poll=0.2):
    """Polls the campaign every poll seconds until it is completed. Bench A
    polls every 10 ms: its run lasts a few seconds, and a 200 ms poll added
    up to 5 % to it (a GET is 20 microseconds of the server's time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c = srv.s.get(srv.base + "/v1/campaigns/" + cid).json()
        if c["status"] == "completed":
            return c
        time.sleep(poll)
    raise SystemExit("campaign %s did not complete in %ss" % (cid, timeout))


GOAL = 0.25


def bench_a(total):
    floor = run_floor("dispatch_floor", total)
    raw = [run_floor("dispatch_raw", total)["dispositions_per_second"]]

    small = Server(env={"CAMPAIGND_SIM_CALL_MS": "60000"})
    try:
        cid = campaign(small)
        upload(small, cid, ["+1415%07d" % (2000000 + i * 10) for i in range(10)])
        small.s.post(small.base + "/v1/campaigns/%s/start" % cid)
        time.sleep(1)
        rss_small = small.rss_kib("VmHWM")
    finally:
        small.stop()

    srv = Server(env={"CAMPAIGND_SIM_CALL_MS": "0"})
    try:
        r = srv.admin("PUT", "/v1/admin/carriers/default-voice", {
            "channel": "voice", "rate_per_second": 1000000, "burst": 100000,
            "max_concurrent": 100000})
        assert r.status_code == 200, r.text
        cid = campaign(srv)
        upload(srv, cid, ["+1415%07d" % (2000000 + i) for i in range(total)])
        t0 = time.monotonic()
        srv.s.post(srv.base + "/v1/campaigns/%s/start" % cid)
        done = wait_completed(srv, cid, 1800, poll=0.01)
        secs = time.monotonic() - t0
        assert done["counters"]["succeeded"] + done["counters"]["failed"] == total
        rate = total / secs
        peak = srv.rss_kib("VmHWM")
        raw.append(run_floor("dispatch_raw", total)["dispositions_per_second"])
        emit(raw_ratio({"bench": "dispatch_api", "recipients": total,
                        "seconds": round(secs, 2), "dispositions_per_second": round(rate)},
                       "dispositions", rate, raw, floor["dispositions_per_second"], GOAL))
        emit({"bench": "memory", "peak_rss_kib_10_recipients": rss_small,
              "peak_rss_kib_%d_recipients" % total: peak})
    finally:
        srv.stop()


CARRIERS = [("c415", "+1415"), ("c212", "+1212"), ("c312", "+1312"), ("c646", "+1646")]


def bench_b(total):
    rate, cap = 500, 150
    srv = Server(env={"CAMPAIGND_SIM_CALL_MS": "200"})
    try:
        for name, prefix in CARRIERS:
            r = srv.admin("PUT", "/v1/admin/carriers/" + name, {
                "channel": "voice", "prefixes": [prefix], "rate_per_second": rate, "burst": 5,
                "max_concurrent": cap})
            assert r.status_code == 200, r.text
        per = total // len(CARRIERS)
        big, small = campaign(srv), campaign(srv)
        nb, ns = per * 3 // 4, per - per * 3 // 4
        for _, prefix in CARRIERS:
            upload(srv, big, ["%s%07d" % (prefix, 2000000 + i * 10) for i in range(nb)])
            upload(srv, small, ["%s%07d" % (prefix, 6000000 + i * 10) for i in range(ns)])
        srv.s.post(srv.base + "/v1/campaigns/%s/start" % big)
        srv.s.post(srv.base + "/v1/campaigns/%s/start" % small)
        wait_completed(srv, big, 600)
        wait_completed(srv, small, 60)
        db = sqlite3.connect(os.path.join(srv.dir, "campaignd.db"))
        small_seq = db.execute("SELECT seq FROM campaigns WHERE id = ?", (small,)).fetchone()[0]
        for name, _ in CARRIERS:
            rows = db.execute("SELECT created_at, ended_at, campaign_seq FROM calls "
                              "WHERE carrier = ? ORDER BY created_at", (name,)).fetchall()
            starts = [r[0] for r in rows]
            span = (starts[-1] - starts[0]) / 1000.0
            realised = (len(starts) - 1) / span if span > 0 else 0
            events = sorted([(r[0], 1) for r in rows] + [(r[1], -1) for r in rows],
                            key=lambda e: (e[0], e[1]))
            cur = peak = 0
            for _, d in events:
                cur += d
                peak = max(peak, cur)
            small_end = max(r[0] for r in rows if r[2] == small_seq)
            both = [r for r in rows if r[0] <= small_end]
            share = sum(1 for r in both if r[2] == small_seq) / len(both)
            emit({"bench": "paced", "carrier": name, "limit_per_second": rate,
                  "realised_per_second": round(realised, 2),
                  "realised_over_limit": round(realised / rate, 4),
                  "peak_concurrency": peak, "max_concurrent": cap,
                  "small_campaign_share_while_both_ran": round(share, 3)})
        db.close()
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=1000000)
    ap.add_argument("--paced", type=int, default=100000)
    ap.add_argument("--only", choices=["A", "B"])
    a = ap.parse_args()
    if a.only in (None, "A"):
        bench_a(a.total)
    if a.only in (None, "B"):
        bench_b(a.paced)


if __name__ == "__main__":
    main()
