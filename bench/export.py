"""Export benchmark: 1,000,000 recipients (three params each, uploaded in
100 requests), then GET .../recipients/export read to the end, plain and
gzip, and `campaignctl export` to /dev/null; rows/s of each, against the
floor of the same rows read straight from SQLite and rendered by the same
CSV code (bench/export_floor.c); the server's RSS before, at its peak while
the body streams (sampled every 10 ms from /proc) and after.

    /usr/bin/python3 bench/export.py [--total 1000000]
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(__file__))
from common import BIN, REPO, Server, emit  # noqa: E402


def body(start, n):
    return json.dumps({"recipients": [
        {"phone_number": "+1415%07d" % (2000000 + i),
         "params": {"name": "Person %d, Jr" % i, "plan": "gold", "n": i}}
        for i in range(start, start + n)]}).encode()


class RssSampler:
    def __init__(self, srv):
        self.srv = srv
        self.peak = srv.rss_kib()
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self.srv.rss_kib())
            time.sleep(0.01)

    def done(self):
        self.stop.set()
        self.t.join()
        return self.peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=1000000)
    args = ap.parse_args()
    floor_bin = os.environ.get("FLOOR_BIN") or str(REPO / "build-release" / "export_floor")
    ctl_bin = os.environ.get("CAMPAIGNCTL_BIN") or os.path.join(os.path.dirname(BIN),
                                                                "campaignctl")
    srv = Server()
    try:
        cid = srv.s.post(srv.base + "/v1/campaigns", json={
            "name": "bench", "agent_id": "agt_bench",
            "config": {"caller_id": "+14155550100"}}).json()["id"]
        url = srv.base + "/v1/campaigns/%s/recipients" % cid
        for start in range(0, args.total, 10000):
            r = srv.s.post(url, data=body(start, min(10000, args.total - start)),
                           headers={"Content-Type": "application/json"})
            assert r.status_code == 200, r.text[:300]
        floor = json.loads(subprocess.run(
            [floor_bin, os.path.join(srv.dir, "campaignd.db"), cid],
            check=True, capture_output=True, text=True).stdout)
        export_url = url + "/export"
        for encoding in ("identity", "gzip"):
            before = srv.rss_kib()
            sampler = RssSampler(srv)
            t0 = time.monotonic()
            size = rows = 0
            with requests.get(export_url, stream=True,
                              headers={"Authorization": srv.s.headers["Authorization"],
                                       "Accept-Encoding": encoding}) as r:
                assert r.status_code == 200
                for chunk in r.raw.stream(65536, decode_content=False):
                    size += len(chunk)
                    if encoding == "identity":
                        rows += chunk.count(b"\r\n")
            secs = time.monotonic() - t0
            peak = sampler.done()
            if encoding == "identity":
                assert rows == args.total + 1, rows
            rps = args.total / secs
            emit({"bench": "export_api_%s" % encoding, "recipients": args.total,
                  "bytes_on_the_wire": size, "seconds": round(secs, 2),
                  "rows_per_second": round(rps),
                  "floor_rows_per_second": floor["rows_per_second"],
                  "floor_over_api": round(floor["rows_per_second"] / rps, 2),
                  "rss_kib_before": before, "rss_kib_peak_during": peak,
                  "rss_kib_after": srv.rss_kib()})
        if os.path.exists(ctl_bin):
            env = dict(os.environ, CAMPAIGND_URL=srv.base, CAMPAIGND_API_KEY=srv.key)
            t0 = time.monotonic()
            with open(os.devnull, "wb") as sink:
                subprocess.run([ctl_bin, "export", cid], env=env, stdout=sink, check=True)
            secs = time.monotonic() - t0
            emit({"bench": "export_campaignctl", "recipients": args.total,
                  "seconds": round(secs, 2), "rows_per_second": round(args.total / secs)})
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
