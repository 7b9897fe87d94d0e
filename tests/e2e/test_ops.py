"""Operations: health, readiness, metrics, request logs, shutdown, settings."""
import re
import signal
import subprocess
import time

import pytest

from conftest import BIN, Server, free_port
from helpers import ON_PG, SLOW, assert_campaign, assert_error, voice_body

SAMPLE_RE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? '
    r'(-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$')


def _metrics(client):
    r = client.req("GET", "/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    return r.text


def _samples(text):
    """{(name, frozenset(labels)): value}; every line must be valid exposition."""
    out = {}
    types = {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            assert parts[1] in ("HELP", "TYPE"), line
            if parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = SAMPLE_RE.match(line)
        assert m, "not Prometheus text format: %r" % line
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                      m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out, types


def _value(samples, name, **labels):
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def test_healthz_and_readyz(client):
    r = client.req("GET", "/healthz")
    assert r.status_code == 200
    r = client.req("GET", "/readyz")
    assert r.status_code == 200


def test_ops_need_no_auth_and_ignore_bad_auth(client):
    for path in ("/healthz", "/readyz", "/metrics"):
        r = client.req("GET", path, headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 200, path


def test_metrics_format_and_counts(client):
    acct = client.create_account()
    c = acct.create_campaign()
    before, _ = _samples(_metrics(client))
    for _ in range(3):
        assert acct.get("/v1/campaigns/" + c["id"]).status_code == 200
    assert_error(acct.get("/v1/campaigns/cmp_missing"), 404, "not_found")
    assert_error(client.req("GET", "/v1/campaigns/" + c["id"]), 401, "unauthenticated")
    text = _metrics(client)
    after, types = _samples(text)
    assert types.get("campaignd_http_requests_total") == "counter"
    assert types.get("campaignd_http_request_duration_seconds") == "histogram"
    route = "/v1/campaigns/{id}"

    def delta(status):
        return (_value(after, "campaignd_http_requests_total", route=route, status=status)
                - _value(before, "campaignd_http_requests_total", route=route, status=status))

    assert delta("200") == 3
    assert delta("404") == 1
    assert delta("401") == 1
    # the route label is the pattern, never the concrete id
    assert c["id"] not in text
    assert 'route="/v1/campaigns"' in text
    assert 'route="/v1/admin/accounts"' in text


def test_metrics_histogram_consistent(client):
    acct = client.create_account()
    acct.create_campaign()
    acct.get("/v1/campaigns")
    samples, _ = _samples(_metrics(client))
    series = {}
    for (name, labels), v in samples.items():
        if name == "campaignd_http_request_duration_seconds_bucket":
            d = dict(labels)
            le = d.pop("le")
            series.setdefault(frozenset(d.items()), []).append(
                (float("inf") if le == "+Inf" else float(le), v))
    assert series, "no duration histogram series"
    for key, buckets in series.items():
        buckets.sort()
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), "buckets not cumulative: %s" % (key,)
        assert buckets[-1][0] == float("inf")
        count = samples.get(("campaignd_http_request_duration_seconds_count", key))
        total = samples.get(("campaignd_http_request_duration_seconds_sum", key))
        assert count == buckets[-1][1], key
        assert total is not None and total >= 0
    keys = [dict(k) for k in series]
    assert any(k.get("route") == "/v1/campaigns" for k in keys)


def _wait_for_lines(server, pattern, n):
    deadline = time.monotonic() + 10 * SLOW
    while True:
        lines = [l for l in server.log().splitlines() if pattern.search(l)]
        if len(lines) >= n or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_one_log_line_per_request(server, client):
    acct = client.create_account()
    c = acct.create_campaign()
    pat_patch = re.compile(r"\bPATCH /v1/campaigns/\{id\} 200\b")
    pat_404 = re.compile(r"\bGET /v1/campaigns/\{id\} 404\b")
    n_patch = len(_wait_for_lines(server, pat_patch, 0))
    n_404 = len(_wait_for_lines(server, pat_404, 0))
    for i in range(3):
        assert acct.patch("/v1/campaigns/" + c["id"], json={"name": "n%d" % i}).status_code == 200
    assert acct.get("/v1/campaigns/cmp_missing").status_code == 404
    lines = _wait_for_lines(server, pat_patch, n_patch + 3)
    assert len(lines) == n_patch + 3, lines
    assert len(_wait_for_lines(server, pat_404, n_404 + 1)) == n_404 + 1
    # the concrete id never replaces the pattern; the account is named
    assert c["id"] not in lines[-1]
    assert acct.id in lines[-1]


def test_sigterm_exits_zero(start_server):
    srv = start_server()
    c = srv.client()
    acct = c.create_account()
    acct.create_campaign()
    c.close()
    assert srv.stop(signal.SIGTERM) == 0


def test_sigint_exits_zero(start_server):
    srv = start_server()
    assert srv.client().req("GET", "/healthz").status_code == 200
    assert srv.stop(signal.SIGINT) == 0


def test_sigterm_with_idle_keepalive_connection(start_server):
    srv = start_server()
    c = srv.client()
    assert c.req("GET", "/healthz").status_code == 200  # leaves a kept-alive connection open
    assert srv.stop(signal.SIGTERM) == 0
    c.close()


def test_data_and_page_tokens_survive_restart(tmp_path):
    srv = Server(tmp_path / "a").start()
    try:
        c = srv.client()
        acct = c.create_account()
        ids = [acct.create_campaign(voice_body(name="r%d" % i))["id"] for i in range(3)]
        r = acct.get("/v1/campaigns", params={"page_size": 1})
        token = r.json()["next_page_token"]
        c.close()
    finally:
        srv.stop()
    srv2 = Server(tmp_path / "b", db=srv.db, admin_token=srv.admin_token).start()
    try:
        c = srv2.client()
        acct.client = c
        for cid in ids:
            assert acct.get_campaign(cid)["id"] == cid
        # the page-token secret is kept in the store: old tokens still work
        r = acct.get("/v1/campaigns", params={"page_size": 1, "page_token": token})
        assert r.status_code == 200, r.text
        assert [assert_campaign(x)["id"] for x in r.json()["data"]] == [ids[1]]
        c.close()
    finally:
        srv2.stop()


def test_help_lists_settings():
    p = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=30 * SLOW)
    assert p.returncode == 0
    out = p.stdout + p.stderr
    for var in ("CAMPAIGND_LISTEN", "CAMPAIGND_DATABASE", "CAMPAIGND_ADMIN_TOKEN",
                "CAMPAIGND_SIM_CALL_MS", "CAMPAIGND_SIM_REPORT_MS",
                "CAMPAIGND_WEBHOOK_ALLOW_PRIVATE"):
        assert var in out, var
    assert "--config" in out


def _run_to_exit(tmp_path, env, args=()):
    """Runs the binary expecting it to exit by itself; (returncode, stderr)."""
    srv = Server(tmp_path)
    srv.port = free_port()
    full = srv.environment()
    full.update(env)
    log = tmp_path / "stderr.log"
    with open(log, "wb") as f:
        p = subprocess.Popen([BIN] + list(args), env=full, cwd=str(tmp_path),
                             stdin=subprocess.DEVNULL, stdout=f, stderr=f)
    try:
        p.wait(timeout=20 * SLOW)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20 * SLOW)
        pytest.fail("campaignd kept running with %r:\n%s" % (env, log.read_text()))
    return p.returncode, log.read_text(errors="replace")


