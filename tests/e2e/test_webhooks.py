"""Event webhooks end to end (issue 7), against a real HTTP receiver that the
test runs itself (python3's http.server in a thread, on 127.0.0.1).

Covered: every event type of a voice campaign (completed, hard failure, a
no_answer retried once), of sms (sent, delivered, failed, opted out,
missing param) and whatsapp (read; sent then undelivered, which finishes a
recipient a second time), every lifecycle move and the automatic
completions (last recipient, resume, end_at); the envelope; `data` equal to
the object as the API returns it at that moment; order per campaign with a
healthy receiver; signatures checked with the test's own HMAC code, before
and after rotations; a receiver answering 500 once; one hanging past the
10 s timeout and the per-endpoint limit of 4; redirects not followed (and
the backoff doubling); large answers; events committed and still pending
when campaignd is killed with SIGKILL, delivered after the restart;
webhook_url validation and the refusal of private addresses at connect;
GET /v1/events filters, paging and scoping; redelivery; the metrics.

Waits are generous; nothing asserts how fast something happened, except
that a healthy endpoint's events are delivered while another endpoint's
attempts still hang (which proves they were not queued behind them).
Retry tests take 5-20 s each: the first backoff is 2.5-7.5 s, the timeout
10 s. Tests marked xfail(strict=True) show server bugs (reason: BUG ...)."""
import collections
import datetime
import hashlib
import hmac
import json
import re
import secrets
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import SLOW, all_pages, assert_campaign, assert_error, assert_invariant, \
    assert_time, sms_body, voice_body, whatsapp_body

ENV = {"CAMPAIGND_WEBHOOK_ALLOW_PRIVATE": "1", "CAMPAIGND_SIM_CALL_MS": "200",
       "CAMPAIGND_SIM_REPORT_MS": "100"}
NOPRIV = {"CAMPAIGND_SIM_CALL_MS": "200", "CAMPAIGND_SIM_REPORT_MS": "100"}

TYPES = ("call.ended", "message.updated", "recipient.finished", "campaign.status_changed")
EVENT_KEYS = {"id", "type", "created_at", "account_id", "campaign_id", "data"}
DELIVERY_KEYS = {"state", "url", "attempts", "last_attempt_at", "last_status", "last_error",
                 "next_attempt_at", "delivered_at"}
DATA_PREFIX = {"call.ended": "call_", "message.updated": "msg_", "recipient.finished": "rcp_",
               "campaign.status_changed": "cmp_"}
SIG_RE = re.compile(r"^t=\d+(,v1=[0-9a-f]{64})+$")
TOLERANCE = 300  # seconds of clock skew a receiver accepts on t


# ---------------------------------------------------------------- helpers

def wait_for(fn, timeout, what, every=0.05):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(every)
    pytest.fail("timed out waiting for " + what)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ms(t):
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)


def events(acct, **params):
    """GET /v1/events (every page), newest first as the API answers."""
    return all_pages(acct, "/v1/events", params)


def envelope(row):
    """An event as listed, without the listing's delivery object."""
    return {k: v for k, v in row.items() if k != "delivery"}


def upload(acct, cid, numbers):
    r = acct.post("/v1/campaigns/%s/recipients" % cid,
                  json={"recipients": [{"phone_number": n, "params": {"name": "Ada"}}
                                       for n in numbers]})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == len(numbers), r.text


def start(acct, cid):
    r = acct.post("/v1/campaigns/%s/start" % cid)
    assert r.status_code == 200, r.text
    return r.json()


def wait_status(acct, cid, status, timeout=30):
    def check():
        c = acct.get_campaign(cid)
        return c if c["status"] == status else None
    return wait_for(check, timeout, "campaign %s to be %s" % (cid, status))


def run_campaign(acct, body, numbers):
    c = acct.create_campaign(body)
    upload(acct, c["id"], numbers)
    start(acct, c["id"])
    return c["id"]


def wait_events(acct, cid, count, state="delivered", timeout=30):
    """Waits until the campaign has `count` events, every one in `state`."""
    def check():
        rows = events(acct, campaign_id=cid)
        if len(rows) == count and all(r["delivery"]["state"] == state for r in rows):
            return rows
        return None
    return wait_for(check, timeout, "%d %s events of %s" % (count, state, cid), every=0.1)


def metrics(client):
    r = client.req("GET", "/metrics")
    assert r.status_code == 200, r.text
    out = {}
    for line in r.text.splitlines():
        if line.startswith("campaignd_webhook_"):
            name, value = line.split()
            out[name] = int(value)
    for name in ("campaignd_webhook_deliveries_total", "campaignd_webhook_failures_total",
                 "campaignd_webhook_given_up_total", "campaignd_webhook_outbox_depth"):
        assert name in out, r.text[:2000]
    return out


def secret_of(acct):
    r = acct.get("/v1/webhook-secret")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"secret"}, body
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 20, body
    return body["secret"]


# ---- the signature, computed here independently of the server

def parse_signature(header):
    t, v1 = None, []
    for part in header.split(","):
        k, _, v = part.partition("=")
        if k == "t":
            t = v
        elif k == "v1":
            v1.append(v)
    return t, v1


def sign(secret, t, raw):
    return hmac.new(secret.encode(), t.encode() + b"." + raw, hashlib.sha256).hexdigest()


def verifies(secret, header, raw, now):
    """True when one v1 of the header is HMAC-SHA256(secret, "<t>.<raw>") and
    t is within TOLERANCE of now (what a receiver should do)."""
    t, v1 = parse_signature(header)
    if t is None or not t.isdigit() or abs(now - int(t)) > TOLERANCE:
        return False
    want = sign(secret, t, raw)
    return any(hmac.compare_digest(want, v) for v in v1)


# ---- the receiver

