from __future__ import annotations

import random
import time

import httpx

from groundswell.community.tables import HostOrganisation
from groundswell.core.principal import Role
from groundswell.payments.tables import StripeEvent
from tests.helpers import WebClient, make_host, make_user
from tests.integration.payments.conftest import event, signed


async def host_row(host_id: int) -> dict:
    row = await HostOrganisation.select().where(HostOrganisation.id == host_id).first()
    assert row is not None
    return row


async def test_offline_onboarding_from_the_host_dashboard(client: WebClient) -> None:
    host = await make_host(contact_email="hello@pallister.example.org")
    await client.login(await make_user(Role.HOST, host_ids=(host,)))
    dashboard = await client.get(f"/hosts/{host}")
    assert "Set up payments" in dashboard.text and "Simulated — no money moves" in dashboard.text
    started = await client.submit(f"/hosts/{host}/payments/onboard")
    assert started.status_code in (302, 303)
    link = started.headers["location"]
    assert "/payments/simulated/onboarding/acct_sim_" in link
    account_id = link.rsplit("/", 1)[1]
    again = await client.submit(f"/hosts/{host}/payments/onboard")
    assert again.headers["location"] == link  # one account per host, however often they click
    page = await client.get(
        link.replace("https://groundswell.test", "").replace("http://127.0.0.1:8000", "")
    )
    assert "Complete onboarding (simulated)" in page.text
    done = await client.submit(f"/payments/simulated/onboarding/{account_id}")
    assert done.headers["location"] == f"/hosts/{host}"
    row = await host_row(host)
    assert (
        row["stripe_payouts_enabled"]
        and row["stripe_details_submitted"]
        and row["stripe_account_id"] == account_id
    )
    assert "Ready." in (await client.get(f"/hosts/{host}")).text


async def test_another_host_cannot_onboard_or_complete_for_you(client: WebClient) -> None:
    mine, theirs = await make_host("Mine"), await make_host("Theirs")
    await client.login(await make_user(Role.HOST, host_ids=(mine,)))
    assert (await client.submit(f"/hosts/{theirs}/payments/onboard")).status_code == 403


async def test_stripe_onboarding_and_account_updated_webhook(
    stripe_client: WebClient, stripe_server: str
) -> None:
    host = await make_host(contact_email="hello@hulme.example.org")
    await stripe_client.login(await make_user(Role.HOST, host_ids=(host,)))
    started = await stripe_client.submit(f"/hosts/{host}/payments/onboard")
    link = started.headers["location"]
    assert link.startswith(stripe_server)
    account_id = (await host_row(host))["stripe_account_id"]
    assert account_id.startswith("acct_")
    # The host completes Stripe's hosted onboarding; Stripe sends them back to us.
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        back = await browser.get(link)
    assert back.status_code in (302, 303) and back.headers["location"].endswith(
        f"/hosts/{host}/payments/return"
    )
    # Before the host returns, Stripe's account.updated webhook arrives (as a trigger only:
    # the payload claims nothing; we re-fetch the account).
    body, headers = signed(
        event("evt_acct_1", "account.updated", {"id": account_id, "object": "account"})
    )
    response = await stripe_client.post("/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["outcome"].endswith(
        "payouts enabled True"
    )
    assert (await host_row(host))["stripe_payouts_enabled"] is True
    # Stripe's return link shows a button (no GET changes state); the button checks.
    landing = await stripe_client.get(f"/hosts/{host}/payments/return")
    assert landing.status_code == 200 and "Check my payment details" in landing.text
    returned = await stripe_client.submit(f"/hosts/{host}/payments/return")
    assert returned.headers["location"] == f"/hosts/{host}"


async def test_webhook_signature_and_staleness(stripe_client: WebClient) -> None:
    payload = event("evt_1", "account.updated", {"id": "acct_missing", "object": "account"})
    body, headers = signed(payload, secret="whsec_wrong")
    assert (
        await stripe_client.post("/webhooks/stripe", content=body, headers=headers)
    ).status_code == 400
    body, headers = signed(payload, at=int(time.time()) - 301)
    stale = await stripe_client.post("/webhooks/stripe", content=body, headers=headers)
    assert stale.status_code == 400
    assert (
        await stripe_client.post(
            "/webhooks/stripe", content=body, headers={"content-type": "application/json"}
        )
    ).status_code == 400
    # Correctly signed but not shaped like an event: refused, never a server error.
    for shapeless in (
        {"id": "evt_2", "type": "account.updated"},
        {"id": "evt_3", "type": "account.updated", "data": {"object": "acct_1"}},
        {"id": "evt_4", "type": "account.updated", "data": {"object": {"object": "account"}}},
    ):
        body, headers = signed(shapeless)
        refused = await stripe_client.post("/webhooks/stripe", content=body, headers=headers)
        assert refused.status_code == 400, (shapeless, refused.text)
    assert await StripeEvent.count() == 0


async def test_replayed_and_shuffled_events_have_one_effect(
    stripe_client: WebClient, stripe_server: str
) -> None:
    host = await make_host()
    await stripe_client.login(await make_user(Role.HOST, host_ids=(host,)))
    link = (await stripe_client.submit(f"/hosts/{host}/payments/onboard")).headers["location"]
    account_id = (await host_row(host))["stripe_account_id"]
    async with httpx.AsyncClient() as browser:
        await browser.get(link)
    deliveries = [
        event(f"evt_{n}", kind, {"id": account_id, "object": "account"})
        for n, kind in enumerate(["account.updated", "account.updated", "capability.updated"])
    ] * 5
    random.Random(4).shuffle(deliveries)
    outcomes = []
    for payload in deliveries:
        body, headers = signed(payload)
        response = await stripe_client.post("/webhooks/stripe", content=body, headers=headers)
        assert response.status_code == 200
        outcomes.append(response.json()["outcome"])
    assert await StripeEvent.count() == 3
    assert outcomes.count("duplicate") == 12 and outcomes.count("ignored") == 1
    assert (await host_row(host))["stripe_payouts_enabled"] is True


async def test_webhook_without_stripe_configured_is_503(client: WebClient) -> None:
    body, headers = signed(event("evt_x", "account.updated", {"id": "acct_x", "object": "account"}))
    assert (await client.post("/webhooks/stripe", content=body, headers=headers)).status_code == 503
