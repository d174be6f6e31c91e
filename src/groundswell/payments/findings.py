"""What reconciliation found, kept and told: each difference stored while it lasts, shown on
/admin/reconciliation and in /health, and e-mailed to every administrator once."""

from __future__ import annotations

from typing import Any

from groundswell.accounts.tables import User
from groundswell.core.clock import now
from groundswell.core.metrics import RECONCILIATION_DIFFERENCES
from groundswell.core.principal import Role
from groundswell.db import write_transaction
from groundswell.outbox.services import enqueue_email
from groundswell.payments.gateway import PaymentGateway
from groundswell.payments.reconcile import Difference, find_differences
from groundswell.payments.tables import ReconciliationDifference
from groundswell.settings import Settings


async def reconcile_and_report(
    settings: Settings, gateway: PaymentGateway | None = None
) -> list[Difference]:
    """Compare, store what differs (resolving what no longer does) and tell administrators
    about each difference once; the differences found now."""
    differences = await find_differences(settings, gateway)
    await record(settings, differences)
    return differences


async def record(settings: Settings, differences: list[Difference]) -> None:
    moment = now()
    current = {d.key for d in differences}
    async with write_transaction():
        for difference in differences:
            updated = (
                await ReconciliationDifference.update(
                    {
                        ReconciliationDifference.description: difference.text,
                        ReconciliationDifference.last_seen_at: moment,
                        ReconciliationDifference.resolved_at: None,
                    }
                )
                .where(ReconciliationDifference.key == difference.key)
                .returning(ReconciliationDifference.id)
            )
            if not updated:
                await ReconciliationDifference.insert(
                    ReconciliationDifference(
                        key=difference.key,
                        kind=difference.kind,
                        description=difference.text,
                        first_seen_at=moment,
                        last_seen_at=moment,
                    )
                )
        still_open = await ReconciliationDifference.select(
            ReconciliationDifference.id, ReconciliationDifference.key
        ).where(ReconciliationDifference.resolved_at.is_null())
        for row in still_open:
            if row["key"] not in current:
                await ReconciliationDifference.update(
                    {ReconciliationDifference.resolved_at: moment}
                ).where(ReconciliationDifference.id == row["id"])
        admins = await User.select(User.id, User.email).where(
            (User.role == Role.ADMIN.value) & (User.is_active.eq(True))
        )
        for difference in differences:
            for admin in admins:
                # The outbox queues each dedupe key once, ever: a difference seen again
                # tomorrow is not e-mailed again.
                await enqueue_email(
                    to=admin["email"],
                    subject="Groundswell: payments differ from the ledger",
                    body=_email_body(settings, difference),
                    purpose="payments.reconciliation",
                    dedupe_key=f"reconciliation:{difference.key}:admin:{admin['id']}"[:200],
                )
    RECONCILIATION_DIFFERENCES.set(len(differences))


def _email_body(settings: Settings, difference: Difference) -> str:
    return (
        "Reconciliation found a difference between the payment provider and Groundswell's "
        f"ledger:\n\n{difference.text}.\n\nEvery open difference is listed at "
        f"{settings.public_url.rstrip('/')}/admin/reconciliation; `groundswell payments "
        "reconcile` prints them. You get one e-mail per difference."
    )


async def open_differences() -> list[dict[str, Any]]:
    return list(
        await ReconciliationDifference.select()
        .where(ReconciliationDifference.resolved_at.is_null())
        .order_by(ReconciliationDifference.first_seen_at)
    )


async def recently_resolved(limit: int = 50) -> list[dict[str, Any]]:
    return list(
        await ReconciliationDifference.select()
        .where(ReconciliationDifference.resolved_at.is_not_null())
        .order_by(ReconciliationDifference.resolved_at, ascending=False)
        .limit(limit)
    )
