"""The campaign cache (api/campaign_cache.c): GET /v1/campaigns/{id}
answers from what it last rendered only while nothing was written since, so
every write, by the API or by the engine, shows in the next GET; an entry
answers its own account only; GET /metrics counts hits and misses (and on
PostgreSQL the snapshot checks that validate them: api/snapshot_gate.c).

On PostgreSQL, two nodes on one database: a write through one node (a
rename, a revoked key) shows in the next GET through the other, whose
cache held the campaign; concurrent GETs share snapshot checks."""
import re
import threading

import pytest

from helpers import ON_PG, all_pages, assert_error, assert_invariant, voice_body, wait_for


def _series(text, name):
    m = re.search(r"^%s (\d+)$" % name, text, re.M)
    return int(m.group(1)) if m else None


def _cache_counts(client):
    """(hits, misses, snapshot checks); checks None on SQLite (none needed)."""
    text = client.req("GET", "/metrics").text
    hits = _series(text, "campaignd_campaign_cache_hits_total")
    misses = _series(text, "campaignd_campaign_cache_misses_total")
    checks = _series(text, "campaignd_snapshot_checks_total")
    assert hits is not None and misses is not None, "no cache series"
    assert (checks is not None) == ON_PG, "snapshot checks on PostgreSQL only"
    return hits, misses, checks


def test_every_api_write_shows_in_the_next_get(start_server):
    srv = start_server()
    client = srv.client()
    acct = client.create_account()
    c = acct.create_campaign(voice_body(name="before"))
    cid = c["id"]
    first = acct.get_campaign(cid)
    before = _cache_counts(client)
    again = acct.get_campaign(cid)
    assert again == first
    after = _cache_counts(client)
    if not ON_PG:  # on PostgreSQL a lease tick may commit in between
        assert after[0] == before[0] + 1, (before, after)  # nothing written: a hit
    assert after[0] + after[1] == before[0] + before[1] + 1, (before, after)
    r = acct.patch("/v1/campaigns/" + cid, json={"name": "after"})
    assert r.status_code == 200, r.text
    assert acct.get_campaign(cid)["name"] == "after"
    r = acct.post("/v1/campaigns/%s/recipients" % cid,
                  json={"recipients": [{"phone_number": "+14155550100"}]})
    assert r.status_code == 200, r.text
    assert acct.get_campaign(cid)["counters"]["total"] == 1
    r = acct.post("/v1/campaigns/%s/start" % cid)
    assert r.status_code == 200, r.text
    assert acct.get_campaign(cid)["status"] in ("running", "completed")
    assert _cache_counts(client)[1] > after[1]  # each write made the next GET a miss
    client.close()


def test_get_follows_the_engine_to_the_end(start_server):
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": "100",
                            "CAMPAIGND_DEFAULT_VOICE_RATE": "200"})
    client = srv.client()
    acct = client.create_account()
    cid = acct.create_campaign()["id"]
    numbers = ["+1415555%04d" % (1000 + i) for i in range(40)]
    r = acct.post("/v1/campaigns/%s/recipients" % cid,
                  json={"recipients": [{"phone_number": n} for n in numbers]})
    assert r.status_code == 200, r.text
    assert acct.post("/v1/campaigns/%s/start" % cid).status_code == 200
    seen = []

    def done():
        c = acct.get_campaign(cid)  # polled while the engine commits
        assert_invariant(c)
        seen.append(c["counters"]["succeeded"] + c["counters"]["failed"])
        return c if c["status"] == "completed" else None
    final = wait_for(done, 60, "the campaign to complete")
    assert seen == sorted(seen), "a GET went back in time: %s" % seen
    rows = all_pages(acct, "/v1/campaigns/%s/recipients" % cid)
    by_status = {s: sum(1 for x in rows if x["status"] == s) for s in ("succeeded", "failed")}
    assert final["counters"]["succeeded"] == by_status["succeeded"]
    assert final["counters"]["failed"] == by_status["failed"]
    assert by_status["succeeded"] + by_status["failed"] == len(numbers)
    client.close()


def test_an_entry_answers_its_own_account_only(client):
    a = client.create_account()
    b = client.create_account()
    cid = a.create_campaign()["id"]
    a.get_campaign(cid)
    a.get_campaign(cid)  # in the cache now (SQLite)
    assert_error(b.get("/v1/campaigns/" + cid), 404, "not_found")
    assert a.get_campaign(cid)["id"] == cid


def _server_with_campaign(start_server, name):
    """A fresh server, a client, an account and its campaign's id."""
    srv = start_server()
    client = srv.client()
    acct = client.create_account()
    return srv, client, acct, acct.create_campaign(voice_body(name=name))["id"]


