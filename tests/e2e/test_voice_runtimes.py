"""The vapi and retell providers (AI voice agent runtimes) against stand-ins
written from the runtimes' published shapes (runtime_standins.py): the
stand-ins refuse malformed requests; the settings are checked and secrets
never shown; a campaign through each runtime reaches `completed` with
transcripts and recordings readable from GET /v1/calls/{id}; every ended
reason each runtime documents ends its call as docs/providers.md says
(tests/data/runtimes/); signed, unsigned, forged, stale and altered
webhooks; a report found by the runtime's own id; throttles (429,
concurrency refusals, Vapi's concurrencyBlocked) use no attempt; other
refusals fail the attempt with http_<status>."""
import json
import os
import time

import pytest
import requests

from helpers import SLOW, assert_error, voice_body
from runtime_standins import (RETELL_KEY, VAPI_KEY, VAPI_SECRET, RetellStandIn, VapiStandIn,
                              retell_problems, retell_sign, vapi_problems, vapi_sign)
from twilio_standin import carrier, wait_for

ENV = {"CAMPAIGND_PROVIDER_ALLOW_PRIVATE": "1", "CAMPAIGND_LEASE_MS": "2000"}
DATA = os.path.join(os.path.dirname(__file__), "..", "data", "runtimes")


def documented(name):
    with open(os.path.join(DATA, name)) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


# docs/providers.md's tables, written again here: the outcome of each reason
# named there; every other documented reason is "failed".
VAPI_NAMED = {
    "completed": ["assistant-ended-call", "assistant-ended-call-after-message-spoken",
                  "assistant-ended-call-with-hangup-task", "assistant-forwarded-call",
                  "assistant-said-end-call-phrase", "customer-ended-call",
                  "customer-ended-call-after-warm-transfer-attempt",
                  "customer-ended-call-before-warm-transfer",
                  "customer-ended-call-during-transfer", "exceeded-max-duration",
                  "silence-timed-out", "vonage-completed", "call.in-progress.sip-completed-call",
                  "call.in-progress.twilio-completed-call", "call.ending.hook-executed-say",
                  "call.ending.hook-executed-transfer", "call.forwarding.no-answer",
                  "call.forwarding.operator-busy", "call.in-progress.error-transfer-failed",
                  "call.in-progress.error-warm-transfer-assistant-cancelled",
                  "call.in-progress.error-warm-transfer-max-duration",
                  "call.in-progress.error-warm-transfer-microphone-timeout",
                  "call.in-progress.error-warm-transfer-silence-timeout"],
    "no_answer": ["customer-did-not-answer"],
    "busy": ["customer-busy", "vonage-rejected",
             "call.start.error-subscription-concurrency-limit-reached"],
    "voicemail": ["voicemail"],
}
RETELL_NAMED = {
    "completed": ["user_hangup", "agent_hangup", "call_transfer", "inactivity",
                  "max_duration_reached", "transfer_bridged", "transfer_cancelled",
                  "call_take_over"],
    "voicemail": ["voicemail_reached", "ivr_reached"],
    "no_answer": ["dial_no_answer"],
    "busy": ["dial_busy", "user_declined", "concurrency_limit_reached",
             "no_concurrency_fallback"],
}


def expected(named, reason):
    for outcome, reasons in named.items():
        if reason in reasons:
            return outcome
    return "failed"


# outcome -> (call status, answered_by, recipient status, disposition)
OUTCOME = {"completed": ("completed", "human", "succeeded", "completed"),
           "voicemail": ("completed", "machine", "failed", "voicemail"),
           "no_answer": ("no_answer", None, "failed", "no_answer"),
           "busy": ("busy", None, "failed", "busy"),
           "failed": ("failed", None, "failed", "failed")}


