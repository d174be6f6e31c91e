"""transfer.reversed: re-fetched, applied once however often and in whatever order it comes,
in whole or in parts (Stripe's amount_reversed is a running total)."""

from __future__ import annotations

import random

from groundswell.allocation.tables import Allocation
from groundswell.ledger import services as ledger
from groundswell.ledger.tables import LedgerTransaction
from groundswell.ledger_check import check_ledger
from groundswell.outbox.tables import OutboxMessage
from groundswell.payments import payouts
from groundswell.payments.offline import OfflineGateway
from groundswell.web.app import create_app
from tests.helpers import asgi_client
from tests.integration.payments.conftest import event, signed
from tests.integration.payments.test_payouts import (  # noqa: F401 - fixture
    World,
    assert_ledger_ok,
    lines,
    world,
)
from tests.stripe_server import make_stripe_client


async def reverse(
    world: World,  # noqa: F811
    transfer_id: str,
    amount: int,
    deliveries: int = 5,
) -> list[str]:
    """Reverse `amount` of the transfer at the provider, then deliver its event repeatedly
    (shuffled with a duplicate event id on Stripe); the outcomes of every delivery."""
    if isinstance(world.gateway, OfflineGateway):
        transfer = await world.gateway.retrieve_transfer(transfer_id)
        data = {**transfer.__dict__, "amount_reversed": transfer.amount_reversed + amount}
        await world.gateway.save(transfer_id, data)
        return [
            await payouts.apply_reversal(await world.gateway.retrieve_transfer(transfer_id))
            for _ in range(deliveries)
        ]
    assert world.server is not None
    make_stripe_client(world.server).v1.transfers.reversals.create(
        transfer_id, params={"amount": amount}
    )
    payloads = [
        event(
            f"evt_rev_{transfer_id}_{amount}_{n}",
            "transfer.reversed",
            {"id": transfer_id, "object": "transfer"},
        )
        for n in range(2)
    ] * ((deliveries + 1) // 2)
    random.Random(7).shuffle(payloads)
    outcomes = []
    async with asgi_client(create_app(world.settings, run_scheduler=False)) as client:
        for payload in payloads:
            body, headers = signed(payload)
            response = await client.post("/webhooks/stripe", content=body, headers=headers)
            assert response.status_code == 200
            outcomes.append(response.json()["outcome"])
    return outcomes


async def reversal_references(allocation_id: int) -> list[str]:
    rows = await LedgerTransaction.select(LedgerTransaction.reference).where(
        LedgerTransaction.reference.like(f"allocation:{allocation_id}:reversal%")
    )
    return sorted(row["reference"] for row in rows)


async def test_a_reversed_transfer_returns_the_money_once(
    world: World,  # noqa: F811
) -> None:
    await payouts.pay_approved(world.settings, world.gateway)
    line = next(line for line in await lines(world.round_id) if line["state"] == "paid")
    before = await ledger.pool_balances(world.pool)
    outcomes = await reverse(world, line["stripe_transfer_id"], line["amount"])
    assert outcomes.count(f"allocation {line['id']} reversed") == 1, outcomes
    after = await ledger.pool_balances(world.pool)
    assert after["paid"] == before["paid"] - line["amount"]
    assert after["available"] == before["available"] + line["amount"]
    (now_line,) = [r for r in await lines(world.round_id) if r["id"] == line["id"]]
    assert (now_line["state"], now_line["amount_reversed"]) == ("reversed", line["amount"])
    assert await reversal_references(line["id"]) == [
        f"allocation:{line['id']}:reversal:{line['amount']}"
    ]
    told = await OutboxMessage.count().where(
        (OutboxMessage.recipient_email == "ready@example.org")
        & (OutboxMessage.purpose == "payments.reversed")
    )
    assert told == 1
    await assert_ledger_ok()


async def test_a_transfer_reversed_in_parts_returns_each_part_once(
    world: World,  # noqa: F811
) -> None:
    await payouts.pay_approved(world.settings, world.gateway)
    line = next(line for line in await lines(world.round_id) if line["state"] == "paid")
    first, rest = 1_23, line["amount"] - 1_23
    before = await ledger.pool_balances(world.pool)

    outcomes = await reverse(world, line["stripe_transfer_id"], first)
    assert sum("reversed in part" in o for o in outcomes) == 1, outcomes
    (partly,) = [r for r in await lines(world.round_id) if r["id"] == line["id"]]
    assert (partly["state"], partly["amount_reversed"]) == ("paid", first)
    middle = await ledger.pool_balances(world.pool)
    assert middle["paid"] == before["paid"] - first
    assert middle["available"] == before["available"] + first
    await assert_ledger_ok()

    outcomes = await reverse(world, line["stripe_transfer_id"], rest)
    assert outcomes.count(f"allocation {line['id']} reversed") == 1, outcomes
    (done,) = [r for r in await lines(world.round_id) if r["id"] == line["id"]]
    assert (done["state"], done["amount_reversed"]) == ("reversed", line["amount"])
    after = await ledger.pool_balances(world.pool)
    assert after["paid"] == before["paid"] - line["amount"]
    assert after["available"] == before["available"] + line["amount"]
    assert await reversal_references(line["id"]) == sorted(
        [
            f"allocation:{line['id']}:reversal:{first}",
            f"allocation:{line['id']}:reversal:{line['amount']}",
        ]
    )
    told = await OutboxMessage.count().where(OutboxMessage.purpose == "payments.reversed")
    assert told == 2  # one e-mail per part
    await assert_ledger_ok()


async def test_a_transfer_not_reversed_changes_nothing(world: World) -> None:  # noqa: F811
    await payouts.pay_approved(world.settings, world.gateway)
    line = next(line for line in await lines(world.round_id) if line["state"] == "paid")
    transfer = await world.gateway.retrieve_transfer(line["stripe_transfer_id"])
    assert (await payouts.apply_reversal(transfer)).endswith("is not reversed")


async def test_ledger_check_ties_reversed_amounts_to_their_postings(
    world: World,  # noqa: F811
) -> None:
    await payouts.pay_approved(world.settings, world.gateway)
    line = next(line for line in await lines(world.round_id) if line["state"] == "paid")
    await reverse(world, line["stripe_transfer_id"], 2_00, deliveries=1)
    await assert_ledger_ok()
    # A line claiming more reversed than its postings returned is named.
    await Allocation.update({Allocation.amount_reversed: 3_00}).where(Allocation.id == line["id"])
    report = await check_ledger()
    assert any(
        f"allocation {line['id']} records £3.00 reversed" in v and "returned £2.00" in v
        for v in report.violations
    ), report.violations
    assert any("paid account holds" in v for v in report.violations), report.violations
