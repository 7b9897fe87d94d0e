"""Stand-ins of the AI voice agent runtimes campaignd dials through (Vapi and
Retell), written from their published request and webhook shapes, never from
campaignd's code:

* Vapi: POST /call (CreateCallDto: assistantId, phoneNumberId, customer.number,
  name of at most 40 chars, assistantOverrides.variableValues / metadata /
  server; properties it does not know are refused, as Vapi's validation
  does: "property X should not exist"), Authorization: Bearer <private key>;
  answers 201 with the call ({"id", "status": "queued", ...}). Its server
  messages ({"message": {"type": "end-of-call-report", "endedReason",
  "call", "artifact": {"transcript", "recordingUrl"}, "startedAt",
  "endedAt", ...}}) are signed as an HMAC credential does by default:
  x-signature = hex HMAC-SHA256(secret, "{x-timestamp}.{body}").
* Retell: POST /v2/create-phone-call (from_number, to_number E.164,
  override_agent_id, retell_llm_dynamic_variables of strings only, metadata,
  agent_override), Authorization: Bearer <api key>; answers 201 with the call
  object ({"call_id", "call_status": "registered", ...}). Its webhooks
  ({"event": "call_ended" | "call_analyzed" | ..., "call": {...}}) carry
  x-retell-signature = "v=<ms>,d=<hex HMAC-SHA256(api key, body + ms)>"
  (Retell's SDK verify function).

Each stand-in records every request, refuses malformed ones (400 with the
runtime's error shape; 401 without the key), and answers by a plan: a
function of (request, how many create-calls so far) giving
("answer", status, body, headers), ("drop",) or ("hold",). With an `ender`
(a function of the accepted request giving the end to play, or None), it
plays the runtime: a short while after accepting a call it posts the signed
end-of-call webhook to the URL campaignd gave in the request.
"""
import hashlib
import hmac
import json
import re
import threading
import time
import uuid

import requests

from standin_http import QuietHandler, StandInBase, act, answer_json

VAPI_KEY = "vapi_private_" + "7" * 20
VAPI_SECRET = "vapi_hmac_secret_" + "3" * 16
RETELL_KEY = "key_" + "9" * 28
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")

VAPI_CALL_KEYS = {"customers", "name", "schedulePlan", "transport", "assistantId",
                  "assistantVersion", "assistant", "assistantOverrides", "squadId", "squad",
                  "squadOverrides", "workflowId", "workflow", "workflowOverrides",
                  "phoneNumberId", "phoneNumber", "customerId", "customer"}
RETELL_CALL_KEYS = {"from_number", "to_number", "agent_override", "custom_sip_headers",
                    "ignore_e164_validation", "metadata", "override_agent_id",
                    "override_agent_version", "retell_llm_dynamic_variables"}


def vapi_sign(body, secret=VAPI_SECRET, ts=None):
    ts = str(int(time.time())) if ts is None else str(ts)
    mac = hmac.new(secret.encode(), (ts + ".").encode() + body, hashlib.sha256).hexdigest()
    return {"x-signature": mac, "x-timestamp": ts}


def retell_sign(body, key=RETELL_KEY, ms=None):
    ms = int(time.time() * 1000) if ms is None else ms
    mac = hmac.new(key.encode(), body + str(ms).encode(), hashlib.sha256).hexdigest()
    return "v=%d,d=%s" % (ms, mac)


