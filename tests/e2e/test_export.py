"""GET /v1/campaigns/{id}/recipients/export: the CSV header and columns,
RFC 4180 quoting of params with commas, quotes, newlines and unicode, upload
order, the status / disposition filters (and their refusals), another
account's campaign, gzip when asked and identity when not, keep-alive after
a streamed answer, and a 100,000-recipient export whose server RSS stays
flat (sampled from /proc while the body streams)."""
import csv
import gzip
import io
import json
import threading
import time

import pytest
import requests

from conftest import Server
from helpers import SANITIZED, SLOW, TIME_RE, assert_error

COLUMNS = ["id", "phone_number", "status", "disposition", "attempts", "last_attempt_at",
           "last_call_id", "last_message_id", "params"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"CAMPAIGND_SIM_CALL_MS": "20"}
    srv = Server(tmp_path_factory.mktemp("campaignd"), env=env).start()
    yield srv
    srv.stop()


def epath(cid):
    return "/v1/campaigns/%s/recipients/export" % cid


def parse(text):
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == COLUMNS, rows[0]
    return [dict(zip(COLUMNS, r)) for r in rows[1:]]


def export(acct, cid, **params):
    r = acct.get(epath(cid), params=params, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv"), r.headers
    assert "Content-Encoding" not in r.headers, r.headers
    return r


def list_all(acct, cid, **params):
    rows, token = [], None
    while True:
        p = dict(params, page_size=1000)
        if token:
            p["page_token"] = token
        r = acct.get("/v1/campaigns/%s/recipients" % cid, params=p)
        assert r.status_code == 200, r.text
        rows += r.json()["data"]
        token = r.json()["next_page_token"]
        if not token:
            return rows


def as_csv_row(x):
    """What the export must say for a recipient of the JSON list."""
    return {"id": x["id"], "phone_number": x["phone_number"], "status": x["status"],
            "disposition": x["disposition"] or "", "attempts": str(x["attempts"]),
            "last_attempt_at": x["last_attempt_at"] or "",
            "last_call_id": x["last_call_id"] or "",
            "last_message_id": x["last_message_id"] or "", "params": x["params"]}


def compare(rows, listed):
    assert len(rows) == len(listed)
    for got, x in zip(rows, listed):
        got = dict(got, params=json.loads(got["params"]))
        assert got == as_csv_row(x)


TRICKY = [
    {"name": "Ada, Countess", "note": 'she said "hi"'},
    {"name": "Line\nbreak", "note": "CR\r\nLF"},
    {"name": "Zoë 東京 🚀", "n": 7, "vip": True, "ratio": 0.5},
    {"name": '"', "note": ",,,"},
    {},
    None,
]


def test_quoting_and_columns(client):
    acct = client.create_account()
    c = acct.create_campaign()
    recipients = []
    for i, p in enumerate(TRICKY):
        item = {"phone_number": "+1415555%04d" % (100 + i)}
        if p is not None:
            item["params"] = p
        recipients.append(item)
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"], json={"recipients": recipients})
    assert r.json()["accepted"] == len(TRICKY), r.text
    body = export(acct, c["id"]).content
    text = body.decode("utf-8")
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    assert text.endswith("\r\n")
    rows = parse(text)
    assert [x["phone_number"] for x in rows] == [x["phone_number"] for x in recipients]
    for got, p in zip(rows, TRICKY):
        assert json.loads(got["params"]) == (p or {})
        assert got["status"] == "queued" and got["disposition"] == "" and got["attempts"] == "0"
        assert got["last_attempt_at"] == got["last_call_id"] == got["last_message_id"] == ""
        assert got["id"].startswith("rcp_")
    # params are compact JSON, and a field with a quote is quoted, the quote doubled
    assert '"{""name"":""Ada, Countess"",""note"":""she said \\""hi\\""""}"' in text
    compare(rows, list_all(acct, c["id"]))


def run_to_completion(acct, n):
    """A voice campaign of n numbers whose last digits give every sim
    outcome, run once (no retries) to completion."""
    c = acct.create_campaign(retry_policy={"max_attempts": 1})
    numbers = ["+1415%07d" % (3000000 + i) for i in range(n)]
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": x, "params": {"i": i}}
                                       for i, x in enumerate(numbers)]})
    assert r.json()["accepted"] == n, r.text
    assert acct.post("/v1/campaigns/%s/start" % c["id"]).status_code == 200
    deadline = time.monotonic() + 60 * SLOW
    while acct.get_campaign(c["id"])["status"] != "completed":
        assert time.monotonic() < deadline, "campaign did not complete"
        time.sleep(0.1)
    return c, numbers


def test_filters_order_and_values_match_the_list(client):
    acct = client.create_account()
    c, numbers = run_to_completion(acct, 40)
    rows = parse(export(acct, c["id"]).text)
    assert [x["phone_number"] for x in rows] == numbers  # upload order
    compare(rows, list_all(acct, c["id"]))
    for x in rows:
        assert TIME_RE.match(x["last_attempt_at"]), x
        assert x["last_call_id"].startswith("call_"), x
    for params in ({"status": "succeeded"}, {"status": "failed"},
                   {"disposition": "no_answer"}, {"disposition": "busy"},
                   {"status": "failed", "disposition": "failed"},
                   {"status": "queued"}, {"disposition": "opted_out"}):
        got = parse(export(acct, c["id"], **params).text)
        compare(got, list_all(acct, c["id"], **params))
        for k, v in params.items():
            assert all(x[k] == v for x in got), (params, got)
    assert len(parse(export(acct, c["id"], status="succeeded").text)) == 24  # digits 0-5
    assert len(parse(export(acct, c["id"], status="queued").text)) == 0
    # an empty parameter is no filter, as for the list
    assert len(parse(export(acct, c["id"], status="").text)) == 40


