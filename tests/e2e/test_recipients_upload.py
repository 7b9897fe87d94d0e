"""POST /v1/campaigns/{id}/recipients: JSON and CSV uploads, every rejection
reason, counts, the 10,000 limit, content types, campaign states, counters
(with concurrent uploads), other accounts and Idempotency-Key."""
import json
import secrets
import signal
import threading
import time

import pytest
import requests

from helpers import (SLOW, Account, JSON_CT, assert_error, assert_invariant, sms_body,
                     voice_body)

UPLOAD_KEYS = {"accepted", "invalid", "duplicates", "total", "rejected", "rejected_truncated"}
REASONS = {"not_e164", "invalid_number", "invalid_params", "duplicate"}

# Numbers every numbering plan accepts.
SF = ["+141555501%02d" % i for i in range(100)]  # +14155550100 .. +14155550199
LONDON = "+442071838750"
BERLIN = "+4930123456"
BAD_PLAN = "+11234567890"  # E.164 shape, but no NANP area code starts with 1


def gen(i):
    return "+1415%07d" % (2000000 + i)


# ---------------------------------------------------------------- helpers

def rpath(cid):
    return "/v1/campaigns/%s/recipients" % cid


def upload(acct, cid, recipients, headers=None):
    return acct.post(rpath(cid), json={"recipients": recipients}, headers=headers)


def upload_raw(acct, cid, data, content_type, headers=None):
    h = {"Content-Type": content_type}
    h.update(headers or {})
    return acct.req("POST", rpath(cid), data=data, headers=h)


def upload_csv(acct, cid, data, headers=None):
    return upload_raw(acct, cid, data, "text/csv", headers)


def nums(rs):
    return [{"phone_number": n} for n in rs]


def assert_upload(r, sent=None):
    """The answer's shape; with `sent`, that the counts add up to it."""
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    b = r.json()
    assert set(b) == UPLOAD_KEYS, sorted(set(b) ^ UPLOAD_KEYS)
    for k in ("accepted", "invalid", "duplicates", "total"):
        assert isinstance(b[k], int) and not isinstance(b[k], bool) and b[k] >= 0, (k, b)
    assert isinstance(b["rejected_truncated"], bool), b
    assert isinstance(b["rejected"], list) and len(b["rejected"]) <= 1000, len(b["rejected"])
    last = -1
    for e in b["rejected"]:
        assert set(e) == {"index", "phone_number", "reason"}, e
        assert isinstance(e["index"], int) and e["index"] > last, (e, last)  # request order
        last = e["index"]
        assert e["reason"] in REASONS, e
        assert e["phone_number"] is None or isinstance(e["phone_number"], str), e
    if not b["rejected_truncated"]:
        assert len(b["rejected"]) == b["invalid"] + b["duplicates"], b
        assert sum(e["reason"] == "duplicate" for e in b["rejected"]) == b["duplicates"], b
    else:
        assert len(b["rejected"]) == 1000, len(b["rejected"])
        assert b["invalid"] + b["duplicates"] > 1000, b
    if sent is not None:
        assert b["accepted"] + b["invalid"] + b["duplicates"] == sent, b
        if b["rejected"]:
            assert b["rejected"][-1]["index"] < sent
    assert b["total"] >= b["accepted"]
    return b


def counters(acct, cid):
    return acct.get_campaign(cid)["counters"]


