"""Several nodes on one PostgreSQL database (run with CAMPAIGND_TEST_DATABASE,
see scripts/pg.sh): carrier limits hold across all nodes. Three nodes share
one database and one campaign whose recipients fill two lanes, one held by
its rate (and burst), one by its max_concurrent; calls last a second. From
the calls' timestamps, across all three nodes: no window of W ms holds more
than burst + W * rate starts, and the calls' peak overlap never exceeds
max_concurrent. The campaign completes with the counters' invariant at
every read on every node and no attempt dialled twice; every node claimed
some of it (the limits were shared, not one node doing all the work). The
lanes' kept in-flight counts (lane_in_flight, which the claims read for
max_concurrent) equal the attempt rows at every look, and are 0 at the end.

The carriers are written through one node after all three started: the
others' engines never load them, so the limits they obey are the store's
(the shared state), which also shows a carrier change reaching every node
at once. Timing is asserted only as invariants, never as durations.

A provider's throttle heard by one node holds the lane on every node: two
nodes call through a Twilio stand-in that answers one request 429 with
Retry-After; no call starts on either node during the pause. Provider
callbacks taken by either node reach the campaign once each (every node
reads the shared inbox; only the one that removes a report applies it)."""
import collections
import time

import pytest

from helpers import ON_PG, SLOW, add_recipients, all_pages, assert_invariant, voice_body
from test_engine import max_in_window, max_overlap, ms, upload
from test_postgres import check_completed, check_in_flight_kept, psql
from twilio_standin import StandIn, callback, carrier, twilio_provider

pytestmark = pytest.mark.skipif(not ON_PG, reason="carrier limits across nodes need a store "
                                "several nodes share: CAMPAIGND_TEST_DATABASE (PostgreSQL)")

# calls of a second; a lease tick (campaign reload) every second, so that
# the nodes the campaign was not started through join it at once
ENV = {"CAMPAIGND_SIM_CALL_MS": "1000", "CAMPAIGND_LEASE_MS": "3000"}

RATE = {"name": "crate", "prefix": "+1415", "rate_per_second": 8, "burst": 3,
        "max_concurrent": 1000}
CAP = {"name": "ccap", "prefix": "+1650", "rate_per_second": 200, "burst": 20,
       "max_concurrent": 6}
PER_LANE = 120


def start_nodes(start_server, tmp_path, n=3, env=ENV):
    db = tmp_path / "cluster.db"
    first = start_server(env=env, db=db, name="node0")
    return [first] + [start_server(env=env, db=db, admin_token=first.admin_token,
                                   name="node%d" % i) for i in range(1, n)]


def put_carrier(client, c):
    r = client.admin("PUT", "/v1/admin/carriers/" + c["name"], json={
        "channel": "voice", "prefixes": [c["prefix"]], "rate_per_second": c["rate_per_second"],
        "burst": c["burst"], "max_concurrent": c["max_concurrent"]})
    assert r.status_code == 200, r.text


def check_rate(starts, c):
    """GCRA: at most burst + rate * W starts in any window of W ms."""
    for w in (1, 100, 500, 1000, 3000, 10000):
        got = max_in_window(starts, w)
        assert got <= c["burst"] + c["rate_per_second"] * w / 1000.0, (c["name"], w, got)


def test_three_nodes_keep_rate_burst_and_max_concurrent_together(start_server, tmp_path):
    nodes = start_nodes(start_server, tmp_path)
    client = nodes[0].client()
    for c in (RATE, CAP):
        put_carrier(client, c)
    acct = client.create_account()
    camp = acct.create_campaign(retry_policy={"max_attempts": 2, "delay_seconds": 0})
    numbers = ["%s%07d" % (c["prefix"], 2000000 + i) for c in (RATE, CAP) for i in range(PER_LANE)]
    upload(acct, camp["id"], numbers)
    r = acct.post("/v1/campaigns/%s/start" % camp["id"])
    assert r.status_code == 200, r.text

    clients = [srv.client() for srv in nodes]
    url = nodes[0].environment()["CAMPAIGND_DATABASE"]
    deadline = time.monotonic() + 120 * SLOW
    peak = 0
    while True:
        for cl in clients:  # the invariant at every read on every node
            r = cl.req("GET", "/v1/campaigns/" + camp["id"], key=acct.api_key)
            assert r.status_code == 200, r.text
            got = r.json()
            assert_invariant(got)
        # the lanes' kept in-flight counts, which the claims read, are the rows'
        peak = max(peak, check_in_flight_kept(url))
        if got["status"] == "completed":
            break
        assert time.monotonic() < deadline, got
        time.sleep(0.3)
    check_completed(acct, camp["id"], got, len(numbers))
    assert peak > 0 and check_in_flight_kept(url) == 0

    calls = all_pages(acct, "/v1/calls", {"campaign_id": camp["id"]})
    by_carrier = collections.defaultdict(list)
    for x in calls:
        by_carrier[x["carrier"]].append(x)
    assert set(by_carrier) == {RATE["name"], CAP["name"]}, set(by_carrier)

    # the rate lane: never above its rate and burst, all nodes together
    check_rate([ms(x["created_at"]) for x in by_carrier[RATE["name"]]], RATE)
    # the capped lane: never more calls at once than max_concurrent
    capped = by_carrier[CAP["name"]]
    assert all(x["ended_at"] for x in capped)
    peak = max_overlap([(ms(x["created_at"]), ms(x["ended_at"])) for x in capped])
    assert 1 <= peak <= CAP["max_concurrent"], peak
    check_rate([ms(x["created_at"]) for x in capped], CAP)

    # the work was shared: every node claimed some of it
    url = nodes[0].environment()["CAMPAIGND_DATABASE"]
    claimed = psql(url, "SELECT count(DISTINCT claimed_by) FROM calls")
    assert int(claimed) == len(nodes), claimed
    for cl in clients:
        cl.close()


