"""A full disk while a campaign runs (docs/operators.md, "Full disk").

The store fills in one of two ways, each test running with both:
  tmpfs     the database (and the simulated provider's state beside it) on a
            small tmpfs, filled with a ballast file; space returns when the
            file is deleted. Needs root and mount(2) (skipped otherwise,
            e.g. in an unprivileged container).
  page_cap  the database capped with --sqlite-max-pages a little above its
            size, with a ballast table inside it; space returns when an
            outside connection deletes the ballast rows. Runs anywhere.

While full: writes answer 503 unavailable with Retry-After and change
nothing, reads answer, the engine backs off (a handful of log lines, little
CPU), SIGTERM exits 0 at once, a restart comes up. When space returns the
campaign finishes by itself: every recipient terminal, counters adding up,
no attempt made twice.

Webhooks: an event delivered while its result cannot be stored is not
delivered again in a loop (one try per 5 s), and is recorded once space
returns."""
import collections
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import ON_PG, SLOW, all_pages, assert_invariant, wait_for

# A full disk is made here with a small tmpfs under the SQLite file or with
# --sqlite-max-pages: neither reaches a PostgreSQL server's storage.
pytestmark = pytest.mark.skipif(
    ON_PG, reason="SQLite-specific: fills the SQLite file's disk or page cap")

N = 3000
ENV = {"CAMPAIGND_SIM_CALL_MS": "200", "CAMPAIGND_DEFAULT_VOICE_RATE": "300",
       "CAMPAIGND_DEFAULT_VOICE_BURST": "20", "CAMPAIGND_DEFAULT_VOICE_CONCURRENCY": "150"}
FULL_SIGNS = ("engine: the store fails", "sim: cannot store attempts")


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_lines(srv):
    """The server's log lines other than the per-request access lines."""
    return [l for l in srv.log().splitlines() if " http " not in l]


class Tmpfs:
    name = "tmpfs"

    def __init__(self, tmp_path):
        self.dir = tmp_path / "fs"
        self.dir.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(self.dir)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip("cannot mount a tmpfs here: " + (r.stderr.strip() or "not root"))
        self.db = self.dir / "campaignd.db"
        self.ballast = self.dir / "ballast"

    def env(self):
        return {}

    def fill(self):
        """Writes the ballast until the file system refuses; every step may
        meet the full disk (open, write, flush, close), which is the goal."""
        try:
            f = open(self.ballast, "wb", buffering=0)
        except OSError:
            return  # already full (the server's own writes got there first)
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
        finally:
            try:
                f.close()
            except OSError:
                pass

    def free(self):
        self.ballast.unlink(missing_ok=True)

    def close(self):
        subprocess.run(["umount", "-l", str(self.dir)], capture_output=True)


class PageCap:
    name = "page_cap"
    HEADROOM = 40  # pages the campaign may still take before the cap

    def __init__(self, tmp_path):
        self.db = tmp_path / "campaignd.db"
        self.cap = None

    def env(self):
        """Called with the server stopped: a ballast of 2,000 pages inside
        the database, then the cap just above its size (once)."""
        if self.cap:
            return {"CAMPAIGND_SQLITE_MAX_PAGES": str(self.cap)}
        with sqlite3.connect(str(self.db)) as db:
            db.execute("CREATE TABLE IF NOT EXISTS test_ballast (b BLOB)")
            db.executemany("INSERT INTO test_ballast VALUES (zeroblob(4000))",
                           [()] * 2000)
        db.close()
        db = sqlite3.connect(str(self.db))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.close()
        self.cap = pages + self.HEADROOM
        return {"CAMPAIGND_SQLITE_MAX_PAGES": str(self.cap)}

    def fill(self):
        pass  # the campaign's own writes reach the cap

    def free(self):
        db = sqlite3.connect(str(self.db), timeout=30)
        db.execute("DELETE FROM test_ballast")
        db.commit()
        db.close()

    def close(self):
        pass