class Receiver:
    """A webhook endpoint on 127.0.0.1. `behave(receiver, request)` decides
    the answer: a status, or (status, body bytes, headers dict). Every
    request is kept: {"path", "headers", "raw", "json", "at"}."""

    def __init__(self, behave=None, port=None):
        self.behave = behave or (lambda rec, req: 200)
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.requests = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.release = threading.Event()  # set at stop: ends every hang at once
        self.httpd = None
        self.thread = None

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def start(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                req = {"path": self.path, "headers": headers, "raw": raw, "json": parsed,
                       "at": time.time()}
                with outer.lock:
                    outer.requests.append(req)
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    answer = outer.behave(outer, req)
                finally:
                    with outer.lock:
                        outer.in_flight -= 1
                status, body, headers = (answer, b"", {}) if isinstance(answer, int) else answer
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # campaignd gave up on us (timeout) or stopped reading

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

        self.httpd = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(5)
            self.httpd = None

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def by_id(self):
        """Received events by id (the receiver's dedupe), each a list of requests."""
        out = collections.OrderedDict()
        for req in self.snapshot():
            out.setdefault(req["json"]["id"], []).append(req)
        return out


@pytest.fixture
def receivers():
    started = []

    class Factory:
        def start(self, behave=None, port=None):
            rec = Receiver(behave, port).start()
            started.append(rec)
            return rec

    yield Factory()
    for rec in started:
        rec.stop()


@pytest.fixture
def hooks(start_server, receivers):
    """A fresh server allowing private webhooks, a client and one account."""
    srv = start_server(env=ENV)
    client = srv.client()
    yield srv, client, client.create_account(), receivers
    client.close()


# ---- checks shared by the tests

def check_envelope(ev, acct, cid):
    assert set(ev) == EVENT_KEYS, sorted(set(ev) ^ EVENT_KEYS)
    assert isinstance(ev["id"], str) and ev["id"].startswith("evt_") and len(ev["id"]) > 4, ev
    assert ev["type"] in TYPES, ev
    assert_time(ev["created_at"])
    assert ev["account_id"] == acct.id, ev
    assert ev["campaign_id"] == cid, ev
    data = ev["data"]
    assert isinstance(data, dict), ev
    assert data["id"].startswith(DATA_PREFIX[ev["type"]]), ev
    if ev["type"] == "campaign.status_changed":
        assert data["id"] == cid
        assert_campaign(data)
    else:
        assert data["campaign_id"] == cid, ev


def check_delivered(row, url):
    d = row["delivery"]
    assert set(d) == DELIVERY_KEYS, sorted(set(d) ^ DELIVERY_KEYS)
    assert d["state"] == "delivered", row
    assert d["url"] == url, row
    assert isinstance(d["attempts"], int) and d["attempts"] >= 1, row
    assert 200 <= d["last_status"] <= 299, row
    assert d["last_error"] is None, row
    assert d["next_attempt_at"] is None, row
    assert_time(d["delivered_at"])
    assert_time(d["last_attempt_at"])
    assert d["delivered_at"] >= row["created_at"], row


def check_received(rec, rows, secrets_now, url_path="/hook"):
    """Every listed event reached the receiver, with its envelope byte for
    byte (parsed), signed with each of secrets_now, with its id header."""
    got = rec.by_id()
    listed = {r["id"]: envelope(r) for r in rows}
    assert set(got) == set(listed), (sorted(set(got) ^ set(listed)))
    for eid, reqs in got.items():
        for req in reqs:
            assert req["path"] == url_path, req["path"]
            assert req["raw"] == reqs[0]["raw"], "a redelivery changed the body of " + eid
            assert req["json"] == listed[eid], (req["json"], listed[eid])
            h = req["headers"]
            assert h.get("content-type", "").startswith("application/json"), h
            assert h.get("campaignd-event-id") == eid, h
            sig = h.get("campaignd-signature", "")
            assert SIG_RE.match(sig), sig
            t, v1 = parse_signature(sig)
            assert len(v1) == len(secrets_now), sig
            assert abs(int(t) - req["at"]) <= 5, (t, req["at"])
            for s in secrets_now:
                assert verifies(s, sig, req["raw"], req["at"]), "signature with " + s[:10]
            assert not verifies("whsec_" + "x" * 32, sig, req["raw"], req["at"])
            assert not verifies(secrets_now[0], sig, req["raw"] + b" ", req["at"])
    return got


def by_type(rows):
    out = collections.defaultdict(list)
    for r in rows:
        out[r["type"]].append(r)
    return out


# ---------------------------------------------------------------- voice

def test_voice_campaign_every_event_its_shape_data_signature_and_order(hooks):
    srv, client, acct, receivers = hooks
    rec = receivers.start()
    before = metrics(client)
    assert before["campaignd_webhook_deliveries_total"] == 0, before
    secret = secret_of(acct)
    assert secret_of(acct) == secret, "the secret changes between reads"
    url = rec.url("/hook")
    body = voice_body(retry_policy={"max_attempts": 2, "delay_seconds": 0})
    body["config"]["webhook_url"] = url
    cid = run_campaign(acct, body, ["+14155550100", "+14155550108", "+14155550106"])
    done = wait_status(acct, cid, "completed")
    # running, completed; calls: 0, 8, 6 twice; one recipient.finished each
    rows = wait_events(acct, cid, 9)
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids), "event ids repeat"
    for r in rows:
        check_envelope(envelope(r), acct, cid)
        check_delivered(r, url)
    got = check_received(rec, rows, [secret])
    assert len(rec.snapshot()) == 9, "a healthy receiver got an event twice"

    # in order per campaign: the receiver saw them in the order they were written
    assert list(got) == [r["id"] for r in reversed(rows)], "delivered out of order"
    created = [r["created_at"] for r in rows]
    assert created == sorted(created, reverse=True), "not newest first"

    t = by_type(list(reversed(rows)))
    assert sorted(t) == sorted(TYPES[:1] + TYPES[2:]), sorted(t)
    # call.ended: each attempt once, data as GET /v1/calls/{id} answers now
    calls = all_pages(acct, "/v1/calls", {"campaign_id": cid})
    assert len(calls) == 4
    assert sorted(e["data"]["id"] for e in t["call.ended"]) == sorted(c["id"] for c in calls)
    for e in t["call.ended"]:
        r = acct.get("/v1/calls/" + e["data"]["id"])
        assert r.status_code == 200, r.text
        assert e["data"] == r.json()
        assert e["data"]["ended_at"] is not None and e["created_at"] >= e["data"]["ended_at"]
    statuses = collections.Counter((e["data"]["to"][-1], e["data"]["attempt"], e["data"]["status"])
                                   for e in t["call.ended"])
    assert statuses == {("0", 1, "completed"): 1, ("8", 1, "failed"): 1,
                        ("6", 1, "no_answer"): 1, ("6", 2, "no_answer"): 1}, statuses
    # recipient.finished: once per recipient, when terminal, data as GET answers
    recipients = all_pages(acct, "/v1/campaigns/%s/recipients" % cid)
    fin = {e["data"]["id"]: e for e in t["recipient.finished"]}
    assert len(fin) == len(t["recipient.finished"]) == 3
    for rcp in recipients:
        assert fin[rcp["id"]]["data"] == rcp
    want = {"0": ("succeeded", "completed", 1), "8": ("failed", "failed", 1),
            "6": ("failed", "no_answer", 2)}
    for e in fin.values():
        d = e["data"]
        assert (d["status"], d["disposition"], d["attempts"]) == want[d["phone_number"][-1]], d
    # the no_answer retry: its recipient.finished comes after its second call.ended
    six = [e["id"] for e in reversed(rows)
           if e["data"].get("to", e["data"].get("phone_number", "")).endswith("6")]
    assert [next(x["type"] for x in rows if x["id"] == i) for i in six] == \
        ["call.ended", "call.ended", "recipient.finished"]
    # campaign.status_changed: started, then completed by itself
    moves = t["campaign.status_changed"]
    assert [e["data"]["status"] for e in moves] == ["running", "completed"]
    assert moves[0]["data"]["started_at"] == done["started_at"]
    assert moves[0]["data"]["counters"]["total"] == 3
    assert moves[0]["data"]["completed_at"] is None
    assert moves[1]["data"] == acct.get_campaign(cid)
    assert moves[0]["id"] == rows[-1]["id"] and moves[1]["id"] == rows[0]["id"]

    m = metrics(client)
    assert m["campaignd_webhook_deliveries_total"] == 9, m
    assert m["campaignd_webhook_failures_total"] == 0, m
    assert m["campaignd_webhook_given_up_total"] == 0, m
    assert m["campaignd_webhook_outbox_depth"] == 0, m


