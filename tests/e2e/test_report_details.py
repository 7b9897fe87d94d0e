"""What providers report beyond a status, through the callback path
(POST /v1/providers/{name}/calls/{id} and /messages/{id}, sim type):
progress (ringing, in_progress) moves an open call forward only and keeps
the attempt in flight; a call that completed with a machine on the line is
voicemail, retried only when retry_on names it; the provider's
ended_reason, error_code, answered_by and duration are kept and answered
on the call (a message's error_code: test_providers.py)."""
import time

from helpers import wait_for


def _calls(acct, cid):
    r = acct.get("/v1/calls", params={"campaign_id": cid})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _held_campaign(client, acct, number, retry_policy):
    """A voice campaign of one recipient carried by a sim provider whose
    own calls last a minute, so only the test's reports end them."""
    pname = "sim-hold"
    r = client.admin("PUT", "/v1/admin/providers/" + pname, json={"type": "sim", "call_ms": 60000})
    assert r.status_code == 200, r.text
    r = client.admin("PUT", "/v1/admin/carriers/hold", json={
        "channel": "voice", "prefixes": ["+1212"], "rate_per_second": 50, "max_concurrent": 10,
        "provider": pname})
    assert r.status_code == 200, r.text
    c = acct.create_campaign(retry_policy=retry_policy)
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": number}]})
    assert r.status_code == 200, r.text
    assert acct.post("/v1/campaigns/%s/start" % c["id"]).status_code == 200
    return c, pname


def test_progress_then_voicemail_retried_when_named(start_server):
    srv = start_server()
    client = srv.client()
    acct = client.create_account()
    c, pname = _held_campaign(client, acct, "+12125550101",
                              {"max_attempts": 2, "delay_seconds": 0,
                               "retry_on": ["no_answer", "voicemail"]})
    [call] = wait_for(lambda: _calls(acct, c["id"]), 20, "the dial")
    path = "/v1/providers/%s/calls/%s" % (pname, call["id"])

    def report(body):
        r = client.admin("POST", path, json=body)
        assert r.status_code == 204, r.text

    report({"status": "in_progress", "answered_by": "machine"})
    got = wait_for(lambda: (lambda x: x if x["status"] == "in_progress" else None)(
        acct.get("/v1/calls/" + call["id"]).json()), 20, "in_progress")
    assert got["answered_at"] is not None and got["ended_at"] is None
    assert got["answered_by"] == "machine"
    report({"status": "ringing"})  # late: backwards, changes nothing
    time.sleep(0.3)
    assert acct.get("/v1/calls/" + call["id"]).json()["status"] == "in_progress"
    rec = acct.get("/v1/campaigns/%s/recipients/%s" % (c["id"], call["recipient_id"])).json()
    assert rec["status"] == "dispatched"  # still in flight

    report({"status": "completed", "answered_by": "machine", "ended_reason": "completed",
            "duration_seconds": 21.5})
    ended = wait_for(lambda: (lambda x: x if x["ended_at"] else None)(
        acct.get("/v1/calls/" + call["id"]).json()), 20, "the end")
    assert ended["status"] == "completed" and ended["answered_by"] == "machine"
    assert ended["ended_reason"] == "completed" and ended["duration_seconds"] == 21.5
    # voicemail is in retry_on: a second attempt is dialled
    calls = wait_for(lambda: (lambda xs: xs if len(xs) == 2 else None)(_calls(acct, c["id"])),
                  20, "the retry")
    second = [x for x in calls if x["id"] != call["id"]][0]
    assert second["attempt"] == 2
    rec = acct.get("/v1/campaigns/%s/recipients/%s" % (c["id"], call["recipient_id"])).json()
    assert rec["disposition"] == "voicemail" and rec["attempts"] == 2
    r = client.admin("POST", "/v1/providers/%s/calls/%s" % (pname, second["id"]),
                     json={"status": "completed", "answered_by": "machine"})
    assert r.status_code == 204
    done = wait_for(lambda: (lambda x: x if x["status"] == "completed" else None)(
        acct.get_campaign(c["id"])), 20, "completion")
    k = done["counters"]
    assert k["failed"] == 1 and k["dispositions"]["voicemail"] == 1, k
    assert k["total"] == k["queued"] + k["dispatched"] + k["succeeded"] + k["failed"]
    client.close()


def test_voicemail_not_retried_by_default_and_details_kept(start_server):
    srv = start_server()
    client = srv.client()
    acct = client.create_account()
    c, pname = _held_campaign(client, acct, "+12125550102",
                              {"max_attempts": 3, "delay_seconds": 0})
    [call] = wait_for(lambda: _calls(acct, c["id"]), 20, "the dial")
    r = client.admin("POST", "/v1/providers/%s/calls/%s" % (pname, call["id"]),
                     json={"status": "completed", "answered_by": "machine",
                           "error_code": "E42", "ended_reason": "machine"})
    assert r.status_code == 204, r.text
    done = wait_for(lambda: (lambda x: x if x["status"] == "completed" else None)(
        acct.get_campaign(c["id"])), 20, "completion")
    assert done["counters"]["dispositions"]["voicemail"] == 1
    assert done["counters"]["failed"] == 1
    got = acct.get("/v1/calls/" + call["id"]).json()
    assert got["error_code"] == "E42" and got["ended_reason"] == "machine"
    assert got["transcript"] is None and got["recording_url"] is None
    assert len(_calls(acct, c["id"])) == 1  # never retried
    client.close()
