"""Paying approved allocations to their hosts' connected accounts, exactly once.

Each line goes committed → in transit (with its state change, in one transaction), then the
transfer is created with an idempotency key built from the line's id, then in transit → paid
(again with its state change). A crash between those steps leaves the line in transit without
a transfer id; the next run calls Stripe again with the same key and gets the same transfer.

A host that cannot be paid yet (no connected account, payouts not enabled) has its lines
held: the money stays committed, the host is told once, and the lines are paid the moment
onboarding completes (the `on_payouts_enabled` listener) or by the next run.

Stripe transfers to connected accounts settle at once: a created transfer is treated as paid.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from groundswell import db
from groundswell.allocation.states import AllocationState, RoundStatus
from groundswell.allocation.tables import Allocation, Round
from groundswell.core.clock import now
from groundswell.core.ids import parse_row_id
from groundswell.core.money import format_money
from groundswell.db import write_transaction
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind, TransactionKind
from groundswell.outbox.services import enqueue_email
from groundswell.payments import services
from groundswell.payments.gateway import GatewayError, PaymentGateway, Transfer, WebhookEvent
from groundswell.payments.provider import gateway_for
from groundswell.settings import Settings

log = logging.getLogger("groundswell.payments")

# A line left in transit without a transfer id this long ago was interrupted: resume it.
STALE_IN_TRANSIT = timedelta(minutes=1)
# Waits after the provider refused a transfer, by number of refusals so far.
BACKOFF = (
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=1),
)
# Lines still on their way to the host: the round is not paid while any is left.
UNFINISHED_STATES = (
    AllocationState.APPROVED,
    AllocationState.HELD,
    AllocationState.FAILED,
    AllocationState.IN_TRANSIT,
)


def transfer_idempotency_key(allocation_id: int, attempts: int = 0) -> str:
    """The same key for every try of one attempt; a new one after the provider refused.

    Stripe stores a refused request's answer under its key, so a retry after a refusal
    (a new attempt) needs a new key; a retry after a crash or a timeout reuses the old one.
    """
    base = f"groundswell-allocation-{allocation_id}-transfer"
    return base if attempts == 0 else f"{base}-{attempts}"


def transfer_group(round_id: int) -> str:
    return f"round-{round_id}"


def _backoff(attempts: int) -> timedelta:
    return BACKOFF[min(attempts, len(BACKOFF)) - 1] if attempts else BACKOFF[0]


async def _line(allocation_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    query = Allocation.select(
        *Allocation.all_columns(),
        Allocation.round.pool.as_alias("pool_id"),
        Allocation.round.currency.as_alias("currency"),
        Allocation.round.status.as_alias("round_status"),
        Allocation.organiser.code.as_alias("organiser_code"),
        Allocation.organiser.name.as_alias("organiser_name"),
        Allocation.host.name.as_alias("host_name"),
        Allocation.host.contact_email.as_alias("host_email"),
        Allocation.host.stripe_account_id.as_alias("account_id"),
        Allocation.host.stripe_payouts_enabled.as_alias("payouts_enabled"),
    ).where(Allocation.id == allocation_id)
    row = await query.first()
    if row is not None and lock:
        # The pool's lock (taken first by every writer) serialises us; this is belt and braces.
        await db.locked(Allocation.select(Allocation.id).where(Allocation.id == allocation_id))
    return row


async def due_allocations() -> list[int]:
    """Lines to pay now: approved, failed whose retry is due, held whose host is ready, and
    interrupted transfers (in transit without a transfer id for over a minute)."""
    moment = now()
    funded = Allocation.amount > 0
    approved = Allocation.state == AllocationState.APPROVED.value
    retry = (Allocation.state == AllocationState.FAILED.value) & (
        Allocation.next_attempt_at <= moment
    )
    released = (
        (Allocation.state == AllocationState.HELD.value)
        & (
            Allocation.host.stripe_payouts_enabled == True  # noqa: E712
        )
        & Allocation.host.stripe_account_id.is_not_null()
    )
    interrupted = (
        (Allocation.state == AllocationState.IN_TRANSIT.value)
        & Allocation.stripe_transfer_id.is_null()
        & (Allocation.transfer_started_at <= moment - STALE_IN_TRANSIT)
    )
    rows = (
        await Allocation.select(Allocation.id)
        .where(funded & (approved | retry | released | interrupted))
        .order_by(Allocation.id)
    )
    return [row["id"] for row in rows]


async def pay_approved(settings: Settings, gateway: PaymentGateway | None = None) -> str:
    """The payouts job: pay every due line; one line's trouble does not stop the others."""
    gateway = gateway or gateway_for(settings)
    outcomes: dict[str, int] = {}
    for allocation_id in await due_allocations():
        try:
            outcome = await pay_allocation(gateway, allocation_id)
        except Exception:
            log.exception("paying allocation %s failed", allocation_id)
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if not outcomes:
        return "nothing to pay"
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))


