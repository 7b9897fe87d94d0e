"""Time rules end to end: config.call_window (validation at create and PATCH,
a window closed now, one open now, each recipient's own zone from the phone
prefix table), schedule.start_at (nothing dialled before it), schedule.end_at
(the rest expires, in-flight calls finish, the campaign completes), and pausing
across a window boundary.

The server runs on the real clock, so every window is computed from the
current time; timing is asserted only as orderings and invariants with slack,
never as exact durations."""
import datetime
import time
import zoneinfo

import pytest

from helpers import SLOW, all_pages, assert_error, assert_invariant, voice_body, wait_for

CALL_MS = 200
UTC = datetime.timezone.utc
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


# ---- helpers (as in test_engine.py) ----

def wait_status(acct, cid, status, timeout=30):
    def check():
        c = acct.get_campaign(cid)
        return c if c["status"] == status else None
    return wait_for(check, timeout, "campaign %s to be %s" % (cid, status))


def upload(acct, cid, numbers):
    r = acct.post("/v1/campaigns/%s/recipients" % cid,
                  json={"recipients": [{"phone_number": n} for n in numbers]})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == len(numbers), r.text


def recipients(acct, cid):
    return all_pages(acct, "/v1/campaigns/%s/recipients" % cid)


def calls_of(acct, cid):
    return all_pages(acct, "/v1/calls", {"campaign_id": cid})


def ms(t):
    """RFC 3339 with milliseconds -> integer ms (UTC)."""
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(d.replace(tzinfo=UTC).timestamp() * 1000 + 0.5)


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


def dt_ms(d):
    """An aware datetime -> integer ms (UTC), exactly (floored)."""
    return (d - EPOCH) // datetime.timedelta(milliseconds=1)


def rfc3339(ms_value):
    d = datetime.datetime.fromtimestamp(ms_value / 1000.0, tz=UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms_value % 1000)


def now_ms():
    return int(time.time() * 1000)


def hhmm(d):
    return d.strftime("%H:%M")


def floor_minute(d):
    return d.replace(second=0, microsecond=0)


def next_wall_opening(zone, start, now):
    """The first instant >= now at which the wall clock of zone shows start
    ("HH:MM"), as ms."""
    h, m = map(int, start.split(":"))
    local = now.astimezone(zone)
    best = None
    for days in range(-1, 3):
        day = local.date() + datetime.timedelta(days=days)
        cand = datetime.datetime(day.year, day.month, day.day, h, m, tzinfo=zone)
        at = dt_ms(cand)
        if at >= dt_ms(now) and (best is None or at < best):
            best = at
    return best


def start(acct, cid):
    r = acct.post("/v1/campaigns/%s/start" % cid)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "running", r.text
    return r.json()


def move(acct, cid, what, want):
    r = acct.post("/v1/campaigns/%s/%s" % (cid, what))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == want, r.text
    return r.json()


def window_config(**window):
    return {"caller_id": "+14155550100", "call_window": window}


def put_carrier(client, name, prefixes, rate, burst, concurrent):
    r = client.admin("PUT", "/v1/admin/carriers/" + name, json={
        "channel": "voice", "prefixes": prefixes, "rate_per_second": rate, "burst": burst,
        "max_concurrent": concurrent})
    assert r.status_code == 200, r.text


def numbers(prefix, n, last_digit=0, base=2000000):
    """n distinct valid numbers under prefix ("+1415") ending in last_digit."""
    return ["%s%07d" % (prefix, base + i * 10 + last_digit) for i in range(n)]


def next_boundary(margin_s):
    """The next whole UTC minute at least margin_s seconds away, as a datetime."""
    now = datetime.datetime.now(UTC)
    b = floor_minute(now) + datetime.timedelta(minutes=1)
    if (b - now).total_seconds() < margin_s:
        b += datetime.timedelta(minutes=1)
    return b


@pytest.fixture
def fast(start_server):
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": str(CALL_MS)})
    c = srv.client()
    yield srv, c, c.create_account()
    c.close()


# ---- validation ----

