"""The audit log: who changed what, appended in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from groundswell.core.clock import now
from groundswell.core.principal import Principal
from groundswell.core.tables import AuditEntry


async def record(
    actor: Principal | int | None,
    action: str,
    subject_type: str,
    subject_id: int | str,
    **detail: Any,
) -> None:
    """Append one entry. `actor` is the principal (or its user id) who acted; None is the
    system or an operator at the console."""
    user_id = actor.user_id if isinstance(actor, Principal) else actor
    await AuditEntry.insert(
        AuditEntry(
            actor=user_id,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            detail=detail,
            at=now(),
        )
    )
