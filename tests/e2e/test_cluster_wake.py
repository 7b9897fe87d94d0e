"""Several nodes on one PostgreSQL database behave as one server (issue 14):
a change made through one node reaches the others' engines at once
(LISTEN/NOTIFY, not their lease tick), one node at a time runs the sweeps
and another takes them over when it dies, a node killed mid-campaign loses
nothing, a dead node's webhook delivery moves to another node within
seconds (one delivery in flight per campaign throughout), and the listeners
come back after PostgreSQL restarts.

PostgreSQL only (run with scripts/pg.sh): with SQLite one process owns the
database."""
import collections
import copy
import signal
import subprocess
import threading
import time

import pytest

from conftest import REPO
from helpers import ON_PG, SLOW, assert_invariant, wait_for
from test_engine import max_in_window, ms, upload
from test_postgres import check_completed, psql
from test_webhooks import Receiver, events

pytestmark = pytest.mark.skipif(
    not ON_PG, reason="several nodes need a shared PostgreSQL database "
                      "(CAMPAIGND_TEST_DATABASE; SQLite is one process per database)")

# sim calls of 200 ms; each node may start 50 a second (so one node alone
# cannot take a whole campaign before the others hear of it)
ENV = {"CAMPAIGND_SIM_CALL_MS": "200", "CAMPAIGND_DEFAULT_VOICE_RATE": "50",
       "CAMPAIGND_DEFAULT_VOICE_BURST": "5", "CAMPAIGND_DEFAULT_VOICE_CONCURRENCY": "100"}
# a lease tick every 200 s: only a notification can wake another node soon
NO_TICK = dict(ENV, CAMPAIGND_LEASE_MS="600000")


def start_nodes(start_server, tmp_path, env, names=("a", "b", "c"), url=None):
    """Nodes on one database, node ids node-<name>; the first one's admin
    token for all."""
    db = tmp_path / "shared.db"
    nodes = []
    for name in names:
        e = dict(env, CAMPAIGND_NODE_ID="node-" + name)
        if url:
            e["CAMPAIGND_DATABASE"] = url
        token = nodes[0].admin_token if nodes else "default"
        nodes.append(start_server(env=e, db=db, admin_token=token, name=name))
    return nodes


def through(acct, node):
    """The same account, talking to another node."""
    other = copy.copy(acct)
    other.client = node.client()
    return other


def db_url(node):
    return node.environment()["CAMPAIGND_DATABASE"]


def starts_by_node(node, cid):
    """{node id: [created_at ms of each call]} of a campaign, from the
    database (calls keep the node that claimed them)."""
    out = psql(db_url(node), "SELECT c.claimed_by || ' ' || c.created_at FROM calls c "
                             "JOIN campaigns k ON k.seq = c.campaign_seq WHERE k.id = '%s'" % cid)
    by = {}
    for line in out.splitlines():
        who, at = line.split()
        by.setdefault(who, []).append(int(at))
    return by


def numbers(n, base=2000000):
    return ["+1415%07d" % (base + i) for i in range(n)]


def running_campaign(acct, n, base, succeeded):
    """A campaign of n recipients (two attempts each) started through acct,
    once `succeeded` of them have succeeded: its id."""
    camp = acct.create_campaign(retry_policy={"max_attempts": 2, "delay_seconds": 0})
    upload(acct, camp["id"], numbers(n, base))
    r = acct.post("/v1/campaigns/%s/start" % camp["id"])
    assert r.status_code == 200, r.text
    wait_for(lambda: acct.get_campaign(camp["id"])["counters"]["succeeded"] >= succeeded, 20,
             "progress")
    return camp["id"]


def test_a_start_through_one_node_makes_the_others_dispatch_at_once(start_server, tmp_path):
    a, b, c = start_nodes(start_server, tmp_path, NO_TICK)
    acct = a.client().create_account()
    camp = acct.create_campaign()
    upload(acct, camp["id"], numbers(600))
    r = acct.post("/v1/campaigns/%s/start" % camp["id"])
    assert r.status_code == 200, r.text
    started = ms(r.json()["updated_at"])

    def all_dispatch():
        by = starts_by_node(a, camp["id"])
        return by if {"node-a", "node-b", "node-c"} <= set(by) else None
    by = wait_for(all_dispatch, 5, "every node to dispatch")
    # far sooner than the 200 s lease tick: only the notification explains it
    for who in ("node-b", "node-c"):
        assert min(by[who]) - started < 2000 * SLOW, (who, min(by[who]) - started)
    acct.post("/v1/campaigns/%s/cancel" % camp["id"])


