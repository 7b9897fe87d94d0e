"""The dispatch engine end to end: outcomes by the simulated provider's
digit table, the retry policy, pacing and concurrency invariants, fairness
between campaigns sharing a lane, pause / resume / cancel, and crash safety
(kill -9 mid-campaign, restart, nothing lost or dialled twice).

Timing is asserted only as invariants with slack (never more than N starts
in any window, never above the cap), never as exact durations."""
import collections
import re
import signal
import time

import pytest

from helpers import all_pages, assert_invariant, voice_body, wait_for

CALL_MS = 200


def wait_status(acct, cid, status, timeout=30):
    def check():
        c = acct.get_campaign(cid)
        return c if c["status"] == status else None
    return wait_for(check, timeout, "campaign %s to be %s" % (cid, status))


def upload(acct, cid, numbers):
    for i in range(0, len(numbers), 10000):
        r = acct.post("/v1/campaigns/%s/recipients" % cid,
                      json={"recipients": [{"phone_number": n} for n in numbers[i:i + 10000]]})
        assert r.status_code == 200, r.text
        assert r.json()["accepted"] == len(numbers[i:i + 10000]), r.text


def ms(t):
    """RFC 3339 with milliseconds -> integer ms (UTC)."""
    import datetime
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)


@pytest.fixture
def fast(start_server):
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": str(CALL_MS),
                            "CAMPAIGND_DEFAULT_VOICE_RATE": "200",
                            "CAMPAIGND_DEFAULT_VOICE_CONCURRENCY": "100"})
    c = srv.client()
    yield srv, c, c.create_account()
    c.close()


def start(acct, cid):
    r = acct.post("/v1/campaigns/%s/start" % cid)
    assert r.status_code == 200, r.text
    return r.json()


def test_outcomes_follow_the_digit_table_with_retries(fast):
    srv, client, acct = fast
    c = acct.create_campaign(retry_policy={"max_attempts": 2, "delay_seconds": 0})
    numbers = ["+1415555010%d" % d for d in range(10)]
    upload(acct, c["id"], numbers)
    start(acct, c["id"])
    done = wait_status(acct, c["id"], "completed")
    assert_invariant(done)
    want = {0: ("succeeded", "completed", 1), 6: ("failed", "no_answer", 2),
            7: ("failed", "busy", 2), 8: ("failed", "failed", 1), 9: ("succeeded", "completed", 2)}
    rows = all_pages(acct, "/v1/campaigns/%s/recipients" % c["id"])
    assert len(rows) == 10
    for r in rows:
        d = int(r["phone_number"][-1])
        status, disp, attempts = want.get(d, want[0])
        assert (r["status"], r["disposition"], r["attempts"]) == (status, disp, attempts), r
        assert r["next_attempt_at"] is None
        calls = all_pages(acct, "/v1/calls", {"recipient_id": r["id"]})
        assert sorted(x["attempt"] for x in calls) == list(range(1, attempts + 1)), calls
        assert r["last_call_id"] == max(calls, key=lambda x: x["attempt"])["id"]
        for call in calls:
            assert call["campaign_id"] == c["id"] and call["to"] == r["phone_number"]
            assert call["from"] == "+14155550100" and call["agent_id"] == "agt_123"
            assert call["provider"] == "sim" and call["carrier"] == "default-voice"
            assert call["ended_at"] is not None and call["duration_seconds"] is not None
    counters = done["counters"]
    assert counters["succeeded"] == 7 and counters["failed"] == 3
    assert counters["dispositions"]["completed"] == 7
    assert counters["dispositions"]["no_answer"] == 1
    assert counters["dispositions"]["busy"] == 1
    assert counters["dispositions"]["failed"] == 1
    assert done["completed_at"] is not None


def test_without_a_policy_every_recipient_is_tried_once(fast):
    srv, client, acct = fast
    c = acct.create_campaign()
    upload(acct, c["id"], ["+14155550106", "+14155550109", "+14155550107"])
    start(acct, c["id"])
    wait_status(acct, c["id"], "completed")
    rows = all_pages(acct, "/v1/campaigns/%s/recipients" % c["id"])
    assert all(r["attempts"] == 1 and r["status"] == "failed" for r in rows), rows


