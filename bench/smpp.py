"""SMS throughput over SMPP: campaignd's smpp provider against Kannel
(Debian `kannel` 1.4.5: bearerbox + smsbox) sending to the same stand-in
SMSC (tests/smsc/smsc.js, answering every submit_sm at once, no receipts),
with the same window and one bind, in one run.

  /usr/bin/python3 bench/smpp.py --total 20000 --window 10

campaignd: an sms campaign of `total` recipients on a carrier paced far
above the SMSC, through an smpp provider; timed from start until the
stand-in has every submit_sm. Kannel: `total` sendsms HTTP requests to
smsbox from 8 client threads (Kannel has no campaigns: its HTTP intake is
its path in), timed from the first request until the stand-in has every
submit_sm. Figures: messages accepted per second, and CPU (user + system)
of the server's processes per message (campaignd; bearerbox + smsbox).
Needs node, tests/smsc/node_modules (scripts/deps.sh) and, for the Kannel
half, bearerbox and smsbox on PATH or in /usr/sbin (skipped otherwise)."""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

sys.path.insert(0, os.path.dirname(__file__))
from common import REPO, Server, emit, free_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


class Smsc:
    def __init__(self):
        self.port, self.control = free_port(), free_port()
        self.proc = subprocess.Popen(["node", "smsc.js", str(self.port), str(self.control)],
                                     cwd=str(REPO / "tests" / "smsc"),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % self.control
        for _ in range(200):
            try:
                requests.get(self.base + "/count", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.05)
        requests.post(self.base + "/config", json={"receipt_form": "none"}, timeout=5)

    def count(self):
        return requests.get(self.base + "/count", timeout=5).json()

    def wait_submits(self, n, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count()["submits"] >= n:
                return time.monotonic()
            time.sleep(0.05)
        raise SystemExit("the SMSC got %d of %d submits" % (self.count()["submits"], n))

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def bench_campaignd(total, window):
    smsc = Smsc()
    srv = Server(env={"CAMPAIGND_PROVIDER_ALLOW_PRIVATE": "1"})  # the SMSC is on 127.0.0.1
    try:
        r = srv.admin("PUT", "/v1/admin/providers/smsc", {
            "type": "smpp", "host": "127.0.0.1", "port": smsc.port, "system_id": "campaignd",
            "password": "secret", "window": window, "binds": 1})
        assert r.status_code == 200, r.text
        r = srv.admin("PUT", "/v1/admin/carriers/default-sms", {
            "channel": "sms", "rate_per_second": 1000000, "burst": 100000,
            "max_concurrent": 100000, "provider": "smsc"})
        assert r.status_code == 200, r.text
        r = srv.s.post(srv.base + "/v1/campaigns", json={
            "name": "bench", "agent_id": "agt", "channel": "sms",
            "config": {"from": "+14155550199", "body": "Your code is 1234"}})
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        url = srv.base + "/v1/campaigns/%s/recipients" % cid
        for i in range(0, total, 10000):
            chunk = [{"phone_number": "+1415%07d" % (2000000 + k)}
                     for k in range(i, min(total, i + 10000))]
            r = srv.s.post(url, json={"recipients": chunk})
            assert r.status_code == 200, r.text
        for _ in range(200):
            if smsc.count()["sessions"]:
                break
            time.sleep(0.05)
        cpu0, t0 = cpu_seconds([srv.proc.pid]), time.monotonic()
        srv.s.post(srv.base + "/v1/campaigns/%s/start" % cid)
        t1 = smsc.wait_submits(total, 600)
        cpu = cpu_seconds([srv.proc.pid]) - cpu0
        return total / (t1 - t0), cpu / total * 1e6
    finally:
        srv.stop()
        smsc.stop()


KANNEL_CONF = """group = core
admin-port = {admin}
admin-password = bench
smsbox-port = {box}
log-file = "{dir}/bearerbox.log"
log-level = 4
box-allow-ip = 127.0.0.1

group = smsc
smsc = smpp
smsc-id = standin
host = 127.0.0.1
port = {smpp}
transceiver-mode = true
smsc-username = campaignd
smsc-password = secret
system-type = "VMA"
max-pending-submits = {window}
enquire-link-interval = 30

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {box}
sendsms-port = {sendsms}
log-file = "{dir}/smsbox.log"
log-level = 4

group = sendsms-user
username = bench
password = bench
max-messages = 1
"""


def bench_kannel(total, window):
    bearerbox = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
    smsbox = shutil.which("smsbox") or "/usr/sbin/smsbox"
    if not (os.access(bearerbox, os.X_OK) and os.access(smsbox, os.X_OK)):
        return None
    smsc = Smsc()
    d = tempfile.mkdtemp(prefix="kannel-bench-")
    ports = {"admin": free_port(), "box": free_port(), "sendsms": free_port(),
             "smpp": smsc.port, "window": window, "dir": d}
    conf = os.path.join(d, "kannel.conf")
    with open(conf, "w") as f:
        f.write(KANNEL_CONF.format(**ports))
    procs = [subprocess.Popen([bearerbox, conf], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        for _ in range(400):
            if smsc.count()["sessions"]:
                break
            time.sleep(0.05)
        procs.append(subprocess.Popen([smsbox, conf], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        base = "http://127.0.0.1:%d/cgi-bin/sendsms" % ports["sendsms"]
        for _ in range(400):
            try:
                requests.get(base, timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.05)
        local = threading.local()

        def send(k):
            if not hasattr(local, "s"):
                local.s = requests.Session()
            q = urllib.parse.urlencode({"username": "bench", "password": "bench",
                                        "from": "14155550199", "to": "1415%07d" % (2000000 + k),
                                        "text": "Your code is 1234"})
            r = local.s.get(base + "?" + q, timeout=30)
            assert r.status_code == 202, r.text

        pids = [p.pid for p in procs]
        cpu0, t0 = cpu_seconds(pids), time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(send, range(total)))
        t1 = smsc.wait_submits(total, 600)
        cpu = cpu_seconds(pids) - cpu0
        return total / (t1 - t0), cpu / total * 1e6
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        smsc.stop()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=20000)
    ap.add_argument("--window", type=int, default=10)
    a = ap.parse_args()
    rate, cpu = bench_campaignd(a.total, a.window)
    emit({"bench": "smpp_campaignd", "messages": a.total, "window": a.window,
          "accepted_per_second": round(rate), "cpu_us_per_message": round(cpu, 1)})
    got = bench_kannel(a.total, a.window)
    if got:
        emit({"bench": "smpp_kannel", "messages": a.total, "window": a.window,
              "accepted_per_second": round(got[0]), "cpu_us_per_message": round(got[1], 1)})


if __name__ == "__main__":
    main()
