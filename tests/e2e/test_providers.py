"""Named providers (PUT/GET/DELETE /v1/admin/providers/{name}) and the
provider a carrier names: validation, the built-in sim, secrets never
answered, in-use and built-in refusals."""
import secrets

import pytest

from helpers import assert_error


def name(prefix="p"):
    return "%s-%s" % (prefix, secrets.token_hex(4))


def put(client, pname, body):
    return client.admin("PUT", "/v1/admin/providers/" + pname, json=body)


def carrier(client, cname, provider=None, channel="voice", prefixes=None):
    body = {"channel": channel, "prefixes": prefixes or [], "rate_per_second": 50,
            "max_concurrent": 10}
    if provider is not None:
        body["provider"] = provider
    return client.admin("PUT", "/v1/admin/carriers/" + cname, json=body)


def test_builtin_sim_is_listed(client):
    r = client.admin("GET", "/v1/admin/providers")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"data", "next_page_token"} and body["next_page_token"] is None
    sim = [p for p in body["data"] if p["name"] == "sim"]
    assert len(sim) == 1
    assert sim[0]["type"] == "sim" and sim[0]["builtin"] is True
    assert sim[0]["secrets_set"] == []
    assert isinstance(sim[0]["call_ms"], int) and isinstance(sim[0]["report_ms"], int)
    assert client.admin("GET", "/v1/admin/providers/sim").json() == sim[0]


def test_put_get_replace_delete(client):
    p = name()
    r = put(client, p, {"type": "sim", "call_ms": 50})
    assert r.status_code == 200, r.text
    assert r.json() == {"name": p, "type": "sim", "call_ms": 50, "report_ms": 100,
                        "secrets_set": [], "builtin": False}
    assert client.admin("GET", "/v1/admin/providers/" + p).json() == r.json()
    listed = [x["name"] for x in client.admin("GET", "/v1/admin/providers").json()["data"]]
    assert p in listed and listed == sorted(listed)
    r = put(client, p, {"type": "sim", "report_ms": 7})
    assert r.status_code == 200 and r.json()["call_ms"] == 300 and r.json()["report_ms"] == 7
    assert client.admin("DELETE", "/v1/admin/providers/" + p).status_code == 204
    assert_error(client.admin("GET", "/v1/admin/providers/" + p), 404, "not_found")
    assert_error(client.admin("DELETE", "/v1/admin/providers/" + p), 404, "not_found")


@pytest.mark.parametrize("body,field", [
    ({}, "type"),
    ({"type": "carrier-pigeon"}, "type"),
    ({"type": "twilio", "account_sid": "AC1"}, "auth_token"),
    ({"type": "sim", "call_ms": -1}, "call_ms"),
    ({"type": "sim", "call_ms": "fast"}, "call_ms"),
    ({"type": "sim", "colour": "red"}, "colour"),
    ({"type": "sim", "name": "someone-else"}, "name"),
])
def test_invalid_settings_change_nothing(client, body, field):
    p = name()
    assert_error(put(client, p, body), 422, "invalid_argument", field)
    assert_error(client.admin("GET", "/v1/admin/providers/" + p), 404, "not_found")


