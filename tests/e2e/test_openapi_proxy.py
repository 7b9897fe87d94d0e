"""The contract check: docs/openapi.yaml against the running server.

Prism (tests/openapi/package.json pins it; ./scripts/deps.sh installs it
with `npm ci`) runs as a validating proxy in front of a campaignd started
for this module, and the walk below sends every operation of the document
through it: accounts and keys, campaigns of every channel, uploads as JSON
and CSV with invalid rows, recipients, calls, messages, opt-outs, carriers,
named providers and the carriers that name them, provider callbacks (a
call reported busy, a message reported delivered, their refusals), events
and the webhook secret, the lifecycle moves, idempotent replays and the
error answers.

Three Prism processes:

* strict: `prism proxy docs/openapi.yaml <campaignd> --errors`. Requests the
  document calls valid go here; any violation of the request or of the
  answer (status not declared, body or header not matching) makes Prism
  answer with its own `application/problem+json` error instead, and the
  walk fails with Prism's list of violations.
* lenient: the same without `--errors`, for the requests that are wrong on
  purpose (no credentials, a body that is not JSON, a wrong media type, an
  oversized body, a field the schema refuses): Prism forwards them and
  reports in its `sl-violations` header; the request is expected to be
  flagged, the answer must not be.
* hooks: `prism mock` of the document's `webhooks.campaignEvent` mounted as
  a path; the voice campaign's `webhook_url` points at it, so every event
  campaignd sends is validated too (an invalid one is answered 422 and
  shows in the event's delivery).

A few answers cannot pass through Prism, which gives its own: a method the
document does not list (405), a body that is not JSON (400 invalid_json),
a body over Prism's size limit (413). Those requests go straight to the
server, and the answer must be an error the operation declares; for 405,
every path of the document is called with a method it does not list and
must answer with an `Allow` header naming exactly the document's methods.
Content-Length headers that disagree (which Prism's own parser refuses) go
to the server raw, on every operation: 400 bad_request, declared by each.

At the end, every operationId of the document must have been exercised.
When Prism is not installed the tests skip, except under CI (env CI set)
or with CAMPAIGND_REQUIRE_PRISM=1, where they fail.
"""
import json
import os
import re
import secrets
import socket
import subprocess
import time

import pytest
import requests
import yaml

from conftest import REPO, Server, free_port
from helpers import SLOW, assert_error, sms_body, voice_body, whatsapp_body

DOC = REPO / "docs" / "openapi.yaml"
PRISM_DIR = REPO / "tests" / "openapi"
PRISM = PRISM_DIR / "node_modules" / ".bin" / "prism"
REQUIRED = bool(os.environ.get("CI")) or os.environ.get("CAMPAIGND_REQUIRE_PRISM") == "1"
START_TIMEOUT = 90 * SLOW
HOOK_PATH = "/hooks/campaign-event"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# ------------------------------------------------------------ the document

def load_doc():
    with open(DOC, encoding="utf-8") as f:
        return yaml.safe_load(f)


def operations(doc):
    """{(METHOD, path template): operationId} for every path operation."""
    ops = {}
    for path, item in doc["paths"].items():
        for m in METHODS:
            if m in item:
                ops[(m.upper(), path)] = item[m]["operationId"]
    return ops


def path_regex(template):
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def hook_document(doc, path):
    """The document with webhooks.campaignEvent served at `path`, for `prism mock`."""
    op = json.loads(json.dumps(doc["webhooks"]["campaignEvent"]["post"]))
    op["operationId"] = "receiveEventMock"
    op["responses"] = {"204": {"description": "Acknowledged."}}
    d = dict(doc)
    d["paths"] = {path: {"post": op}}
    d.pop("webhooks", None)
    return d


# ------------------------------------------------------------ prism

