"""transfer.reversed: re-fetched, applied once however often and in whatever order it comes."""

from __future__ import annotations

import random

from groundswell.app import create_app
from groundswell.ledger import services as ledger
from groundswell.ledger.tables import LedgerTransaction
from groundswell.payments import payouts
from groundswell.payments.offline import OfflineGateway
from tests.helpers import asgi_client
from tests.integration.payments.conftest import event, signed
from tests.integration.payments.test_payouts import (  # noqa: F401 - fixture
    World,
    assert_ledger_ok,
    lines,
    world,
)
from tests.stripe_server import make_stripe_client


async def test_a_reversed_transfer_returns_the_money_once(
    world: World,  # noqa: F811
) -> None:
    await payouts.pay_approved(world.settings, world.gateway)
    paid = [line for line in await lines(world.round_id) if line["state"] == "paid"]
    line = paid[0]
    transfer_id = line["stripe_transfer_id"]
    before = await ledger.pool_balances(world.pool)
    if isinstance(world.gateway, OfflineGateway):
        transfer = await world.gateway.retrieve_transfer(transfer_id)
        data = {**transfer.__dict__, "amount_reversed": transfer.amount}
        await world.gateway.save(transfer_id, data)
        outcomes = [
            await payouts.apply_reversal(await world.gateway.retrieve_transfer(transfer_id))
            for _ in range(5)
        ]
    else:
        assert world.server is not None
        make_stripe_client(world.server).v1.transfers.reversals.create(transfer_id)
        deliveries = [
            event(f"evt_rev_{n}", "transfer.reversed", {"id": transfer_id, "object": "transfer"})
            for n in range(2)
        ] * 5
        random.Random(7).shuffle(deliveries)
        outcomes = []
        async with asgi_client(create_app(world.settings, run_scheduler=False)) as client:
            for payload in deliveries:
                body, headers = signed(payload)
                response = await client.post("/webhooks/stripe", content=body, headers=headers)
                assert response.status_code == 200
                outcomes.append(response.json()["outcome"])
    assert outcomes.count(f"allocation {line['id']} reversed") == 1, outcomes
    after = await ledger.pool_balances(world.pool)
    assert after["paid"] == before["paid"] - line["amount"]
    assert after["available"] == before["available"] + line["amount"]
    assert {r["state"] for r in await lines(world.round_id) if r["id"] == line["id"]} == {
        "reversed"
    }
    assert (
        await LedgerTransaction.count().where(
            LedgerTransaction.reference == f"allocation:{line['id']}:reversal"
        )
        == 1
    )
    await assert_ledger_ok()


async def test_a_transfer_not_reversed_changes_nothing(world: World) -> None:  # noqa: F811
    await payouts.pay_approved(world.settings, world.gateway)
    line = next(line for line in await lines(world.round_id) if line["state"] == "paid")
    transfer = await world.gateway.retrieve_transfer(line["stripe_transfer_id"])
    assert (await payouts.apply_reversal(transfer)).endswith("is not reversed")
