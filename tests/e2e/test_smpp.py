"""The smpp provider against a stand-in SMSC (tests/smsc/smsc.js, on the npm
smpp package's server): bind_transceiver with the provider's credentials,
submit_sm with registered_delivery 1, message ids from submit_sm_resp as
provider_message_id, delivery receipts in both forms (TLVs, and the
"id:... stat:..." text) moving messages to delivered / undelivered, a long
body as concatenated segments (UDH) delivered once every segment is,
receipts that come before their submit_sm_resp, ESME_RTHROTTLED (no attempt
used), a refused submit (the status as error_code), a connection dropped
with submits in the window (unknown, never sent again), a refused bind, and
the settings (password never shown); a message of several segments
decided by all its segments' receipts across a kill -9 and restart."""
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import free_port
from helpers import SLOW, add_recipients, assert_error, sms_body, start_campaign
from twilio_standin import carrier, wait_for

SMSC_DIR = os.path.join(os.path.dirname(__file__), "..", "smsc")
ENV = {"CAMPAIGND_LEASE_MS": "2000", "CAMPAIGND_PROVIDER_ALLOW_PRIVATE": "1"}

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not os.path.isdir(os.path.join(SMSC_DIR, "node_modules",
                                                                    "smpp")),
    reason="the stand-in SMSC needs node and tests/smsc/node_modules (scripts/deps.sh)")


