"""soak.py - kill -9 soak of campaignd (driven by scripts/soak.sh).

Starts the real binary on a temporary database, creates an account and a
voice campaign of N recipients (simulated provider, retry policy of 2
attempts so retries are in the mix), starts it, then K times: lets it run
for a random moment (0..2.5 s, so some kills land during start-up and
reconciliation), kill -9, restart, and checks through the API, with the
campaign paused until nothing is in flight:

  - counters add up: total = queued + dispatched + succeeded + failed, and
    total = N (nothing lost);
  - counters equal the recipients counted by status through the recipients
    list;
  - no attempt made twice: each (recipient, attempt) has one call, and each
    recipient has as many calls as its `attempts`;
  - progress is never undone: succeeded + failed never goes down.

Then it resumes, waits for completion and checks that every recipient ended
with the disposition the simulated provider's digit table gives. Prints a
summary; exit status 0 when every check held."""
import argparse
import collections
import json
import os
import re
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, workdir, env):
        self.binary, self.workdir, self.env = binary, workdir, env
        self.admin = "adm_" + secrets.token_hex(16)
        self.proc = None
        self.port = None
        self.starts = 0

    def start(self):
        for _ in range(3):
            self.port = free_port()
            self.starts += 1
            env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGND_")}
            env.update(self.env)
            env.update({"CAMPAIGND_LISTEN": "127.0.0.1:%d" % self.port,
                        "CAMPAIGND_DATABASE": "sqlite:%s/soak.db" % self.workdir,
                        "CAMPAIGND_ADMIN_TOKEN": self.admin,
                        "CAMPAIGND_DATA_DIR": os.path.join(REPO, "data")})
            log = open(os.path.join(self.workdir, "stderr.log"), "ab")
            t0 = time.monotonic()
            self.proc = subprocess.Popen([self.binary], env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
            log.close()
            while time.monotonic() - t0 < 30:
                if self.proc.poll() is not None:
                    break
                try:
                    if self.call("GET", "/healthz")[0] == 200:
                        return time.monotonic() - t0
                except OSError:
                    pass
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        raise Failed("campaignd did not start; see %s/stderr.log" % self.workdir)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        check(rc == 0, "campaignd exited %d on SIGTERM" % rc)

    def call(self, method, path, body=None, key=None, admin=False):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if admin or key:
            req.add_header("Authorization", "Bearer " + (self.admin if admin else key))
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


def pages(srv, key, path):
    rows, token = [], None
    while True:
        q = path + ("&" if "?" in path else "?") + "page_size=1000"
        if token:
            q += "&page_token=" + token
        st, body = srv.call("GET", q, key=key)
        check(st == 200, "GET %s: %d %s" % (q, st, body))
        rows.extend(body["data"])
        token = body["next_page_token"]
        if not token:
            return rows


def counters_of(srv, key, cid):
    st, c = srv.call("GET", "/v1/campaigns/" + cid, key=key)
    check(st == 200, "GET campaign: %d %s" % (st, c))
    k = c["counters"]
    check(k["total"] == k["queued"] + k["dispatched"] + k["succeeded"] + k["failed"],
          "counters do not add up: %s" % k)
    return c["status"], k


def wait_quiet(srv, key, cid, timeout=60):
    """Paused (or completed) and nothing in flight: the counters hold still."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, k = counters_of(srv, key, cid)
        if k["dispatched"] == 0:
            return status, k
        time.sleep(0.05)
    raise Failed("attempts still in flight %ds after pausing" % timeout)


def full_check(srv, key, cid, n, stats):
    """Counters against the lists; no attempt twice. Returns the counters."""
    status, k = counters_of(srv, key, cid)
    check(k["total"] == n, "total %d, want %d: recipients lost" % (k["total"], n))
    rows = pages(srv, key, "/v1/campaigns/%s/recipients" % cid)
    check(len(rows) == n, "%d recipients listed, want %d" % (len(rows), n))
    by_status = collections.Counter(r["status"] for r in rows)
    for s in ("queued", "dispatched", "succeeded", "failed"):
        check(by_status.get(s, 0) == k[s],
              "%s: counter %d, list %d" % (s, k[s], by_status.get(s, 0)))
    calls = pages(srv, key, "/v1/calls?campaign_id=" + cid)
    per_attempt = collections.Counter((c["recipient_id"], c["attempt"]) for c in calls)
    twice = sum(1 for v in per_attempt.values() if v > 1)
    stats["twice"] = max(stats["twice"], twice)
    check(twice == 0, "%d attempts made twice" % twice)
    per_recipient = collections.Counter(c["recipient_id"] for c in calls)
    for r in rows:
        check(per_recipient[r["id"]] == r["attempts"],
              "recipient %s: %d calls, attempts %d" % (r["id"], per_recipient[r["id"]],
                                                       r["attempts"]))
    stats["calls"] = len(calls)
    return status, k, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recipients", type=int, default=20000)
    ap.add_argument("--kills", type=int, default=40)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--call-ms", type=int, default=300, help="simulated call length")
    ap.add_argument("--rate", type=int, default=0,
                    help="calls per second (default: spread the campaign over the kills)")
    ap.add_argument("--max-run", type=float, default=2.5,
                    help="longest run between kills, seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--bin", default=os.environ.get("CAMPAIGND_BIN")
                    or os.path.join(REPO, "build", "campaignd"))
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rnd = random.Random(seed)
    n, kills = a.recipients, a.kills
    # about 1.3 attempts per recipient (digits 6, 7, 9 retry once), spread
    # so the campaign outlasts the kills (each lets it run max_run / 2 on
    # average) by a little
    rate = a.rate or max(20, int(0.75 * n * 1.3 / max(1, kills) / (a.max_run / 2)))
    workdir = tempfile.mkdtemp(prefix="campaignd-soak-")
    env = {"CAMPAIGND_SIM_CALL_MS": str(a.call_ms), "CAMPAIGND_DEFAULT_VOICE_RATE": str(rate),
           "CAMPAIGND_DEFAULT_VOICE_BURST": str(max(1, rate // 10)),
           "CAMPAIGND_DEFAULT_VOICE_CONCURRENCY": str(max(10, rate))}
    srv = Server(a.bin, workdir, env)
    stats = {"twice": 0, "calls": 0}
    t_start = time.monotonic()
    restarts, kills_running, checks = [], 0, 0
    ok = False
    try:
        srv.start()
        st, acct = srv.call("POST", "/v1/admin/accounts", {"name": "soak"}, admin=True)
        check(st == 201, "create account: %d %s" % (st, acct))
        key = acct["api_key"]
        st, c = srv.call("POST", "/v1/campaigns", {
            "name": "soak", "agent_id": "agt_soak", "config": {"caller_id": "+14155550100"},
            "retry_policy": {"max_attempts": 2, "delay_seconds": 0}}, key=key)
        check(st == 201, "create campaign: %d %s" % (st, c))
        cid = c["id"]
        numbers = ["+1415%07d" % (2000000 + i) for i in range(n)]
        for i in range(0, n, 10000):
            st, b = srv.call("POST", "/v1/campaigns/%s/recipients" % cid,
                             {"recipients": [{"phone_number": x} for x in numbers[i:i + 10000]]},
                             key=key)
            check(st == 200, "upload: %d %s" % (st, b))
        st, b = srv.call("POST", "/v1/campaigns/%s/start" % cid, key=key)
        check(st == 200, "start: %d %s" % (st, b))
        done_before = 0
        for k in range(kills):
            time.sleep(rnd.uniform(0, a.max_run))
            status, _ = counters_of(srv, key, cid)
            kills_running += status == "running"
            srv.kill9()
            restarts.append(srv.start())
            status, _ = counters_of(srv, key, cid)
            if status == "running":
                st, b = srv.call("POST", "/v1/campaigns/%s/pause" % cid, key=key)
                check(st == 200, "pause: %d %s" % (st, b))
            wait_quiet(srv, key, cid)
            status, counters, _ = full_check(srv, key, cid, n, stats)
            checks += 1
            done = counters["succeeded"] + counters["failed"]
            check(done >= done_before, "progress undone: %d then %d" % (done_before, done))
            done_before = done
            print("kill %2d/%d: %-9s queued %6d succeeded %6d failed %6d calls %6d restart %.2fs"
                  % (k + 1, kills, status, counters["queued"], counters["succeeded"],
                     counters["failed"], stats["calls"], restarts[-1]), flush=True)
            if status == "paused":
                st, b = srv.call("POST", "/v1/campaigns/%s/resume" % cid, key=key)
                check(st == 200, "resume: %d %s" % (st, b))
        deadline = time.monotonic() + max(120, 3 * n / rate)
        while counters_of(srv, key, cid)[0] != "completed":
            check(time.monotonic() < deadline, "the campaign did not complete")
            time.sleep(0.2)
        status, counters, rows = full_check(srv, key, cid, n, stats)
        checks += 1
        check(counters["queued"] == 0 and counters["dispatched"] == 0,
              "completed with work left: %s" % counters)
        lost = n - sum(1 for r in rows if r["status"] in ("succeeded", "failed"))
        check(lost == 0, "%d recipients never finished" % lost)
        for r in rows:
            d = int(r["phone_number"][-1])
            want = {6: "no_answer", 7: "busy", 8: "failed"}.get(d, "completed")
            check(r["disposition"] == want, "recipient %s: %s, want %s"
                  % (r["phone_number"], r["disposition"], want))
        srv.stop()
        with open(os.path.join(workdir, "stderr.log"), errors="replace") as f:
            log = f.read()
        # "engine: N attempts in flight at start: A handed over now (never
        # received), H held by their provider, W awaiting reports, U of
        # unknown fate (never sent again)"
        totals = [0, 0, 0, 0, 0]
        pattern = re.compile(r"(\d+) attempts in flight at start: (\d+) handed over now .*?"
                             r"(\d+) held by their provider, (\d+) awaiting reports, (\d+) of "
                             r"unknown fate")
        for line in log.splitlines():
            m = pattern.search(line)
            if m:
                totals = [a + int(b) for a, b in zip(totals, m.groups())]
        reconciled = totals[0]
        elapsed = time.monotonic() - t_start
        print()
        print("soak: OK  seed %d  recipients %d  kills %d (%d while running)  checks %d"
              % (seed, n, kills, kills_running, checks))
        print("soak: calls %d  succeeded %d  failed %d  lost 0  attempted twice 0"
              % (stats["calls"], counters["succeeded"], counters["failed"]))
        print("soak: attempts in flight at restarts %d: handed over (never received) %d, held by "
              "the provider %d, awaiting reports %d, unknown %d"
              % tuple(totals))
        print("soak: restart to healthy max %.2fs mean %.2fs"
              % (max(restarts or [0]), sum(restarts) / max(1, len(restarts))))
        check(totals[4] == 0, "attempts of unknown fate with the sim, which always tells")
        print("soak: rate %d/s  elapsed %.1fs" % (rate, elapsed))
        ok = True
    except Failed as e:
        print("soak: FAILED (seed %d): %s" % (seed, e), file=sys.stderr)
        print("soak: log and database kept in %s" % workdir, file=sys.stderr)
    finally:
        if srv.proc and srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()
        if ok and not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
