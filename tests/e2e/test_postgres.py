"""PostgreSQL-only behaviour (run with CAMPAIGND_TEST_DATABASE, see
scripts/pg.sh): migrations applied once when two nodes start together on an
empty database, and a campaign that loses its database connections mid-way
(every backend of the database terminated; PostgreSQL itself restarted)
completes with nothing lost and nothing dialled twice, and each lane's
count of attempts in flight (lane_in_flight, kept by triggers: migration 8)
equals the attempt rows at every look, mid-campaign and at the end."""
import collections
import subprocess
import threading
import time

import pytest

from conftest import REPO, Server, pg_drop
from helpers import ON_PG, SLOW, assert_invariant
from test_engine import all_pages, upload

pytestmark = pytest.mark.skipif(not ON_PG, reason="needs CAMPAIGND_TEST_DATABASE (PostgreSQL)")


def psql(url, sql):
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", url, "-c", sql], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return out.strip()


def test_two_nodes_starting_at_once_migrate_once(tmp_path):
    db = tmp_path / "shared.db"
    a = Server(tmp_path / "a", db=db)
    b = Server(tmp_path / "b", db=db, admin_token=a.admin_token)
    started = []
    errors = []

    def run(srv):
        try:
            started.append(srv.start())
        except BaseException as e:  # pytest.fail raises a BaseException
            errors.append(e)

    threads = [threading.Thread(target=run, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        url = a.environment()["CAMPAIGND_DATABASE"]
        versions = psql(url, "SELECT string_agg(version::text, ',' ORDER BY version) "
                             "FROM schema_migrations")
        n = len(versions.split(","))
        assert versions == ",".join(str(v) for v in range(1, n + 1)), versions
        logs = a.log() + b.log()
        assert logs.count("postgres: applied migration 1") == 1, logs
        # both serve the one database
        acct = a.client().create_account()
        c = acct.create_campaign()
        acct.client = b.client()
        assert acct.get_campaign(c["id"])["id"] == c["id"]
    finally:
        for s in started:
            s.stop()
        pg_drop(db)


IN_FLIGHT_DRIFT = (
    "SELECT coalesce(k.lane, r.lane) || ' kept ' || coalesce(k.n, 0) || ' counted ' || "
    "coalesce(r.n, 0) FROM lane_in_flight k FULL JOIN (SELECT lane, count(*) AS n FROM ("
    "SELECT lane FROM calls WHERE ended_at IS NULL UNION ALL "
    "SELECT lane FROM messages WHERE status = 'queued') f GROUP BY lane) r ON r.lane = k.lane "
    "WHERE coalesce(k.n, 0) <> coalesce(r.n, 0)")


def check_in_flight_kept(url):
    """Each lane's kept count of attempts in flight equals the rows (one
    snapshot: the triggers change both in the same transaction); returns
    how many attempts are in flight."""
    assert psql(url, IN_FLIGHT_DRIFT) == ""
    return int(psql(url, "SELECT coalesce(sum(n), 0) FROM lane_in_flight"))


def campaign(acct, cid):
    """The campaign, asked again while the store answers 503 (reconnecting)."""
    deadline = time.monotonic() + 30 * SLOW
    while True:
        r = acct.get("/v1/campaigns/" + cid)
        if r.status_code == 200:
            return r.json()
        assert r.status_code == 503 and time.monotonic() < deadline, r.text
        time.sleep(0.05)


ENV = {"CAMPAIGND_SIM_CALL_MS": "100", "CAMPAIGND_DEFAULT_VOICE_RATE": "300",
       "CAMPAIGND_DEFAULT_VOICE_BURST": "10", "CAMPAIGND_DEFAULT_VOICE_CONCURRENCY": "100"}


def run_with_cuts(srv, cut, times, n=1500):
    """Runs a campaign of n recipients on srv, calling cut() `times` times
    while it runs; checks that it completes with nothing lost or dialled
    twice, and that the lanes' kept in-flight counts match the rows."""
    url = srv.environment()["CAMPAIGND_DATABASE"]
    acct = srv.client().create_account()
    c = acct.create_campaign(retry_policy={"max_attempts": 2, "delay_seconds": 0})
    upload(acct, c["id"], ["+1415%07d" % (3000000 + i) for i in range(n)])
    r = acct.post("/v1/campaigns/%s/start" % c["id"])
    assert r.status_code == 200, r.text
    cuts = 0
    deadline = time.monotonic() + 120 * SLOW
    while True:
        got = campaign(acct, c["id"])
        assert_invariant(got)
        if got["status"] == "completed":
            break
        assert time.monotonic() < deadline, got
        if cuts < times and got["counters"]["succeeded"] + got["counters"]["failed"] >= cuts * 200:
            check_in_flight_kept(url)
            cut()
            cuts += 1
        time.sleep(0.2)
    assert cuts == times, "the campaign ended before the connections were cut"
    check_completed(acct, c["id"], got, n)
    assert check_in_flight_kept(url) == 0
    assert "postgres: reconnected" in srv.log()


def test_lost_connections_mid_campaign_lose_nothing(start_server):
    srv = start_server(env=ENV)
    url = srv.environment()["CAMPAIGND_DATABASE"]
    dbname = url.split("/")[3].split("?")[0]

    def cut():  # every connection of campaignd to its database, at once
        killed = psql(url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE datname = '%s' AND pid <> pg_backend_pid()" % dbname)
        assert int(killed) >= 1

    run_with_cuts(srv, cut, 4)


def test_postgres_restart_mid_campaign_loses_nothing(start_server):
    pg = str(REPO / "scripts" / "pg.sh")
    url, folder = subprocess.run([pg, "start"], check=True, stdout=subprocess.PIPE,
                                 text=True).stdout.split()
    srv = None
    try:
        srv = start_server(env=dict(ENV, CAMPAIGND_DATABASE=url))
        run_with_cuts(srv, lambda: subprocess.run([pg, "restart", folder], check=True), 2)
    finally:
        if srv:
            srv.stop()
        subprocess.run([pg, "stop", folder], check=True)


def check_completed(acct, cid, got, n):
    counters = got["counters"]
    assert counters["total"] == n and counters["queued"] == 0 and counters["dispatched"] == 0
    rows = all_pages(acct, "/v1/campaigns/%s/recipients" % cid)
    assert len(rows) == n
    calls = all_pages(acct, "/v1/calls", {"campaign_id": cid})
    per = collections.Counter((x["recipient_id"], x["attempt"]) for x in calls)
    assert max(per.values()) == 1, "an attempt was dialled twice"
    by_recipient = collections.Counter(x["recipient_id"] for x in calls)
    for row in rows:
        assert row["status"] in ("succeeded", "failed"), row
        assert by_recipient[row["id"]] == row["attempts"], row