@pytest.fixture
def standins():
    made = []

    def make(cls, **kw):
        s = cls(**kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


def vapi_provider(client, name, base, **extra):
    body = {"type": "vapi", "api_key": VAPI_KEY, "base_url": base, "phone_number_id": "pn_1",
            "webhook_secret": VAPI_SECRET}
    body.update(extra)
    r = client.admin("PUT", "/v1/admin/providers/" + name, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def retell_provider(client, name, base, **extra):
    body = {"type": "retell", "api_key": RETELL_KEY, "base_url": base}
    body.update(extra)
    r = client.admin("PUT", "/v1/admin/providers/" + name, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def setup_campaign(srv, kind, standin, numbers, params=None, rate=50, **extra):
    client = srv.client()
    (vapi_provider if kind == "vapi" else retell_provider)(client, "rt", standin.base, **extra)
    carrier(client, "rt-voice", "rt", "voice", ["+1212"], rate=rate, concurrent=1000)
    acct = client.create_account()
    c = acct.create_campaign(body=voice_body(agent_id="agt_%s_1" % kind))
    recips = [{"phone_number": n, "params": params or {"name": "Zoë"}} for n in numbers]
    for i in range(0, len(recips), 1000):
        r = acct.post("/v1/campaigns/%s/recipients" % c["id"], json={"recipients": recips[i:i + 1000]})
        assert r.status_code == 200 and r.json()["accepted"] == len(recips[i:i + 1000]), r.text
    return client, acct, c


def start(acct, c):
    r = acct.post("/v1/campaigns/%s/start" % c["id"])
    assert r.status_code == 200, r.text


def campaign_done(acct, cid, timeout=30):
    return wait_for(lambda: (lambda c: c if c["status"] == "completed" else None)(
        acct.get_campaign(cid)), timeout * SLOW, "the campaign to complete")


def all_calls(acct, cid):
    out, token = [], None
    while True:
        params = {"campaign_id": cid, "page_size": 1000}
        if token:
            params["page_token"] = token
        r = acct.get("/v1/calls", params=params)
        assert r.status_code == 200, r.text
        out += r.json()["data"]
        token = r.json()["next_page_token"]
        if not token:
            return out


def numbers(n, start=1000):
    return ["+1212555%04d" % (start + i) for i in range(n)]


# ---- the stand-ins refuse what the runtimes refuse ----

def test_standins_refuse_malformed_requests(standins):
    vapi = standins(VapiStandIn)
    good = {"assistantId": "a1", "phoneNumberId": "pn_1", "customer": {"number": "+12125551000"},
            "name": "call_x", "assistantOverrides": {"variableValues": {"n": 1},
                                                     "metadata": {"k": "v"},
                                                     "server": {"url": "https://x/y"}}}
    assert vapi_problems(good) == []
    post = lambda body, key=VAPI_KEY: requests.post(
        vapi.base + "/call", json=body, headers={"Authorization": "Bearer " + key}, timeout=10)
    assert post(good).status_code == 201
    assert post(good, key="wrong").status_code == 401
    for bad in (dict(good, metadata={}),                      # no such property on a call
                {k: v for k, v in good.items() if k != "phoneNumberId"},
                dict(good, customer={"number": "4155550100"}),
                dict(good, name="x" * 41),
                dict(good, squadId="s1"),                     # two starts
                dict(good, assistantOverrides={"variableValues": [1]})):
        r = post(bad)
        assert r.status_code == 400 and r.json()["message"], bad
    assert len(vapi.calls()) == 1

    retell = standins(RetellStandIn)
    good = {"from_number": "+14155550100", "to_number": "+12125551000",
            "override_agent_id": "agent_1", "retell_llm_dynamic_variables": {"n": "1"},
            "metadata": {"k": "v"}, "agent_override": {"agent": {"webhook_url": "https://x/y"}}}
    assert retell_problems(good) == []
    post = lambda body, key=RETELL_KEY: requests.post(
        retell.base + "/v2/create-phone-call", json=body,
        headers={"Authorization": "Bearer " + key}, timeout=10)
    assert post(good).status_code == 201
    assert post(good, key="key_wrong").status_code == 401
    for bad in (dict(good, retell_llm_dynamic_variables={"n": 1}),   # strings only
                dict(good, to_number="12125551000"),
                {k: v for k, v in good.items() if k != "from_number"},
                dict(good, agent_id="agent_1"),
                dict(good, metadata="x")):
        r = post(bad)
        assert r.status_code == 400 and r.json()["message"], bad
    assert len(retell.calls()) == 1


# ---- settings ----

def test_settings_validation_and_secrets(start_server):
    srv = start_server()
    client = srv.client()
    body = {"type": "vapi", "api_key": VAPI_KEY, "phone_number_id": "pn_1",
            "webhook_secret": VAPI_SECRET}
    for drop in ("api_key", "phone_number_id", "webhook_secret"):
        r = client.admin("PUT", "/v1/admin/providers/vp",
                         json={k: v for k, v in body.items() if k != drop})
        assert_error(r, 422, "invalid_argument", drop)
    assert_error(client.admin("PUT", "/v1/admin/providers/vp",
                              json=dict(body, webhook_auth="basic")),
                 422, "invalid_argument", "webhook_auth")
    assert_error(client.admin("PUT", "/v1/admin/providers/vp",
                              json=dict(body, hmac_signature_header="x sig")),
                 422, "invalid_argument", "hmac_signature_header")
    assert_error(client.admin("PUT", "/v1/admin/providers/vp",
                              json=dict(body, base_url="http://127.0.0.1:1")),
                 422, "invalid_argument", "base_url")
    assert_error(client.admin("PUT", "/v1/admin/providers/vp", json=dict(body, voice_url="x")),
                 422, "invalid_argument", "voice_url")
    r = client.admin("PUT", "/v1/admin/providers/vp", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "vp", "type": "vapi", "base_url": "https://api.vapi.ai",
                        "phone_number_id": "pn_1", "webhook_auth": "hmac",
                        "hmac_signature_header": "x-signature",
                        "hmac_timestamp_header": "x-timestamp", "set_server_url": True,
                        "secrets_set": ["api_key", "webhook_secret"], "builtin": False}

    rb = {"type": "retell", "api_key": RETELL_KEY}
    assert_error(client.admin("PUT", "/v1/admin/providers/rt", json={"type": "retell"}),
                 422, "invalid_argument", "api_key")
    assert_error(client.admin("PUT", "/v1/admin/providers/rt",
                              json=dict(rb, from_number="4155550100")),
                 422, "invalid_argument", "from_number")
    r = client.admin("PUT", "/v1/admin/providers/rt", json=dict(rb, from_number="+14155550111"))
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "rt", "type": "retell", "base_url": "https://api.retellai.com",
                        "from_number": "+14155550111", "set_webhook_url": True,
                        "secrets_set": ["api_key"], "builtin": False}
    # voice only
    for name, prefix in (("vp", "+1212"), ("rt", "+1213")):
        r = client.admin("PUT", "/v1/admin/carriers/s-" + name, json={
            "channel": "sms", "prefixes": [prefix], "rate_per_second": 1, "max_concurrent": 1,
            "provider": name})
        assert_error(r, 422, "invalid_argument", "provider")
        r = client.admin("PUT", "/v1/admin/carriers/v-" + name, json={
            "channel": "voice", "prefixes": [prefix], "rate_per_second": 1,
            "max_concurrent": 1, "provider": name})
        assert r.status_code == 200, r.text
    listed = repr(client.admin("GET", "/v1/admin/providers").json())
    assert VAPI_KEY not in listed and VAPI_SECRET not in listed and RETELL_KEY not in listed
    time.sleep(0.3)
    log = srv.log()
    assert VAPI_KEY not in log and VAPI_SECRET not in log and RETELL_KEY not in log
    client.close()


# ---- a campaign through each runtime ----

def test_vapi_campaign_completes_with_transcripts(start_server, standins):
    vapi = standins(VapiStandIn, ender=lambda req: {
        "reason": "customer-ended-call", "seconds": 42,
        "transcript": "AI: Hello %s\nUser: thanks, bye" %
        req["json"]["assistantOverrides"]["variableValues"]["name"],
        "recording": "https://storage.vapi.example/%s.wav" % req["json"]["name"]})
    srv = start_server(env=ENV)
    client, acct, c = setup_campaign(srv, "vapi", vapi, numbers(2), params={"name": "Zoë", "tier": 3})
    start(acct, c)
    done = campaign_done(acct, c["id"])
    assert done["counters"]["succeeded"] == 2
    assert {k: v for k, v in done["counters"]["dispositions"].items() if v} == {"completed": 2}
    reqs = vapi.calls()
    assert len(reqs) == 2
    by_call = {r["json"]["name"]: r for r in reqs}
    for call in all_calls(acct, c["id"]):
        req = by_call[call["id"]]
        b = req["json"]
        assert b["assistantId"] == "agt_vapi_1" and b["phoneNumberId"] == "pn_1"
        assert b["customer"] == {"number": call["to"]}
        ov = b["assistantOverrides"]
        assert ov["variableValues"] == {"name": "Zoë", "tier": 3}
        assert ov["metadata"] == {"campaignd_call_id": call["id"],
                                  "campaignd_campaign_id": c["id"],
                                  "campaignd_recipient_id": call["recipient_id"]}
        assert ov["server"] == {"url": srv.base + "/v1/providers/rt/webhook"}
        assert req["headers"]["Authorization"] == "Bearer " + VAPI_KEY
        got = acct.get("/v1/calls/" + call["id"]).json()
        assert got["status"] == "completed" and got["answered_by"] == "human"
        assert got["ended_reason"] == "customer-ended-call"
        assert got["transcript"] == "AI: Hello Zoë\nUser: thanks, bye"
        assert got["recording_url"] == "https://storage.vapi.example/%s.wav" % call["id"]
        assert got["duration_seconds"] == 42 and got["answered_at"] and got["ended_at"]
        assert got["provider"] == "rt" and got["provider_call_id"]
    assert all(status == 200 for _, status in vapi.webhooks), vapi.webhooks
    client.close()


def test_retell_campaign_completes_with_transcripts(start_server, standins):
    retell = standins(RetellStandIn, ender=lambda req: {
        "reason": "agent_hangup", "seconds": 17,
        "transcript": "Agent: Hi %s\nUser: ok\n" %
        req["json"]["retell_llm_dynamic_variables"]["name"],
        "recording": "https://r.retell.example/%s.wav" %
        req["json"]["metadata"]["campaignd_call_id"]})
    srv = start_server(env=ENV)
    client, acct, c = setup_campaign(srv, "retell", retell, numbers(2),
                            params={"name": "Ada", "tier": 3, "vip": True})
    start(acct, c)
    done = campaign_done(acct, c["id"])
    assert done["counters"]["succeeded"] == 2
    by_call = {r["json"]["metadata"]["campaignd_call_id"]: r for r in retell.calls()}
    assert len(by_call) == 2
    for call in all_calls(acct, c["id"]):
        b = by_call[call["id"]]["json"]
        assert b["from_number"] == "+14155550100" and b["to_number"] == call["to"]
        assert b["override_agent_id"] == "agt_retell_1"
        assert b["retell_llm_dynamic_variables"] == {"name": "Ada", "tier": "3", "vip": "true"}
        assert b["agent_override"] == {"agent": {
            "webhook_url": srv.base + "/v1/providers/rt/webhook"}}
        got = acct.get("/v1/calls/" + call["id"]).json()
        assert got["status"] == "completed" and got["answered_by"] == "human"
        assert got["ended_reason"] == "agent_hangup" and got["duration_seconds"] == 17
        assert got["transcript"] == "Agent: Hi Ada\nUser: ok\n"
        assert got["recording_url"] == "https://r.retell.example/%s.wav" % call["id"]
    assert all(status == 204 for _, status in retell.webhooks), retell.webhooks
    client.close()


# ---- every ended reason ----

@pytest.mark.parametrize("kind", ["vapi", "retell"])
def test_every_ended_reason(start_server, standins, kind):
    reasons = documented("vapi_ended_reasons.txt" if kind == "vapi"
                         else "retell_disconnection_reasons.txt")
    named = VAPI_NAMED if kind == "vapi" else RETELL_NAMED
    nums = numbers(len(reasons))
    reason_of = dict(zip(nums, reasons))
    to_of = (lambda b: b["customer"]["number"]) if kind == "vapi" else (lambda b: b["to_number"])
    cls = VapiStandIn if kind == "vapi" else RetellStandIn
    rt = standins(cls, end_delay=0.05,
                  ender=lambda req: {"reason": reason_of[to_of(req["json"])], "seconds": 5})
    srv = start_server(env=ENV)
    client, acct, c = setup_campaign(srv, kind, rt, nums, rate=200)
    start(acct, c)
    done = campaign_done(acct, c["id"], timeout=120)
    calls = all_calls(acct, c["id"])
    assert len(calls) == len(reasons)
    want_disp = {}
    for call in calls:
        reason = reason_of[call["to"]]
        status, by, _, disp = OUTCOME[expected(named, reason)]
        assert call["ended_reason"] == reason
        assert (call["status"], call["answered_by"]) == (status, by), (reason, call)
        want_disp[disp] = want_disp.get(disp, 0) + 1
    assert {k: v for k, v in done["counters"]["dispositions"].items() if v} == want_disp
    client.close()


# ---- webhooks: signed, unsigned, forged ----

def live_call(srv, kind, rt):
    """A campaign of one recipient whose call the stand-in accepted and never ends."""
    client, acct, c = setup_campaign(srv, kind, rt, numbers(1))
    start(acct, c)
    [req] = rt.wait_calls(1)
    [call] = all_calls(acct, c["id"])
    wait_for(lambda: acct.get("/v1/calls/" + call["id"]).json()["provider_call_id"], 10 * SLOW,
             "the accepted dial")
    return client, acct, c, acct.get("/v1/calls/" + call["id"]).json(), req


def vapi_report(call, reason="customer-ended-call", with_id=True, transcript="AI: hi"):
    message = {"type": "end-of-call-report", "endedReason": reason,
               "call": {"id": call["provider_call_id"]}, "artifact": {"transcript": transcript},
               "startedAt": "2026-12-06T06:00:00.000Z", "endedAt": "2026-12-06T06:00:30.000Z"}
    if with_id:
        message["call"]["assistantOverrides"] = {"metadata": {"campaignd_call_id": call["id"]}}
    return json.dumps({"message": message}).encode()


def post(srv, body, headers):
    return requests.post(srv.base + "/v1/providers/rt/webhook", data=body,
                         headers=dict({"Content-Type": "application/json"}, **headers),
                         timeout=30)


def test_vapi_webhook_signatures(start_server, standins):
    vapi = standins(VapiStandIn)
    srv = start_server(env=ENV)
    client, acct, c, call, _ = live_call(srv, "vapi", vapi)
    body = vapi_report(call)
    unchanged = acct.get("/v1/calls/" + call["id"]).json()
    for headers in ({},                                                    # unsigned
                    vapi_sign(body, secret="forged"),                      # forged
                    vapi_sign(body, ts=int(time.time()) - 3600),           # stale
                    vapi_sign(body + b" "),                                # body altered
                    {"x-signature": vapi_sign(body)["x-signature"]},       # timestamp stripped
                    {"X-Vapi-Secret": VAPI_SECRET}):                       # another scheme
        r = post(srv, body, headers)
        assert_error(r, 403, "forbidden")
    assert requests.get(srv.base + "/v1/providers/rt/webhook", timeout=10).status_code == 405
    r = post(srv, b'{"message": {"type": "end-of-call-report"}}',
             vapi_sign(b'{"message": {"type": "end-of-call-report"}}'))
    assert_error(r, 422, "invalid_argument", "message.endedReason")
    r = post(srv, b"[1", vapi_sign(b"[1"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    time.sleep(0.3)
    assert acct.get("/v1/calls/" + call["id"]).json() == unchanged
    # other messages are answered and change nothing; progress moves the call forward
    for m in ({"type": "conversation-update"},
              {"type": "status-update", "status": "in-progress",
               "call": {"id": call["provider_call_id"], "assistantOverrides": {
                   "metadata": {"campaignd_call_id": call["id"]}}}}):
        b = json.dumps({"message": m}).encode()
        r = post(srv, b, vapi_sign(b))
        assert r.status_code == 200 and r.json() == {}, r.text
    wait_for(lambda: acct.get("/v1/calls/" + call["id"]).json()["status"] == "in_progress",
             10 * SLOW, "in_progress")
    # a report about a call campaignd never placed: answered, nothing applied
    stranger = json.dumps({"message": {"type": "end-of-call-report", "endedReason": "voicemail",
                                       "call": {"id": "not-ours"}}}).encode()
    assert post(srv, stranger, vapi_sign(stranger)).status_code == 200
    # signed: the end applies, found by the runtime's own id when no metadata came back
    body = vapi_report(call, with_id=False, transcript="AI: hi\nUser: bye")
    r = post(srv, body, vapi_sign(body))
    assert r.status_code == 200, r.text
    done = campaign_done(acct, c["id"])
    got = acct.get("/v1/calls/" + call["id"]).json()
    assert got["status"] == "completed" and got["transcript"] == "AI: hi\nUser: bye"
    assert got["duration_seconds"] == 30
    # repeated and late reports change nothing
    late = vapi_report(call, reason="customer-busy")
    assert post(srv, late, vapi_sign(late)).status_code == 200
    time.sleep(0.3)
    assert acct.get_campaign(c["id"])["counters"] == done["counters"]
    assert acct.get("/v1/calls/" + call["id"]).json()["status"] == "completed"
    client.close()


@pytest.mark.parametrize("mode", ["bearer", "x-vapi-secret"])
def test_vapi_webhook_other_credentials(start_server, standins, mode):
    vapi = standins(VapiStandIn)
    srv = start_server(env=ENV)
    client, acct, c, call, _ = live_call(srv, "vapi", vapi)
    vapi_provider(client, "rt", vapi.base, webhook_auth=mode)
    good = ({"Authorization": "Bearer " + VAPI_SECRET} if mode == "bearer"
            else {"X-Vapi-Secret": VAPI_SECRET})
    bad = ({"Authorization": "Bearer nope"} if mode == "bearer" else {"X-Vapi-Secret": "nope"})
    body = vapi_report(call)
    assert_error(post(srv, body, bad), 403, "forbidden")
    assert_error(post(srv, body, vapi_sign(body)), 403, "forbidden")
    assert post(srv, body, good).status_code == 200
    campaign_done(acct, c["id"])
    client.close()


def test_retell_webhook_signatures(start_server, standins):
    retell = standins(RetellStandIn)
    srv = start_server(env=ENV)
    client, acct, c, call, req = live_call(srv, "retell", retell)
    call_obj = {"call_id": call["provider_call_id"], "call_status": "ended",
                "metadata": {"campaignd_call_id": call["id"]},
                "disconnection_reason": "user_hangup", "transcript": "Agent: hi\n",
                "recording_url": "https://r.example/1.wav",
                "start_timestamp": 1796536800000, "end_timestamp": 1796536809000,
                "duration_ms": 9000}
    body = json.dumps({"event": "call_ended", "call": call_obj}).encode()
    unchanged = acct.get("/v1/calls/" + call["id"]).json()
    now = int(time.time() * 1000)
    for sig in (None, retell_sign(body, key="key_forged"), retell_sign(body, ms=now - 600000),
                retell_sign(body + b"\n"), "v=%d" % now, "garbage"):
        r = post(srv, body, {"x-retell-signature": sig} if sig else {})
        assert_error(r, 403, "forbidden")
    bad = json.dumps({"event": "call_ended", "call": {"call_id": "x"}}).encode()
    assert_error(post(srv, bad, {"x-retell-signature": retell_sign(bad)}), 422,
                 "invalid_argument", "call.disconnection_reason")
    time.sleep(0.3)
    assert acct.get("/v1/calls/" + call["id"]).json() == unchanged
    started = json.dumps({"event": "call_started", "call": {
        "call_id": call["provider_call_id"], "metadata": {"campaignd_call_id": call["id"]}}}
    ).encode()
    assert post(srv, started, {"x-retell-signature": retell_sign(started)}).status_code == 204
    wait_for(lambda: acct.get("/v1/calls/" + call["id"]).json()["status"] == "in_progress",
             10 * SLOW, "in_progress")
    other = b'{"event": "transcript_updated", "call": {}}'
    assert post(srv, other, {"x-retell-signature": retell_sign(other)}).status_code == 204
    r = post(srv, body, {"x-retell-signature": retell_sign(body)})
    assert r.status_code == 204, r.text
    done = campaign_done(acct, c["id"])
    got = acct.get("/v1/calls/" + call["id"]).json()
    assert got["status"] == "completed" and got["transcript"] == "Agent: hi\n"
    assert got["recording_url"] == "https://r.example/1.wav" and got["duration_seconds"] == 9
    # call_analyzed after the end: nothing moves back
    call_obj["call_analysis"] = {"in_voicemail": True}
    later = json.dumps({"event": "call_analyzed", "call": call_obj}).encode()
    assert post(srv, later, {"x-retell-signature": retell_sign(later)}).status_code == 204
    time.sleep(0.3)
    assert acct.get_campaign(c["id"])["counters"] == done["counters"]
    assert acct.get("/v1/calls/" + call["id"]).json()["answered_by"] == "human"
    client.close()


# ---- answers: throttles and refusals ----

@pytest.mark.parametrize("kind,throttle", [
    ("vapi", (429, {"message": "Rate limit exceeded"}, {"Retry-After": "1"})),
    ("vapi", (201, {"id": "x", "subscriptionLimits": {"concurrencyBlocked": True}}, {})),
    ("retell", (429, {"status": "error", "message": "Concurrency limit reached"}, {})),
    ("retell", (402, {"status": "error", "message": "Too many concurrent calls"}, {})),
])
def test_throttle_uses_no_attempt(start_server, standins, kind, throttle):
    cls = VapiStandIn if kind == "vapi" else RetellStandIn
    holder = {}

    def plan(req, n):
        if n == 0:
            return ("answer",) + throttle
        return ("answer", 201, holder["rt"].accepted(req), {})
    rt = standins(cls, plan=plan, ender=lambda req: (
        None if req is holder["rt"].calls()[0] else {"reason": "customer-ended-call"
                                                     if kind == "vapi" else "user_hangup"}))
    holder["rt"] = rt
    srv = start_server(env=ENV)
    client, acct, c = setup_campaign(srv, kind, rt, numbers(1))
    start(acct, c)
    done = campaign_done(acct, c["id"])
    assert done["counters"]["succeeded"] == 1
    assert len(rt.calls()) == 2
    [call] = all_calls(acct, c["id"])
    assert call["attempt"] == 1 and call["status"] == "completed"
    r = acct.get("/v1/campaigns/%s/recipients" % c["id"]).json()["data"]
    assert r[0]["attempts"] == 1
    client.close()


@pytest.mark.parametrize("kind", ["vapi", "retell"])
def test_refusal_fails_the_attempt_with_http_code(start_server, standins, kind):
    cls = VapiStandIn if kind == "vapi" else RetellStandIn
    rt = standins(cls, plan=lambda req, n: ("answer", 400, {"message": ["phoneNumberId not found"]},
                                            {}))
    srv = start_server(env=ENV)
    client, acct, c = setup_campaign(srv, kind, rt, numbers(1))
    start(acct, c)
    done = campaign_done(acct, c["id"])
    assert done["counters"]["failed"] == 1
    [call] = all_calls(acct, c["id"])
    assert call["status"] == "failed" and call["error_code"] == "http_400"
    client.close()


def test_webhook_ends_a_call_whose_answer_never_came(start_server, standins):
    """Retell holds the create-phone-call (its SDKs wait up to 120 s); its
    webhook, which names our call in the metadata, ends the call before any
    answer; the connection then drops (fate unknown) and nothing is sent
    again nor moved back."""
    retell = standins(RetellStandIn, plan=lambda req, n: ("hold",))
    srv = start_server(env=ENV)
    client, acct, c = setup_campaign(srv, "retell", retell, numbers(1))
    start(acct, c)
    [req] = retell.wait_calls(1)
    [call] = all_calls(acct, c["id"])
    assert call["provider_call_id"] is None
    call_obj = {"call_id": "rc_slow", "call_status": "ended",
                "metadata": req["json"]["metadata"], "disconnection_reason": "user_hangup",
                "transcript": "Agent: sorry for the wait\n"}
    body = json.dumps({"event": "call_ended", "call": call_obj}).encode()
    assert post(srv, body, {"x-retell-signature": retell_sign(body)}).status_code == 204
    done = campaign_done(acct, c["id"])
    assert done["counters"]["succeeded"] == 1
    got = acct.get("/v1/calls/" + call["id"]).json()
    assert got["status"] == "completed" and got["transcript"] == "Agent: sorry for the wait\n"
    retell.release.set()  # the held request's connection now closes unanswered
    time.sleep(1.0)
    assert acct.get("/v1/calls/" + call["id"]).json()["status"] == "completed"
    assert acct.get_campaign(c["id"])["counters"] == done["counters"]
    assert len(retell.calls()) == 1
    client.close()
