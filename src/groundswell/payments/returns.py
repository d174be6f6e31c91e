"""Money back and pools closed.

A funder's member asks for available money back, or to close the pool (or both); an
administrator records the return: a Stripe refund of one card deposit through the gateway,
or a bank transfer with its reference. Recording moves the amount out of the pool's
available balance in one ledger transaction, "return:<id>", in the same database
transaction as the request's state; a close request then closes the pool if it is empty.

The pool is locked from the check of the available balance to the posting, so two
administrators recording returns at once cannot overdraw it. A card refund is asked of
the gateway inside that lock, with the idempotency key "return:<id>": if the posting then
fails the transaction rolls back, and recording again asks the gateway again with the same
key, which returns the same refund instead of making a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from groundswell import db
from groundswell.allocation import attribution
from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.money import format_money
from groundswell.core.principal import Principal, Role
from groundswell.db import write_transaction
from groundswell.funders.cofunders import cofunder_ids
from groundswell.funders.services import get_pool, refuse_if_closed
from groundswell.funders.states import DepositMethod
from groundswell.funders.tables import Deposit, Funder, Pool
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind, ReturnMethod, ReturnStatus, TransactionKind
from groundswell.ledger.tables import PoolReturn
from groundswell.payments.gateway import GatewayError, PaymentGateway
from groundswell.payments.return_mail import tell_funder_declined


def return_reference(return_id: int) -> str:
    return f"return:{return_id}"


# --------------------------------------------------------------------------------------------
# The funder asks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnRequest:
    amount: int
    close_pool: bool
    reason: str


def read_request(raw: Mapping[str, Any]) -> ReturnRequest:
    fields = FieldReader(raw)
    close_pool = raw.get("close_pool") in ("yes", "on", "true", "1")
    amount = fields.money("amount", required=not close_pool) or 0
    if amount < 0:
        fields.errors["amount"] = "Enter an amount above zero, or leave it empty to only close."
    reason = fields.text("reason", max_length=1000)
    if not fields.errors and amount == 0 and not close_pool:
        fields.errors["amount"] = "Enter the amount you want back, or ask to close the pool."
    fields.check("Your request could not be sent.")
    return ReturnRequest(amount=amount, close_pool=close_pool, reason=reason)


def check_can_ask(principal: Principal, pool: dict[str, Any]) -> None:
    # The funder's own members ask; administrators record, and so never ask themselves.
    if principal.role is not Role.FUNDER or pool["funder"] not in principal.funder_ids:
        raise Forbidden("Only the pool's funder can ask for its money back.")


async def _check_own_money(
    pool: dict[str, Any], amount: int, title: str = "Your request could not be sent."
) -> None:
    """In a co-funded pool the lead asks back only its own money still available, never
    what its co-funders put in (allocation/attribution.py)."""
    if not await cofunder_ids(pool["id"]):
        return
    lead = int(pool["funder"])
    own = (await attribution.contributions(pool["id"], lead, [lead]))[lead]["available"]
    if amount > own:
        raise ValidationFailed(
            title,
            field_errors={
                "amount": f"Of this co-funded pool's money, {format_money(own, pool['currency'])} "
                "is the lead funder's own and still available: no more of it can go back."
            },
        )


async def request_return(principal: Principal, pool_id: int, data: ReturnRequest) -> int:
    pool = await get_pool(pool_id)
    check_can_ask(principal, pool)
    async with write_transaction():
        await ledger.lock_pool(pool_id)
        await refuse_if_closed(pool_id, "requests")
        available = await ledger.locked_available(pool_id)
        if data.amount > available:
            raise ValidationFailed(
                "Your request could not be sent.",
                field_errors={
                    "amount": f"The pool has {format_money(available, pool['currency'])} "
                    "available; ask for that much or less."
                },
            )
        await _check_own_money(pool, data.amount)
        # Double-submit: the same open request again is the one already made.
        same = (
            await PoolReturn.select(PoolReturn.id)
            .where(
                (PoolReturn.pool == pool_id)
                & (PoolReturn.status == ReturnStatus.REQUESTED.value)
                & (PoolReturn.amount == data.amount)
                & (PoolReturn.close_pool == data.close_pool)
                & (PoolReturn.reason == data.reason)
                & (PoolReturn.requested_by == principal.user_id)
            )
            .first()
        )
        if same is not None:
            return int(same["id"])
        rows = await PoolReturn.insert(
            PoolReturn(
                pool=pool_id,
                funder=pool["funder"],
                amount=data.amount,
                currency=pool["currency"],
                close_pool=data.close_pool,
                reason=data.reason,
                requested_by=principal.user_id,
                requested_at=now(),
            )
        ).returning(PoolReturn.id)
        return_id = int(rows[0]["id"])
        await audit.record(
            principal,
            "pool_return.requested",
            "pool_return",
            return_id,
            pool=pool_id,
            amount=data.amount,
            close_pool=data.close_pool,
        )
    return return_id


# --------------------------------------------------------------------------------------------
# An administrator records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnRecord:
    method: ReturnMethod | None  # None: nothing to give back, only closing
    deposit_id: int | None = None
    reference: str = ""


def read_record(raw: Mapping[str, Any], amount: int) -> ReturnRecord:
    fields = FieldReader(raw)
    if amount == 0:
        return ReturnRecord(method=None)
    method = fields.choice("method", ReturnMethod, default=None)
    if method is None and "method" not in fields.errors:
        fields.errors["method"] = "Choose how the money goes back."
    deposit_id: int | None = None
    reference = ""
    if method is ReturnMethod.CARD_REFUND:
        deposit_id = fields.integer("deposit")
        if deposit_id is None and "deposit" not in fields.errors:
            fields.errors["deposit"] = "Choose the card deposit to refund."
    elif method is ReturnMethod.BANK_TRANSFER:
        reference = fields.text("reference", max_length=120)
    fields.check("The return could not be recorded.")
    return ReturnRecord(method=method, deposit_id=deposit_id, reference=reference)


async def get_return(return_id: int) -> dict[str, Any]:
    row = (
        await PoolReturn.select(
            *PoolReturn.all_columns(),
            PoolReturn.pool.name.as_alias("pool_name"),
            PoolReturn.funder.name.as_alias("funder_name"),
            PoolReturn.requested_by.email.as_alias("requested_by_email"),
            PoolReturn.recorded_by.email.as_alias("recorded_by_email"),
        )
        .where(PoolReturn.id == return_id)
        .first()
    )
    if row is None:
        raise NotFound(f"There is no return request {return_id}.")
    return row


async def list_returns(
    *, pool_id: int | None = None, status: ReturnStatus | None = None
) -> list[dict[str, Any]]:
    query = PoolReturn.select(
        *PoolReturn.all_columns(),
        PoolReturn.pool.name.as_alias("pool_name"),
        PoolReturn.funder.name.as_alias("funder_name"),
    ).order_by(PoolReturn.id, ascending=False)
    if pool_id is not None:
        query = query.where(PoolReturn.pool == pool_id)
    if status is not None:
        query = query.where(PoolReturn.status == status.value)
    return await query.limit(200)


async def refundable_deposits(pool_id: int) -> list[dict[str, Any]]:
    """The pool's card deposits, each with what is left to refund (amount less refunds)."""
    deposits = await Deposit.select().where(
        (Deposit.pool == pool_id) & (Deposit.method == DepositMethod.STRIPE.value)
    )
    refunded = await _refunded_by_deposit([d["id"] for d in deposits])
    for deposit in deposits:
        deposit["refundable"] = deposit["amount"] - refunded.get(deposit["id"], 0)
    return [d for d in deposits if d["refundable"] > 0]


