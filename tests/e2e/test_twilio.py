"""The twilio provider against a small stand-in of Twilio (twilio_standin.py)
where Prism cannot play the part (test_twilio_prism.py runs Twilio's own
published contract): the exact Calls.json / Messages.json requests
(form fields, Basic auth, callback URLs, voice_url filled in), fates (429
with Retry-After: no attempt used and the lane waits; 400 with Twilio's
error body: the attempt fails with the code; a connection dropped after the
request, or campaignd killed -9 while it waits: unknown, never sent again),
signed status callbacks (the official twilio package signs them: valid,
wrong token, missing, a query string, non-ASCII values, repeated and out of
order, an unknown call), answering-machine detection (voicemail, retried
when retry_on names it), the settings' validation, and auth_token never
shown."""
import base64
import re
import signal
import time
import urllib.parse

import pytest
import requests

from helpers import SLOW, add_recipients, assert_error, sms_body, start_campaign, voice_body
from twilio_standin import (ACCOUNT_SID, AUTH_TOKEN, StandIn, callback, carrier, sign,
                            twilio_provider, wait_for)

ENV = {"CAMPAIGND_PROVIDER_ALLOW_PRIVATE": "1", "CAMPAIGND_LEASE_MS": "2000"}
CALLS = "Calls.json"
MESSAGES = "Messages.json"


def sid_plan(prefix="CA"):
    counter = {"n": 0}

    def plan(req, n):
        counter["n"] += 1
        kind = "SM" if req["path"].endswith(MESSAGES) else prefix
        return ("answer", 201, {"sid": "%s%032x" % (kind, counter["n"]), "status": "queued"}, {})
    return plan


@pytest.fixture
def standins():
    made = []

    def make(plan=None):
        s = StandIn(plan or sid_plan())
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


def voice_setup(srv, standin, numbers, retry_policy=None, **provider_extra):
    client = srv.client()
    twilio_provider(client, "tw", standin.base, **provider_extra)
    carrier(client, "tw-voice", "tw", "voice", ["+1212"])
    acct = client.create_account()
    c = acct.create_campaign(body=voice_body(retry_policy=retry_policy))
    add_recipients(acct, c["id"], numbers)
    return client, acct, c


def start(acct, c):
    start_campaign(acct, c["id"])


def calls_of(acct, cid):
    r = acct.get("/v1/calls", params={"campaign_id": cid})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def campaign_done(acct, cid, dispositions=None, timeout=20):
    """The campaign once completed (with these non-zero dispositions, when
    given: a report may still be on its way when it completes)."""
    return wait_for(lambda: (lambda c: c if c["status"] == "completed" and (
        dispositions is None or disp(c) == dispositions) else None)(
        acct.get_campaign(cid)), timeout * SLOW, "the campaign to complete")


def disp(c):
    """The campaign's non-zero dispositions."""
    return {k: v for k, v in c["counters"]["dispositions"].items() if v}


def fields(req):
    """The form as a dict of lists (a repeated name keeps every value)."""
    out = {}
    for k, v in req["form"]:
        out.setdefault(k, []).append(v)
    return out


