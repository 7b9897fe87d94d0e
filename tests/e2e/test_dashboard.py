"""The dashboard at /dashboard/: its static files (types, ETag, caching, the
Content-Security-Policy, no inline code) over plain HTTP, then the page
itself in Debian's headless Chromium, driven over the DevTools protocol
(browser.py): enter a key, see the campaigns list, open a campaign, start it
and watch its counters move (sim provider), pause and resume, filter and page
the recipients, open a recipient's calls, upload a CSV of 25,003 rows (three
requests) with its progress bar. Each page is saved as a PNG under
tests/e2e/output/dashboard/ (git-ignored; $DASHBOARD_SCREENSHOTS overrides)
and its text and numbers are checked against the API's answers; the page
must raise no JavaScript error and break no Content-Security-Policy rule.

The browser part skips when chromium or python3-websocket is missing, unless
$CI is set: under CI it must run."""
import csv
import io
import json
import os
import pathlib
import re

import pytest
import requests

from browser import Browser, chromium_available
from helpers import SLOW, all_pages, wait_for

REPO = pathlib.Path(__file__).resolve().parents[2]
SHOTS = pathlib.Path(os.environ.get("DASHBOARD_SCREENSHOTS") or REPO / "tests/e2e/output/dashboard")
COUNTERS = ("total", "queued", "dispatched", "succeeded", "failed")


# ---------- the static files ----------

def asset_names(index_html):
    return sorted(set(re.findall(r'(?:src|href)="([A-Za-z0-9_.-]+\.(?:js|css|svg))"', index_html)))


def test_dashboard_redirects_to_its_folder(server):
    r = requests.get(server.base + "/dashboard", allow_redirects=False, timeout=10)
    assert r.status_code == 308, r.text
    assert r.headers["Location"] == "/dashboard/"


def test_index_is_served_without_a_key_with_a_strict_policy(server):
    r = requests.get(server.base + "/dashboard/", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>campaignd dashboard</title>" in r.text
    csp = r.headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                      "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"):
        assert directive in csp, csp
    assert "unsafe" not in csp, csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-cache"
    assert re.fullmatch(r'"[0-9a-f]{16}"', r.headers["ETag"]), r.headers["ETag"]
    # same file under its own name
    again = requests.get(server.base + "/dashboard/index.html", timeout=10)
    assert again.content == r.content and again.headers["ETag"] == r.headers["ETag"]


def test_page_has_no_inline_code(server):
    """The policy forbids inline scripts, style attributes and handlers: the
    page must not need them."""
    html = requests.get(server.base + "/dashboard/", timeout=10).text
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\sstyle=", html), "style attribute"
    assert not re.search(r"<style", html), "<style> element"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_each_file_has_its_type_and_revalidates_with_its_etag(server):
    html = requests.get(server.base + "/dashboard/", timeout=10).text
    names = asset_names(html)
    assert {"app.js", "plot.js", "csv_upload.js", "style.css", "favicon.svg"} <= set(names), names
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
             ".svg": "image/svg+xml"}
    etags = set()
    for name in names:
        url = server.base + "/dashboard/" + name
        r = requests.get(url, timeout=10)
        assert r.status_code == 200, (name, r.text)
        assert r.headers["Content-Type"] == types[pathlib.Path(name).suffix], name
        assert r.content == (REPO / "web/dashboard" / name).read_bytes(), name
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        etag = r.headers["ETag"]
        etags.add(etag)
        cached = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
        assert cached.status_code == 304, name
        assert cached.content == b"" and cached.headers["ETag"] == etag
        stale = requests.get(url, headers={"If-None-Match": '"0000000000000000"'}, timeout=10)
        assert stale.status_code == 200 and stale.content == r.content
    assert len(etags) == len(names), "two files share an ETag"


