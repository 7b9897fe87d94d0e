"""campaignctl, driven as an operator would: --help of every command; an
upload of a CSV with quoted multi-line fields, commas, quotes and unicode;
resume after a break (the client killed mid-upload, and the server stopped
mid-upload then started again): no duplicates, totals right; the progress
bar in a pseudo-terminal (rows/s, the counts, redrawn with CR) and plain
lines when not a terminal; watch until the campaign completes (plain and
on a terminal); export to stdout, byte for byte the API's; the lifecycle
commands and ls; and every error path: one line on stderr, non-zero exit.

The binary is $CAMPAIGNCTL_BIN, else campaignctl beside $CAMPAIGND_BIN."""
import csv
import fcntl
import io
import os
import pathlib
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

import pytest

from conftest import BIN, Server
from helpers import SLOW

CTL = os.environ.get("CAMPAIGNCTL_BIN") or str(pathlib.Path(BIN).parent / "campaignctl")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("campaignd"), env={"CAMPAIGND_SIM_CALL_MS": "20"}).start()
    yield srv
    srv.stop()


@pytest.fixture
def acct(client):
    return client.create_account()


def env_for(server, acct):
    e = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGND_")}
    e["CAMPAIGND_URL"] = server.base
    if acct is not None:
        e["CAMPAIGND_API_KEY"] = acct.api_key
    return e


def ctl(server, acct, *args, timeout=120):
    return subprocess.run([CTL] + list(args), env=env_for(server, acct), capture_output=True,
                          timeout=timeout * SLOW)


def ok(server, acct, *args):
    r = ctl(server, acct, *args)
    assert r.returncode == 0, (args, r.returncode, r.stderr.decode())
    return r.stdout.decode()


def create(server, acct, *extra):
    out = ok(server, acct, "create", "--name", "ctl test", "--agent-id", "agt_ctl",
             "--caller-id", "+14155550100", *extra)
    cid = out.strip()
    assert re.fullmatch(r"cmp_\w+", cid), out
    return cid


def write_csv(path, rows, header=("phone_number", "name", "note")):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def numbers(n, base=2000000):
    return ["+1415%07d" % (base + i) for i in range(n)]


def summary(out):
    m = re.search(r": (\d+) rows, accepted (\d+), invalid (\d+), duplicates (\d+) "
                  r"\((\d+) chunks, (\d+) already uploaded\); campaign total (-?\d+)", out)
    assert m, out
    keys = ("rows", "accepted", "invalid", "duplicates", "chunks", "replayed", "total")
    return dict(zip(keys, map(int, m.groups())))


def test_help_for_every_command(server):
    for cmd in ("upload", "watch", "export", "create", "start", "pause", "resume", "cancel", "ls"):
        r = ctl(server, None, cmd, "--help")
        assert r.returncode == 0, (cmd, r.stderr)
        out = r.stdout.decode()
        assert out.startswith("usage: campaignctl "), out
        assert cmd in out.splitlines()[0]
        assert "--api-key" in out and "CAMPAIGND_URL" in out
        assert r.stderr == b""
    for args in (["--help"], ["help"], ["-h"]):
        r = ctl(server, None, *args)
        assert r.returncode == 0 and b"Commands:" in r.stdout


def test_upload_quoted_multiline_fields(server, acct, tmp_path):
    rows = [["+14155550101", "Ada, Countess", 'said "hi"\nand left'],
            ["+14155550102", "Zoë 東京 🚀", "line one\r\nline two"],
            ["+14155550103", "", ",,,"],
            ["12345", "bad number", "x"],
            ["+14155550101", "dup", "x"]]
    path = write_csv(tmp_path / "r.csv", rows)
    cid = create(server, acct)
    rejects = tmp_path / "rejects.csv"
    s = summary(ok(server, acct, "upload", cid, path, "--chunk-rows", "2",
                   "--rejects", str(rejects)))
    assert s == {"rows": 5, "accepted": 3, "invalid": 1, "duplicates": 1, "chunks": 3,
                 "replayed": 0, "total": 3}
    # refused rows by their row in the file
    assert rejects.read_bytes() == (b"row,phone_number,reason\r\n4,12345,not_e164\r\n"
                                    b"5,+14155550101,duplicate\r\n")
    listed = acct.get("/v1/campaigns/%s/recipients" % cid).json()["data"]
    assert [x["params"] for x in listed] == [{"name": r[1], "note": r[2]} for r in rows[:3]]


