"""GET /v1/campaigns/{id}/recipients and /recipients/{rid}: the recipient
object, upload order, paging (also while rows are added), filters, page
tokens, other accounts; and how carriers decide a recipient's carrier."""
import base64
import time

import pytest

from helpers import (SLOW, TIME_RE, assert_error, assert_time, sms_body, voice_body,
                     whatsapp_body)

RECIPIENT_KEYS = {"id", "phone_number", "params", "status", "disposition", "attempts", "carrier",
                  "last_attempt_at", "next_attempt_at", "last_call_id", "last_message_id"}
EXTRA_KEYS = {"campaign_id", "created_at"}  # beyond the contract, tolerated
STATUSES = {"queued", "dispatched", "succeeded", "failed"}
DISPOSITIONS = {"completed", "no_answer", "busy", "failed", "cancelled", "opted_out", "sent",
                "delivered", "read", "undelivered", "missing_param", "expired", "voicemail",
                "unknown"}

SF = ["+141555501%02d" % i for i in range(100)]


def gen(i):
    return "+1415%07d" % (2000000 + i)


def rpath(cid):
    return "/v1/campaigns/%s/recipients" % cid


def nums(rs):
    return [{"phone_number": n} for n in rs]


def upload(acct, cid, recipients):
    r = acct.post(rpath(cid), json={"recipients": recipients})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["invalid"] == 0, b
    return b


def assert_recipient(x, cid=None):
    keys = set(x)
    assert RECIPIENT_KEYS <= keys, sorted(RECIPIENT_KEYS - keys)
    assert keys <= RECIPIENT_KEYS | EXTRA_KEYS, sorted(keys - RECIPIENT_KEYS - EXTRA_KEYS)
    assert isinstance(x["id"], str) and x["id"].startswith("rcp_") and len(x["id"]) > 4, x
    assert isinstance(x["phone_number"], str) and x["phone_number"].startswith("+"), x
    assert isinstance(x["params"], dict), x
    assert x["status"] in STATUSES, x
    assert x["disposition"] is None or x["disposition"] in DISPOSITIONS, x
    assert isinstance(x["attempts"], int) and x["attempts"] >= 0, x
    assert isinstance(x["carrier"], str) and x["carrier"], x
    assert_time(x["last_attempt_at"], nullable=True)
    assert_time(x["next_attempt_at"], nullable=True)
    for k in ("last_call_id", "last_message_id"):
        assert x[k] is None or isinstance(x[k], str), x
    if x["last_call_id"] is not None:
        assert x["last_call_id"].startswith("call_"), x
    if x["last_message_id"] is not None:
        assert x["last_message_id"].startswith("msg_"), x
    if cid is not None and "campaign_id" in x:
        assert x["campaign_id"] == cid, x
    if "created_at" in x:
        assert_time(x["created_at"])
    return x


def page(acct, cid, **params):
    r = acct.get(rpath(cid), params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"data", "next_page_token"}, body
    for x in body["data"]:
        assert_recipient(x, cid)
    tok = body["next_page_token"]
    assert tok is None or (isinstance(tok, str) and tok), body
    return body


def list_all(acct, cid, page_size=None, **params):
    rows, token, pages = [], None, 0
    while True:
        p = dict(params)
        if page_size:
            p["page_size"] = page_size
        if token:
            p["page_token"] = token
        body = page(acct, cid, **p)
        if page_size:
            assert len(body["data"]) <= page_size
        rows.extend(body["data"])
        pages += 1
        token = body["next_page_token"]
        if token is None:
            return rows
        assert pages < 10000, "paging does not end"


def phones(rows):
    return [x["phone_number"] for x in rows]


def wait_status(acct, cid, status, timeout=30):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        c = acct.get_campaign(cid)
        if c["status"] == status:
            return c
        time.sleep(0.05)
    pytest.fail("campaign %s did not become %s: %r" % (cid, status, acct.get_campaign(cid)))