def test_bad_names_and_bodies(client):
    assert_error(put(client, "Bad_Name", {"type": "sim"}), 422, "invalid_argument", "name")
    r = client.admin("PUT", "/v1/admin/providers/" + name(), data=b"",
                     headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_json")


def test_sim_is_builtin(client):
    assert_error(put(client, "sim", {"type": "sim", "call_ms": 1}), 409, "provider_builtin")
    assert_error(client.admin("DELETE", "/v1/admin/providers/sim"), 409, "provider_builtin")
    assert client.admin("GET", "/v1/admin/providers/sim").json()["builtin"] is True


def test_admin_only(client):
    acct = client.create_account()
    r = acct.req("GET", "/v1/admin/providers")
    assert r.status_code == 401
    r = acct.req("PUT", "/v1/admin/providers/" + name(), json={"type": "sim"})
    assert r.status_code == 401


def test_carrier_names_its_provider(client):
    p = name()
    assert put(client, p, {"type": "sim"}).status_code == 200
    c = name("c")
    r = carrier(client, c, provider=p, prefixes=["+1212"])
    assert r.status_code == 200, r.text
    assert r.json()["provider"] == p
    got = client.admin("GET", "/v1/admin/carriers/" + c).json()
    assert got["provider"] == p
    # the default is sim, built-in carriers included
    c2 = name("c")
    assert carrier(client, c2, prefixes=["+1213"]).json()["provider"] == "sim"
    builtins = [x for x in client.admin("GET", "/v1/admin/carriers").json()["data"] if x["builtin"]]
    assert builtins and all(x["provider"] == "sim" for x in builtins)
    # in use: cannot be deleted until the carrier points elsewhere
    r = client.admin("DELETE", "/v1/admin/providers/" + p)
    assert_error(r, 409, "provider_in_use")
    assert c in r.json()["error"]["message"]
    assert carrier(client, c, provider="sim", prefixes=["+1212"]).status_code == 200
    assert client.admin("DELETE", "/v1/admin/providers/" + p).status_code == 204
    for x in (c, c2):
        assert client.admin("DELETE", "/v1/admin/carriers/" + x).status_code == 204


def test_carrier_with_unknown_provider_is_refused(client):
    c = name("c")
    r = carrier(client, c, provider="nobody-" + secrets.token_hex(3), prefixes=["+1214"])
    assert_error(r, 422, "invalid_argument", "provider")
    assert_error(client.admin("GET", "/v1/admin/carriers/" + c), 404, "not_found")
    r = carrier(client, c, provider="Not A Name", prefixes=["+1214"])
    assert_error(r, 422, "invalid_argument", "provider")


def test_builtin_carrier_can_name_a_provider(client):
    p = name()
    assert put(client, p, {"type": "sim"}).status_code == 200
    cur = client.admin("GET", "/v1/admin/carriers/default-sms").json()
    body = {k: cur[k] for k in ("channel", "rate_per_second", "burst", "max_concurrent")}
    r = client.admin("PUT", "/v1/admin/carriers/default-sms", json=dict(body, provider=p))
    assert r.status_code == 200 and r.json()["provider"] == p
    assert_error(client.admin("DELETE", "/v1/admin/providers/" + p), 409, "provider_in_use")
    r = client.admin("PUT", "/v1/admin/carriers/default-sms", json=dict(body, provider="sim"))
    assert r.status_code == 200 and r.json()["provider"] == "sim"
    assert client.admin("DELETE", "/v1/admin/providers/" + p).status_code == 204


# ---- the engine sends each carrier's recipients through the carrier's provider

def _wait(fn, timeout, what):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def _pages(acct, path, params):
    rows, token = [], None
    while True:
        p = dict(params, page_size=200)
        if token:
            p["page_token"] = token
        r = acct.get(path, params=p)
        assert r.status_code == 200, r.text
        rows += r.json()["data"]
        token = r.json()["next_page_token"]
        if not token:
            return rows


def test_carrier_recipients_go_through_its_named_provider(start_server):
    from helpers import SLOW, sms_body
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": "50", "CAMPAIGND_SIM_REPORT_MS": "20"})
    client = srv.client()
    acct = client.create_account()
    # a slower simulated route for New York numbers, and one for sms
    assert put(client, "sim-ny", {"type": "sim", "call_ms": 400}).status_code == 200
    assert put(client, "sim-sms", {"type": "sim", "report_ms": 10}).status_code == 200
    assert carrier(client, "ny", provider="sim-ny", prefixes=["+1212"]).status_code == 200
    assert carrier(client, "sms-all", provider="sim-sms", channel="sms",
                   prefixes=["+1"]).status_code == 200
    c = acct.create_campaign()
    ny = ["+1212555010%d" % d for d in range(5)]
    sf = ["+1415555010%d" % d for d in range(5)]
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": n} for n in ny + sf]})
    assert r.status_code == 200 and r.json()["accepted"] == 10, r.text
    s = acct.create_campaign(sms_body())
    r = acct.post("/v1/campaigns/%s/recipients" % s["id"],
                  json={"recipients": [{"phone_number": "+14155550100", "params": {"name": "A"}}]})
    assert r.status_code == 200, r.text
    for cid in (c["id"], s["id"]):
        assert acct.post("/v1/campaigns/%s/start" % cid).status_code == 200
    _wait(lambda: acct.get_campaign(c["id"])["status"] == "completed", 30 * SLOW, "voice done")
    _wait(lambda: acct.get_campaign(s["id"])["status"] == "completed", 30 * SLOW, "sms done")
    calls = _pages(acct, "/v1/calls", {"campaign_id": c["id"]})
    assert len(calls) == 10
    for call in calls:
        want = "sim-ny" if call["to"].startswith("+1212") else "sim"
        assert call["provider"] == want, call
        # the provider's id of every accepted call is kept
        assert call["provider_call_id"] and call["provider_call_id"].startswith("SIM"), call
        if call["status"] == "completed":
            # each provider's own call length: 400 ms against 50 ms
            secs = call["duration_seconds"]
            assert (secs >= 0.35) if want == "sim-ny" else (secs < 0.35), call
    [m] = _pages(acct, "/v1/messages", {"campaign_id": s["id"]})
    assert m["provider"] == "sim-sms" and m["provider_message_id"].startswith("SIM"), m
    assert m["status"] == "delivered", m
    client.close()


def test_restart_hands_over_only_what_never_arrived(start_server, tmp_path):
    """kill -9 while calls are in flight: at the restart, every attempt the
    sim holds is not handed over again, and none is dialled twice."""
    import collections
    import signal
    from helpers import SLOW
    env = {"CAMPAIGND_SIM_CALL_MS": "2000", "CAMPAIGND_DEFAULT_VOICE_RATE": "500",
           "CAMPAIGND_DEFAULT_VOICE_BURST": "50", "CAMPAIGND_DEFAULT_VOICE_CONCURRENCY": "300"}
    db = tmp_path / "c.db"
    srv = start_server(env=env, db=db, name="first")
    client = srv.client()
    acct = client.create_account()
    c = acct.create_campaign()
    n = 400
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": "+1415%07d" % (3000000 + i)}
                                       for i in range(n)]})
    assert r.status_code == 200, r.text
    assert acct.post("/v1/campaigns/%s/start" % c["id"]).status_code == 200
    _wait(lambda: acct.get_campaign(c["id"])["counters"]["dispatched"] >= 100, 30 * SLOW,
          "calls in flight")
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.stop(check=False)
    client.close()
    again = start_server(env=env, db=db, admin_token=srv.admin_token, name="second")
    acct.client = again.client()
    _wait(lambda: acct.get_campaign(c["id"])["status"] == "completed", 60 * SLOW, "completion")
    log = again.log()
    line = [l for l in log.splitlines() if "attempts in flight at start" in l]
    assert line, log[-3000:]
    import re
    got = re.search(r"(\d+) attempts in flight at start: (\d+) handed over now \(never "
                    r"received\), (\d+) held by their provider, (\d+) awaiting reports, (\d+) "
                    r"of unknown fate", line[0])
    assert got, line[0]
    total, again_, held, waiting, unknown = map(int, got.groups())
    assert total >= 100 and waiting >= 1, line[0]  # accepted calls just wait for their ends
    assert unknown == 0, line[0]  # the sim always tells what it holds
    assert total == again_ + held + waiting + unknown, line[0]
    calls = _pages(acct, "/v1/calls", {"campaign_id": c["id"]})
    per = collections.Counter(x["recipient_id"] for x in calls)
    assert len(per) == n and max(per.values()) == 1, "a recipient was dialled twice"
    assert all(x["provider_call_id"] for x in calls)
    acct.client.close()