BAD_WINDOWS = [
    ({"start": "09:00", "end": "17:00", "timezone": "Mars/Olympus"},
     "config.call_window.timezone"),
    ({"start": "09:00", "end": "17:00", "timezone": "America/New York"},
     "config.call_window.timezone"),
    ({"start": "25:00", "end": "17:00"}, "config.call_window.start"),
    ({"start": "09:00", "end": "24:00"}, "config.call_window.end"),
    ({"start": "9:00", "end": "17:00"}, "config.call_window.start"),
    ({"end": "17:00"}, "config.call_window.start"),
    ({"start": "09:00"}, "config.call_window.end"),
    ({"start": "09:00", "end": "17:00", "days": ["mon", "funday"]},
     "config.call_window.days[1]"),
    ({"start": "09:00", "end": "17:00", "days": "mon"}, "config.call_window.days"),
    ({"start": "09:00", "end": "17:00", "timezone": "recipient",
      "fallback_timezone": "Nowhere/Land"}, "config.call_window.fallback_timezone"),
    ({"start": "09:00", "end": "17:00", "fallback_timezone": "recipient"},
     "config.call_window.fallback_timezone"),
]


@pytest.mark.parametrize("window,field", BAD_WINDOWS,
                         ids=[f.split(".")[-1] + "-" + str(i) for i, (_, f)
                              in enumerate(BAD_WINDOWS)])
def test_bad_call_window_is_422_at_create_and_patch(client, window, field):
    acct = client.create_account()
    before = acct.get("/v1/campaigns").json()["data"]
    r = acct.post("/v1/campaigns", json=voice_body(config=window_config(**window)))
    assert_error(r, 422, "invalid_argument", field)
    assert acct.get("/v1/campaigns").json()["data"] == before  # nothing created

    good = {"start": "09:00", "end": "17:00", "timezone": "America/New_York"}
    c = acct.create_campaign(voice_body(config=window_config(**good)))
    r = acct.patch("/v1/campaigns/" + c["id"], json={"config": window_config(**window)})
    assert_error(r, 422, "invalid_argument", field)
    after = acct.get_campaign(c["id"])
    assert after["config"] == c["config"]  # a failed PATCH changes nothing
    assert after["updated_at"] == c["updated_at"]


def test_valid_call_windows_are_kept_as_sent(client):
    acct = client.create_account()
    windows = [
        {"start": "09:00", "end": "20:00"},
        {"start": "22:00", "end": "02:00", "days": ["fri", "sat"], "timezone": "Europe/Berlin"},
        {"start": "08:00", "end": "21:00", "days": ["mon", "tue", "wed", "thu", "fri"],
         "timezone": "recipient", "fallback_timezone": "America/Chicago"},
    ]
    c = acct.create_campaign(voice_body(config=window_config(**windows[0])))
    assert c["config"]["call_window"] == windows[0]
    for w in windows[1:]:
        r = acct.patch("/v1/campaigns/" + c["id"], json={"config": window_config(**w)})
        assert r.status_code == 200, r.text
        assert r.json()["config"]["call_window"] == w
        assert acct.get_campaign(c["id"])["config"]["call_window"] == w


def test_bad_schedule_is_422(client):
    acct = client.create_account()
    r = acct.post("/v1/campaigns", json=voice_body(schedule={"start_at": "tomorrow"}))
    assert_error(r, 422, "invalid_argument", "schedule.start_at")
    r = acct.post("/v1/campaigns", json=voice_body(schedule={"end_at": "2026-13-01T00:00:00Z"}))
    assert_error(r, 422, "invalid_argument", "schedule.end_at")
    r = acct.post("/v1/campaigns", json=voice_body(schedule={
        "start_at": "2030-01-02T00:00:00.000Z", "end_at": "2030-01-01T00:00:00.000Z"}))
    assert_error(r, 422, "invalid_argument", "schedule.end_at")
    c = acct.create_campaign()
    r = acct.patch("/v1/campaigns/" + c["id"], json={"schedule": {"start_at": 5}})
    assert_error(r, 422, "invalid_argument", "schedule.start_at")
    assert acct.get_campaign(c["id"])["schedule"] is None


