"""Operator endpoints (accounts, keys) and API-key authentication."""
import subprocess
import threading
import time

import pytest

from helpers import ON_PG, assert_error, assert_time, voice_body

ADMIN_ROUTES = [
    ("POST", "/v1/admin/accounts", {"name": "x"}),
    ("POST", "/v1/admin/accounts/acct_nope/keys", {}),
    ("DELETE", "/v1/admin/keys/ck_nothere00", None),
]


def test_create_account_shape(client):
    r = client.admin("POST", "/v1/admin/accounts", json={"name": "acme"})
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    b = r.json()
    assert {"id", "name", "api_key", "key_prefix"} <= set(b)
    assert set(b) <= {"id", "name", "api_key", "key_prefix", "created_at"}
    assert b["id"].startswith("acct_") and len(b["id"]) > 5
    assert b["name"] == "acme"
    assert isinstance(b["api_key"], str) and len(b["api_key"]) >= 32
    assert b["key_prefix"] == b["api_key"][:12]
    if "created_at" in b:
        assert_time(b["created_at"])
    # the key works at once
    r = client.req("GET", "/v1/campaigns", key=b["api_key"])
    assert r.status_code == 200, r.text
    assert r.json() == {"data": [], "next_page_token": None}


def test_accounts_and_keys_are_distinct(client):
    a, b = client.create_account(), client.create_account()
    assert a.id != b.id
    assert a.api_key != b.api_key and a.key_prefix != b.key_prefix


def test_create_account_requires_name(client):
    for body, field in [({}, "name"), ({"name": ""}, "name"), ({"name": 7}, "name"),
                        ({"name": None}, "name")]:
        r = client.admin("POST", "/v1/admin/accounts", json=body)
        assert_error(r, 422, "invalid_argument", field)


def test_create_key_shape_and_both_keys_work(client):
    acct = client.create_account()
    r = client.admin("POST", "/v1/admin/accounts/%s/keys" % acct.id, json={})
    assert r.status_code == 201, r.text
    b = r.json()
    assert {"api_key", "key_prefix"} <= set(b)
    assert b["key_prefix"] == b["api_key"][:12]
    assert b["api_key"] != acct.api_key and b["key_prefix"] != acct.key_prefix
    # both keys see the same account's objects
    c = acct.create_campaign()
    for key in (acct.api_key, b["api_key"]):
        r = client.req("GET", "/v1/campaigns/" + c["id"], key=key)
        assert r.status_code == 200, r.text


def test_create_key_without_body(client):
    acct = client.create_account()
    r = client.admin("POST", "/v1/admin/accounts/%s/keys" % acct.id)
    assert r.status_code == 201, r.text
    assert r.json()["key_prefix"] == r.json()["api_key"][:12]


def test_create_key_unknown_account_404(client):
    r = client.admin("POST", "/v1/admin/accounts/acct_doesnotexist/keys", json={})
    assert_error(r, 404, "not_found")


def test_revoke_key(client):
    acct = client.create_account()
    key2, prefix2 = client.new_key(acct.id)
    assert acct.get("/v1/campaigns").status_code == 200
    r = client.admin("DELETE", "/v1/admin/keys/" + acct.key_prefix)
    assert r.status_code == 204, r.text
    assert r.content == b""
    # revoked at once
    assert_error(acct.get("/v1/campaigns"), 401, "unauthenticated")
    assert_error(acct.post("/v1/campaigns", json=voice_body()), 401, "unauthenticated")
    # the other key of the account still works
    assert client.req("GET", "/v1/campaigns", key=key2).status_code == 200