# ---------------------------------------------------------------- messaging

def test_sms_and_whatsapp_campaigns_every_status_change_and_second_finish(hooks):
    srv, client, acct, receivers = hooks
    rec_sms = receivers.start()
    rec_wa = receivers.start()
    secret = secret_of(acct)
    sms = sms_body()
    sms["config"]["webhook_url"] = rec_sms.url("/sms?token=abc")
    wa = whatsapp_body()
    wa["config"]["webhook_url"] = rec_wa.url("/wa")
    r = acct.post("/v1/opt-outs", json={"phone_number": "+14155550101", "channel": "sms"})
    assert r.status_code == 201, r.text
    c = acct.create_campaign(sms)
    upload(acct, c["id"], ["+14155550100", "+14155550108", "+14155550101"])
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": "+14155550102"}]})  # no name
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    sms_id = start(acct, c["id"])["id"]
    wa_id = run_campaign(acct, wa, ["+14155550100", "+14155550109"])
    final_msg = {(sms_id, "0"): "delivered", (sms_id, "8"): "failed",
                 (wa_id, "0"): "read", (wa_id, "9"): "undelivered"}

    def settled():
        msgs = all_pages(acct, "/v1/messages", {"campaign_id": sms_id}) + \
            all_pages(acct, "/v1/messages", {"campaign_id": wa_id})
        return len(msgs) == 4 and all(final_msg[(m["campaign_id"], m["to"][-1])] == m["status"]
                                      for m in msgs)
    wait_for(settled, 30, "every message report")
    wait_status(acct, sms_id, "completed")
    wait_status(acct, wa_id, "completed")
    # sms: running, 0 sent + delivered, 8 failed, 4 finished (two never sent:
    # opted out, missing param), completed
    sms_rows = wait_events(acct, sms_id, 9)
    # whatsapp: running, 0 sent + delivered + read, 9 sent + undelivered,
    # 0 finished, 9 finished twice (succeeded, then failed), completed
    wa_rows = wait_events(acct, wa_id, 10)
    ids = [r["id"] for r in sms_rows + wa_rows]
    assert len(set(ids)) == len(ids), "event ids repeat"
    for cid, rows, rec, url, path in ((sms_id, sms_rows, rec_sms, sms["config"]["webhook_url"],
                                       "/sms?token=abc"),
                                      (wa_id, wa_rows, rec_wa, wa["config"]["webhook_url"], "/wa")):
        for r in rows:
            check_envelope(envelope(r), acct, cid)
            check_delivered(r, url)
        check_received(rec, rows, [secret], url_path=path)

    def per_object(rows, kind):
        out = collections.defaultdict(list)
        for r in reversed(rows):  # oldest first
            if r["type"] == kind:
                out[r["data"]["id"]].append(r["data"])
        return out

    for cid, rows, seqs in ((sms_id, sms_rows, {"0": ["sent", "delivered"], "8": ["failed"]}),
                            (wa_id, wa_rows, {"0": ["sent", "delivered", "read"],
                                              "9": ["sent", "undelivered"]})):
        msgs = per_object(rows, "message.updated")
        assert len(msgs) == 2, msgs
        for mid, datas in msgs.items():
            digit = datas[0]["to"][-1]
            assert [d["status"] for d in datas] == seqs[digit], (digit, datas)
            r = acct.get("/v1/messages/" + mid)
            assert r.status_code == 200, r.text
            assert datas[-1] == r.json(), "last message.updated differs from the message"
            for d in datas:
                assert d["sent_at"] is not None or d["status"] == "failed", d
        fins = per_object(rows, "recipient.finished")
        assert len(fins) == (4 if cid == sms_id else 2), fins
        for rid, datas in fins.items():
            now = acct.get("/v1/campaigns/%s/recipients/%s" % (cid, rid)).json()
            digit = now["phone_number"][-1]
            got = [(d["status"], d["disposition"]) for d in datas]
            if (cid, digit) == (sms_id, "1"):
                assert got == [("failed", "opted_out")], got
            elif (cid, digit) == (sms_id, "2"):
                assert got == [("failed", "missing_param")], got
            elif digit == "8":
                assert got == [("failed", "failed")], got
            elif digit == "9":
                assert got == [("succeeded", "sent"), ("failed", "undelivered")], got
            else:  # delivery upgrades come as message.updated, not as a second finish
                assert got == [("succeeded", "sent")], got
            assert datas[-1] == dict(now, disposition=datas[-1]["disposition"])
            if digit in ("1", "2", "8", "9"):
                assert datas[-1] == now
        moves = [r["data"] for r in reversed(rows) if r["type"] == "campaign.status_changed"]
        assert [d["status"] for d in moves] == ["running", "completed"], moves
        final = acct.get_campaign(cid)
        assert moves[1]["completed_at"] == final["completed_at"] is not None
        assert_invariant(moves[1])
        assert moves[1]["counters"]["queued"] == moves[1]["counters"]["dispatched"] == 0