def _get_until(client, acct, cid, stop, seen, lost_ok=False):
    """GETs the campaign on a connection of its own until stop is set or
    seen(answer) says False; lost_ok: a connection the server cut ends it
    quietly."""
    c = client.__class__(client.base, client.admin_token)
    try:
        while not stop.is_set():
            try:
                r = c.req("GET", "/v1/campaigns/" + cid, key=acct.api_key)
            except Exception:
                if lost_ok:
                    return
                raise
            if not seen(r):
                return
    finally:
        c.close()


def test_readers_filling_the_cache_never_hide_a_write(start_server):
    """Four threads GET a campaign as fast as they can (filling and
    refilling the cache) while a writer renames it 100 times: every GET
    the writer sends after a rename's answer shows that name, and no
    reader ever sees the names go backwards. On PostgreSQL the readers
    share snapshot checks: fewer checks than GETs."""
    srv, client, acct, cid = _server_with_campaign(start_server, "n0")
    stop = threading.Event()
    problems = []

    def reader():
        last = 0

        def check(r):
            nonlocal last
            if r.status_code != 200:
                problems.append(r.status_code)
                return False
            n = int(r.json()["name"][1:])
            if n < last:
                problems.append("went back from n%d to n%d" % (last, n))
            last = n
            return True
        _get_until(client, acct, cid, stop, check)

    before = _cache_counts(client)
    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(1, 101):
            r = acct.patch("/v1/campaigns/" + cid, json={"name": "n%d" % i})
            assert r.status_code == 200, r.text
            seen = acct.get_campaign(cid)["name"]
            assert seen == "n%d" % i, "after renaming to n%d a GET showed %s" % (i, seen)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not problems, problems[:5]
    after = _cache_counts(client)
    gets = after[0] + after[1] - before[0] - before[1]
    assert gets > 100, gets
    if ON_PG:  # four readers and the writer's GETs shared checks
        assert after[2] - before[2] < gets, (before, after)
    client.close()


def _two_nodes(start_server, tmp_path):
    db = tmp_path / "two.db"
    a = start_server(db=db, name="node_a")
    b = start_server(db=db, admin_token=a.admin_token, name="node_b")
    return a, b


@pytest.mark.skipif(not ON_PG, reason="two nodes need a store they share (PostgreSQL)")
def test_another_nodes_write_shows_in_the_next_get(start_server, tmp_path):
    node_a, node_b = _two_nodes(start_server, tmp_path)
    ca, cb = node_a.client(), node_b.client()
    acct = ca.create_account()
    key2, prefix2 = ca.new_key(acct.id)
    cid = acct.create_campaign(voice_body(name="v0"))["id"]

    def get_a(key=acct.api_key):
        return ca.req("GET", "/v1/campaigns/" + cid, key=key)

    assert get_a().json()["name"] == "v0"
    for i in range(1, 21):  # each GET through A follows B's rename at once
        before = _cache_counts(ca)
        assert get_a().json()["name"] == "v%d" % (i - 1)  # cached on A (or refilled)
        r = cb.req("PATCH", "/v1/campaigns/" + cid, key=acct.api_key, json={"name": "v%d" % i})
        assert r.status_code == 200, r.text
        assert get_a().json()["name"] == "v%d" % i
        after = _cache_counts(ca)
        assert after[2] >= before[2] + 2, "every GET asked the database"
    hits = _cache_counts(ca)[0]
    assert hits > 0, "A never answered from its cache"
    # a key revoked through B: refused through A at once, though A's cache
    # held the campaign for that key a moment ago
    assert get_a(key2).status_code == 200
    assert get_a(key2).status_code == 200
    r = cb.admin("DELETE", "/v1/admin/keys/" + prefix2)
    assert r.status_code == 204, r.text
    assert_error(get_a(key2), 401, "unauthenticated")
    assert get_a().status_code == 200  # the account's other key still works
    # another account's key never reads it, cached or not
    other = ca.create_account()
    assert_error(ca.req("GET", "/v1/campaigns/" + cid, key=other.api_key), 404, "not_found")
    ca.close()
    cb.close()


def test_stopping_while_gets_wait_for_their_check_exits_cleanly(start_server):
    """Eight threads GET a campaign without pause while the server is told
    to stop: on PostgreSQL each GET waits for its snapshot check parked
    (its connection suspended, api/server.c); the stop answers every parked
    GET before it ends the HTTP server, which would otherwise abort on a
    suspended connection. Every GET answered before the stop is a 200 and
    the server exits 0 (on SQLite nothing parks: the same holds)."""
    srv, client, acct, cid = _server_with_campaign(start_server, "s")
    stop = threading.Event()
    codes = []

    def reader():
        _get_until(client, acct, cid, stop, lambda r: codes.append(r.status_code) or True,
                   lost_ok=True)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    wait_for(lambda: len(codes) > 200, 30, "GETs answered")
    try:
        srv.stop()  # fails unless campaignd exits 0
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert codes and set(codes) == {200}, sorted(set(codes))
    client.close()