@pytest.fixture(params=["tmpfs", "page_cap"])
def store(request, tmp_path):
    s = (Tmpfs if request.param == "tmpfs" else PageCap)(tmp_path)
    yield s
    s.close()


def check_quiet_while_full(srv, window=3.0):
    """Over `window` seconds of a full store with nobody asking: few log
    lines and little CPU (the bug: 25-40k lines/s and a core at 100%).
    Measured from the store's first failure on: its error line and the
    backoff's first steps (100, 200, 400... ms, a line each) come then, and
    a server just restarted may not have written anything yet (on a loaded
    machine its first write came after the window began: six lines)."""
    wait_for(lambda: any(s in srv.log() for s in FULL_SIGNS), 30, "the store to fail")
    before_lines = len(log_lines(srv))
    before_cpu = cpu_seconds(srv.proc.pid)
    time.sleep(window)
    cpu = cpu_seconds(srv.proc.pid) - before_cpu
    new = log_lines(srv)[before_lines:]
    assert len(new) <= 5, "log flooded while full:\n" + "\n".join(new[:20])
    assert cpu < window * (0.5 if SLOW > 1 else 0.25), \
        "%.2fs of CPU in %.1fs while full: spinning" % (cpu, window)


def stop_fast(srv):
    t0 = time.monotonic()
    srv.stop(signal.SIGTERM)  # fails unless it exits 0
    took = time.monotonic() - t0
    assert took < 5 * SLOW, "SIGTERM took %.1fs with the store full" % took


def test_full_disk_backs_off_answers_503_and_resumes(store, start_server):
    first = start_server(env=ENV, db=store.db, name="setup")
    client = first.client()
    acct = client.create_account()
    c = acct.create_campaign(retry_policy={"max_attempts": 2, "delay_seconds": 0})
    nums = ["+1415%07d" % (2000000 + i) for i in range(N)]
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": n} for n in nums]})
    assert r.status_code == 200, r.text
    draft = acct.create_campaign()  # written to while full
    first.stop()
    client.close()

    srv = start_server(env=dict(ENV, **store.env()), db=store.db,
                       admin_token=first.admin_token, name="run")
    acct.client = srv.client()
    r = acct.post("/v1/campaigns/%s/start" % c["id"])
    assert r.status_code == 200, r.text
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["succeeded"] >= 50, 30,
             "some progress")
    store.fill()
    wait_for(lambda: any(s in srv.log() for s in FULL_SIGNS), 30, "the store to fail")

    # writes: 503 unavailable with Retry-After, nothing changed
    upload = {"recipients": [{"phone_number": "+1650%07d" % (3000000 + i)}
                             for i in range(5000)]}
    r = acct.post("/v1/campaigns/%s/recipients" % draft["id"], json=upload)
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "unavailable", r.text
    assert int(r.headers["Retry-After"]) >= 1, r.headers
    for _ in range(20):  # small writes may fit in space already held; never a 500
        r = acct.post("/v1/campaigns", json={"name": "x", "agent_id": "agt_1",
                                             "config": {"caller_id": "+14155550100"}})
        assert r.status_code in (201, 503), r.text
        if r.status_code == 503:
            assert r.headers.get("Retry-After"), r.headers
    # reads answer
    assert acct.get_campaign(draft["id"])["counters"]["total"] == 0
    assert_invariant(acct.get_campaign(c["id"]))
    assert len(all_pages(acct, "/v1/campaigns/%s/recipients" % c["id"])) == N

    check_quiet_while_full(srv)
    stop_fast(srv)

    # a restart while still full comes up, and stays quiet
    again = start_server(env=dict(ENV, **store.env()), db=store.db,
                         admin_token=first.admin_token, name="again")
    acct.client = again.client()
    assert_invariant(acct.get_campaign(c["id"]))
    check_quiet_while_full(again)

    # space returns: the campaign finishes by itself, the refused upload goes in
    store.free()

    def done():
        got = acct.get_campaign(c["id"])
        return got if got["status"] == "completed" else None
    final = wait_for(done, 120, "the campaign to complete after space returned")
    assert "the store takes writes again" in again.log() or \
        "engine: the store fails" not in again.log()
    r = acct.post("/v1/campaigns/%s/recipients" % draft["id"], json=upload)
    assert r.status_code == 200, r.text

    assert_invariant(final)
    counters = final["counters"]
    assert counters["total"] == N and counters["queued"] == 0 and counters["dispatched"] == 0
    rows = all_pages(acct, "/v1/campaigns/%s/recipients" % c["id"])
    assert len(rows) == N
    calls = all_pages(acct, "/v1/calls", {"campaign_id": c["id"]})
    per = collections.Counter((x["recipient_id"], x["attempt"]) for x in calls)
    assert max(per.values()) == 1, "an attempt was made twice"
    by_recipient = collections.Counter(x["recipient_id"] for x in calls)
    for row in rows:
        assert row["status"] in ("succeeded", "failed"), row
        assert by_recipient[row["id"]] == row["attempts"], row
        d = int(row["phone_number"][-1])
        want = {6: "no_answer", 7: "busy", 8: "failed"}.get(d, "completed")
        assert row["disposition"] == want, row
    assert all(x["ended_at"] for x in calls)
    acct.client.close()


