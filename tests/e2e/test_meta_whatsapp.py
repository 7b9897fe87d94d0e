"""The meta_whatsapp provider against a stand-in of the WhatsApp Cloud API
(meta_standin.py, written from Meta's documented shapes; it refuses a
malformed send as Meta does): settings and secrets, the exact template
send (bearer token, body / header / button parameters from each
recipient's params, messages[0].id as provider_message_id), the webhook's
GET handshake (right and wrong verify token), X-Hub-Signature-256 (signed
by the test as Meta's docs describe; forged, unsigned, another secret:
403, nothing changes), replays (applied forward only), statuses in every
order (5^4 = 625 sequences of four statuses over sent, delivered, read,
failed and deleted, one webhook each, against a model of the contract),
a batch of 100 statuses over several entries and changes, Meta's
throttles (130429, 131056: no attempt used) and refusals (131026, 131047:
failed with the code), inbound STOP / START, and kill -9 while a big
webhook is being applied: all of it or none of it."""
import itertools
import json
import signal
import threading
import time

import pytest
import requests

from helpers import SLOW, all_pages, assert_error, assert_invariant
from meta_standin import (ACCESS_TOKEN, API_VERSION, APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN,
                          graph_plan, message_payload, meta_error, meta_provider, post_webhook,
                          sign, status_item, status_payload)
from twilio_standin import StandIn, carrier, wait_for

ENV = {"CAMPAIGND_PROVIDER_ALLOW_PRIVATE": "1"}


@pytest.fixture
def graph():
    made = []

    def make(hook=None):
        sent = []
        s = StandIn(graph_plan(hook, sent))
        s.sent = sent
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


def wa_campaign(acct, template=None, sender=PHONE_NUMBER_ID):
    t = template or {"name": "renewal", "language": "en_US", "category": "marketing",
                     "parameters": ["{{name}}"]}
    c = acct.create_campaign(body={"name": "WA", "agent_id": "agt_wa", "channel": "whatsapp",
                                   "config": {"sender": sender, "template": t}})
    return c


def meta_setup(srv, g, n, template=None, rate=1000, concurrent=50, params=None):
    client = srv.client()
    meta_provider(client, "meta", g.base)
    carrier(client, "wa", "meta", "whatsapp", [PHONE_NUMBER_ID], rate=rate, concurrent=concurrent)
    acct = client.create_account()
    c = wa_campaign(acct, template)
    numbers = ["+1650555%04d" % i for i in range(n)]
    recips = [{"phone_number": x, "params": dict(params or {"name": "Zoë %d" % i})}
              for i, x in enumerate(numbers)]
    for off in range(0, n, 5000):
        r = acct.post("/v1/campaigns/%s/recipients" % c["id"], json={"recipients": recips[off:off + 5000]})
        assert r.status_code == 200, r.text
    return client, acct, c


def start(acct, c):
    r = acct.post("/v1/campaigns/%s/start" % c["id"])
    assert r.status_code == 200, r.text


def launched(start_server, graph, n, timeout=60, **kw):
    """A server, a stand-in and a started campaign of n recipients whose
    sends were all accepted: (graph, server, client, account, campaign,
    the wamids in order)."""
    g = graph()
    srv = start_server(env=ENV)
    client, acct, c = meta_setup(srv, g, n, **kw)
    start(acct, c)
    wamids = sorted(all_accepted(acct, c["id"], n, timeout=timeout))
    return g, srv, client, acct, c, wamids


def messages_of(acct, cid):
    return all_pages(acct, "/v1/messages", {"campaign_id": cid})


def recipients_of(acct, cid):
    return {r["id"]: r for r in all_pages(acct, "/v1/campaigns/%s/recipients" % cid)}


def all_accepted(acct, cid, n, timeout=60):
    """Waits until n messages have their wamid; returns {wamid: message}."""
    def done():
        ms = messages_of(acct, cid)
        got = [m for m in ms if m["provider_message_id"]]
        return got if len(got) == n else None
    ms = wait_for(done, timeout * SLOW, "%d accepted sends" % n)
    return {m["provider_message_id"]: m for m in ms}


def settle(acct, cid, pred, what, timeout=30):
    return wait_for(lambda: (lambda c: c if pred(c) else None)(acct.get_campaign(cid)),
                    timeout * SLOW, what)