# ---------------------------------------------------------------- lifecycle

def test_every_lifecycle_move_is_an_event_with_the_campaign_as_answered(hooks):
    srv, client, acct, receivers = hooks
    rec = receivers.start()
    # a 1/s carrier keeps most recipients queued while we move the campaign
    r = client.admin("PUT", "/v1/admin/carriers/slowhook", json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": 1, "burst": 1,
        "max_concurrent": 10})
    assert r.status_code == 200, r.text
    body = voice_body()
    body["config"]["webhook_url"] = rec.url()
    c = acct.create_campaign(body)
    upload(acct, c["id"], ["+1415%07d" % (2000000 + i * 10) for i in range(8)])
    answers = [start(acct, c["id"])]
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["dispatched"] >= 1, 10, "a dial")
    for move in ("pause", "resume"):
        r = acct.post("/v1/campaigns/%s/%s" % (c["id"], move))
        assert r.status_code == 200, r.text
        answers.append(r.json())
    # a move to the status it already has changes nothing: no event
    r = acct.post("/v1/campaigns/%s/resume" % c["id"])
    assert r.status_code == 200, r.text
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["dispatched"] == 0, 10, "ends")
    moves = [e for e in reversed(events(acct, campaign_id=c["id"],
                                        type="campaign.status_changed"))]
    assert [e["data"]["status"] for e in moves] == ["running", "paused", "running"]
    for e, answer in zip(moves, answers):
        assert e["data"] == answer, "the event's campaign differs from the move's answer"
    assert acct.post("/v1/campaigns/%s/cancel" % c["id"]).status_code == 200

    # paused while its only call is in flight: stays paused, completes on resume
    # (the call lasts 200 ms; should it end before the pause lands, try again)
    for _ in range(5):
        one = acct.create_campaign(body)
        upload(acct, one["id"], ["+14155550100"])
        start(acct, one["id"])
        wait_for(lambda: acct.get_campaign(one["id"])["counters"]["queued"] == 0, 10, "a dial")
        r = acct.post("/v1/campaigns/%s/pause" % one["id"])
        if r.status_code == 200:
            break
        assert_error(r, 409, "invalid_transition", check_field=False)
    else:
        pytest.fail("never paused a campaign while its call was in flight")
    wait_for(lambda: acct.get_campaign(one["id"])["counters"]["succeeded"] == 1, 10, "the call")
    assert acct.get_campaign(one["id"])["status"] == "paused"
    r = acct.post("/v1/campaigns/%s/resume" % one["id"])
    assert r.status_code == 200, r.text
    done = wait_status(acct, one["id"], "completed")
    rows = wait_events(acct, one["id"], 6)
    seq = [(e["type"], e["data"].get("status")) for e in reversed(rows)]
    statuses = [s for t_, s in seq if t_ == "campaign.status_changed"]
    assert statuses == ["running", "paused", "running", "completed"], seq
    assert seq[0] == ("campaign.status_changed", "running")
    assert seq[-1] == ("campaign.status_changed", "completed")
    assert rows[0]["data"] == done

    # a draft cancelled: one event
    draft = acct.create_campaign(body)
    r = acct.post("/v1/campaigns/%s/cancel" % draft["id"])
    assert r.status_code == 200, r.text
    rows = wait_events(acct, draft["id"], 1)
    assert rows[0]["data"] == r.json()


def test_cancel_event_carries_the_campaign_as_the_cancel_answers_it(hooks):
    srv, client, acct, receivers = hooks
    rec = receivers.start()
    r = client.admin("PUT", "/v1/admin/carriers/slowhook", json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": 1, "burst": 1,
        "max_concurrent": 10})
    assert r.status_code == 200, r.text
    body = voice_body()
    body["config"]["webhook_url"] = rec.url()
    c = acct.create_campaign(body)
    upload(acct, c["id"], ["+1415%07d" % (2000000 + i * 10) for i in range(6)])
    start(acct, c["id"])
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["dispatched"] >= 1, 10, "a dial")
    r = acct.post("/v1/campaigns/%s/cancel" % c["id"])
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["counters"]["queued"] == 0
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["dispatched"] == 0, 10, "ends")
    rows = list(reversed(events(acct, campaign_id=c["id"])))
    # every queued recipient failed as cancelled is a recipient.finished
    cancelled = [e["data"] for e in rows if e["type"] == "recipient.finished"
                 and e["data"]["disposition"] == "cancelled"]
    assert len(cancelled) == answer["counters"]["dispositions"]["cancelled"] >= 1
    for d in cancelled:
        assert d["status"] == "failed"
        now = acct.get("/v1/campaigns/%s/recipients/%s" % (c["id"], d["id"])).json()
        assert d == now
    move = [e for e in rows if e["type"] == "campaign.status_changed"][-1]
    assert move["data"]["status"] == "cancelled"
    assert move["data"] == answer