def test_call_window_cannot_change_after_start(fast):
    srv, client, acct = fast
    c = acct.create_campaign()
    upload(acct, c["id"], numbers("+1415", 1))
    start(acct, c["id"])
    r = acct.patch("/v1/campaigns/" + c["id"],
                   json={"config": window_config(start="09:00", end="10:00")})
    assert_error(r, 409, "invalid_transition", check_field=False)


# ---- a window closed now ----

def test_closed_utc_window_dials_nothing_and_shows_the_opening(fast):
    srv, client, acct = fast
    now = datetime.datetime.now(UTC)
    opens = floor_minute(now) + datetime.timedelta(hours=2)
    window = {"start": hhmm(opens), "end": hhmm(opens + datetime.timedelta(hours=1)),
              "timezone": "UTC"}
    c = acct.create_campaign(voice_body(config=window_config(**window)))
    nums = numbers("+1415", 5)
    upload(acct, c["id"], nums)
    # in draft: next_attempt_at already shows the opening
    for r in recipients(acct, c["id"]):
        assert r["next_attempt_at"] is not None and ms(r["next_attempt_at"]) == dt_ms(opens), r
    start(acct, c["id"])
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        k = acct.get_campaign(c["id"])
        assert k["status"] == "running", k
        assert k["counters"]["queued"] == 5 and k["counters"]["dispatched"] == 0, k["counters"]
        assert_invariant(k)
        time.sleep(0.1)
    assert calls_of(acct, c["id"]) == []
    rows = recipients(acct, c["id"])
    assert len(rows) == 5
    for r in rows:
        assert r["status"] == "queued" and r["attempts"] == 0 and r["disposition"] is None, r
        assert r["last_attempt_at"] is None and r["last_call_id"] is None, r
        assert ms(r["next_attempt_at"]) == dt_ms(opens), (r, rfc3339(dt_ms(opens)))
        one = acct.get("/v1/campaigns/%s/recipients/%s" % (c["id"], r["id"]))
        assert one.status_code == 200 and one.json()["next_attempt_at"] == r["next_attempt_at"]
    move(acct, c["id"], "cancel", "cancelled")


def _table_loaded(srv):
    return "phone prefixes from" in srv.log()


def test_closed_window_in_the_recipients_own_zone(fast):
    srv, client, acct = fast
    if not _table_loaded(srv):
        pytest.skip("no phone prefix time-zone table beside the binary")
    now = datetime.datetime.now(UTC)
    opens = floor_minute(now) + datetime.timedelta(hours=2)
    local = opens.astimezone(NEW_YORK)
    # the window in New York wall-clock time: opens 2 h from now, 1 h long
    window = {"start": hhmm(local), "end": hhmm(local + datetime.timedelta(hours=1)),
              "timezone": "recipient", "fallback_timezone": "Asia/Tokyo"}
    c = acct.create_campaign(voice_body(config=window_config(**window)))
    ny, berlin = "+12015550123", "+493090182000"
    upload(acct, c["id"], [ny, berlin])
    start(acct, c["id"])
    time.sleep(2)
    k = acct.get_campaign(c["id"])
    assert k["status"] == "running" and k["counters"]["queued"] == 2, k
    assert calls_of(acct, c["id"]) == []
    rows = {r["phone_number"]: r for r in recipients(acct, c["id"])}
    # New York: the opening 2 h from now (UTC or Tokyo would differ by hours)
    want_ny = next_wall_opening(NEW_YORK, window["start"], now)
    assert want_ny == dt_ms(opens)
    assert rows[ny]["status"] == "queued" and rows[ny]["attempts"] == 0, rows[ny]
    assert ms(rows[ny]["next_attempt_at"]) == want_ny, (rows[ny], rfc3339(want_ny))
    # Berlin (6 h ahead of New York, 5 h for a few weeks a year): the same
    # wall-clock window is past for today there; its own next opening
    want_de = next_wall_opening(BERLIN, window["start"], now)
    assert rows[berlin]["status"] == "queued" and rows[berlin]["attempts"] == 0, rows[berlin]
    assert rows[berlin]["next_attempt_at"] is not None, rows[berlin]
    assert ms(rows[berlin]["next_attempt_at"]) == want_de, (rows[berlin], rfc3339(want_de))
    move(acct, c["id"], "cancel", "cancelled")


