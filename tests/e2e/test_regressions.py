"""Regressions found by reviewing the code against the contract, each kept
as a test that fails if the bug comes back."""
import pytest

from helpers import assert_error, whatsapp_body


@pytest.mark.parametrize("window,field", [
    ({"start": 5, "end": "10:00"}, "config.call_window.start"),
    ({"start": "09:00"}, "config.call_window.end"),
    ({"start": "09:00", "end": "17:00", "timezone": "Mars/Olympus"},
     "config.call_window.timezone"),
])
def test_whatsapp_call_window_is_validated(client, window, field):
    """A malformed call_window on a whatsapp campaign once passed validation
    (whatsapp configs did not check it) and crashed the server when the
    engine or the recipients list read it."""
    acct = client.create_account()
    body = whatsapp_body()
    body["config"]["call_window"] = window
    assert_error(acct.post("/v1/campaigns", json=body), 422, "invalid_argument", field)
    # and the server is still up
    assert client.req("GET", "/healthz").status_code == 200


def test_whatsapp_call_window_is_kept_as_sent(client):
    acct = client.create_account()
    body = whatsapp_body()
    body["config"]["call_window"] = {"start": "00:00", "end": "00:01", "days": ["sun"],
                                     "timezone": "Pacific/Kiritimati"}
    c = acct.create_campaign(body)
    assert c["config"]["call_window"] == body["config"]["call_window"]
    r = acct.post("/v1/campaigns/%s/recipients" % c["id"],
                  json={"recipients": [{"phone_number": "+14155550100",
                                        "params": {"name": "Ada"}}]})
    assert r.status_code == 200, r.text
    rows = acct.get("/v1/campaigns/%s/recipients" % c["id"]).json()["data"]
    assert rows[0]["status"] == "queued"
