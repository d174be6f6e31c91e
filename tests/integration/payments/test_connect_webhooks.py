"""Connected accounts' events reach their own endpoint, signed with its own secret
(STRIPE_CONNECT_WEBHOOK_SECRET); account.updated from a connected account moves onboarding."""

from __future__ import annotations

import dataclasses

import httpx

from groundswell.community.tables import HostOrganisation
from groundswell.core.principal import Role
from groundswell.settings import Settings
from groundswell.web.app import create_app
from tests.helpers import asgi_client, make_host, make_user
from tests.integration.payments.conftest import WEBHOOK_SECRET, event, signed

CONNECT_SECRET = "whsec_connect_tests"


async def test_connect_account_updated_moves_onboarding(
    stripe_settings: Settings, stripe_server: str
) -> None:
    settings = dataclasses.replace(stripe_settings, stripe_connect_webhook_secret=CONNECT_SECRET)
    async with asgi_client(create_app(settings, run_scheduler=False)) as client:
        host = await make_host(contact_email="hello@hulme.example.org")
        await client.login(await make_user(Role.HOST, host_ids=(host,)))
        link = (await client.submit(f"/hosts/{host}/payments/onboard")).headers["location"]
        row = await HostOrganisation.select().where(HostOrganisation.id == host).first()
        assert row is not None
        account_id = row["stripe_account_id"]
        async with httpx.AsyncClient(follow_redirects=False) as browser:
            await browser.get(link)  # the host completes Stripe's hosted onboarding

        payload = {
            **event("evt_connect_1", "account.updated", {"id": account_id, "object": "account"}),
            "account": account_id,
        }
        # Signed with the platform endpoint's secret: not this endpoint's, refused.
        body, headers = signed(payload, secret=WEBHOOK_SECRET)
        wrong = await client.post("/webhooks/stripe/connect", content=body, headers=headers)
        assert wrong.status_code == 400
        # A platform event (no connected account) signed with the Connect secret: refused.
        platform_shaped = {k: v for k, v in payload.items() if k != "account"}
        body, headers = signed(platform_shaped, secret=CONNECT_SECRET)
        assert (
            await client.post("/webhooks/stripe/connect", content=body, headers=headers)
        ).status_code == 400

        body, headers = signed(payload, secret=CONNECT_SECRET)
        accepted = await client.post("/webhooks/stripe/connect", content=body, headers=headers)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["outcome"].endswith("payouts enabled True")
        row = await HostOrganisation.select().where(HostOrganisation.id == host).first()
        assert row is not None and row["stripe_payouts_enabled"] is True
        # Stripe delivers again: a duplicate changes nothing.
        again = await client.post("/webhooks/stripe/connect", content=body, headers=headers)
        assert again.json()["outcome"] == "duplicate"


async def test_without_the_connect_secret_the_endpoint_says_so(
    stripe_settings: Settings,
) -> None:
    async with asgi_client(create_app(stripe_settings, run_scheduler=False)) as client:
        body, headers = signed(event("evt_x", "account.updated", {"id": "acct_1"}))
        response = await client.post("/webhooks/stripe/connect", content=body, headers=headers)
    assert response.status_code == 503
    assert "STRIPE_CONNECT_WEBHOOK_SECRET" in response.json()["error"]