def rfc3339(ms_value):
    d = datetime.datetime.fromtimestamp(ms_value / 1000.0, tz=datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms_value % 1000)


def test_end_at_expiry_finishes_the_rest_and_completes_the_campaign(hooks):
    srv, client, acct, receivers = hooks
    rec = receivers.start()
    r = client.admin("PUT", "/v1/admin/carriers/slowhook", json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": 1, "burst": 1,
        "max_concurrent": 10})
    assert r.status_code == 200, r.text
    body = voice_body(schedule={"end_at": rfc3339(int(time.time() * 1000) + 1500)})
    body["config"]["webhook_url"] = rec.url()
    cid = run_campaign(acct, body, ["+1415%07d" % (2000000 + i * 10) for i in range(5)])
    done = wait_status(acct, cid, "completed")
    n_calls = len(all_pages(acct, "/v1/calls", {"campaign_id": cid}))
    assert 1 <= n_calls < 5
    rows = wait_events(acct, cid, 2 + n_calls + 5)
    check_received(rec, rows, [secret_of(acct)])
    fins = [e["data"] for e in rows if e["type"] == "recipient.finished"]
    assert sorted(d["disposition"] for d in fins) == \
        sorted(["completed"] * n_calls + ["expired"] * (5 - n_calls))
    for d in fins:
        assert d == acct.get("/v1/campaigns/%s/recipients/%s" % (cid, d["id"])).json()
    assert rows[0]["type"] == "campaign.status_changed" and rows[0]["data"] == done


# ---------------------------------------------------------------- signatures

def test_rotation_signs_with_both_secrets_for_a_day(hooks):
    srv, client, acct, receivers = hooks
    rec = receivers.start()
    other = client.create_account()
    s1 = secret_of(acct)
    assert secret_of(other) != s1
    r = acct.post("/v1/webhook-secret/rotate", json={"extra": 1})
    assert_error(r, 422, "invalid_argument", "extra")
    assert secret_of(acct) == s1, "a refused rotation changed the secret"
    key = {"Idempotency-Key": "rotate-" + secrets.token_hex(4)}
    r = acct.post("/v1/webhook-secret/rotate", headers=key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"secret", "previous_secret_expires_at"}, body
    # a replay rotates nothing again, and does not show the secret a second time
    replay = acct.post("/v1/webhook-secret/rotate", headers=key)
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == {"previous_secret_expires_at": body["previous_secret_expires_at"]}
    s2 = body["secret"]
    assert s2.startswith("whsec_") and s2 != s1
    assert_time(body["previous_secret_expires_at"])
    left = ms(body["previous_secret_expires_at"]) - time.time() * 1000
    assert abs(left - 24 * 3600 * 1000) < 120 * 1000, body
    assert secret_of(acct) == s2
    assert secret_of(other) not in (s1, s2)

    hook = voice_body()
    hook["config"]["webhook_url"] = rec.url()
    cid = run_campaign(acct, hook, ["+14155550100"])
    rows = wait_events(acct, cid, 4)
    got = check_received(rec, rows, [s2, s1])  # two v1: one per secret

    # another rotation: the secret of the first no longer signs
    r = acct.post("/v1/webhook-secret/rotate")
    assert r.status_code == 200, r.text
    s3 = r.json()["secret"]
    assert s3 not in (s1, s2)
    rec2 = receivers.start()
    hook["config"]["webhook_url"] = rec2.url()
    cid2 = run_campaign(acct, hook, ["+14155550100"])
    rows2 = wait_events(acct, cid2, 4)
    got2 = check_received(rec2, rows2, [s3, s2])
    for reqs in got2.values():
        for req in reqs:
            assert not verifies(s1, req["headers"]["campaignd-signature"], req["raw"], req["at"])
    # the other account's deliveries never carry this account's secrets
    assert got and got2


# ---------------------------------------------------------------- retries

def fail_first(n, then=202):
    """Answers 500 to the first n requests of each event id, then `then`."""
    seen = collections.Counter()
    lock = threading.Lock()

    def behave(rec, req):
        with lock:
            seen[req["json"]["id"]] += 1
            k = seen[req["json"]["id"]]
        return 500 if k <= n else then
    return behave


def test_a_receiver_failing_once_gets_each_event_on_the_second_attempt(hooks):
    # Slow by design (~5-10 s): the first backoff is 2.5-7.5 s.
    srv, client, acct, receivers = hooks
    rec = receivers.start(fail_first(1))
    secret = secret_of(acct)
    body = voice_body()
    body["config"]["webhook_url"] = rec.url()
    cid = run_campaign(acct, body, ["+14155550100"])
    wait_status(acct, cid, "completed")
    seen = {}  # (event id, attempts) -> delivery, as seen while retrying

    def all_delivered():
        rows = events(acct, campaign_id=cid)
        for r in rows:
            seen.setdefault((r["id"], r["delivery"]["attempts"]), r["delivery"])
        if len(rows) == 4 and all(r["delivery"]["state"] == "delivered" for r in rows):
            return rows
        if "depth" not in seen and any(r["delivery"]["attempts"] for r in rows):
            seen["depth"] = metrics(client)["campaignd_webhook_outbox_depth"]
        return None
    rows = wait_for(all_delivered, 40, "every event delivered on its second attempt", every=0.1)
    assert seen.get("depth", 0) >= 1, "outbox depth never showed the pending events"
    for r in rows:
        d = r["delivery"]
        check_delivered(r, rec.url())
        assert d["attempts"] == 2 and d["last_status"] == 202, d
        mid = seen.get((r["id"], 1))
        assert mid is not None, "never saw %s between its attempts" % r["id"]
        assert mid["state"] == "pending" and mid["last_status"] == 500, mid
        assert mid["last_error"] == "HTTP 500" and mid["delivered_at"] is None, mid
        wait = ms(mid["next_attempt_at"]) - ms(mid["last_attempt_at"])
        assert 2500 - 2 <= wait <= 7500 + 2, "backoff after a first failure: %d ms" % wait
    got = check_received(rec, rows, [secret])
    assert all(len(reqs) == 2 for reqs in got.values()), {k: len(v) for k, v in got.items()}
    m = metrics(client)
    assert m["campaignd_webhook_deliveries_total"] == 4, m
    assert m["campaignd_webhook_failures_total"] == 4, m
    assert m["campaignd_webhook_given_up_total"] == 0, m
    assert m["campaignd_webhook_outbox_depth"] == 0, m


