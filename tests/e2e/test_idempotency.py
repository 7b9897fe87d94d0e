"""Idempotency-Key on POST: replay, conflict, scope, failures not kept."""
import json
import secrets

import pytest

from helpers import assert_campaign, assert_error, voice_body


@pytest.fixture
def acct(client):
    return client.create_account()


def _key():
    return "idem-" + secrets.token_hex(8)


def _post(acct, path, body, key):
    data = None if body is None else json.dumps(body).encode()
    return acct.req("POST", path, data=data, headers={"Idempotency-Key": key})


def _count(acct):
    return len(acct.list_all()[0])


def test_same_key_same_body_replays(acct):
    key, body = _key(), voice_body()
    first = _post(acct, "/v1/campaigns", body, key)
    assert first.status_code == 201, first.text
    assert first.headers.get("Idempotent-Replayed") in (None, "false")
    assert_campaign(first.json())
    for _ in range(3):
        again = _post(acct, "/v1/campaigns", body, key)
        assert again.status_code == 201
        assert again.content == first.content  # byte-identical
        assert again.headers.get("Idempotent-Replayed") == "true"
    assert _count(acct) == 1
    assert acct.get_campaign(first.json()["id"]) == first.json()


def test_without_key_creates_each_time(acct):
    body = voice_body()
    a = acct.post("/v1/campaigns", json=body)
    b = acct.post("/v1/campaigns", json=body)
    assert a.status_code == b.status_code == 201
    assert assert_campaign(a.json())["id"] != assert_campaign(b.json())["id"]
    assert _count(acct) == 2


def test_same_key_other_body_conflicts(acct):
    key = _key()
    first = _post(acct, "/v1/campaigns", voice_body(name="one"), key)
    assert first.status_code == 201
    r = _post(acct, "/v1/campaigns", voice_body(name="two"), key)
    assert_error(r, 409, "idempotency_conflict", check_field=False)
    assert r.headers.get("Idempotent-Replayed") is None
    assert _count(acct) == 1
    # the original is still replayed
    again = _post(acct, "/v1/campaigns", voice_body(name="one"), key)
    assert again.status_code == 201 and again.content == first.content


def test_same_key_other_path_conflicts(acct):
    key = _key()
    c = acct.create_campaign()
    first = _post(acct, "/v1/campaigns", voice_body(name="one"), key)
    assert first.status_code == 201
    r = _post(acct, "/v1/campaigns/%s/cancel" % c["id"], None, key)
    assert_error(r, 409, "idempotency_conflict", check_field=False)
    assert acct.get_campaign(c["id"])["status"] == "draft", "a conflicting request had an effect"


def test_key_scoped_per_account(client, acct):
    other = client.create_account()
    key, body = _key(), voice_body()
    a = _post(acct, "/v1/campaigns", body, key)
    b = _post(other, "/v1/campaigns", body, key)
    assert a.status_code == b.status_code == 201
    assert b.headers.get("Idempotent-Replayed") in (None, "false")
    assert assert_campaign(a.json())["id"] != assert_campaign(b.json())["id"]
    assert _count(acct) == 1 and _count(other) == 1
    assert_error(other.get("/v1/campaigns/" + a.json()["id"]), 404, "not_found")


def test_failed_request_is_not_kept(acct):
    key = _key()
    bad = voice_body(config={"caller_id": "nope"})
    for _ in range(2):
        r = _post(acct, "/v1/campaigns", bad, key)
        assert_error(r, 422, "invalid_argument", "config.caller_id")
        assert r.headers.get("Idempotent-Replayed") is None
    good = voice_body()
    r = _post(acct, "/v1/campaigns", good, key)
    assert r.status_code == 201, r.text
    assert r.headers.get("Idempotent-Replayed") in (None, "false")
    again = _post(acct, "/v1/campaigns", good, key)
    assert again.content == r.content and again.headers.get("Idempotent-Replayed") == "true"
    assert _count(acct) == 1


