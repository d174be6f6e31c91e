"""Reconciliation: the provider's transfers against our allocations and ledger.

For each round that is paying or paid, list the transfers in its transfer group and compare:
a transfer we have no record of, a payment we recorded that the provider does not have, and
amounts or reversed amounts (whole or in part) that differ. Each difference is one sentence; none means clean.
"""

from __future__ import annotations

from typing import Any

from groundswell.allocation.states import RoundStatus
from groundswell.allocation.tables import Allocation, Round
from groundswell.core.money import format_money
from groundswell.payments.gateway import PaymentGateway, Transfer
from groundswell.payments.payouts import transfer_group
from groundswell.payments.provider import gateway_for
from groundswell.settings import Settings


async def reconcile(settings: Settings, gateway: PaymentGateway | None = None) -> list[str]:
    gateway = gateway or gateway_for(settings)
    differences: list[str] = []
    rounds = (
        await Round.select(Round.id, Round.currency)
        .where(Round.status.is_in([RoundStatus.PAYING.value, RoundStatus.PAID.value]))
        .order_by(Round.id)
    )
    for row in rounds:
        differences += await _reconcile_round(gateway, row["id"], row["currency"])
    return differences


async def _reconcile_round(gateway: PaymentGateway, round_id: int, currency: str) -> list[str]:
    group = transfer_group(round_id)
    transfers: dict[str, Transfer] = {
        t.id: t async for t in gateway.list_transfers(transfer_group=group)
    }
    lines: list[dict[str, Any]] = (
        await Allocation.select(
            Allocation.id,
            Allocation.amount,
            Allocation.state,
            Allocation.stripe_transfer_id,
            Allocation.amount_reversed,
        )
        .where(Allocation.round == round_id)
        .order_by(Allocation.id)
    )
    recorded = {line["stripe_transfer_id"]: line for line in lines if line["stripe_transfer_id"]}
    differences: list[str] = []

    def money(amount: int) -> str:
        return format_money(amount, currency)

    for transfer in transfers.values():
        line = recorded.get(transfer.id)
        if line is None:
            claimed = transfer.metadata.get("allocation_id", "?")
            differences.append(
                f"round {round_id}: transfer {transfer.id} of {money(transfer.amount)} to "
                f"{transfer.destination} (allocation {claimed}) is not in our ledger"
            )
            continue
        if transfer.amount != line["amount"]:
            differences.append(
                f"round {round_id}: allocation {line['id']} paid {money(line['amount'])} but "
                f"transfer {transfer.id} is {money(transfer.amount)}"
            )
        if transfer.amount_reversed != line["amount_reversed"]:
            differences.append(
                f"round {round_id}: transfer {transfer.id} has "
                f"{money(transfer.amount_reversed)} reversed but allocation {line['id']} "
                f"({line['state']}) records {money(line['amount_reversed'])}"
            )
    for transfer_id, line in recorded.items():
        if transfer_id not in transfers:
            differences.append(
                f"round {round_id}: allocation {line['id']} records a payment of "
                f"{money(line['amount'])} by transfer {transfer_id}, which the provider "
                "does not have"
            )
    return differences