def test_settings_validation_and_secrets(start_server):
    srv = start_server()  # private provider addresses not allowed
    client = srv.client()
    body = {"type": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    r = client.admin("PUT", "/v1/admin/providers/tw",
                     json=dict(body, base_url="http://127.0.0.1:4010"))
    assert_error(r, 422, "invalid_argument", "base_url")
    assert "CAMPAIGND_PROVIDER_ALLOW_PRIVATE" in r.json()["error"]["message"]
    assert_error(client.admin("PUT", "/v1/admin/providers/tw", json=dict(body, voice_url="x")),
                 422, "invalid_argument", "voice_url")
    assert_error(client.admin("PUT", "/v1/admin/providers/tw",
                              json=dict(body, voice_url="https://a/{nope}")),
                 422, "invalid_argument", "voice_url")
    assert_error(client.admin("PUT", "/v1/admin/providers/tw", json={"type": "twilio",
                                                                    "account_sid": ACCOUNT_SID}),
                 422, "invalid_argument", "auth_token")
    assert_error(client.admin("GET", "/v1/admin/providers/tw"), 404, "not_found")

    r = client.admin("PUT", "/v1/admin/providers/tw", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "tw", "type": "twilio", "account_sid": ACCOUNT_SID,
                        "base_url": "https://api.twilio.com", "machine_detection": False,
                        "secrets_set": ["auth_token"], "builtin": False}
    # without voice_url it carries sms only
    r = client.admin("PUT", "/v1/admin/carriers/v", json={
        "channel": "voice", "prefixes": ["+1212"], "rate_per_second": 1, "max_concurrent": 1,
        "provider": "tw"})
    assert_error(r, 422, "invalid_argument", "provider")
    assert "voice_url" in r.json()["error"]["message"]
    assert client.admin("PUT", "/v1/admin/carriers/s", json={
        "channel": "sms", "prefixes": ["+1212"], "rate_per_second": 1, "max_concurrent": 1,
        "provider": "tw"}).status_code == 200
    r = client.admin("PUT", "/v1/admin/providers/tw",
                     json=dict(body, voice_url="https://agent.example/twiml"))
    assert r.status_code == 200 and r.json()["voice_url"] == "https://agent.example/twiml"
    assert client.admin("PUT", "/v1/admin/carriers/v", json={
        "channel": "voice", "prefixes": ["+1212"], "rate_per_second": 1, "max_concurrent": 1,
        "provider": "tw"}).status_code == 200
    # taking voice_url away while a voice carrier uses it
    assert_error(client.admin("PUT", "/v1/admin/providers/tw", json=body), 409,
                 "provider_in_use", None)
    listed = client.admin("GET", "/v1/admin/providers").json()["data"]
    assert AUTH_TOKEN not in repr(listed)
    time.sleep(0.3)
    assert AUTH_TOKEN not in srv.log()
    client.close()


def test_voice_campaign_requests_and_callbacks(start_server, standins):
    twilio = standins()
    srv = start_server(env=ENV)
    client, acct, c = voice_setup(srv, twilio, ["+12125550101"])
    start(acct, c)
    [req] = twilio.wait(CALLS, 1)
    assert req["path"] == "/2010-04-01/Accounts/%s/Calls.json" % ACCOUNT_SID
    assert req["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert req["headers"]["Authorization"] == "Basic " + base64.b64encode(
        ("%s:%s" % (ACCOUNT_SID, AUTH_TOKEN)).encode()).decode()
    f = fields(req)
    [call] = calls_of(acct, c["id"])
    assert f["To"] == ["+12125550101"] and f["From"] == ["+14155550100"]
    assert f["StatusCallback"] == ["%s/v1/providers/tw/calls/%s" % (srv.base, call["id"])]
    assert f["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert f["StatusCallbackMethod"] == ["POST"]
    assert "MachineDetection" not in f
    url = urllib.parse.urlsplit(f["Url"][0])
    assert url.scheme == "https" and url.netloc == "agent.example" and url.path == "/twiml"
    assert urllib.parse.parse_qs(url.query) == {
        "agent": ["agt_123"], "call": [call["id"]], "rcp": [call["recipient_id"]],
        "cmp": [c["id"]]}
    # the raw form: one field per event, as Twilio's own libraries send it
    assert "StatusCallbackEvent=initiated&StatusCallbackEvent=ringing" in req["raw"]

    sid = "CA%032x" % 1
    got = wait_for(lambda: (lambda x: x if x["provider_call_id"] else None)(
        acct.get("/v1/calls/" + call["id"]).json()), 10 * SLOW, "the accepted dial")
    assert got["provider_call_id"] == sid and got["provider"] == "tw"

    def cb(params):
        r = callback(srv, "tw", "calls", call["id"], dict(params, CallSid=sid,
                                                         AccountSid=ACCOUNT_SID))
        assert r.status_code == 204, r.text

    cb({"CallStatus": "initiated"})  # moves nothing
    cb({"CallStatus": "ringing"})
    wait_for(lambda: acct.get("/v1/calls/" + call["id"]).json()["status"] == "ringing",
             10 * SLOW, "ringing")
    cb({"CallStatus": "in-progress", "AnsweredBy": "human"})
    got = wait_for(lambda: (lambda x: x if x["status"] == "in_progress" else None)(
        acct.get("/v1/calls/" + call["id"]).json()), 10 * SLOW, "in_progress")
    assert got["answered_at"] is not None and got["ended_at"] is None
    cb({"CallStatus": "ringing"})  # late and out of order: changes nothing
    cb({"CallStatus": "completed", "CallDuration": "42", "AnsweredBy": "human"})
    done = campaign_done(acct, c["id"])
    assert done["counters"]["succeeded"] == 1 and disp(done) == {"completed": 1}
    got = acct.get("/v1/calls/" + call["id"]).json()
    assert got["status"] == "completed" and got["duration_seconds"] == 42
    assert got["answered_by"] == "human" and got["ended_reason"] == "completed"
    # repeated and late callbacks change nothing
    cb({"CallStatus": "completed", "CallDuration": "42"})
    cb({"CallStatus": "busy"})
    cb({"CallStatus": "in-progress"})
    time.sleep(0.5)
    assert acct.get("/v1/calls/" + call["id"]).json() == got
    assert acct.get_campaign(c["id"])["counters"] == done["counters"]
    assert len(twilio.of_kind(CALLS)) == 1
    client.close()


def test_callback_signatures(start_server, standins):
    twilio = standins()
    srv = start_server(env=ENV)
    client, acct, c = voice_setup(srv, twilio, ["+12125550102"])
    start(acct, c)
    twilio.wait(CALLS, 1)
    [call] = wait_for(lambda: calls_of(acct, c["id"]), 10 * SLOW, "the call")
    before = acct.get("/v1/calls/" + call["id"]).json()
    done = {"CallStatus": "completed", "CallDuration": "3"}
    # unsigned, wrong token, a signature of other fields, of another URL
    for kw in ({"signature": None}, {"token": "not-the-token"},
               {"signature": sign(srv.base + "/v1/providers/tw/calls/" + call["id"],
                                  {"CallStatus": "busy"})},
               {"url_base": "http://campaignd.example"}, {"signature": "x" * 28}):
        r = callback(srv, "tw", "calls", call["id"], done, **kw)
        assert_error(r, 403, "forbidden", None)
    # forged callbacks learn nothing of attempts: 403 before the lookup
    assert_error(callback(srv, "tw", "calls", "call_nosuch", done, signature=None), 403,
                 "forbidden", None)
    # signed, but no such call / a call is no message / another provider
    assert_error(callback(srv, "tw", "calls", "call_nosuch", done), 404, "not_found", None,
                 check_field=False)
    assert_error(callback(srv, "tw", "messages", call["id"], {"MessageStatus": "sent"}), 404,
                 "not_found", None, check_field=False)
    assert_error(callback(srv, "nosuch", "calls", call["id"], done), 404, "not_found", None,
                 check_field=False)
    # a malformed but signed callback: 422, nothing changes
    assert_error(callback(srv, "tw", "calls", call["id"], {"CallStatus": "exploded"}), 422,
                 "invalid_argument", "CallStatus")
    time.sleep(0.5)
    assert acct.get("/v1/calls/" + call["id"]).json() == before
    assert acct.get_campaign(c["id"])["counters"]["dispatched"] == 1
    # a query string on the URL (signed with it) and non-ASCII values
    r = callback(srv, "tw", "calls", call["id"],
                 {"CallStatus": "ringing", "CallerName": "Zoë Ångström ✓",
                  "Note": "a&b=c+d %"}, query="tenant=acme&x=%C3%A9")
    assert r.status_code == 204, r.text
    # the same without the query in what was signed: refused
    path = "/v1/providers/tw/calls/%s?tenant=acme" % call["id"]
    r = requests.post(
        srv.base + path, data="CallStatus=completed",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": sign(srv.base + path.split("?")[0],
                                            {"CallStatus": "completed"})})
    assert_error(r, 403, "forbidden", None)
    # a form is required
    r = requests.post(srv.base + "/v1/providers/tw/calls/" + call["id"],
                                    json={"CallStatus": "completed"},
                                    headers={"X-Twilio-Signature": "x"})
    assert_error(r, 415, "unsupported_media_type", None)
    wait_for(lambda: acct.get("/v1/calls/" + call["id"]).json()["status"] == "ringing",
             10 * SLOW, "ringing")
    assert callback(srv, "tw", "calls", call["id"], done).status_code == 204
    campaign_done(acct, c["id"])
    client.close()