async def pay_allocation(gateway: PaymentGateway, allocation_id: int) -> str:
    """Take one line as far as it can go now: "paid", "held", "retry", "failed" or "skipped"."""
    line = await _line(allocation_id)
    if line is None or line["amount"] <= 0:
        return "skipped"
    if not line["account_id"] or not line["payouts_enabled"]:
        return "held" if await _hold(allocation_id) else "skipped"
    attempts = await _start_transfer(allocation_id)
    if attempts is None:
        return "skipped"
    try:
        transfer = await gateway.create_transfer(
            amount=line["amount"],
            currency=line["currency"],
            destination=line["account_id"],
            transfer_group=transfer_group(line["round"]),
            metadata={
                "allocation_id": str(allocation_id),
                "round_id": str(line["round"]),
                "organiser": line["organiser_code"],
            },
            description=f"Groundswell round {line['round']}: {line['organiser_code']}",
            idempotency_key=transfer_idempotency_key(allocation_id, attempts),
        )
    except GatewayError as exc:
        if exc.retryable:
            # Stays in transit; the next run tries again with the same key.
            log.warning("transfer for allocation %s will be retried: %s", allocation_id, exc)
            return "retry"
        await _fail(allocation_id, str(exc))
        return "failed"
    await _record_paid(allocation_id, transfer)
    return "paid"


async def _hold(allocation_id: int) -> bool:
    async with write_transaction():
        line = await _locked(allocation_id)
        if line is None:
            return False
        state = AllocationState(line["state"])
        if state not in (AllocationState.APPROVED, AllocationState.FAILED):
            return False
        await Allocation.update(
            {Allocation.state: AllocationState.HELD.value, Allocation.updated_at: now()}
        ).where(Allocation.id == allocation_id)
        await _tell_host(
            line,
            subject="Groundswell is holding money for you: set up payments",
            news=(
                f"{format_money(line['amount'], line['currency'])} for "
                f"{line['organiser_name']} ({line['organiser_code']}) is ready to pay, "
                "but your organisation has not finished setting up payments yet. The "
                "money is held for you, never lost: it is sent as soon as you finish.\n\n"
                'Sign in to Groundswell and choose "Set up payments" on your host page.\n'
            ),
            purpose="payments.held",
            dedupe_key=f"allocation:{allocation_id}:held",
        )
    return True


async def _tell_host(
    line: dict[str, Any], *, subject: str, news: str, purpose: str, dedupe_key: str
) -> None:
    """E-mail the line's host (when it has an address) what happened to its money, once per
    `dedupe_key`, in the caller's transaction."""
    if not line["host_email"]:
        return
    await enqueue_email(
        to=line["host_email"],
        subject=subject,
        body=f"Hello {line['host_name']},\n\n{news}",
        purpose=purpose,
        dedupe_key=dedupe_key,
        ttl=timedelta(days=14),
    )


async def _locked(allocation_id: int) -> dict[str, Any] | None:
    line = await _line(allocation_id)
    if line is None:
        return None
    await ledger.lock_pool(line["pool_id"])
    return await _line(allocation_id, lock=True)