def test_revoke_under_load_fails_at_once(client):
    """Requests with a key keep every server thread busy (and the key in
    this node's key cache) while it is revoked: every request sent after the
    204 is refused, none succeeds late; the account's other key still works."""
    acct = client.create_account()
    key2, _ = client.new_key(acct.id)
    revoked = threading.Event()
    stop = threading.Event()
    late, errors = [], []

    def hammer():
        c = client.__class__(client.base, client.admin_token)
        try:
            while not stop.is_set():
                after = revoked.is_set()
                code = c.req("GET", "/v1/campaigns", key=acct.api_key).status_code
                if code not in (200, 401):
                    errors.append(code)
                if after and code == 200:
                    late.append(code)
        finally:
            c.close()

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    r = client.admin("DELETE", "/v1/admin/keys/" + acct.key_prefix)
    assert r.status_code == 204, r.text
    revoked.set()
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    assert not errors and not late, (errors, len(late))
    assert_error(acct.get("/v1/campaigns"), 401, "unauthenticated")
    assert client.req("GET", "/v1/campaigns", key=key2).status_code == 200


def test_revoke_unknown_prefix_404(client):
    r = client.admin("DELETE", "/v1/admin/keys/ck_nothere00")
    assert_error(r, 404, "not_found")


@pytest.mark.parametrize("method,path,body", ADMIN_ROUTES)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", "Basic YWRtaW46YWRtaW4=", "Bearer "])
def test_admin_wrong_token_401(client, method, path, body, auth):
    r = client.req(method, path, json=body, headers={"Authorization": auth})
    assert_error(r, 401, "unauthenticated")


@pytest.mark.parametrize("method,path,body", ADMIN_ROUTES)
def test_admin_rejects_api_key(client, method, path, body):
    acct = client.create_account()
    r = client.req(method, path, key=acct.api_key, json=body)
    assert_error(r, 401, "unauthenticated")


def test_admin_token_is_no_api_key(client):
    r = client.admin("GET", "/v1/campaigns")
    assert_error(r, 401, "unauthenticated")


def test_admin_wrong_token_changes_nothing(client):
    acct = client.create_account()
    r = client.req("DELETE", "/v1/admin/keys/" + acct.key_prefix,
                   headers={"Authorization": "Bearer nope"})
    assert_error(r, 401, "unauthenticated")
    assert acct.get("/v1/campaigns").status_code == 200


def test_admin_api_off_without_token(start_server):
    srv = start_server(admin_token=None)
    c = srv.client()
    try:
        for method, path, body in ADMIN_ROUTES:
            for auth in (None, "Bearer anything", "Bearer "):
                r = c.req(method, path, json=body, headers={"Authorization": auth})
                assert_error(r, 404, "not_found")
        # the rest of the API serves as usual
        assert c.req("GET", "/healthz").status_code == 200
        assert_error(c.req("GET", "/v1/campaigns"), 401, "unauthenticated")
    finally:
        c.close()


def test_admin_api_off_with_empty_token(start_server):
    srv = start_server(admin_token="")
    c = srv.client()
    try:
        r = c.req("POST", "/v1/admin/accounts", json={"name": "x"},
                  headers={"Authorization": "Bearer "})
        assert_error(r, 404, "not_found")
    finally:
        c.close()


# ---- API keys on account routes ----

ACCOUNT_ROUTES = [
    ("GET", "/v1/campaigns", None),
    ("POST", "/v1/campaigns", voice_body()),
    ("GET", "/v1/campaigns/cmp_x", None),
    ("PATCH", "/v1/campaigns/cmp_x", {"name": "y"}),
    ("POST", "/v1/campaigns/cmp_x/start", None),
    ("POST", "/v1/campaigns/cmp_x/pause", None),
    ("POST", "/v1/campaigns/cmp_x/resume", None),
    ("POST", "/v1/campaigns/cmp_x/cancel", None),
]


@pytest.mark.parametrize("method,path,body", ACCOUNT_ROUTES)
def test_missing_key_401(client, method, path, body):
    r = client.req(method, path, json=body)
    assert_error(r, 401, "unauthenticated")


@pytest.mark.parametrize("auth", [
    "Bearer ",
    "Bearer ck_unknown",
    "Bearer ck_" + "a" * 43,
    "Token ck_" + "a" * 43,
    "ck_" + "a" * 43,
])
def test_unknown_key_401(client, auth):
    r = client.req("GET", "/v1/campaigns", headers={"Authorization": auth})
    assert_error(r, 401, "unauthenticated")