class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers `status` and counts
    deliveries per event id."""

    def __init__(self):
        self.status = 500
        self.seen = collections.Counter()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    outer.seen[json.loads(body)["id"]] += 1
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def counts(self):
        with self.lock:
            return collections.Counter(self.seen)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_webhook_result_not_stored_is_not_redelivered_in_a_loop(start_server, tmp_path):
    """On a tmpfs only: with a page cap an UPDATE of a delivery in place
    still finds room, on a full file system the -wal file cannot grow."""
    fs = Tmpfs(tmp_path)
    rec = Receiver()
    try:
        srv = start_server(env=dict(ENV, CAMPAIGND_WEBHOOK_ALLOW_PRIVATE="1"), db=fs.db)
        acct = srv.client().create_account()
        c = acct.create_campaign(config={"caller_id": "+14155550100", "webhook_url": rec.url})
        r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                      json={"recipients": [{"phone_number": "+1415555%04d" % i}
                                           for i in range(10)]})
        assert r.status_code == 200, r.text
        assert acct.post("/v1/campaigns/%s/start" % c["id"]).status_code == 200
        # the receiver refuses everything: events wait for their next try
        wait_for(lambda: acct.get_campaign(c["id"])["status"] == "completed", 30, "completion")
        wait_for(lambda: len(rec.counts()) >= 5, 30, "first delivery tries")
        fs.fill()

        rec.status = 200  # accepted, but the result cannot be stored
        before = rec.counts()
        wait_for(lambda: rec.counts() != before, 30, "a delivery while full")
        window = 4.0
        start = rec.counts()
        time.sleep(window)
        grew = rec.counts() - start
        # one try per event per 5 s (jittered backoffs may add one); the
        # bug: hundreds, as fast as the receiver answers
        assert max(grew.values(), default=0) <= 2, grew
        assert sum(grew.values()) <= 2 * len(rec.counts()), grew

        fs.free()

        def all_delivered():
            r = acct.get("/v1/events", params={"campaign_id": c["id"], "page_size": 1000})
            assert r.status_code == 200, r.text
            states = [e["delivery"]["state"] for e in r.json()["data"]]
            return states and all(s == "delivered" for s in states)
        wait_for(all_delivered, 60, "every event recorded as delivered")
        assert len(log_lines(srv)) < 80, "\n".join(log_lines(srv)[-80:])
        srv.stop()
    finally:
        rec.close()
        fs.close()
