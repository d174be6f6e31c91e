"""The outbox in figures, for /health and /metrics: how many messages wait, and how long."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from groundswell.core.clock import now
from groundswell.outbox.states import OutboxStatus
from groundswell.outbox.tables import OutboxMessage


async def oldest_due_age_seconds() -> float | None:
    """How long the longest-waiting message has been due and not sent (None: none due)."""
    moment = now()
    row = (
        await OutboxMessage.select(OutboxMessage.next_attempt_at)
        .where(OutboxMessage.status.is_in([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]))
        .where(OutboxMessage.next_attempt_at <= moment)
        .order_by(OutboxMessage.next_attempt_at)
        .first()
    )
    if row is None:
        return None
    return max(0.0, (moment - row["next_attempt_at"]).total_seconds())


async def depth_by_channel_and_status() -> list[dict[str, Any]]:
    """Per channel and status: how many, and the age of the oldest (waiting messages count
    from when they became due, the others from when they were queued)."""
    rows = await OutboxMessage.raw(
        "SELECT medium, status, COUNT(*) AS messages, MIN(created_at) AS oldest_created, "
        "MIN(next_attempt_at) AS oldest_due FROM outbox_message GROUP BY medium, status"
    )
    moment = now()
    figures = []
    for row in rows:
        waiting = row["status"] in (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
        since = _as_datetime(row["oldest_due"] if waiting else row["oldest_created"])
        age = max(0.0, (moment - since).total_seconds()) if since else 0.0
        figures.append(
            {
                "channel": row["medium"],
                "status": row["status"],
                "messages": int(row["messages"]),
                "oldest_age_seconds": age,
            }
        )
    return figures


def _as_datetime(value: Any) -> datetime | None:
    # Raw SQL returns SQLite timestamps as text; PostgreSQL gives aware datetimes.
    if value is None or isinstance(value, datetime):
        return value
    from datetime import UTC

    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