# ---- a window open now ----

def test_open_window_dials_and_completes(fast):
    srv, client, acct = fast
    now = datetime.datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    window = {"start": hhmm(hour), "end": hhmm(hour + datetime.timedelta(hours=2)),
              "timezone": "UTC"}
    c = acct.create_campaign(voice_body(config=window_config(**window)))
    nums = numbers("+1415", 6)
    upload(acct, c["id"], nums)
    for r in recipients(acct, c["id"]):
        assert r["next_attempt_at"] is None, r
    start(acct, c["id"])
    done = wait_status(acct, c["id"], "completed", timeout=30)
    assert_invariant(done)
    assert done["counters"]["succeeded"] == 6, done["counters"]
    calls = calls_of(acct, c["id"])
    assert sorted(x["to"] for x in calls) == sorted(nums)
    assert all(x["status"] == "completed" for x in calls), calls


def test_open_window_in_the_recipients_own_zone(fast):
    srv, client, acct = fast
    if not _table_loaded(srv):
        pytest.skip("no phone prefix time-zone table beside the binary")
    local = datetime.datetime.now(NEW_YORK)
    hour = local.replace(minute=0, second=0, microsecond=0)
    # open now in New York; the same wall-clock hours are closed in UTC
    # (4-5 h ahead) and the fallback Tokyo
    window = {"start": hhmm(hour), "end": hhmm(hour + datetime.timedelta(hours=2)),
              "timezone": "recipient", "fallback_timezone": "Asia/Tokyo"}
    c = acct.create_campaign(voice_body(config=window_config(**window)))
    upload(acct, c["id"], ["+12015550123"])
    start(acct, c["id"])
    done = wait_status(acct, c["id"], "completed", timeout=30)
    assert done["counters"]["succeeded"] == 1, done["counters"]


def test_multi_zone_prefix_waits_for_the_last_zone_to_open(fast):
    """+1 208 210 is listed as America/Boise&America/Los_Angeles (Los Angeles
    is an hour behind): a window open now in Boise but not yet in Los
    Angeles holds the number until it opens in Los Angeles too, while a
    number listed as America/Denver (Boise's offset) is dialled at once."""
    srv, client, acct = fast
    if not _table_loaded(srv):
        pytest.skip("no phone prefix time-zone table beside the binary")
    boise = zoneinfo.ZoneInfo("America/Boise")
    los_angeles = zoneinfo.ZoneInfo("America/Los_Angeles")
    now = datetime.datetime.now(UTC)
    base = floor_minute(now)
    local = base.astimezone(boise)
    # Boise wall clock: opened 30 min ago, closes in 90 min; Los Angeles
    # reaches the opening wall time in 30 min, while Boise is still open
    window = {"start": hhmm(local - datetime.timedelta(minutes=30)),
              "end": hhmm(local + datetime.timedelta(minutes=90)),
              "timezone": "recipient", "fallback_timezone": "America/Boise"}
    c = acct.create_campaign(voice_body(config=window_config(**window)))
    both, denver, tollfree = "+12082105550", "+12082305550", "+18005550100"
    upload(acct, c["id"], [both, denver, tollfree])
    start(acct, c["id"])
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["succeeded"] == 1, 10,
             "the Denver-zone number to be dialled")
    time.sleep(1.5)
    calls = calls_of(acct, c["id"])
    assert [x["to"] for x in calls] == [denver], calls
    rows = {r["phone_number"]: r for r in recipients(acct, c["id"])}
    assert rows[both]["status"] == "queued" and rows[both]["attempts"] == 0, rows[both]
    want = next_wall_opening(los_angeles, window["start"], now)
    assert want == dt_ms(base + datetime.timedelta(minutes=30))
    assert ms(rows[both]["next_attempt_at"]) == want, (rows[both], rfc3339(want))
    # "+1" toll-free: every North American zone, from Guam to Adak: the
    # window is never open in all of them, so it is never dialled
    assert rows[tollfree]["status"] == "queued" and rows[tollfree]["attempts"] == 0, \
        rows[tollfree]
    move(acct, c["id"], "cancel", "cancelled")


