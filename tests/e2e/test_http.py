"""The HTTP layer: JSON parsing, media types, routing errors, body limit,
keep-alive, error shape."""
import http.client
import json
import re
import socket

import pytest

from helpers import SLOW, assert_campaign, assert_error, voice_body

LIMIT = 16 * 1024 * 1024


@pytest.fixture(scope="module")
def acct(client):
    return client.create_account()


def _raw(acct, method, path, body, content_type="application/json", headers=None):
    h = {"Content-Type": content_type}
    h.update(headers or {})
    return acct.req(method, path, data=body, headers=h)


def _count(acct):
    return len(acct.list_all()[0])


# ---- JSON ----

@pytest.mark.parametrize("body,offsets", [
    (b'{"name": ', (9,)),
    (b'{"name":"x",   @}', (15, 16)),
    (b'{"a":1} x', (8, 9)),
    (b'{"a":1,}', (7, 8)),
    (b'{' + b' ' * 1000 + b'"a" 1}', (1005, 1006, 1007)),
    (b'xyz', (0, 1, 2, 3)),
])
def test_invalid_json_names_byte_offset(acct, body, offsets):
    n = _count(acct)
    r = _raw(acct, "POST", "/v1/campaigns", body)
    err = assert_error(r, 400, "invalid_json")
    nums = [int(x) for x in re.findall(r"\d+", err["message"])]
    assert any(o in nums for o in offsets), "no byte offset %s in %r" % (offsets, err["message"])
    assert _count(acct) == n


def test_invalid_json_bad_utf8(acct):
    r = _raw(acct, "POST", "/v1/campaigns", b'{"name": "\xff\xfe", "agent_id": "a"}')
    assert_error(r, 400, "invalid_json")


def test_empty_body_is_invalid_json(acct):
    r = _raw(acct, "POST", "/v1/campaigns", b"")
    assert_error(r, 400, "invalid_json")


def test_invalid_json_on_patch(acct):
    c = acct.create_campaign()
    r = _raw(acct, "PATCH", "/v1/campaigns/" + c["id"], b'{"name": "x"')
    assert_error(r, 400, "invalid_json")
    assert acct.get_campaign(c["id"]) == c


def test_json_array_is_422(acct):
    for body in (b"[]", b'[{"name": "x"}]'):
        r = _raw(acct, "POST", "/v1/campaigns", body)
        assert_error(r, 422, "invalid_argument", check_field=False)


@pytest.mark.parametrize("body", [b"42", b'"text"', b"null", b"true"])
def test_json_scalar_is_422(acct, body):
    r = _raw(acct, "POST", "/v1/campaigns", body)
    assert_error(r, 422, "invalid_argument", check_field=False)


def test_charset_parameter_accepted(acct):
    r = _raw(acct, "POST", "/v1/campaigns", json.dumps(voice_body()).encode(),
             content_type="application/json; charset=utf-8")
    assert r.status_code == 201, r.text
    assert_campaign(r.json())


@pytest.mark.parametrize("ct", ["text/plain", "application/x-www-form-urlencoded",
                                "multipart/form-data; boundary=x", "application/jsonx",
                                "application/xml"])
def test_unsupported_media_type(acct, ct):
    n = _count(acct)
    r = _raw(acct, "POST", "/v1/campaigns", json.dumps(voice_body()).encode(), content_type=ct)
    assert_error(r, 415, "unsupported_media_type")
    assert _count(acct) == n