async def _start_transfer(allocation_id: int) -> int | None:
    """Committed → in transit with its state; the attempt number, or None if not due."""
    async with write_transaction():
        line = await _locked(allocation_id)
        if line is None:
            return None
        state = AllocationState(line["state"])
        moment = now()
        if state is AllocationState.IN_TRANSIT:
            # Interrupted before we recorded the transfer: resume with the same key.
            if line["stripe_transfer_id"] is not None:
                return None
            return int(line["attempts"])
        due = state in (AllocationState.APPROVED, AllocationState.HELD) or (
            state is AllocationState.FAILED
            and line["next_attempt_at"] is not None
            and line["next_attempt_at"] <= moment
        )
        if not due:
            return None
        attempts = int(line["attempts"])
        reference = ledger.allocation_reference(allocation_id, "transfer")
        if attempts:
            reference = f"{reference}:{attempts}"
        await ledger.move(
            line["pool_id"],
            TransactionKind.TRANSFER,
            reference,
            AccountKind.COMMITTED,
            AccountKind.IN_TRANSIT,
            line["amount"],
            memo=f"Transfer to {line['host_name']} for {line['organiser_code']}",
        )
        await Allocation.update(
            {
                Allocation.state: AllocationState.IN_TRANSIT.value,
                Allocation.transfer_started_at: moment,
                Allocation.next_attempt_at: None,
                Allocation.updated_at: moment,
            }
        ).where(Allocation.id == allocation_id)
        if line["round_status"] == RoundStatus.APPROVED.value:
            await Round.update({Round.status: RoundStatus.PAYING.value}).where(
                Round.id == line["round"]
            )
    return attempts


async def _record_paid(allocation_id: int, transfer: Transfer) -> None:
    async with write_transaction():
        line = await _locked(allocation_id)
        if line is None or line["state"] != AllocationState.IN_TRANSIT.value:
            return  # recorded already
        moment = now()
        await ledger.move(
            line["pool_id"],
            TransactionKind.PAYOUT,
            ledger.allocation_reference(allocation_id, "paid"),
            AccountKind.IN_TRANSIT,
            AccountKind.PAID,
            line["amount"],
            memo=f"Stripe transfer {transfer.id}",
        )
        await Allocation.update(
            {
                Allocation.state: AllocationState.PAID.value,
                Allocation.stripe_transfer_id: transfer.id,
                Allocation.paid_at: moment,
                Allocation.updated_at: moment,
            }
        ).where(Allocation.id == allocation_id)
        await _tell_host(
            line,
            subject="Groundswell has sent you continuation funding",
            news=(
                f"{format_money(line['amount'], line['currency'])} for "
                f"{line['organiser_name']} ({line['organiser_code']}) has been sent to your "
                f"Stripe account (transfer {transfer.id}). It is continuation funding from "
                "what residents said about their work: no conditions and no report to "
                "write.\n\nYour host page on Groundswell has a statement of every payment.\n"
            ),
            purpose="payments.sent",
            dedupe_key=ledger.allocation_reference(allocation_id, "paid"),
        )
        unfinished = await Allocation.exists().where(
            (Allocation.round == line["round"])
            & (Allocation.amount > 0)
            & Allocation.state.is_in([s.value for s in UNFINISHED_STATES])
        )
        if not unfinished:
            await Round.update({Round.status: RoundStatus.PAID.value}).where(
                (Round.id == line["round"])
                & Round.status.is_in([RoundStatus.APPROVED.value, RoundStatus.PAYING.value])
            )


async def _fail(allocation_id: int, reason: str) -> None:
    async with write_transaction():
        line = await _locked(allocation_id)
        if line is None or line["state"] != AllocationState.IN_TRANSIT.value:
            return
        attempts = int(line["attempts"]) + 1
        moment = now()
        await ledger.move(
            line["pool_id"],
            TransactionKind.REVERSAL,
            f"{ledger.allocation_reference(allocation_id, 'failed')}:{attempts}",
            AccountKind.IN_TRANSIT,
            AccountKind.COMMITTED,
            line["amount"],
            memo=f"Transfer refused: {reason}"[:500],
        )
        await Allocation.update(
            {
                Allocation.state: AllocationState.FAILED.value,
                Allocation.attempts: attempts,
                Allocation.next_attempt_at: moment + _backoff(attempts),
                Allocation.updated_at: moment,
            }
        ).where(Allocation.id == allocation_id)
    log.warning(
        "transfer for allocation %s refused (attempt %s): %s", allocation_id, attempts, reason
    )