def test_never_open_window_is_not_shown_as_due_now(client):
    acct = client.create_account()
    c = acct.create_campaign(voice_body(config=window_config(
        start="09:00", end="17:00", timezone="recipient")))
    # +1 800 is listed under "1": every North American zone, Guam to Adak
    upload(acct, c["id"], ["+18005550100"])
    r = recipients(acct, c["id"])[0]
    assert r["status"] == "queued"
    assert r["next_attempt_at"] is not None, r


# ---- schedule.start_at ----

def test_start_at_delays_the_first_dial(fast):
    srv, client, acct = fast
    start_at = now_ms() + 4000 * SLOW
    c = acct.create_campaign(voice_body(schedule={"start_at": rfc3339(start_at)}))
    nums = numbers("+1415", 5)
    upload(acct, c["id"], nums)
    for r in recipients(acct, c["id"]):
        assert ms(r["next_attempt_at"]) == start_at, r
    started = start(acct, c["id"])
    assert started["started_at"] is not None
    time.sleep(0.5)
    k = acct.get_campaign(c["id"])
    assert k["status"] == "running" and k["counters"]["queued"] == 5, k
    assert calls_of(acct, c["id"]) == []
    for r in recipients(acct, c["id"]):
        assert r["status"] == "queued", r
        assert ms(r["next_attempt_at"]) == start_at, (r, rfc3339(start_at))
    assert now_ms() < start_at, "the machine is too slow for this test"
    done = wait_status(acct, c["id"], "completed", timeout=30)
    assert done["counters"]["succeeded"] == 5, done["counters"]
    calls = calls_of(acct, c["id"])
    assert len(calls) == 5
    for x in calls:
        assert ms(x["created_at"]) >= start_at, (x, rfc3339(start_at))
    for r in recipients(acct, c["id"]):
        assert r["next_attempt_at"] is None and r["status"] == "succeeded", r


def test_start_at_and_a_closed_window_wait_for_the_later(fast):
    srv, client, acct = fast
    now = datetime.datetime.now(UTC)
    opens = floor_minute(now) + datetime.timedelta(hours=2)
    window = {"start": hhmm(opens), "end": hhmm(opens + datetime.timedelta(hours=1))}
    # start_at before the opening: the opening wins
    early = dt_ms(now) + 60000
    c = acct.create_campaign(voice_body(config=window_config(**window),
                                        schedule={"start_at": rfc3339(early)}))
    upload(acct, c["id"], numbers("+1415", 1))
    assert ms(recipients(acct, c["id"])[0]["next_attempt_at"]) == dt_ms(opens)
    # start_at inside the window, after its opening: start_at wins
    late = dt_ms(opens) + 10 * 60000 + 123
    r = acct.patch("/v1/campaigns/" + c["id"], json={"schedule": {"start_at": rfc3339(late)}})
    assert r.status_code == 200, r.text
    assert ms(recipients(acct, c["id"])[0]["next_attempt_at"]) == late


# ---- schedule.end_at ----