@pytest.mark.parametrize("env", [
    {"CAMPAIGND_LISTEN": "not-an-address"},
    {"CAMPAIGND_DATABASE": "sqlite:/nonexistent-dir/sub/x.db"},
    {"CAMPAIGND_DATABASE": "mysql://nope"},
    {"CAMPAIGND_THREADS": "abc"},
])
def test_bad_settings_exit_nonzero(tmp_path, env):
    rc, err = _run_to_exit(tmp_path, env)
    assert rc > 0, "want a clean non-zero exit, got %d\n%s" % (rc, err)
    assert "Sanitizer" not in err and "runtime error:" not in err, err
    assert err.strip(), "no message on stderr"


def test_config_file_and_env_priority(start_server, tmp_path):
    # The file names a listen address that cannot work and an admin token.
    # The environment's listen address wins over the file; the file's token
    # applies since the environment sets none.
    cfg = tmp_path / "campaignd.conf"
    cfg.write_text("# comment\nlisten = not-an-address\nadmin-token = from-file-token\n")
    srv = start_server(admin_token=None, args=["--config", str(cfg)])
    c = srv.client()
    c.admin_token = "from-file-token"
    try:
        r = c.admin("POST", "/v1/admin/accounts", json={"name": "filecfg"})
        assert r.status_code == 201, r.text
        r = c.req("POST", "/v1/admin/accounts", json={"name": "x"},
                  headers={"Authorization": "Bearer wrong"})
        assert_error(r, 401, "unauthenticated")
    finally:
        c.close()


