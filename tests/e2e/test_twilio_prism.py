"""The twilio provider against Twilio's published contract: Prism mocks
Twilio's own OpenAPI description (tests/twilio/, MIT, see its README) and
stands in for api.twilio.com. A voice and an sms campaign run from start to
`completed` through it (Prism validates each Calls.json / Messages.json
request -- path, Basic auth, form fields -- and answers its canned example
with a sid; the test then plays Twilio's status callbacks, signed by the
official twilio package), and a request off the contract is refused, both
sent directly and through campaignd (an attempt Prism refuses fails).

When Prism is not installed the tests skip, except under CI (env CI set)
or with CAMPAIGND_REQUIRE_PRISM=1, where they fail."""
import json
import os
import subprocess
import time

import pytest
import requests

from conftest import REPO, free_port
from helpers import SLOW, sms_body, voice_body
from twilio_standin import (ACCOUNT_SID, AUTH_TOKEN, callback, carrier, twilio_provider,
                            wait_for)

SPEC = REPO / "tests" / "twilio" / "twilio_api_v2010.json"
PRISM_DIR = REPO / "tests" / "openapi"
PRISM = PRISM_DIR / "node_modules" / ".bin" / "prism"
REQUIRED = bool(os.environ.get("CI")) or os.environ.get("CAMPAIGND_REQUIRE_PRISM") == "1"
ENV = {"CAMPAIGND_PROVIDER_ALLOW_PRIVATE": "1"}
CANNED_CALL_SID = "CA" + "a" * 32  # the description's example answers
CANNED_MESSAGE_SID = "SM" + "a" * 32


def lenient_arrays(doc):
    """Each array form field of a request body also takes one plain value
    (Twilio's repeated fields; see tests/twilio/README.md)."""
    for item in doc["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "requestBody" not in op:
                continue
            for content in op["requestBody"]["content"].values():
                props = content.get("schema", {}).get("properties", {})
                for name, schema in props.items():
                    if schema.get("type") == "array":
                        props[name] = {"anyOf": [schema, schema["items"]]}
    return doc


@pytest.fixture(scope="module")
def prism(tmp_path_factory):
    if not PRISM.exists():
        msg = "Prism is not installed at %s: run ./scripts/deps.sh" % PRISM
        if REQUIRED:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    wd = tmp_path_factory.mktemp("prism-twilio")
    spec = wd / "twilio.json"
    with open(SPEC, encoding="utf-8") as f:
        spec.write_text(json.dumps(lenient_arrays(json.load(f))))
    port = free_port()
    log_path = wd / "prism.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([str(PRISM), "mock", str(spec), "--errors", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=str(PRISM_DIR), stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log)
    log.close()
    base = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 120 * SLOW
    while "Prism is listening" not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("prism did not start:\n" + log_path.read_text(errors="replace")[-4000:])
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_campaign(acct, body, numbers):
    c = acct.create_campaign(body=body)
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": n, "params": {"name": "Zoë"}}
                                       for n in numbers]})
    assert r.status_code == 200 and r.json()["accepted"] == len(numbers), r.text
    assert acct.post("/v1/campaigns/%s/start" % c["id"]).status_code == 200
    return c


def nonzero(c):
    return {k: v for k, v in c["counters"]["dispositions"].items() if v}


def completed(acct, cid, dispositions):
    """The campaign once completed with these dispositions (a report can
    still be on its way when the campaign completes: sms succeed at sent)."""
    return wait_for(lambda: (lambda c: c if c["status"] == "completed" and
                             nonzero(c) == dispositions else None)(acct.get_campaign(cid)),
                    20 * SLOW, "the campaign to complete with %s" % dispositions)


def test_voice_and_sms_campaigns_complete_through_twilios_contract(prism, start_server):
    srv = start_server(env=ENV)
    client = srv.client()
    twilio_provider(client, "tw", prism, machine_detection=True)
    carrier(client, "tw-voice", "tw", "voice", ["+1212"])
    carrier(client, "tw-sms", "tw", "sms", ["+1212"])
    acct = client.create_account()

    voice = start_campaign(acct, voice_body(), ["+12125550101", "+12125550102"])
    calls = wait_for(lambda: (lambda xs: xs if len(xs) == 2 and all(
        x["provider_call_id"] for x in xs) else None)(
        acct.get("/v1/calls", params={"campaign_id": voice["id"]}).json()["data"]),
        20 * SLOW, "both dials accepted by Prism")
    for call in calls:
        assert call["provider_call_id"] == CANNED_CALL_SID
        for status in ("initiated", "ringing", "in-progress", "completed"):
            params = {"CallSid": CANNED_CALL_SID, "AccountSid": ACCOUNT_SID,
                      "CallStatus": status, "AnsweredBy": "human"}
            if status == "completed":
                params["CallDuration"] = "17"
            r = callback(srv, "tw", "calls", call["id"], params)
            assert r.status_code == 204, r.text
    completed(acct, voice["id"], {"completed": 2})
    for call in calls:
        got = acct.get("/v1/calls/" + call["id"]).json()
        assert got["status"] == "completed" and got["duration_seconds"] == 17
        assert got["answered_by"] == "human" and got["answered_at"] is not None

    sms = start_campaign(acct, sms_body(), ["+12125550103"])
    [msg] = wait_for(lambda: (lambda xs: xs if xs and xs[0]["status"] == "sent" else None)(
        acct.get("/v1/messages", params={"campaign_id": sms["id"]}).json()["data"]),
        20 * SLOW, "the message accepted by Prism")
    assert msg["provider_message_id"] == CANNED_MESSAGE_SID
    r = callback(srv, "tw", "messages", msg["id"],
                 {"MessageSid": CANNED_MESSAGE_SID, "MessageStatus": "delivered"})
    assert r.status_code == 204, r.text
    completed(acct, sms["id"], {"delivered": 1})
    client.close()


def test_prism_refuses_requests_off_the_contract(prism, start_server):
    url = "%s/2010-04-01/Accounts/%s/Calls.json" % (prism, ACCOUNT_SID)
    form = {"To": "+12125550101", "From": "+14155550100", "Url": "https://agent.example/t"}
    auth = (ACCOUNT_SID, AUTH_TOKEN)
    assert requests.post(url, data=form, auth=auth, timeout=30).status_code == 201
    missing = dict(form)
    del missing["To"]
    r = requests.post(url, data=missing, auth=auth, timeout=30)
    assert r.status_code == 422 and "To" in r.text, r.text
    assert requests.post(url, data=form, timeout=30).status_code == 401  # no Basic auth

    # through campaignd: an account sid off Twilio's pattern is refused by
    # Prism, and the attempt fails (hard) with the HTTP status as its code
    srv = start_server(env=ENV)
    client = srv.client()
    r = client.admin("PUT", "/v1/admin/providers/tw", json={
        "type": "twilio", "account_sid": "ACnot-a-sid", "auth_token": AUTH_TOKEN,
        "base_url": prism, "voice_url": "https://agent.example/twiml"})
    assert r.status_code == 200, r.text
    carrier(client, "tw-voice", "tw", "voice", ["+1212"])
    acct = client.create_account()
    c = start_campaign(acct, voice_body(), ["+12125550109"])
    completed(acct, c["id"], {"failed": 1})
    [call] = acct.get("/v1/calls", params={"campaign_id": c["id"]}).json()["data"]
    assert call["status"] == "failed" and call["error_code"] == "http_422"
    client.close()
