"""Bank-transfer deposits reconciled with the platform balance (issue #16).

A bank transfer from a funder reaches Groundswell's bank account, and is credited to the
pool's available balance when an administrator records it; but hosts are paid from the
Stripe platform balance, which that money reaches only when someone tops the balance up from
the bank. An administrator records, for each bank-transfer deposit, the reference of the
top-up (or bank statement line) that moved it there. Until then it is unreconciled, and once
it has waited longer than GROUNDSWELL_BANK_DEPOSIT_RECONCILE_DAYS it is a reconciliation
difference (payments/reconcile.py), so /health and `payments reconcile` say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from groundswell import db
from groundswell.core import audit
from groundswell.core.clock import now, today
from groundswell.core.errors import Conflict, Forbidden, NotFound
from groundswell.core.forms import FieldReader
from groundswell.core.principal import Principal
from groundswell.db import write_transaction
from groundswell.funders.states import DepositMethod
from groundswell.funders.tables import Deposit

REFERENCE_MAX = 120


def read_reference(raw: Mapping[str, Any]) -> str:
    fields = FieldReader(raw)
    reference = fields.text("platform_reference", max_length=REFERENCE_MAX)
    if fields.errors.get("platform_reference") == "This is required.":
        fields.errors["platform_reference"] = (
            "Enter the top-up's reference (Stripe's trxn_… or po_… id, or the bank statement line)."
        )
    fields.check("The deposit could not be reconciled.")
    return reference


async def unreconciled(*, older_than_days: int | None = None) -> list[dict[str, Any]]:
    """Bank-transfer deposits with no platform reference yet, oldest first; only those
    received more than `older_than_days` days ago when given."""
    query = (
        Deposit.select(
            Deposit.id,
            Deposit.pool,
            Deposit.pool.name.as_alias("pool_name"),
            Deposit.amount,
            Deposit.currency,
            Deposit.external_reference,
            Deposit.received_on,
        )
        .where(
            (Deposit.method == DepositMethod.BANK_TRANSFER.value) & Deposit.reconciled_at.is_null()
        )
        .order_by(Deposit.received_on)
        .order_by(Deposit.id)
    )
    if older_than_days is not None:
        query = query.where(Deposit.received_on < today() - timedelta(days=older_than_days))
    return list(await query)


async def reconcile_deposit(principal: Principal, deposit_id: int, reference: str) -> bool:
    """Record the platform reference of a bank-transfer deposit. False when it was recorded
    with this reference before (a double submit); another reference is refused, since one
    deposit reached the balance once."""
    if not principal.is_admin:
        raise Forbidden("Only administrators reconcile deposits.")
    async with write_transaction():
        row = await db.locked(
            Deposit.select(Deposit.method, Deposit.platform_reference, Deposit.reconciled_at).where(
                Deposit.id == deposit_id
            )
        ).first()
        if row is None:
            raise NotFound(f"There is no deposit {deposit_id}.")
        if row["method"] != DepositMethod.BANK_TRANSFER.value:
            raise Conflict(
                f"Deposit {deposit_id} was paid by card, straight into the platform balance: "
                "there is nothing to reconcile."
            )
        if row["reconciled_at"] is not None:
            if row["platform_reference"] == reference:
                return False
            raise Conflict(
                f"Deposit {deposit_id} was reconciled already, with {row['platform_reference']}."
            )
        await Deposit.update(
            {Deposit.platform_reference: reference, Deposit.reconciled_at: now()}
        ).where(Deposit.id == deposit_id)
        await audit.record(
            principal, "deposit.reconciled", "deposit", deposit_id, platform_reference=reference
        )
    return True