def test_settings_secrets_and_handshake(start_server):
    srv = start_server()
    client = srv.client()
    body = {"type": "meta_whatsapp", "access_token": ACCESS_TOKEN, "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN}
    assert_error(client.admin("PUT", "/v1/admin/providers/meta",
                              json=dict(body, base_url="http://127.0.0.1:9")),
                 422, "invalid_argument", "base_url")
    for missing in ("access_token", "app_secret", "verify_token"):
        b = dict(body)
        del b[missing]
        assert_error(client.admin("PUT", "/v1/admin/providers/meta", json=b), 422,
                     "invalid_argument", missing)
    assert_error(client.admin("PUT", "/v1/admin/providers/meta",
                              json=dict(body, api_version="21/../x")),
                 422, "invalid_argument", "api_version")
    r = client.admin("PUT", "/v1/admin/providers/meta", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "meta", "type": "meta_whatsapp", "verify_token": VERIFY_TOKEN,
                        "base_url": "https://graph.facebook.com", "api_version": "v21.0",
                        "secrets_set": ["access_token", "app_secret"], "builtin": False}
    # it carries whatsapp only
    r = client.admin("PUT", "/v1/admin/carriers/s", json={
        "channel": "sms", "prefixes": ["+1"], "rate_per_second": 1, "max_concurrent": 1,
        "provider": "meta"})
    assert_error(r, 422, "invalid_argument", "provider")

    url = srv.base + "/v1/providers/meta/webhook"
    ok = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    r = requests.get(url, params=ok, timeout=10)
    assert r.status_code == 200 and r.text == "1158201444"
    assert r.headers["Content-Type"].startswith("text/plain")
    for bad in (dict(ok, **{"hub.verify_token": "nope"}), dict(ok, **{"hub.mode": "unsubscribe"}),
                {k: v for k, v in ok.items() if k != "hub.verify_token"},
                dict(ok, **{"hub.challenge": "<script>"}), {}):
        r = requests.get(url, params=bad, timeout=10)
        assert_error(r, 403, "forbidden")
        assert "1158201444" not in r.text
    assert_error(requests.get(srv.base + "/v1/providers/nope/webhook", params=ok, timeout=10),
                 404, "not_found")
    listed = client.admin("GET", "/v1/admin/providers").json()["data"]
    assert ACCESS_TOKEN not in repr(listed) and APP_SECRET not in repr(listed)
    time.sleep(0.3)
    assert ACCESS_TOKEN not in srv.log() and APP_SECRET not in srv.log()
    client.close()


def test_stand_in_refuses_a_malformed_send(graph):
    g = graph()
    url = "%s/%s/%s/messages" % (g.base, API_VERSION, PHONE_NUMBER_ID)
    auth = {"Authorization": "Bearer " + ACCESS_TOKEN}
    good = {"messaging_product": "whatsapp", "to": "16505550000", "type": "template",
            "template": {"name": "renewal", "language": {"code": "en_US"},
                         "components": [{"type": "body",
                                         "parameters": [{"type": "text", "text": "Ada"}]}]}}
    r = requests.post(url, json=good, headers=auth, timeout=10)
    assert r.status_code == 200 and r.json()["messages"][0]["id"].startswith("wamid.")
    for bad in (dict(good, to="+16505550000"), dict(good, messaging_product="sms"),
                dict(good, template={"name": "renewal", "language": "en_US"}),
                dict(good, template=dict(good["template"], components=[
                    {"type": "body", "parameters": ["Ada"]}]))):
        r = requests.post(url, json=bad, headers=auth, timeout=10)
        assert r.status_code == 400 and r.json()["error"]["code"] == 100, bad
    r = requests.post(url, json=good, headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == 190


def test_template_send_header_buttons_and_statuses(start_server, graph):
    g = graph()
    srv = start_server(env=ENV)
    template = {"name": "invoice_ready", "language": "pt_BR", "category": "utility",
                "parameters": ["{{name}}", "{{amount}}"],
                "header": {"type": "document", "link": "https://files.example/{{doc}}.pdf",
                           "filename": "Fatura {{doc}}.pdf"},
                "buttons": [{"sub_type": "url", "index": 0, "parameter": "{{doc}}"},
                            {"sub_type": "quick_reply", "index": 1, "parameter": "stop-{{doc}}"}]}
    client, acct, c = meta_setup(srv, g, 1, template,
                            params={"name": "Zoë", "amount": 42.5, "doc": "A-17"})
    start(acct, c)
    [req] = g.wait("messages", 1)
    assert req["path"] == "/%s/%s/messages" % (API_VERSION, PHONE_NUMBER_ID)
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers["authorization"] == "Bearer " + ACCESS_TOKEN
    assert headers["content-type"] == "application/json"
    assert json.loads(req["raw"]) == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505550000",
        "type": "template",
        "template": {"name": "invoice_ready", "language": {"code": "pt_BR"}, "components": [
            {"type": "header", "parameters": [{"type": "document", "document": {
                "link": "https://files.example/A-17.pdf", "filename": "Fatura A-17.pdf"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Zoë"},
                                            {"type": "text", "text": "42.5"}]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": "A-17"}]},
            {"type": "button", "sub_type": "quick_reply", "index": "1",
             "parameters": [{"type": "payload", "payload": "stop-A-17"}]}]}}
    by_wamid = all_accepted(acct, c["id"], 1)
    [(wamid, msg)] = by_wamid.items()
    assert wamid == g.sent[0][1] and msg["status"] == "sent" and msg["provider"] == "meta"
    assert msg["pricing_category"] is None

    r = post_webhook(srv, "meta", status_payload([status_item(wamid, "delivered",
                                                              category="utility")]))
    assert r.status_code == 200, r.text
    wait_for(lambda: acct.get("/v1/messages/" + msg["id"]).json()["status"] == "delivered",
             10 * SLOW, "delivered")
    r = post_webhook(srv, "meta", status_payload([status_item(wamid, "read", category="utility")]))
    assert r.status_code == 200
    got = wait_for(lambda: (lambda m: m if m["status"] == "read" else None)(
        acct.get("/v1/messages/" + msg["id"]).json()), 10 * SLOW, "read")
    assert got["read_at"] and got["delivered_at"]
    assert got["pricing_category"] == "utility"  # the statuses' pricing.category
    done = settle(acct, c["id"], lambda x: x["status"] == "completed", "completion")
    assert done["counters"]["dispositions"]["read"] == 1
    # a bad header or button is refused at create, naming the field
    for bad, field in (({"type": "sticker"}, "config.template.header.type"),
                       ({"type": "document"}, "config.template.header.link"),
                       ({"type": "image", "link": "x", "filename": "a"},
                        "config.template.header.filename")):
        r = acct.post("/v1/campaigns", json={
            "name": "x", "agent_id": "a", "channel": "whatsapp",
            "config": {"sender": PHONE_NUMBER_ID, "template": dict(template, header=bad)}})
        assert_error(r, 422, "invalid_argument", field)
    r = acct.post("/v1/campaigns", json={
        "name": "x", "agent_id": "a", "channel": "whatsapp",
        "config": {"sender": PHONE_NUMBER_ID,
                   "template": dict(template, buttons=[{"sub_type": "call", "index": 0,
                                                        "parameter": "x"}])}})
    assert_error(r, 422, "invalid_argument", "config.template.buttons[0].sub_type")
    client.close()


def test_forged_unsigned_and_replayed_webhooks(start_server, graph):
    g, srv, client, acct, c, (w1, w2) = launched(start_server, graph, 2)
    before = messages_of(acct, c["id"])
    payload = status_payload([status_item(w1, "read"), status_item(w2, "failed", error_code=131026)])
    raw = json.dumps(payload).encode()
    for sig in (None, "sha256=" + "0" * 64, "sha1=abc", "sha256=", sign(raw)[:-1],
                sign(raw).replace("sha256=", "sha1=")):
        r = post_webhook(srv, "meta", None, signature=sig, raw=raw)
        assert_error(r, 403, "forbidden")
    r = post_webhook(srv, "meta", None, secret="another-secret", raw=raw)
    assert_error(r, 403, "forbidden")
    # signed over other bytes than the ones sent
    r = post_webhook(srv, "meta", None, signature=sign(raw + b" "),
                     raw=raw)
    assert_error(r, 403, "forbidden")
    time.sleep(0.5)
    assert messages_of(acct, c["id"]) == before
    # a signed body that is not Meta's shape: 422, nothing changes
    r = post_webhook(srv, "meta", {"entry": {"changes": 1}})
    assert_error(r, 422, "invalid_argument", "entry")
    r = post_webhook(srv, "meta", None, raw=b"{not json")
    assert_error(r, 400, "invalid_json")

    r = post_webhook(srv, "meta", payload)
    assert r.status_code == 200 and r.json() == {"statuses": 2, "messages": 0, "ignored": 0}
    # the campaign completes at the sends' "sent"; the webhook is applied after
    settle(acct, c["id"], lambda x: x["status"] == "completed"
           and x["counters"]["dispositions"]["read"] == 1
           and x["counters"]["dispositions"]["undelivered"] == 1, "both statuses applied")
    after = {m["provider_message_id"]: m for m in messages_of(acct, c["id"])}
    assert after[w1]["status"] == "read"
    assert after[w2]["status"] == "undelivered" and after[w2]["error_code"] == "131026"
    counters = acct.get_campaign(c["id"])["counters"]
    assert counters["dispositions"]["read"] == 1 and counters["dispositions"]["undelivered"] == 1
    assert after[w1]["pricing_category"] == "marketing"
    assert after[w2]["pricing_category"] is None  # a failed status carries no pricing
    # replayed: nothing changes
    r = post_webhook(srv, "meta", payload)
    assert r.status_code == 200
    time.sleep(0.7)
    assert {m["provider_message_id"]: m for m in messages_of(acct, c["id"])} == after
    assert acct.get_campaign(c["id"])["counters"] == counters
    # older statuses, late: applied forward only (a message's pricing
    # category is the first one reported: w2 learns it here)
    r = post_webhook(srv, "meta", status_payload([
        status_item(w1, "delivered"), status_item(w1, "sent", category="utility"),
        status_item(w2, "read"), status_item(w2, "sent")]))
    assert r.status_code == 200
    time.sleep(0.7)
    later = {m["provider_message_id"]: m for m in messages_of(acct, c["id"])}
    assert later[w1] == after[w1]
    assert later[w2] == dict(after[w2], pricing_category="marketing")
    assert acct.get_campaign(c["id"])["counters"] == counters
    # a status for a message this provider never sent is skipped
    r = post_webhook(srv, "meta", status_payload([status_item("wamid.unknown", "read")]))
    assert r.status_code == 200 and r.json()["statuses"] == 0 and r.json()["ignored"] == 1
    client.close()


# Meta's statuses, and "deleted" (one it documents that moves nothing here).
ALPHABET = ["sent", "delivered", "read", "failed", "deleted"]


def model(seq):
    """The message's status after an accepted send (sent) then seq, as the
    contract says: forward only along sent -> delivered -> read, failed ->
    undelivered from sent or delivered, read / undelivered final."""
    m = "sent"
    rank = {"sent": 1, "delivered": 2, "read": 3}
    for s in seq:
        if s == "failed" and m in ("sent", "delivered"):
            m = "undelivered"
        elif s in rank and m in rank and rank[s] > rank[m]:
            m = s
    return m


def test_statuses_in_every_order(start_server, graph):
    orders = list(itertools.product(ALPHABET, repeat=4))
    assert len(orders) == 625
    g, srv, client, acct, c, wamids = launched(start_server, graph, len(orders), timeout=90)
    t0 = time.time()
    session = requests.Session()
    for wamid, seq in zip(wamids, orders):
        body = json.dumps(status_payload([status_item(wamid, s, error_code=131047 if s == "failed" else None)
                                          for s in seq])).encode()
        r = session.post(srv.base + "/v1/providers/meta/webhook", data=body,
                         headers={"Content-Type": "application/json",
                                  "X-Hub-Signature-256": sign(body)},
                         timeout=30)
        assert r.status_code == 200, r.text
    elapsed = time.time() - t0
    want = {wamid: model(seq) for wamid, seq in zip(wamids, orders)}
    expect = {}
    for v in want.values():
        expect[v] = expect.get(v, 0) + 1
    # the campaign completed at the sends; the webhooks' statuses follow
    done = settle(acct, c["id"], lambda x: {k: v for k, v in x["counters"]["dispositions"].items()
                                            if v} == expect, "the dispositions of the model",
                  timeout=60)
    assert_invariant(done)
    got = {m["provider_message_id"]: m for m in messages_of(acct, c["id"])}
    wrong = [(w, seq, got[w]["status"], want[w]) for w, seq in zip(wamids, orders)
             if got[w]["status"] != want[w]]
    assert not wrong, wrong[:10]
    recips = recipients_of(acct, c["id"])
    for w, seq in zip(wamids, orders):
        m, r = got[w], recips[got[w]["recipient_id"]]
        assert r["disposition"] == want[w], (seq, r)
        assert r["status"] == ("failed" if want[w] == "undelivered" else "succeeded")
        assert m["error_code"] == ("131047" if want[w] == "undelivered" else None), (seq, m)
    assert len(g.of_kind("messages")) == 625  # one send each, never again
    print("625 webhooks in %.1f s" % elapsed)
    client.close()


def test_batch_webhook_of_100_statuses(start_server, graph):
    g, srv, client, acct, c, wamids = launched(start_server, graph, 100)
    statuses = [status_item(w, "read" if i % 2 else "delivered") for i, w in enumerate(wamids)]
    # two entries of several changes each, as Meta batches them
    half = status_payload(statuses[:50], per_change=10)
    rest = status_payload(statuses[50:], per_change=25)
    payload = {"object": "whatsapp_business_account", "entry": half["entry"] + rest["entry"]}
    # with a status of this minute for a message not known yet (its send's
    # answer may not be stored yet): 503, nothing of it applied, sent again
    early = status_payload([status_item("wamid.not-yet", "sent", ts=str(int(time.time())))])
    r = post_webhook(srv, "meta", {"object": "whatsapp_business_account",
                                   "entry": payload["entry"] + early["entry"]})
    assert_error(r, 503, "unavailable")
    assert r.headers["Retry-After"] == "5"
    time.sleep(0.5)
    assert acct.get_campaign(c["id"])["counters"]["dispositions"]["sent"] == 100
    # an old one of a message never sent here is skipped
    late = status_payload([status_item("wamid.not-ours", "sent", ts="1733650000")])
    payload["entry"] += late["entry"]
    r = post_webhook(srv, "meta", payload)
    assert r.json() == {"statuses": 100, "messages": 0, "ignored": 1}, r.text
    done = settle(acct, c["id"], lambda x: x["status"] == "completed"
                  and x["counters"]["dispositions"]["read"] == 50, "100 statuses applied")
    assert done["counters"]["dispositions"]["delivered"] == 50
    assert done["counters"]["succeeded"] == 100
    client.close()


def test_throttles_put_back_refusals_fail_with_the_code(start_server, graph):
    calls = {}

    def hook(req, n):
        to = json.loads(req["raw"])["to"]
        k = calls[to] = calls.get(to, 0) + 1
        if to == "16505550000" and k <= 2:  # over Meta's throughput, twice
            return meta_error(400, 130429, "(#130429) Rate limit hit")
        if to == "16505550001" and k == 1:  # pair rate limit, once
            return meta_error(400, 131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit")
        if to == "16505550002":
            return meta_error(400, 131026, "(#131026) Message Undeliverable.")
        if to == "16505550003":
            return meta_error(400, 131047, "(#131047) Re-engagement message")
        if to == "16505550004":
            return ("answer", 503, {"error": {"code": 131016, "message": "Service unavailable"}}, {})
        return None
    g = graph(hook)
    srv = start_server(env=ENV)
    client, acct, c = meta_setup(srv, g, 5)
    # the fifth is put back while Meta is unavailable, then refused as a plain 4xx
    start(acct, c)
    wait_for(lambda: calls.get("16505550000", 0) >= 3 and calls.get("16505550001", 0) >= 2,
             30 * SLOW, "the throttled sends to go through")
    time.sleep(0.5)
    recips = list(recipients_of(acct, c["id"]).values())
    by_number = {r["phone_number"]: r for r in recips}
    for num in ("+16505550000", "+16505550001"):
        r = by_number[num]
        assert r["status"] == "succeeded" and r["attempts"] == 1, r
    msgs = {m["to"]: m for m in messages_of(acct, c["id"])}
    assert msgs["+16505550002"]["status"] == "failed"
    assert msgs["+16505550002"]["error_code"] == "131026"
    assert msgs["+16505550003"]["error_code"] == "131047"
    assert by_number["+16505550002"]["status"] == "failed"
    assert by_number["+16505550002"]["disposition"] == "failed"
    # throttled sends left no message rows behind: one per number that went through
    assert len([m for m in messages_of(acct, c["id"]) if m["to"] == "+16505550000"]) == 1
    # 503: put back again and again, never failed, never more than one message row
    assert calls.get("16505550004", 0) >= 2
    assert by_number["+16505550004"]["status"] in ("queued", "dispatched")
    assert by_number["+16505550004"]["attempts"] == 0
    client.close()


def test_inbound_stop_and_start(start_server, graph):
    g = graph()
    srv = start_server(env=ENV)
    client, acct, c = meta_setup(srv, g, 1)
    other = client.create_account()

    def optouts(a):
        return a.get("/v1/opt-outs", params={"channel": "whatsapp"}).json()["data"]

    for text in ("STOP PLEASE", "hello"):
        r = post_webhook(srv, "meta", message_payload("16505550000", text))
        assert r.status_code == 200 and r.json()["messages"] == 1
    assert optouts(acct) == []
    r = post_webhook(srv, "meta", message_payload("16505550000", "  stop \n"))
    assert r.status_code == 200, r.text
    [o] = optouts(acct)
    assert o["phone_number"] == "+16505550000" and o["channel"] == "whatsapp"
    assert o["category"] is None
    assert optouts(other) == []
    # to another business number: no account sends from it, nothing recorded
    r = post_webhook(srv, "meta", message_payload("16505550009", "STOP", pnid="999"))
    assert r.status_code == 200
    assert len(optouts(acct)) == 1
    # a button reply is no text message: ignored
    r = post_webhook(srv, "meta", message_payload("16505550009", "STOP", kind="button"))
    assert r.status_code == 200 and r.json()["ignored"] == 1
    assert len(optouts(acct)) == 1
    # the opted-out recipient is never sent to
    start(acct, c)
    done = settle(acct, c["id"], lambda x: x["status"] == "completed", "completion")
    assert done["counters"]["dispositions"]["opted_out"] == 1
    assert g.of_kind("messages") == []
    r = post_webhook(srv, "meta", message_payload("16505550000", "Start"))
    assert r.status_code == 200
    assert optouts(acct) == []
    # unsigned inbound: refused, nothing recorded
    r = post_webhook(srv, "meta", message_payload("16505550000", "STOP"), signature=None)
    assert_error(r, 403, "forbidden")
    assert optouts(acct) == []
    client.close()


def test_kill_9_while_a_webhook_is_applied_all_or_nothing(start_server, graph):
    n = 1500  # as many statuses as one body may carry (10,000 JSON objects and arrays)
    g, srv, client, acct, c, wamids = launched(start_server, graph, n, timeout=120, rate=5000,
                                               concurrent=200)
    settle(acct, c["id"], lambda x: x["status"] == "completed", "completion")
    client.close()
    # how long one such webhook takes to apply here (repeated "sent": moves nothing)
    body = json.dumps(status_payload([status_item(w, "sent") for w in wamids],
                                     per_change=300)).encode()
    t0 = time.time()
    r = post_webhook(srv, "meta", None, raw=body)
    took = time.time() - t0
    assert r.status_code == 200 and r.json()["statuses"] == n, r.text
    outcomes = []
    # each round moves every message one step further, in one webhook, and
    # kills the server at a different moment while it is being applied
    for status, delay in (("delivered", took * 0.5), ("read", took * 0.8)):
        body = json.dumps(status_payload([status_item(w, status) for w in wamids],
                                         per_change=300)).encode()
        result = {}

        def send():
            try:
                result["r"] = requests.post(
                    srv.base + "/v1/providers/meta/webhook", data=body, timeout=60,
                    headers={"Content-Type": "application/json",
                             "X-Hub-Signature-256": sign(body)})
            except requests.RequestException as e:
                result["e"] = e
        t = threading.Thread(target=send)
        t.start()
        time.sleep(delay)
        srv.stop(sig=signal.SIGKILL, check=False)
        t.join()
        srv.start()
        acct.client = srv.client()
        # the engine drains the inbox: wait until the counts stop moving
        last = None
        for _ in range(100):
            cnt = acct.get_campaign(c["id"])["counters"]["dispositions"]
            if cnt == last:
                break
            last = cnt
            time.sleep(0.3 * SLOW)
        moved = cnt.get(status, 0)
        if "r" in result:
            assert result["r"].status_code == 200, result["r"].text
        answered = "r" in result
        outcomes.append((status, moved, answered))
        assert moved in (0, n), "a webhook half applied after kill -9: %d of %d %s" % (
            moved, n, status)
        if answered:
            assert moved == n
        if moved == 0:  # Meta sends it again: now it is applied whole
            r = post_webhook(srv, "meta", None, raw=body)
            assert r.status_code == 200
            settle(acct, c["id"], lambda x: x["counters"]["dispositions"].get(status, 0) == n,
                   "the repeated webhook applied")
    print("a webhook of %d statuses took %.3f s; kill -9 outcomes: %s" % (n, took, outcomes))
    acct.client.close()
