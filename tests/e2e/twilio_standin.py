"""Helpers of the Twilio provider's end-to-end tests.

* StandIn: a small Twilio stand-in (http.server in a thread) for what Prism
  cannot play: it records every request (path, form fields in order,
  headers, time) and answers by a plan: a function of (request, number of
  requests so far to that path kind) giving one of
    ("answer", status, json_body, headers)
    ("drop",)   read the whole request, then close the connection unanswered
    ("hold",)   read the whole request and never answer (until stop())
* sign(): X-Twilio-Signature by the official `twilio` package's
  RequestValidator (Debian python3-twilio), never by campaignd's code.
* callback(): posts a signed (or forged) status callback to campaignd.
* twilio_provider(): PUT /v1/admin/providers/{name} of type twilio.
"""
import time
import urllib.parse

import requests
from twilio.request_validator import RequestValidator

from standin_http import QuietHandler, StandInBase, act

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "tok_" + "5" * 28


class StandIn(StandInBase):
    def __init__(self, plan=None):
        super().__init__()
        self.plan = plan or (lambda req, n: ("answer", 201, {"sid": "CA" + "0" * 32}, {}))
        outer = self

        class Handler(QuietHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n).decode("utf-8")
                req = {"path": self.path, "raw": raw,
                       "form": urllib.parse.parse_qsl(raw, keep_blank_values=True),
                       "headers": dict(self.headers), "at": time.time()}
                with outer.lock:
                    kind = self.path.rsplit("/", 1)[-1]
                    count = sum(1 for r in outer.requests if r["path"].endswith(kind))
                    outer.requests.append(req)
                act(self, outer.plan(req, count), outer.release)

        self.serve(Handler)

    def of_kind(self, kind):
        """The requests to Calls.json or Messages.json, in order."""
        with self.lock:
            return [r for r in self.requests if r["path"].endswith("/" + kind)]

    def wait(self, kind, count, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            got = self.of_kind(kind)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError("want %d %s requests, got %d" % (count, kind, len(self.of_kind(kind))))


def sign(url, params, token=AUTH_TOKEN):
    return RequestValidator(token).compute_signature(url, params)


def callback(server, provider, kind, attempt_id, params, token=AUTH_TOKEN, query=None,
             signature="sign", url_base=None):
    """POSTs Twilio's form to /v1/providers/{provider}/{kind}/{attempt_id}[?query],
    signed over url_base (default: the server's base, its CAMPAIGND_PUBLIC_URL)
    unless signature is a string or None (no header)."""
    path = "/v1/providers/%s/%s/%s" % (provider, kind, attempt_id)
    if query:
        path += "?" + query
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "sign":
        headers["X-Twilio-Signature"] = sign((url_base or server.base) + path, params, token)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return requests.post(server.base + path, data=urllib.parse.urlencode(params).encode(),
                         headers=headers, timeout=30)


def twilio_provider(client, name, base_url, voice_url="https://agent.example/twiml?agent={agent_id}&call={call_id}&rcp={recipient_id}&cmp={campaign_id}", **extra):
    body = {"type": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
            "base_url": base_url}
    if voice_url:
        body["voice_url"] = voice_url
    body.update(extra)
    r = client.admin("PUT", "/v1/admin/providers/" + name, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def carrier(client, name, provider, channel, prefixes, rate=50, concurrent=10):
    r = client.admin("PUT", "/v1/admin/carriers/" + name, json={
        "channel": channel, "prefixes": prefixes, "rate_per_second": rate,
        "max_concurrent": concurrent, "provider": provider})
    assert r.status_code == 200, r.text
    return r.json()


def wait_for(fn, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        got = fn()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)
