"""What the provider stand-ins (twilio_standin.py, runtime_standins.py) share:
a quiet HTTP/1.1 server in a thread with the requests it recorded
(StandInBase, QuietHandler), answering a request with JSON, and carrying out
a plan's action on it:
("answer", status, json_body, headers), ("drop",) (read the request, close
the connection unanswered) or ("hold",) (never answer until `release` is
set)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import free_port


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass


class StandInBase:
    """requests (guarded by lock), release (ends held answers), and the server."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.release = threading.Event()

    def serve(self, handler_cls):
        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler_cls)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def answer_json(handler, status, body, headers=None):
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.end_headers()
    handler.wfile.write(data)


def act(handler, action, release):
    """Carries out a plan's action; True when it answered (with action[1])."""
    if action[0] == "drop":
        handler.close_connection = True
        handler.connection.shutdown(2)
        return False
    if action[0] == "hold":
        release.wait(120)
        handler.close_connection = True
        return False
    _, status, body, headers = action
    answer_json(handler, status, body, headers)
    return True