# ---- provider callbacks: the thread-safe, durable path into the engine

def _dispatched_calls(acct, cid, want, timeout):
    from helpers import SLOW
    return _wait(lambda: (lambda calls: calls if len(calls) >= want else None)(
        _pages(acct, "/v1/calls", {"campaign_id": cid})), timeout * SLOW, "dispatched calls")


def test_call_report_from_outside_applies_forward_only(start_server):
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": "50"})
    client = srv.client()
    acct = client.create_account()
    assert put(client, "sim-long", {"type": "sim", "call_ms": 3000}).status_code == 200
    assert carrier(client, "long", provider="sim-long", prefixes=["+1212"]).status_code == 200
    c = acct.create_campaign(retry_policy={"max_attempts": 1, "delay_seconds": 0})
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": "+12125550100"}]})
    assert r.status_code == 200, r.text
    assert acct.post("/v1/campaigns/%s/start" % c["id"]).status_code == 200
    [call] = _dispatched_calls(acct, c["id"], 1, 20)
    path = "/v1/providers/sim-long/calls/" + call["id"]
    # the provider says busy long before its own simulated end
    r = client.admin("POST", path, json={"status": "busy", "provider_id": "EXT1"})
    assert r.status_code == 204, r.text
    done = _wait(lambda: (lambda x: x if x["status"] == "completed" else None)(
        acct.get_campaign(c["id"])), 20, "completion")
    assert done["counters"]["dispositions"]["busy"] == 1
    got = acct.get("/v1/calls/" + call["id"]).json()
    assert got["status"] == "busy" and got["provider_call_id"] == "EXT1", got
    # a repeated report, and the sim's own later end, change nothing
    assert client.admin("POST", path, json={"status": "completed"}).status_code == 204
    import time
    time.sleep(3.5)
    assert acct.get("/v1/calls/" + call["id"]).json()["status"] == "busy"
    after = acct.get_campaign(c["id"])
    assert after["counters"] == done["counters"]
    client.close()