def test_machine_detection_voicemail_retried(start_server, standins):
    twilio = standins()
    srv = start_server(env=ENV)
    client, acct, c = voice_setup(
        srv, twilio, ["+12125550103"], machine_detection=True,
        retry_policy={"max_attempts": 2, "delay_seconds": 0, "retry_on": ["voicemail"]})
    start(acct, c)
    [req] = twilio.wait(CALLS, 1)
    assert fields(req)["MachineDetection"] == ["Enable"]
    [call] = wait_for(lambda: calls_of(acct, c["id"]), 10 * SLOW, "the call")
    r = callback(srv, "tw", "calls", call["id"], {"CallStatus": "completed",
                                                  "AnsweredBy": "machine_end_beep",
                                                  "CallDuration": "9"})
    assert r.status_code == 204, r.text
    second = twilio.wait(CALLS, 2)[1]
    calls = wait_for(lambda: (lambda xs: xs if len(xs) == 2 else None)(calls_of(acct, c["id"])),
                     10 * SLOW, "the retry")
    first = [x for x in calls if x["id"] == call["id"]][0]
    assert first["answered_by"] == "machine" and first["status"] == "completed"
    retry = [x for x in calls if x["id"] != call["id"]][0]
    assert retry["attempt"] == 2 and fields(second)["StatusCallback"][0].endswith(retry["id"])
    rec = acct.get("/v1/campaigns/%s/recipients/%s" % (c["id"], call["recipient_id"])).json()
    assert rec["disposition"] == "voicemail" and rec["attempts"] == 2
    assert callback(srv, "tw", "calls", retry["id"], {"CallStatus": "completed",
                                                      "AnsweredBy": "human"}).status_code == 204
    done = campaign_done(acct, c["id"])
    assert disp(done) == {"completed": 1}
    client.close()


