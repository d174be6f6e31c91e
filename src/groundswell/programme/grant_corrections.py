"""Correcting a paid grant's payment record (a mistyped reference or date), with a reason.

The money does not move: the amount and the ledger's "grant:<id>:paid" transaction stay as
they were (the ledger is append-only). What changes is the grant's reference and date; the
audit entry keeps what they were, the new values and why, and the bid page lists each one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from groundswell import db
from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, ValidationFailed
from groundswell.core.principal import Principal
from groundswell.core.tables import AuditEntry
from groundswell.programme.grants import _locked_grant, paid_after_award, read_payment
from groundswell.programme.staff import require_staff
from groundswell.programme.states import GrantStatus
from groundswell.programme.tables import ProgrammeGrant

CORRECTED = "programme.grant.payment_corrected"
REASON_MAX = 1000


async def correct_payment(principal: Principal, grant_id: int, raw: Mapping[str, Any]) -> bool:
    """Change a paid grant's payment reference and date; `raw["reason"]` is required.
    False when the record already says this (a repeated submit changes nothing)."""
    require_staff(principal)
    reason = str(raw.get("reason") or "").strip()
    try:
        reference, paid_on = read_payment(raw)
        errors: dict[str, str] = {}
    except ValidationFailed as exc:
        errors = dict(exc.field_errors)
    if not reason:
        errors["reason"] = "Say why the payment record is corrected."
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"Keep this to {REASON_MAX} characters or fewer."
    if errors:
        raise ValidationFailed("The payment record was not corrected.", field_errors=errors)
    async with db.write_transaction():
        grant = await _locked_grant(grant_id)
        status = GrantStatus(grant["status"])
        if status is not GrantStatus.PAID:
            raise Conflict(
                f"This grant is {status.value}; only a paid grant's record is corrected."
            )
        if grant["payment_reference"] == reference and grant["paid_on"] == paid_on:
            return False
        paid_after_award(grant, paid_on)
        await ProgrammeGrant.update(
            {
                ProgrammeGrant.paid_on: paid_on,
                ProgrammeGrant.payment_reference: reference,
                ProgrammeGrant.updated_at: now(),
            }
        ).where(ProgrammeGrant.id == grant_id)
        await audit.record(
            principal,
            CORRECTED,
            "programme_grant",
            grant_id,
            reason=reason,
            was_reference=grant["payment_reference"],
            was_paid_on=grant["paid_on"].isoformat() if grant["paid_on"] else None,
            payment_reference=reference,
            paid_on=paid_on.isoformat(),
        )
    return True


async def corrections_for(grant_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each grant's payment corrections, oldest first: {grant id: [detail with `at`]}."""
    if not grant_ids:
        return {}
    rows = (
        await AuditEntry.select(AuditEntry.subject_id, AuditEntry.detail, AuditEntry.at)
        .where(
            (AuditEntry.subject_type == "programme_grant")
            & (AuditEntry.action == CORRECTED)
            & AuditEntry.subject_id.is_in([str(i) for i in grant_ids])
        )
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(int(row["subject_id"]), []).append({**row["detail"], "at": row["at"]})
    return found