def test_unknown_files_and_methods(server):
    for path in ("/dashboard/nope.js", "/dashboard/vendor/app.js", "/dashboard/..%2fhealthz",
                 "/dashboard/%2e%2e"):
        r = requests.get(server.base + path, timeout=10)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "not_found"
    r = requests.post(server.base + "/dashboard/", data=b"x", timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET"


# ---------- the page in a browser ----------

def need_browser():
    try:
        import websocket  # noqa: F401
        have_ws = True
    except ImportError:
        have_ws = False
    if chromium_available() and have_ws:
        return
    missing = "chromium" if not chromium_available() else "python3-websocket"
    if os.environ.get("CI"):
        pytest.fail("CI is set and %s is missing (scripts/deps.sh installs it)" % missing)
    pytest.skip("%s is not installed (scripts/deps.sh installs it)" % missing)


@pytest.fixture
def browser(tmp_path):
    need_browser()
    b = Browser(tmp_path, timeout=30 * SLOW)
    yield b
    b.close()


def shot(browser, name, full=True):
    browser.screenshot(SHOTS / (name + ".png"), full=full)


def page_counters(browser):
    return browser.eval(
        "Object.fromEntries(%s.map(k => [k, Number(document.getElementById('n-' + k).dataset.value)]))"
        % json.dumps(list(COUNTERS)))


def table_ids(browser, table):
    return browser.eval("[...document.querySelectorAll('#%s tbody tr:not(.empty)')].map(r => r.dataset.id)" % table)


def click(browser, selector):
    browser.eval("document.querySelector(%s).click()" % json.dumps(selector))


def choose(browser, select_id, value):
    """Picks an option of a <select> the way a user does (fires change)."""
    browser.eval("(() => { const s = document.getElementById(%s); s.value = %s;"
                 " s.dispatchEvent(new Event('change')); })()" % (json.dumps(select_id), json.dumps(value)))


def reload_recipients(browser, select_id, value):
    before = browser.eval("document.getElementById('recipients').dataset.loaded || ''")
    choose(browser, select_id, value)
    browser.wait("(document.getElementById('recipients').dataset.loaded || '') !== %s" % json.dumps(before),
                 10 * SLOW, "the recipients table to reload")


def api_page(acct, path, params):
    r = acct.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_dashboard_in_a_browser(start_server, browser, tmp_path):
    srv = start_server(env={"CAMPAIGND_SIM_CALL_MS": "200"})
    client = srv.client()
    acct = client.create_account()
    # a slow lane, so the campaign runs long enough to watch it move
    r = client.admin("PUT", "/v1/admin/carriers/dash-slow", json={
        "channel": "voice", "prefixes": ["+1415"], "rate_per_second": 4, "burst": 1,
        "max_concurrent": 4})
    assert r.status_code == 200, r.text
    run = acct.create_campaign(name="Renewals live", retry_policy={
        "max_attempts": 2, "retry_on": ["no_answer"], "delay_seconds": 1})
    numbers = ["+1415%07d" % (2000000 + i) for i in range(40)]
    r = acct.post("/v1/campaigns/%s/recipients" % run["id"],
                  json={"recipients": [{"phone_number": n} for n in numbers]})
    assert r.status_code == 200 and r.json()["accepted"] == 40, r.text
    target = acct.create_campaign(name="Upload target")

    # --- sign in ---
    browser.navigate(srv.base + "/dashboard")
    assert browser.eval("location.pathname") == "/dashboard/"
    browser.wait("!document.getElementById('view-login').hidden", 10 * SLOW, "the sign-in form")
    shot(browser, "1-sign-in")
    browser.eval("document.getElementById('login-key').focus()")
    browser.send("Input.insertText", text="not-a-key")
    click(browser, "#login-submit")
    err = browser.wait("!document.getElementById('login-error').hidden &&"
                       " document.getElementById('login-error').textContent", 10 * SLOW,
                       "the refused key's message")
    assert "did not accept" in err
    browser.eval("document.getElementById('login-key').focus()")
    browser.send("Input.insertText", text=acct.api_key)
    click(browser, "#login-submit")

    # --- the campaigns list ---
    browser.wait("document.getElementById('view-list').dataset.loaded", 10 * SLOW, "the campaigns list")
    # the key is kept in this tab only
    assert browser.eval("sessionStorage.getItem('campaignd.api_key')") == acct.api_key
    assert browser.eval("localStorage.length") == 0
    assert browser.eval("document.cookie") == ""
    rows = browser.eval("""[...document.querySelectorAll('#campaigns tbody tr')].map(r => ({
        id: r.dataset.id, name: r.cells[0].textContent, status: r.cells[1].textContent,
        total: Number(r.querySelector('.n-total').textContent.replace(/,/g, ''))}))""")
    api_rows = all_pages(acct, "/v1/campaigns")
    assert [(r["id"], r["name"], r["status"], r["total"]) for r in rows] == \
        [(c["id"], c["name"], c["status"], c["counters"]["total"]) for c in api_rows]
    assert [r["name"] for r in rows] == ["Upload target", "Renewals live"]  # newest first
    shot(browser, "2-campaigns")

    # --- one campaign: start it from the page and watch it run ---
    click(browser, "#campaigns tbody tr[data-id='%s'] a" % run["id"])
    browser.wait("document.getElementById('view-campaign').dataset.loaded &&"
                 " document.getElementById('c-name').textContent === 'Renewals live'", 10 * SLOW,
                 "the campaign page")
    assert browser.eval("document.getElementById('c-status').textContent") == "draft"
    assert page_counters(browser)["total"] == 40
    click(browser, "#act-start")
    browser.wait("document.getElementById('c-status').textContent === 'running'", 10 * SLOW,
                 "the campaign to run")
    assert acct.get_campaign(run["id"])["status"] == "running"

    def finished_on_page():
        c = page_counters(browser)
        assert c["total"] == c["queued"] + c["dispatched"] + c["succeeded"] + c["failed"], c
        assert c["total"] == 40, c
        return c["succeeded"] + c["failed"]

    first = wait_for(lambda: finished_on_page() or None, 20, "a first finished recipient on the page")
    assert first < 40, "the campaign ended before it could be watched"
    wait_for(lambda: finished_on_page() > first, 20, "the counters to move on the page")
    # the recipients table follows the running campaign by itself
    browser.wait("[...document.querySelectorAll('#recipients tbody tr:not(.empty)')]"
                 ".some(r => r.cells[1].textContent !== 'queued')", 10 * SLOW,
                 "the recipients table to show attempted recipients")

    # --- pause: the page shows it, and once in-flight calls end its numbers are the API's ---
    click(browser, "#act-pause")
    browser.wait("document.getElementById('c-status').textContent === 'paused'", 10 * SLOW, "paused")
    assert acct.get_campaign(run["id"])["status"] == "paused"
    assert browser.eval("document.getElementById('act-resume').disabled") is False
    assert browser.eval("document.getElementById('act-pause').disabled") is True
    api = wait_for(lambda: (lambda c: c if c["counters"]["dispatched"] == 0 else None)(
        acct.get_campaign(run["id"])), 20, "in-flight calls to end")
    want = {k: api["counters"][k] for k in COUNTERS}
    wait_for(lambda: page_counters(browser) == want, 5, "the page to show the paused counters")
    assert want["queued"] > 0, want
    shot(browser, "3-campaign-paused")
    shot(browser, "3-campaign-paused-window", full=False)  # the README's picture

    # --- resume: it completes; the page's counters, dispositions and chart match the API ---
    click(browser, "#act-resume")
    browser.wait("document.getElementById('c-status').textContent === 'completed'", 60 * SLOW,
                 "the campaign to complete")
    api = acct.get_campaign(run["id"])
    assert api["status"] == "completed"
    assert page_counters(browser) == {k: api["counters"][k] for k in COUNTERS}
    page_disp = browser.eval("""Object.fromEntries([...document.querySelectorAll('#dispositions tbody tr[data-disposition]')]
        .map(r => [r.dataset.disposition, Number(r.cells[1].dataset.value)]))""")
    assert page_disp == {k: v for k, v in api["counters"]["dispositions"].items() if v}
    calls = all_pages(acct, "/v1/calls", {"campaign_id": run["id"]})
    assert len(calls) > 40  # the no_answer ones (digits 6 and 9) were retried
    browser.wait("Number(document.getElementById('chart-rate').dataset.dispatches) === %d" % len(calls),
                 5 * SLOW, "the rate chart to count every call")
    assert browser.eval("Number(document.getElementById('chart-disp').dataset.samples)") >= 3
    legend = browser.eval("[...document.querySelectorAll('#chart-disp-legend li')].map(l => l.textContent)")
    assert set(legend) == set(page_disp), legend
    browser.eval("window.scrollTo(0, 0)")
    shot(browser, "4-campaign-completed")

    # --- recipients: filters and paging, row for row the API's ---
    path = "/v1/campaigns/%s/recipients" % run["id"]
    reload_recipients(browser, "r-status", "failed")
    failed = api_page(acct, path, {"status": "failed", "page_size": 25})
    assert failed["data"], "no failed recipient to show"
    assert table_ids(browser, "recipients") == [x["id"] for x in failed["data"]]
    reload_recipients(browser, "r-status", "")
    reload_recipients(browser, "r-disposition", "busy")
    busy = api_page(acct, path, {"disposition": "busy", "page_size": 25})
    assert table_ids(browser, "recipients") == [x["id"] for x in busy["data"]]
    assert busy["data"] and all(x["disposition"] == "busy" for x in busy["data"])
    shot(browser, "5-recipients-busy")
    reload_recipients(browser, "r-disposition", "")
    reload_recipients(browser, "r-page-size", "10")
    p1 = api_page(acct, path, {"page_size": 10})
    p2 = api_page(acct, path, {"page_size": 10, "page_token": p1["next_page_token"]})
    assert table_ids(browser, "recipients") == [x["id"] for x in p1["data"]]
    before = browser.eval("document.getElementById('recipients').dataset.loaded")
    click(browser, "#r-next")
    browser.wait("document.getElementById('recipients').dataset.loaded !== %s" % json.dumps(before),
                 10 * SLOW, "page 2")
    assert table_ids(browser, "recipients") == [x["id"] for x in p2["data"]]
    assert browser.eval("document.getElementById('r-page').textContent") == "page 2"
    before = browser.eval("document.getElementById('recipients').dataset.loaded")
    click(browser, "#r-prev")
    browser.wait("document.getElementById('recipients').dataset.loaded !== %s" % json.dumps(before),
                 10 * SLOW, "page 1 again")
    assert table_ids(browser, "recipients") == [x["id"] for x in p1["data"]]

    # --- one recipient: a number ending in 9 (no answer, then completed) ---
    nine = next(x for x in p1["data"] if x["phone_number"].endswith("9"))
    click(browser, "#recipients tbody tr[data-id='%s'] a" % nine["id"])
    browser.wait("document.getElementById('view-recipient').dataset.loaded", 10 * SLOW, "the recipient")
    assert browser.eval("document.getElementById('rc-phone').textContent") == nine["phone_number"]
    rc_calls = all_pages(acct, "/v1/calls", {"recipient_id": nine["id"]})
    assert [c["status"] for c in rc_calls] == ["completed", "no_answer"]  # newest first
    assert table_ids(browser, "rc-calls") == [c["id"] for c in rc_calls]
    shown = browser.eval("[...document.querySelectorAll('#rc-calls tbody tr')].map(r => r.cells[2].textContent)")
    assert shown == ["completed", "no_answer"]
    assert table_ids(browser, "rc-messages") == []
    assert browser.eval("document.querySelector('#rc-messages tbody').textContent") == "no messages"
    assert browser.eval("document.querySelector('#rc-fields dd[data-field=status]').textContent") == "succeeded"
    shot(browser, "6-recipient")

    # --- CSV upload into the draft campaign: 25,003 rows, three requests ---
    csv_path = tmp_path / "people.csv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["phone_number", "name", "note"])
    for i in range(25000):
        w.writerow(["+1415%07d" % (3000000 + i), "Person %d" % i, "plain"])
    w.writerow(["12345", "Bad", "x"])  # not_e164
    w.writerow(["+14153000000", "Again", "x"])  # duplicate
    w.writerow(["+14159999999", "O'Neil, \"Jr\"", "two\nlines"])  # quoted, a line break inside
    csv_path.write_text(buf.getvalue())
    browser.eval("location.hash = '#/c/%s'" % target["id"])
    browser.wait("document.getElementById('view-campaign').dataset.loaded &&"
                 " document.getElementById('c-name').textContent === 'Upload target'", 10 * SLOW,
                 "the upload target")
    browser.set_files("#upload-file", [csv_path])
    click(browser, "#upload-start")
    browser.wait("document.getElementById('upload-form').dataset.done", 120 * SLOW, "the upload")
    form = browser.eval("Object.assign({}, document.getElementById('upload-form').dataset)")
    assert form == {"done": "1", "accepted": "25001", "invalid": "1", "duplicates": "1",
                    "requests": "3"}, form
    assert browser.eval("document.getElementById('upload-progress').value") == 1
    status = browser.eval("document.getElementById('upload-status').textContent")
    assert status.startswith("done: 25,003 rows sent · 25,001 accepted · 1 invalid · 1 duplicates"), status
    api = acct.get_campaign(target["id"])
    assert api["counters"]["total"] == 25001
    wait_for(lambda: page_counters(browser)["total"] == 25001, 5, "the page's total after the upload")
    quoted = [x for x in api_page(acct, "/v1/campaigns/%s/recipients" % target["id"],
                                  {"page_size": 1000})["data"] if x["phone_number"] == "+14159999999"]
    if not quoted:  # upload order: it is the last one
        quoted = [x for x in all_pages(acct, "/v1/campaigns/%s/recipients" % target["id"])
                  if x["phone_number"] == "+14159999999"]
    assert quoted[0]["params"] == {"name": "O'Neil, \"Jr\"", "note": "two\nlines"}
    browser.eval("window.scrollTo(0, 0)")
    shot(browser, "7-upload")

    problems = [p for p in browser.problems if not p.startswith("log (network)")]
    assert not problems, problems
    client.close()


def test_csv_upload_splits_records_like_rfc_4180(server, browser):
    """csv_upload.js in the browser: records cut on line ends outside quotes
    (CRLF or LF, a BOM dropped, blank lines skipped, "" escapes, line breaks
    and multi-byte text inside quotes, across the stream's chunk
    boundaries); requests of at most 10,000 rows, each with the header;
    a 503 retried with the same Idempotency-Key."""
    browser.navigate(server.base + "/dashboard/")
    small = browser.eval(r'''(async () => {
        const text = '\ufeffphone_number,name\r\n+1,"a,b"\r\n\r\n+2,"x\r\ny"\n+3,"say ""hi"""';
        const out = [];
        for await (const batch of CsvUpload.records(new Blob([text]))) out.push(...batch);
        return out;
    })()''')
    assert small == ['phone_number,name', '+1,"a,b"', '+2,"x\r\ny"', '+3,"say ""hi"""']

    big = browser.eval(r"""(async () => {
        const n = 60000, parts = ['phone_number,note\n'];
        const want = (i) => '+' + i + ',"été ' + i + '\n🙂 ""' + i + '"", end"';
        for (let i = 0; i < n; i++) parts.push(want(i) + (i % 2 ? '\r\n' : '\n'));
        const blob = new Blob(parts);
        let got = 0, bad = -1, header = null;
        for await (const batch of CsvUpload.records(blob))
            for (const rec of batch) {
                if (header === null) { header = rec; continue; }
                if (rec !== want(got) && bad < 0) bad = got;
                got++;
            }
        return {size: blob.size, header, got, bad};
    })()""")
    assert big["size"] > 4 * 65536, big  # several chunks of the stream
    assert big == {"size": big["size"], "header": "phone_number,note", "got": 60000, "bad": -1}

    sent = browser.eval(r"""(async () => {
        const lines = ['phone_number,name'];
        for (let i = 0; i < 25003; i++) lines.push('+1415' + (3000000 + i) + ',P' + i);
        const file = new File([lines.join('\n') + '\n'], 'x.csv');
        const calls = [];
        let failOnce = true;
        const send = async (body, key) => {
            const rows = body.split('\n').filter((l) => l);
            calls.push({key, header: rows[0], rows: rows.length - 1});
            if (calls.length === 2 && failOnce) {
                failOnce = false;
                return new Response('{}', {status: 503});
            }
            return new Response(JSON.stringify({accepted: rows.length - 1, invalid: 0,
                duplicates: 0, total: 0}), {status: 200});
        };
        const progress = [];
        const t = await CsvUpload.upload(file, send, (p) => progress.push(p.fraction));
        return {calls, accepted: t.accepted, requests: t.requests, progress};
    })()""")
    calls = sent["calls"]
    assert [c["rows"] for c in calls] == [10000, 10000, 10000, 5003]
    assert all(c["header"] == "phone_number,name" for c in calls)
    assert calls[1]["key"] == calls[2]["key"], "a retried request must keep its key"
    assert len({calls[0]["key"], calls[2]["key"], calls[3]["key"]}) == 3
    assert sent["accepted"] == 25003 and sent["requests"] == 3
    assert sent["progress"][-1] == 1 and sent["progress"] == sorted(sent["progress"])