def test_a_pause_through_one_node_stops_every_node_within_a_second(start_server, tmp_path):
    a, b, c = start_nodes(start_server, tmp_path, NO_TICK)
    acct = a.client().create_account()
    camp = acct.create_campaign()
    cid = camp["id"]
    upload(acct, cid, numbers(900))
    r = acct.post("/v1/campaigns/%s/start" % cid)
    assert r.status_code == 200, r.text
    wait_for(lambda: len(starts_by_node(a, cid)) == 3, 5, "every node to dispatch")
    r = acct.post("/v1/campaigns/%s/pause" % cid)
    assert r.status_code == 200 and r.json()["status"] == "paused", r.text
    paused_at = ms(r.json()["updated_at"])
    time.sleep(1.5 * SLOW)
    by = starts_by_node(a, cid)
    late = {who: [t - paused_at for t in ts if t > paused_at + 1000 * SLOW]
            for who, ts in by.items()}
    assert not any(late.values()), late
    for node in (a, b, c):
        got = through(acct, node).get_campaign(cid)
        assert got["status"] == "paused", got
        assert_invariant(got)
    # nothing started after the pause, later either
    before = sum(len(ts) for ts in by.values())
    time.sleep(0.5)
    assert sum(len(ts) for ts in starts_by_node(a, cid).values()) == before
    acct2 = through(acct, b)
    r = acct2.post("/v1/campaigns/%s/resume" % cid)
    assert r.status_code == 200, r.text
    done = wait_for(lambda: (lambda g: g if g["status"] == "completed" else None)(
        acct.get_campaign(cid)), 60, "the campaign to complete")
    check_completed(acct, cid, done, 900)


def test_a_carrier_put_through_one_node_is_used_by_another(start_server, tmp_path):
    a, b = start_nodes(start_server, tmp_path, NO_TICK, names=("a", "b"))
    client = a.client()
    # B started with the built-in limits (50 a second, bursts of 5); this
    # carrier allows 4 a second, one at a time
    r = client.admin("PUT", "/v1/admin/carriers/narrow", json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": 4, "burst": 1,
        "max_concurrent": 100})
    assert r.status_code == 200, r.text
    acct = client.create_account()
    camp = acct.create_campaign()
    upload(acct, camp["id"], numbers(24))
    r = acct.post("/v1/campaigns/%s/start" % camp["id"])
    assert r.status_code == 200, r.text
    wait_for(lambda: acct.get_campaign(camp["id"])["status"] == "completed", 30,
             "the campaign to complete")
    by = starts_by_node(a, camp["id"])
    assert len(by.get("node-b", [])) >= 3, by
    for who, starts in by.items():
        for w in (1, 100, 500, 1000, 2000):
            # each node's pacer: at most burst + rate * W starts in W ms
            assert max_in_window(starts, w) <= 1 + 4 * w / 1000.0, (who, w, sorted(starts))


def test_three_nodes_send_each_event_once_per_delivery_attempt(start_server, tmp_path):
    a, b, c = start_nodes(start_server, tmp_path, dict(ENV, CAMPAIGND_WEBHOOK_ALLOW_PRIVATE="1"))
    lock = threading.Lock()
    open_by_campaign = collections.Counter()
    most_open = [0]
    refused = set()

    def behave(rec, req):
        """Slow answers (a wide window for a second sender); the first
        attempt of the first three events fails (retried later)."""
        cid = req["json"]["campaign_id"]
        with lock:
            open_by_campaign[cid] += 1
            most_open[0] = max(most_open[0], open_by_campaign[cid])
            fail = len(refused) < 3 and req["json"]["id"] not in refused
            if fail:
                refused.add(req["json"]["id"])
        time.sleep(0.03)
        with lock:
            open_by_campaign[cid] -= 1
        return 503 if fail else 200
    rec = Receiver(behave).start()
    try:
        acct = a.client().create_account()
        camps = [acct.create_campaign(config={"caller_id": "+14155550100",
                                              "webhook_url": rec.url()}) for _ in range(2)]
        for i, camp in enumerate(camps):
            upload(acct, camp["id"], numbers(60, 6000000 + i * 1000))
        for camp in camps:  # started through different nodes
            r = through(acct, (b, c)[camps.index(camp)]).post(
                "/v1/campaigns/%s/start" % camp["id"])
            assert r.status_code == 200, r.text

        def all_delivered():
            rows = [x for camp in camps for x in events(acct, campaign_id=camp["id"])]
            done = [x for x in rows if x["delivery"]["state"] == "delivered"]
            return rows if len(rows) >= 240 and len(done) == len(rows) else None
        rows = wait_for(all_delivered, 60, "every event delivered")
        time.sleep(0.5)  # nothing more comes
        got = rec.by_id()
        assert set(got) == {x["id"] for x in rows}
        for x in rows:
            # one request per delivery attempt, whichever node made it
            assert len(got[x["id"]]) == x["delivery"]["attempts"], (x, len(got[x["id"]]))
        assert sum(x["delivery"]["attempts"] > 1 for x in rows) == 3
        # one delivery in flight per campaign, across the nodes
        assert most_open[0] == 1, most_open
    finally:
        rec.stop()