def test_end_at_expires_the_rest_and_completes(fast):
    srv, client, acct = fast
    put_carrier(client, "slow", ["+1415"], 2, 1, 5)
    c = acct.create_campaign()
    nums = numbers("+1415", 30)
    upload(acct, c["id"], nums)
    end_at = now_ms() + 3000
    r = acct.patch("/v1/campaigns/" + c["id"], json={"schedule": {"end_at": rfc3339(end_at)}})
    assert r.status_code == 200, r.text
    start(acct, c["id"])
    # before end_at the campaign is dialling
    mid = acct.get_campaign(c["id"])
    assert mid["status"] == "running" and mid["counters"]["failed"] == 0, mid
    while now_ms() < end_at:
        time.sleep(0.05)
    # within a second or so of end_at nothing is queued any more
    wait_for(lambda: acct.get_campaign(c["id"])["counters"]["queued"] == 0, 5,
             "the queued recipients to expire")
    done = wait_status(acct, c["id"], "completed", timeout=30)
    assert_invariant(done)
    assert ms(done["completed_at"]) >= end_at
    rows = recipients(acct, c["id"])
    calls = calls_of(acct, c["id"])
    assert len(rows) == 30
    dialled = [r for r in rows if r["attempts"] > 0]
    expired = [r for r in rows if r["attempts"] == 0]
    for r in dialled:
        assert (r["status"], r["disposition"], r["attempts"]) == ("succeeded", "completed", 1), r
    for r in expired:
        assert (r["status"], r["disposition"]) == ("failed", "expired"), r
        assert r["last_call_id"] is None and r["next_attempt_at"] is None, r
    assert 1 <= len(dialled) < 30, [r["attempts"] for r in rows]
    assert len(expired) >= 10, len(expired)  # 2/s for 3 s leaves most undialled
    # the calls that started all finished
    assert len(calls) == len(dialled)
    for x in calls:
        assert x["status"] == "completed" and x["ended_at"] is not None, x
        assert ms(x["created_at"]) <= end_at, (x, rfc3339(end_at))
    k = done["counters"]
    assert k["queued"] == 0 and k["dispatched"] == 0
    assert k["dispositions"].get("expired") == len(expired), k
    assert k["dispositions"].get("completed") == len(dialled), k
    # nothing more happens afterwards
    time.sleep(1)
    assert len(calls_of(acct, c["id"])) == len(calls)
    assert acct.get_campaign(c["id"]) == done


def test_a_hundred_campaigns_ending_at_once_all_expire_and_complete(fast):
    # More campaigns end together than one sweep used to handle (64): every
    # one must have its queued recipients expired and be completed.
    srv, client, acct = fast
    put_carrier(client, "trickle", ["+1415"], 1, 1, 1)
    n, per = 100, 3
    end_at = now_ms() + 10000
    ids = []
    for i in range(n):
        c = acct.create_campaign(voice_body(schedule={"end_at": rfc3339(end_at)}))
        upload(acct, c["id"], numbers("+1415", per))
        ids.append(c["id"])
    for cid in ids:
        start(acct, cid)
    if now_ms() >= end_at - 500:
        pytest.skip("setting up 100 campaigns took too long here to test end_at")
    while now_ms() < end_at:
        time.sleep(0.1)
    for cid in ids:
        done = wait_status(acct, cid, "completed", timeout=30)
        assert_invariant(done)
        k = done["counters"]
        assert k["total"] == per and k["queued"] == 0 and k["dispatched"] == 0, (cid, k)
        d = k["dispositions"]
        assert d.get("expired", 0) + d.get("completed", 0) == per, (cid, k)
        assert k["failed"] == d.get("expired", 0) and k["succeeded"] == d.get("completed", 0), k
        if d.get("expired"):
            assert ms(done["completed_at"]) >= end_at, done
    # one call a second over ~10 s: most recipients never got dialled
    total_expired = sum(acct.get_campaign(cid)["counters"]["dispositions"].get("expired", 0)
                        for cid in ids)
    assert total_expired >= n * per - 30, total_expired


def test_end_at_already_past_at_start_expires_everything(fast):
    srv, client, acct = fast
    past = now_ms() - 60000
    c = acct.create_campaign(voice_body(schedule={"end_at": rfc3339(past)}))
    upload(acct, c["id"], numbers("+1415", 4))
    start(acct, c["id"])
    done = wait_status(acct, c["id"], "completed", timeout=10)
    assert done["counters"]["failed"] == 4, done["counters"]
    assert done["counters"]["dispositions"].get("expired") == 4, done["counters"]
    assert calls_of(acct, c["id"]) == []


def test_end_at_no_retry_dialled_after_it(start_server):
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": "1500"})
    client = srv.client()
    try:
        acct = client.create_account()
        put_carrier(client, "slow", ["+1415"], 2, 1, 5)
        c = acct.create_campaign(retry_policy={"max_attempts": 3, "delay_seconds": 0,
                                               "retry_on": ["no_answer"]})
        upload(acct, c["id"], numbers("+1415", 20, last_digit=6))  # every call no_answer
        end_at = now_ms() + 3000
        r = acct.patch("/v1/campaigns/" + c["id"],
                       json={"schedule": {"end_at": rfc3339(end_at)}})
        assert r.status_code == 200, r.text
        start(acct, c["id"])
        done = wait_status(acct, c["id"], "completed", timeout=30)
        assert_invariant(done)
        calls = calls_of(acct, c["id"])
        late = [x for x in calls if ms(x["created_at"]) > end_at]
        assert late == [], "dialled after end_at %s: %s" % (rfc3339(end_at), late)
        for r in recipients(acct, c["id"]):
            assert r["status"] == "failed", r
            assert r["disposition"] in ("expired", "no_answer"), r
    finally:
        client.close()