def test_resume_after_the_client_is_killed(server, acct, tmp_path):
    n = 60000
    path = write_csv(tmp_path / "big.csv", [[x, "P %d" % i, "n, %d" % i]
                                            for i, x in enumerate(numbers(n))])
    cid = create(server, acct)
    p = subprocess.Popen([CTL, "upload", cid, path], env=env_for(server, acct),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = []
    while len(seen) < 2:
        line = p.stderr.readline().decode()
        assert line, "campaignctl ended early: %r" % seen
        seen.append(line)
    p.kill()  # mid-upload: a chunk may be in flight
    p.wait()
    p.stdout.close()
    p.stderr.close()
    before = acct.get_campaign(cid)["counters"]["total"]
    assert 20000 <= before < n, before

    r = ctl(server, acct, "upload", cid, path)
    assert r.returncode == 0, r.stderr
    s = summary(r.stdout.decode())
    assert s["accepted"] == n and s["duplicates"] == 0 and s["invalid"] == 0, s
    assert s["replayed"] >= 2 and s["total"] == n, s
    assert b"(already uploaded)" in r.stderr
    assert acct.get_campaign(cid)["counters"]["total"] == n
    # and once more: everything is replayed, nothing added
    s = summary(ok(server, acct, "upload", cid, path))
    assert s["replayed"] == 6 and s["accepted"] == n and s["total"] == n, s


def test_resume_after_the_server_stops(start_server, tmp_path):
    srv = start_server()
    acct = srv.client().create_account()
    n = 50000
    path = write_csv(tmp_path / "big.csv", [[x, "P", "n"] for x in numbers(n, 3000000)])
    cid = create(srv, acct)
    p = subprocess.Popen([CTL, "upload", cid, path], env=env_for(srv, acct),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stderr.readline().startswith(b"chunk 1/5")
    srv.stop()  # SIGTERM: the upload breaks
    out, err = p.communicate(timeout=60)
    p.stdout.close()
    p.stderr.close()
    lines = [x for x in err.decode().splitlines() if not x.startswith("chunk ")]
    assert p.returncode == 1 and len(lines) == 1 and lines[0].startswith("campaignctl: "), err
    assert out == b""
    srv.start()  # the same database, a new port
    s = summary(ok(srv, acct, "upload", cid, path))
    assert s["accepted"] == n and s["duplicates"] == 0 and s["total"] == n, s
    assert s["replayed"] >= 1


def run_in_pty(args, env, cols=120, timeout=120):
    """Runs args with stdout and stderr on a pseudo-terminal of cols
    columns; returns (exit status, everything written)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    p = subprocess.Popen(args, env=env, stdin=slave, stdout=slave, stderr=slave,
                         close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    return p.wait(timeout=10), out.decode("utf-8", "replace")


def test_progress_bar_on_a_terminal(server, acct, tmp_path):
    n = 30000
    path = write_csv(tmp_path / "r.csv", [[x, "P", "q"] for x in numbers(n, 4000000)]
                     + [["nope", "x", "y"], [numbers(1, 4000000)[0], "dup", "y"]])
    cid = create(server, acct)
    rc, out = run_in_pty([CTL, "upload", cid, path], env_for(server, acct))
    assert rc == 0, out
    frames = out.split("\r")
    assert len(frames) >= 4, out  # drawn, then redrawn after each chunk
    assert "\x1b[K" in out
    assert re.search(r"[\d,]+ rows/s", out), out
    last = [f for f in frames if "rows/s" in f][-1]
    assert "100% [" in last and "30,002/30,002 rows" in last, last
    assert "accepted 30,000" in last and "invalid 1" in last and "duplicates 1" in last, last
    assert all(len(f.split("\x1b[K")[0]) < 120 for f in frames if "rows/s" in f)
    s = summary(out)
    assert s["accepted"] == n and s["invalid"] == 1 and s["duplicates"] == 1


def test_plain_lines_when_not_a_terminal(server, acct, tmp_path):
    path = write_csv(tmp_path / "r.csv", [[x, "P", "q"] for x in numbers(25, 5000000)])
    cid = create(server, acct)
    r = ctl(server, acct, "upload", cid, path, "--chunk-rows", "10")
    assert r.returncode == 0
    err = r.stderr.decode()
    assert "\r" not in err and "\x1b" not in err
    lines = err.splitlines()
    assert len(lines) == 3, err
    for i, line in enumerate(lines, 1):
        assert re.fullmatch(r"chunk %d/3: \d+/25 rows \(\d+%%\), \d+ rows/s, accepted \d+, "
                            r"invalid 0, duplicates 0, ETA \S+" % i, line), line
    assert lines[-1].startswith("chunk 3/3: 25/25 rows (100%)")
    assert "\r" not in r.stdout.decode() and len(r.stdout.decode().splitlines()) == 1


def started_campaign(server, acct, tmp_path, n=20):
    path = write_csv(tmp_path / "w.csv", [[x, "P", "q"] for x in numbers(n, 6000000)])
    cid = create(server, acct, "--retry-policy", '{"max_attempts": 1}')
    ok(server, acct, "upload", cid, path)
    assert ok(server, acct, "start", cid).split() == [cid, "running"]
    return cid


def test_watch_until_completed(server, acct, tmp_path):
    cid = started_campaign(server, acct, tmp_path)
    r = ctl(server, acct, "watch", cid, "--interval", "0.2", timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert "\x1b" not in r.stdout.decode()
    assert lines[-1].startswith("completed total=20 queued=0 dispatched=0 "), lines
    assert re.search(r"succeeded=(\d+) failed=(\d+)", lines[-1])
    assert "completed=12" in lines[-1]  # last digits 0-5 of 0..19
    c = acct.get_campaign(cid)["counters"]
    assert "succeeded=%d failed=%d" % (c["succeeded"], c["failed"]) in lines[-1]
    # a finished campaign: one screen, at once, on a terminal too
    rc, out = run_in_pty([CTL, "watch", cid], env_for(server, acct))
    assert rc == 0, out
    assert "[completed, voice]" in out and "20 of 20 finished" in out, out
    assert "dispositions: " in out and "completed 12" in out


def test_watch_redraws_on_a_terminal(server, acct, tmp_path):
    cid = started_campaign(server, acct, tmp_path, n=20)
    env = env_for(server, acct)
    rc, out = run_in_pty([CTL, "watch", cid, "--interval", "0.2"], env, timeout=90)
    assert rc == 0, out
    # the 4-line screen, redrawn in place: cursor up 4 lines, clear below
    assert out.count("\x1b[4A\x1b[J") >= 1, out
    assert "[running, voice]" in out, out
    assert out.rstrip().splitlines()[-4].endswith("[completed, voice]"), out


def test_export_matches_the_api(server, acct, tmp_path):
    cid = started_campaign(server, acct, tmp_path)
    ok(server, acct, "watch", cid, "--interval", "0.2")
    r = ctl(server, acct, "export", cid)
    assert r.returncode == 0 and r.stderr == b""
    api = acct.get("/v1/campaigns/%s/recipients/export" % cid)
    assert r.stdout == api.content
    rows = list(csv.reader(io.StringIO(r.stdout.decode(), newline="")))
    assert len(rows) == 21 and rows[0][0] == "id"
    failed = ctl(server, acct, "export", cid, "--status", "failed").stdout.decode()
    assert failed == acct.get("/v1/campaigns/%s/recipients/export" % cid,
                              params={"status": "failed"}).text
    assert all(row[2] == "failed" for row in list(csv.reader(io.StringIO(failed)))[1:])
    out = tmp_path / "out.csv"
    with open(out, "wb") as f:
        assert subprocess.run([CTL, "export", cid, "--disposition", "busy"], stdout=f,
                              env=env_for(server, acct)).returncode == 0
    assert out.read_text().count("\n") == 1 + 2  # digits 7 of 0..19
    # a reader that stops early (| head) ends the export quietly; 5,000 rows
    # (~400 KB) are more than a pipe holds, so the write does fail
    big = create(server, acct)
    ok(server, acct, "upload", big, write_csv(tmp_path / "big.csv", [
        [x, "P", "q"] for x in numbers(5000, 6100000)]))
    r = subprocess.run(["bash", "-c", '"$0" export "$1" | head -c 100; exit ${PIPESTATUS[0]}',
                        CTL, big], env=env_for(server, acct), capture_output=True)
    assert r.returncode == 0 and r.stderr == b"", (r.returncode, r.stderr)
    assert r.stdout.decode().startswith("id,phone_number,") and len(r.stdout) == 100
    # a file that cannot be written is an error
    r = subprocess.run([CTL, "export", cid], stdout=open("/dev/full", "wb"),
                       stderr=subprocess.PIPE, env=env_for(server, acct))
    assert r.returncode == 1 and r.stderr.decode().count("\n") == 1, r.stderr
    assert "cannot write the output" in r.stderr.decode()


def test_lifecycle_and_ls(server, acct, tmp_path):
    path = write_csv(tmp_path / "r.csv", [[numbers(1, 7000000)[0], "A", "B"]])
    cid = create(server, acct, "--schedule", '{"start_at": "2099-01-01T00:00:00Z"}')
    ok(server, acct, "upload", cid, path)
    assert ok(server, acct, "start", cid).split() == [cid, "running"]
    assert ok(server, acct, "pause", cid).split() == [cid, "paused"]
    assert ok(server, acct, "resume", cid).split() == [cid, "running"]
    assert ok(server, acct, "cancel", cid).split() == [cid, "cancelled"]
    other = create(server, acct)
    out = ok(server, acct, "ls").splitlines()
    assert out[0].split()[:3] == ["ID", "STATUS", "CHANNEL"]
    assert [x.split()[0] for x in out[1:]] == [other, cid]  # newest first
    assert out[2].split()[1:4] == ["cancelled", "voice", "1"]
    assert [x.split()[0] for x in ok(server, acct, "ls", "--status", "draft").splitlines()[1:]] \
        == [other]
    assert len(ok(server, acct, "ls", "--limit", "1").splitlines()) == 2
    # idempotent create: the same key answers the same campaign
    a = ok(server, acct, "create", "--name", "k", "--agent-id", "a", "--caller-id",
           "+14155550100", "--idempotency-key", "ctl-create-1")
    b = ok(server, acct, "create", "--name", "k", "--agent-id", "a", "--caller-id",
           "+14155550100", "--idempotency-key", "ctl-create-1")
    assert a == b


def test_every_error_is_one_line_and_non_zero(server, acct, tmp_path, client):
    good = write_csv(tmp_path / "ok.csv", [[numbers(1, 8000000)[0], "A", "B"]])
    bad = tmp_path / "bad.csv"
    bad.write_text('phone_number,name\n+14155550100,"open\n')
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    noheader = write_csv(tmp_path / "nophone.csv", [["x"]], header=("name",))
    cid = create(server, acct)
    other = client.create_account()
    cases = [
        (acct, ["upload", "cmp_nope", good], 1, "HTTP 404 not_found"),
        (other, ["upload", cid, good], 1, "HTTP 404 not_found"),
        (acct, ["upload", cid, str(tmp_path / "missing.csv")], 1, "cannot open"),
        (acct, ["upload", cid, str(bad)], 1, "unterminated quoted field"),
        (acct, ["upload", cid, str(empty)], 1, "empty"),
        (acct, ["upload", cid, noheader], 1, "phone_number"),
        (acct, ["upload", cid], 2, "needs CAMPAIGN and FILE.csv"),
        (acct, ["upload", cid, good, "--chunk-rows", "20000"], 2, "--chunk-rows"),
        (acct, ["pause", cid], 1, "HTTP 409 invalid_transition"),
        (acct, ["start", cid], 1, "HTTP 409 campaign_empty"),
        (acct, ["watch", "cmp_nope"], 1, "HTTP 404 not_found"),
        (acct, ["export", "cmp_nope"], 1, "HTTP 404 not_found"),
        (acct, ["export", cid, "--status", "sleeping"], 1, "HTTP 400 invalid_argument"),
        (acct, ["create", "--agent-id", "a", "--caller-id", "+14155550100"], 1,
         "HTTP 422 invalid_argument"),
        (acct, ["create", "--name", "x", "--agent-id", "a", "--config", "{nope"], 2, "not JSON"),
        (acct, ["ls", "--status", "sleeping"], 1, "HTTP 400 invalid_argument"),
        (acct, ["ls", "--bogus"], 2, "unknown option --bogus"),
        (acct, ["frobnicate"], 2, "unknown command"),
        (acct, [], 2, None),
        (None, ["ls"], 2, "no API key"),
    ]
    for who, args, want, text in cases:
        r = ctl(server, who, *args)
        err = r.stderr.decode()
        assert r.returncode == want, (args, r.returncode, err)
        if text is None:
            continue
        assert err.count("\n") == 1 and err.startswith("campaignctl: "), (args, err)
        assert text in err, (args, err)
        assert r.stdout == b"", (args, r.stdout)
    # a wrong key, and a server that is not there
    e = env_for(server, acct)
    e["CAMPAIGND_API_KEY"] = "ck_" + "x" * 40
    r = subprocess.run([CTL, "ls"], env=e, capture_output=True)
    assert r.returncode == 1 and r.stderr.decode().count("\n") == 1
    assert "HTTP 401 unauthenticated" in r.stderr.decode()
    r = subprocess.run([CTL, "--url", "http://127.0.0.1:9", "ls"], env=env_for(server, acct),
                       capture_output=True)
    assert r.returncode == 1 and r.stderr.decode().count("\n") == 1, r.stderr
    assert "cannot reach http://127.0.0.1:9" in r.stderr.decode()
    # --url after the command works too, and overrides the environment
    r = subprocess.run([CTL, "ls", "--url=http://127.0.0.1:9"], env=env_for(server, acct),
                       capture_output=True)
    assert r.returncode == 1 and "cannot reach" in r.stderr.decode()
    # nothing was added by any of it
    assert acct.get_campaign(cid)["counters"]["total"] == 0
