"""Stripe webhooks signed outside the tolerance are refused either way (issue #14).

The SDK's check only refuses timestamps too far in the *past*: an event signed for an hour
from now was accepted, so a captured (or leaked-clock) signature stayed usable for longer."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time

import pytest

from groundswell.payments.gateway import WebhookRejected
from groundswell.payments.stripe_gateway import WEBHOOK_TOLERANCE_SECONDS, StripeGateway
from groundswell.payments.tables import StripeEvent
from groundswell.settings import Settings
from groundswell.web.app import create_app
from tests.helpers import asgi_client

SECRET = "whsec_edges_tests"
EVENT = {
    "id": "evt_edges_1",
    "object": "event",
    "type": "account.updated",
    "created": 0,
    "data": {"object": {"id": "acct_edges", "object": "account"}},
}


def signature(body: bytes, at: int) -> str:
    digest = hmac.new(SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def gateway(settings: Settings) -> StripeGateway:
    return StripeGateway(
        dataclasses.replace(
            settings,
            stripe_api_key="sk_test_edges",
            stripe_webhook_secret=SECRET,
            stripe_api_base="http://127.0.0.1:9",  # never called: verification is offline
        )
    )


@pytest.mark.parametrize(
    "offset",
    [
        WEBHOOK_TOLERANCE_SECONDS + 5,
        3600,
        86400 * 365,
        -(WEBHOOK_TOLERANCE_SECONDS + 5),
        -3600,
    ],
)
def test_a_signature_outside_the_tolerance_is_refused(settings: Settings, offset: int) -> None:
    body = json.dumps(EVENT).encode()
    with pytest.raises(WebhookRejected, match="tolerance"):
        gateway(settings).verify_webhook(body, signature(body, int(time.time()) + offset))


@pytest.mark.parametrize("offset", [0, -60, 60, -(WEBHOOK_TOLERANCE_SECONDS - 5)])
def test_a_signature_within_the_tolerance_is_accepted(settings: Settings, offset: int) -> None:
    # A little clock skew between Stripe and us either way is normal.
    body = json.dumps(EVENT).encode()
    event = gateway(settings).verify_webhook(body, signature(body, int(time.time()) + offset))
    assert event.id == "evt_edges_1"


async def test_the_webhook_answers_400_to_a_future_signature_and_records_nothing(
    settings: Settings,
) -> None:
    app = create_app(
        dataclasses.replace(
            settings,
            stripe_api_key="sk_test_edges",
            stripe_webhook_secret=SECRET,
            stripe_api_base="http://127.0.0.1:9",
        ),
        run_scheduler=False,
    )
    body = json.dumps(EVENT).encode()
    async with asgi_client(app) as client:
        response = await client.post(
            "/webhooks/stripe",
            content=body,
            headers={
                "stripe-signature": signature(body, int(time.time()) + 3600),
                "content-type": "application/json",
            },
        )
    assert response.status_code == 400
    assert "tolerance" in response.json()["error"]
    assert await StripeEvent.count() == 0