def test_retry_waits_delay_from_the_end_of_the_previous_attempt(fast):
    srv, client, acct = fast
    c = acct.create_campaign(retry_policy={"max_attempts": 3, "delay_seconds": 1,
                                           "backoff": "exponential", "retry_on": ["no_answer"]})
    upload(acct, c["id"], ["+14155550106", "+14155550107"])
    start(acct, c["id"])
    # while the first retry waits, next_attempt_at shows when it is due
    def waiting():
        rows = all_pages(acct, "/v1/campaigns/%s/recipients" % c["id"], {"status": "queued"})
        return [r for r in rows if r["next_attempt_at"]]
    queued = wait_for(waiting, 10, "a retry to be scheduled")
    assert queued[0]["disposition"] == "no_answer" and queued[0]["attempts"] == 1
    wait_status(acct, c["id"], "completed", timeout=30)
    rows = {r["phone_number"]: r for r in all_pages(acct, "/v1/campaigns/%s/recipients" % c["id"])}
    busy = rows["+14155550107"]
    assert (busy["status"], busy["disposition"], busy["attempts"]) == ("failed", "busy", 1)
    na = rows["+14155550106"]
    assert (na["status"], na["disposition"], na["attempts"]) == ("failed", "no_answer", 3)
    calls = sorted(all_pages(acct, "/v1/calls", {"recipient_id": na["id"]}),
                   key=lambda x: x["attempt"])
    gap1 = ms(calls[1]["created_at"]) - ms(calls[0]["ended_at"])
    gap2 = ms(calls[2]["created_at"]) - ms(calls[1]["ended_at"])
    assert gap1 >= 1000 - 5, calls   # delay * 2^0
    assert gap2 >= 2000 - 5, calls   # delay * 2^1


def max_in_window(times, window_ms):
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window_ms:
            j += 1
        best = max(best, i - j + 1)
    return best


def max_overlap(intervals):
    events = []
    for a, b in intervals:
        events.append((a, 1))
        events.append((b, -1))
    events.sort(key=lambda e: (e[0], e[1]))  # an end at t frees the slot for a start at t
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def paced_campaign(client, acct, carrier, rate, burst, n):
    """A carrier of +1415 numbers at rate and burst, and a campaign of n
    recipients on it (not started)."""
    r = client.admin("PUT", "/v1/admin/carriers/" + carrier, json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": rate, "burst": burst,
        "max_concurrent": 1000})
    assert r.status_code == 200, r.text
    c = acct.create_campaign()
    upload(acct, c["id"], ["+1415%07d" % (2000000 + i) for i in range(n)])
    return c


def test_pacing_never_exceeds_rate_or_burst(fast):
    srv, client, acct = fast
    c = paced_campaign(client, acct, "paced", 20, 2, 60)
    start(acct, c["id"])
    wait_status(acct, c["id"], "completed", timeout=30)
    calls = all_pages(acct, "/v1/calls", {"campaign_id": c["id"]})
    assert len(calls) == 60 and all(x["carrier"] == "paced" for x in calls)
    starts = [ms(x["created_at"]) for x in calls]
    for w in (1, 50, 500, 1000, 2000):
        # GCRA: at most burst + rate * W starts in any window of W ms
        assert max_in_window(starts, w) <= 2 + 20 * w / 1000.0, (w, sorted(starts))


def _passes(client):
    text = client.req("GET", "/metrics").text
    return int(re.search(r"^campaignd_engine_passes_total (\d+)$", text, re.M).group(1))


def test_the_engine_gathers_work_into_few_passes_and_keeps_the_pace(start_server):
    """--engine-gather-ms 20, a lane of 500/s with a burst of 40: claims wait
    past their slot by at most min(20 ms, half of the burst's 78 ms), and
    reports wait for the same pass, so 600 calls (each a claim, a submit's
    answer and an end) take far fewer passes than calls; the GCRA bound
    holds in every window all the same. A slower machine only gathers
    more (fewer passes)."""
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": str(CALL_MS),
                            "CAMPAIGND_ENGINE_GATHER_MS": "20"})
    client = srv.client()
    acct = client.create_account()
    c = paced_campaign(client, acct, "gathered", 500, 40, 600)
    before = _passes(client)
    start(acct, c["id"])
    wait_status(acct, c["id"], "completed", timeout=60)
    passes = _passes(client) - before
    calls = all_pages(acct, "/v1/calls", {"campaign_id": c["id"]})
    assert len(calls) == 600
    assert passes <= 600 // 3, passes  # one a report or two without gathering
    starts = [ms(x["created_at"]) for x in calls]
    for w in (1, 50, 500, 1000):
        assert max_in_window(starts, w) <= 40 + 500 * w / 1000.0, (w, sorted(starts))
    client.close()