def test_kill_9_of_the_sweeping_node_mid_campaign_loses_nothing(start_server, tmp_path):
    env = dict(ENV, CAMPAIGND_LEASE_MS="3000")  # a dead node's attempts free after 3 s
    a, b, c = start_nodes(start_server, tmp_path, env)
    wait_for(lambda: "this node runs the sweeps" in a.log(), 5, "node a to sweep")
    acct = a.client().create_account()
    cid = running_campaign(acct, 900, 3000000, 150)
    a.stop(signal.SIGKILL, check=False)
    killed_at = time.monotonic()
    views = [through(acct, b), through(acct, c)]
    deadline = time.monotonic() + 90 * SLOW
    while True:
        got = [v.get_campaign(cid) for v in views]
        for g in got:
            assert_invariant(g)
        if all(g["status"] == "completed" for g in got):
            break
        assert time.monotonic() < deadline, [g["counters"] for g in got]
        time.sleep(0.1)
    check_completed(views[0], cid, got[0], 900)
    # another node took the sweeps over
    took = [n for n in (b, c) if "this node runs the sweeps" in n.log()]
    assert len(took) == 1, [n.log()[-2000:] for n in (b, c)]
    assert time.monotonic() - killed_at < 90 * SLOW


def test_postgres_restart_mid_campaign_nodes_listen_again(start_server, tmp_path):
    pg = str(REPO / "scripts" / "pg.sh")
    url, folder = subprocess.run([pg, "start"], check=True, stdout=subprocess.PIPE,
                                 text=True).stdout.split()
    nodes = []
    try:
        nodes = start_nodes(start_server, tmp_path, NO_TICK, url=url)
        a, b, c = nodes
        acct = a.client().create_account()
        cid = running_campaign(acct, 900, 4000000, 100)
        subprocess.run([pg, "restart", folder], check=True)
        for n in nodes:
            wait_for(lambda: "listening again for other nodes' changes" in n.log(), 15,
                     "node %s to listen again" % n.port)

        def completed():
            r = acct.get("/v1/campaigns/" + cid)
            if r.status_code != 200:
                assert r.status_code == 503, r.text  # a connection being reopened
                return None
            assert_invariant(r.json())
            return r.json() if r.json()["status"] == "completed" else None
        done = wait_for(completed, 90, "the campaign to complete")
        check_completed(acct, cid, done, 900)
        # the listeners work again: a new start through a reaches b and c at once
        second = acct.create_campaign()
        upload(acct, second["id"], numbers(600, 5000000))
        r = acct.post("/v1/campaigns/%s/start" % second["id"])
        assert r.status_code == 200, r.text
        wait_for(lambda: {"node-b", "node-c"} <= set(starts_by_node(a, second["id"])), 5,
                 "b and c to dispatch after the restart")
        acct.post("/v1/campaigns/%s/cancel" % second["id"])
    finally:
        for n in nodes:
            n.stop()
        subprocess.run([pg, "stop", folder], check=True)


def test_a_dead_nodes_webhook_delivery_moves_within_seconds(start_server, tmp_path):
    """With the default lease (3 s): a delivery that takes longer than the
    lease keeps it (renewed) and holds its campaign's other events back; when
    the node sending it is killed, another node sends the event within a few
    seconds and the campaign's events go on."""
    a, b = start_nodes(start_server, tmp_path, dict(ENV, CAMPAIGND_WEBHOOK_ALLOW_PRIVATE="1"),
                       names=("a", "b"))
    go = threading.Event()
    hung = []

    def behave(rec, req):
        with rec.lock:
            first = not hung
            if first:
                hung.append(req["json"]["id"])
        if first:
            go.wait(30)  # past the lease; cut when its node dies
        return 200
    rec = Receiver(behave).start()
    try:
        acct = a.client().create_account()
        camp = acct.create_campaign(config={"caller_id": "+14155550100",
                                            "webhook_url": rec.url()})
        upload(acct, camp["id"], numbers(3, 7000000))
        assert acct.post("/v1/campaigns/%s/start" % camp["id"]).status_code == 200
        wait_for(lambda: hung, 10 * SLOW, "a first delivery")
        holder = psql(db_url(a), "SELECT claimed_by FROM events WHERE id = '%s'"
                      % hung[0]).strip()
        assert holder in ("node-a", "node-b"), holder
        time.sleep(4.5)  # longer than the 3 s lease: renewed, so nobody else sends
        assert [r["json"]["id"] for r in rec.snapshot()] == [hung[0]]
        dead, alive = (a, b) if holder == "node-a" else (b, a)
        dead.stop(signal.SIGKILL, check=False)
        killed_at = time.monotonic()
        wait_for(lambda: [r for r in rec.snapshot() if r["json"]["id"] == hung[0]][1:],
                 15 * SLOW, "the event sent again by the live node")
        took = time.monotonic() - killed_at
        assert took < 6 * SLOW, took  # lease 3 s + the live node's tick (1 s), with slack
        view = through(acct, alive)

        def all_delivered():
            rows = events(view, campaign_id=camp["id"])
            done = [x for x in rows if x["delivery"]["state"] == "delivered"]
            finished = view.get_campaign(camp["id"])["status"] == "completed"
            return rows if finished and rows and len(done) == len(rows) else None
        rows = wait_for(all_delivered, 30 * SLOW, "every event delivered")
        got = rec.by_id()
        assert set(got) == {x["id"] for x in rows}
        assert len(got[hung[0]]) == 2  # the dead node's request, then the live one's
    finally:
        go.set()
        rec.stop()