@services.on_payouts_enabled
async def _release_held(settings: Settings, host_id: int) -> None:
    """The host can be paid now: pay what was held for it."""
    rows = await Allocation.select(Allocation.id).where(
        (Allocation.host == host_id)
        & (Allocation.state == AllocationState.HELD.value)
        & (Allocation.amount > 0)
    )
    gateway = gateway_for(settings)
    for row in rows:
        try:
            await pay_allocation(gateway, row["id"])
        except Exception:
            # The payouts job picks it up on its next run.
            log.exception("paying held allocation %s failed", row["id"])


# --------------------------------------------------------------------------------------------
# Reversals
# --------------------------------------------------------------------------------------------


@services.handles("transfer.reversed")
async def _transfer_reversed(
    settings: Settings, gateway: PaymentGateway, event: WebhookEvent
) -> str:
    transfer = await gateway.retrieve_transfer(event.object_id)
    return await apply_reversal(transfer)


async def apply_reversal(transfer: Transfer) -> str:
    """Return what the provider reversed to the pool's available balance; a no-op if applied.

    Stripe may reverse a transfer in several parts, and `amount_reversed` is the running
    total, so each delivery moves only what is new since the last one, under a reference
    named by that total. The line becomes reversed once all of it has come back.
    """
    if transfer.amount_reversed <= 0:
        return f"transfer {transfer.id} is not reversed"
    allocation_id = parse_row_id(transfer.metadata.get("allocation_id", ""))
    if allocation_id is None:
        return f"transfer {transfer.id} is not one of ours"
    async with write_transaction():
        line = await _locked(allocation_id)
        if line is None or line["stripe_transfer_id"] != transfer.id:
            return f"transfer {transfer.id} matches no allocation"
        if line["state"] not in (AllocationState.PAID.value, AllocationState.REVERSED.value):
            return f"allocation {allocation_id} is {line['state']}: nothing to do"
        reversed_total = min(transfer.amount_reversed, int(line["amount"]))
        returned_now = reversed_total - int(line["amount_reversed"])
        if returned_now <= 0:
            return f"allocation {allocation_id}: reversal already applied"
        fully = reversed_total == int(line["amount"])
        await ledger.move(
            line["pool_id"],
            TransactionKind.REVERSAL,
            ledger.reversal_reference(allocation_id, reversed_total),
            AccountKind.PAID,
            AccountKind.AVAILABLE,
            returned_now,
            memo=f"Stripe transfer {transfer.id} reversed"
            + ("" if fully else f" in part ({format_money(returned_now, line['currency'])})"),
        )
        changes: dict[Any, Any] = {
            Allocation.amount_reversed: reversed_total,
            Allocation.updated_at: now(),
        }
        if fully:
            changes[Allocation.state] = AllocationState.REVERSED.value
        await Allocation.update(changes).where(Allocation.id == allocation_id)
        await _tell_host(
            line,
            subject="A Groundswell payment to you was reversed",
            news=(
                f"{format_money(returned_now, line['currency'])} of the "
                f"{format_money(int(line['amount']), line['currency'])} paid for "
                f"{line['organiser_name']} ({line['organiser_code']}) by transfer "
                f"{transfer.id} was reversed and has gone back to the funding pool.\n\n"
                "If you did not expect this, reply to this e-mail and we will look into "
                "it with you.\n"
            ),
            purpose="payments.reversed",
            dedupe_key=ledger.reversal_reference(allocation_id, reversed_total),
        )
    if fully:
        return f"allocation {allocation_id} reversed"
    return (
        f"allocation {allocation_id} reversed in part: "
        f"{format_money(reversed_total, line['currency'])} of "
        f"{format_money(int(line['amount']), line['currency'])}"
    )
