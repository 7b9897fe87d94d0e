"""The campaign cache (api/campaign_cache.c): GET /v1/campaigns/{id}
answers from what it last rendered only while nothing was written since, so
every write, by the API or by the engine, shows in the next GET; an entry
answers its own account only; GET /metrics counts hits and misses (SQLite:
on PostgreSQL there is no cache and no such series)."""
import re

from helpers import ON_PG, all_pages, assert_error, assert_invariant, voice_body, wait_for


def _cache_counts(client):
    text = client.req("GET", "/metrics").text
    hits = re.search(r"^campaignd_campaign_cache_hits_total (\d+)$", text, re.M)
    misses = re.search(r"^campaignd_campaign_cache_misses_total (\d+)$", text, re.M)
    if ON_PG:
        assert hits is None and misses is None, "no cache on a shared store"
        return None
    return int(hits.group(1)), int(misses.group(1))


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
    if before is not None:
        assert after[0] == before[0] + 1, (before, after)  # nothing written: a hit
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
    if before is not None:
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


def test_readers_filling_the_cache_never_hide_a_write(start_server):
    """Four threads GET a campaign as fast as they can (filling and
    refilling the cache) while a writer renames it 100 times: every GET
    the writer sends after a rename's answer shows that name, and no
    reader ever sees the names go backwards."""
    import threading
    srv = start_server()
    client = srv.client()
    acct = client.create_account()
    cid = acct.create_campaign(voice_body(name="n0"))["id"]
    stop = threading.Event()
    problems = []

    def reader():
        c = client.__class__(client.base, client.admin_token)
        last = 0
        try:
            while not stop.is_set():
                r = c.req("GET", "/v1/campaigns/" + cid, key=acct.api_key)
                if r.status_code != 200:
                    problems.append(r.status_code)
                    return
                n = int(r.json()["name"][1:])
                if n < last:
                    problems.append("went back from n%d to n%d" % (last, n))
                last = n
        finally:
            c.close()

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
    client.close()