async def _refunded_by_deposit(deposit_ids: list[int]) -> dict[int, int]:
    if not deposit_ids:
        return {}
    rows = await PoolReturn.select(PoolReturn.deposit, PoolReturn.amount).where(
        PoolReturn.deposit.is_in(deposit_ids) & (PoolReturn.status == ReturnStatus.RECORDED.value)
    )
    totals: dict[int, int] = {}
    for row in rows:
        totals[row["deposit"]] = totals.get(row["deposit"], 0) + int(row["amount"])
    return totals


def _refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("The return could not be recorded.", field_errors={field: message})


def _check_available(request: dict[str, Any], available: int) -> None:
    if int(request["amount"]) > available:
        raise _refused(
            "amount",
            f"The pool has only {format_money(available, request['currency'])} available, "
            f"less than the {format_money(request['amount'], request['currency'])} asked for: "
            "it cannot give back more than it holds.",
        )


async def _check_deposit(request: dict[str, Any], deposit_id: int) -> dict[str, Any]:
    deposit = await Deposit.select().where(Deposit.id == deposit_id).first()
    if (
        deposit is None
        or deposit["pool"] != request["pool"]
        or deposit["method"] != DepositMethod.STRIPE.value
        or deposit["funder"] not in (None, request["funder"])
    ):
        raise _refused("deposit", "Choose one of this pool's card deposits.")
    left = deposit["amount"] - (await _refunded_by_deposit([deposit_id])).get(deposit_id, 0)
    if request["amount"] > left:
        raise _refused(
            "deposit",
            f"That deposit has {format_money(left, deposit['currency'])} left to refund; "
            f"this return is {format_money(request['amount'], request['currency'])}.",
        )
    return deposit