def hang_while(state):
    def behave(rec, req):
        if state["hang"]:
            rec.release.wait(15)  # sleeps 15 s, longer than campaignd waits
        return 200
    return behave


def test_hanging_endpoint_times_out_is_retried_and_gets_at_most_4_at_once(hooks):
    # Slow by design (~15-20 s): hung attempts end at the 10 s timeout and
    # are retried after 2.5-7.5 s.
    srv, client, acct, receivers = hooks
    state = {"hang": True}
    slow = receivers.start(hang_while(state))
    body = voice_body()
    body["config"]["webhook_url"] = slow.url()
    # five campaigns (one request in flight each) on the hanging endpoint
    slow_ids = [run_campaign(acct, body, ["+14155550100"]) for _ in range(5)]
    wait_for(lambda: slow.in_flight >= 4, 10, "four hanging requests")
    time.sleep(0.5)
    assert slow.max_in_flight == 4, "per-endpoint limit: %d at once" % slow.max_in_flight
    hung = {eid for eid in slow.by_id()}
    assert len(hung) == 4
    state["hang"] = False

    def timed_out():
        rows = [r for r in events(acct) if r["id"] in hung]
        return rows if all(r["delivery"]["attempts"] >= 1 for r in rows) else None
    for r in wait_for(timed_out, 20, "the hanging attempts to time out", every=0.1):
        d = r["delivery"]
        if d["state"] == "pending":  # else already retried
            assert d["last_status"] is None and "timed out" in (d["last_error"] or "").lower(), d
            wait = ms(d["next_attempt_at"]) - ms(d["last_attempt_at"])
            assert 2500 - 2 <= wait <= 7500 + 2, wait
    for cid in slow_ids:
        rows = wait_events(acct, cid, 4, timeout=30)
        for r in rows:
            check_delivered(r, slow.url())
            assert r["delivery"]["attempts"] == (2 if r["id"] in hung else 1), r
    m = metrics(client)
    assert m["campaignd_webhook_failures_total"] == 4, m
    assert m["campaignd_webhook_deliveries_total"] == 20, m


def test_another_accounts_endpoint_is_delivered_while_one_hangs(hooks):
    srv, client, acct, receivers = hooks
    slow = receivers.start(hang_while({"hang": True}))
    quick = receivers.start()
    body = voice_body()
    body["config"]["webhook_url"] = slow.url()
    slow_id = run_campaign(acct, body, ["+14155550100"])
    wait_for(lambda: slow.in_flight >= 1, 10, "a hanging request")
    other = client.create_account()
    body2 = voice_body()
    body2["config"]["webhook_url"] = quick.url()
    quick_id = run_campaign(other, body2, ["+14155550100"])
    # generous for a local endpoint, yet well inside the hanging attempt's 10 s
    rows = wait_events(other, quick_id, 4, timeout=5)
    check_received(quick, rows, [secret_of(other)])
    hung = [r for r in events(acct, campaign_id=slow_id) if r["id"] in slow.by_id()]
    assert len(hung) == 1 and hung[0]["delivery"]["attempts"] == 0, \
        "the other endpoint's events waited for the hanging attempt to end"


def test_a_hanging_endpoints_backlog_holds_up_no_other_account(start_server, receivers):
    env = dict(ENV, CAMPAIGND_DEFAULT_VOICE_RATE="500", CAMPAIGND_DEFAULT_VOICE_CONCURRENCY="200")
    srv = start_server(env=env)
    client = srv.client()
    acct, other = client.create_account(), client.create_account()
    slow = receivers.start(hang_while({"hang": True}))
    quick = receivers.start()
    body = voice_body()
    body["config"]["webhook_url"] = slow.url()
    # 302 events, all due, one hanging at a time (one in flight per campaign)
    cid = run_campaign(acct, body, ["+1415%07d" % (2000000 + i * 10) for i in range(150)])
    wait_status(acct, cid, "completed")
    assert len(events(acct, campaign_id=cid)) == 302
    body2 = voice_body()
    body2["config"]["webhook_url"] = quick.url()
    quick_id = run_campaign(other, body2, ["+14155550100"])

    # its first event (written by the start, which wakes delivery at once)
    def started_delivered():
        rows = events(other, campaign_id=quick_id, type="campaign.status_changed")
        return any(r["delivery"]["state"] == "delivered" for r in rows)
    wait_for(started_delivered, 5, "the other account's first event")
    client.close()


def test_redirects_are_not_followed_and_large_answers_still_count(hooks):
    srv, client, acct, receivers = hooks
    target = receivers.start()
    redirect = receivers.start(lambda rec, req: (302, b"", {"Location": target.url()}))
    big = receivers.start(lambda rec, req: (200, b"x" * (1024 * 1024), {}))
    body = voice_body()
    body["config"]["webhook_url"] = redirect.url()
    moved = run_campaign(acct, body, ["+14155550100"])
    body["config"]["webhook_url"] = big.url()
    large = run_campaign(acct, body, ["+14155550100"])
    wait_events(acct, large, 4)
    wait_status(acct, moved, "completed")

    # the redirect counts as a failure: retried, the backoff doubling
    # (5-15 s after a second failure; the wait here is the first backoff)
    def tried():
        rows = events(acct, campaign_id=moved)
        return rows if len(rows) == 4 and all(r["delivery"]["attempts"] for r in rows) and \
            any(r["delivery"]["attempts"] >= 2 for r in rows) else None
    for r in wait_for(tried, 20, "attempts of each redirected event", every=0.1):
        d = r["delivery"]
        assert d["state"] == "pending" and d["last_status"] == 302, d
        assert d["last_error"] == "HTTP 302" and d["delivered_at"] is None, d
        lo, hi = {1: (2500, 7500), 2: (5000, 15000), 3: (10000, 30000)}[d["attempts"]]
        wait = ms(d["next_attempt_at"]) - ms(d["last_attempt_at"])
        assert lo - 2 <= wait <= hi + 2, "backoff after failure %d: %d ms" % (d["attempts"], wait)
    assert target.snapshot() == [], "a redirect was followed"