def test_sms_campaign_and_messaging_service(start_server, standins):
    twilio = standins()
    srv = start_server(env=ENV)
    client = srv.client()
    twilio_provider(client, "tw", twilio.base, voice_url=None)
    carrier(client, "tw-sms", "tw", "sms", ["+1212"])
    acct = client.create_account()
    ids = []
    for sender in ("+14155550199", "MG" + "a" * 32):
        c = acct.create_campaign(body=sms_body(config={"from": sender, "body": "Olá {{name}} ✓"}))
        r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                      json={"recipients": [{"phone_number": "+12125550110",
                                            "params": {"name": "Zoë"}},
                                           {"phone_number": "+12125550111",
                                            "params": {"name": "Bo"}}]})
        assert r.status_code == 200, r.text
        start(acct, c)
        ids.append(c["id"])
    reqs = twilio.wait(MESSAGES, 4)
    for req in reqs:
        f = fields(req)
        assert req["path"] == "/2010-04-01/Accounts/%s/Messages.json" % ACCOUNT_SID
        assert f["Body"][0] in ("Olá Zoë ✓", "Olá Bo ✓")
        assert f["StatusCallback"][0].startswith(srv.base + "/v1/providers/tw/messages/msg_")
        assert ("From" in f) != ("MessagingServiceSid" in f)
        if "MessagingServiceSid" in f:
            assert f["MessagingServiceSid"] == ["MG" + "a" * 32]
        else:
            assert f["From"] == ["+14155550199"]
    for cid in ids:
        msgs = wait_for(lambda: (lambda xs: xs if len(xs) == 2 and all(
            m["status"] == "sent" for m in xs) else None)(
            acct.get("/v1/messages", params={"campaign_id": cid}).json()["data"]),
            10 * SLOW, "sent messages")
        ok, bad = sorted(msgs, key=lambda m: m["to"])
        assert ok["provider_message_id"].startswith("SM")
        assert callback(srv, "tw", "messages", ok["id"],
                        {"MessageStatus": "delivered",
                         "MessageSid": ok["provider_message_id"]}).status_code == 204
        assert callback(srv, "tw", "messages", ok["id"],
                        {"MessageStatus": "sent"}).status_code == 204  # late: nothing
        assert callback(srv, "tw", "messages", bad["id"],
                        {"MessageStatus": "undelivered", "ErrorCode": "30003"}).status_code == 204
        campaign_done(acct, cid, {"delivered": 1, "undelivered": 1})
        assert acct.get("/v1/messages/" + ok["id"]).json()["status"] == "delivered"
        got = acct.get("/v1/messages/" + bad["id"]).json()
        assert got["status"] == "undelivered" and got["error_code"] == "30003"
    client.close()


