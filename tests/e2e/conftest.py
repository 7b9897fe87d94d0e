"""End-to-end harness: runs the real campaignd binary and talks HTTP to it.

* The binary is $CAMPAIGND_BIN (default: <repo>/build/campaignd).
* Each server gets a free port (bind to port 0), a SQLite database in a
  temporary folder and, unless told otherwise, an admin token.
* With $CAMPAIGND_TEST_DATABASE set to a PostgreSQL URL (scripts/pg.sh run),
  each database path instead names a fresh database on that server (the
  same path, the same database: restarts and shared stores keep working),
  dropped when the fixture that started the server ends.
* Its stderr goes to a file; when a test fails the file is attached to the
  report, and when the server exits non-zero or by a signal on SIGTERM
  (a sanitizer build that finds a leak, a crash) the test fails with it.
* $CAMPAIGND_SANITIZED=1 (ASan/UBSan build) stretches every timeout.

Fixtures:
  server        one server per test module (fast; tests isolate themselves
                by creating their own account)
  client        a Client bound to `server`
  start_server  factory for a fresh server with custom env, stopped (and its
                exit status checked) at the end of the test
"""
import hashlib
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from helpers import ON_PG, PG_URL, SANITIZED, SLOW, Client

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CAMPAIGND_BIN") or str(REPO / "build" / "campaignd")
START_TIMEOUT = 20 * SLOW
STOP_TIMEOUT = 20 * SLOW

# Every server still running, for attaching its log to failing reports.
_live = []


def _pg_url(dbname):
    """PG_URL with its database replaced by dbname."""
    from urllib.parse import urlsplit
    u = urlsplit(PG_URL)
    return "%s://%s/%s%s" % (u.scheme, u.netloc, dbname, ("?" + u.query) if u.query else "")


def _psql(sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", PG_URL,
                    "-c", "SET client_min_messages = warning", "-c", sql],
                   check=True, stdout=subprocess.DEVNULL)


def pg_database(path):
    """The PostgreSQL database standing for the SQLite path (created once)."""
    name = "t_" + hashlib.sha1(str(path).encode()).hexdigest()[:20]
    with _pg_lock:  # servers may start from several threads
        if name not in _pg_created:
            _psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
            _psql("CREATE DATABASE %s" % name)
            _pg_created.add(name)
    return _pg_url(name), name


def pg_drop(path):
    name = "t_" + hashlib.sha1(str(path).encode()).hexdigest()[:20]
    if name in _pg_created:
        _pg_created.discard(name)
        _psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


_pg_created = set()
_pg_lock = threading.Lock()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One campaignd process."""

    def __init__(self, workdir, env=None, admin_token="default", db=None, args=()):
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db = db or (self.workdir / "campaignd.db")
        self.admin_token = ("adm_" + secrets.token_hex(16)) if admin_token == "default" else admin_token
        self.extra_env = dict(env or {})
        self.args = list(args)
        self.proc = None
        self.port = None
        self.log_path = None
        self.returncode = None
        self._starts = 0

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def environment(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGND_")}
        env["CAMPAIGND_LISTEN"] = "127.0.0.1:%d" % self.port
        if ON_PG:
            env["CAMPAIGND_DATABASE"] = pg_database(self.db)[0]
        else:
            env["CAMPAIGND_DATABASE"] = "sqlite:%s" % self.db
        if self.admin_token is not None:
            env["CAMPAIGND_ADMIN_TOKEN"] = self.admin_token
        data = REPO / "data"
        if data.is_dir():
            env["CAMPAIGND_DATA_DIR"] = str(data)
        for k, v in self.extra_env.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def start(self):
        last = ""
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self._starts += 1
            self.port = free_port()
            self.log_path = self.workdir / ("stderr.%d.log" % self._starts)
            log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(
                [BIN] + self.args, env=self.environment(), cwd=str(self.workdir),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            log.close()
            self.returncode = None
            _live.append(self)
            if self._wait_healthy():
                return self
            self._forget()
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            last = self.log()
            if "cannot listen" not in last:
                break
        pytest.fail("campaignd did not become healthy (exit %r); stderr:\n%s"
                    % (self.proc.returncode, last[-8000:]))

    def _wait_healthy(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                r = requests.get(self.base + "/healthz", timeout=2 * SLOW)
                if r.status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        return False

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _forget(self):
        if self in _live:
            _live.remove(self)

    def stop(self, sig=signal.SIGTERM, check=True):
        """Signals the process, waits, and (check) fails unless it exited 0."""
        if self.proc is None or self.returncode is not None:
            return self.returncode
        self._forget()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                if check:
                    pytest.fail("campaignd did not exit within %ss of %s; stderr:\n%s"
                                % (STOP_TIMEOUT, sig.name, self.log()[-8000:]))
        self.returncode = self.proc.returncode
        if check:
            assert_clean_exit(self)
        return self.returncode

    def client(self):
        return Client(self.base, self.admin_token, timeout=30 * SLOW)


def assert_clean_exit(srv):
    rc = srv.returncode
    log = srv.log()
    bad = rc != 0 or "Sanitizer" in log or "runtime error:" in log
    if bad:
        how = ("killed by signal %d" % -rc) if rc < 0 else ("exit status %d" % rc)
        pytest.fail("campaignd ended badly (%s); stderr:\n%s" % (how, log[-12000:]),
                    pytrace=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("campaignd")).start()
    yield srv
    srv.stop()
    if ON_PG:
        pg_drop(srv.db)


@pytest.fixture(scope="module")
def client(server):
    c = server.client()
    yield c
    c.close()


@pytest.fixture
def start_server(tmp_path):
    """start_server(env={...}, admin_token=..., db=..., args=[...]) -> a started Server.
    env values of None remove a variable; admin_token=None runs without one."""
    started = []

    def start(env=None, admin_token="default", db=None, args=(), name=None):
        wd = tmp_path / (name or ("srv%d" % len(started)))
        srv = Server(wd, env=env, admin_token=admin_token, db=db, args=args)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.stop()
    for srv in started if ON_PG else ():
        pg_drop(srv.db)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and not hasattr(report, "wasxfail"):
        for srv in list(_live):
            report.sections.append(("campaignd stderr (port %s)" % srv.port, srv.log()[-12000:]))


def pytest_report_header(config):
    return "campaignd binary: %s%s%s" % (BIN, " (sanitized)" if SANITIZED else "",
                                         " on PostgreSQL" if ON_PG else "")
