"""Reconciliation: the payment provider's records against our deposits, allocations and ledger.

Five comparisons, each difference one sentence with a key naming it (its kind and the objects
involved), so it is stored and reported once however often reconciliation runs:

* deposits: every paid Checkout Session of ours has its deposit, for the same amount, and
  every card deposit we recorded has a paid session at the provider;
* refunds: a refund of one of our payments is a difference unless an administrator recorded
  it as a pool return (ledger/returns.py), for the same amount;
* transfers and reversals, per round that is paying or paid: a transfer we have no record
  of, a payment we recorded that the provider does not have, amounts or reversed amounts
  that differ;
* the platform balance: it must cover what the ledger has committed to hosts and has in
  transit (the money Groundswell has promised and will transfer from that balance);
* bank-transfer deposits: each reached the platform balance by a top-up whose reference an
  administrator recorded, within GROUNDSWELL_BANK_DEPOSIT_RECONCILE_DAYS of arriving
  (payments/deposit_reconciliation.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from groundswell.allocation.states import RoundStatus
from groundswell.allocation.tables import Allocation, Round
from groundswell.core.money import format_money
from groundswell.funders.states import DepositMethod
from groundswell.funders.tables import Deposit
from groundswell.ledger.states import AccountKind, ReturnMethod, ReturnStatus
from groundswell.ledger.tables import LedgerAccount, PoolReturn
from groundswell.payments import deposit_reconciliation
from groundswell.payments.gateway import CheckoutSession, PaymentGateway, Transfer
from groundswell.payments.payouts import transfer_group
from groundswell.payments.provider import gateway_for
from groundswell.settings import Settings


@dataclass(frozen=True)
class Difference:
    key: str  # e.g. "deposit-missing:cs_123", the outbox dedupe key is built from it
    kind: str  # deposit, refund, transfer, balance
    text: str


async def find_differences(
    settings: Settings, gateway: PaymentGateway | None = None
) -> list[Difference]:
    gateway = gateway or gateway_for(settings)
    sessions = [s async for s in gateway.list_checkout_sessions() if "intent_id" in s.metadata]
    differences = await _deposit_differences(sessions)
    differences += await _refund_differences(gateway, sessions)
    rounds = (
        await Round.select(Round.id, Round.currency)
        .where(Round.status.is_in([RoundStatus.PAYING.value, RoundStatus.PAID.value]))
        .order_by(Round.id)
    )
    for row in rounds:
        differences += await _reconcile_round(gateway, row["id"], row["currency"])
    differences += await _balance_differences(gateway)
    differences += await _unreconciled_bank_deposits(settings.bank_deposit_reconcile_days)
    return differences


async def _unreconciled_bank_deposits(days: int) -> list[Difference]:
    return [
        Difference(
            f"deposit-unreconciled:{row['id']}",
            "deposit",
            f"bank-transfer deposit {row['id']} of {format_money(row['amount'], row['currency'])} "
            f"into pool {row['pool']}, received on {row['received_on']:%-d %b %Y}, has no "
            "platform top-up recorded after more than "
            f"{days} day{'s' if days != 1 else ''} (/admin/deposits/unreconciled)",
        )
        for row in await deposit_reconciliation.unreconciled(older_than_days=days)
    ]


async def reconcile(settings: Settings, gateway: PaymentGateway | None = None) -> list[str]:
    """Each difference as a sentence (none: the provider and the ledger agree)."""
    return [d.text for d in await find_differences(settings, gateway)]


async def _deposit_differences(sessions: list[CheckoutSession]) -> list[Difference]:
    deposits = {
        row["external_reference"]: row
        for row in await Deposit.select(
            Deposit.id, Deposit.pool, Deposit.amount, Deposit.currency, Deposit.external_reference
        ).where(Deposit.method == DepositMethod.STRIPE.value)
    }
    paid = {s.id: s for s in sessions if s.payment_status == "paid"}
    differences = []
    for session in paid.values():
        deposit = deposits.get(session.id)
        money = format_money(session.amount_total, session.currency)
        if deposit is None:
            differences.append(
                Difference(
                    f"deposit-missing:{session.id}",
                    "deposit",
                    f"card payment {session.id} of {money} for pool "
                    f"{session.metadata.get('pool_id', '?')} is paid at the provider but no "
                    "deposit records it",
                )
            )
        elif deposit["amount"] != session.amount_total or deposit["currency"] != session.currency:
            differences.append(
                Difference(
                    f"deposit-amount:{session.id}",
                    "deposit",
                    f"deposit {deposit['id']} records "
                    f"{format_money(deposit['amount'], deposit['currency'])} but card payment "
                    f"{session.id} is {money}",
                )
            )
    for reference, deposit in deposits.items():
        if reference not in paid:
            differences.append(
                Difference(
                    f"deposit-unknown:{deposit['id']}",
                    "deposit",
                    f"deposit {deposit['id']} of "
                    f"{format_money(deposit['amount'], deposit['currency'])} into pool "
                    f"{deposit['pool']} records card payment {reference}, which the provider "
                    "does not have as paid",
                )
            )
    return differences


async def _refund_differences(
    gateway: PaymentGateway, sessions: list[CheckoutSession]
) -> list[Difference]:
    ours = {s.payment_intent: s for s in sessions if s.payment_intent}
    ours |= {s.id: s for s in sessions}  # the offline simulation names the session instead
    # Card refunds an administrator recorded as a pool return (ledger/returns.py) are in
    # the ledger as "return:<id>", for exactly their amount.
    recorded = {
        row["reference"]: int(row["amount"])
        for row in await PoolReturn.select(PoolReturn.reference, PoolReturn.amount).where(
            (PoolReturn.method == ReturnMethod.CARD_REFUND.value)
            & (PoolReturn.status == ReturnStatus.RECORDED.value)
        )
    }
    differences = []
    async for refund in gateway.list_refunds():
        if refund.status in ("failed", "canceled"):
            continue  # no money went back
        session = ours.get(refund.payment_intent)
        if session is None:
            continue  # a refund of a payment that is not a top-up of ours
        if recorded.get(refund.id) == refund.amount:
            continue
        differences.append(
            Difference(
                f"refund:{refund.id}",
                "refund",
                f"refund {refund.id} of {format_money(refund.amount, refund.currency)} "
                f"({refund.status}) on card payment {session.id} for pool "
                f"{session.metadata.get('pool_id', '?')} is not in our ledger: the pool still "
                "counts that money",
            )
        )
    return differences


async def _balance_differences(gateway: PaymentGateway) -> list[Difference]:
    balance = await gateway.platform_balance()
    if balance is None:
        return []
    promised: dict[str, int] = {}
    for row in await LedgerAccount.select(LedgerAccount.currency, LedgerAccount.balance).where(
        LedgerAccount.kind.is_in([AccountKind.COMMITTED.value, AccountKind.IN_TRANSIT.value])
    ):
        promised[row["currency"]] = promised.get(row["currency"], 0) + int(row["balance"])
    differences = []
    for currency, owed in sorted(promised.items()):
        held = balance.get(currency, 0)
        if owed > 0 and held < owed:
            differences.append(
                Difference(
                    f"balance-short:{currency}",
                    "balance",
                    f"the platform balance holds {format_money(held, currency)} but the ledger "
                    f"has {format_money(owed, currency)} committed to hosts or in transit: "
                    f"{format_money(owed - held, currency)} short",
                )
            )
    return differences


async def _reconcile_round(
    gateway: PaymentGateway, round_id: int, currency: str
) -> list[Difference]:
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
    differences: list[Difference] = []

    def money(amount: int) -> str:
        return format_money(amount, currency)

    def add(key: str, text: str) -> None:
        differences.append(Difference(key, "transfer", f"round {round_id}: {text}"))

    for transfer in transfers.values():
        line = recorded.get(transfer.id)
        if line is None:
            claimed = transfer.metadata.get("allocation_id", "?")
            add(
                f"transfer-unknown:{transfer.id}",
                f"transfer {transfer.id} of {money(transfer.amount)} to "
                f"{transfer.destination} (allocation {claimed}) is not in our ledger",
            )
            continue
        if transfer.amount != line["amount"]:
            add(
                f"transfer-amount:{transfer.id}",
                f"allocation {line['id']} paid {money(line['amount'])} but "
                f"transfer {transfer.id} is {money(transfer.amount)}",
            )
        if transfer.amount_reversed != line["amount_reversed"]:
            add(
                f"transfer-reversed:{transfer.id}",
                f"transfer {transfer.id} has {money(transfer.amount_reversed)} reversed but "
                f"allocation {line['id']} ({line['state']}) records "
                f"{money(line['amount_reversed'])}",
            )
    for transfer_id, line in recorded.items():
        if transfer_id not in transfers:
            add(
                f"transfer-missing:{transfer_id}",
                f"allocation {line['id']} records a payment of {money(line['amount'])} by "
                f"transfer {transfer_id}, which the provider does not have",
            )
    return differences