async def _is_empty(pool_id: int) -> bool:
    balances = await ledger.pool_balances(pool_id)
    return not any(
        balances[k.value]
        for k in (AccountKind.AVAILABLE, AccountKind.COMMITTED, AccountKind.IN_TRANSIT)
    )


@dataclass(frozen=True)
class Recorded:
    created: bool  # False: it was recorded before (a double submit)
    closed: bool  # the pool is closed now


async def record_return(
    principal: Principal, gateway: PaymentGateway, return_id: int, data: ReturnRecord
) -> Recorded:
    if not principal.is_admin:
        raise Forbidden("Only administrators record money going back.")
    request = await get_return(return_id)
    pool_id = int(request["pool"])
    async with write_transaction():
        await ledger.lock_pool(pool_id)
        current = await db.locked(
            PoolReturn.select(PoolReturn.status).where(PoolReturn.id == return_id)
        ).first()
        assert current is not None
        if current["status"] == ReturnStatus.RECORDED.value:
            row = await Pool.select(Pool.closed_at).where(Pool.id == pool_id).first()
            return Recorded(created=False, closed=bool(row and row["closed_at"]))
        if current["status"] == ReturnStatus.DECLINED.value:
            raise Conflict("This request was declined; the funder can ask again.")
        amount = int(request["amount"])
        available = await ledger.locked_available(pool_id)
        _check_available(request, available)
        await _check_own_money(await get_pool(pool_id), amount, "The return could not be recorded.")
        reference = data.reference
        txn_id: int | None = None
        if amount:
            available_account = await ledger.pool_account(pool_id, AccountKind.AVAILABLE)
            if data.method is ReturnMethod.CARD_REFUND:
                assert data.deposit_id is not None
                deposit = await _check_deposit(request, data.deposit_id)
                try:
                    refund = await gateway.create_refund(
                        checkout_session_id=deposit["external_reference"],
                        amount=amount,
                        metadata={"pool_id": str(pool_id), "return_id": str(return_id)},
                        idempotency_key=return_reference(return_id),
                    )
                except GatewayError as exc:
                    raise _refused("deposit", f"Stripe refused the refund: {exc}") from None
                reference = refund.id
                outside = await ledger.stripe_balance_account(request["currency"])
                memo = f"Card refund {refund.id} of deposit {deposit['id']}"
            elif data.method is ReturnMethod.BANK_TRANSFER:
                outside = await ledger.funder_deposits_account(
                    request["funder"], request["currency"]
                )
                memo = f"Bank transfer {reference}"
            else:
                raise _refused("method", "Choose how the money goes back.")
            txn_id = await ledger.post(
                TransactionKind.RETURN,
                return_reference(return_id),
                [ledger.Posting(available_account, -amount), ledger.Posting(outside, amount)],
                memo=memo,
            )
        closed = False
        if request["close_pool"]:
            if not await _is_empty(pool_id):
                raise _refused(
                    "amount",
                    "The pool still holds money (available, committed to a round or on its "
                    "way to hosts), so it cannot close. Give it all back, or finish or cancel "
                    "its rounds, first.",
                )
            await Pool.update({Pool.closed_at: now(), Pool.is_active: False}).where(
                Pool.id == pool_id
            )
            await audit.record(principal, "pool.closed", "pool", pool_id, pool_return=return_id)
            closed = True
        await PoolReturn.update(
            {
                PoolReturn.status: ReturnStatus.RECORDED.value,
                PoolReturn.method: data.method.value if data.method else None,
                PoolReturn.deposit: data.deposit_id,
                PoolReturn.reference: reference,
                PoolReturn.recorded_by: principal.user_id,
                PoolReturn.recorded_at: now(),
                PoolReturn.txn: txn_id,
            }
        ).where(PoolReturn.id == return_id)
        await audit.record(
            principal,
            "pool_return.recorded",
            "pool_return",
            return_id,
            pool=pool_id,
            amount=amount,
            method=data.method.value if data.method else None,
            reference=reference,
        )
    return Recorded(created=True, closed=closed)


