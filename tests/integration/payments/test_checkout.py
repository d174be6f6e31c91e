"""Funders top up a pool by Checkout: credited once, whatever the webhook replays."""

from __future__ import annotations

import random

from groundswell.core.principal import Role
from groundswell.funders.tables import Deposit
from groundswell.ledger import services as ledger
from groundswell.ledger_check import check_ledger
from groundswell.payments.tables import CheckoutIntent
from tests.helpers import WebClient, field_error, make_funder, make_pool, make_user
from tests.integration.payments.conftest import event, signed
from tests.stripe_server import config_request


async def _funder_pool(client: WebClient) -> int:
    funder = await make_funder()
    pool = await make_pool(funder)
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    return pool


async def test_offline_top_up_credits_the_pool_once(client: WebClient) -> None:
    pool = await _funder_pool(client)
    page = await client.get(f"/pools/{pool}")
    assert "Top up this pool" in page.text and "Simulated — no money moves" in page.text
    bad = await client.submit(f"/pools/{pool}/top-up", {"amount": "0"})
    assert bad.status_code == 422 and field_error(bad.text, "amount")
    started = await client.submit(f"/pools/{pool}/top-up", {"amount": "250.00"})
    assert started.status_code == 303
    link = started.headers["location"]
    assert "/payments/simulated/checkout/cs_sim_" in link
    session_id = link.rsplit("/", 1)[1]
    shown = await client.get(f"/payments/simulated/checkout/{session_id}")
    assert "Pay (simulated)" in shown.text and "£250.00" in shown.text
    for _ in range(3):
        paid = await client.submit(f"/payments/simulated/checkout/{session_id}")
        assert paid.status_code == 303 and paid.headers["location"].startswith(f"/pools/{pool}")
    assert await Deposit.count() == 1
    deposit = await Deposit.select().first()
    assert deposit is not None and deposit["external_reference"] == session_id
    assert deposit["method"] == "stripe" and deposit["amount"] == 250_00
    assert (await ledger.pool_balances(pool))["available"] == 250_00
    assert (await check_ledger()).ok


async def test_another_funder_cannot_top_up_or_pay(client: WebClient) -> None:
    await _funder_pool(client)
    theirs = await make_pool(await make_funder("Other Trust"))
    assert (await client.submit(f"/pools/{theirs}/top-up", {"amount": "5"})).status_code == 403


async def test_stripe_checkout_completed_replayed_is_one_deposit(
    stripe_client: WebClient, stripe_server: str
) -> None:
    pool = await _funder_pool(stripe_client)
    started = await stripe_client.submit(f"/pools/{pool}/top-up", {"amount": "120.50"})
    assert started.status_code == 303 and started.headers["location"].startswith(stripe_server)
    intent = await CheckoutIntent.select().first()
    assert intent is not None and intent["session_id"].startswith("cs_")
    session_id = intent["session_id"]

    def delivery(n: int) -> dict:
        return event(
            f"evt_cs_{n}",
            "checkout.session.completed",
            {"id": session_id, "object": "checkout.session"},
        )

    # Before payment, the event (forged or early) credits nothing: we re-fetch the session.
    body, headers = signed(delivery(0))
    early = await stripe_client.post("/webhooks/stripe", content=body, headers=headers)
    assert "not paid" in early.json()["outcome"]
    config_request(stripe_server, "POST", f"/_config/checkout/sessions/{session_id}/complete")
    deliveries = [delivery(n) for n in range(1, 4)] * 3
    random.Random(3).shuffle(deliveries)
    for payload in deliveries:
        body, headers = signed(payload)
        response = await stripe_client.post("/webhooks/stripe", content=body, headers=headers)
        assert response.status_code == 200
    assert await Deposit.count() == 1
    assert (await ledger.pool_balances(pool))["available"] == 120_50
    assert (await check_ledger()).ok
