"""GET /v1/campaigns: filters, cursor pagination, tamper-evident tokens,
isolation between accounts."""
import base64

import pytest

from helpers import assert_campaign, assert_error, sms_body, voice_body, whatsapp_body


def _page(acct, **params):
    r = acct.get("/v1/campaigns", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"data", "next_page_token"}
    for c in body["data"]:
        assert_campaign(c)
    return body


@pytest.fixture(scope="module")
def seeded(client):
    """An account with 7 voice, 3 sms and 2 whatsapp campaigns, two voice ones
    cancelled. Returns (account, ids newest first)."""
    acct = client.create_account()
    ids = []
    bodies = ([voice_body(name="v%d" % i) for i in range(4)] + [sms_body(name="s0")]
              + [voice_body(name="v%d" % i) for i in range(4, 7)] + [sms_body(name="s1")]
              + [whatsapp_body(name="w0"), sms_body(name="s2"), whatsapp_body(name="w1")])
    for b in bodies:
        ids.append(acct.create_campaign(b)["id"])
    for cid in (ids[1], ids[6]):
        r = acct.post("/v1/campaigns/%s/cancel" % cid)
        assert r.status_code == 200, r.text
    ids.reverse()
    return acct, ids


def test_empty_list(client):
    acct = client.create_account()
    assert _page(acct) == {"data": [], "next_page_token": None}


def test_newest_first_single_page(seeded):
    acct, ids = seeded
    body = _page(acct)
    assert [c["id"] for c in body["data"]] == ids
    assert body["next_page_token"] is None