class Prism:
    def __init__(self, workdir, name, args):
        self.name = name
        self.port = free_port()
        self.log_path = workdir / ("prism-%s.log" % name)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(PRISM)] + args + ["--host", "127.0.0.1", "--port", str(self.port)],
            cwd=str(PRISM_DIR), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("prism %s exited %s:\n%s" % (self.name, self.proc.returncode,
                                                         self.log()[-6000:]))
            if "Prism is listening" in self.log():
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", self.port)) == 0:
                        return
            time.sleep(0.1)
        pytest.fail("prism %s did not listen within %ss:\n%s"
                    % (self.name, START_TIMEOUT, self.log()[-6000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def doc():
    return load_doc()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"CAMPAIGND_WEBHOOK_ALLOW_PRIVATE": "1", "CAMPAIGND_PROVIDER_ALLOW_PRIVATE": "1",
           "CAMPAIGND_SIM_CALL_MS": "100",
           "CAMPAIGND_SIM_REPORT_MS": "50"}
    srv = Server(tmp_path_factory.mktemp("campaignd"), env=env).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def prism(server, doc, tmp_path_factory):
    """{"strict", "lenient", "hooks"}: the three Prism processes, started together."""
    if not PRISM.exists():
        msg = ("Prism is not installed at %s: run ./scripts/deps.sh (npm ci in tests/openapi)"
               % PRISM)
        if REQUIRED:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    wd = tmp_path_factory.mktemp("prism")
    hook_doc = wd / "hooks.json"
    hook_doc.write_text(json.dumps(hook_document(doc, HOOK_PATH)))
    procs = {
        "strict": Prism(wd, "strict", ["proxy", str(DOC), server.base, "--errors"]),
        "lenient": Prism(wd, "lenient", ["proxy", str(DOC), server.base]),
        "hooks": Prism(wd, "hooks", ["mock", str(hook_doc), "--errors"]),
    }
    try:
        for p in procs.values():
            p.wait_listening()
        yield procs
    finally:
        for p in procs.values():
            p.stop()


# ------------------------------------------------------------ the walk's client

def violations(r):
    raw = r.headers.get("sl-violations")
    return json.loads(raw) if raw else []


def from_prism(r):
    """Prism's own answer (a violation under --errors, a route it does not know)."""
    return r.headers.get("Content-Type", "").startswith("application/problem+json")


class Walk:
    """Sends requests through Prism and records which operations answered."""

    def __init__(self, server, prism, doc):
        self.server = server
        self.strict = prism["strict"].base
        self.lenient = prism["lenient"].base
        self.hook_url = prism["hooks"].base + HOOK_PATH
        self.doc = doc
        self.ops = operations(doc)
        self.matchers = [(m, path_regex(p), op) for (m, p), op in self.ops.items()]
        self.seen = set()
        self.session = requests.Session()

    def operation(self, method, path):
        path = path.split("?")[0]
        for m, rx, op in self.matchers:
            if m == method and rx.match(path):
                return op
        raise AssertionError("%s %s is no operation of the document" % (method, path))

    def _send(self, base, method, path, key=None, admin=False, json_body=None, data=None,
              headers=None, **kw):
        h = {}
        if admin:
            h["Authorization"] = "Bearer %s" % self.server.admin_token
        elif key:
            h["Authorization"] = "Bearer %s" % key
        if json_body is not None:
            data = json.dumps(json_body).encode()
        if data is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        kw.setdefault("timeout", 60 * SLOW)
        return self.session.request(method, base + path, data=data, headers=h, **kw)

    def call(self, method, path, status, **kw):
        """A request the document calls valid, through the strict proxy: no
        violation either way, and the status the walk expects."""
        op = self.operation(method, path)
        r = self._send(self.strict, method, path, **kw)
        assert not from_prism(r) and not violations(r), \
            "%s %s (%s): Prism reports %s %s" % (method, path, op, r.status_code, r.text)
        assert r.status_code == status, "%s %s: want %d, got %d %s" % (
            method, path, status, r.status_code, r.text)
        self.seen.add(op)
        return r

    def refused(self, method, path, status, code, **kw):
        """A request that is wrong on purpose, through the lenient proxy:
        Prism must flag the request (the document refuses it as the server
        does) and nothing in the answer."""
        op = self.operation(method, path)
        r = self._send(self.lenient, method, path, **kw)
        assert not from_prism(r), "%s %s: Prism answered itself: %s" % (method, path, r.text)
        v = violations(r)
        bad = [x for x in v if x.get("location", [""])[0] != "request"]
        assert not bad, "%s %s (%s): the answer violates the document: %s" % (
            method, path, op, bad)
        assert any(x.get("location", [""])[0] == "request" for x in v), \
            "%s %s: the document accepts a request the server refuses with %d %s: %s" % (
                method, path, status, code, r.text)
        assert_error(r, status, code, check_field=False)
        self.seen.add(op)
        return r

    def direct(self, method, path, status, code, **kw):
        """An error Prism cannot carry (it answers a body that is not JSON,
        or one over its own size limit, itself), sent straight to the
        server: the answer must be one the operation declares."""
        op = self.operation(method, path)
        r = self._send(self.server.base, method, path, **kw)
        assert_error(r, status, code, check_field=False)
        (m, template), = [k for k, v in self.ops.items() if v == op]
        declared = self.doc["paths"][template][m.lower()]["responses"]
        assert str(status) in declared, "%s %s (%s) does not declare %d" % (
            method, path, op, status)
        return r


@pytest.fixture(scope="module")
def walk(server, prism, doc):
    w = Walk(server, prism, doc)
    yield w
    w.session.close()


def wait_for(fn, what, timeout=30):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


# ------------------------------------------------------------ the steps

def step_operations(w):
    w.call("GET", "/healthz", 200)
    w.call("GET", "/readyz", 200)
    r = w.call("GET", "/metrics", 200)
    assert "campaignd_http_requests_total" in r.text


def step_accounts_and_keys(w):
    idem = {"Idempotency-Key": "acct-" + secrets.token_hex(6)}
    body = {"name": "contract-" + secrets.token_hex(4)}
    first = w.call("POST", "/v1/admin/accounts", 201, admin=True, json_body=body, headers=idem)
    acct = first.json()
    assert acct["api_key"].startswith("ck_")
    # a replay answers the same account without the key (never stored in clear)
    again = w.call("POST", "/v1/admin/accounts", 201, admin=True, json_body=body, headers=idem)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "api_key" not in again.json()
    assert again.json()["key_prefix"] == acct["key_prefix"]
    # the same key with another body
    r = w.call("POST", "/v1/admin/accounts", 409, admin=True, json_body={"name": "other"},
               headers=idem)
    assert r.json()["error"]["code"] == "idempotency_conflict"
    # an empty body is not JSON; {} misses the name
    w.direct("POST", "/v1/admin/accounts", 400, "invalid_json", admin=True, data=b"")
    w.refused("POST", "/v1/admin/accounts", 422, "invalid_argument", admin=True, json_body={})
    w.refused("POST", "/v1/admin/accounts", 401, "unauthenticated", json_body=body)
    # a wrong admin token is still a bearer token: the document accepts the request
    w.call("POST", "/v1/admin/accounts", 401, key="not-the-admin-token", json_body=body)

    keys = "/v1/admin/accounts/%s/keys" % acct["id"]
    idem = {"Idempotency-Key": "key-" + secrets.token_hex(6)}
    k2 = w.call("POST", keys, 201, admin=True, json_body={}, headers=idem).json()
    again = w.call("POST", keys, 201, admin=True, json_body={}, headers=idem)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "api_key" not in again.json() and again.json()["key_prefix"] == k2["key_prefix"]
    w.call("POST", "/v1/admin/accounts/acct_nope/keys", 404, admin=True)
    w.call("DELETE", "/v1/admin/keys/" + k2["key_prefix"], 204, admin=True)
    w.call("DELETE", "/v1/admin/keys/" + k2["key_prefix"], 404, admin=True)
    w.call("GET", "/v1/campaigns", 401, key=k2["api_key"])
    return acct["api_key"]


def step_carriers(w):
    w.call("GET", "/v1/admin/carriers", 200, admin=True)
    w.call("GET", "/v1/admin/carriers/default-voice", 200, admin=True)
    w.call("GET", "/v1/admin/carriers/no-such-carrier", 404, admin=True)
    name = "contract-" + secrets.token_hex(3)
    body = {"channel": "sms", "prefixes": ["+3314"], "rate_per_second": 50, "burst": 2,
            "max_concurrent": 10}
    w.call("PUT", "/v1/admin/carriers/" + name, 200, admin=True, json_body=body)
    w.refused("PUT", "/v1/admin/carriers/" + name, 422, "invalid_argument", admin=True,
              json_body=dict(body, rate_per_second=0))
    w.call("DELETE", "/v1/admin/carriers/" + name, 204, admin=True)
    r = w.call("DELETE", "/v1/admin/carriers/default-sms", 409, admin=True)
    assert r.json()["error"]["code"] == "carrier_builtin"
    every = w.call("GET", "/v1/admin/carriers", 200, admin=True).json()["data"]
    assert all(c["provider"] == "sim" for c in every if c["builtin"]), every


def step_providers(w):
    """Named providers, and a carrier that names one."""
    listed = w.call("GET", "/v1/admin/providers", 200, admin=True).json()
    assert listed["next_page_token"] is None
    sim = [p for p in listed["data"] if p["name"] == "sim"]
    assert sim and sim[0]["builtin"] is True and sim[0]["type"] == "sim", listed
    assert sim[0]["secrets_set"] == []
    assert w.call("GET", "/v1/admin/providers/sim", 200, admin=True).json() == sim[0]
    w.call("GET", "/v1/admin/providers/no-such-provider", 404, admin=True)
    w.refused("GET", "/v1/admin/providers", 401, "unauthenticated")

    name = "contract-" + secrets.token_hex(3)
    path = "/v1/admin/providers/" + name
    r = w.call("PUT", path, 200, admin=True, json_body={"type": "sim", "call_ms": 50})
    assert r.json() == {"name": name, "type": "sim", "call_ms": 50, "report_ms": 100,
                        "secrets_set": [], "builtin": False}, r.text
    assert w.call("GET", path, 200, admin=True).json() == r.json()
    r = w.call("PUT", path, 200, admin=True,
               json_body={"type": "sim", "name": name, "report_ms": 7},
               headers={"Idempotency-Key": "ignored-" + secrets.token_hex(4)})
    assert (r.json()["call_ms"], r.json()["report_ms"]) == (300, 7)
    names = [p["name"] for p in w.call("GET", "/v1/admin/providers", 200,
                                       admin=True).json()["data"]]
    assert name in names and names == sorted(names)
    # what the document refuses, the server refuses with the field
    for body, field in (({}, "type"),
                        ({"type": "twilio", "account_sid": "AC1"}, "auth_token"),
                        ({"type": "smpp", "host": "h"}, "port"),
                        ({"type": "smpp", "host": "h", "port": 2775, "system_id": "s",
                          "password": "p", "window": 0}, "window"),
                        ({"type": "kannel", "api_key": "k"}, "type"),
                        ({"type": "sim", "call_ms": -1}, "call_ms"),
                        ({"type": "sim", "report_ms": "fast"}, "report_ms"),
                        ({"type": "sim", "colour": "red"}, "colour")):
        r = w.refused("PUT", path, 422, "invalid_argument", admin=True, json_body=body)
        assert r.json()["error"]["field"] == field, r.text
    # an smpp provider as the document describes it (its password never answered)
    r = w.call("PUT", "/v1/admin/providers/smsc-walk", 200, admin=True,
               json_body={"type": "smpp", "host": "127.0.0.1", "port": 9, "system_id": "walk",
                          "password": "p", "window": 20})
    assert r.json()["secrets_set"] == ["password"] and r.json()["window"] == 20
    w.call("DELETE", "/v1/admin/providers/smsc-walk", 204, admin=True)
    r = w.refused("PUT", "/v1/admin/providers/Bad_Name", 422, "invalid_argument", admin=True,
                  json_body={"type": "sim"})
    assert r.json()["error"]["field"] == "name"
    # a name in the body that is not the path's: a schema cannot say so
    r = w.call("PUT", path, 422, admin=True, json_body={"type": "sim", "name": "someone-else"})
    assert r.json()["error"]["field"] == "name"
    w.direct("PUT", path, 400, "invalid_json", admin=True, data=b"")
    # a twilio provider: its secret never answered; a callback that fails
    # its signature check is 403 (the form body and the header as declared)
    tw = "contract-tw-" + secrets.token_hex(3)
    r = w.call("PUT", "/v1/admin/providers/" + tw, 200, admin=True, json_body={
        "type": "twilio", "account_sid": "AC0123456789abcdef0123456789abcdef",
        "auth_token": "s3cr3t-token", "voice_url": "https://agent.example/twiml?c={call_id}",
        "machine_detection": True})
    assert r.json()["secrets_set"] == ["auth_token"] and "s3cr3t-token" not in r.text
    for kind, form in (("calls", b"CallSid=CA1&CallStatus=completed"),
                       ("messages", b"MessageSid=SM1&MessageStatus=delivered")):
        r = w.call("POST", "/v1/providers/%s/%s/%s_x" % (tw, kind, kind[:4]), 403, data=form,
                   headers={"Content-Type": "application/x-www-form-urlencoded",
                            "X-Twilio-Signature": "A" * 27 + "="})
        assert r.json()["error"]["code"] == "forbidden"
    w.call("DELETE", "/v1/admin/providers/" + tw, 204, admin=True)
    # the built-in sim is neither replaced nor deleted
    r = w.call("PUT", "/v1/admin/providers/sim", 409, admin=True,
               json_body={"type": "sim", "call_ms": 1})
    assert r.json()["error"]["code"] == "provider_builtin"
    r = w.call("DELETE", "/v1/admin/providers/sim", 409, admin=True)
    assert r.json()["error"]["code"] == "provider_builtin"

    # a carrier names it: it cannot go until the carrier points elsewhere
    carrier = "/v1/admin/carriers/contract-" + secrets.token_hex(3)
    body = {"channel": "voice", "prefixes": ["+3315"], "rate_per_second": 5,
            "max_concurrent": 2, "provider": name}
    r = w.call("PUT", carrier, 200, admin=True, json_body=body)
    assert r.json()["provider"] == name
    assert w.call("GET", carrier, 200, admin=True).json()["provider"] == name
    r = w.call("DELETE", path, 409, admin=True)
    assert r.json()["error"]["code"] == "provider_in_use"
    assert carrier.rsplit("/", 1)[1] in r.json()["error"]["message"]
    # no provider of that name: a schema cannot know, the server answers 422
    r = w.call("PUT", carrier, 422, admin=True,
               json_body=dict(body, provider="nobody-" + secrets.token_hex(3)))
    assert r.json()["error"]["field"] == "provider"
    r = w.refused("PUT", carrier, 422, "invalid_argument", admin=True,
                  json_body=dict(body, provider="Not A Name"))
    assert r.json()["error"]["field"] == "provider"
    # a built-in carrier may name it too
    cur = w.call("GET", "/v1/admin/carriers/default-sms", 200, admin=True).json()
    keep = {k: cur[k] for k in ("channel", "rate_per_second", "burst", "max_concurrent")}
    r = w.call("PUT", "/v1/admin/carriers/default-sms", 200, admin=True,
               json_body=dict(keep, provider=name))
    assert r.json()["provider"] == name and r.json()["builtin"] is True
    r = w.call("PUT", "/v1/admin/carriers/default-sms", 200, admin=True,
               json_body=dict(keep, provider=None))
    assert r.json()["provider"] == "sim"
    r = w.call("PUT", carrier, 200, admin=True, json_body=dict(body, provider="sim"))
    assert r.json()["provider"] == "sim"
    w.call("DELETE", carrier, 204, admin=True)
    w.call("DELETE", path, 204, admin=True)
    w.call("DELETE", path, 404, admin=True)
    w.call("GET", path, 404, admin=True)


def step_meta_webhook(w):
    """A meta_whatsapp provider's webhook: the handshake and signed POSTs."""
    import hashlib
    import hmac
    name = "meta-" + secrets.token_hex(3)
    r = w.call("PUT", "/v1/admin/providers/" + name, 200, admin=True, json_body={
        "type": "meta_whatsapp", "access_token": "EAAG-contract", "app_secret": "app-secret",
        "verify_token": "verify-contract"})
    assert r.json()["secrets_set"] == ["access_token", "app_secret"], r.text
    path = "/v1/providers/%s/webhook" % name
    q = {"hub.mode": "subscribe", "hub.verify_token": "verify-contract", "hub.challenge": "1158201444"}
    r = w.call("GET", path, 200, params=q)
    assert r.text == "1158201444"
    w.call("GET", path, 403, params=dict(q, **{"hub.verify_token": "wrong"}))
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp",
                                        "metadata": {"phone_number_id": "106"},
                                        "statuses": [{"id": "wamid.nobody", "status": "read",
                                                      "timestamp": "1733650000"}]}}]}]},
                      separators=(",", ":")).encode()  # as Prism sends a JSON body on: unchanged
    sig = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    r = w.call("POST", path, 200, data=body, headers={"X-Hub-Signature-256": sig})
    assert r.json() == {"statuses": 0, "messages": 0, "ignored": 1}, r.text
    w.call("POST", path, 403, data=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
    w.call("POST", path, 403, data=body)  # the header is meta's alone: optional in the document
    w.call("DELETE", "/v1/admin/providers/" + name, 204, admin=True)


def step_provider_callbacks(w, key):
    """A provider's callbacks: a voice call reported busy while the named sim
    provider still holds it (a long call_ms, so the report comes first), the
    refusals, and an sms message reported delivered."""
    name = "contract-cb-" + secrets.token_hex(3)
    w.call("PUT", "/v1/admin/providers/" + name, 200, admin=True,
           json_body={"type": "sim", "call_ms": 600000, "report_ms": 600000})
    for channel in ("voice", "sms"):
        w.call("PUT", "/v1/admin/carriers/%s-%s" % (name, channel), 200, admin=True,
               json_body={"channel": channel, "prefixes": ["+1212"], "rate_per_second": 50,
                          "max_concurrent": 10, "provider": name})

    c = w.call("POST", "/v1/campaigns", 201, key=key, json_body=voice_body(
        retry_policy={"max_attempts": 1, "delay_seconds": 0})).json()
    w.call("POST", "/v1/campaigns/%s/recipients" % c["id"], 200, key=key,
           json_body={"recipients": [{"phone_number": "+12125550100"}]})
    w.call("POST", "/v1/campaigns/%s/start" % c["id"], 200, key=key)
    [call] = wait_for(lambda: w.call("GET", "/v1/calls", 200, key=key,
                                     params={"campaign_id": c["id"]}).json()["data"],
                      "the call to be dialled")
    assert call["status"] == "ringing" and call["provider"] == name, call
    path = "/v1/providers/%s/calls/%s" % (name, call["id"])

    # refusals a schema can say: the document refuses them as the server does
    for body, field in (({"status": "queued"}, "status"), ({}, "status"),
                        ({"status": "busy", "ended_at": "yesterday"}, "ended_at"),
                        ({"status": "busy", "provider_id": "x" * 64}, "provider_id"),
                        ({"status": "busy", "colour": "red"}, "colour")):
        r = w.refused("POST", path, 422, "invalid_argument", admin=True, json_body=body)
        assert r.json()["error"]["field"] == field, r.text
    w.refused("POST", path, 401, "unauthenticated", json_body={"status": "busy"})
    w.refused("POST", "/v1/providers/Not_A_Name/calls/" + call["id"], 404, "not_found",
              admin=True, json_body={"status": "busy"})
    w.direct("POST", path, 400, "invalid_json", admin=True, data=b"")
    # unknown ids a schema cannot know: the server's 404s, declared
    for p in ("/v1/providers/nobody-%s/calls/%s" % (secrets.token_hex(3), call["id"]),
              "/v1/providers/%s/calls/call_nope" % name,
              "/v1/providers/sim/calls/" + call["id"],           # another provider's attempt
              "/v1/providers/%s/messages/%s" % (name, call["id"])):  # a call is no message
        r = w.call("POST", p, 404, admin=True,
                   json_body={"status": "delivered" if "/messages/" in p else "busy"})
        assert r.json()["error"]["code"] == "not_found", r.text
    got = w.call("GET", "/v1/calls/" + call["id"], 200, key=key).json()
    assert got["status"] == "ringing" and got["ended_at"] is None, got

    # the provider says busy long before its own simulated end
    provider_id = "EXT-" + secrets.token_hex(4)
    w.call("POST", path, 204, admin=True,
           json_body={"status": "busy", "answered_at": None, "provider_id": provider_id})
    got = wait_for(lambda: (lambda x: x if x["status"] == "busy" else None)(
        w.call("GET", "/v1/calls/" + call["id"], 200, key=key).json()), "the call to be busy")
    assert got["provider_call_id"] == provider_id and got["ended_at"], got
    done = wait_for(lambda: (lambda x: x if x["status"] == "completed" else None)(
        w.call("GET", "/v1/campaigns/" + c["id"], 200, key=key).json()),
        "the voice campaign to complete")
    assert done["counters"]["dispositions"]["busy"] == 1, done
    # forward only: a late report is kept (204) and changes nothing
    w.call("POST", path, 204, admin=True, json_body={"status": "completed"})
    w.call("GET", "/v1/campaigns/" + c["id"], 200, key=key)  # the engine has had its turn
    time.sleep(0.3)
    assert w.call("GET", "/v1/calls/" + call["id"], 200, key=key).json()["status"] == "busy"

    # an sms message the provider accepted, then reports delivered
    s = w.call("POST", "/v1/campaigns", 201, key=key, json_body=sms_body()).json()
    w.call("POST", "/v1/campaigns/%s/recipients" % s["id"], 200, key=key, json_body={
        "recipients": [{"phone_number": "+12125550101", "params": {"name": "Ada"}}]})
    w.call("POST", "/v1/campaigns/%s/start" % s["id"], 200, key=key)
    [m] = wait_for(lambda: (lambda ms: ms if ms and ms[0]["status"] == "sent" else None)(
        w.call("GET", "/v1/messages", 200, key=key,
               params={"campaign_id": s["id"]}).json()["data"]), "the message to be sent")
    assert m["provider"] == name and m["delivered_at"] is None, m
    mpath = "/v1/providers/%s/messages/%s" % (name, m["id"])
    r = w.refused("POST", mpath, 422, "invalid_argument", admin=True,
                  json_body={"status": "queued"})
    assert r.json()["error"]["field"] == "status", r.text
    r = w.call("POST", "/v1/providers/%s/calls/%s" % (name, m["id"]), 404, admin=True,
               json_body={"status": "busy"})  # a message is no call
    assert r.json()["error"]["message"] == "no such call", r.text
    w.call("POST", mpath, 204, admin=True,
           json_body={"status": "delivered", "ended_at": "2026-01-02T03:04:05+01:00",
                      "provider_id": "SM" + secrets.token_hex(8)})
    got = wait_for(lambda: (lambda x: x if x["status"] == "delivered" else None)(
        w.call("GET", "/v1/messages/" + m["id"], 200, key=key).json()),
        "the message to be delivered")
    assert got["delivered_at"] == "2026-01-02T02:04:05.000Z", got
    assert got["provider_message_id"].startswith("SM"), got


def step_runtime_webhooks(w):
    """The webhook of the AI voice agent runtimes (vapi, retell): another
    method, unsigned, signed messages that move nothing, and a type with no
    webhook. (test_voice_runtimes.py plays whole calls.)"""
    import hashlib
    import hmac
    vapi, retell = ("contract-%s-%s" % (t, secrets.token_hex(3)) for t in ("vapi", "retell"))
    w.call("PUT", "/v1/admin/providers/" + vapi, 200, admin=True, json_body={
        "type": "vapi", "api_key": "vk", "phone_number_id": "pn", "webhook_secret": "ws"})
    w.call("PUT", "/v1/admin/providers/" + retell, 200, admin=True,
           json_body={"type": "retell", "api_key": "rk"})
    w.call("GET", "/v1/providers/%s/webhook" % vapi, 405)
    w.call("GET", "/v1/providers/sim/webhook", 404)
    body = b'{"message":{"type":"conversation-update"}}'  # compact: Prism re-serializes
    w.call("POST", "/v1/providers/%s/webhook" % vapi, 403, data=body)
    ts = str(int(time.time()))
    sig = hmac.new(b"ws", ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    r = w.call("POST", "/v1/providers/%s/webhook" % vapi, 200, data=body,
               headers={"x-signature": sig, "x-timestamp": ts})
    assert r.json() == {}
    body = b'{"event":"transcript_updated","call":{}}'
    ms = int(time.time() * 1000)
    sig = hmac.new(b"rk", body + str(ms).encode(), hashlib.sha256).hexdigest()
    w.call("POST", "/v1/providers/%s/webhook" % retell, 403, data=body)
    w.call("POST", "/v1/providers/%s/webhook" % retell, 204, data=body,
           headers={"x-retell-signature": "v=%d,d=%s" % (ms, sig)})


RECIPIENTS_JSON = [
    {"phone_number": "+14155550100", "params": {"name": "Ada"}},
    {"phone_number": "+14155550101", "params": {"name": "Grace", "vip": True, "n": 3}},
    {"phone_number": "12345"},                                    # not_e164
    {"phone_number": 14155550102},                                # not a string: not_e164
    {"phone_number": "+11234567890"},                             # invalid_number
    {"phone_number": "+14155550103", "params": {"bad": [1]}},     # invalid_params
    {"phone_number": "+14155550104", "colour": "red"},            # unknown key: invalid_params
    "+14155550105",                                               # not an object: not_e164
    {"phone_number": "+14155550100"},                             # duplicate
]


def check_upload(r, accepted, reasons):
    b = r.json()
    assert b["accepted"] == accepted, b
    assert [x["reason"] for x in b["rejected"]] == reasons, b


def step_voice(w, key):
    """A voice campaign run to completion, its webhook events validated by the mock."""
    body = voice_body(retry_policy={"max_attempts": 2, "delay_seconds": 0})
    body["config"]["webhook_url"] = w.hook_url
    body["config"]["crm_list"] = "kept as sent"
    idem = {"Idempotency-Key": "cmp-" + secrets.token_hex(6)}
    c = w.call("POST", "/v1/campaigns", 201, key=key, json_body=body, headers=idem).json()
    again = w.call("POST", "/v1/campaigns", 201, key=key, json_body=body, headers=idem)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["id"] == c["id"]
    base = "/v1/campaigns/" + c["id"]
    w.call("GET", base, 200, key=key)
    w.call("PATCH", base, 200, key=key, json_body={"name": "renamed in draft"})
    r = w.call("POST", base + "/start", 409, key=key)
    assert r.json()["error"]["code"] == "campaign_empty"

    up = {"Idempotency-Key": "up-" + secrets.token_hex(6)}
    r = w.call("POST", base + "/recipients", 200, key=key,
               json_body={"recipients": RECIPIENTS_JSON}, headers=up)
    check_upload(r, 2, ["not_e164", "not_e164", "invalid_number", "invalid_params",
                        "invalid_params", "not_e164", "duplicate"])
    again = w.call("POST", base + "/recipients", 200, key=key,
                   json_body={"recipients": RECIPIENTS_JSON}, headers=up)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == r.json()
    # the whole body is wrong: that fails the request
    w.refused("POST", base + "/recipients", 422, "invalid_argument", key=key,
              json_body={"recipients": "+14155550100"})
    w.refused("POST", base + "/recipients", 422, "too_many_recipients", key=key,
              json_body={"recipients": [{"phone_number": "+14155550100"}] * 10001})

    w.call("POST", base + "/start", 200, key=key)
    wait_for(lambda: w.call("GET", base, 200, key=key).json()["status"] == "completed",
             "the voice campaign to complete")
    r = w.call("POST", base + "/pause", 409, key=key)
    assert r.json()["error"]["code"] == "invalid_transition"
    r = w.call("PATCH", base, 409, key=key, json_body={"config": {"caller_id": "+14155550100"}})
    assert r.json()["error"]["code"] == "invalid_transition"
    r = w.call("POST", base + "/recipients", 409, key=key,
               json_body={"recipients": [{"phone_number": "+14155550109"}]})
    assert r.json()["error"]["code"] == "campaign_closed"

    rcps = w.call("GET", base + "/recipients", 200, key=key, params={"page_size": 1})
    page = rcps.json()
    assert page["next_page_token"]
    w.call("GET", base + "/recipients", 200, key=key,
           params={"page_size": 1, "page_token": page["next_page_token"]})
    w.call("GET", base + "/recipients", 200, key=key, params={"status": "succeeded"})
    r = w.call("GET", base + "/recipients", 400, key=key, params={"page_token": "forged"})
    assert r.json()["error"]["code"] == "invalid_page_token"
    w.refused("GET", base + "/recipients", 400, "invalid_argument", key=key,
              params={"status": "sleeping"})
    rid = page["data"][0]["id"]
    w.call("GET", base + "/recipients/export", 200, key=key)
    w.call("GET", base + "/recipients/export", 200, key=key,
           params={"status": "succeeded"}, headers={"Accept-Encoding": "gzip"})
    w.refused("GET", base + "/recipients/export", 400, "invalid_argument", key=key,
              params={"disposition": "maybe"})
    w.call("GET", "/v1/campaigns/cmp_nope/recipients/export", 404, key=key)
    w.call("GET", base + "/recipients/" + rid, 200, key=key)
    w.call("GET", base + "/recipients/rcp_nope", 404, key=key)

    calls = w.call("GET", "/v1/calls", 200, key=key, params={"campaign_id": c["id"]}).json()
    assert calls["data"]
    w.call("GET", "/v1/calls", 200, key=key, params={"recipient_id": rid, "status": "completed"})
    w.call("GET", "/v1/calls/" + calls["data"][0]["id"], 200, key=key)
    w.call("GET", "/v1/calls/call_nope", 404, key=key)

    # every event reached the mock receiver and was valid there (an invalid
    # one is answered 422 and stays pending or failed)
    def delivered():
        rows = w.call("GET", "/v1/events", 200, key=key,
                      params={"campaign_id": c["id"], "page_size": 1000}).json()["data"]
        bad = [e for e in rows if e["delivery"]["last_status"] not in (None, 204)]
        assert not bad, "the webhook mock refused events:\n%s" % json.dumps(bad, indent=1)
        done = rows and all(e["delivery"]["state"] == "delivered" for e in rows)
        return rows if done else None
    events = wait_for(delivered, "every event delivered to the webhook mock")
    assert {e["type"] for e in events} >= {"call.ended", "recipient.finished",
                                          "campaign.status_changed"}
    w.seen.add("receiveEvent")
    w.call("GET", "/v1/events", 200, key=key, params={"type": "call.ended"})
    w.call("POST", "/v1/events/%s/redeliver" % events[0]["id"], 200, key=key,
           headers={"Idempotency-Key": "redo-" + secrets.token_hex(6)})
    w.call("POST", "/v1/events/evt_nope/redeliver", 404, key=key)
    w.refused("POST", "/v1/events/%s/redeliver" % events[0]["id"], 422, "invalid_argument",
              key=key, json_body={"now": True})
    return c


def step_sms(w, key):
    body = sms_body()
    body["config"]["from"] = "CT" + secrets.token_hex(3)
    c = w.call("POST", "/v1/campaigns", 201, key=key, json_body=body).json()
    base = "/v1/campaigns/" + c["id"]
    csv = ("phone_number,name\n+14155550110,Ada\n+14155550111,\"Lovelace, Ada\"\n"
           "12345,short\n+14155550111,again\n+14155550112\n+11234567890,no plan\n")
    r = w.call("POST", base + "/recipients", 200, key=key, data=csv.encode(),
               headers={"Content-Type": "text/csv"})
    check_upload(r, 2, ["not_e164", "duplicate", "invalid_params", "invalid_number"])
    w.refused("POST", base + "/recipients", 415, "unsupported_media_type", key=key,
              data=b"phone_number\n+14155550113\n", headers={"Content-Type": "text/plain"})
    w.call("POST", base + "/start", 200, key=key)
    wait_for(lambda: w.call("GET", base, 200, key=key).json()["status"] == "completed",
             "the sms campaign to complete")
    msgs = w.call("GET", "/v1/messages", 200, key=key, params={"campaign_id": c["id"]}).json()
    assert msgs["data"] and all(m["channel"] == "sms" for m in msgs["data"])
    w.call("GET", "/v1/messages/" + msgs["data"][0]["id"], 200, key=key)
    w.call("GET", "/v1/messages/msg_nope", 404, key=key)
    # an inbound STOP to the campaign's sender
    r = w.call("POST", "/v1/providers/sim/inbound", 200, admin=True,
               json_body={"channel": "sms", "from": "+14155550110",
                          "to": body["config"]["from"], "body": "STOP"})
    assert r.json() == {"action": "opted_out"}
    # the sender belongs to this account: another account cannot send from it
    other = w.call("POST", "/v1/admin/accounts", 201, admin=True,
                   json_body={"name": "other-" + secrets.token_hex(4)}).json()["api_key"]
    taken = sms_body(config=dict(body["config"]))
    r = w.call("POST", "/v1/campaigns", 409, key=other, json_body=taken)
    assert r.json()["error"]["code"] == "sender_in_use"
    draft = w.call("POST", "/v1/campaigns", 201, key=other, json_body=sms_body(
        config={"from": "OT" + secrets.token_hex(3), "body": "Hi"})).json()
    r = w.call("PATCH", "/v1/campaigns/" + draft["id"], 409, key=other,
               json_body={"config": body["config"]})
    assert r.json()["error"]["code"] == "sender_in_use"
    w.refused("POST", "/v1/providers/sim/inbound", 422, "invalid_argument", admin=True,
              json_body={"channel": "fax", "from": "+14155550110", "to": "x", "body": "STOP"})
    return c


def step_whatsapp(w, key):
    body = whatsapp_body()
    body["config"]["sender"] = "wa_" + secrets.token_hex(4)
    c = w.call("POST", "/v1/campaigns", 201, key=key, json_body=body).json()
    base = "/v1/campaigns/" + c["id"]
    w.call("POST", base + "/recipients", 200, key=key, json_body={"recipients": [
        {"phone_number": "+14155550120", "params": {"name": "Ada"}},
        {"phone_number": "+14155550127", "params": {"name": "Bob"}}]})
    w.call("POST", base + "/start", 200, key=key)
    wait_for(lambda: w.call("GET", base, 200, key=key).json()["status"] == "completed",
             "the whatsapp campaign to complete")
    msgs = w.call("GET", "/v1/messages", 200, key=key,
                  params={"campaign_id": c["id"], "status": "sent"}).json()
    assert msgs["data"] and msgs["data"][0]["channel"] == "whatsapp"
    w.call("GET", "/v1/messages/" + msgs["data"][0]["id"], 200, key=key)
    # a config of the wrong channel: the document refuses it as the server does
    wrong = dict(body, config={"caller_id": "+14155550100"})
    w.refused("POST", "/v1/campaigns", 422, "invalid_argument", key=key, json_body=wrong)
    w.refused("POST", "/v1/campaigns", 422, "invalid_argument", key=key,
              json_body=sms_body(retry_policy={"max_attempts": 2}))


def step_lifecycle(w, key):
    """pause / resume / cancel on a campaign that waits for its start_at."""
    body = voice_body(schedule={"start_at": "2099-01-01T00:00:00Z"})
    body["config"]["call_window"] = {"start": "09:00", "end": "17:00", "days": ["mon"],
                                     "timezone": "recipient"}
    c = w.call("POST", "/v1/campaigns", 201, key=key, json_body=body).json()
    base = "/v1/campaigns/" + c["id"]
    w.call("PATCH", base, 200, key=key, json_body={
        "config": {"caller_id": "+14155550100", "call_window": None}, "retry_policy": None})
    w.call("POST", base + "/recipients", 200, key=key,
           json_body={"recipients": [{"phone_number": "+14155550130"}]})
    for move, status in (("start", "running"), ("start", "running"), ("pause", "paused"),
                         ("pause", "paused"), ("resume", "running"), ("cancel", "cancelled")):
        r = w.call("POST", base + "/" + move, 200, key=key,
                   headers={"Idempotency-Key": secrets.token_hex(8)})
        assert r.json()["status"] == status
    r = w.call("POST", base + "/resume", 409, key=key)
    assert r.json()["error"]["code"] == "invalid_transition"
    w.refused("POST", base + "/pause", 422, "invalid_argument", key=key,
              json_body={"reason": "x"})
    w.call("GET", "/v1/campaigns", 200, key=key, params={"status": "cancelled"})
    w.call("GET", "/v1/campaigns", 200, key=key, params={"channel": "voice", "page_size": 2})
    w.call("GET", "/v1/campaigns/cmp_nope", 404, key=key)
    w.refused("GET", "/v1/campaigns", 400, "invalid_argument", key=key,
              params={"page_size": 0})


def step_opt_outs(w, key):
    body = {"phone_number": "+14155550140", "channel": "whatsapp", "category": "marketing"}
    o = w.call("POST", "/v1/opt-outs", 201, key=key, json_body=body).json()
    w.call("POST", "/v1/opt-outs", 200, key=key, json_body=body)
    w.call("POST", "/v1/opt-outs", 422, key=key,
           json_body={"phone_number": "+14155550140", "channel": "sms", "category": "marketing"})
    w.call("GET", "/v1/opt-outs", 200, key=key,
           params={"channel": "whatsapp", "phone_number": "+14155550140"})
    w.call("DELETE", "/v1/opt-outs/" + o["id"], 204, key=key)
    w.call("DELETE", "/v1/opt-outs/" + o["id"], 404, key=key)


def step_webhook_secret(w, key):
    w.call("GET", "/v1/webhook-secret", 200, key=key)
    idem = {"Idempotency-Key": "rot-" + secrets.token_hex(6)}
    r = w.call("POST", "/v1/webhook-secret/rotate", 200, key=key, headers=idem)
    assert r.json()["secret"].startswith("whsec_")
    again = w.call("POST", "/v1/webhook-secret/rotate", 200, key=key, headers=idem)
    assert again.headers.get("Idempotent-Replayed") == "true" and "secret" not in again.json()


def step_general_errors(w, key):
    w.refused("GET", "/v1/campaigns", 401, "unauthenticated")
    w.call("GET", "/v1/campaigns", 401, key="ck_" + "z" * 43)
    w.direct("POST", "/v1/campaigns", 400, "invalid_json", key=key, data=b'{"name": ')
    w.refused("POST", "/v1/campaigns", 415, "unsupported_media_type", key=key,
              data=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    w.refused("POST", "/v1/campaigns", 400, "invalid_argument", key=key,
              json_body=voice_body(), headers={"Idempotency-Key": "k" * 256})
    big = b'{"name": "' + b"x" * (16 * 1024 * 1024) + b'"}'
    w.direct("POST", "/v1/admin/accounts", 413, "payload_too_large", admin=True, data=big)
    w.direct("GET", "/v1/campaigns", 413, "payload_too_large", key=key, data=big)


def step_body_limits(w, key):
    """Bodies the document accepts (config keeps unknown keys) and the server
    refuses for what they hold: a NUL in a string, nesting past 32 levels,
    more JSON values than a body may hold. Through the strict proxy: the
    answers are ones the operations declare."""
    body = voice_body()
    body["config"]["crm_list"] = "a\u0000b"
    r = w.call("POST", "/v1/campaigns", 422, key=key, json_body=body)
    assert r.json()["error"] == {"code": "invalid_argument", "field": "config.crm_list",
                                 "message": r.json()["error"]["message"]}, r.text
    r = w.call("PUT", "/v1/admin/carriers/contract-nul", 422, admin=True, json_body={
        "channel": "sms", "rate_per_second": 1, "max_concurrent": 1, "provider": None,
        "prefixes": ["+3316"], "name": "contract-nul\u0000"})
    assert r.json()["error"]["field"] == "name", r.text
    deep = "leaf"
    for _ in range(40):
        deep = {"a": deep}
    body = voice_body()
    body["config"]["deep"] = deep
    r = w.call("POST", "/v1/campaigns", 422, key=key, json_body=body)
    assert r.json()["error"]["code"] == "invalid_argument"
    assert r.json()["error"]["field"].startswith("config.deep.a.a"), r.text
    body = voice_body()
    body["config"]["many"] = [0] * 100001
    r = w.call("POST", "/v1/campaigns", 413, key=key, json_body=body)
    assert r.json()["error"]["code"] == "payload_too_large"
    # within the limits, the same kinds of body are kept
    body = voice_body()
    body["config"]["deep"] = {"a": {"a": {"a": "leaf"}}}
    body["config"]["many"] = [0] * 1000
    c = w.call("POST", "/v1/campaigns", 201, key=key, json_body=body).json()
    assert c["config"]["deep"] == body["config"]["deep"]


def test_walk_every_operation_through_prism(walk, doc):
    step_operations(walk)
    key = step_accounts_and_keys(walk)
    step_carriers(walk)
    step_providers(walk)
    step_provider_callbacks(walk, key)
    step_meta_webhook(walk)
    step_runtime_webhooks(walk)
    step_general_errors(walk, key)
    step_body_limits(walk, key)
    step_voice(walk, key)
    step_sms(walk, key)
    step_whatsapp(walk, key)
    step_lifecycle(walk, key)
    step_opt_outs(walk, key)
    step_webhook_secret(walk, key)

    every = set(operations(doc).values())
    every |= {item["post"]["operationId"] for item in doc.get("webhooks", {}).values()}
    missing = sorted(every - walk.seen)
    assert not missing, "operations of docs/openapi.yaml the walk never exercised: %s" % missing


def test_405_allow_lists_the_documents_methods(server, doc):
    """Prism answers a method the document lacks itself, so this goes to the
    server: every path answers another method with 405 and an Allow header
    naming exactly the methods the document lists for it."""
    ops = operations(doc)
    for path in doc["paths"]:
        listed = {m for (m, p) in ops if p == path}
        concrete = re.sub(r"\{[^}]+\}", "x1", path)
        other = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in listed)
        r = requests.request(other, server.base + concrete, timeout=10 * SLOW,
                             headers={"Authorization": "Bearer " + server.admin_token})
        assert_error(r, 405, "method_not_allowed")
        allow = {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}
        assert allow == listed, "%s: Allow %s, the document lists %s" % (path, allow, listed)
    # every operation declares the path's 405, and what any request may get:
    # 400 bad_request, 413, 503 (bodies held at once, storage full)
    for (m, p), op in ops.items():
        declared = doc["paths"][p][m.lower()]["responses"]
        for status in ("400", "405", "413", "503"):
            assert status in declared, "%s %s (%s) does not declare %s" % (m, p, op, status)


def raw_request(server, data):
    """Raw bytes on a new connection, straight to the server (Node's HTTP
    parser in Prism refuses what these test itself); answers (status,
    {header: value}, body) once the server closes or the body is complete."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10 * SLOW) as s:
        s.sendall(data)
        raw = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            raw += b
            head, sep, body = raw.partition(b"\r\n\r\n")
            lengths = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if sep and lengths and len(body) >= int(lengths[0].split(b":", 1)[1]):
                break
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.decode().strip().lower()] = v.decode().strip()
    return int(lines[0].split()[1]), headers, body


def test_disagreeing_content_lengths_on_every_operation(server, doc):
    """Content-Length headers that disagree are refused before anything
    else on every operation (Prism's parser would refuse them itself, so
    this goes to the server): 400 bad_request, the connection closed, and
    the operation declares 400."""
    for (m, p), op in operations(doc).items():
        path = re.sub(r"\{[^}]+\}", "x1", p)
        body = b"{}"
        req = (b"%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               b"Content-Type: application/json\r\nContent-Length: 2\r\n"
               b"Content-Length: 3\r\n\r\n%s" % (m.encode(), path.encode(),
                                                 server.admin_token.encode(), body))
        status, headers, resp = raw_request(server, req)
        assert status == 400, "%s %s (%s): %d %s" % (m, p, op, status, resp)
        assert json.loads(resp)["error"]["code"] == "bad_request", resp
        assert headers.get("connection", "").lower() == "close", headers
        assert "400" in doc["paths"][p][m.lower()]["responses"], "%s %s (%s)" % (m, p, op)