# ---- pausing across window boundaries ----

def test_pause_across_window_boundaries(fast):
    """Two campaigns, one boundary B (a whole UTC minute): one window opens
    at B while its campaign is paused (nothing is dialled until resume), the
    other closes at B while its campaign is paused (nothing is dialled after
    resume; the recipients wait for tomorrow's opening)."""
    srv, client, acct = fast
    put_carrier(client, "slow", ["+1415"], 1, 1, 5)
    b = next_boundary(12 * SLOW)
    b_ms = dt_ms(b)

    opening = acct.create_campaign(voice_body(config=window_config(
        start=hhmm(b), end=hhmm(b + datetime.timedelta(hours=1)), timezone="UTC")))
    upload(acct, opening["id"], numbers("+1212", 4))
    closing_start = b - datetime.timedelta(hours=2)
    closing = acct.create_campaign(voice_body(config=window_config(
        start=hhmm(closing_start), end=hhmm(b), timezone="UTC")))
    upload(acct, closing["id"], numbers("+1415", 200))

    start(acct, opening["id"])
    start(acct, closing["id"])
    # the closed one waits for B; the open one dials (1/s)
    for r in recipients(acct, opening["id"]):
        assert r["next_attempt_at"] is not None, r
        assert ms(r["next_attempt_at"]) == b_ms, (r, b.isoformat())
    wait_for(lambda: acct.get_campaign(closing["id"])["counters"]["succeeded"] >= 2, 10,
             "the open window's campaign to dial")
    assert calls_of(acct, opening["id"]) == []
    assert now_ms() < b_ms - 1000, "the machine is too slow for this test"

    move(acct, opening["id"], "pause", "paused")
    move(acct, closing["id"], "pause", "paused")
    # until B and 2 s past it: nothing dialled for the campaign whose window
    # opens at B, as long as it is paused
    while now_ms() < b_ms + 2000:
        assert calls_of(acct, opening["id"]) == []
        assert acct.get_campaign(opening["id"])["status"] == "paused"
        time.sleep(0.5)

    # B passed while paused: the opened window dials nothing while paused
    assert calls_of(acct, opening["id"]) == []
    k = acct.get_campaign(opening["id"])
    assert k["status"] == "paused" and k["counters"]["queued"] == 4, k
    move(acct, opening["id"], "resume", "running")
    done = wait_status(acct, opening["id"], "completed", timeout=30)
    assert done["counters"]["succeeded"] == 4, done["counters"]
    for x in calls_of(acct, opening["id"]):
        assert ms(x["created_at"]) >= b_ms, (x, b.isoformat())

    # the closed window dials nothing after resume, and waits for tomorrow
    move(acct, closing["id"], "resume", "running")
    time.sleep(2)
    calls = calls_of(acct, closing["id"])
    assert calls, "the closing campaign never dialled"
    assert all(ms(x["created_at"]) < b_ms for x in calls), \
        [x["created_at"] for x in calls if ms(x["created_at"]) >= b_ms]
    k = acct.get_campaign(closing["id"])
    assert k["status"] == "running" and k["counters"]["dispatched"] == 0, k
    assert_invariant(k)
    queued = [r for r in recipients(acct, closing["id"]) if r["status"] == "queued"]
    assert len(queued) == k["counters"]["queued"] > 0
    tomorrow = dt_ms(closing_start + datetime.timedelta(days=1))
    for r in queued:
        assert ms(r["next_attempt_at"]) == tomorrow, (r, rfc3339(tomorrow))
    move(acct, closing["id"], "cancel", "cancelled")