def test_key_with_right_prefix_wrong_secret_401(client):
    acct = client.create_account()
    k = acct.api_key
    forged = k[:-1] + ("A" if k[-1] != "A" else "B")
    r = client.req("GET", "/v1/campaigns", key=forged)
    assert_error(r, 401, "unauthenticated")
    r = client.req("GET", "/v1/campaigns", key=k + "x")
    assert_error(r, 401, "unauthenticated")


def test_campaign_get_checks_its_key_like_every_route(client):
    """GET /v1/campaigns/{id} reads its key with the campaign where no key
    cache answers (PostgreSQL, auth.h deferred keys): the same answers as
    every route. Unknown key, wrong secret of a real prefix, revoked key:
    401 whether or not the campaign exists; another account's campaign and
    no campaign: 404; the right key: the campaign."""
    acct = client.create_account()
    other = client.create_account()
    cid = acct.create_campaign()["id"]
    oid = other.create_campaign()["id"]
    path = "/v1/campaigns/"
    k = acct.api_key
    forged = k[:-1] + ("A" if k[-1] != "A" else "B")
    for target in (cid, oid, "cmp_none"):
        assert_error(client.req("GET", path + target, key=forged), 401, "unauthenticated")
        assert_error(client.req("GET", path + target, key="ck_" + "a" * 43), 401,
                     "unauthenticated")
    assert_error(acct.get(path + oid), 404, "not_found")
    assert_error(acct.get(path + "cmp_none"), 404, "not_found")
    assert acct.get_campaign(cid)["id"] == cid
    key2, _ = client.new_key(acct.id)
    r = client.admin("DELETE", "/v1/admin/keys/" + acct.key_prefix)
    assert r.status_code == 204, r.text
    for target in (cid, oid, "cmp_none"):
        assert_error(acct.get(path + target), 401, "unauthenticated")
    r = client.req("GET", path + cid, key=key2)
    assert r.status_code == 200 and r.json()["id"] == cid, r.text


def test_failed_auth_creates_nothing(client):
    acct = client.create_account()
    r = client.req("POST", "/v1/campaigns", key="ck_" + "z" * 43, json=voice_body())
    assert_error(r, 401, "unauthenticated")
    rows, _ = acct.list_all()
    assert rows == []


# ---- keys are stored hashed ----

def _db_bytes(server):
    if ON_PG:  # the whole database as SQL text
        url = server.environment()["CAMPAIGND_DATABASE"]
        return subprocess.run(["pg_dump", "--data-only", url], check=True,
                              stdout=subprocess.PIPE).stdout
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            with open(str(server.db) + suffix, "rb") as f:
                data += f.read()
        except FileNotFoundError:
            pass
    assert data, "no database file at %s" % server.db
    return data


def test_api_key_not_stored_in_plaintext(server, client):
    acct = client.create_account()
    key2, _ = client.new_key(acct.id)
    data = _db_bytes(server)
    assert acct.key_prefix.encode() in data  # the prefix names the key: it is stored
    assert acct.api_key.encode() not in data
    assert key2.encode() not in data


def test_api_key_not_stored_in_plaintext_with_idempotency_key(server, client):
    r = client.admin("POST", "/v1/admin/accounts", json={"name": "idem-acct"},
                     headers={"Idempotency-Key": "acct-create-1"})
    assert r.status_code == 201, r.text
    key = r.json()["api_key"]
    assert key.encode() not in _db_bytes(server)


def test_create_account_empty_body_is_invalid_json(client):
    # as on every operation whose body carries required fields: an empty
    # body is not JSON (400), not a JSON object missing "name" (422)
    for headers in ({"Content-Type": "application/json"}, {"Content-Type": None}):
        r = client.admin("POST", "/v1/admin/accounts", data=b"", headers=headers)
        assert_error(r, 400, "invalid_json")
