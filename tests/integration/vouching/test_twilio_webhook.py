from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from collections.abc import AsyncIterator

import pytest
from twilio.request_validator import RequestValidator

from groundswell.settings import Settings
from groundswell.vouching.tables import Endorsement, InboundMessage
from groundswell.web.app import create_app
from tests.helpers import WebClient, asgi_client

TOKEN = "twilio-auth-token-for-tests"
URL = "https://groundswell.test/webhooks/twilio/sms"


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """Twilio's scheme, written out independently of the SDK: HMAC-SHA1 over the URL and
    each parameter name and value, sorted by name, base64-encoded."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    return base64.b64encode(
        hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    ).decode()


def test_signature_known_answer_from_twilios_documentation() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert (
        RequestValidator("12345").compute_signature(url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )
    assert sign(url, params, "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


@pytest.fixture
async def twilio_client(settings: Settings) -> AsyncIterator[WebClient]:
    app = create_app(dataclasses.replace(settings, twilio_auth_token=TOKEN), run_scheduler=False)
    async with asgi_client(app) as client:
        yield client


def inbound(body: str, sid: str = "SM0001", sender: str = "+447911123456") -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC00000000000000000000000000000000",
        "From": sender,
        "To": "+447400123456",
        "Body": body,
        "NumMedia": "0",
        "FromCountry": "GB",
    }


async def test_signed_message_is_answered_with_twiml(twilio_client: WebClient, amina: str) -> None:
    params = inbound("AMINA-7K she listens to us")
    response = await twilio_client.post(
        "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(URL, params)}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text.startswith("<?xml") and "<Response><Message>Thank you." in response.text
    assert await Endorsement.count() == 1


async def test_twilio_retry_gets_the_same_twiml(twilio_client: WebClient, amina: str) -> None:
    params = inbound("AMINA-7K she listens to us")
    headers = {"X-Twilio-Signature": sign(URL, params)}
    first = await twilio_client.post("/webhooks/twilio/sms", data=params, headers=headers)
    second = await twilio_client.post("/webhooks/twilio/sms", data=params, headers=headers)
    assert (
        first.text == second.text
        and await InboundMessage.count() == 1
        and await Endorsement.count() == 1
    )


@pytest.mark.parametrize(
    "tamper", ["missing", "wrong", "changed_parameter", "other_url", "added_parameter"]
)
async def test_bad_signatures_are_refused_and_nothing_is_stored(
    twilio_client: WebClient, amina: str, tamper: str
) -> None:
    params = inbound("AMINA-7K she listens to us")
    headers = {"X-Twilio-Signature": sign(URL, params)}
    if tamper == "missing":
        headers = {}
    elif tamper == "wrong":
        headers = {"X-Twilio-Signature": sign(URL, params, token="not-our-token")}
    elif tamper == "changed_parameter":
        params = {**params, "Body": "AMINA-7K something else entirely"}
    elif tamper == "other_url":
        headers = {
            "X-Twilio-Signature": sign("https://elsewhere.example/webhooks/twilio/sms", params)
        }
    else:
        params = {**params, "Extra": "1"}
    response = await twilio_client.post("/webhooks/twilio/sms", data=params, headers=headers)
    assert response.status_code == 403
    assert await Endorsement.count() == 0 and await InboundMessage.count() == 0


async def test_without_an_auth_token_the_webhook_explains_and_refuses(
    client: WebClient, amina: str
) -> None:
    params = inbound("AMINA-7K she listens to us")
    response = await client.post(
        "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(URL, params)}
    )
    assert response.status_code == 503 and "TWILIO_AUTH_TOKEN" in response.text
    assert await Endorsement.count() == 0


async def test_query_string_is_part_of_the_signed_url(twilio_client: WebClient, amina: str) -> None:
    params = inbound("AMINA-7K she listens to us")
    response = await twilio_client.post(
        "/webhooks/twilio/sms?source=uk",
        data=params,
        headers={"X-Twilio-Signature": sign(URL + "?source=uk", params)},
    )
    assert response.status_code == 200