@pytest.fixture
def acct(client):
    return client.create_account()


@pytest.fixture
def cid(acct):
    return acct.create_campaign(sms_body())["id"]


# ---------------------------------------------------------------- the object

@pytest.mark.parametrize("body,carrier", [(voice_body, "default-voice"), (sms_body, "default-sms")],
                         ids=["voice", "sms"])
def test_recipient_object_after_upload(acct, body, carrier):
    cid = acct.create_campaign(body())["id"]
    upload(acct, cid, [{"phone_number": SF[0], "params": {"name": "Ada", "n": 2, "vip": True}},
                       {"phone_number": "+442071838750"}])
    rows = list_all(acct, cid)
    assert len(rows) == 2
    first, second = rows
    assert first["phone_number"] == SF[0]
    assert first["params"] == {"name": "Ada", "n": 2, "vip": True}
    assert second["phone_number"] == "+442071838750" and second["params"] == {}
    for x in rows:
        assert x["status"] == "queued"
        assert x["disposition"] is None
        assert x["attempts"] == 0
        assert x["carrier"] == carrier
        assert x["last_attempt_at"] is None and x["next_attempt_at"] is None
        assert x["last_call_id"] is None and x["last_message_id"] is None
    assert first["id"] != second["id"]


def test_get_one_recipient(acct, cid):
    upload(acct, cid, [{"phone_number": SF[0], "params": {"name": "Ada"}}, {"phone_number": SF[1]}])
    rows = list_all(acct, cid)
    for x in rows:
        r = acct.get(rpath(cid) + "/" + x["id"])
        assert r.status_code == 200, r.text
        assert r.headers.get("Content-Type", "").startswith("application/json")
        assert assert_recipient(r.json(), cid) == x


@pytest.mark.parametrize("rid", ["rcp_doesnotexist000000000", "nope", "cmp_x"])
def test_get_unknown_recipient_is_404(acct, cid, rid):
    upload(acct, cid, nums([SF[0]]))
    assert_error(acct.get(rpath(cid) + "/" + rid), 404, "not_found", check_field=False)


def test_recipient_of_another_campaign_is_404(acct, cid):
    other = acct.create_campaign(sms_body())["id"]
    upload(acct, cid, nums([SF[0]]))
    upload(acct, other, nums([SF[0]]))
    rid = list_all(acct, cid)[0]["id"]
    assert_error(acct.get(rpath(other) + "/" + rid), 404, "not_found", check_field=False)
    assert list_all(acct, other)[0]["id"] != rid


def test_other_accounts_campaign_is_404_for_list_and_get(client, acct, cid):
    upload(acct, cid, nums([SF[0]]))
    rid = list_all(acct, cid)[0]["id"]
    other = client.create_account()
    assert_error(other.get(rpath(cid)), 404, "not_found", check_field=False)
    assert_error(other.get(rpath(cid), params={"status": "queued"}), 404, "not_found",
                 check_field=False)
    assert_error(other.get(rpath(cid) + "/" + rid), 404, "not_found", check_field=False)
    # its own campaign does not open ours either
    mine = other.create_campaign(sms_body())["id"]
    assert_error(other.get(rpath(mine) + "/" + rid), 404, "not_found", check_field=False)


def test_unknown_campaign_is_404(acct):
    assert_error(acct.get(rpath("cmp_doesnotexist000000000")), 404, "not_found", check_field=False)


def test_list_without_key_is_401(client, cid):
    assert_error(client.req("GET", rpath(cid)), 401, "unauthenticated", check_field=False)


# ---------------------------------------------------------------- order and paging

