"""What may be read of the voices: which count, which are published (always redacted), an
organiser's published testimony and how many voices they have."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from groundswell.vouching.redact import redact
from groundswell.vouching.states import EndorsementState, ModerationStatus, Verification
from groundswell.vouching.tables import Endorsement

VERIFIED = [Verification.SMS_INBOUND.value, Verification.SMS_CODE.value]


def counting_condition() -> Any:
    """Voices that count: verified, active, and not waiting for a moderator."""
    return (
        Endorsement.verification.is_in(VERIFIED)
        & (Endorsement.state == EndorsementState.ACTIVE.value)
        & (Endorsement.moderation != ModerationStatus.FLAGGED.value)
    )


def published_condition() -> Any:
    return counting_condition() & (Endorsement.consent_to_publish == True)  # noqa: E712


async def endorser_count(organiser_id: int) -> int:
    return int(
        await Endorsement.count().where(
            counting_condition() & (Endorsement.organiser == organiser_id)
        )
    )


def public_testimony(row: dict[str, Any]) -> dict[str, Any]:
    """Anonymous by default: first name and neighbourhood only with consent; always redacted."""
    return {
        "id": row["id"],
        "testimony": redact(row["testimony"]),
        "theme": row["theme"],
        "display_name": redact(row["display_name"]),
        "neighbourhood": redact(row["neighbourhood"]),
        "at": row["updated_at"],
    }


async def published_for_organiser(
    organiser_id: int, *, before: tuple[datetime, int] | None = None, limit: int = 20
) -> tuple[list[dict[str, Any]], tuple[datetime, int] | None]:
    """Newest first, keyset-paginated on (updated_at, id) so new testimony never shifts pages."""
    condition = published_condition() & (Endorsement.organiser == organiser_id)
    if before is not None:
        at, last_id = before
        condition &= (Endorsement.updated_at < at) | (
            (Endorsement.updated_at == at) & (Endorsement.id < last_id)
        )
    rows = (
        await Endorsement.select(
            Endorsement.id,
            Endorsement.testimony,
            Endorsement.theme,
            Endorsement.display_name,
            Endorsement.neighbourhood,
            Endorsement.updated_at,
        )
        .where(condition)
        .order_by(Endorsement.updated_at, ascending=False)
        .order_by(Endorsement.id, ascending=False)
        .limit(limit + 1)
    )
    page = [public_testimony(row) for row in rows[:limit]]
    next_key = (rows[limit - 1]["updated_at"], rows[limit - 1]["id"]) if len(rows) > limit else None
    return page, next_key