# ---------------------------------------------------------------- crash

def test_events_pending_at_a_kill_9_are_all_delivered_after_restart(start_server, receivers,
                                                                    tmp_path):
    # Slow-ish (~5-10 s): the restarted server retries after the backoff.
    port = free_port()  # nothing listens there yet: every attempt fails
    db = tmp_path / "hooks.db"
    srv = start_server(env=ENV, db=db, name="first")
    client = srv.client()
    acct = client.create_account()
    secret = secret_of(acct)
    url = "http://127.0.0.1:%d/hook" % port
    body = voice_body()
    body["config"]["webhook_url"] = url
    cid = run_campaign(acct, body, ["+14155550100", "+14155550108", "+14155550106"])
    wait_status(acct, cid, "completed")
    pending = wait_events(acct, cid, 8, state="pending")
    for r in pending:
        d = r["delivery"]
        assert d["last_status"] is None and d["delivered_at"] is None, d
        assert (d["attempts"] == 0) == (d["last_error"] is None), d
    assert pending[-1]["delivery"]["attempts"] == 1, "the first event was never tried"
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.stop(check=False)
    client.close()

    rec = receivers.start(port=port)
    again = start_server(env=ENV, db=db, admin_token=srv.admin_token, name="second")
    client2 = again.client()
    acct.client = client2
    rows = wait_events(acct, cid, 8, timeout=40)
    assert {r["id"] for r in rows} == {r["id"] for r in pending}, "events lost or invented"
    before = {r["id"]: r["delivery"]["attempts"] for r in pending}
    for r in rows:
        check_delivered(r, url)
        assert r["delivery"]["attempts"] >= before[r["id"]] + 1, "attempts forgotten"
    listed = {r["id"]: envelope(r) for r in pending}
    got = check_received(rec, rows, [secret])
    assert {k: v[0]["json"] for k, v in got.items()} == listed
    m = metrics(client2)
    assert m["campaignd_webhook_outbox_depth"] == 0, m
    assert m["campaignd_webhook_deliveries_total"] == 8, m
    client2.close()


# ---------------------------------------------------------------- safety

PRIVATE_URLS = [
    "http://127.0.0.1:8080/hook", "http://10.0.0.1/hook", "http://[::1]:8080/hook",
    "http://localhost/hook", "http://LocalHost./hook", "http://api.localhost/hook",
    "http://192.168.1.20/", "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/", "http://[fe80::1]/", "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/",
    "http://100.64.0.1/",
]
BAD_URLS = ["ftp://hooks.example.org/x", "file:///etc/passwd", "hooks.example.org/x", "",
            "http://", "gopher://hooks.example.org/", 42, ["https://hooks.example.org/"]]


def test_webhook_url_validation_without_private_addresses(start_server, receivers):
    srv = start_server(env=NOPRIV)
    client = srv.client()
    acct = client.create_account()
    for url in PRIVATE_URLS + BAD_URLS:
        for make in (voice_body, sms_body, whatsapp_body):
            body = make()
            body["config"]["webhook_url"] = url
            r = acct.post("/v1/campaigns", json=body)
            assert_error(r, 422, "invalid_argument", "config.webhook_url")
    assert acct.list_all()[0] == [], "a refused create left a campaign"
    for url in ("https://hooks.example.org/campaignd", "http://hooks.example.org:8080/x?y=1",
                "http://8.8.8.8/x", None):
        body = voice_body()
        body["config"]["webhook_url"] = url
        c = acct.create_campaign(body)
        assert c["config"]["webhook_url"] == url
    # PATCH in draft validates the same way
    c = acct.create_campaign(voice_body())
    config = {"caller_id": "+14155550100", "webhook_url": "http://10.1.2.3/"}
    r = acct.patch("/v1/campaigns/" + c["id"], json={"config": config})
    assert_error(r, 422, "invalid_argument", "config.webhook_url")
    assert "webhook_url" not in acct.get_campaign(c["id"])["config"]
    client.close()

    # with private addresses allowed, loopback is fine but the scheme still counts
    srv2 = start_server(env=ENV)
    client2 = srv2.client()
    acct2 = client2.create_account()
    body = voice_body()
    body["config"]["webhook_url"] = "http://127.0.0.1:9/hook"
    acct2.create_campaign(body)
    body["config"]["webhook_url"] = "ftp://127.0.0.1/hook"
    assert_error(acct2.post("/v1/campaigns", json=body), 422, "invalid_argument",
                 "config.webhook_url")
    client2.close()


def test_a_name_or_number_that_reaches_a_private_address_is_refused_at_connect(start_server,
                                                                               receivers):
    rec = receivers.start()
    host = loopback_name()
    srv = start_server(env=NOPRIV)
    client = srv.client()
    acct = client.create_account()
    urls = ["http://2130706433:%d/hook" % rec.port, "http://127.1:%d/hook" % rec.port,
            "http://0x7f.0.0.1:%d/hook" % rec.port]
    if host:
        urls.append("http://%s:%d/hook" % (host, rec.port))  # a name resolving to loopback
    tried = []
    for url in urls:
        body = voice_body()
        body["config"]["webhook_url"] = url
        r = acct.post("/v1/campaigns", json=body)
        if r.status_code == 422:
            assert_error(r, 422, "invalid_argument", "config.webhook_url")
            continue
        assert r.status_code == 201, r.text
        upload(acct, r.json()["id"], ["+14155550100"])
        start(acct, r.json()["id"])
        tried.append(r.json()["id"])
    assert not host or tried, "the host name was refused at create"
    for cid in tried:
        wait_status(acct, cid, "completed")
        rows = wait_for(lambda: (lambda rows: rows if len(rows) == 4 and rows[-1]["delivery"][
            "attempts"] else None)(events(acct, campaign_id=cid)), 20, "a first attempt")
        for r in rows:
            d = r["delivery"]
            assert d["state"] == "pending" and d["last_status"] is None, d
            assert (d["attempts"] == 0) == (d["last_error"] is None), d
    assert rec.snapshot() == [], "an event reached a private address"
    client.close()