def test_concurrency_cap_is_never_exceeded(fast):
    srv, client, acct = fast
    r = client.admin("PUT", "/v1/admin/carriers/narrow", json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": 1000, "burst": 50,
        "max_concurrent": 3})
    assert r.status_code == 200, r.text
    c = acct.create_campaign()
    upload(acct, c["id"], ["+1415%07d" % (2000000 + i * 10) for i in range(24)])
    start(acct, c["id"])
    wait_status(acct, c["id"], "completed", timeout=30)
    calls = all_pages(acct, "/v1/calls", {"campaign_id": c["id"]})
    assert len(calls) == 24
    peak = max_overlap([(ms(x["created_at"]), ms(x["ended_at"])) for x in calls])
    assert 1 <= peak <= 3, peak


def test_campaigns_sharing_a_lane_share_it_fairly(fast):
    srv, client, acct = fast
    r = client.admin("PUT", "/v1/admin/carriers/shared", json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": 20, "burst": 1,
        "max_concurrent": 1000})
    assert r.status_code == 200, r.text
    big = acct.create_campaign()
    small = acct.create_campaign()
    upload(acct, big["id"], ["+1415%07d" % (2000000 + i) for i in range(200)])
    upload(acct, small["id"], ["+1415%07d" % (3000000 + i * 10) for i in range(10)])
    start(acct, big["id"])
    time.sleep(0.3)
    start(acct, small["id"])
    done_small = wait_status(acct, small["id"], "completed", timeout=30)
    big_now = acct.get_campaign(big["id"])
    # the small campaign finished while the big one still had most of its work
    assert big_now["status"] == "running", big_now
    assert big_now["counters"]["queued"] > 100, big_now["counters"]
    assert done_small["counters"]["succeeded"] == 10
    acct.post("/v1/campaigns/%s/cancel" % big["id"])


def test_pause_stops_new_dials_and_resume_completes(fast):
    srv, client, acct = fast
    r = client.admin("PUT", "/v1/admin/carriers/slow", json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": 10, "burst": 1,
        "max_concurrent": 100})
    assert r.status_code == 200, r.text
    c = acct.create_campaign()
    upload(acct, c["id"], ["+1415%07d" % (2000000 + i * 10) for i in range(40)])
    start(acct, c["id"])
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["succeeded"] >= 3, 10, "progress")
    r = acct.post("/v1/campaigns/%s/pause" % c["id"])
    assert r.status_code == 200 and r.json()["status"] == "paused"
    paused_at = ms(r.json()["updated_at"])
    time.sleep(1.0)
    calls = all_pages(acct, "/v1/calls", {"campaign_id": c["id"]})
    # nothing new started after the pause (100 ms of slack for the move to act)
    assert all(ms(x["created_at"]) <= paused_at + 100 for x in calls), paused_at
    after = acct.get_campaign(c["id"])
    assert after["status"] == "paused" and after["counters"]["dispatched"] == 0
    assert after["counters"]["queued"] > 0
    assert_invariant(after)
    r = acct.post("/v1/campaigns/%s/resume" % c["id"])
    assert r.status_code == 200 and r.json()["status"] == "running"
    done = wait_status(acct, c["id"], "completed", timeout=30)
    assert done["counters"]["succeeded"] == 40


