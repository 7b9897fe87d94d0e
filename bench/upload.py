"""Upload benchmark: one 10,000-recipient JSON upload with params (request
to answer), then 1,000,000 recipients in 100 requests through the API,
against two floors run in the same invocation: the RAW floor
(bench/upload_raw.c: the same numbers and params on a minimal schema of its
own, one transaction per 10,000 rows; run before and after the API, issue
19's goal is API / raw >= 0.30) and the schema floor (bench/upload_floor.c:
the same rows on campaignd's own schema, one transaction, which shows what
the schema costs). Reports recipients/second, the ratios, the server's CPU
time (user + system) per recipient, and its RSS before and after.

    /usr/bin/python3 bench/upload.py [--total 1000000]
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import Server, emit, raw_ratio, run_floor  # noqa: E402


def body(start, n):
    return json.dumps({"recipients": [
        {"phone_number": "+1415%07d" % (2000000 + i),
         "params": {"name": "Person %d" % i, "plan": "gold", "n": i}}
        for i in range(start, start + n)]}).encode()


GOAL = 0.30


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=1000000)
    ap.add_argument("--per-request", type=int, default=10000)
    args = ap.parse_args()

    floor = run_floor("upload_floor", args.total)
    raw = [run_floor("upload_raw", args.total)["rows_per_second"]]

    srv = Server()
    try:
        cmp_ = srv.s.post(srv.base + "/v1/campaigns", json={
            "name": "bench", "agent_id": "agt_bench",
            "config": {"caller_id": "+14155550100"}}).json()["id"]
        url = srv.base + "/v1/campaigns/%s/recipients" % cmp_
        rss_before = srv.rss_kib()
        bodies = [body(i, args.per_request) for i in range(0, args.total, args.per_request)]
        hdr = {"Content-Type": "application/json"}
        cpu0 = srv.cpu_seconds()
        t0 = time.monotonic()
        first = None
        for b in bodies:
            t = time.monotonic()
            r = srv.s.post(url, data=b, headers=hdr)
            if first is None:
                first = time.monotonic() - t
            assert r.status_code == 200 and r.json()["accepted"] == args.per_request, r.text[:300]
        secs = time.monotonic() - t0
        cpu = srv.cpu_seconds() - cpu0
        c = srv.s.get(srv.base + "/v1/campaigns/" + cmp_).json()["counters"]
        assert c["total"] == args.total
        rps = args.total / secs
        raw.append(run_floor("upload_raw", args.total)["rows_per_second"])
        emit({"bench": "upload_one_request", "recipients": args.per_request,
              "seconds": round(first, 4)})
        emit(raw_ratio({"bench": "upload_api", "recipients": args.total,
                        "requests": len(bodies), "seconds": round(secs, 2),
                        "recipients_per_second": round(rps),
                        "server_cpu_us_per_recipient": round(cpu * 1e6 / args.total, 2)},
                       "rows", rps, raw, floor["rows_per_second"], GOAL))
        emit({"bench": "upload_memory", "rss_kib_before": rss_before,
              "rss_kib_after": srv.rss_kib(), "peak_rss_kib": srv.rss_kib("VmHWM")})
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