def vapi_problems(body):
    """What Vapi's validation would say of a POST /call body ([] when fine)."""
    if not isinstance(body, dict):
        return ["body must be an object"]
    out = ["property %s should not exist" % k for k in body if k not in VAPI_CALL_KEYS]
    if sum(1 for k in ("assistantId", "assistant", "squadId", "squad", "workflowId",
                       "workflow") if k in body) != 1:
        out.append("exactly one of assistantId, assistant, squadId, squad, workflowId, "
                   "workflow must be given")
    if not isinstance(body.get("phoneNumberId"), str) and "phoneNumber" not in body:
        out.append("phoneNumberId must be a string")
    cust = body.get("customer")
    if not isinstance(cust, dict) or not isinstance(cust.get("number"), str) \
            or not E164.match(cust["number"]):
        out.append("customer.number must be a valid phone number in the E.164 format")
    if "name" in body and (not isinstance(body["name"], str) or len(body["name"]) > 40):
        out.append("name must be shorter than or equal to 40 characters")
    ov = body.get("assistantOverrides", {})
    if not isinstance(ov, dict):
        out.append("assistantOverrides must be an object")
    else:
        for k in ("variableValues", "metadata"):
            if k in ov and not isinstance(ov[k], dict):
                out.append("assistantOverrides.%s must be an object" % k)
        srv = ov.get("server")
        if srv is not None and (not isinstance(srv, dict) or not isinstance(srv.get("url"), str)):
            out.append("assistantOverrides.server.url must be a URL string")
    return out


def retell_problems(body):
    """What Retell would refuse in a create-phone-call body ([] when fine)."""
    if not isinstance(body, dict):
        return ["body must be an object"]
    out = ["unknown field %s" % k for k in body if k not in RETELL_CALL_KEYS]
    for k in ("from_number", "to_number"):
        if not isinstance(body.get(k), str) or not E164.match(body[k]):
            out.append("%s must be an E.164 number" % k)
    if "override_agent_id" in body and not isinstance(body["override_agent_id"], str):
        out.append("override_agent_id must be a string")
    dv = body.get("retell_llm_dynamic_variables", {})
    if not isinstance(dv, dict) or any(not isinstance(v, str) for v in dv.values()):
        out.append("retell_llm_dynamic_variables must map names to strings")
    if "metadata" in body and not isinstance(body["metadata"], dict):
        out.append("metadata must be an object")
    ao = body.get("agent_override")
    if ao is not None and (not isinstance(ao, dict) or not isinstance(ao.get("agent", {}), dict)):
        out.append("agent_override.agent must be an object")
    return out