def test_cancel_fails_queued_at_once_and_lets_in_flight_finish(fast):
    srv, client, acct = fast
    r = client.admin("PUT", "/v1/admin/carriers/slow2", json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": 10, "burst": 1,
        "max_concurrent": 100})
    assert r.status_code == 200, r.text
    c = acct.create_campaign(retry_policy={"max_attempts": 3, "delay_seconds": 0})
    upload(acct, c["id"], ["+1415%07d" % (2000000 + i) for i in range(30)])
    start(acct, c["id"])
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["dispatched"] >= 1, 10, "a dial")
    r = acct.post("/v1/campaigns/%s/cancel" % c["id"])
    assert r.status_code == 200, r.text
    cancelled = r.json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    assert cancelled["counters"]["queued"] == 0
    assert cancelled["counters"]["dispositions"]["cancelled"] >= 1
    assert_invariant(cancelled)
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["dispatched"] == 0, 10, "in-flight")
    final = acct.get_campaign(c["id"])
    assert final["status"] == "cancelled"
    assert_invariant(final)
    n_calls = len(all_pages(acct, "/v1/calls", {"campaign_id": c["id"]}))
    assert n_calls == final["counters"]["succeeded"] + final["counters"]["failed"] - \
        final["counters"]["dispositions"]["cancelled"]
    time.sleep(0.5)
    assert len(all_pages(acct, "/v1/calls", {"campaign_id": c["id"]})) == n_calls


def test_calls_api_filters_and_scoping(fast):
    srv, client, acct = fast
    other = client.create_account()
    c = acct.create_campaign()
    upload(acct, c["id"], ["+14155550100", "+14155550108"])
    start(acct, c["id"])
    wait_status(acct, c["id"], "completed")
    calls = all_pages(acct, "/v1/calls", {"campaign_id": c["id"]})
    assert {x["status"] for x in calls} == {"completed", "failed"}
    failed = all_pages(acct, "/v1/calls", {"campaign_id": c["id"], "status": "failed"})
    assert [x["to"] for x in failed] == ["+14155550108"]
    one = acct.get("/v1/calls/" + calls[0]["id"])
    assert one.status_code == 200 and one.json() == calls[0]
    assert other.get("/v1/calls/" + calls[0]["id"]).status_code == 404
    assert all_pages(other, "/v1/calls", {"campaign_id": c["id"]}) == []
    r = acct.get("/v1/calls", params={"status": "bogus"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_argument"


def test_kill_9_mid_campaign_loses_nothing_and_dials_nothing_twice(start_server, tmp_path):
    env = {"CAMPAIGND_SIM_CALL_MS": "300", "CAMPAIGND_DEFAULT_VOICE_RATE": "400",
           "CAMPAIGND_DEFAULT_VOICE_BURST": "20", "CAMPAIGND_DEFAULT_VOICE_CONCURRENCY": "200"}
    db = tmp_path / "crash.db"
    srv = start_server(env=env, db=db, name="first")
    client = srv.client()
    acct = client.create_account()
    c = acct.create_campaign(retry_policy={"max_attempts": 2, "delay_seconds": 0})
    n = 3000
    upload(acct, c["id"], ["+1415%07d" % (2000000 + i) for i in range(n)])
    start(acct, c["id"])
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["succeeded"] >= 300, 30,
             "some progress")
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.stop(check=False)
    client.close()

    again = start_server(env=env, db=db, admin_token=srv.admin_token, name="second")
    c2 = again.client()
    acct.client = c2
    mid = acct.get_campaign(c["id"])
    assert_invariant(mid)
    done = wait_status(acct, c["id"], "completed", timeout=90)
    assert_invariant(done)
    counters = done["counters"]
    assert counters["total"] == n and counters["queued"] == 0 and counters["dispatched"] == 0
    rows = all_pages(acct, "/v1/campaigns/%s/recipients" % c["id"])
    assert len(rows) == n
    calls = all_pages(acct, "/v1/calls", {"campaign_id": c["id"]})
    per = collections.Counter((x["recipient_id"], x["attempt"]) for x in calls)
    assert max(per.values()) == 1, "an attempt was dialled twice"
    by_recipient = collections.Counter(x["recipient_id"] for x in calls)
    for r in rows:
        assert r["status"] in ("succeeded", "failed"), r
        assert by_recipient[r["id"]] == r["attempts"], r
        d = int(r["phone_number"][-1])
        want = {6: "no_answer", 7: "busy", 8: "failed"}.get(d, "completed")
        assert r["disposition"] == want, r
    assert all(x["ended_at"] for x in calls)
    c2.close()
