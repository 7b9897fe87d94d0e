"""Shared helpers of the end-to-end tests: an HTTP client and contract checks."""
import json
import os
import re
import secrets
import time

import pytest
import requests

SANITIZED = os.environ.get("CAMPAIGND_SANITIZED") == "1"
SLOW = 4 if SANITIZED else 1  # timeouts stretch under ASan/UBSan
# A PostgreSQL server URL (scripts/pg.sh run): every campaignd under test
# then runs on a fresh database of it instead of a SQLite file.
PG_URL = os.environ.get("CAMPAIGND_TEST_DATABASE", "")
ON_PG = PG_URL.startswith(("postgres://", "postgresql://"))

TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
JSON_CT = "application/json; charset=utf-8"

CAMPAIGN_KEYS = {
    "id", "name", "agent_id", "channel", "status", "config", "schedule", "retry_policy",
    "counters", "created_at", "updated_at", "started_at", "completed_at", "cancelled_at",
}
COUNTER_KEYS = {"total", "queued", "dispatched", "succeeded", "failed"}
STATUSES = {"draft", "running", "paused", "completed", "cancelled"}


def assert_time(value, nullable=False):
    if nullable and value is None:
        return
    assert isinstance(value, str) and TIME_RE.match(value), \
        "not RFC 3339 UTC with milliseconds: %r" % (value,)


def assert_invariant(c):
    """Checks the counters of one campaign answer: present, integers >= 0,
    total = queued + dispatched + succeeded + failed, dispositions counting
    terminal recipients only."""
    counters = c["counters"]
    assert COUNTER_KEYS <= set(counters), counters
    for k in COUNTER_KEYS:
        assert isinstance(counters[k], int) and not isinstance(counters[k], bool), (k, counters)
        assert counters[k] >= 0, (k, counters)
    assert counters["total"] == (counters["queued"] + counters["dispatched"]
                                 + counters["succeeded"] + counters["failed"]), counters
    disp = counters["dispositions"]
    assert isinstance(disp, dict), counters
    for k, v in disp.items():
        assert isinstance(v, int) and v >= 0, (k, counters)
    assert sum(disp.values()) == counters["succeeded"] + counters["failed"], counters


def assert_campaign(c):
    """Shape of a campaign object, with the counters invariant."""
    assert set(c) == CAMPAIGN_KEYS, sorted(set(c) ^ CAMPAIGN_KEYS)
    assert isinstance(c["id"], str) and c["id"].startswith("cmp_") and len(c["id"]) > 4
    assert c["channel"] in ("voice", "sms", "whatsapp")
    assert c["status"] in STATUSES
    assert isinstance(c["config"], dict)
    assert c["schedule"] is None or isinstance(c["schedule"], dict)
    assert c["retry_policy"] is None or isinstance(c["retry_policy"], dict)
    assert_time(c["created_at"])
    assert_time(c["updated_at"])
    assert c["updated_at"] >= c["created_at"]
    for k in ("started_at", "completed_at", "cancelled_at"):
        assert_time(c[k], nullable=True)
    assert_invariant(c)
    return c


def assert_zero_counters(c):
    counters = c["counters"]
    for k in COUNTER_KEYS:
        assert counters[k] == 0, counters
    assert all(v == 0 for v in counters["dispositions"].values()), counters


def assert_error(r, status, code, field=None, check_field=True):
    """The contract's error shape: {"error": {"code", "message"[, "field"]}}."""
    assert r.status_code == status, "want %d %s, got %d: %s" % (status, code, r.status_code, r.text)
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert err.get("code") == code, body
    assert isinstance(err.get("message"), str) and err["message"], body
    assert set(err) <= {"code", "message", "field"}, body
    if check_field:
        assert err.get("field") == field, "want field %r: %s" % (field, body)
    return err


def voice_body(**over):
    b = {"name": "Renewals " + secrets.token_hex(3), "agent_id": "agt_123",
         "config": {"caller_id": "+14155550100"}}
    b.update(over)
    return b


def new_sms_sender():
    """An alphanumeric sender id no other test uses: a sender belongs to the
    first account whose campaign names it."""
    return "S" + secrets.token_hex(5).upper()


def new_wa_sender():
    return "wa_" + secrets.token_hex(6)


def sms_body(**over):
    b = {"name": "SMS " + secrets.token_hex(3), "agent_id": "agt_sms", "channel": "sms",
         "config": {"from": new_sms_sender(), "body": "Hi {{name}}"}}
    b.update(over)
    return b