@pytest.mark.parametrize("size", [1, 2, 3, 5, 11, 12, 13, 1000])
def test_paging_every_row_once(seeded, size):
    acct, ids = seeded
    rows, pages = acct.list_all(page_size=size)
    assert [c["id"] for c in rows] == ids
    full = max(1, -(-len(ids) // size))
    assert pages in (full, full + 1)  # at most one empty closing page


def test_page_sizes_and_last_token(seeded):
    acct, ids = seeded
    first = _page(acct, page_size=5)
    assert len(first["data"]) == 5 and first["next_page_token"]
    second = _page(acct, page_size=5, page_token=first["next_page_token"])
    assert len(second["data"]) == 5 and second["next_page_token"]
    third = _page(acct, page_size=5, page_token=second["next_page_token"])
    assert len(third["data"]) == 2
    assert third["next_page_token"] is None
    # a token may be used again: same page
    again = _page(acct, page_size=5, page_token=first["next_page_token"])
    assert [c["id"] for c in again["data"]] == [c["id"] for c in second["data"]]


def test_page_size_may_change_between_pages(seeded):
    acct, ids = seeded
    first = _page(acct, page_size=4)
    rest = _page(acct, page_size=100, page_token=first["next_page_token"])
    assert [c["id"] for c in first["data"] + rest["data"]] == ids


def test_default_page_size_is_50(client):
    acct = client.create_account()
    for i in range(51):
        acct.create_campaign(voice_body(name="c%d" % i))
    body = _page(acct)
    assert len(body["data"]) == 50
    assert body["next_page_token"]
    rest = _page(acct, page_token=body["next_page_token"])
    assert len(rest["data"]) == 1 and rest["next_page_token"] is None
    assert rest["data"][0]["name"] == "c0"


@pytest.mark.parametrize("params,ids_of", [
    ({"status": "draft"}, lambda c: c["status"] == "draft"),
    ({"status": "cancelled"}, lambda c: c["status"] == "cancelled"),
    ({"status": "running"}, lambda c: False),
    ({"channel": "voice"}, lambda c: c["channel"] == "voice"),
    ({"channel": "sms"}, lambda c: c["channel"] == "sms"),
    ({"channel": "whatsapp"}, lambda c: c["channel"] == "whatsapp"),
    ({"channel": "voice", "status": "cancelled"},
     lambda c: c["channel"] == "voice" and c["status"] == "cancelled"),
    ({"channel": "sms", "status": "cancelled"}, lambda c: False),
])
def test_filters(seeded, params, ids_of):
    acct, ids = seeded
    everything = _page(acct)["data"]
    want = [c["id"] for c in everything if ids_of(c)]
    for size in (None, 1, 2):
        rows, _ = acct.list_all(params=params, page_size=size)
        assert [c["id"] for c in rows] == want, (params, size)
        for k, v in params.items():
            assert all(c[k] == v for c in rows)


def test_filter_counts(seeded):
    acct, _ = seeded
    assert len(acct.list_all({"channel": "voice"})[0]) == 7
    assert len(acct.list_all({"channel": "sms"})[0]) == 3
    assert len(acct.list_all({"channel": "whatsapp"})[0]) == 2
    assert len(acct.list_all({"status": "cancelled"})[0]) == 2
    assert len(acct.list_all({"status": "draft"})[0]) == 10


@pytest.mark.parametrize("params,field", [
    ({"status": "bogus"}, "status"),
    ({"status": "DRAFT"}, "status"),
    ({"channel": "fax"}, "channel"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "1001"}, "page_size"),
    ({"page_size": "abc"}, "page_size"),
    ({"page_size": "-1"}, "page_size"),
    ({"page_size": "1.5"}, "page_size"),
    ({"page_size": "10abc"}, "page_size"),
    ({"page_size": ""}, "page_size"),
])
def test_bad_query_parameters(seeded, params, field):
    acct, _ = seeded
    r = acct.get("/v1/campaigns", params=params)
    assert_error(r, 400, "invalid_argument", field)


def _flip(s, i):
    c = s[i]
    return s[:i] + ("A" if c != "A" else "B") + s[i + 1:]


def test_tampered_tokens(seeded):
    acct, _ = seeded
    token = _page(acct, page_size=2)["next_page_token"]
    assert token
    forged = {
        "first char": _flip(token, 0),
        "middle char": _flip(token, len(token) // 2),
        "last char": _flip(token, len(token) - 1),
        "truncated": token[:-3],
        "extended": token + "AAAA",
        "garbage": "not-a-token",
        "dot only": ".",
        "reversed": token[::-1],
        "huge": "A" * 5000,
    }
    # a token re-encoded with another cursor but the old signature
    if "." in token:
        payload, mac = token.split(".", 1)
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            head, _, num = raw.rpartition(b"|")
            if num.isdigit():
                moved = head + b"|" + str(int(num) + 1).encode()
                forged["cursor moved"] = (base64.urlsafe_b64encode(moved).rstrip(b"=").decode()
                                          + "." + mac)
        except (ValueError, TypeError):
            pass
    for what, t in forged.items():
        if t == token:
            continue
        r = acct.get("/v1/campaigns", params={"page_size": 2, "page_token": t})
        err = assert_error(r, 400, "invalid_page_token", check_field=False)
        assert err.get("field") in (None, "page_token"), what


def test_token_bound_to_filters(seeded):
    acct, _ = seeded
    t_voice = _page(acct, channel="voice", page_size=2)["next_page_token"]
    t_all = _page(acct, page_size=2)["next_page_token"]
    t_draft = _page(acct, status="draft", page_size=2)["next_page_token"]
    assert t_voice and t_all and t_draft
    cases = [
        (t_voice, {}),
        (t_voice, {"channel": "sms"}),
        (t_voice, {"channel": "voice", "status": "draft"}),
        (t_all, {"channel": "voice"}),
        (t_all, {"status": "draft"}),
        (t_draft, {}),
        (t_draft, {"status": "cancelled"}),
    ]
    for token, params in cases:
        r = acct.get("/v1/campaigns", params=dict(params, page_size=2, page_token=token))
        assert_error(r, 400, "invalid_page_token", check_field=False)
    # each in its own list still works
    assert _page(acct, channel="voice", page_size=2, page_token=t_voice)["data"]


def test_token_bound_to_account(client, seeded):
    acct, _ = seeded
    other = client.create_account()
    for i in range(4):
        other.create_campaign(voice_body(name="o%d" % i))
    token = _page(acct, page_size=2)["next_page_token"]
    r = other.get("/v1/campaigns", params={"page_size": 2, "page_token": token})
    assert_error(r, 400, "invalid_page_token", check_field=False)
    # another key of the same account may use it
    key2, _ = client.new_key(acct.id)
    r = client.req("GET", "/v1/campaigns", key=key2, params={"page_size": 2, "page_token": token})
    assert r.status_code == 200, r.text


def test_rows_added_while_paging(client):
    acct = client.create_account()
    before = [acct.create_campaign(voice_body(name="b%d" % i))["id"] for i in range(7)]
    before.reverse()
    seen = []
    body = _page(acct, page_size=3)
    seen += [c["id"] for c in body["data"]]
    token = body["next_page_token"]
    n = 0
    while token:
        # rows created (and one changed) between pages
        acct.create_campaign(voice_body(name="during%d" % n))
        n += 1
        body = _page(acct, page_size=3, page_token=token)
        seen += [c["id"] for c in body["data"]]
        token = body["next_page_token"]
    assert seen == before, "paging repeated, skipped or included new rows"
    assert len(acct.list_all()[0]) == 7 + n


def test_rows_changed_while_paging(client):
    acct = client.create_account()
    before = [acct.create_campaign(voice_body(name="b%d" % i))["id"] for i in range(6)]
    before.reverse()
    body = _page(acct, page_size=2)
    seen = [c["id"] for c in body["data"]]
    # cancel and rename rows of the pages to come
    assert acct.post("/v1/campaigns/%s/cancel" % before[3]).status_code == 200
    assert acct.patch("/v1/campaigns/" + before[4], json={"name": "renamed"}).status_code == 200
    token = body["next_page_token"]
    while token:
        body = _page(acct, page_size=2, page_token=token)
        seen += [c["id"] for c in body["data"]]
        token = body["next_page_token"]
    assert seen == before


def test_other_accounts_rows_not_listed(client, seeded):
    acct, ids = seeded
    other = client.create_account()
    mine = other.create_campaign()
    rows, _ = other.list_all()
    assert [c["id"] for c in rows] == [mine["id"]]
    rows, _ = acct.list_all()
    assert mine["id"] not in [c["id"] for c in rows]
    assert [c["id"] for c in rows] == ids