class Smsc:
    def __init__(self):
        self.port, self.control = free_port(), free_port()
        self.proc = subprocess.Popen(["node", "smsc.js", str(self.port), str(self.control)],
                                     cwd=SMSC_DIR, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.control
        wait_for(self._up, 10 * SLOW, "the stand-in SMSC")

    def _up(self):
        try:
            return requests.get(self.base + "/state", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    def state(self):
        return requests.get(self.base + "/state", timeout=5).json()

    def post(self, path, body=None):
        r = requests.post(self.base + path, json=body or {}, timeout=5)
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def smsc():
    s = Smsc()
    yield s
    s.stop()


def provider(client, smsc, name="sm", **extra):
    body = {"type": "smpp", "host": "127.0.0.1", "port": smsc.port, "system_id": "campaignd",
            "password": "secret"}
    body.update(extra)
    r = client.admin("PUT", "/v1/admin/providers/" + name, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def smpp_campaign(srv, smsc, numbers, body="Hi {{name}}", retry_policy=None, **extra):
    client = srv.client()
    provider(client, smsc, **extra)
    carrier(client, "sm-sms", "sm", "sms", ["+1212"])
    wait_for(lambda: smsc.state()["sessions"] >= 1, 10 * SLOW, "the bind")
    acct = client.create_account()
    over = {"config": {"from": "+14155550199", "body": body}}
    if retry_policy:
        over["retry_policy"] = retry_policy
    c = acct.create_campaign(body=sms_body(**over))
    add_recipients(acct, c["id"], numbers)
    return client, acct, c


def start(acct, c):
    start_campaign(acct, c["id"])


def disp(c):
    return {k: v for k, v in c["counters"]["dispositions"].items() if v}


def campaign_done(acct, cid, dispositions, timeout=20):
    return wait_for(lambda: (lambda c: c if c["status"] == "completed" and
                             disp(c) == dispositions else None)(acct.get_campaign(cid)),
                    timeout * SLOW, "the campaign to complete with %s" % dispositions)


def messages(acct, cid):
    r = acct.get("/v1/messages", params={"campaign_id": cid})
    assert r.status_code == 200, r.text
    return sorted(r.json()["data"], key=lambda m: m["to"])


def test_settings_and_password_never_shown(start_server, smsc):
    srv = start_server(env=ENV)
    client = srv.client()
    base = {"type": "smpp", "host": "127.0.0.1", "port": smsc.port, "system_id": "campaignd",
            "password": "secret"}
    for field, bad in (("port", 0), ("port", "x"), ("window", 0), ("binds", 99),
                       ("system_id", "x" * 16), ("password", "123456789"),
                       ("enquire_link_seconds", 0), ("enquire_link_seconds", 3601),
                       ("enquire_link_seconds", "15"), ("reconnect_max_seconds", 0),
                       ("reconnect_max_seconds", 1.5)):
        assert_error(client.admin("PUT", "/v1/admin/providers/sm", json=dict(base, **{field: bad})),
                     422, "invalid_argument", field)
    no_host = dict(base)
    del no_host["host"]
    assert_error(client.admin("PUT", "/v1/admin/providers/sm", json=no_host), 422,
                 "invalid_argument", "host")
    got = provider(client, smsc)
    assert got == {"name": "sm", "type": "smpp", "host": "127.0.0.1", "port": smsc.port,
                   "system_id": "campaignd", "system_type": "", "window": 10, "binds": 1,
                   "enquire_link_seconds": 15, "reconnect_max_seconds": 30,
                   "secrets_set": ["password"], "builtin": False}
    # voice and whatsapp carriers cannot use it
    r = client.admin("PUT", "/v1/admin/carriers/v", json={
        "channel": "voice", "prefixes": ["+1212"], "rate_per_second": 1, "max_concurrent": 1,
        "provider": "sm"})
    assert_error(r, 422, "invalid_argument", "provider")
    wait_for(lambda: any(b["ok"] for b in smsc.state()["binds"]), 10 * SLOW, "the bind")
    assert "secret" not in srv.log()
    client.close()


@pytest.mark.parametrize("form", ["tlv", "text"])
def test_campaign_completes_with_receipts(start_server, smsc, form):
    smsc.post("/config", {"receipt_form": form, "stat": {"12125550111": "UNDELIV"}})
    srv = start_server(env=ENV)
    client, acct, c = smpp_campaign(srv, smsc, ["+12125550110", "+12125550111", "+12125550112"],
                            body="Olá {{name}} ✓")
    start(acct, c)
    campaign_done(acct, c["id"], {"delivered": 2, "undelivered": 1})
    ok, bad, ok2 = messages(acct, c["id"])
    assert ok["status"] == "delivered" and ok2["status"] == "delivered"
    assert bad["status"] == "undelivered"
    subs = smsc.state()["submits"]
    assert len(subs) == 3
    by_id = {s["message_id"]: s for s in subs}
    assert ok["provider_message_id"] in by_id
    s = by_id[ok["provider_message_id"]]
    assert s["to"] == "12125550110" and s["from"] == "14155550199"
    assert s["registered_delivery"] == 1 and s["data_coding"] == 8  # UCS-2 for ✓
    assert s["text"] == "Olá Zoë ✓"
    assert smsc.state()["binds"][0] == {"system_id": "campaignd", "system_type": "", "ok": True}
    # every receipt answered, once the report is stored
    wait_for(lambda: smsc.state()["deliver_resps"] == 3, 10 * SLOW, "deliver_sm_resp")
    assert smsc.state()["receipts"] == 3
    client.close()


def test_long_body_goes_as_segments_and_early_receipts(start_server, smsc):
    smsc.post("/config", {"receipt_before_resp": True, "stat": {"12125550121": "EXPIRED"}})
    srv = start_server(env=ENV)
    body = "Hello {name}, " + "this is a long reminder. " * 12  # GSM-7, 3 segments
    client, acct, c = smpp_campaign(srv, smsc, ["+12125550120", "+12125550121"], body=body)
    start(acct, c)
    campaign_done(acct, c["id"], {"delivered": 1, "undelivered": 1})
    ok, bad = messages(acct, c["id"])
    assert ok["segments"] == 3 and ok["status"] == "delivered"
    assert bad["status"] == "undelivered"
    subs = [s for s in smsc.state()["submits"] if s["to"] == "12125550120"]
    assert len(subs) == 3, smsc.state()["submits"]
    assert all(s["esm_class"] & 0x40 and s["data_coding"] == 0 for s in subs)
    udh = sorted(s["udh"][0] for s in subs)
    ref = udh[0][4:6]
    assert udh == ["0003%s03%02x" % (ref, k) for k in (1, 2, 3)], udh
    assert "".join(s["text"] for s in sorted(subs, key=lambda s: s["udh"][0])).startswith(
        "Hello {name}, this is a long reminder.")
    client.close()


def test_an_early_receipt_is_answered_once_its_report_is_stored(start_server, smsc):
    """A receipt that comes before its submit_sm_resp stays unanswered until
    the message is known and its report stored: a crash meanwhile leaves it
    with the SMSC, which sends it again."""
    smsc.post("/config", {"receipt_before_resp": True, "receipt_lead_ms": 3000})
    srv = start_server(env=ENV)
    client, acct, c = smpp_campaign(srv, smsc, ["+12125550125"])
    start(acct, c)
    wait_for(lambda: smsc.state()["receipts"] == 1, 10 * SLOW, "the early receipt")
    time.sleep(0.5)
    assert smsc.state()["deliver_resps"] == 0  # its message is not known yet
    campaign_done(acct, c["id"], {"delivered": 1})
    wait_for(lambda: smsc.state()["deliver_resps"] == 1, 10 * SLOW, "the receipt answered")
    client.close()


def test_throttle_then_success_uses_no_attempt(start_server, smsc):
    smsc.post("/config", {"throttle_next": 1})
    srv = start_server(env=ENV)
    client, acct, c = smpp_campaign(srv, smsc, ["+12125550130"])
    start(acct, c)
    campaign_done(acct, c["id"], {"delivered": 1}, timeout=30)
    [m] = messages(acct, c["id"])
    assert m["status"] == "delivered" and m["attempt"] == 1
    st = smsc.state()
    assert st["throttled"] == 1 and len(st["submits"]) == 1
    client.close()


def test_refused_submit_fails_with_status(start_server, smsc):
    smsc.post("/config", {"reject_next": 1, "reject_status": 0x0B})
    srv = start_server(env=ENV)
    client, acct, c = smpp_campaign(srv, smsc, ["+12125550140"])
    start(acct, c)
    done = wait_for(lambda: (lambda c: c if c["status"] == "completed" else None)(
        acct.get_campaign(c["id"])), 20 * SLOW, "the campaign to complete")
    assert done["counters"]["failed"] == 1
    [m] = messages(acct, c["id"])
    assert m["status"] == "failed" and m["error_code"] == "0x0000000b"
    client.close()


def test_dropped_connection_unknown_never_resent(start_server, smsc):
    smsc.post("/config", {"hold": True})
    srv = start_server(env=dict(ENV, CAMPAIGND_UNKNOWN_SUBMIT_SECONDS="2"))
    client, acct, c = smpp_campaign(srv, smsc, ["+12125550150", "+12125550151", "+12125550152"])
    start(acct, c)
    wait_for(lambda: smsc.state()["held"] == 3, 10 * SLOW, "three submits in the window")
    smsc.post("/config", {"hold": False})
    smsc.post("/drop")
    done = campaign_done(acct, c["id"], {"unknown": 3}, timeout=30)
    assert done["counters"]["failed"] == 3
    wait_for(lambda: smsc.state()["sessions"] == 1, 10 * SLOW, "the re-bind")
    time.sleep(1 * SLOW)
    st = smsc.state()
    assert len(st["submits"]) == 3  # never sent again
    assert sum(1 for b in st["binds"] if b["ok"]) >= 2
    assert "unknown fate" in srv.log()
    client.close()


def test_refused_bind_sends_nothing(start_server, smsc):
    srv = start_server(env=ENV)
    client = srv.client()
    provider(client, smsc, password="wrong")
    wait_for(lambda: smsc.state()["binds"], 10 * SLOW, "a bind")
    assert smsc.state()["binds"][0]["ok"] is False
    assert "bind 0 refused" in srv.log()
    client.close()


def test_inbound_stop_records_an_opt_out(start_server, smsc):
    srv = start_server(env=ENV)
    client, acct, c = smpp_campaign(srv, smsc, ["+12125550160"])
    start(acct, c)
    campaign_done(acct, c["id"], {"delivered": 1})
    got = smsc.post("/inbound", {"from": "12125550160", "to": "14155550199", "body": " stop "})
    assert got["sessions"] == 1
    opt = wait_for(lambda: acct.get("/v1/opt-outs").json()["data"], 10 * SLOW, "the opt-out")
    assert [(o["phone_number"], o["channel"], o["source"]) for o in opt] == \
        [("+12125550160", "sms", "inbound")]
    smsc.post("/inbound", {"from": "12125550160", "to": "14155550199", "body": "START"})
    wait_for(lambda: not acct.get("/v1/opt-outs").json()["data"], 10 * SLOW, "the opt-in")
    smsc.post("/inbound", {"from": "12125550161", "to": "14155550199", "body": "STOP PLEASE"})
    time.sleep(0.5)
    assert acct.get("/v1/opt-outs").json()["data"] == []
    assert "inbound message from +12125550161 to +14155550199: none" in srv.log()
    client.close()


def test_slow_smsc_fills_the_window(start_server, smsc):
    """With window 2, an SMSC that answers nothing holds two submits, no
    more; answered, the rest follow and the campaign completes."""
    smsc.post("/config", {"hold": True})
    srv = start_server(env=ENV)
    numbers = ["+1212555017%d" % i for i in range(5)]
    client, acct, c = smpp_campaign(srv, smsc, numbers, window=2)
    start(acct, c)
    wait_for(lambda: smsc.state()["held"] == 2, 10 * SLOW, "a full window")
    time.sleep(1 * SLOW)
    assert smsc.state()["held"] == 2 and len(smsc.state()["submits"]) == 2
    smsc.post("/config", {"hold": False})
    smsc.post("/release")
    campaign_done(acct, c["id"], {"delivered": 5})
    assert len(smsc.state()["submits"]) == 5
    client.close()


def test_enquire_link_and_unknown_pdus(start_server, smsc):
    """The SMSC's enquire_link is answered; a PDU of a command nobody knows
    gets generic_nack ESME_RINVCMDID with its sequence number, and the
    session carries on; stopping the server unbinds."""
    srv = start_server(env=ENV)
    client, acct, c = smpp_campaign(srv, smsc, ["+12125550180"])
    smsc.post("/enquire")
    wait_for(lambda: smsc.state()["enquire_link_resps"] == 1, 10 * SLOW, "enquire_link_resp")
    smsc.post("/raw", {"hex": "00000010" "00000099" "00000000" "0000abcd"})
    wait_for(lambda: smsc.state()["generic_nacks"], 10 * SLOW, "generic_nack")
    assert smsc.state()["generic_nacks"] == [{"status": 3, "sequence": 0xabcd}]
    start(acct, c)
    campaign_done(acct, c["id"], {"delivered": 1})
    client.close()
    srv.stop()
    wait_for(lambda: smsc.state()["unbinds"] == 1, 10 * SLOW, "unbind")


LONG_BODY = "Hello {name}, " + "this is a long reminder. " * 12  # GSM-7, 3 segments


def _three_segments_then_restart(srv, smsc, number):
    """A 3-segment message accepted, segment 1's receipt (DELIVRD) answered,
    then kill -9 and a restart on the same database; the message and its
    segments' message ids."""
    smsc.post("/config", {"manual_receipts": True})
    client, acct, c = smpp_campaign(srv, smsc, [number], body=LONG_BODY)
    start(acct, c)
    wait_for(lambda: (lambda m: m if m and m[0]["status"] == "sent" else None)(
        messages(acct, c["id"])), 20 * SLOW, "the message accepted and stored")
    subs = [s for s in smsc.state()["submits"] if s["answered"]]
    assert len(subs) == 3, subs
    ids = [s["message_id"] for s in sorted(subs, key=lambda s: s["udh"][0])]
    smsc.post("/receipt", {"id": ids[0], "stat": "DELIVRD"})
    wait_for(lambda: smsc.state()["deliver_resps"] == 1, 10 * SLOW, "segment 1's receipt answered")
    time.sleep(0.3 * SLOW)
    [m] = messages(acct, c["id"])
    assert m["status"] == "sent"  # one segment of three: not delivered yet
    client.close()
    srv.stop(sig=signal.SIGKILL, check=False)
    binds = sum(1 for b in smsc.state()["binds"] if b["ok"])
    srv.start()
    wait_for(lambda: sum(1 for b in smsc.state()["binds"] if b["ok"]) > binds and
             smsc.state()["sessions"] >= 1, 10 * SLOW, "the re-bind after the restart")
    acct.client = srv.client()
    return acct, c, ids


def test_segments_delivered_across_restart(start_server, smsc):
    """Segment 1's receipt before kill -9, segments 2 and 3 after the
    restart: delivered only once the last one came."""
    srv = start_server(env=ENV)
    acct, c, ids = _three_segments_then_restart(srv, smsc, "+12125550190")
    smsc.post("/receipt", {"id": ids[1], "stat": "DELIVRD"})
    wait_for(lambda: smsc.state()["deliver_resps"] == 2, 10 * SLOW, "segment 2's receipt answered")
    time.sleep(0.3 * SLOW)
    [m] = messages(acct, c["id"])
    assert m["status"] == "sent"
    smsc.post("/receipt", {"id": ids[2], "stat": "DELIVRD"})
    campaign_done(acct, c["id"], {"delivered": 1})
    [m] = messages(acct, c["id"])
    assert m["status"] == "delivered" and m["segments"] == 3
    assert m["provider_message_id"] == ids[0]
    wait_for(lambda: smsc.state()["deliver_resps"] == 3, 10 * SLOW, "the last receipt answered")
    acct.client.close()


def test_segment_undelivered_after_restart(start_server, smsc):
    """Segment 1 delivered before kill -9, segment 2 UNDELIV after the
    restart: the message is undelivered at once, segment 3's receipt
    changes nothing."""
    srv = start_server(env=ENV)
    acct, c, ids = _three_segments_then_restart(srv, smsc, "+12125550191")
    smsc.post("/receipt", {"id": ids[1], "stat": "UNDELIV"})
    campaign_done(acct, c["id"], {"undelivered": 1})
    smsc.post("/receipt", {"id": ids[2], "stat": "DELIVRD"})
    wait_for(lambda: smsc.state()["deliver_resps"] == 3, 10 * SLOW, "every receipt answered")
    [m] = messages(acct, c["id"])
    assert m["status"] == "undelivered"
    acct.client.close()


def _resolves_private(name):
    try:
        addrs = {a[4][0] for a in socket.getaddrinfo(name, None)}
    except socket.gaierror:
        return False
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_private or
                               ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)


def test_private_host_refused_unless_allowed(start_server, smsc):
    """Without CAMPAIGND_PROVIDER_ALLOW_PRIVATE, a loopback, private or
    link-local host is refused (422 on host), as HTTP providers' base_url;
    a name that resolves to such an address only is accepted as a setting
    but never connected to (refused and logged at connect time)."""
    srv = start_server(env={"CAMPAIGND_LEASE_MS": "2000"})
    client = srv.client()
    base = {"type": "smpp", "port": smsc.port, "system_id": "campaignd", "password": "secret"}
    for host in ("127.0.0.1", "10.0.0.5", "169.254.1.1", "::1", "localhost", "192.168.1.9"):
        r = client.admin("PUT", "/v1/admin/providers/sm", json=dict(base, host=host))
        assert_error(r, 422, "invalid_argument", "host")
        assert "CAMPAIGND_PROVIDER_ALLOW_PRIVATE" in r.json()["error"]["message"]
    assert client.admin("GET", "/v1/admin/providers/sm").status_code == 404
    name = socket.gethostname()
    if not _resolves_private(name):
        pytest.skip("this machine's name (%s) does not resolve to a private address" % name)
    r = client.admin("PUT", "/v1/admin/providers/sm", json=dict(base, host=name))
    assert r.status_code == 200, r.text
    wait_for(lambda: "resolves to" in srv.log() and "a private address" in srv.log(),
             10 * SLOW, "the refusal at connect time")
    time.sleep(0.3 * SLOW)
    assert smsc.state()["binds"] == []
    client.close()


def test_silent_smsc_breaks_after_three_enquire_links(start_server, smsc):
    """enquire_link_seconds 1: an SMSC that stops answering enquire_link
    (and sends nothing else) breaks the session after three intervals, not
    at the first unanswered one; the submits in its window get an unknown
    fate and are never sent again; the provider binds again."""
    smsc.post("/config", {"hold": True})
    srv = start_server(env=dict(ENV, CAMPAIGND_UNKNOWN_SUBMIT_SECONDS="2"))
    client, acct, c = smpp_campaign(srv, smsc, ["+12125550200", "+12125550201"],
                                    enquire_link_seconds=1, reconnect_max_seconds=2)
    assert client.admin("GET", "/v1/admin/providers/sm").json()["enquire_link_seconds"] == 1
    start(acct, c)
    wait_for(lambda: smsc.state()["held"] == 2, 10 * SLOW, "two submits in the window")
    wait_for(lambda: smsc.state()["enquire_links"] >= 1, 10 * SLOW, "an enquire_link")
    smsc.post("/config", {"mute_enquire": True, "hold": False})
    muted_at = smsc.state()["enquire_links"]
    wait_for(lambda: "stopped answering enquire_link" in srv.log(), 15 * SLOW, "the break")
    smsc.post("/config", {"mute_enquire": False})
    # three intervals of silence: at least two enquire_links went unanswered
    assert smsc.state()["enquire_links"] - muted_at >= 2
    assert "2 submits in its window have an unknown fate" in srv.log()
    done = campaign_done(acct, c["id"], {"unknown": 2}, timeout=30)
    assert done["counters"]["failed"] == 2
    wait_for(lambda: sum(1 for b in smsc.state()["binds"] if b["ok"]) >= 2, 10 * SLOW,
             "the re-bind")
    time.sleep(1 * SLOW)
    assert len(smsc.state()["submits"]) == 2  # never sent again
    client.close()
