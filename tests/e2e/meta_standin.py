"""Helpers of the meta_whatsapp provider's end-to-end tests.

* graph_plan(): a plan for twilio_standin.StandIn that plays the WhatsApp
  Cloud API's POST /{version}/{phone_number_id}/messages, written from
  Meta's documented shapes (developers.facebook.com/docs/whatsapp/
  cloud-api/reference/messages and .../support/error-codes): a send must
  carry Authorization: Bearer <token>, Content-Type application/json and a
  body {"messaging_product": "whatsapp", "to": "<digits>", "type":
  "template", "template": {"name", "language": {"code"}, "components":
  [{"type": "header" | "body" | "button", "parameters": [...]}]}}; a
  malformed one gets Meta's error answer (HTTP 400, error.code 100,
  "Invalid parameter"; a wrong token: 401, code 190); a good one gets
  {"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
  "messages": [{"id": "wamid...."}]}. A hook may answer otherwise (a
  throttle, a refusal) before those checks' success answer.
* sign(): X-Hub-Signature-256 as Meta's webhook docs describe it ("sha256="
  + hex HMAC-SHA256 of the raw payload under the app secret), written here
  with Python's hmac, never with campaignd's code.
* status_payload() / message_payload(): webhook bodies in Meta's shape
  (object whatsapp_business_account, entry[].changes[].value with
  metadata.phone_number_id and statuses[] or messages[]).
* post_webhook(): posts a body, signed (or not, or forged) to
  /v1/providers/{name}/webhook.
"""
import hashlib
import hmac
import itertools
import json
import threading

import requests

ACCESS_TOKEN = "EAAG" + "x7" * 30
APP_SECRET = "appsecret_" + "3" * 22
VERIFY_TOKEN = "verify-me-please"
API_VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"

_ids = itertools.count(1)
_lock = threading.Lock()


def new_wamid():
    with _lock:
        return "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI%026X" % next(_ids)


def meta_error(status, code, message, subcode=None):
    err = {"message": message, "type": "OAuthException", "code": code,
           "fbtrace_id": "AbCdEf123"}
    if subcode:
        err["error_subcode"] = subcode
    return ("answer", status, {"error": err}, {})


def _send_problem(req):
    """Why a send is not what Meta's API takes, or None."""
    h = {k.lower(): v for k, v in req["headers"].items()}
    if h.get("authorization") != "Bearer " + ACCESS_TOKEN:
        return meta_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
    if not h.get("content-type", "").startswith("application/json"):
        return meta_error(400, 100, "(#100) Invalid parameter: Content-Type")
    parts = req["path"].split("/")
    if len(parts) != 4 or parts[1] != API_VERSION or parts[3] != "messages" or not parts[2]:
        return meta_error(400, 100, "Unsupported post request: " + req["path"])
    try:
        body = json.loads(req["raw"])
    except ValueError:
        return meta_error(400, 100, "(#100) Invalid parameter: the body is not JSON")
    bad = meta_error(400, 100, "(#100) Invalid parameter")
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return bad
    to = body.get("to")
    if not isinstance(to, str) or not to.isdigit() or body.get("type") != "template":
        return bad
    t = body.get("template")
    if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not t["name"]:
        return bad
    lang = t.get("language")
    if not isinstance(lang, dict) or not isinstance(lang.get("code"), str):
        return bad
    components = t.get("components", [])
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        return bad
    for c in components:
        if c.get("type") not in ("header", "body", "button"):
            return bad
        if c["type"] == "button" and (c.get("sub_type") not in ("url", "quick_reply", "copy_code")
                                      or not str(c.get("index", "")).isdigit()):
            return bad
        params = c.get("parameters")
        if not isinstance(params, list) or not params:
            return bad
        for p in params:
            if not isinstance(p, dict):
                return bad
            kind = p.get("type")
            if kind in ("text", "payload", "coupon_code"):
                if not isinstance(p.get(kind), str):
                    return bad
            elif kind in ("image", "video", "document"):
                if not isinstance(p.get(kind), dict) or "link" not in p[kind]:
                    return bad
            else:
                return bad
    return None


def graph_plan(hook=None, sent=None):
    """A StandIn plan playing Meta's Graph API. hook(req, n) may answer
    first (any StandIn action) or return None; sent (a list) collects
    (request, wamid) of each accepted send."""
    def plan(req, n):
        if hook:
            got = hook(req, n)
            if got:
                return got
        problem = _send_problem(req)
        if problem:
            return problem
        body = json.loads(req["raw"])
        wamid = new_wamid()
        if sent is not None:
            with _lock:
                sent.append((req, wamid))
        return ("answer", 200, {"messaging_product": "whatsapp",
                                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                                "messages": [{"id": wamid}]}, {})
    return plan


def sign(raw, secret=APP_SECRET):
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def status_item(wamid, status, to="16505551234", ts="1733650000", error_code=None,
                category="marketing"):
    s = {"id": wamid, "status": status, "timestamp": ts, "recipient_id": to}
    if status in ("sent", "delivered", "read"):
        s["conversation"] = {"id": "c0ffee", "origin": {"type": category}}
        s["pricing"] = {"billable": True, "pricing_model": "CBP", "category": category}
    if error_code is not None:
        s["errors"] = [{"code": error_code, "title": "Message undeliverable",
                        "message": "Message undeliverable",
                        "error_data": {"details": "Message Undeliverable."}}]
    return s


def _envelope(values):
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398",
                       "changes": [{"field": "messages", "value": v} for v in vals]}
                      for vals in values]}


def _value(pnid, **lists):
    v = {"messaging_product": "whatsapp",
         "metadata": {"display_phone_number": "15550783881", "phone_number_id": pnid}}
    v.update(lists)
    return v


def status_payload(statuses, pnid=PHONE_NUMBER_ID, per_change=None):
    """One entry; statuses split into changes of per_change (default: one change)."""
    per = per_change or max(1, len(statuses))
    chunks = [statuses[i:i + per] for i in range(0, len(statuses), per)]
    return _envelope([[_value(pnid, statuses=c) for c in chunks]])


def message_payload(from_digits, text, pnid=PHONE_NUMBER_ID, kind="text"):
    m = {"from": from_digits, "id": new_wamid(), "timestamp": "1733650000", "type": kind}
    if kind == "text":
        m["text"] = {"body": text}
    else:
        m["button"] = {"payload": text, "text": text}
    return _envelope([[_value(pnid, contacts=[{"profile": {"name": "Ada"}, "wa_id": from_digits}],
                              messages=[m])]])


def post_webhook(srv, provider, payload, signature="sign", secret=APP_SECRET, raw=None):
    data = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(data, secret)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return requests.post(srv.base + "/v1/providers/%s/webhook" % provider, data=data,
                         headers=headers, timeout=60)


def meta_provider(client, name, base_url, **extra):
    body = {"type": "meta_whatsapp", "access_token": ACCESS_TOKEN, "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN, "base_url": base_url}
    body.update(extra)
    r = client.admin("PUT", "/v1/admin/providers/" + name, json=body)
    assert r.status_code == 200, r.text
    return r.json()
