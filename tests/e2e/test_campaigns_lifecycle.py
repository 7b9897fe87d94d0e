"""GET / PATCH of one campaign, the lifecycle moves, and isolation between
accounts (another account's campaign is 404, exactly like a missing one)."""
import time

import pytest

from helpers import assert_campaign, assert_error, assert_time, sms_body, voice_body

MOVES = ("start", "pause", "resume", "cancel")


@pytest.fixture(scope="module")
def acct(client):
    return client.create_account()


def _move(acct, cid, move, **kw):
    return acct.post("/v1/campaigns/%s/%s" % (cid, move), **kw)


def _cancelled(acct, **over):
    c = acct.create_campaign(voice_body(**over))
    r = _move(acct, c["id"], "cancel")
    assert r.status_code == 200, r.text
    return assert_campaign(r.json())


# ---- get ----

def test_get_unknown_404(acct):
    for cid in ("cmp_doesnotexist", "nothing", "acct_x", "cmp_" + "x" * 300):
        assert_error(acct.get("/v1/campaigns/" + cid), 404, "not_found")


# ---- another account ----

def test_other_accounts_campaign_is_404(client, acct):
    mine = acct.create_campaign()
    other = client.create_account()
    missing = "cmp_doesnotexist0000000000"
    calls = [("GET", "", None), ("PATCH", "", {"name": "stolen"})] + \
            [("POST", "/" + m, None) for m in MOVES]
    for method, suffix, body in calls:
        r_other = other.req(method, "/v1/campaigns/" + mine["id"] + suffix, json=body)
        r_missing = other.req(method, "/v1/campaigns/" + missing + suffix, json=body)
        assert_error(r_other, 404, "not_found")
        assert_error(r_missing, 404, "not_found")
        assert r_other.json() == r_missing.json(), (method, suffix)
    # nothing changed
    assert acct.get_campaign(mine["id"]) == mine


# ---- PATCH in draft ----

def test_patch_name(acct):
    c = acct.create_campaign()
    r = acct.patch("/v1/campaigns/" + c["id"], json={"name": "Renamed"})
    assert r.status_code == 200, r.text
    p = assert_campaign(r.json())
    assert p["name"] == "Renamed"
    for k in ("id", "agent_id", "channel", "status", "config", "schedule", "retry_policy",
              "created_at", "counters"):
        assert p[k] == c[k], k
    assert p["updated_at"] >= c["updated_at"]
    assert acct.get_campaign(c["id"]) == p


def test_patch_replaces_whole_objects(acct):
    c = acct.create_campaign(voice_body(
        config={"caller_id": "+14155550100", "old_key": 1,
                "call_window": {"start": "09:00", "end": "17:00"}},
        schedule={"start_at": "2026-12-01T08:00:00Z", "note": "old"},
        retry_policy={"max_attempts": 5, "old": True}))
    new = {"config": {"caller_id": "+14155550199", "new_key": [1, "two"]},
           "schedule": {"end_at": "2027-01-01T00:00:00.000Z"},
           "retry_policy": {"delay_seconds": 60}}
    r = acct.patch("/v1/campaigns/" + c["id"], json=new)
    assert r.status_code == 200, r.text
    p = assert_campaign(r.json())
    for k, v in new.items():
        assert p[k] == v, k  # replaced whole: no old keys merged in
    assert p["name"] == c["name"]
    assert acct.get_campaign(c["id"]) == p


def test_patch_null_clears_schedule_and_retry_policy(acct):
    c = acct.create_campaign(voice_body(schedule={"start_at": "2026-12-01T08:00:00Z"},
                                        retry_policy={"max_attempts": 2}))
    r = acct.patch("/v1/campaigns/" + c["id"], json={"schedule": None, "retry_policy": None})
    assert r.status_code == 200, r.text
    p = assert_campaign(r.json())
    assert p["schedule"] is None and p["retry_policy"] is None


@pytest.mark.parametrize("body,field", [
    ({"name": ""}, "name"),
    ({"name": "n" * 201}, "name"),
    ({"name": None}, "name"),
    ({"config": None}, "config"),
    ({"config": []}, "config"),
    ({"config": {"webhook_url": "https://example.com/"}}, "config.caller_id"),
    ({"config": {"caller_id": "+14155550100", "webhook_url": "http://10.0.0.8/"}},
     "config.webhook_url"),
    ({"config": {"caller_id": "+14155550100", "call_window": {"start": "9", "end": "10:00"}}},
     "config.call_window.start"),
    ({"schedule": {"start_at": "soon"}}, "schedule.start_at"),
    ({"schedule": 5}, "schedule"),
    ({"retry_policy": {"max_attempts": 0}}, "retry_policy.max_attempts"),
    ({"retry_policy": {"max_attempts": 11}}, "retry_policy.max_attempts"),
    ({"name": "ok", "retry_policy": {"backoff": "random"}}, "retry_policy.backoff"),
    ({"channel": "sms"}, "channel"),
    ({"agent_id": "agt_other"}, "agent_id"),
])
def test_patch_validated_as_create(acct, body, field):
    c = acct.create_campaign(voice_body(retry_policy={"max_attempts": 3}))
    r = acct.patch("/v1/campaigns/" + c["id"], json=body)
    assert_error(r, 422, "invalid_argument", field)
    assert acct.get_campaign(c["id"]) == c, "a failed PATCH changed the campaign"