def loopback_name():
    """This machine's host name when it resolves to loopback only (a name,
    so it passes the check at create), else None."""
    host = socket.gethostname()
    try:
        addrs = {a[4][0] for a in socket.getaddrinfo(host, 80, socket.AF_INET)}
    except OSError:
        return None
    return host if addrs == {"127.0.0.1"} and host.lower() != "localhost" else None


def test_a_refused_private_address_says_so_in_last_error(start_server, receivers):
    host = loopback_name()
    if host is None:
        pytest.skip("the host name does not resolve to loopback here")
    rec = receivers.start()
    srv = start_server(env=NOPRIV)
    client = srv.client()
    acct = client.create_account()
    body = voice_body()
    body["config"]["webhook_url"] = "http://%s:%d/hook" % (host, rec.port)
    cid = run_campaign(acct, body, ["+14155550100"])
    rows = wait_for(lambda: (lambda rows: rows if rows and rows[-1]["delivery"]["attempts"]
                             else None)(events(acct, campaign_id=cid)), 20, "a first attempt")
    assert rec.snapshot() == []
    assert "private" in rows[-1]["delivery"]["last_error"], rows[-1]["delivery"]
    client.close()


# ---------------------------------------------------------------- events API

def test_events_api_filters_paging_scoping_and_redelivery(hooks):
    srv, client, acct, receivers = hooks
    rec = receivers.start()
    secret = secret_of(acct)
    body = voice_body()
    body["config"]["webhook_url"] = rec.url()
    a = run_campaign(acct, body, ["+14155550100", "+14155550108"])
    b = run_campaign(acct, body, ["+14155550100"])
    silent = run_campaign(acct, voice_body(), ["+14155550100"])  # no webhook_url: no events
    rows_a = wait_events(acct, a, 6)
    rows_b = wait_events(acct, b, 4)
    wait_status(acct, silent, "completed")
    assert events(acct, campaign_id=silent) == []
    every = events(acct)
    assert {r["id"] for r in every} == {r["id"] for r in rows_a + rows_b}
    assert len(every) == 10
    created = [r["created_at"] for r in every]
    assert created == sorted(created, reverse=True)
    assert {r["id"] for r in events(acct, type="call.ended")} == \
        {r["id"] for r in rows_a + rows_b if r["type"] == "call.ended"}
    both = events(acct, campaign_id=a, type="recipient.finished")
    assert len(both) == 2 and all(r["type"] == "recipient.finished" for r in both)
    assert len(events(acct, campaign_id=a, type="")) == 6
    assert events(acct, campaign_id="cmp_nosuchthing") == []
    for bad in ("bogus", "call", "CALL.ENDED"):
        assert_error(acct.get("/v1/events", params={"type": bad}), 400, "invalid_argument",
                     "type")
    # paging: no repeat, no gap, same order; a token is bound to its filters
    paged = all_pages(acct, "/v1/events", {"campaign_id": a}, page_size=4)
    assert [r["id"] for r in paged] == [r["id"] for r in rows_a]
    r = acct.get("/v1/events", params={"campaign_id": a, "page_size": 4})
    token = r.json()["next_page_token"]
    assert token
    r = acct.get("/v1/events", params={"campaign_id": b, "page_size": 4, "page_token": token})
    assert_error(r, 400, "invalid_page_token", check_field=False)
    assert acct.get("/v1/events", params={"page_size": 0}).status_code == 400
    assert client.req("GET", "/v1/events").status_code == 401

    # another account sees none of it and cannot redeliver it
    other = client.create_account()
    assert events(other) == [] and events(other, campaign_id=a) == []
    eid = rows_a[0]["id"]
    assert_error(other.post("/v1/events/%s/redeliver" % eid), 404, "not_found",
                 check_field=False)
    assert_error(acct.post("/v1/events/evt_nosuchthing/redeliver"), 404, "not_found",
                 check_field=False)
    assert_error(acct.post("/v1/events/%s/redeliver" % eid, json={"now": True}), 422,
                 "invalid_argument", "now")

    # redelivery: the same event again (same id and body), delivered once more
    before = metrics(client)["campaignd_webhook_deliveries_total"]
    first = acct.get("/v1/events", params={"campaign_id": a}).json()["data"][0]
    assert first["id"] == eid and first["delivery"]["attempts"] == 1
    key = {"Idempotency-Key": "redeliver-" + secrets.token_hex(4)}
    r = acct.post("/v1/events/%s/redeliver" % eid, headers=key)
    assert r.status_code == 200, r.text
    again = r.json()
    replay = acct.post("/v1/events/%s/redeliver" % eid, headers=key)
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == again
    assert envelope(again) == envelope(first)
    assert set(again["delivery"]) == DELIVERY_KEYS
    assert again["delivery"]["state"] in ("pending", "delivered"), again

    def redelivered():
        row = [x for x in events(acct, campaign_id=a) if x["id"] == eid][0]
        return row if row["delivery"]["attempts"] == 2 and \
            row["delivery"]["state"] == "delivered" else None
    row = wait_for(redelivered, 20, "the redelivery")
    time.sleep(1.0)  # the replayed request must not queue it a third time
    row = [x for x in events(acct, campaign_id=a) if x["id"] == eid][0]
    assert row["delivery"]["attempts"] == 2, row
    check_delivered(row, rec.url())
    assert row["delivery"]["delivered_at"] >= first["delivery"]["delivered_at"]
    got = check_received(rec, rows_a + rows_b, [secret])
    assert len(got[eid]) == 2
    assert all(len(v) == 1 for k, v in got.items() if k != eid)
    assert metrics(client)["campaignd_webhook_deliveries_total"] == before + 1
