"""Shared helpers of the benchmarks: start a campaignd from a given build
on a free port with a temporary database, create an account, read the
server's memory. Only the standard library and python3-requests.

The server starts without the caller's CAMPAIGND_* variables (a stray one
would change what is measured); BENCH_SERVER_ENV passes settings on
purpose, as space-separated NAME=VALUE pairs, e.g.
BENCH_SERVER_ENV="CAMPAIGND_ENGINE_GATHER_MS=5"."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

REPO = pathlib.Path(__file__).resolve().parents[1]
BIN = os.environ.get("CAMPAIGND_BIN") or str(REPO / "build-release" / "campaignd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env=None):
        self.dir = tempfile.mkdtemp(prefix="campaignd-bench-")
        self.port = free_port()
        self.token = "bench-admin"
        e = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGND_")}
        e.update({"CAMPAIGND_LISTEN": "127.0.0.1:%d" % self.port,
                  "CAMPAIGND_DATABASE": "sqlite:%s/campaignd.db" % self.dir,
                  "CAMPAIGND_ADMIN_TOKEN": self.token,
                  "CAMPAIGND_LOG_LEVEL": "warn"})
        e.update(env or {})
        e.update(kv.split("=", 1) for kv in os.environ.get("BENCH_SERVER_ENV", "").split())
        self.log = open(os.path.join(self.dir, "stderr.log"), "wb")
        self.proc = subprocess.Popen([BIN], env=e, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % self.port
        for _ in range(200):
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        self.s = requests.Session()
        r = self.s.post(self.base + "/v1/admin/accounts", json={"name": "bench"},
                        headers={"Authorization": "Bearer " + self.token})
        self.key = r.json()["api_key"]
        self.s.headers["Authorization"] = "Bearer " + self.key

    def admin(self, method, path, body=None):
        return requests.request(method, self.base + path, json=body,
                                headers={"Authorization": "Bearer " + self.token})

    def rss_kib(self, field="VmRSS"):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        """User + system CPU time the server has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        """Stops the server and removes its folder (database, log), which
        a large run fills with hundreds of megabytes; BENCH_KEEP=1 keeps
        it."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.log.close()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


def run_floor(name, total):
    """Runs the native floor build-release/NAME on a fresh database for
    TOTAL rows; its JSON line, parsed."""
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([str(REPO / "build-release" / name), os.path.join(d, "f.db"),
                              str(total)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def raw_ratio(record, what, rate, raw, schema_floor, goal):
    """Adds to RECORD the ratio of campaignd's RATE to the mean of the raw
    floor's runs RAW (issue 19), the goal and the schema floor; prints the
    ratio next to its floor; returns RECORD."""
    mean = sum(raw) / len(raw)
    record.update({"raw_floor_%s_per_second" % what: raw,
                   "api_over_raw_floor": round(rate / mean, 3), "goal": goal,
                   "schema_floor_%s_per_second" % what: schema_floor,
                   "schema_floor_over_api": round(schema_floor / rate, 2)})
    print("%s: campaignd %.0f %s/s, raw floor %s/s -> ratio %.3f (goal >= %.2f)"
          % (record["bench"], rate, what, "/".join("%.0f" % r for r in raw), rate / mean, goal),
          flush=True)
    return record


def emit(record):
    """One line per figure on stdout, and the record appended to results."""
    print(json.dumps(record), flush=True)
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(record) + "\n")