def test_throttle_waits_and_uses_no_attempt(start_server, standins):
    def plan(req, n):
        if n == 0:
            return ("answer", 429, {"code": 20429, "message": "Too Many Requests",
                                    "status": 429}, {"Retry-After": "2"})
        return ("answer", 201, {"sid": "CA%032x" % n}, {})
    twilio = standins(plan)
    srv = start_server(env=ENV)
    client, acct, c = voice_setup(srv, twilio, ["+12125550120"],
                                  retry_policy={"max_attempts": 1})
    start(acct, c)
    first, second = twilio.wait(CALLS, 2, timeout=20 * SLOW)
    assert second["at"] - first["at"] >= 1.8, "the lane did not wait Retry-After"
    assert fields(first)["To"] == fields(second)["To"]
    [call] = wait_for(lambda: (lambda xs: xs if xs and xs[0]["provider_call_id"] else None)(
        calls_of(acct, c["id"])), 10 * SLOW, "the accepted call")
    assert call["attempt"] == 1 and call["provider_call_id"] == "CA%032x" % 1
    rec = acct.get("/v1/campaigns/%s/recipients/%s" % (c["id"], call["recipient_id"])).json()
    assert rec["attempts"] == 1 and rec["status"] == "dispatched"
    assert callback(srv, "tw", "calls", call["id"],
                    {"CallStatus": "completed"}).status_code == 204
    assert campaign_done(acct, c["id"])["counters"]["succeeded"] == 1
    client.close()


def test_a_throttled_batch_pauses_its_lane_once(start_server, standins):
    """Calls sent in one wave (burst 10) all refused 429 with Retry-After: 1
    pause the lane for about a second, not a second per refused call."""
    first = []

    def plan(req, n):
        first.append(req["at"]) if not first else None
        if req["at"] - first[0] < 0.5:  # the first wave
            return ("answer", 429, {"code": 20429, "message": "Too Many Requests",
                                    "status": 429}, {"Retry-After": "1"})
        return ("answer", 201, {"sid": "CA%032x" % n}, {})
    twilio = standins(plan)
    srv = start_server(env=ENV)
    client = srv.client()
    twilio_provider(client, "tw", twilio.base)
    r = client.admin("PUT", "/v1/admin/carriers/tw-voice", json={
        "channel": "voice", "prefixes": ["+1212"], "rate_per_second": 1000, "burst": 10,
        "max_concurrent": 100, "provider": "tw"})
    assert r.status_code == 200, r.text
    acct = client.create_account()
    c = acct.create_campaign(body=voice_body(retry_policy={"max_attempts": 1}))
    add_recipients(acct, c["id"], ["+1212555%04d" % (150 + i) for i in range(10)])
    start(acct, c)
    wait_for(lambda: len([x for x in twilio.of_kind(CALLS) if x["at"] - first[0] >= 0.5]) >= 10,
             30 * SLOW, "every call accepted")
    got = twilio.of_kind(CALLS)
    refused = [x for x in got if x["at"] - first[0] < 0.5]
    again = [x for x in got if x["at"] - first[0] >= 0.5]
    assert len(refused) >= 5, [round(x["at"] - first[0], 3) for x in got]  # one wave
    gap = again[0]["at"] - refused[-1]["at"]
    assert gap >= 0.8, gap  # Retry-After held
    span = again[-1]["at"] - refused[-1]["at"]
    assert span < 2.5 * SLOW, span  # one pause, not a second per refused call
    assert len(again) == 10 and {dict(x["form"])["To"] for x in refused} <= {
        dict(x["form"])["To"] for x in again}
    client.close()


def test_refused_request_fails_with_twilio_code(start_server, standins):
    def plan(req, n):
        return ("answer", 400, {"code": 21211, "message": "The 'To' number is not a valid "
                                "phone number.", "more_info":
                                "https://www.twilio.com/docs/errors/21211", "status": 400}, {})
    twilio = standins(plan)
    srv = start_server(env=ENV)
    client, acct, c = voice_setup(srv, twilio, ["+12125550130"],
                                  retry_policy={"max_attempts": 3, "delay_seconds": 0})
    start(acct, c)
    done = campaign_done(acct, c["id"])
    assert done["counters"]["failed"] == 1 and disp(done) == {"failed": 1}
    [call] = calls_of(acct, c["id"])
    assert call["status"] == "failed" and call["error_code"] == "21211"
    assert len(twilio.of_kind(CALLS)) == 1  # a hard failure is not retried
    client.close()


