"""Corrections with four eyes.

Postings are never edited: a mistake is put right by a new CORRECTION transaction. One
administrator proposes it (accounts, signed amounts in minor units, a reason); it must
balance; a DIFFERENT administrator approves it, which posts it as "correction:<id>" in the
same database transaction, or rejects it, saying why. Both are recorded (who, when) on the
correction and in the audit log. Approving twice posts once.

Only accounts whose balance no domain state mirrors may be corrected (CORRECTABLE_KINDS): a
pool's committed, in-transit, paid and grant accounts are the sum of its lines and grants,
which `groundswell ledger check` proves, so their money moves through rounds and grants.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from groundswell import db
from groundswell.accounts.tables import User
from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.money import MAX_MINOR_UNITS, format_money, parse_major_amount
from groundswell.core.principal import Principal
from groundswell.db import write_transaction
from groundswell.ledger import services as ledger
from groundswell.ledger.states import (
    CORRECTABLE_KINDS,
    CorrectionStatus,
    TransactionKind,
    account_kind_label,
)
from groundswell.ledger.tables import LedgerAccount, LedgerCorrection

MAX_LINES = 6
REASON_MAX = 1000


def correction_reference(correction_id: int) -> str:
    return f"correction:{correction_id}"


@dataclass(frozen=True)
class CorrectionInput:
    postings: list[tuple[int, int]]  # (LedgerAccount id, minor units)
    reason: str


def _only_admins(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Only administrators may propose or decide ledger corrections.")


def parse_signed_amount(raw: str) -> int:
    """'-12.50' or '12.50' (pounds and pence) → signed minor units."""
    text = raw.strip()
    sign = -1 if text.startswith("-") else 1
    return sign * parse_major_amount(text.lstrip("+-").strip())


async def correctable_accounts() -> list[dict[str, Any]]:
    """Accounts a correction may touch, for the form's choices."""
    return list(
        await LedgerAccount.select(
            LedgerAccount.id,
            LedgerAccount.key,
            LedgerAccount.kind,
            LedgerAccount.currency,
            LedgerAccount.balance,
        )
        .where(LedgerAccount.kind.is_in([k.value for k in CORRECTABLE_KINDS]))
        .order_by(LedgerAccount.key)
    )


async def read_correction(raw: Mapping[str, Any]) -> CorrectionInput:
    """Form fields `account-N` (an account id or key) and `amount-N` (signed pounds) for N in
    1..MAX_LINES, and `reason`. Blank lines are left out. Field errors name each problem; a
    correction that does not balance says by how much."""
    form = FieldReader(raw)
    reason = form.text("reason", max_length=REASON_MAX)
    accounts = {str(a["id"]): a for a in await correctable_accounts()}
    by_key = {a["key"]: a for a in accounts.values()}
    lines: list[tuple[dict[str, Any], int]] = []
    for n in range(1, MAX_LINES + 1):
        chosen = str(raw.get(f"account-{n}") or "").strip()
        amount_text = str(raw.get(f"amount-{n}") or "").strip()
        if not chosen and not amount_text:
            continue
        account = accounts.get(chosen) or by_key.get(chosen)
        if account is None:
            form.errors[f"account-{n}"] = (
                "Choose an account a correction may change: a pool's available balance, a "
                "funder's deposits or the Stripe balance."
                if chosen
                else "Choose an account for this amount."
            )
            continue
        try:
            amount = parse_signed_amount(amount_text)
        except ValueError as exc:
            form.errors[f"amount-{n}"] = str(exc)
            continue
        if amount == 0:
            form.errors[f"amount-{n}"] = "An amount of zero moves nothing; leave the line out."
            continue
        lines.append((account, amount))
    if not form.errors:
        if len(lines) < 2:
            form.errors["account-1"] = "A correction moves money between at least two accounts."
        elif len({a["id"] for a, _ in lines}) != len(lines):
            form.errors["account-2"] = "Name each account once."
        else:
            totals: dict[str, int] = defaultdict(int)
            for account, amount in lines:
                totals[account["currency"]] += amount
            off = {c: t for c, t in totals.items() if t}
            if len(totals) > 1:
                form.errors["account-1"] = (
                    "All the accounts of one correction must share a currency."
                )
            elif off:
                currency, total = next(iter(off.items()))
                form.errors["amount-1"] = (
                    f"The amounts add up to {format_money(total, currency)}, not zero: a "
                    "correction must balance (what leaves one account arrives in another)."
                )
            elif any(abs(amount) > MAX_MINOR_UNITS for _, amount in lines):
                form.errors["amount-1"] = "That amount is too large."
    form.check("The correction has a problem.")
    return CorrectionInput(postings=[(a["id"], amount) for a, amount in lines], reason=reason)


async def propose(principal: Principal, data: CorrectionInput) -> int:
    _only_admins(principal)
    currencies = {
        row["currency"]
        for row in await LedgerAccount.select(LedgerAccount.currency).where(
            LedgerAccount.id.is_in([account for account, _ in data.postings])
        )
    }
    async with write_transaction():
        inserted = await LedgerCorrection.insert(
            LedgerCorrection(
                status=CorrectionStatus.PROPOSED.value,
                reason=data.reason,
                postings=[{"account": a, "amount": amount} for a, amount in data.postings],
                currency=currencies.pop() if len(currencies) == 1 else "",
                proposed_by=principal.user_id,
                proposed_at=now(),
            )
        ).returning(LedgerCorrection.id)
        correction_id = int(inserted[0]["id"])
        await audit.record(
            principal,
            "ledger.correction.propose",
            "ledger_correction",
            correction_id,
            reason=data.reason,
            postings=[{"account": a, "amount": amount} for a, amount in data.postings],
        )
    return correction_id