def test_patch_sms_rules(acct):
    c = acct.create_campaign(sms_body())
    r = acct.patch("/v1/campaigns/" + c["id"], json={"retry_policy": {"max_attempts": 2}})
    assert_error(r, 422, "invalid_argument", "retry_policy")
    r = acct.patch("/v1/campaigns/" + c["id"], json={"config": {"from": "+14155550100"}})
    assert_error(r, 422, "invalid_argument", "config.body")
    r = acct.patch("/v1/campaigns/" + c["id"], json={"config": {"caller_id": "+14155550100"}})
    assert_error(r, 422, "invalid_argument", "config.from")
    r = acct.patch("/v1/campaigns/" + c["id"], json={"config": {"from": "NEWSENDER", "body": "b"}})
    assert r.status_code == 200, r.text
    assert assert_campaign(r.json())["config"] == {"from": "NEWSENDER", "body": "b"}
    assert acct.get_campaign(c["id"])["channel"] == "sms"


def test_patch_unknown_404(acct):
    r = acct.patch("/v1/campaigns/cmp_doesnotexist", json={"name": "x"})
    assert_error(r, 404, "not_found")


# ---- PATCH after draft ----

def test_patch_after_draft_only_name(acct):
    c = _cancelled(acct)
    r = acct.patch("/v1/campaigns/" + c["id"], json={"name": "Renamed after cancel"})
    assert r.status_code == 200, r.text
    p = assert_campaign(r.json())
    assert p["name"] == "Renamed after cancel"
    assert p["status"] == "cancelled" and p["cancelled_at"] == c["cancelled_at"]
    for body in ({"config": {"caller_id": "+14155550100"}},
                 {"schedule": None},
                 {"schedule": {"start_at": "2026-12-01T08:00:00Z"}},
                 {"retry_policy": {"max_attempts": 2}},
                 {"retry_policy": None},
                 {"name": "also renamed", "config": {"caller_id": "+14155550100"}}):
        r = acct.patch("/v1/campaigns/" + c["id"], json=body)
        err = assert_error(r, 409, "invalid_transition", check_field=False)
        assert "cancelled" in err["message"], err
    assert acct.get_campaign(c["id"]) == p, "a refused PATCH changed the campaign"


def test_patch_after_draft_name_still_validated(acct):
    c = _cancelled(acct)
    r = acct.patch("/v1/campaigns/" + c["id"], json={"name": ""})
    assert_error(r, 422, "invalid_argument", "name")


# ---- lifecycle ----

def test_start_without_recipients_is_campaign_empty(acct):
    c = acct.create_campaign()
    r = _move(acct, c["id"], "start")
    assert_error(r, 409, "campaign_empty")
    g = acct.get_campaign(c["id"])
    assert g["status"] == "draft" and g["started_at"] is None
    assert g == c


def test_cancel_from_draft(acct):
    c = acct.create_campaign()
    r = _move(acct, c["id"], "cancel")
    assert r.status_code == 200, r.text
    x = assert_campaign(r.json())
    assert x["status"] == "cancelled"
    assert_time(x["cancelled_at"])
    assert x["cancelled_at"] >= x["created_at"]
    assert x["started_at"] is None and x["completed_at"] is None
    assert x["updated_at"] >= c["updated_at"]
    for k in ("id", "name", "config", "counters", "created_at"):
        assert x[k] == c[k]
    assert acct.get_campaign(c["id"]) == x


def test_cancel_cancelled_is_200_unchanged(acct):
    x = _cancelled(acct)
    for _ in range(2):
        r = _move(acct, x["id"], "cancel")
        assert r.status_code == 200, r.text
        assert assert_campaign(r.json()) == x
    assert acct.get_campaign(x["id"]) == x


@pytest.mark.parametrize("move", ["start", "pause", "resume"])
def test_invalid_moves_from_cancelled(acct, move):
    x = _cancelled(acct)
    r = _move(acct, x["id"], move)
    err = assert_error(r, 409, "invalid_transition", check_field=False)
    assert "cancelled" in err["message"], err
    assert acct.get_campaign(x["id"]) == x


@pytest.mark.parametrize("move", ["pause", "resume"])
def test_invalid_moves_from_draft(acct, move):
    c = acct.create_campaign()
    r = _move(acct, c["id"], move)
    err = assert_error(r, 409, "invalid_transition", check_field=False)
    assert "draft" in err["message"], err
    assert acct.get_campaign(c["id"]) == c