def whatsapp_body(**over):
    b = {"name": "WA " + secrets.token_hex(3), "agent_id": "agt_wa", "channel": "whatsapp",
         "config": {"sender": new_wa_sender(),
                    "template": {"name": "renewal", "language": "en_US",
                                 "category": "marketing", "parameters": ["{{name}}"]}}}
    b.update(over)
    return b


class Account:
    def __init__(self, client, id, name, api_key, key_prefix):
        self.client = client
        self.id = id
        self.name = name
        self.api_key = api_key
        self.key_prefix = key_prefix

    def req(self, method, path, **kw):
        return self.client.req(method, path, key=self.api_key, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.req("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.req("PATCH", path, json=json, **kw)

    def create_campaign(self, body=None, **over):
        b = body if body is not None else voice_body(**over)
        r = self.post("/v1/campaigns", json=b)
        assert r.status_code == 201, r.text
        return assert_campaign(r.json())

    def get_campaign(self, cid):
        r = self.get("/v1/campaigns/" + cid)
        assert r.status_code == 200, r.text
        return assert_campaign(r.json())

    def list_all(self, params=None, page_size=None):
        """Pages through /v1/campaigns; returns (rows, number of pages)."""
        params = dict(params or {})
        if page_size:
            params["page_size"] = page_size
        rows, pages, token = [], 0, None
        while True:
            p = dict(params)
            if token:
                p["page_token"] = token
            r = self.get("/v1/campaigns", params=p)
            assert r.status_code == 200, r.text
            body = r.json()
            assert set(body) == {"data", "next_page_token"}, body
            for c in body["data"]:
                assert_campaign(c)
            rows.extend(body["data"])
            pages += 1
            token = body["next_page_token"]
            if token is None:
                return rows, pages
            assert isinstance(token, str) and token
            assert pages < 1000, "paging does not end"


class Client:
    """HTTP client of one server: base URL, admin token, a keep-alive session."""

    def __init__(self, base, admin_token, timeout=30):
        self.base = base
        self.admin_token = admin_token
        self.timeout = timeout
        self.session = requests.Session()

    def close(self):
        self.session.close()

    def req(self, method, path, key=None, admin=False, json=None, data=None, headers=None,
            **kw):
        h = {}
        if admin:
            h["Authorization"] = "Bearer %s" % self.admin_token
        elif key is not None:
            h["Authorization"] = "Bearer %s" % key
        if json is not None or data is not None:
            h["Content-Type"] = "application/json"
        if json is not None:
            data = _json_bytes(json)
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        kw.setdefault("timeout", self.timeout)
        return self.session.request(method, self.base + path, data=data, headers=h, **kw)

    def admin(self, method, path, **kw):
        return self.req(method, path, admin=True, **kw)

    def create_account(self, name=None):
        name = name or ("acme-" + secrets.token_hex(4))
        r = self.admin("POST", "/v1/admin/accounts", json={"name": name})
        assert r.status_code == 201, r.text
        b = r.json()
        assert b["id"].startswith("acct_") and b["name"] == name, b
        assert b["key_prefix"] == b["api_key"][:12], b
        return Account(self, b["id"], b["name"], b["api_key"], b["key_prefix"])

    def new_key(self, account_id):
        r = self.admin("POST", "/v1/admin/accounts/%s/keys" % account_id, json={})
        assert r.status_code == 201, r.text
        b = r.json()
        assert b["key_prefix"] == b["api_key"][:12], b
        return b["api_key"], b["key_prefix"]


def _json_bytes(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def wait_for(fn, timeout, what):
    """Calls fn until it answers something truthy (returned); fails the test
    after timeout seconds (stretched under sanitizers)."""
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    pytest.fail("timed out waiting for " + what)


def all_pages(acct, path, params=None, page_size=1000):
    """Every row of a list endpoint, following next_page_token."""
    rows, token, pages = [], None, 0
    while True:
        p = dict(params or {}, page_size=page_size)
        if token:
            p["page_token"] = token
        r = acct.get(path, params=p)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"data", "next_page_token"}, body
        rows.extend(body["data"])
        pages += 1
        assert pages < 10000, "paging does not end"
        token = body["next_page_token"]
        if not token:
            return rows


def add_recipients(acct, cid, numbers, params=None):
    """Adds these numbers to campaign cid (each with params, default a
    name), all of them accepted."""
    r = acct.post("/v1/campaigns/%s/recipients" % cid,
                  json={"recipients": [{"phone_number": n, "params": params or {"name": "Zoë"}}
                                       for n in numbers]})
    assert r.status_code == 200 and r.json()["accepted"] == len(numbers), r.text


def start_campaign(acct, cid):
    r = acct.post("/v1/campaigns/%s/start" % cid)
    assert r.status_code == 200, r.text
