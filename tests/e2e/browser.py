"""A headless Chromium driven over the DevTools protocol, for the dashboard's
end-to-end test. No browser is downloaded: it runs Debian's /usr/bin/chromium
(or $CHROMIUM) and talks to it with python3-websocket.

Browser(workdir) starts chromium with a fresh profile in workdir and an
ephemeral debugging port (read back from DevToolsActivePort), attaches to its
first page and collects, while it runs, JavaScript exceptions and console /
log errors (Content-Security-Policy violations among them) in `problems`.
"""
import base64
import json
import os
import pathlib
import shutil
import subprocess
import time

import requests

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def chromium_available():
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, workdir, width=1280, height=900, timeout=30):
        import websocket  # python3-websocket; imported here so a skip needs no module

        self.timeout = timeout
        self.profile = pathlib.Path(workdir) / "chromium-profile"
        self.profile.mkdir(parents=True, exist_ok=True)
        self.log_path = pathlib.Path(workdir) / "chromium.log"
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--remote-debugging-port=0", "--remote-allow-origins=*",
             "--user-data-dir=%s" % self.profile, "--window-size=%d,%d" % (width, height),
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        self.next_id = 0
        self.problems = []
        try:
            port = self._debug_port()
            url = self._page_socket(port)
            self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
            for domain in ("Page", "Runtime", "Log"):
                self.send(domain + ".enable")
            self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                      deviceScaleFactor=1, mobile=False)
        except Exception:
            self.close()
            raise

    def _debug_port(self):
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrowserError("chromium exited %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                return int(active.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                time.sleep(0.05)
        raise BrowserError("chromium did not open its debugging port:\n" + self.log())

    def _page_socket(self, port):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            targets = requests.get("http://127.0.0.1:%d/json/list" % port, timeout=5).json()
            for t in targets:
                if t.get("type") == "page" and t.get("webSocketDebuggerUrl"):
                    return t["webSocketDebuggerUrl"]
            time.sleep(0.05)
        raise BrowserError("chromium shows no page target")

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def close(self):
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # ---- the protocol ----

    def _event(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.problems.append("exception: %s %s" % (
                d.get("text"), d.get("exception", {}).get("description", "")))
        elif method == "Runtime.consoleAPICalled" and p.get("type") == "error":
            self.problems.append("console.error: %s" % " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            self.problems.append("log (%s): %s %s" % (e.get("source"), e.get("text"), e.get("url", "")))

    def send(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise BrowserError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self._event(msg)
        raise BrowserError("no answer to " + method)

    def eval(self, expression):
        """Evaluates JavaScript in the page (awaiting a promise) and returns its value."""
        r = self.send("Runtime.evaluate", expression=expression, awaitPromise=True,
                      returnByValue=True, userGesture=True)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise BrowserError("%s: %s" % (d.get("text"), d.get("exception", {}).get("description")))
        return r.get("result", {}).get("value")

    def wait(self, expression, timeout, what):
        """Polls expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.eval(expression)
            if last:
                return last
            time.sleep(0.1)
        raise BrowserError("timed out waiting for %s (last value %r)" % (what, last))

    def navigate(self, url):
        self.send("Page.navigate", url=url)
        self.wait("document.readyState === 'complete' && location.href !== 'about:blank'",
                  self.timeout, "the page to load")

    def screenshot(self, path, full=True):
        """A PNG saved at path: of the whole page (beyond the window's
        height), or (full=False) of what the window shows."""
        if full:
            size = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            r = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1})
        else:
            r = self.send("Page.captureScreenshot", format="png")
        data = base64.b64decode(r["data"])
        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(path).write_bytes(data)
        return data

    def set_files(self, selector, paths):
        """Puts files into an <input type=file> as if the user had chosen them."""
        doc = self.send("DOM.getDocument")
        node = self.send("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector=selector)
        self.send("DOM.setFileInputFiles", nodeId=node["nodeId"], files=[str(p) for p in paths])
