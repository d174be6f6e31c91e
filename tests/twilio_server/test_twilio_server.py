"""The local Twilio server behaves as Twilio does where Groundswell relies on it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from twilio.base.exceptions import TwilioRestException

from . import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
    fail_next,
    make_twilio_client,
    reset_twilio_server,
    script_fates,
    take_callbacks,
)

CALLBACK = "https://groundswell.test/webhooks/twilio/status"


def twilio_signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """Twilio's documented scheme, written out without the SDK."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_a_message_and_its_signed_reports(twilio_server: str) -> None:
    reset_twilio_server(twilio_server)
    script_fates(twilio_server, {"fate": "undelivered", "error_code": 30005})
    client = make_twilio_client(twilio_server)
    message = client.messages.create(
        to="+15005550006", from_="+15005550006", body="hello", status_callback=CALLBACK
    )
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued" and message.direction == "outbound-api"
    callbacks = take_callbacks(twilio_server)
    assert [c["params"]["MessageStatus"] for c in callbacks] == ["queued", "sent", "undelivered"]
    for callback in callbacks:
        assert callback["url"] == CALLBACK
        assert callback["signature"] == twilio_signature(CALLBACK, callback["params"])
        assert callback["params"]["MessageSid"] == callback["params"]["SmsSid"] == message.sid
        assert callback["params"]["AccountSid"] == ACCOUNT_SID
    assert callbacks[-1]["params"]["ErrorCode"] == "30005"
    assert "ErrorCode" not in callbacks[1]["params"]
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "undelivered" and fetched.error_code == 30005


def test_a_messaging_service_is_accepted_first(twilio_server: str) -> None:
    reset_twilio_server(twilio_server)
    client = make_twilio_client(twilio_server)
    message = client.messages.create(
        to="+15005550006", messaging_service_sid=MESSAGING_SERVICE_SID, body="hi"
    )
    assert message.status == "accepted" and message.messaging_service_sid == MESSAGING_SERVICE_SID
    assert take_callbacks(twilio_server) == []  # no StatusCallback, no reports
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to="+15005550006", messaging_service_sid="MGnope", body="hi")
    assert refused.value.code == 21701


@pytest.mark.parametrize(
    ("to", "body", "status", "code"),
    [
        ("447911", "hi", 400, 21211),
        ("+15005550001", "hi", 400, 21211),
        ("+15005550009", "hi", 400, 21614),
        ("+15005550006", "", 400, 21602),
        ("+15005550006", "x" * 1601, 400, 21617),
    ],
)
def test_refusals_carry_twilios_codes(
    twilio_server: str, to: str, body: str, status: int, code: int
) -> None:
    reset_twilio_server(twilio_server)
    with pytest.raises(TwilioRestException) as refused:
        make_twilio_client(twilio_server).messages.create(to=to, from_="+15005550006", body=body)
    assert (refused.value.status, refused.value.code) == (status, code)


def test_basic_auth_is_required(twilio_server: str) -> None:
    with pytest.raises(TwilioRestException) as refused:
        make_twilio_client(twilio_server, auth_token="wrong").messages.create(
            to="+15005550006", from_="+15005550006", body="hi"
        )
    assert (refused.value.status, refused.value.code) == (401, 20003)
    request = urllib.request.Request(
        f"{twilio_server}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data=urllib.parse.urlencode({"To": "+15005550006", "Body": "x"}).encode(),
    )
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10)
    assert raw.value.code == 401
    assert json.loads(raw.value.read())["more_info"] == "https://www.twilio.com/docs/errors/20003"


def test_scripted_failures_come_first_then_it_works(twilio_server: str) -> None:
    reset_twilio_server(twilio_server)
    fail_next(twilio_server, 429, 20429, count=2)
    client = make_twilio_client(twilio_server)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as refused:
            client.messages.create(to="+15005550006", from_="+15005550006", body="hi")
        assert (refused.value.status, refused.value.code) == (429, 20429)
    assert client.messages.create(to="+15005550006", from_="+15005550006", body="hi").sid