async def preview(return_id: int, data: ReturnRecord) -> dict[str, Any]:
    """What the check-your-answers page says: who gets what, how, and the balance after."""
    request = await get_return(return_id)
    available = (await ledger.pool_balances(int(request["pool"])))["available"]
    _check_available(request, available)
    deposit = None
    if data.method is ReturnMethod.CARD_REFUND and data.deposit_id is not None:
        deposit = await _check_deposit(request, data.deposit_id)
    funder = await Funder.select(Funder.name).where(Funder.id == request["funder"]).first()
    return {
        "item": request,
        "funder_name": funder["name"] if funder else "",
        "deposit": deposit,
        "available_before": available,
        "available_after": available - int(request["amount"]),
    }


# --------------------------------------------------------------------------------------------
# An administrator declines
# --------------------------------------------------------------------------------------------

DECLINE_REASON_MAX = 1000


def read_decline(raw: Mapping[str, Any]) -> str:
    fields = FieldReader(raw)
    reason = fields.text("decline_reason", max_length=DECLINE_REASON_MAX)
    if fields.errors.get("decline_reason") == "This is required.":
        fields.errors["decline_reason"] = "Say why, in a few words: the funder reads it."
    fields.check("The request could not be declined.")
    return reason


async def decline_return(
    principal: Principal, return_id: int, reason: str, *, public_url: str = ""
) -> bool:
    """Decline an open request, saying why: nothing posts to the ledger and the pool stays
    as it is; the funder's members are e-mailed the reason. False when it was declined
    before (a double submit); a recorded return cannot be declined."""
    if not principal.is_admin:
        raise Forbidden("Only administrators decide on money going back.")
    request = await get_return(return_id)
    async with write_transaction():
        current = await db.locked(
            PoolReturn.select(PoolReturn.status).where(PoolReturn.id == return_id)
        ).first()
        assert current is not None
        if current["status"] == ReturnStatus.DECLINED.value:
            return False
        if current["status"] == ReturnStatus.RECORDED.value:
            raise Conflict("This return was recorded already, so it cannot be declined.")
        await PoolReturn.update(
            {
                PoolReturn.status: ReturnStatus.DECLINED.value,
                PoolReturn.decline_reason: reason,
                PoolReturn.recorded_by: principal.user_id,
                PoolReturn.recorded_at: now(),
            }
        ).where(PoolReturn.id == return_id)
        await audit.record(
            principal,
            "pool_return.declined",
            "pool_return",
            return_id,
            pool=request["pool"],
            amount=request["amount"],
            reason=reason,
        )
        await tell_funder_declined(request, reason, public_url)
    return True