def test_failed_move_is_not_kept(acct):
    key = _key()
    c = acct.create_campaign()
    r = _post(acct, "/v1/campaigns/%s/start" % c["id"], None, key)
    assert_error(r, 409, "campaign_empty")
    r = _post(acct, "/v1/campaigns/%s/start" % c["id"], None, key)
    assert_error(r, 409, "campaign_empty")
    assert r.headers.get("Idempotent-Replayed") is None


def test_lifecycle_move_replays(acct):
    key = _key()
    c = acct.create_campaign()
    first = _post(acct, "/v1/campaigns/%s/cancel" % c["id"], None, key)
    assert first.status_code == 200
    assert assert_campaign(first.json())["status"] == "cancelled"
    again = _post(acct, "/v1/campaigns/%s/cancel" % c["id"], None, key)
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_replay_is_the_first_answer_not_the_current_state(acct):
    key, body = _key(), voice_body(name="original")
    first = _post(acct, "/v1/campaigns", body, key)
    cid = first.json()["id"]
    assert acct.patch("/v1/campaigns/" + cid, json={"name": "changed"}).status_code == 200
    again = _post(acct, "/v1/campaigns", body, key)
    assert again.content == first.content
    assert assert_campaign(again.json())["name"] == "original"
    assert acct.get_campaign(cid)["name"] == "changed"


@pytest.mark.parametrize("length,ok", [(1, True), (255, True), (256, False), (1000, False)])
def test_key_length(acct, length, ok):
    key = "k" * (length - 1) + secrets.choice("abcdefgh")
    r = _post(acct, "/v1/campaigns", voice_body(), key)
    if ok:
        assert r.status_code == 201, r.text
    else:
        err = assert_error(r, 400, "invalid_argument", check_field=False)
        assert err.get("field") in (None, "Idempotency-Key")
        assert _count(acct) == 0


def test_admin_post_replays(client):
    key = _key()
    r1 = client.admin("POST", "/v1/admin/accounts", json={"name": "idem"},
                      headers={"Idempotency-Key": key})
    assert r1.status_code == 201
    r2 = client.admin("POST", "/v1/admin/accounts", json={"name": "idem"},
                      headers={"Idempotency-Key": key})
    assert r2.status_code == 201
    assert r2.json()["id"] == r1.json()["id"]
    assert r2.headers.get("Idempotent-Replayed") == "true"
    r3 = client.admin("POST", "/v1/admin/accounts", json={"name": "other"},
                      headers={"Idempotency-Key": key})
    assert_error(r3, 409, "idempotency_conflict", check_field=False)


def test_empty_key_is_400(acct):
    r = _post(acct, "/v1/campaigns", voice_body(), "")
    err = assert_error(r, 400, "invalid_argument", check_field=False)
    assert err.get("field") in (None, "Idempotency-Key")
    assert _count(acct) == 0


def test_concurrent_requests_with_one_key_create_one(server, acct):
    import threading

    import requests

    body = json.dumps(voice_body()).encode()
    for round_ in range(3):
        key = _key()
        answers = []

        def go():
            with requests.Session() as s:
                r = s.post(server.base + "/v1/campaigns", data=body, timeout=acct.client.timeout,
                           headers={"Authorization": "Bearer " + acct.api_key,
                                    "Content-Type": "application/json",
                                    "Idempotency-Key": key})
                answers.append((r.status_code, r.content))

        threads = [threading.Thread(target=go) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(answers) == 8
        created = {c for s, c in answers if s == 201}
        assert len(created) == 1, answers  # every 201 is the one answer, replayed
        assert all(s in (201, 409) for s, _ in answers), answers
        assert _count(acct) == round_ + 1


def test_key_scoped_to_account_not_api_key(client, acct):
    key, body = _key(), voice_body()
    first = _post(acct, "/v1/campaigns", body, key)
    assert first.status_code == 201
    api_key2, _ = client.new_key(acct.id)
    r = client.req("POST", "/v1/campaigns", key=api_key2, data=json.dumps(body).encode(),
                   headers={"Idempotency-Key": key})
    assert r.status_code == 201
    assert r.content == first.content
    assert r.headers.get("Idempotent-Replayed") == "true"
    assert r.headers.get("Content-Type") == first.headers.get("Content-Type")
    assert _count(acct) == 1
