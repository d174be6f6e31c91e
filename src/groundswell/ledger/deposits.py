"""Money into a pool: a bank transfer an administrator records, or a card payment that
Checkout completes. Each deposit credits the pool's available balance in the same
transaction; the same reference again changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from groundswell.core.clock import now, today
from groundswell.core.dates import read_date
from groundswell.core.errors import Forbidden, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.ids import parse_row_id
from groundswell.core.money import format_money
from groundswell.core.principal import Principal
from groundswell.core.tables import varchar_length
from groundswell.db import write_transaction
from groundswell.funders.cofunders import pool_funder_ids
from groundswell.funders.services import get_pool, refuse_if_closed
from groundswell.funders.states import DepositMethod
from groundswell.funders.tables import Deposit
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind, TransactionKind

DEDUPE_KEY_MAX = varchar_length(Deposit.dedupe_key)


def _deposit_dedupe_key(method: DepositMethod, pool_id: int, reference: str) -> str:
    """Same method, pool and reference (any case) is the same deposit.

    The reference is at most 120 characters, but casefolding can lengthen it (ß → ss, ﬃ →
    ffi) past deposit.dedupe_key's 200: such a key is a digest of the folded reference.
    """
    key = f"{method.value}:{pool_id}:{reference.casefold()}"
    if len(key) <= DEDUPE_KEY_MAX:
        return key
    digest = hashlib.sha256(reference.casefold().encode()).hexdigest()
    return f"{method.value}:{pool_id}:sha256:{digest}"


MAX_DEPOSIT = 100_000_000_00  # minor units; a typo guard, not a policy


@dataclass(frozen=True)
class DepositInput:
    amount: int
    reference: str
    received_on: date
    note: str = ""
    funder_id: int | None = None  # whose money: one of the pool's funders; None: the lead


def read_deposit_input(raw: Mapping[str, Any], *, minor_units: bool = False) -> DepositInput:
    fields = FieldReader(raw)
    amount = fields.money("amount", minor_units=minor_units)
    if amount is not None and not 0 < amount <= MAX_DEPOSIT:
        fields.errors["amount"] = (
            f"Enter an amount above zero and at most {format_money(MAX_DEPOSIT)}."
        )
    reference = fields.text("reference", max_length=120)
    note = fields.text("note", required=False, max_length=1000)
    funder_id: int | None = None
    if str(raw.get("funder_id") or "").strip():
        funder_id = parse_row_id(str(raw["funder_id"]))
        if funder_id is None:
            fields.errors["funder_id"] = "Choose one of the pool's funders."
    received_on = (
        read_date(
            fields,
            "received_on",
            help="Enter a date like 2025-03-31.",
            latest=(today(), "The money cannot have arrived in the future."),
        )
        or today()
    )
    fields.check("The deposit could not be recorded.")
    assert amount is not None
    return DepositInput(
        amount=amount, reference=reference, received_on=received_on, note=note, funder_id=funder_id
    )


@dataclass(frozen=True)
class DepositRecorded:
    deposit_id: int
    created: bool  # False: this reference was recorded before, with the same amount


async def record_deposit(
    principal: Principal | None,
    pool_id: int,
    data: DepositInput,
    *,
    method: DepositMethod = DepositMethod.BANK_TRANSFER,
) -> DepositRecorded:
    """Record money received for a pool and credit its available balance, in one transaction.

    `principal` None is the operator at the console (`groundswell deposit`). Recording the
    same reference again with the same amount changes nothing; with another amount it is
    refused, since one bank transfer has one amount.
    """
    if principal is not None and not principal.is_admin:
        raise Forbidden("Only administrators record deposits.")
    pool = await get_pool(pool_id)
    funder_id = data.funder_id or int(pool["funder"])
    if funder_id not in await pool_funder_ids(pool):
        raise ValidationFailed(
            "The deposit could not be recorded.",
            field_errors={"funder_id": "Choose one of the pool's funders."},
        )
    dedupe_key = _deposit_dedupe_key(method, pool_id, data.reference)
    async with write_transaction():
        await ledger.lock_pool(pool_id)
        await refuse_if_closed(pool_id, "deposits")
        existing = await Deposit.select().where(Deposit.dedupe_key == dedupe_key).first()
        if existing is not None:
            if existing["amount"] != data.amount:
                raise ValidationFailed(
                    "The deposit could not be recorded.",
                    field_errors={
                        "reference": (
                            f"This reference was recorded already, for "
                            f"{format_money(existing['amount'], existing['currency'])} on "
                            f"{existing['received_on']:%-d %b %Y}."
                        )
                    },
                )
            return DepositRecorded(deposit_id=existing["id"], created=False)
        rows = await Deposit.insert(
            Deposit(
                pool=pool_id,
                funder=funder_id,
                amount=data.amount,
                currency=pool["currency"],
                method=method.value,
                external_reference=data.reference,
                dedupe_key=dedupe_key,
                received_on=data.received_on,
                note=data.note,
                recorded_by=principal.user_id if principal else None,
                created_at=now(),
            )
        ).returning(Deposit.id)
        deposit_id = int(rows[0]["id"])
        available = await ledger.pool_account(pool_id, AccountKind.AVAILABLE)
        outside = await ledger.funder_deposits_account(funder_id, pool["currency"])
        await ledger.post(
            TransactionKind.DEPOSIT,
            ledger.deposit_reference(deposit_id),
            [ledger.Posting(outside, -data.amount), ledger.Posting(available, data.amount)],
            memo=f"{method.value.replace('_', ' ').capitalize()} {data.reference}",
        )
    return DepositRecorded(deposit_id=deposit_id, created=True)


async def list_deposits(pool_id: int, limit: int = 20) -> list[dict[str, Any]]:
    return (
        await Deposit.select()
        .where(Deposit.pool == pool_id)
        .order_by(Deposit.id, ascending=False)
        .limit(limit)
    )
