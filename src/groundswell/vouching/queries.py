"""What may be read of the voices: which count, which are published (always redacted), an
organiser's published testimony and how many voices they have.

Where words appear follows each resident's choice exactly: `show_public` puts the words (and
never a name or neighbourhood) on the organiser's public page and the anonymous API;
`show_funders` lets signed-in funders and staff read them with the first name and
neighbourhood the resident gave. Neither: the voice counts and its words are never shown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from groundswell.core.principal import Principal, Role
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


class Audience(StrEnum):
    PUBLIC = "public"  # anyone: pages, API without a funder token, hosts
    FUNDERS = "funders"  # signed-in funders and staff (a session or an API token)


# Who reads at funder level: funders (whom residents agreed to) and staff who moderate.
# Hosts employ the organisers, and organisers never see who vouched.
FUNDER_LEVEL_ROLES = frozenset({Role.FUNDER, Role.ADMIN})


def audience_of(principal: Principal | None) -> Audience:
    if principal is not None and principal.role in FUNDER_LEVEL_ROLES:
        return Audience.FUNDERS
    return Audience.PUBLIC


def published_condition(audience: Audience = Audience.PUBLIC) -> Any:
    """Counting voices whose words this audience may read. Funders may read what is public
    too (anyone can), but names only where the resident chose funders (public_testimony)."""
    public = Endorsement.show_public == True  # noqa: E712
    if audience is Audience.FUNDERS:
        return counting_condition() & (public | (Endorsement.show_funders == True))  # noqa: E712
    return counting_condition() & public


async def endorser_count(organiser_id: int) -> int:
    return int(
        await Endorsement.count().where(
            counting_condition() & (Endorsement.organiser == organiser_id)
        )
    )


def public_testimony(
    row: Mapping[str, Any], audience: Audience = Audience.PUBLIC
) -> dict[str, Any]:
    """Always redacted; first name and neighbourhood only for funders, and only where the
    resident chose funders. `id` is for paging inside the server; readers get `ref`."""
    named = audience is Audience.FUNDERS and bool(row["show_funders"])
    return {
        "id": row["id"],
        "ref": row["public_ref"],
        "testimony": redact(row["testimony"]),
        "theme": row["theme"],
        "display_name": redact(row["display_name"]) if named else "",
        "neighbourhood": redact(row["neighbourhood"]) if named else "",
        "at": row["updated_at"],
    }


async def published_for_organiser(
    organiser_id: int,
    *,
    audience: Audience = Audience.PUBLIC,
    before: tuple[datetime, int] | None = None,
    limit: int = 20,
) -> tuple[list[dict[str, Any]], tuple[datetime, int] | None]:
    """Newest first, keyset-paginated on (updated_at, id) so new testimony never shifts pages."""
    condition = published_condition(audience) & (Endorsement.organiser == organiser_id)
    if before is not None:
        at, last_id = before
        condition &= (Endorsement.updated_at < at) | (
            (Endorsement.updated_at == at) & (Endorsement.id < last_id)
        )
    rows = (
        await Endorsement.select(
            Endorsement.id,
            Endorsement.public_ref,
            Endorsement.testimony,
            Endorsement.theme,
            Endorsement.display_name,
            Endorsement.neighbourhood,
            Endorsement.show_funders,
            Endorsement.updated_at,
        )
        .where(condition)
        .order_by(Endorsement.updated_at, ascending=False)
        .order_by(Endorsement.id, ascending=False)
        .limit(limit + 1)
    )
    page = [public_testimony(row, audience) for row in rows[:limit]]
    next_key = (rows[limit - 1]["updated_at"], rows[limit - 1]["id"]) if len(rows) > limit else None
    return page, next_key


async def visible_endorsement(public_ref: str, audience: Audience) -> int | None:
    """The row behind a public reference, only if this audience can read its words; None
    alike for unknown, withdrawn, held, hidden and not-shared testimony."""
    if not public_ref or len(public_ref) > 64:
        return None
    row = (
        await Endorsement.select(Endorsement.id)
        .where(published_condition(audience) & (Endorsement.public_ref == public_ref))
        .first()
    )
    return None if row is None else int(row["id"])
