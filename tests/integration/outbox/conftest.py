from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from groundswell.settings import Settings
from groundswell.web.app import create_app
from tests.helpers import WebClient, asgi_client
from tests.twilio_server import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    reset_twilio_server,
    take_callbacks,
)

FROM_NUMBER = "+15005550006"  # Twilio's magic "valid From" test number


@pytest.fixture
def twilio_settings(settings: Settings, twilio_server: str) -> Settings:
    reset_twilio_server(twilio_server)
    return dataclasses.replace(
        settings,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base=twilio_server,
    )


@pytest.fixture
async def twilio_app_client(twilio_settings: Settings) -> AsyncIterator[WebClient]:
    app = create_app(twilio_settings, run_scheduler=False)
    async with asgi_client(app) as client:
        yield client


async def post_callbacks(base_url: str, client: WebClient) -> list[int]:
    """Play the Twilio server's recorded status callbacks to the app, as Twilio would post
    them to our public URL (the app runs in this process, not on that URL)."""
    statuses = []
    for callback in take_callbacks(base_url):
        response = await client.post(
            urlsplit(callback["url"]).path,
            data=callback["params"],
            headers={"X-Twilio-Signature": callback["signature"]},
        )
        statuses.append(response.status_code)
    return statuses