def test_bad_filters_are_refused_as_by_the_list(client):
    acct = client.create_account()
    c = acct.create_campaign()
    for params, field in (({"status": "sleeping"}, "status"),
                          ({"disposition": "maybe"}, "disposition"),
                          ({"status": "queued", "disposition": "nope"}, "disposition")):
        r = acct.get(epath(c["id"]), params=params)
        assert_error(r, 400, "invalid_argument", field)
        listed = acct.get("/v1/campaigns/%s/recipients" % c["id"], params=params)
        assert_error(listed, 400, "invalid_argument", field)


def test_other_account_and_unknown_campaign_are_404(client):
    owner = client.create_account()
    other = client.create_account()
    c = owner.create_campaign()
    owner.post("/v1/campaigns/%s/recipients" % c["id"],
               json={"recipients": [{"phone_number": "+14155550100"}]})
    assert_error(other.get(epath(c["id"])), 404, "not_found")
    assert_error(owner.get(epath("cmp_nope")), 404, "not_found")
    r = client.req("GET", epath(c["id"]))
    assert_error(r, 401, "unauthenticated")
    r = owner.post(epath(c["id"]), json={})
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "GET"


def test_gzip_round_trip_and_keep_alive(client, server):
    acct = client.create_account()
    c = acct.create_campaign()
    for k in range(3):
        acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": "+1415%07d" % (4000000 + k * 10000 + i),
                                        "params": {"name": "Person %d" % i, "note": "é, \"x\""}}
                                       for i in range(10000)]})
    plain = export(acct, c["id"]).content
    assert len(parse(plain.decode())) == 30000
    s = requests.Session()
    h = {"Authorization": "Bearer " + acct.api_key, "Accept-Encoding": "gzip"}
    r = s.get(server.base + epath(c["id"]), headers=h, stream=True)
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in r.headers.get("Vary", "")
    raw = r.raw.read(decode_content=False)
    assert raw[:2] == b"\x1f\x8b"
    assert len(raw) < len(plain) / 3
    assert gzip.decompress(raw) == plain
    # the same connection serves the next request
    again = s.get(server.base + "/v1/campaigns/" + c["id"], headers=h)
    assert again.status_code == 200
    # a refusal of gzip, and an unknown coding, answer identity
    for ae in ("gzip;q=0", "br", "identity"):
        r = s.get(server.base + epath(c["id"]), headers=dict(h, **{"Accept-Encoding": ae}))
        assert "Content-Encoding" not in r.headers and r.content == plain
    s.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_100k_export_streams_in_constant_memory(start_server, encoding):
    """100,000 recipients with ~600 bytes of params each: some 70 MB of CSV.
    Held in memory, the body would add at least that to the server's RSS
    (180 MiB measured with all rows in one page); streamed page by page it
    adds the page cache of one SQLite connection (3 MiB) and a page of rows
    (about 5 MiB measured). RSS is sampled while the body
    streams (read slowly at first, so a server that buffered would peak
    before the client finished)."""
    srv = start_server()
    client = srv.client()
    acct = client.create_account()
    c = acct.create_campaign()
    filler = "x" * 600
    for k in range(10):
        r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                      json={"recipients": [{"phone_number": "+1415%07d" % (5000000 + k * 10000 + i),
                                            "params": {"note": filler, "i": k * 10000 + i}}
                                           for i in range(10000)]})
        assert r.json()["accepted"] == 10000, r.text[:200]
    # warm up the thread's connection with a small export, then measure
    export(acct, c["id"], status="failed")
    time.sleep(0.2)
    pid = srv.proc.pid
    before = rss_kib(pid)
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.01)

    t = threading.Thread(target=sample)
    t.start()
    h = {"Authorization": "Bearer " + acct.api_key, "Accept-Encoding": encoding}
    rows = 0
    size = 0
    try:
        with requests.get(srv.base + epath(c["id"]), headers=h, stream=True,
                          timeout=120 * SLOW) as r:
            assert r.status_code == 200
            assert r.headers.get("Content-Encoding") == (None if encoding == "identity"
                                                         else "gzip")
            tail = b""
            for i, chunk in enumerate(r.iter_content(65536)):
                if i < 20:
                    time.sleep(0.02)  # a slow reader first
                size += len(chunk)
                data = tail + chunk
                rows += data.count(b"\r\n")
                tail = b""
    finally:
        stop.set()
        t.join()
    after = rss_kib(pid)
    client.close()
    assert rows == 100001  # header and every recipient (params hold no CRLF)
    assert size > 60_000_000
    growth = peak[0] - before
    if SANITIZED:
        return  # ASan's quarantine keeps freed memory: RSS says nothing there
    assert growth < 24 * 1024, "RSS grew %d KiB (%d -> peak %d) for %d bytes of CSV" % (
        growth, before, peak[0], size)
    assert after - before < 24 * 1024