def list_phones(acct, cid):
    rows, token = [], None
    while True:
        params = {"page_size": 1000}
        if token:
            params["page_token"] = token
        r = acct.get(rpath(cid), params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        rows.extend(body["data"])
        token = body["next_page_token"]
        if token is None:
            return [x["phone_number"] for x in rows], rows


def rejected(b):
    return [(e["index"], e["phone_number"], e["reason"]) for e in b["rejected"]]


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
    """A draft sms campaign (the engine does not dispatch sms, so counters stay put)."""
    return acct.create_campaign(sms_body())["id"]


# ---------------------------------------------------------------- the answer

def test_all_accepted_answer_shape(acct, cid):
    r = upload(acct, cid, [{"phone_number": SF[0], "params": {"name": "Ada", "age": 36, "vip": True}},
                           {"phone_number": LONDON},
                           {"phone_number": BERLIN, "params": {}}])
    assert r.headers["Content-Type"] == JSON_CT
    b = assert_upload(r, sent=3)
    assert b == {"accepted": 3, "invalid": 0, "duplicates": 0, "total": 3,
                 "rejected": [], "rejected_truncated": False}
    c = counters(acct, cid)
    assert c["total"] == c["queued"] == 3
    phones, rows = list_phones(acct, cid)
    assert phones == [SF[0], LONDON, BERLIN]
    assert rows[0]["params"] == {"name": "Ada", "age": 36, "vip": True}
    assert rows[1]["params"] == {} and rows[2]["params"] == {}


def test_empty_list_is_accepted_and_adds_nothing(acct, cid):
    b = assert_upload(upload(acct, cid, []), sent=0)
    assert b == {"accepted": 0, "invalid": 0, "duplicates": 0, "total": 0,
                 "rejected": [], "rejected_truncated": False}


NOT_E164 = [
    ("short", "12345", "12345"),
    ("leading zero", "+0123", "+0123"),
    ("too few digits", "+1234567", "+1234567"),
    ("too many digits", "+1234567890123456", "+1234567890123456"),
    ("blanks", "+1 415 555 0110", "+1 415 555 0110"),
    ("letters", "+1415555010x", "+1415555010x"),
    ("no plus", "14155550101", "14155550101"),
    ("empty", "", ""),
]


@pytest.mark.parametrize("number,echo", [(n, e) for _, n, e in NOT_E164],
                         ids=[i for i, _, _ in NOT_E164])
def test_not_e164_number(acct, cid, number, echo):
    b = assert_upload(upload(acct, cid, nums([SF[0], number, SF[1]])), sent=3)
    assert (b["accepted"], b["invalid"], b["duplicates"]) == (2, 1, 0)
    assert rejected(b) == [(1, echo, "not_e164")]
    assert list_phones(acct, cid)[0] == [SF[0], SF[1]]


NOT_E164_ITEMS = [
    ("missing phone_number", {"params": {"name": "x"}}),
    ("empty object", {}),
    ("number not a string", {"phone_number": 14155550101}),
    ("phone_number null", {"phone_number": None}),
    ("phone_number an array", {"phone_number": ["+14155550101"]}),
    ("item a string", "+14155550101"),
    ("item a number", 5),
    ("item null", None),
    ("item an array", ["+14155550101"]),
]


@pytest.mark.parametrize("item", [i for _, i in NOT_E164_ITEMS], ids=[n for n, _ in NOT_E164_ITEMS])
def test_not_e164_item(acct, cid, item):
    b = assert_upload(upload(acct, cid, [{"phone_number": SF[0]}, item, {"phone_number": SF[1]}]), sent=3)
    assert (b["accepted"], b["invalid"], b["duplicates"]) == (2, 1, 0)
    [(index, phone, reason)] = rejected(b)
    assert (index, reason) == (1, "not_e164"), b
    assert phone is None, b  # no phone number string to echo
    assert list_phones(acct, cid)[0] == [SF[0], SF[1]]


@pytest.mark.parametrize("number", [BAD_PLAN, "+123456789012345", "+12345678"])
def test_invalid_number(acct, cid, number):
    b = assert_upload(upload(acct, cid, nums([number, SF[0]])), sent=2)
    assert (b["accepted"], b["invalid"], b["duplicates"]) == (1, 1, 0)
    assert rejected(b) == [(0, number, "invalid_number")]
    assert list_phones(acct, cid)[0] == [SF[0]]


def test_valid_numbers_of_several_countries(acct, cid):
    sent = SF + [LONDON, BERLIN] + [gen(i) for i in range(50)]
    b = assert_upload(upload(acct, cid, nums(sent)), sent=len(sent))
    assert (b["accepted"], b["invalid"], b["duplicates"], b["total"]) == (len(sent), 0, 0, len(sent))
    assert list_phones(acct, cid)[0] == sent


BAD_PARAMS = [
    ("params an array", ["Ada"]),
    ("params a string", "name=Ada"),
    ("params a number", 5),
    ("nested object value", {"name": {"first": "Ada"}}),
    ("array value", {"names": ["Ada"]}),
    ("key starts with a digit", {"1abc": "x"}),
    ("key with a dash", {"na-me": "x"}),
    ("key with a blank", {"first name": "x"}),
    ("empty key", {"": "x"}),
    ("null value", {"name": None}),
    ("key over 64 chars", {"k" * 65: "x"}),
    ("65 keys", {"k%d" % i: "v" for i in range(65)}),
    ("string over 4096 bytes", {"s": "x" * 4097}),
]


@pytest.mark.parametrize("params", [p for _, p in BAD_PARAMS], ids=[n for n, _ in BAD_PARAMS])
def test_invalid_params(acct, cid, params):
    b = assert_upload(upload(acct, cid, [{"phone_number": SF[0]},
                                         {"phone_number": SF[1], "params": params},
                                         {"phone_number": SF[2], "params": {"ok": "yes"}}]), sent=3)
    assert (b["accepted"], b["invalid"], b["duplicates"]) == (2, 1, 0)
    assert rejected(b) == [(1, SF[1], "invalid_params")]
    assert list_phones(acct, cid)[0] == [SF[0], SF[2]]


def test_unknown_key_in_an_entry_is_invalid_params(acct, cid):
    b = assert_upload(upload(acct, cid, [{"phone_number": SF[0], "name": "Ada"}, {"phone_number": SF[1]}]),
                      sent=2)
    assert rejected(b) == [(0, SF[0], "invalid_params")]
    assert b["accepted"] == 1


def test_params_at_the_limits_are_kept(acct, cid):
    good = [
        {"_ok": "1", "A9": "2", "k" * 64: "x"},
        {"k%d" % i: "v%d" % i for i in range(64)},
        {"s": "x" * 4096},
        {"f": 1.5, "neg": -3, "zero": 0, "no": False, "empty": ""},
        {"name": "Zoë 日本 \U0001F600"},
    ]
    sent = [{"phone_number": SF[i], "params": p} for i, p in enumerate(good)]
    sent.append({"phone_number": SF[9], "params": None})  # params are optional
    b = assert_upload(upload(acct, cid, sent), sent=len(sent))
    assert b["accepted"] == len(sent), b
    _, rows = list_phones(acct, cid)
    assert [r["params"] for r in rows] == good + [{}]


def test_duplicate_in_one_request(acct, cid):
    b = assert_upload(upload(acct, cid, nums([SF[0], SF[1], SF[0], SF[2], SF[0], SF[1]])), sent=6)
    assert (b["accepted"], b["invalid"], b["duplicates"], b["total"]) == (3, 0, 3, 3)
    assert rejected(b) == [(2, SF[0], "duplicate"), (4, SF[0], "duplicate"), (5, SF[1], "duplicate")]
    assert list_phones(acct, cid)[0] == [SF[0], SF[1], SF[2]]
    c = counters(acct, cid)
    assert c["total"] == c["queued"] == 3


def test_duplicate_of_an_earlier_upload(acct, cid):
    assert_upload(upload(acct, cid, nums([SF[0], SF[1]])), sent=2)
    b = assert_upload(upload(acct, cid, nums([SF[2], SF[1], SF[0], SF[3]])), sent=4)
    assert (b["accepted"], b["invalid"], b["duplicates"], b["total"]) == (2, 0, 2, 4)
    assert rejected(b) == [(1, SF[1], "duplicate"), (2, SF[0], "duplicate")]
    # the same numbers in CSV are duplicates too
    b = assert_upload(upload_csv(acct, cid, b"phone_number\n+14155550100\n+14155550104\n"), sent=2)
    assert rejected(b) == [(0, SF[0], "duplicate")]
    assert list_phones(acct, cid)[0] == [SF[0], SF[1], SF[2], SF[3], SF[4]]


def test_duplicates_of_earlier_uploads_across_many_rows(acct, cid):
    """Rows are inserted many to a statement: which ones were already in
    the campaign is answered row by row, whole statements of duplicates
    included, and upload order holds across them."""
    first = [gen(i) for i in range(0, 300, 3)]  # 100 numbers
    assert_upload(upload(acct, cid, nums(first)), sent=100)
    # 40 rows all duplicates (more than a statement's worth), then a mix in
    # which every third row is a duplicate, then new rows only; 230 rows
    sent = first[:40] + [gen(i) for i in range(120, 270)] + [gen(1000 + i) for i in range(40)]
    dup = {n for n in first}
    b = assert_upload(upload(acct, cid, nums(sent)), sent=len(sent))
    want = [(i, n, "duplicate") for i, n in enumerate(sent) if n in dup]
    assert rejected(b) == want
    new = [n for n in sent if n not in dup]
    assert (b["accepted"], b["duplicates"], b["total"]) == (len(new), len(want), 100 + len(new))
    assert list_phones(acct, cid)[0] == first + new
    c = counters(acct, cid)
    assert c["total"] == c["queued"] == 100 + len(new)


def test_a_rejected_entry_does_not_make_a_later_one_a_duplicate(acct, cid):
    b = assert_upload(upload(acct, cid, [{"phone_number": SF[0], "params": ["bad"]},
                                         {"phone_number": SF[0]}]), sent=2)
    assert rejected(b) == [(0, SF[0], "invalid_params")]
    assert b["accepted"] == 1


def test_same_number_in_two_campaigns_is_not_a_duplicate(acct, cid):
    other = acct.create_campaign(sms_body())["id"]
    assert assert_upload(upload(acct, cid, nums([SF[0]])))["accepted"] == 1
    b = assert_upload(upload(acct, other, nums([SF[0]])))
    assert (b["accepted"], b["duplicates"], b["total"]) == (1, 0, 1)


def test_mixed_request_counts_and_indexes(acct, cid):
    assert_upload(upload(acct, cid, nums([SF[50]])), sent=1)
    sent = [
        {"phone_number": SF[0], "params": {"name": "Ada"}},    # 0 ok
        {"phone_number": "12345"},                             # 1 not_e164
        {"phone_number": SF[1]},                               # 2 ok
        "not an object",                                       # 3 not_e164
        {"phone_number": BAD_PLAN},                            # 4 invalid_number
        {"phone_number": SF[2], "params": []},                 # 5 invalid_params
        {"phone_number": SF[0]},                               # 6 duplicate (this request)
        {"phone_number": SF[50]},                              # 7 duplicate (earlier upload)
        {"phone_number": LONDON},                              # 8 ok
        {"phone_number": SF[3], "params": {"na-me": "x"}},     # 9 invalid_params
        {"phone_number": 14155550104},                         # 10 not_e164
        {"phone_number": BERLIN, "params": {"n": 1}},          # 11 ok
    ]
    b = assert_upload(upload(acct, cid, sent), sent=len(sent))
    assert (b["accepted"], b["invalid"], b["duplicates"], b["total"]) == (4, 6, 2, 5)
    assert [(i, r) for i, _, r in rejected(b)] == [
        (1, "not_e164"), (3, "not_e164"), (4, "invalid_number"), (5, "invalid_params"),
        (6, "duplicate"), (7, "duplicate"), (9, "invalid_params"), (10, "not_e164")]
    assert b["rejected_truncated"] is False
    assert list_phones(acct, cid)[0] == [SF[50], SF[0], SF[1], LONDON, BERLIN]
    c = counters(acct, cid)
    assert c["total"] == c["queued"] == 5


def test_rejected_capped_at_1000(acct, cid):
    bad = ["+1%d" % i for i in range(1500)]  # all too short: not_e164
    sent = nums(bad[:700] + [SF[0]] + bad[700:] + [SF[1]])
    b = assert_upload(upload(acct, cid, sent), sent=1502)
    assert (b["accepted"], b["invalid"], b["duplicates"]) == (2, 1500, 0)
    assert b["rejected_truncated"] is True
    assert len(b["rejected"]) == 1000
    want = [i for i in range(1502) if i not in (700, 1501)][:1000]
    assert [e["index"] for e in b["rejected"]] == want
    assert all(e["reason"] == "not_e164" for e in b["rejected"])
    assert b["rejected"][0]["phone_number"] == "+10"


def test_exactly_1000_rejected_is_not_truncated(acct, cid):
    b = assert_upload(upload(acct, cid, nums(["+1%d" % i for i in range(1000)] + [SF[0]])), sent=1001)
    assert (b["accepted"], b["invalid"]) == (1, 1000)
    assert len(b["rejected"]) == 1000 and b["rejected_truncated"] is False


# ---------------------------------------------------------------- the limit

def test_10000_is_allowed(acct, cid):
    sent = [{"phone_number": gen(i), "params": {"name": "n%d" % i}} for i in range(10000)]
    b = assert_upload(upload(acct, cid, sent), sent=10000)
    assert (b["accepted"], b["total"]) == (10000, 10000)
    c = acct.get_campaign(cid)
    assert c["counters"]["total"] == c["counters"]["queued"] == 10000
    phones, _ = list_phones(acct, cid)
    assert phones == [gen(i) for i in range(10000)]


@pytest.mark.parametrize("kind", ["valid", "invalid", "mixed"])
def test_10001_json_is_refused_whole(acct, cid, kind):
    assert_upload(upload(acct, cid, nums(SF[:5])), sent=5)
    before = acct.get_campaign(cid)
    if kind == "valid":
        sent = nums([gen(i) for i in range(10001)])
    elif kind == "invalid":
        sent = nums(["+1%d" % i for i in range(10001)])
    else:
        sent = nums([gen(i) if i % 2 else "12345" for i in range(10001)])
    r = upload(acct, cid, sent)
    assert_error(r, 422, "too_many_recipients", "recipients")
    after = acct.get_campaign(cid)
    assert after["counters"] == before["counters"]
    assert list_phones(acct, cid)[0] == SF[:5]


def _csv_rows(n, start=0):
    return ("phone_number,name\n" + "".join("%s,n%d\n" % (gen(start + i), i) for i in range(n))).encode()


def test_csv_10000_rows_is_allowed(acct, cid):
    b = assert_upload(upload_csv(acct, cid, _csv_rows(10000)), sent=10000)
    assert (b["accepted"], b["total"]) == (10000, 10000)
    assert counters(acct, cid)["queued"] == 10000


def test_csv_10001_rows_is_refused_whole(acct, cid):
    assert_upload(upload(acct, cid, nums(SF[:3])), sent=3)
    before = counters(acct, cid)
    r = upload_csv(acct, cid, _csv_rows(10001, start=100))
    assert_error(r, 422, "too_many_recipients", check_field=False)
    assert counters(acct, cid) == before
    assert list_phones(acct, cid)[0] == SF[:3]


# ---------------------------------------------------------------- CSV

def test_csv_header_columns_become_string_params(acct, cid):
    data = (b"phone_number,name,plan,age\n"
            b"+14155550100,Ada,gold,36\n"
            b"+442071838750,Grace,,85\n")
    b = assert_upload(upload_csv(acct, cid, data), sent=2)
    assert (b["accepted"], b["total"]) == (2, 2)
    _, rows = list_phones(acct, cid)
    assert [(r["phone_number"], r["params"]) for r in rows] == [
        (SF[0], {"name": "Ada", "plan": "gold", "age": "36"}),
        (LONDON, {"name": "Grace", "plan": "", "age": "85"}),
    ]


def test_csv_phone_number_column_anywhere(acct, cid):
    data = b"name,phone_number\nAda,+14155550100\nBob,+14155550101\n"
    assert assert_upload(upload_csv(acct, cid, data), sent=2)["accepted"] == 2
    _, rows = list_phones(acct, cid)
    assert [(r["phone_number"], r["params"]) for r in rows] == [(SF[0], {"name": "Ada"}),
                                                                (SF[1], {"name": "Bob"})]


def test_csv_only_phone_number_column(acct, cid):
    b = assert_upload(upload_csv(acct, cid, b"phone_number\n+14155550100\n+4930123456\n"), sent=2)
    assert b["accepted"] == 2
    _, rows = list_phones(acct, cid)
    assert [r["params"] for r in rows] == [{}, {}]


def test_csv_quoted_fields(acct, cid):
    data = (b'phone_number,name,note\n'
            b'"+14155550100","Smith, Ada","said ""hi"""\n'
            b'+14155550101,"two\nlines","a,b,""c"",\nd"\n'
            b'+14155550102,"",plain\n')
    b = assert_upload(upload_csv(acct, cid, data), sent=3)
    assert b["accepted"] == 3, b
    _, rows = list_phones(acct, cid)
    assert [(r["phone_number"], r["params"]) for r in rows] == [
        (SF[0], {"name": "Smith, Ada", "note": 'said "hi"'}),
        (SF[1], {"name": "two\nlines", "note": 'a,b,"c",\nd'}),
        (SF[2], {"name": "", "note": "plain"}),
    ]


def test_csv_bom_and_crlf(acct, cid):
    data = (b"\xef\xbb\xbfphone_number,name\r\n"
            b"+14155550100,Ada\r\n"
            b'+14155550101,"line one\r\nline two"\r\n'
            b"+14155550102,Zo\xc3\xab\r\n")
    b = assert_upload(upload_csv(acct, cid, data), sent=3)
    assert b["accepted"] == 3, b
    _, rows = list_phones(acct, cid)
    assert [(r["phone_number"], r["params"]) for r in rows] == [
        (SF[0], {"name": "Ada"}),
        (SF[1], {"name": "line one\r\nline two"}),
        (SF[2], {"name": "Zoë"}),
    ]


def test_csv_without_final_newline_and_with_charset(acct, cid):
    r = upload_raw(acct, cid, b"phone_number,name\n+14155550100,Ada", "text/csv; charset=utf-8")
    b = assert_upload(r, sent=1)
    assert b["accepted"] == 1
    assert list_phones(acct, cid)[1][0]["params"] == {"name": "Ada"}


def test_csv_rejections_use_data_row_index(acct, cid):
    assert_upload(upload(acct, cid, nums([SF[9]])))
    data = (b"phone_number,name\n"
            b"+14155550100,a\n"     # 0 ok
            b"12345,b\n"            # 1 not_e164
            b"+11234567890,c\n"     # 2 invalid_number
            b"+14155550109,d\n"     # 3 duplicate of the earlier upload
            b"+14155550100,e\n"     # 4 duplicate in this request
            b"+14155550101,f\n")    # 5 ok
    b = assert_upload(upload_csv(acct, cid, data), sent=6)
    assert (b["accepted"], b["invalid"], b["duplicates"], b["total"]) == (2, 2, 2, 3)
    assert rejected(b) == [(1, "12345", "not_e164"), (2, BAD_PLAN, "invalid_number"),
                           (3, SF[9], "duplicate"), (4, SF[0], "duplicate")]


def test_csv_index_counts_records_not_lines(acct, cid):
    data = (b'phone_number,name\n'
            b'+14155550100,"one\ntwo\nthree"\n'   # 0: a record over three lines
            b'12345,x\n'                          # 1
            b'+14155550101,"a\r\nb"\n'             # 2
            b'+11234567890,y\n')                  # 3
    b = assert_upload(upload_csv(acct, cid, data), sent=4)
    assert rejected(b) == [(1, "12345", "not_e164"), (3, BAD_PLAN, "invalid_number")]


def test_csv_over_16_mib_is_413(acct, cid):
    row = b"+14155550100," + b"x" * 1000 + b"\n"
    data = b"phone_number,name\n" + row * (17 * 1024)
    r = upload_csv(acct, cid, data)
    assert_error(r, 413, "payload_too_large", check_field=False)
    assert counters(acct, cid)["total"] == 0


def test_csv_missing_phone_number_column(acct, cid):
    assert_upload(upload(acct, cid, nums([SF[0]])))
    r = upload_csv(acct, cid, b"phone,name\n+14155550101,Ada\n")
    err = assert_error(r, 422, "invalid_argument", check_field=False)
    assert err.get("field", "csv.header").startswith("csv"), err
    assert list_phones(acct, cid)[0] == [SF[0]]


def test_csv_unterminated_quote_adds_nothing(acct, cid):
    assert_upload(upload(acct, cid, nums([SF[0]])))
    before = counters(acct, cid)
    data = b'phone_number,name\n+14155550101,Ada\n+14155550102,"Bob\n+14155550103,Cy\n'
    r = upload_csv(acct, cid, data)
    err = assert_error(r, 422, "invalid_argument", check_field=False)
    assert err.get("field", "csv").startswith("csv"), err
    assert counters(acct, cid) == before
    assert list_phones(acct, cid)[0] == [SF[0]]


def test_csv_row_with_wrong_field_count(acct, cid):
    data = (b"phone_number,name\n"
            b"+14155550100,Ada\n"
            b"+14155550101,Bob,extra\n"
            b"+14155550102\n"
            b"+14155550103,Cy\n")
    b = assert_upload(upload_csv(acct, cid, data), sent=4)
    assert (b["accepted"], b["invalid"]) == (2, 2)
    assert rejected(b) == [(1, SF[1], "invalid_params"), (2, SF[2], "invalid_params")]
    assert list_phones(acct, cid)[0] == [SF[0], SF[3]]


def test_csv_1mb_field_rejects_that_row_only(acct, cid):
    big = b"x" * (1 << 20)
    data = (b"phone_number,name\n+14155550100,Ada\n+14155550101," + big
            + b"\n+14155550102,\"" + big + b"\"\n+14155550103,Cy\n")
    b = assert_upload(upload_csv(acct, cid, data), sent=4)
    assert (b["accepted"], b["invalid"]) == (2, 2), b
    assert rejected(b) == [(1, SF[1], "invalid_params"), (2, SF[2], "invalid_params")]
    _, rows = list_phones(acct, cid)
    assert [(r["phone_number"], r["params"]) for r in rows] == [(SF[0], {"name": "Ada"}),
                                                                (SF[3], {"name": "Cy"})]


@pytest.mark.parametrize("value", [b"\xff\xfe", b"Zo\xeb", b"\xc0\xaf", b"\xed\xa0\x80", b"abc\xe2\x82"],
                         ids=["ff-fe", "latin1", "overlong", "surrogate", "truncated"])
def test_csv_invalid_utf8_param(acct, cid, value):
    data = b"phone_number,name\n+14155550100,Ada\n+14155550101," + value + b"\n"
    b = assert_upload(upload_csv(acct, cid, data), sent=2)
    assert (b["accepted"], b["invalid"]) == (1, 1)
    assert rejected(b) == [(1, SF[1], "invalid_params")]


def test_csv_nul_byte_in_a_param(acct, cid):
    data = b"phone_number,name\n+14155550100,Ada\n+14155550101,a\x00b\n"
    b = assert_upload(upload_csv(acct, cid, data), sent=2)
    assert rejected(b) == [(1, SF[1], "invalid_params")]
    assert list_phones(acct, cid)[0] == [SF[0]]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n"], ids=["empty", "bom-only", "blank-lines"])
def test_csv_empty_is_422(acct, cid, data):
    r = upload_csv(acct, cid, data)
    assert_error(r, 422, "invalid_argument", check_field=False)
    assert counters(acct, cid)["total"] == 0


@pytest.mark.parametrize("header", [b"phone_number,name,name", b"phone_number,na-me",
                                    b"phone_number,1abc", b"phone_number,phone_number"])
def test_csv_bad_header_is_422(acct, cid, header):
    r = upload_csv(acct, cid, header + b"\n+14155550100,a,b\n")
    err = assert_error(r, 422, "invalid_argument", check_field=False)
    assert err.get("field", "csv").startswith("csv"), err
    assert counters(acct, cid)["total"] == 0


def test_csv_blank_lines_are_skipped(acct, cid):
    data = b"phone_number,name\n\n+14155550100,Ada\n\n\n+14155550101,Bob\n\n"
    b = assert_upload(upload_csv(acct, cid, data), sent=2)
    assert b["accepted"] == 2 and b["invalid"] == 0


# ---------------------------------------------------------------- content types and body shape

@pytest.mark.parametrize("ct", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_other_content_type_is_415(acct, cid, ct):
    r = upload_raw(acct, cid, b"phone_number\n+14155550100\n", ct)
    assert_error(r, 415, "unsupported_media_type", check_field=False)
    assert counters(acct, cid)["total"] == 0


def test_json_with_charset_is_accepted(acct, cid):
    r = upload_raw(acct, cid, json.dumps({"recipients": nums([SF[0]])}).encode(),
                   "application/json; charset=utf-8")
    assert assert_upload(r, sent=1)["accepted"] == 1


@pytest.mark.parametrize("body", [{}, {"recipients": None}, {"recipients": {}},
                                  {"recipients": "+14155550100"}, {"recipients": 5},
                                  {"recipients": {"phone_number": "+14155550100"}}],
                         ids=["missing", "null", "object", "string", "number", "single-object"])
def test_body_without_recipients_array_is_422(acct, cid, body):
    r = acct.post(rpath(cid), json=body)
    assert_error(r, 422, "invalid_argument", "recipients")
    assert counters(acct, cid)["total"] == 0


def test_json_array_body_is_422(acct, cid):
    r = acct.post(rpath(cid), json=nums([SF[0]]))
    assert_error(r, 422, "invalid_argument", check_field=False)
    assert counters(acct, cid)["total"] == 0


@pytest.mark.parametrize("data", [b"42", b'"text"', b"null", b"true"])
def test_json_scalar_body_is_422(acct, cid, data):
    r = upload_raw(acct, cid, data, "application/json")
    assert_error(r, 422, "invalid_argument", check_field=False)


def test_unknown_top_level_key_is_422(acct, cid):
    r = acct.post(rpath(cid), json={"recipients": nums([SF[0]]), "campaign": "x"})
    assert_error(r, 422, "invalid_argument", check_field=False)
    assert counters(acct, cid)["total"] == 0


def test_malformed_json_is_400(acct, cid):
    r = upload_raw(acct, cid, b'{"recipients": [{"phone_number": "+14155550100"}', "application/json")
    err = assert_error(r, 400, "invalid_json", check_field=False)
    assert any(ch.isdigit() for ch in err["message"]), err  # names the byte offset
    assert counters(acct, cid)["total"] == 0


def test_json_nul_escape_in_a_param_is_per_recipient(acct, cid):
    r = upload_raw(acct, cid, b'{"recipients": [{"phone_number": "+14155550100"}, '
                              b'{"phone_number": "+14155550101", "params": {"name": "a\\u0000b"}}]}',
                   "application/json")
    b = assert_upload(r, sent=2)
    assert b["accepted"] >= 1
    if b["accepted"] == 1:
        assert rejected(b) == [(1, SF[1], "invalid_params")]
    else:
        assert list_phones(acct, cid)[1][1]["params"] == {"name": "a\x00b"}


# ---------------------------------------------------------------- campaign states

def test_upload_in_draft_running_paused_then_closed(acct):
    # a schedule that starts far ahead keeps the running campaign from
    # dispatching (and completing) while the test uploads into it
    cid = acct.create_campaign(sms_body(schedule={"start_at": "2099-01-01T00:00:00Z"}))["id"]
    b = assert_upload(upload(acct, cid, nums(SF[0:2])), sent=2)
    assert (b["accepted"], b["total"]) == (2, 2)

    assert acct.post("/v1/campaigns/%s/start" % cid).json()["status"] == "running"
    b = assert_upload(upload(acct, cid, nums(SF[2:5])), sent=3)
    assert (b["accepted"], b["total"]) == (3, 5)
    c = acct.get_campaign(cid)
    assert c["status"] == "running" and c["counters"]["total"] == 5

    assert acct.post("/v1/campaigns/%s/pause" % cid).json()["status"] == "paused"
    b = assert_upload(upload_csv(acct, cid, b"phone_number\n+14155550105\n+14155550100\n"), sent=2)
    assert (b["accepted"], b["duplicates"], b["total"]) == (1, 1, 6)
    c = acct.get_campaign(cid)
    assert c["status"] == "paused" and c["counters"]["total"] == 6

    assert acct.post("/v1/campaigns/%s/resume" % cid).json()["status"] == "running"
    b = assert_upload(upload(acct, cid, nums([SF[6]])), sent=1)
    assert b["total"] == 7

    assert acct.post("/v1/campaigns/%s/cancel" % cid).json()["status"] == "cancelled"
    before = acct.get_campaign(cid)
    assert before["counters"]["total"] == 7
    assert_error(upload(acct, cid, nums([SF[7]])), 409, "campaign_closed", check_field=False)
    assert_error(upload_csv(acct, cid, b"phone_number\n+14155550108\n"), 409, "campaign_closed",
                 check_field=False)
    after = acct.get_campaign(cid)
    assert after["counters"] == before["counters"]
    assert SF[7] not in list_phones(acct, cid)[0]


def test_upload_to_cancelled_draft_is_closed(acct, cid):
    assert acct.post("/v1/campaigns/%s/cancel" % cid).status_code == 200
    assert_error(upload(acct, cid, nums([SF[0]])), 409, "campaign_closed", check_field=False)
    assert counters(acct, cid)["total"] == 0
    assert list_phones(acct, cid)[0] == []


def test_upload_to_completed_campaign_is_closed(acct):
    cid = acct.create_campaign(voice_body())["id"]
    assert_upload(upload(acct, cid, nums([SF[0]])), sent=1)
    assert acct.post("/v1/campaigns/%s/start" % cid).status_code == 200
    c = wait_status(acct, cid, "completed")
    assert_error(upload(acct, cid, nums([SF[1]])), 409, "campaign_closed", check_field=False)
    assert acct.get_campaign(cid)["counters"] == c["counters"]


def test_upload_to_running_voice_campaign(start_server):
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": "60000"})
    cl = srv.client()
    try:
        acct = cl.create_account()
        cid = acct.create_campaign(voice_body())["id"]
        assert_upload(upload(acct, cid, nums(SF[0:3])), sent=3)
        assert acct.post("/v1/campaigns/%s/start" % cid).status_code == 200
        b = assert_upload(upload(acct, cid, nums(SF[3:6] + [SF[0]])), sent=4)
        assert (b["accepted"], b["duplicates"], b["total"]) == (3, 1, 6)
        c = acct.get_campaign(cid)
        assert c["status"] == "running"
        assert c["counters"]["total"] == 6
        assert c["counters"]["queued"] + c["counters"]["dispatched"] == 6  # calls last a minute
        assert_invariant(c)
    finally:
        cl.close()


# ---------------------------------------------------------------- counters

def test_each_upload_adds_accepted_to_total_and_queued(acct, cid):
    expected = 0
    batches = [
        nums(SF[0:10]),
        nums(SF[5:20] + ["12345", BAD_PLAN]),
        [{"phone_number": SF[20], "params": []}] + nums([LONDON, BERLIN]),
        nums(SF[0:20]),
    ]
    for batch in batches:
        b = assert_upload(upload(acct, cid, batch), sent=len(batch))
        expected += b["accepted"]
        assert b["total"] == expected
        c = acct.get_campaign(cid)
        assert_invariant(c)
        assert c["counters"]["total"] == c["counters"]["queued"] == expected
    assert expected == 22
    assert len(list_phones(acct, cid)[0]) == 22


def test_concurrent_uploads_keep_the_invariant(server, acct):
    cid = acct.create_campaign(sms_body())["id"]
    writers, per_writer, size, stride = 4, 10, 500, 4000
    # Writer t sends numbers [t*4000, t*4000 + 5000): 1,000 overlap with writer t+1.
    distinct = set()
    for t in range(writers):
        distinct.update(range(t * stride, t * stride + per_writer * size))
    answers, errors, reads = [], [], []
    done = threading.Event()

    def own_account():
        cl = server.client()
        return cl, Account(cl, acct.id, acct.name, acct.api_key, acct.key_prefix)

    def writer(t):
        cl, me = own_account()
        try:
            for j in range(per_writer):
                base = t * stride + j * size
                batch = nums([gen(base + i) for i in range(size)])
                r = upload(me, cid, batch)
                answers.append(assert_upload(r, sent=size))
        except BaseException as e:  # noqa: B902 - reported below
            errors.append(e)
        finally:
            cl.close()

    def reader():
        cl, me = own_account()
        try:
            last = 0
            while not done.is_set():
                c = me.get_campaign(cid)  # assert_campaign checks the invariant
                n = c["counters"]["total"]
                assert c["counters"]["queued"] == n
                assert n >= last, (n, last)
                last = n
                reads.append(n)
        except BaseException as e:  # noqa: B902
            errors.append(e)
        finally:
            cl.close()

    rt = threading.Thread(target=reader)
    rt.start()
    ws = [threading.Thread(target=writer, args=(t,)) for t in range(writers)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    done.set()
    rt.join()
    assert not errors, errors
    assert len(answers) == writers * per_writer
    assert len(reads) > 0
    assert sum(b["accepted"] for b in answers) == len(distinct)
    assert sum(b["duplicates"] for b in answers) == writers * per_writer * size - len(distinct)
    assert all(b["invalid"] == 0 for b in answers)
    c = acct.get_campaign(cid)
    assert c["counters"]["total"] == c["counters"]["queued"] == len(distinct)
    phones, _ = list_phones(acct, cid)
    assert len(phones) == len(set(phones)) == len(distinct)
    assert set(phones) == {gen(i) for i in distinct}


def _raw_post(base, api_key, path, data, headers=None):
    h = {"Authorization": "Bearer " + api_key, "Content-Type": "application/json"}
    h.update(headers or {})
    with requests.Session() as s:
        return s.post(base + path, data=data, headers=h, timeout=60 * SLOW)


def test_simultaneous_uploads_of_the_same_numbers_accept_each_once(server, acct, cid):
    body = json.dumps({"recipients": nums([gen(i) for i in range(500)])}).encode()
    answers = []
    barrier = threading.Barrier(8)

    def go():
        barrier.wait()
        answers.append(_raw_post(server.base, acct.api_key, rpath(cid), body))

    ts = [threading.Thread(target=go) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    bs = [assert_upload(r, sent=500) for r in answers]
    assert len(bs) == 8
    assert sum(b["accepted"] for b in bs) == 500, [b["accepted"] for b in bs]
    assert sum(b["duplicates"] for b in bs) == 7 * 500
    c = counters(acct, cid)
    assert c["total"] == c["queued"] == 500
    assert sorted(list_phones(acct, cid)[0]) == sorted(gen(i) for i in range(500))


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.1])
def test_cancel_while_uploading_leaves_nothing_queued(server, acct, delay):
    cid = acct.create_campaign(sms_body())["id"]
    statuses, errors = [], []

    def go(k):
        try:
            for j in range(4):
                body = json.dumps({"recipients": nums([gen(k * 100000 + j * 5000 + i)
                                                      for i in range(5000)])}).encode()
                r = _raw_post(server.base, acct.api_key, rpath(cid), body)
                statuses.append(r.status_code)
                if r.status_code == 200:
                    assert_upload(r, sent=5000)
                else:
                    assert_error(r, 409, "campaign_closed", check_field=False)
        except BaseException as e:  # noqa: B902
            errors.append(e)

    ts = [threading.Thread(target=go, args=(k,)) for k in range(3)]
    for t in ts:
        t.start()
    time.sleep(delay)  # vary where the cancel lands; nothing below depends on it
    r = acct.post("/v1/campaigns/%s/cancel" % cid)
    assert r.status_code == 200, r.text
    for t in ts:
        t.join()
    assert not errors, errors
    c = acct.get_campaign(cid)
    assert c["status"] == "cancelled"
    n = c["counters"]["total"]
    assert c["counters"]["queued"] == 0, c["counters"]
    assert c["counters"]["failed"] == n == c["counters"]["dispositions"]["cancelled"]
    assert n == 5000 * statuses.count(200)
    assert len(list_phones(acct, cid)[0]) == n


def test_concurrent_uploads_with_one_key_apply_once(server, acct, cid):
    body = json.dumps({"recipients": nums([gen(i) for i in range(2000)])}).encode()
    key = _key()
    answers = []
    barrier = threading.Barrier(8)

    def go():
        barrier.wait()
        answers.append(_raw_post(server.base, acct.api_key, rpath(cid), body,
                                 headers={"Idempotency-Key": key}))

    ts = [threading.Thread(target=go) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ok = [r for r in answers if r.status_code == 200]
    assert ok, [(r.status_code, r.text[:200]) for r in answers]
    for r in answers:
        if r.status_code != 200:
            assert_error(r, 409, "idempotency_conflict", check_field=False)
    assert len({r.content for r in ok}) == 1  # every 200 is the one answer
    assert assert_upload(ok[0])["accepted"] == 2000
    assert counters(acct, cid)["total"] == 2000


def test_upload_is_all_or_nothing_across_a_crash(start_server):
    srv = start_server()
    cl = srv.client()
    acct = cl.create_account()
    cid = acct.create_campaign(sms_body())["id"]

    def body(k):
        return json.dumps({"recipients": [{"phone_number": gen(k * 10000 + i),
                                           "params": {"name": "n%d" % i}}
                                          for i in range(10000)]}).encode()

    # How long one upload takes here, only to spread the kills over it.
    t0 = time.monotonic()
    assert_upload(_raw_post(srv.base, acct.api_key, rpath(cid), body(0)), sent=10000)
    took = time.monotonic() - t0
    cl.close()
    stored = {0}
    for k, frac in enumerate([0.2, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.2], start=1):
        data = body(k)
        t = threading.Thread(target=_swallow, args=(_raw_post, srv.base, acct.api_key,
                                                    rpath(cid), data))
        t.start()
        time.sleep(took * frac)  # kill at varying points of the upload
        srv.stop(signal.SIGKILL, check=False)
        t.join()
        srv.start()
        cl = srv.client()
        me = Account(cl, acct.id, acct.name, acct.api_key, acct.key_prefix)
        c = me.get_campaign(cid)  # the invariant holds after the crash
        n = c["counters"]["total"]
        phones = list_phones(me, cid)[0]
        assert len(phones) == len(set(phones)) == n == c["counters"]["queued"]
        # every upload stored is whole: 10,000 of one round or none of it
        per_round = {}
        for p in phones:
            i = int(p[5:]) - 2000000
            per_round[i // 10000] = per_round.get(i // 10000, 0) + 1
        assert all(v == 10000 for v in per_round.values()), per_round
        assert stored <= set(per_round), "an acknowledged upload was lost"
        stored = set(per_round)
        cl.close()


def _swallow(fn, *args):
    try:
        fn(*args)
    except requests.RequestException:
        pass


# ---------------------------------------------------------------- other accounts, auth

def test_other_accounts_campaign_is_404(client, acct, cid):
    assert_upload(upload(acct, cid, nums([SF[0]])))
    other = client.create_account()
    assert_error(upload(other, cid, nums([SF[1]])), 404, "not_found", check_field=False)
    assert_error(upload_csv(other, cid, b"phone_number\n+14155550102\n"), 404, "not_found",
                 check_field=False)
    assert_error(other.post(rpath(cid), json={"recipients": 5}), 404, "not_found", check_field=False)
    assert list_phones(acct, cid)[0] == [SF[0]]
    assert counters(acct, cid)["total"] == 1


def test_unknown_campaign_is_404(acct):
    assert_error(upload(acct, "cmp_doesnotexist000000000", nums([SF[0]])), 404, "not_found",
                 check_field=False)


def test_upload_without_key_is_401(client, cid, acct):
    r = client.req("POST", rpath(cid), json={"recipients": nums([SF[0]])})
    assert_error(r, 401, "unauthenticated", check_field=False)
    r = client.req("POST", rpath(cid), key="sk_not_a_key", json={"recipients": nums([SF[0]])})
    assert_error(r, 401, "unauthenticated", check_field=False)
    assert counters(acct, cid)["total"] == 0


# ---------------------------------------------------------------- Idempotency-Key

def _key():
    return "idem-" + secrets.token_hex(8)


def test_same_key_same_body_replays(acct, cid):
    key = _key()
    body = [{"phone_number": SF[0], "params": {"name": "Ada"}}, {"phone_number": "12345"},
            {"phone_number": SF[1]}]
    first = upload(acct, cid, body, headers={"Idempotency-Key": key})
    b = assert_upload(first, sent=3)
    assert first.headers.get("Idempotent-Replayed") in (None, "false")
    assert (b["accepted"], b["total"]) == (2, 2)
    for _ in range(2):
        again = upload(acct, cid, body, headers={"Idempotency-Key": key})
        assert again.status_code == 200
        assert again.content == first.content  # byte-identical, not "2 duplicates"
        assert again.headers.get("Idempotent-Replayed") == "true"
    c = counters(acct, cid)
    assert c["total"] == c["queued"] == 2
    assert list_phones(acct, cid)[0] == [SF[0], SF[1]]


def test_replay_is_the_first_answer_after_more_uploads(acct, cid):
    key = _key()
    first = upload(acct, cid, nums([SF[0]]), headers={"Idempotency-Key": key})
    assert assert_upload(first)["total"] == 1
    assert_upload(upload(acct, cid, nums(SF[1:4])))
    again = upload(acct, cid, nums([SF[0]]), headers={"Idempotency-Key": key})
    assert again.content == first.content and again.headers.get("Idempotent-Replayed") == "true"
    assert counters(acct, cid)["total"] == 4


def test_csv_upload_replays(acct, cid):
    key = _key()
    data = b"phone_number,name\n+14155550100,Ada\n+14155550101,Bob\n"
    first = upload_csv(acct, cid, data, headers={"Idempotency-Key": key})
    assert assert_upload(first)["accepted"] == 2
    again = upload_csv(acct, cid, data, headers={"Idempotency-Key": key})
    assert again.status_code == 200 and again.content == first.content
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert counters(acct, cid)["total"] == 2


def test_same_key_other_body_conflicts(acct, cid):
    key = _key()
    first = upload(acct, cid, nums([SF[0]]), headers={"Idempotency-Key": key})
    assert_upload(first)
    r = upload(acct, cid, nums([SF[1]]), headers={"Idempotency-Key": key})
    assert_error(r, 409, "idempotency_conflict", check_field=False)
    assert r.headers.get("Idempotent-Replayed") is None
    assert list_phones(acct, cid)[0] == [SF[0]]
    again = upload(acct, cid, nums([SF[0]]), headers={"Idempotency-Key": key})
    assert again.content == first.content


def test_same_key_other_campaign_conflicts(acct, cid):
    key = _key()
    other = acct.create_campaign(sms_body())["id"]
    assert_upload(upload(acct, cid, nums([SF[0]]), headers={"Idempotency-Key": key}))
    r = upload(acct, other, nums([SF[0]]), headers={"Idempotency-Key": key})
    assert_error(r, 409, "idempotency_conflict", check_field=False)
    assert counters(acct, other)["total"] == 0


_INVALID_BODIES = [
    pytest.param(b'{"recipients": 5}', "application/json", id="recipients-not-array"),
    pytest.param(b'{"recipients": [], "extra": 1}', "application/json", id="unknown-key"),
    pytest.param(json.dumps({"recipients": nums([gen(i) for i in range(10001)])}).encode(),
                 "application/json", id="too-many"),
    pytest.param(b'phone_number\n"+1415', "text/csv", id="csv-unterminated"),
    pytest.param(b"name\nAda\n", "text/csv", id="csv-no-phone-column"),
    pytest.param(b"", "text/csv", id="csv-empty"),
    pytest.param(b"[]", "application/json", id="json-array"),
    pytest.param(b"{bad", "application/json", id="malformed-json"),
]


@pytest.mark.parametrize("data,ct", _INVALID_BODIES)
def test_same_key_other_invalid_body_conflicts(acct, cid, data, ct):
    key = _key()
    assert_upload(upload(acct, cid, nums([SF[0]]), headers={"Idempotency-Key": key}))
    r = upload_raw(acct, cid, data, ct, headers={"Idempotency-Key": key})
    assert_error(r, 409, "idempotency_conflict", check_field=False)
    assert counters(acct, cid)["total"] == 1


def test_failed_upload_does_not_keep_the_key(acct, cid):
    key = _key()
    r = upload(acct, cid, nums([gen(i) for i in range(10001)]), headers={"Idempotency-Key": key})
    assert_error(r, 422, "too_many_recipients", check_field=False)
    r = acct.post(rpath(cid), json={"recipients": 5}, headers={"Idempotency-Key": key})
    assert_error(r, 422, "invalid_argument", "recipients")
    good = upload(acct, cid, nums([SF[0]]), headers={"Idempotency-Key": key})
    assert assert_upload(good)["accepted"] == 1
    assert good.headers.get("Idempotent-Replayed") in (None, "false")


def test_closed_campaign_upload_does_not_keep_the_key(acct, cid):
    key = _key()
    assert acct.post("/v1/campaigns/%s/cancel" % cid).status_code == 200
    for _ in range(2):
        r = upload(acct, cid, nums([SF[0]]), headers={"Idempotency-Key": key})
        assert_error(r, 409, "campaign_closed", check_field=False)
        assert r.headers.get("Idempotent-Replayed") is None
    other = acct.create_campaign(sms_body())["id"]
    r = upload(acct, other, nums([SF[0]]), headers={"Idempotency-Key": key})
    assert assert_upload(r)["accepted"] == 1