def test_callback_refusals(start_server):
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": "2000"})
    client = srv.client()
    acct = client.create_account()
    assert put(client, "sim-other", {"type": "sim"}).status_code == 200
    c = acct.create_campaign()
    acct.post("/v1/campaigns/%s/recipients" % c["id"],
              json={"recipients": [{"phone_number": "+14155550100"}]})
    acct.post("/v1/campaigns/%s/start" % c["id"])
    [call] = _dispatched_calls(acct, c["id"], 1, 20)
    ok = {"status": "completed"}
    assert_error(client.admin("POST", "/v1/providers/nobody/calls/" + call["id"], json=ok),
                 404, "not_found")
    assert_error(client.admin("POST", "/v1/providers/sim/calls/call_nope", json=ok),
                 404, "not_found")
    # the attempt belongs to sim, not to sim-other
    assert_error(client.admin("POST", "/v1/providers/sim-other/calls/" + call["id"], json=ok),
                 404, "not_found")
    # a call is not a message
    assert_error(client.admin("POST", "/v1/providers/sim/messages/" + call["id"],
                              json={"status": "delivered"}), 404, "not_found")
    base = "/v1/providers/sim/calls/" + call["id"]
    for body, field in [({"status": "queued"}, "status"), ({"status": "bogus"}, "status"),
                        ({"status": "busy", "answered_by": "robot"}, "answered_by"),
                        ({"status": "busy", "duration_seconds": -1}, "duration_seconds"),
                        ({}, "status"), ({"status": "completed", "ended_at": "yesterday"},
                                         "ended_at"),
                        ({"status": "completed", "colour": 1}, "colour")]:
        assert_error(client.admin("POST", base, json=body), 422, "invalid_argument", field)
    r = client.admin("POST", base, data=b"", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_json")
    assert acct.req("POST", base, json=ok).status_code == 401
    # nothing above changed the call
    assert acct.get("/v1/calls/" + call["id"]).json()["ended_at"] is None
    client.close()


def test_message_report_from_outside(start_server):
    from helpers import sms_body
    srv = start_server(env={"CAMPAIGND_SIM_REPORT_MS": "5000"})
    client = srv.client()
    acct = client.create_account()
    s = acct.create_campaign(sms_body())
    acct.post("/v1/campaigns/%s/recipients" % s["id"],
              json={"recipients": [{"phone_number": "+14155550100", "params": {"name": "A"}}]})
    acct.post("/v1/campaigns/%s/start" % s["id"])
    [m] = _wait(lambda: (lambda ms: ms if ms and ms[0]["status"] == "sent" else None)(
        _pages(acct, "/v1/messages", {"campaign_id": s["id"]})), 20, "sent")
    assert m["error_code"] is None
    r = client.admin("POST", "/v1/providers/sim/messages/" + m["id"],
                     json={"status": "undelivered", "error_code": "30008"})
    assert r.status_code == 204, r.text
    got = _wait(lambda: (lambda x: x if x["status"] == "undelivered" else None)(
        acct.get("/v1/messages/" + m["id"]).json()), 20, "undelivered")
    assert got["failed_at"] is not None and got["error_code"] == "30008"
    c = acct.get_campaign(s["id"])
    assert c["counters"]["failed"] == 1 and c["counters"]["dispositions"]["undelivered"] == 1
    client.close()


def test_a_reported_end_survives_a_kill(start_server, tmp_path):
    """The 204 comes after the report is durable: kill -9 at once, restart,
    and the end holds."""
    import signal
    from helpers import SLOW
    env = {"CAMPAIGND_SIM_CALL_MS": "600000"}  # the sim itself would end it in 10 minutes
    db = tmp_path / "c.db"
    srv = start_server(env=env, db=db, name="first")
    client = srv.client()
    acct = client.create_account()
    c = acct.create_campaign()
    acct.post("/v1/campaigns/%s/recipients" % c["id"],
              json={"recipients": [{"phone_number": "+14155550100"}]})
    acct.post("/v1/campaigns/%s/start" % c["id"])
    [call] = _dispatched_calls(acct, c["id"], 1, 20)
    # the hand-over's answer (the provider's id) is written with the
    # engine's next pass (--engine-gather-ms): wait until it is
    _wait(lambda: acct.get("/v1/calls/" + call["id"]).json()["provider_call_id"], 20 * SLOW,
          "the provider's id")
    r = client.admin("POST", "/v1/providers/sim/calls/" + call["id"],
                     json={"status": "no_answer"})
    assert r.status_code == 204
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.stop(check=False)
    client.close()
    again = start_server(env=env, db=db, admin_token=srv.admin_token, name="second")
    acct.client = again.client()
    done = _wait(lambda: (lambda x: x if x["status"] == "completed" else None)(
        acct.get_campaign(c["id"])), 20 * SLOW, "completion")
    assert done["counters"]["dispositions"]["no_answer"] == 1
    got = acct.get("/v1/calls/" + call["id"]).json()
    assert got["status"] == "no_answer"
    # a report without the provider's id keeps the one the provider gave at
    # the hand-over
    assert got["provider_call_id"] and got["provider_call_id"].startswith("SIM"), got
    acct.client.close()


def test_reports_from_many_threads_at_once_all_apply(start_server):
    import concurrent.futures
    from helpers import SLOW
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": "50"})
    client = srv.client()
    acct = client.create_account()
    assert put(client, "sim-hold", {"type": "sim", "call_ms": 600000}).status_code == 200
    r = client.admin("PUT", "/v1/admin/carriers/hold", json={
        "channel": "voice", "prefixes": ["+1212"], "rate_per_second": 1000, "burst": 200,
        "max_concurrent": 500, "provider": "sim-hold"})
    assert r.status_code == 200, r.text
    c = acct.create_campaign()
    n = 200
    acct.post("/v1/campaigns/%s/recipients" % c["id"],
              json={"recipients": [{"phone_number": "+1212555%04d" % i} for i in range(n)]})
    acct.post("/v1/campaigns/%s/start" % c["id"])
    calls = _dispatched_calls(acct, c["id"], n, 30)
    statuses = ["completed", "busy", "no_answer", "failed"]

    def send(i):
        cl = srv.client()
        try:
            return cl.admin("POST", "/v1/providers/sim-hold/calls/" + calls[i]["id"],
                            json={"status": statuses[i % 4]}).status_code
        finally:
            cl.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(send, range(n)))
    assert codes == [204] * n
    done = _wait(lambda: (lambda x: x if x["status"] == "completed" else None)(
        acct.get_campaign(c["id"])), 30 * SLOW, "completion")
    disp = done["counters"]["dispositions"]
    assert (disp["completed"], disp["busy"], disp["no_answer"], disp["failed"]) == (50, 50, 50, 50)
    by_id = {x["id"]: x for x in _pages(acct, "/v1/calls", {"campaign_id": c["id"]})}
    for i in range(n):
        assert by_id[calls[i]["id"]]["status"] == statuses[i % 4]
    client.close()