def test_unsupported_media_type_on_patch_and_admin(client, acct):
    c = acct.create_campaign()
    r = _raw(acct, "PATCH", "/v1/campaigns/" + c["id"], b'{"name":"x"}', content_type="text/plain")
    assert_error(r, 415, "unsupported_media_type")
    r = client.admin("POST", "/v1/admin/accounts", data=b'{"name":"x"}',
                     headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")


# ---- routing ----

@pytest.mark.parametrize("method,path", [
    ("GET", "/"),
    ("GET", "/v1"),
    ("GET", "/v1/nothing"),
    ("POST", "/v1/nothing"),
    ("GET", "/v1/campaigns/cmp_x/nothing"),
    ("GET", "/v1/campaigns/cmp_x/start/again"),
    ("GET", "/v2/campaigns"),
    ("GET", "/healthz/x"),
    ("DELETE", "/v1/admin/keys"),
])
def test_unknown_path_404(acct, method, path):
    r = acct.req(method, path)
    assert_error(r, 404, "not_found")


def test_unknown_path_404_without_auth(client):
    r = client.req("GET", "/v1/nothing")
    assert_error(r, 404, "not_found")


@pytest.mark.parametrize("method,path,allow", [
    ("PUT", "/v1/campaigns", {"GET", "POST"}),
    ("DELETE", "/v1/campaigns", {"GET", "POST"}),
    ("PATCH", "/v1/campaigns", {"GET", "POST"}),
    ("DELETE", "/v1/campaigns/cmp_x", {"GET", "PATCH"}),
    ("POST", "/v1/campaigns/cmp_x", {"GET", "PATCH"}),
    ("PUT", "/v1/campaigns/cmp_x", {"GET", "PATCH"}),
    ("GET", "/v1/campaigns/cmp_x/start", {"POST"}),
    ("DELETE", "/v1/campaigns/cmp_x/cancel", {"POST"}),
    ("GET", "/v1/admin/accounts", {"POST"}),
    ("GET", "/v1/admin/accounts/acct_x/keys", {"POST"}),
    ("GET", "/v1/admin/keys/ck_x", {"DELETE"}),
    ("POST", "/healthz", {"GET"}),
    ("POST", "/metrics", {"GET"}),
])
def test_wrong_method_405_with_allow(client, acct, method, path, allow):
    for auth in (acct.api_key, None):
        r = client.req(method, path, key=auth)
        assert_error(r, 405, "method_not_allowed")
        got = {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}
        assert got == allow, r.headers.get("Allow")


def test_405_changes_nothing(acct):
    c = acct.create_campaign()
    r = acct.req("DELETE", "/v1/campaigns/" + c["id"])
    assert_error(r, 405, "method_not_allowed")
    assert acct.get_campaign(c["id"]) == c


# ---- body limit ----

def _recv_response(sock, timeout):
    """(status, headers, body) of one answer; status None when the server
    closed the connection without answering."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    if b"\r\n\r\n" not in data:
        return None, {}, data
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:n]


def _head(acct, port, extra):
    return ("POST /v1/campaigns HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n%s\r\n"
            % (port, acct.api_key, extra)).encode()


def test_content_length_over_limit_413(server, acct):
    n = _count(acct)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30 * SLOW) as s:
        s.sendall(_head(acct, server.port, "Content-Length: %d\r\n" % (LIMIT + 1)))
        s.sendall(b'{"name": "' + b"x" * 4096)
        status, headers, body = _recv_response(s, 30 * SLOW)
    assert status == 413, body
    err = json.loads(body)["error"]
    assert err["code"] == "payload_too_large" and err["message"]
    assert _count(acct) == n


def test_content_length_far_over_limit_413(server, acct):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30 * SLOW) as s:
        s.sendall(_head(acct, server.port, "Content-Length: %d\r\n" % (1 << 40)))
        status, _, body = _recv_response(s, 30 * SLOW)
    assert status == 413, body
    assert json.loads(body)["error"]["code"] == "payload_too_large"


def test_chunked_body_over_limit_413(server, acct):
    n = _count(acct)
    piece = b" " * (1 << 20)
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=60 * SLOW) as s:
        s.sendall(_head(acct, server.port, "Transfer-Encoding: chunked\r\n"))
        s.sendall(b'4\r\n{   \r\n')
        sent = 4
        try:
            while sent <= LIMIT + (1 << 20):
                s.sendall(chunk)
                sent += len(piece)
            s.sendall(b'1\r\n}\r\n0\r\n\r\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading it all
        status, _, body = _recv_response(s, 60 * SLOW)
    assert status == 413, body
    err = json.loads(body)["error"]
    assert err["code"] == "payload_too_large" and err["message"]
    assert _count(acct) == n


def test_chunked_body_under_limit_is_read(server, acct):
    inner = json.dumps(voice_body(config={"caller_id": "+14155550100",
                                          "blob": "y" * (2 << 20)})).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=60 * SLOW) as s:
        s.sendall(_head(acct, server.port, "Transfer-Encoding: chunked\r\n"))
        for i in range(0, len(inner), 100000):
            part = inner[i:i + 100000]
            s.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
        s.sendall(b"0\r\n\r\n")
        status, _, body = _recv_response(s, 60 * SLOW)
    assert status == 201, body[:300]
    assert assert_campaign(json.loads(body))["config"]["blob"] == "y" * (2 << 20)


def test_body_just_under_limit_is_read(server, acct):
    # 16 MiB of JSON (mostly blanks) is within the limit: parsed, not 413
    inner = json.dumps(voice_body()).encode()
    body = b" " * (LIMIT - len(inner)) + inner
    assert len(body) == LIMIT
    r = _raw(acct, "POST", "/v1/campaigns", body)
    assert r.status_code == 201, r.text[:500]
    assert_campaign(r.json())


# ---- keep-alive ----

def test_keep_alive_one_connection_many_requests(server, acct):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30 * SLOW)
    auth = {"Authorization": "Bearer " + acct.api_key}
    jh = dict(auth, **{"Content-Type": "application/json"})
    c = acct.create_campaign()
    requests_ = [
        ("GET", "/v1/campaigns", None, auth, 200),
        ("GET", "/v1/campaigns/" + c["id"], None, auth, 200),
        ("GET", "/v1/campaigns/cmp_nope", None, auth, 404),
        ("GET", "/v1/nothing", None, auth, 404),
        ("PUT", "/v1/campaigns", None, auth, 405),
        ("GET", "/v1/campaigns", None, {}, 401),
        ("POST", "/v1/campaigns", b'{"name": ', jh, 400),
        ("POST", "/v1/campaigns", b'{"name": ""}', jh, 422),
        ("POST", "/v1/campaigns", b'{}', dict(auth, **{"Content-Type": "text/plain"}), 415),
        ("GET", "/v1/campaigns?page_size=0", None, auth, 400),
        ("POST", "/v1/campaigns/%s/start" % c["id"], None, auth, 409),
        ("GET", "/healthz", None, {}, 200),
        ("POST", "/v1/campaigns", json.dumps(voice_body()).encode(), jh, 201),
    ]
    conn.connect()
    sock = conn.sock
    local = sock.getsockname()
    for i in range(50):
        method, path, body, headers, want = requests_[i % len(requests_)]
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        assert resp.status == want, (i, method, path, resp.status, data)
        assert (resp.getheader("Connection") or "").lower() != "close", (i, path)
        assert not resp.will_close, (i, method, path)
        assert conn.sock is sock and sock.getsockname() == local, \
            "the connection was replaced after request %d (%s %s)" % (i, method, path)
    conn.close()


def test_keep_alive_requests_session(server, acct):
    import requests

    with requests.Session() as s:
        h = {"Authorization": "Bearer " + acct.api_key}
        for i in range(30):
            path = "/v1/campaigns" if i % 3 else "/v1/campaigns/cmp_missing"
            r = s.get(server.base + path, headers=h, timeout=acct.client.timeout)
            assert r.status_code == (200 if i % 3 else 404)
            assert (r.headers.get("Connection") or "").lower() != "close"
        # urllib3 reused one connection: only one was ever opened
        pool = s.get_adapter(server.base).poolmanager.connection_from_url(server.base)
        assert pool.num_connections == 1, pool.num_connections


# ---- every error has the contract's shape ----

def test_error_shape_everywhere(client, acct):
    cases = [
        client.req("GET", "/v1/campaigns"),
        client.req("GET", "/nothing"),
        client.req("PATCH", "/healthz"),
        acct.get("/v1/campaigns/cmp_x"),
        acct.get("/v1/campaigns", params={"page_token": "zz"}),
        acct.post("/v1/campaigns", json={"name": 3}),
        _raw(acct, "POST", "/v1/campaigns", b"{", content_type="application/json"),
        _raw(acct, "POST", "/v1/campaigns", b"{}", content_type="text/plain"),
        client.admin("POST", "/v1/admin/accounts/acct_x/keys", json={}),
    ]
    for r in cases:
        assert 400 <= r.status_code < 500
        assert r.headers["Content-Type"].startswith("application/json")
        b = r.json()
        assert set(b) == {"error"} and set(b["error"]) <= {"code", "message", "field"}
        assert isinstance(b["error"]["code"], str) and re.match(r"^[a-z_]+$", b["error"]["code"])
        assert isinstance(b["error"]["message"], str) and b["error"]["message"]


def test_success_content_type(acct):
    r = acct.get("/v1/campaigns")
    assert r.headers["Content-Type"].lower().replace(" ", "") == "application/json;charset=utf-8"