def test_upload_order(acct, cid):
    a = [SF[50], SF[3], "+4930123456", SF[10]]
    b = [SF[1], "+442071838750"]
    upload(acct, cid, nums(a))
    r = acct.req("POST", rpath(cid), data=b"phone_number\n+14155550199\n+14155550100\n",
                 headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    upload(acct, cid, nums(b))
    assert phones(list_all(acct, cid)) == a + [SF[99], SF[0]] + b


def test_default_page_size_is_50(acct, cid):
    upload(acct, cid, nums([gen(i) for i in range(120)]))
    body = page(acct, cid)
    assert len(body["data"]) == 50 and body["next_page_token"]
    assert phones(body["data"]) == [gen(i) for i in range(50)]


@pytest.mark.parametrize("page_size", [1, 7, 50, 99, 100, 1000])
def test_paging_returns_every_row_once(acct, cid, page_size):
    sent = [gen(i) for i in range(300)]
    upload(acct, cid, nums(sent[:150]))
    upload(acct, cid, nums(sent[150:]))
    rows = list_all(acct, cid, page_size=page_size)
    assert phones(rows) == sent
    assert len({x["id"] for x in rows}) == 300


def test_last_page_exact_fit_ends(acct, cid):
    upload(acct, cid, nums([gen(i) for i in range(20)]))
    first = page(acct, cid, page_size=10)
    assert len(first["data"]) == 10 and first["next_page_token"]
    second = page(acct, cid, page_size=10, page_token=first["next_page_token"])
    assert len(second["data"]) == 10
    if second["next_page_token"] is not None:  # allowed, as long as the next page is empty
        third = page(acct, cid, page_size=10, page_token=second["next_page_token"])
        assert third == {"data": [], "next_page_token": None}
    assert phones(first["data"] + second["data"]) == [gen(i) for i in range(20)]


def test_empty_campaign_lists_nothing(acct, cid):
    assert page(acct, cid) == {"data": [], "next_page_token": None}


@pytest.mark.parametrize("value", ["0", "1001", "-1", "abc", "1.5", ""])
def test_bad_page_size_is_400(acct, cid, value):
    r = acct.get(rpath(cid), params={"page_size": value})
    err = assert_error(r, 400, "invalid_argument", check_field=False)
    assert err.get("field") in (None, "page_size"), err


def test_rows_added_while_paging_are_neither_repeated_nor_skipped(acct, cid):
    upload(acct, cid, nums([gen(i) for i in range(100)]))
    seen, token, added, n = [], None, [], 100
    while True:
        params = {"page_size": 9}
        if token:
            params["page_token"] = token
        body = page(acct, cid, **params)
        seen.extend(body["data"])
        token = body["next_page_token"]
        if token is None:
            break
        if len(added) < 60:  # add rows (and a duplicate, which adds nothing) between pages
            batch = [gen(n), gen(n + 1), gen(n + 2), gen(0)]
            b = acct.post(rpath(cid), json={"recipients": nums(batch)}).json()
            assert (b["accepted"], b["duplicates"]) == (3, 1), b
            added.extend(batch[:3])
            n += 3
    ids = [x["id"] for x in seen]
    assert len(ids) == len(set(ids)), "a row was repeated"
    # every row that existed when paging began, in upload order, then the added ones
    assert phones(seen) == [gen(i) for i in range(100)] + added
    assert phones(seen) == phones(list_all(acct, cid, page_size=1000))


def test_paging_with_filter_and_inserts(acct):
    """Rows that appear while paging a filtered list: nothing repeated, nothing that existed skipped."""
    cid = acct.create_campaign(sms_body())["id"]
    upload(acct, cid, nums([gen(i) for i in range(40)]))
    seen, token, added = [], None, []
    while True:
        params = {"page_size": 6, "status": "queued"}
        if token:
            params["page_token"] = token
        body = page(acct, cid, **params)
        seen.extend(body["data"])
        token = body["next_page_token"]
        if token is None:
            break
        i = 1000 + len(added)
        upload(acct, cid, nums([gen(i)]))
        added.append(gen(i))
    assert phones(seen) == [gen(i) for i in range(40)] + added


# ---------------------------------------------------------------- filters

@pytest.fixture(scope="module")
def finished(server):
    """A voice campaign run to completion on the simulated provider (one attempt each):
    numbers ending 0-5 complete, 6 and 9 no_answer, 7 busy, 8 failed; plus a
    cancelled sms campaign."""
    cl = server.client()
    acct = cl.create_account()
    cid = acct.create_campaign(voice_body())["id"]
    upload(acct, cid, nums(SF[0:10]))
    assert acct.post("/v1/campaigns/%s/start" % cid).status_code == 200
    c = wait_status(acct, cid, "completed")
    sms = acct.create_campaign(sms_body())["id"]
    upload(acct, sms, nums(SF[0:5]))
    assert acct.post("/v1/campaigns/%s/cancel" % sms).status_code == 200
    yield acct, cid, c, sms
    cl.close()


def test_finished_campaign_rows(finished):
    acct, cid, c, _ = finished
    rows = list_all(acct, cid)
    assert phones(rows) == SF[0:10]
    got = {x["phone_number"][-1]: (x["status"], x["disposition"]) for x in rows}
    assert got == {
        "0": ("succeeded", "completed"), "1": ("succeeded", "completed"),
        "2": ("succeeded", "completed"), "3": ("succeeded", "completed"),
        "4": ("succeeded", "completed"), "5": ("succeeded", "completed"),
        "6": ("failed", "no_answer"), "7": ("failed", "busy"), "8": ("failed", "failed"),
        "9": ("failed", "no_answer"),
    }
    for x in rows:
        assert x["attempts"] == 1
        assert x["last_call_id"].startswith("call_")
        assert TIME_RE.match(x["last_attempt_at"])
    assert c["counters"]["succeeded"] == 6 and c["counters"]["failed"] == 4


@pytest.mark.parametrize("params,digits", [
    ({"status": "succeeded"}, "012345"),
    ({"status": "failed"}, "6789"),
    ({"status": "queued"}, ""),
    ({"status": "dispatched"}, ""),
    ({"disposition": "completed"}, "012345"),
    ({"disposition": "no_answer"}, "69"),
    ({"disposition": "busy"}, "7"),
    ({"disposition": "failed"}, "8"),
    ({"disposition": "cancelled"}, ""),
    ({"status": "failed", "disposition": "no_answer"}, "69"),
    ({"status": "succeeded", "disposition": "busy"}, ""),
])
def test_filters(finished, params, digits):
    acct, cid, _, _ = finished
    for size in (None, 1):
        rows = list_all(acct, cid, page_size=size, **params)
        assert phones(rows) == [SF[int(d)] for d in digits]
        for x in rows:
            if "status" in params:
                assert x["status"] == params["status"]
            if "disposition" in params:
                assert x["disposition"] == params["disposition"]


def test_filters_on_cancelled_campaign(finished):
    acct, _, _, sms = finished
    assert phones(list_all(acct, sms, status="failed", disposition="cancelled")) == SF[0:5]
    assert list_all(acct, sms, status="queued") == []
    assert list_all(acct, sms, disposition="sent") == []


def test_queued_filter_on_draft(acct, cid):
    upload(acct, cid, nums(SF[0:3]))
    assert phones(list_all(acct, cid, status="queued")) == SF[0:3]
    assert list_all(acct, cid, status="succeeded") == []
    assert list_all(acct, cid, disposition="completed") == []


@pytest.mark.parametrize("name,value", [("status", "bogus"), ("status", "QUEUED"), ("status", "running"),
                                        ("disposition", "bogus"), ("disposition", "queued")])
def test_bad_filter_is_400(acct, cid, name, value):
    r = acct.get(rpath(cid), params={name: value})
    err = assert_error(r, 400, "invalid_argument", check_field=False)
    assert err.get("field") in (None, name), err


# ---------------------------------------------------------------- page tokens

def _token(acct, cid, **params):
    body = page(acct, cid, page_size=2, **params)
    assert body["next_page_token"], body
    return body["next_page_token"]


def test_token_of_another_campaign_is_400(acct, cid):
    other = acct.create_campaign(sms_body())["id"]
    upload(acct, cid, nums(SF[0:5]))
    upload(acct, other, nums(SF[0:5]))
    tok = _token(acct, cid)
    r = acct.get(rpath(other), params={"page_token": tok, "page_size": 2})
    assert_error(r, 400, "invalid_page_token", check_field=False)
    # the token still works where it belongs
    assert phones(page(acct, cid, page_size=2, page_token=tok)["data"]) == SF[2:4]


def test_token_of_another_filter_is_400(acct, cid):
    upload(acct, cid, nums(SF[0:5]))
    plain = _token(acct, cid)
    queued = _token(acct, cid, status="queued")
    for params in ({"page_token": plain, "status": "queued"},
                   {"page_token": queued},
                   {"page_token": queued, "status": "failed"},
                   {"page_token": plain, "disposition": "completed"}):
        r = acct.get(rpath(cid), params=dict(params, page_size=2))
        assert_error(r, 400, "invalid_page_token", check_field=False)
    assert phones(page(acct, cid, page_size=2, status="queued", page_token=queued)["data"]) == SF[2:4]


def test_token_of_another_account_is_400(client, acct, cid):
    upload(acct, cid, nums(SF[0:5]))
    other = client.create_account()
    ocid = other.create_campaign(sms_body())["id"]
    upload(other, ocid, nums(SF[0:5]))
    tok = _token(other, ocid)
    r = acct.get(rpath(cid), params={"page_token": tok, "page_size": 2})
    assert_error(r, 400, "invalid_page_token", check_field=False)


def test_token_of_the_campaigns_list_is_400(acct, cid):
    acct.create_campaign(sms_body())
    upload(acct, cid, nums(SF[0:5]))
    r = acct.get("/v1/campaigns", params={"page_size": 1})
    tok = r.json()["next_page_token"]
    assert tok
    r = acct.get(rpath(cid), params={"page_token": tok})
    assert_error(r, 400, "invalid_page_token", check_field=False)


def _flip(tok, pos):
    chars = list(tok)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    c = chars[pos]
    chars[pos] = alphabet[(alphabet.index(c) + 1) % len(alphabet)] if c in alphabet else "A"
    return "".join(chars)


def test_altered_token_is_400(acct, cid):
    upload(acct, cid, nums(SF[0:5]))
    tok = _token(acct, cid)
    for bad in {_flip(tok, 0), _flip(tok, len(tok) // 2), _flip(tok, len(tok) - 1),
                tok[:-1], tok + "A", "abc", "", base64.urlsafe_b64encode(b"1|x|y").decode()}:
        if bad == "":
            continue  # an empty token may mean "first page"
        r = acct.get(rpath(cid), params={"page_token": bad, "page_size": 2})
        assert_error(r, 400, "invalid_page_token", check_field=False)


# ---------------------------------------------------------------- carriers

def _carrier(channel, prefixes):
    return {"channel": channel, "prefixes": prefixes, "rate_per_second": 5, "burst": 1,
            "max_concurrent": 2}


def _put(cl, name, body):
    r = cl.admin("PUT", "/v1/admin/carriers/" + name, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _carriers(acct, cid):
    return {x["phone_number"]: x["carrier"] for x in list_all(acct, cid)}


@pytest.fixture
def own(start_server):
    """A server of its own: carriers are server-wide."""
    srv = start_server()
    cl = srv.client()
    yield cl
    cl.close()


def test_carrier_decides_voice_recipients(own):
    put = _put(own, "sf-voice", _carrier("voice", ["+1415"]))
    assert put["name"] == "sf-voice" and put["prefixes"] == ["+1415"] and put["builtin"] is False
    acct = own.create_account()
    cid = acct.create_campaign(voice_body())["id"]
    upload(acct, cid, nums(["+14155550100", "+12015550123"]))
    assert _carriers(acct, cid) == {"+14155550100": "sf-voice", "+12015550123": "default-voice"}
    rid = list_all(acct, cid)[0]["id"]
    assert acct.get(rpath(cid) + "/" + rid).json()["carrier"] == "sf-voice"
    # a voice carrier does not route sms recipients
    sms = acct.create_campaign(sms_body())["id"]
    upload(acct, sms, nums(["+14155550100"]))
    assert _carriers(acct, sms) == {"+14155550100": "default-sms"}


def test_longest_prefix_wins(own):
    _put(own, "us", _carrier("voice", ["+1"]))
    _put(own, "sf", _carrier("voice", ["+1415"]))
    _put(own, "sf-555", _carrier("voice", ["+1415555"]))
    acct = own.create_account()
    cid = acct.create_campaign(voice_body())["id"]
    upload(acct, cid, nums(["+14155550100", "+14152000000", "+12015550123", "+442071838750"]))
    assert _carriers(acct, cid) == {"+14155550100": "sf-555", "+14152000000": "sf",
                                    "+12015550123": "us", "+442071838750": "default-voice"}


def test_later_put_moves_queued_recipients(own):
    _put(own, "sms-a", _carrier("sms", ["+1415"]))
    acct = own.create_account()
    cid = acct.create_campaign(sms_body())["id"]
    upload(acct, cid, nums(["+14155550100", "+12015550123"]))
    assert _carriers(acct, cid) == {"+14155550100": "sms-a", "+12015550123": "default-sms"}
    _put(own, "sms-a", _carrier("sms", ["+1201"]))
    assert _carriers(acct, cid) == {"+14155550100": "default-sms", "+12015550123": "sms-a"}
    _put(own, "sms-b", _carrier("sms", ["+14155"]))
    assert _carriers(acct, cid) == {"+14155550100": "sms-b", "+12015550123": "sms-a"}
    # new uploads follow the current routes too
    upload(acct, cid, nums(["+14155550101", "+12015550124"]))
    got = _carriers(acct, cid)
    assert got["+14155550101"] == "sms-b" and got["+12015550124"] == "sms-a"
    # the campaign's counters are untouched by re-routing
    c = acct.get_campaign(cid)
    assert c["counters"]["total"] == c["counters"]["queued"] == 4


def test_deleting_a_carrier_moves_its_queued_recipients_to_the_default(own):
    _put(own, "sms-sf", _carrier("sms", ["+1415"]))
    acct = own.create_account()
    cid = acct.create_campaign(sms_body())["id"]
    upload(acct, cid, nums(["+14155550100"]))
    assert _carriers(acct, cid) == {"+14155550100": "sms-sf"}
    assert own.admin("DELETE", "/v1/admin/carriers/sms-sf").status_code == 204
    assert _carriers(acct, cid) == {"+14155550100": "default-sms"}


def test_whatsapp_recipients_follow_the_sender(own):
    acct = own.create_account()
    body = whatsapp_body()
    sender = body["config"]["sender"]
    cid = acct.create_campaign(body)["id"]
    upload(acct, cid, nums(["+14155550100"]))
    assert _carriers(acct, cid) == {"+14155550100": "default-whatsapp"}
    _put(own, "wa-one", _carrier("whatsapp", [sender]))
    upload(acct, cid, nums(["+12015550123"]))
    assert _carriers(acct, cid) == {"+14155550100": "wa-one", "+12015550123": "wa-one"}
    # a phone-number prefix means nothing to whatsapp routing
    _put(own, "wa-us", _carrier("whatsapp", ["+1"]))
    assert set(_carriers(acct, cid).values()) == {"wa-one"}


@pytest.mark.parametrize("name", ["default-voice", "default-sms", "default-whatsapp"])
def test_deleting_a_builtin_carrier_is_409(own, name):
    r = own.admin("DELETE", "/v1/admin/carriers/" + name)
    assert_error(r, 409, "carrier_builtin", check_field=False)
    listed = own.admin("GET", "/v1/admin/carriers").json()["data"]
    assert name in {c["name"] for c in listed if c["builtin"]}