def twilio_campaign(start_server, tmp_path, twilio, rate, retry_policy, n, base):
    """Two nodes calling through a Twilio stand-in at `rate` calls a second:
    a campaign of n +1212 numbers from `base`, started through the first.
    (nodes, account, campaign)."""
    nodes = start_nodes(start_server, tmp_path, n=2,
                        env=dict(ENV, CAMPAIGND_PROVIDER_ALLOW_PRIVATE="1"))
    client = nodes[0].client()
    twilio_provider(client, "tw", twilio.base)
    carrier(client, "tw-voice", "tw", "voice", ["+1212"], rate=rate, concurrent=1000)
    acct = client.create_account()
    camp = acct.create_campaign(body=voice_body(retry_policy=retry_policy))
    add_recipients(acct, camp["id"], ["+1212555%04d" % (base + i) for i in range(n)])
    r = acct.post("/v1/campaigns/%s/start" % camp["id"])
    assert r.status_code == 200, r.text
    return nodes, acct, camp


def test_a_throttle_heard_by_one_node_holds_the_lane_on_every_node(start_server, tmp_path):
    throttled_at = []

    def plan(req, n):
        if n == 12:  # the 13th call: "too many requests", come back in 3 s
            throttled_at.append(req["at"])
            return ("answer", 429, {"code": 20429, "message": "Too Many Requests",
                                    "status": 429}, {"Retry-After": "3"})
        return ("answer", 201, {"sid": "CA%032x" % n, "status": "queued"}, {})
    twilio = StandIn(plan)
    try:
        nodes, acct, camp = twilio_campaign(start_server, tmp_path, twilio, 20,
                                            {"max_attempts": 1}, 60, 0)
        got = twilio.wait("Calls.json", 61, timeout=60 * SLOW)  # the throttled one again
        [t] = throttled_at
        paused = [x["at"] - t for x in got if t + 0.6 * SLOW < x["at"] < t + 2.6]
        assert paused == [], paused  # neither node started a call while the lane held
        assert len({dict(x["form"])["To"] for x in got}) == 60
        # both nodes dialled (else this shows nothing about sharing)
        by = psql(nodes[0].environment()["CAMPAIGND_DATABASE"],
                  "SELECT DISTINCT c.claimed_by FROM calls c JOIN campaigns k "
                  "ON k.seq = c.campaign_seq WHERE k.id = '%s'" % camp["id"]).split()
        assert len(by) == 2, by
    finally:
        twilio.stop()


def test_callbacks_through_either_node_each_apply_once(start_server, tmp_path):
    twilio = StandIn(lambda req, n: ("answer", 201, {"sid": "CA%032x" % n, "status": "queued"},
                                     {}))
    try:
        nodes, acct, camp = twilio_campaign(
            start_server, tmp_path, twilio, 100,
            {"max_attempts": 2, "delay_seconds": 0, "retry_on": ["busy"]}, 30, 300)
        twilio.wait("Calls.json", 30, timeout=30 * SLOW)
        calls = wait_calls(acct, camp["id"], 30)
        for i, call in enumerate(calls):  # each report twice, once through each node
            status = "busy" if i % 3 == 0 else "completed"
            for node in (nodes[i % 2], nodes[(i + 1) % 2]):
                assert callback(node, "tw", "calls", call["id"],
                                {"CallStatus": status}).status_code == 204
        # the busy ones are called again: complete those through one node
        retried = wait_calls(acct, camp["id"], 40)
        for call in retried:
            if call["attempt"] == 2:
                assert callback(nodes[1], "tw", "calls", call["id"],
                                {"CallStatus": "completed"}).status_code == 204
        deadline = time.monotonic() + 30 * SLOW
        while True:
            got = acct.get_campaign(camp["id"])
            assert_invariant(got)
            if got["status"] == "completed":
                break
            assert time.monotonic() < deadline, got["counters"]
            time.sleep(0.1)
        assert got["counters"]["succeeded"] == 30
        assert got["counters"]["dispositions"]["completed"] == 30
        assert len(twilio.of_kind("Calls.json")) == 40  # ten busy ones called twice
        rows = all_pages(acct, "/v1/calls", {"campaign_id": camp["id"]})
        assert sorted(c["status"] for c in rows) == ["busy"] * 10 + ["completed"] * 30
    finally:
        twilio.stop()


def wait_calls(acct, cid, n):
    """The campaign's calls once n have their provider id."""
    deadline = time.monotonic() + 30 * SLOW
    while True:
        rows = all_pages(acct, "/v1/calls", {"campaign_id": cid})
        rows = [c for c in rows if c.get("provider_call_id")]
        if len(rows) >= n:
            return sorted(rows, key=lambda c: (c["attempt"], c["id"]))
        assert time.monotonic() < deadline, len(rows)
        time.sleep(0.1)