async def _locked(correction_id: int) -> dict[str, Any]:
    row = await db.locked(
        LedgerCorrection.select().where(LedgerCorrection.id == correction_id).output(load_json=True)
    ).first()
    if row is None:
        raise NotFound(f"There is no correction {correction_id}.")
    return row


async def _to_decide(
    principal: Principal, correction_id: int, outcome: CorrectionStatus
) -> dict[str, Any] | None:
    """The correction, locked, for a second administrator to decide; None when it was
    decided as `outcome` already (the decision is then a no-op). Call inside the transaction."""
    row = await _locked(correction_id)
    status = CorrectionStatus(row["status"])
    if status is outcome:
        return None
    if status is not CorrectionStatus.PROPOSED:
        raise Conflict(
            f"This correction was {status.value} already; it cannot be "
            f"{'approved' if outcome is CorrectionStatus.APPROVED else 'rejected'} now."
        )
    if row["proposed_by"] == principal.user_id:
        raise Forbidden("You proposed this correction: a different administrator must decide it.")
    return row


async def approve(principal: Principal, correction_id: int) -> bool:
    """Post the correction; False (nothing changes) when it was approved already."""
    _only_admins(principal)
    async with write_transaction():
        row = await _to_decide(principal, correction_id, CorrectionStatus.APPROVED)
        if row is None:
            return False
        pools = {
            r["pool"]
            for r in await LedgerAccount.select(LedgerAccount.pool).where(
                LedgerAccount.id.is_in([p["account"] for p in row["postings"]])
                & LedgerAccount.pool.is_not_null()
            )
        }
        for pool_id in sorted(pools):
            await ledger.lock_pool(pool_id)  # every writer of a pool's money waits its turn
        txn_id = await ledger.post(
            TransactionKind.CORRECTION,
            correction_reference(correction_id),
            [ledger.Posting(int(p["account"]), int(p["amount"])) for p in row["postings"]],
            memo=f"Correction {correction_id}: {row['reason']}"[:1000],
        )
        await LedgerCorrection.update(
            {
                LedgerCorrection.status: CorrectionStatus.APPROVED.value,
                LedgerCorrection.decided_by: principal.user_id,
                LedgerCorrection.decided_at: now(),
                LedgerCorrection.txn: txn_id,
            }
        ).where(LedgerCorrection.id == correction_id)
        await audit.record(
            principal, "ledger.correction.approve", "ledger_correction", correction_id, txn=txn_id
        )
    return True


async def reject(principal: Principal, correction_id: int, reason: str) -> bool:
    """Refuse the correction, saying why; False when it was rejected already."""
    _only_admins(principal)
    form = FieldReader({"reason": reason})
    reason = form.text("reason", max_length=REASON_MAX)
    form.check("Say why you are rejecting it.")
    async with write_transaction():
        if await _to_decide(principal, correction_id, CorrectionStatus.REJECTED) is None:
            return False
        await LedgerCorrection.update(
            {
                LedgerCorrection.status: CorrectionStatus.REJECTED.value,
                LedgerCorrection.decided_by: principal.user_id,
                LedgerCorrection.decided_at: now(),
                LedgerCorrection.decision_reason: reason,
            }
        ).where(LedgerCorrection.id == correction_id)
        await audit.record(
            principal, "ledger.correction.reject", "ledger_correction", correction_id, reason=reason
        )
    return True


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


async def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await User.select(User.id, User.name, User.email).where(User.id.is_in(list(user_ids)))
    return {row["id"]: row["name"] or row["email"] for row in rows}


async def _describe(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    names = await _names(
        {r["proposed_by"] for r in rows} | {r["decided_by"] for r in rows if r["decided_by"]}
    )
    account_ids = {int(p["account"]) for r in rows for p in r["postings"]}
    accounts = {
        a["id"]: a
        for a in (
            await LedgerAccount.select(
                LedgerAccount.id, LedgerAccount.key, LedgerAccount.kind, LedgerAccount.currency
            ).where(LedgerAccount.id.is_in(list(account_ids)))
            if account_ids
            else []
        )
    }
    for row in rows:
        row["proposer_name"] = names.get(row["proposed_by"], "?")
        row["decider_name"] = names.get(row["decided_by"], "") if row["decided_by"] else ""
        row["lines"] = [
            {
                "account": accounts.get(int(p["account"]), {}).get("key", f"#{p['account']}"),
                "kind": account_kind_label(accounts.get(int(p["account"]), {}).get("kind", "")),
                "amount": int(p["amount"]),
            }
            for p in row["postings"]
        ]
        row["moves"] = sum(line["amount"] for line in row["lines"] if line["amount"] > 0)
    return list(rows)


async def list_corrections(limit: int = 200) -> list[dict[str, Any]]:
    """Waiting first (oldest first), then decided (newest first)."""
    rows = await (
        LedgerCorrection.select()
        .order_by(LedgerCorrection.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    described = await _describe(rows)
    waiting = [r for r in described if r["status"] == CorrectionStatus.PROPOSED.value]
    decided = [r for r in described if r["status"] != CorrectionStatus.PROPOSED.value]
    return list(reversed(waiting)) + decided


async def get_correction(correction_id: int) -> dict[str, Any]:
    row = (
        await LedgerCorrection.select()
        .where(LedgerCorrection.id == correction_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound(f"There is no correction {correction_id}.")
    return (await _describe([row]))[0]


def refused(exc: ValidationFailed) -> str:
    """One line for the console."""
    return "; ".join([exc.detail, *exc.field_errors.values()])