def test_unrouted_requests_logged_once(server, client):
    pat_404 = re.compile(r"\bGET \S+ 404\b")
    pat_405 = re.compile(r"\bPUT \S+ 405\b")
    n404 = len(_wait_for_lines(server, pat_404, 0))
    n405 = len(_wait_for_lines(server, pat_405, 0))
    assert client.req("GET", "/v1/no/such/path").status_code == 404
    assert client.req("PUT", "/v1/campaigns").status_code == 405
    assert len(_wait_for_lines(server, pat_404, n404 + 1)) == n404 + 1
    assert len(_wait_for_lines(server, pat_405, n405 + 1)) == n405 + 1


def test_sigterm_during_unfinished_request(start_server):
    # a client that sent half a body and went quiet must not hold up shutdown
    import socket

    srv = start_server()
    c = srv.client()
    acct = c.create_account()
    c.close()
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30 * SLOW)
    try:
        s.sendall(("POST /v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\": "
                   % acct.api_key).encode())
        time.sleep(0.2)  # let the server take the headers (not a timing assertion)
        assert srv.stop(signal.SIGTERM) == 0
    finally:
        s.close()


@pytest.mark.skipif(ON_PG, reason="SQLite only: several nodes share a PostgreSQL database")
def test_second_process_on_one_sqlite_database_refuses_to_start(tmp_path):
    """One process per SQLite database: a second one exits with a clear line
    and the first keeps serving; once the first has stopped, it starts."""
    first = Server(tmp_path / "a").start()
    try:
        env = {k: v for k, v in first.environment().items()}
        env["CAMPAIGND_LISTEN"] = "127.0.0.1:%d" % free_port()
        p = subprocess.run([BIN], env=env, capture_output=True, text=True, timeout=30 * SLOW)
        assert p.returncode != 0
        assert "in use by another campaignd process" in p.stderr, p.stderr
        assert first.client().req("GET", "/readyz").status_code == 200
    finally:
        first.stop()
    again = Server(tmp_path / "b", db=first.db, admin_token=first.admin_token).start()
    again.stop()


@pytest.mark.skipif(ON_PG, reason="SQLite only: PostgreSQL nodes get a random id per start")
def test_restart_on_sqlite_takes_its_attempts_back_at_once(tmp_path):
    """SQLite's node is "local" across restarts: after kill -9 the attempts
    in flight are taken back at the start, not after their lease."""
    srv = Server(tmp_path / "a", env={"CAMPAIGND_SIM_CALL_MS": "60000"}).start()
    client = srv.client()
    acct = client.create_account()
    c = acct.create_campaign(voice_body())
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": "+1415555%04d" % i} for i in range(5)]})
    assert r.status_code == 200, r.text
    assert acct.post("/v1/campaigns/%s/start" % c["id"]).status_code == 200
    deadline = time.monotonic() + 10 * SLOW
    while acct.get_campaign(c["id"])["counters"]["dispatched"] < 5:
        assert time.monotonic() < deadline, "nothing dispatched"
        time.sleep(0.05)
    client.close()
    srv.stop(sig=signal.SIGKILL, check=False)
    srv.start()
    try:
        # taken at the start: all five are this node's own, none waits for a lease
        assert re.search(r"5 attempts in flight at start: .*0 of those awaiting are leased",
                         srv.log()), srv.log()[-3000:]
    finally:
        srv.stop()