def test_dropped_connection_is_unknown_never_sent_again(start_server, standins):
    twilio = standins(lambda req, n: ("drop",))
    srv = start_server(env=ENV)
    client, acct, c = voice_setup(srv, twilio, ["+12125550140"])
    start(acct, c)
    twilio.wait(CALLS, 1)
    time.sleep(3 * SLOW)  # past a lease (2 s) and the throttle backoff (1 s)
    assert len(twilio.of_kind(CALLS)) == 1
    [call] = calls_of(acct, c["id"])
    assert call["provider_call_id"] is None
    assert acct.get_campaign(c["id"])["counters"]["dispatched"] == 1
    assert re.search(r"%s may have arrived" % call["id"], srv.log())
    # Twilio did have it: its callbacks still end it
    assert callback(srv, "tw", "calls", call["id"],
                    {"CallStatus": "completed", "CallSid": "CA" + "7" * 32}).status_code == 204
    done = campaign_done(acct, c["id"])
    assert done["counters"]["succeeded"] == 1
    assert acct.get("/v1/calls/" + call["id"]).json()["provider_call_id"] == "CA" + "7" * 32
    client.close()


def test_kill_9_while_waiting_for_twilio_never_dials_again(start_server, standins):
    twilio = standins(lambda req, n: ("hold",))
    srv = start_server(env=ENV)
    client, acct, c = voice_setup(srv, twilio, ["+12125550150"])
    start(acct, c)
    twilio.wait(CALLS, 1)
    [call] = calls_of(acct, c["id"])
    srv.stop(sig=signal.SIGKILL, check=False)
    srv.start()  # same database, a new node id: takes the attempt over after its lease
    acct.client = srv.client()  # on its new port
    time.sleep(4 * SLOW)
    assert len(twilio.of_kind(CALLS)) == 1, "the dial was sent again after kill -9"
    assert "of unknown fate" in srv.log()
    assert acct.get_campaign(c["id"])["counters"]["dispatched"] == 1
    assert callback(srv, "tw", "calls", call["id"],
                    {"CallStatus": "no-answer"}).status_code == 204
    done = campaign_done(acct, c["id"])
    assert disp(done) == {"no_answer": 1}
    client.close()


def test_unknown_fate_without_report_fails_as_unknown(start_server, standins):
    """A dial whose answer never came, and no callback after it either:
    after CAMPAIGND_UNKNOWN_SUBMIT_SECONDS it fails as unknown, never sent
    again; a callback arriving after that changes nothing."""
    twilio = standins(lambda req, n: ("drop",))
    srv = start_server(env=dict(ENV, CAMPAIGND_UNKNOWN_SUBMIT_SECONDS="1"))
    client, acct, c = voice_setup(srv, twilio, ["+12125550160"],
                                  retry_policy={"max_attempts": 3, "delay_seconds": 0})
    start(acct, c)
    twilio.wait(CALLS, 1)
    done = campaign_done(acct, c["id"], timeout=30)
    assert disp(done) == {"unknown": 1}, done["counters"]
    k = done["counters"]
    assert k["failed"] == 1 and k["total"] == k["queued"] + k["dispatched"] + k["succeeded"] + \
        k["failed"]
    [call] = calls_of(acct, c["id"])
    assert call["status"] == "failed" and call["ended_at"] is not None
    rec = acct.get("/v1/campaigns/%s/recipients/%s" % (c["id"], call["recipient_id"])).json()
    assert rec["status"] == "failed" and rec["disposition"] == "unknown"
    assert len(twilio.of_kind(CALLS)) == 1  # never sent again, never retried
    assert "failed as unknown" in srv.log()
    # Twilio's late callback is kept as a report but changes nothing
    assert callback(srv, "tw", "calls", call["id"],
                    {"CallStatus": "completed"}).status_code == 204
    time.sleep(0.5)
    assert acct.get_campaign(c["id"])["counters"] == done["counters"]
    client.close()