class RuntimeStandIn(StandInBase):
    kind = None      # "vapi" | "retell"
    path = None      # the create-call path
    key = None

    def __init__(self, plan=None, ender=None, end_delay=0.2):
        super().__init__()
        self.plan = plan or (lambda req, n: ("answer", 201, self.accepted(req), {}))
        self.ender = ender
        self.end_delay = end_delay
        self.webhooks = []      # (url, status) of each webhook played
        outer = self

        class Handler(QuietHandler):
            def answer(self, status, body, headers=None):
                answer_json(self, status, body, headers)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                req = {"path": self.path, "raw": raw, "headers": dict(self.headers),
                       "at": time.time(), "json": None}
                with outer.lock:
                    outer.requests.append(req)
                if self.path != outer.path:
                    return self.answer(404, {"message": "Cannot POST " + self.path})
                if self.headers.get("Authorization") != "Bearer " + outer.key:
                    return self.answer(401, {"message": "Unauthorized"})
                if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                    return self.answer(400, {"message": ["body must be JSON"]})
                try:
                    req["json"] = json.loads(raw)
                except ValueError:
                    return self.answer(400, {"message": ["body is not JSON"]})
                problems = outer.problems(req["json"])
                if problems:
                    req["refused"] = problems
                    return self.answer(400, outer.error_body(problems))
                with outer.lock:
                    count = sum(1 for r in outer.requests if r.get("json") is not None
                                and not r.get("refused")) - 1
                action = outer.plan(req, count)
                if not act(self, action, outer.release):
                    return
                status, body = action[1], action[2]
                if 200 <= status < 300 and outer.ender:
                    end = outer.ender(req)
                    if end is not None:
                        threading.Thread(target=outer.play_end, args=(req, body, end),
                                         daemon=True).start()

        self.serve(Handler)

    def calls(self):
        """The create-call requests that passed validation, in order."""
        with self.lock:
            return [r for r in self.requests if r.get("json") is not None and not r.get("refused")]

    def wait_calls(self, count, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            got = self.calls()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError("want %d create-calls, got %d" % (count, len(self.calls())))

    def play_end(self, req, accepted, end):
        time.sleep(self.end_delay)
        url, body, headers = self.end_webhook(req, accepted, end)
        try:
            r = requests.post(url, data=body, headers=headers, timeout=30)
            status = r.status_code
        except requests.RequestException as e:  # recorded, the test looks
            status = str(e)
        with self.lock:
            self.webhooks.append((url, status))


class VapiStandIn(RuntimeStandIn):
    kind = "vapi"
    path = "/call"
    key = VAPI_KEY

    def problems(self, body):
        return vapi_problems(body)

    def error_body(self, problems):
        return {"message": problems, "error": "Bad Request", "statusCode": 400}

    def accepted(self, req):
        b = req["json"]
        return {"id": str(uuid.uuid4()), "orgId": "org_1", "type": "outboundPhoneCall",
                "status": "queued", "assistantId": b.get("assistantId"),
                "phoneNumberId": b.get("phoneNumberId"), "customer": b.get("customer"),
                "assistantOverrides": b.get("assistantOverrides"),
                "subscriptionLimits": {"concurrencyBlocked": False, "concurrencyLimit": 10,
                                       "remainingConcurrentCalls": 9}}

    def end_webhook(self, req, accepted, end):
        """end: {"reason": ..., "transcript"?, "recording"?, "seconds"?}."""
        b = req["json"]
        started = time.time() - end.get("seconds", 3)
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".000Z"
        message = {"type": "end-of-call-report", "endedReason": end["reason"],
                   "call": {"id": accepted["id"], "type": "outboundPhoneCall",
                            "assistantOverrides": b.get("assistantOverrides")},
                   "customer": b.get("customer"),
                   "artifact": {"messages": []},
                   "analysis": {}, "startedAt": iso(started), "endedAt": iso(time.time()),
                   "timestamp": int(time.time() * 1000), "cost": 0.07}
        if end.get("transcript"):
            message["artifact"]["transcript"] = end["transcript"]
        if end.get("recording"):
            message["artifact"]["recordingUrl"] = end["recording"]
        body = json.dumps({"message": message}).encode()
        headers = {"Content-Type": "application/json"}
        headers.update(vapi_sign(body))
        return b["assistantOverrides"]["server"]["url"], body, headers


class RetellStandIn(RuntimeStandIn):
    kind = "retell"
    path = "/v2/create-phone-call"
    key = RETELL_KEY

    def problems(self, body):
        return retell_problems(body)

    def error_body(self, problems):
        return {"status": "error", "message": "; ".join(problems)}

    def accepted(self, req):
        b = req["json"]
        return {"call_type": "phone_call", "call_id": uuid.uuid4().hex,
                "agent_id": b.get("override_agent_id"), "agent_version": 1,
                "call_status": "registered", "direction": "outbound",
                "from_number": b["from_number"], "to_number": b["to_number"],
                "metadata": b.get("metadata", {}),
                "retell_llm_dynamic_variables": b.get("retell_llm_dynamic_variables", {})}

    def end_webhook(self, req, accepted, end):
        """end: {"reason": ..., "event"?, "transcript"?, "recording"?, "seconds"?,
        "in_voicemail"?}."""
        b = req["json"]
        now = int(time.time() * 1000)
        call = dict(accepted)
        connected = not end["reason"].startswith("dial_")
        call.update({"call_status": "ended" if connected else "not_connected",
                     "disconnection_reason": end["reason"], "end_timestamp": now})
        if connected:
            secs = end.get("seconds", 3)
            call.update({"start_timestamp": now - secs * 1000, "duration_ms": secs * 1000})
        if end.get("transcript"):
            call["transcript"] = end["transcript"]
        if end.get("recording"):
            call["recording_url"] = end["recording"]
        if "in_voicemail" in end:
            call["call_analysis"] = {"in_voicemail": end["in_voicemail"]}
        body = json.dumps({"event": end.get("event", "call_ended"), "call": call}).encode()
        headers = {"Content-Type": "application/json", "x-retell-signature": retell_sign(body)}
        return b["agent_override"]["agent"]["webhook_url"], body, headers
