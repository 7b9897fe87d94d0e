"""Webhook URLs that reach a loopback address through an IPv6 form that
embeds an IPv4 one (IPv4-mapped, SIIT, NAT64, 6to4, IPv4-compatible):
refused at create with 422, and refused at connect time as well (the check
of the address actually connected to, which is what stops a host name that
resolves to such an address).

To reach the connect-time check with a literal address, the campaigns are
created while private addresses are allowed, and the server is then
restarted on the same database without that setting: the stored URLs must
still not be reached, and each event's last_error must say why."""
import pytest

from helpers import assert_error, voice_body
from test_webhooks import ENV, NOPRIV, events, receivers, start, upload, wait_for  # noqa: F401

FORMS = ["[::ffff:0:7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::127.0.0.1]",
         "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b:1::7f00:1]",
         "[2001:0:808:808::80ff:fffe]"]


@pytest.mark.parametrize("host", FORMS)
def test_embedded_loopback_is_refused_at_create(start_server, host):
    srv = start_server(env=NOPRIV)
    client = srv.client()
    acct = client.create_account()
    body = voice_body()
    body["config"]["webhook_url"] = "http://%s:8080/hook" % host
    assert_error(acct.post("/v1/campaigns", json=body), 422, "invalid_argument",
                 "config.webhook_url")
    client.close()


def test_embedded_loopback_is_refused_at_connect(start_server, receivers, tmp_path):
    rec = receivers.start()
    db = tmp_path / "shared.db"
    srv = start_server(env=ENV, db=db, name="allowing")
    client = srv.client()
    acct = client.create_account()
    made = {}
    for host in FORMS:
        body = voice_body()
        body["config"]["webhook_url"] = "http://%s:%d/hook" % (host, rec.port)
        c = acct.create_campaign(body)  # private addresses allowed: accepted
        upload(acct, c["id"], ["+14155550100"])
        made[host] = c["id"]
    client.close()
    srv.stop()

    srv = start_server(env=NOPRIV, db=db, name="refusing")
    client = srv.client()
    acct.client = client  # the same account (and key) on the restarted server
    for cid in made.values():
        start(acct, cid)

    def first_attempts():
        rows = events(acct)
        done = [r for r in rows if r["delivery"]["attempts"] >= 1]
        return rows if rows and len(done) == len(rows) else None
    rows = wait_for(first_attempts, 20, "a first attempt of every event")
    assert len(rows) >= len(FORMS)
    for r in rows:
        d = r["delivery"]
        assert d["state"] == "pending" and d["last_status"] is None, d
        assert "private" in (d["last_error"] or ""), d
    assert rec.snapshot() == [], "an event reached a loopback address"
    client.close()