@pytest.mark.parametrize("move", MOVES)
def test_move_unknown_404(acct, move):
    assert_error(_move(acct, "cmp_doesnotexist", move), 404, "not_found")


def test_moves_accept_empty_json_object(acct):
    c = acct.create_campaign()
    r = _move(acct, c["id"], "cancel", json={})
    assert r.status_code == 200, r.text
    assert assert_campaign(r.json())["status"] == "cancelled"


def test_name_of_cancelled_counts_in_lists(acct):
    x = _cancelled(acct, name="to-cancel")
    rows, _ = acct.list_all({"status": "cancelled"})
    assert x["id"] in [c["id"] for c in rows]
    rows, _ = acct.list_all({"status": "draft"})
    assert x["id"] not in [c["id"] for c in rows]


# ---- running / paused ----
# Reaching running or paused needs recipients (POST .../recipients), which the
# foundation issue does not have. These tests use the upload when it exists
# and skip (they do not fake a running campaign) while the route answers 404.

def _upload_one(acct, cid, number="+14155550100"):
    r = acct.post("/v1/campaigns/%s/recipients" % cid,
                  json={"recipients": [{"phone_number": number}]})
    if r.status_code == 404 and "no such path" in r.text:
        pytest.skip("recipients upload does not exist yet: running/paused cannot be reached")
    assert r.status_code == 200, r.text
    return r.json()


def test_running_and_paused_moves(start_server):
    # A simulated call of 10 minutes: once dialled, the one recipient stays
    # in flight, so the campaign cannot complete while the moves are made.
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": "600000"})
    client = srv.client()
    try:
        acct = client.create_account()
        c = acct.create_campaign()
        _upload_one(acct, c["id"])
        r = _move(acct, c["id"], "start")
        assert r.status_code == 200, r.text
        run = assert_campaign(r.json())
        assert run["status"] == "running"
        assert_time(run["started_at"])
        assert run["counters"]["total"] == 1
        for move in ("start", "resume"):  # already running: 200, nothing moves
            r = _move(acct, c["id"], move)
            assert r.status_code == 200, r.text
            again = assert_campaign(r.json())
            assert again["status"] == "running"
            assert again["started_at"] == run["started_at"]
        r = acct.patch("/v1/campaigns/" + c["id"], json={"config": {"caller_id": "+14155550101"}})
        err = assert_error(r, 409, "invalid_transition", check_field=False)
        assert "running" in err["message"]
        r = acct.patch("/v1/campaigns/" + c["id"], json={"name": "renamed while running"})
        assert r.status_code == 200 and assert_campaign(r.json())["name"] == "renamed while running"
        r = _move(acct, c["id"], "pause")
        assert r.status_code == 200 and assert_campaign(r.json())["status"] == "paused", r.text
        r = _move(acct, c["id"], "pause")
        assert r.status_code == 200 and assert_campaign(r.json())["status"] == "paused", r.text
        for move in ("start",):
            r = _move(acct, c["id"], move)
            err = assert_error(r, 409, "invalid_transition", check_field=False)
            assert "paused" in err["message"]
        r = _move(acct, c["id"], "resume")
        assert r.status_code == 200 and assert_campaign(r.json())["status"] == "running", r.text
        r = _move(acct, c["id"], "cancel")
        assert r.status_code == 200, r.text
        x = assert_campaign(r.json())
        assert x["status"] == "cancelled"
        assert_time(x["cancelled_at"])
        assert x["started_at"] == run["started_at"]
        # nothing is left queued: a queued recipient fails at once (cancelled),
        # one in flight finishes later
        k = x["counters"]
        assert k["total"] == 1 and k["queued"] == 0
        assert k["failed"] + k["dispatched"] == 1
        assert k["failed"] == k["dispositions"].get("cancelled", 0)
        for move in ("start", "pause", "resume"):
            err = assert_error(_move(acct, c["id"], move), 409, "invalid_transition",
                               check_field=False)
            assert "cancelled" in err["message"]
    finally:
        client.close()


def test_nothing_dialled_before_schedule_start_at(start_server):
    srv = start_server()
    client = srv.client()
    try:
        acct = client.create_account()
        c = acct.create_campaign(voice_body(schedule={"start_at": "2099-01-01T00:00:00.000Z"}))
        _upload_one(acct, c["id"])
        r = _move(acct, c["id"], "start")
        assert r.status_code == 200, r.text
        # give the engine ample opportunity to (wrongly) dial
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            k = acct.get_campaign(c["id"])["counters"]
            assert k["queued"] == 1 and k["dispatched"] == 0, k
            time.sleep(0.1)
        r = acct.get("/v1/campaigns/%s/recipients" % c["id"])
        assert r.status_code == 200, r.text
        rcp = r.json()["data"][0]
        assert rcp["status"] == "queued" and rcp["attempts"] == 0
        assert rcp["next_attempt_at"] == "2099-01-01T00:00:00.000Z"
    finally:
        client.close()
