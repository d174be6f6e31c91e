from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar

from groundswell.settings import Settings
from groundswell.web.app import create_app
from tests.helpers import WebClient, asgi_client
from tests.stripe_server import reset_stripe_server, stripe_server  # noqa: F401 - fixture

WEBHOOK_SECRET = "whsec_groundswell_tests"


@pytest.fixture
def stripe_settings(settings: Settings, stripe_server: str) -> Settings:  # noqa: F811
    reset_stripe_server(stripe_server)
    return dataclasses.replace(
        settings,
        stripe_api_key="sk_test_groundswell",
        stripe_api_base=stripe_server,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def stripe_app(stripe_settings: Settings) -> Litestar:
    return create_app(stripe_settings, run_scheduler=False)


@pytest.fixture
async def stripe_client(stripe_app: Litestar) -> AsyncIterator[WebClient]:
    async with asgi_client(stripe_app) as client:
        yield client


def signed(
    payload: dict[str, Any] | bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """Stripe's signature scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<raw body>")."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {
        "stripe-signature": f"t={timestamp},v1={digest}",
        "content-type": "application/json",
    }


def event(event_id: str, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": obj},
        "api_version": "2024-06-20",
    }
