"""Paid allocations as 360Giving grants: continuation funding, published once it is paid."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from groundswell.allocation.columns import round_pool_funder
from groundswell.allocation.periods import Period
from groundswell.allocation.states import AllocationState
from groundswell.allocation.tables import Allocation, AllocationShare
from groundswell.exports.threesixty import GrantRecord, Organisation, Programme, locality_places
from groundswell.settings import Settings

PROGRAMME = Programme("continuation-funding", "Continuation funding for community organisers")


def _funder_org(prefix: str, funder_id: int, org_id: str | None, name: str) -> Organisation:
    return Organisation(org_id or f"{prefix}-funder-{funder_id}", name)


async def _parts(
    allocation_ids: list[int], prefix: str
) -> dict[int, tuple[tuple[Organisation, int], ...]]:
    """Each co-funded line's funders with their parts, the pool's lead funder first."""
    if not allocation_ids:
        return {}
    rows = await AllocationShare.select(
        AllocationShare.allocation,
        AllocationShare.amount,
        AllocationShare.funder.id.as_alias("funder_id"),
        AllocationShare.funder.name.as_alias("funder_name"),
        AllocationShare.funder.org_id.as_alias("funder_org_id"),
        AllocationShare.round.pool.funder.as_alias("lead_id"),  # type: ignore[union-attr]
    ).where(AllocationShare.allocation.is_in(allocation_ids) & (AllocationShare.amount > 0))
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[int(row["allocation"])].append(row)
    return {
        line: tuple(
            (_funder_org(prefix, r["funder_id"], r["funder_org_id"], r["funder_name"]), r["amount"])
            for r in sorted(found, key=lambda r: (r["funder_id"] != r["lead_id"], r["funder_id"]))
        )
        for line, found in grouped.items()
    }


async def open_data_allocations(settings: Settings) -> list[GrantRecord]:
    prefix = settings.grant_id_prefix
    rows = await Allocation.select(
        Allocation.id,
        Allocation.amount,
        Allocation.endorsers,
        Allocation.updated_at,
        *round_pool_funder(),
        Allocation.round.approved_at.as_alias("approved_at"),
        Allocation.round.pool.funder.org_id.as_alias("funder_org_id"),  # type: ignore[union-attr]
        Allocation.host.id.as_alias("host_id"),
        Allocation.host.name.as_alias("host_name"),
        Allocation.host.org_id.as_alias("host_org_id"),
        Allocation.organiser.locality.name.as_alias("locality_name"),  # type: ignore[union-attr]
        Allocation.organiser.locality.ons_ward_code.as_alias("ward"),  # type: ignore[union-attr]
        Allocation.organiser.locality.ons_la_code.as_alias("la"),  # type: ignore[union-attr]
        Allocation.organiser.locality.local_authority.as_alias("authority"),  # type: ignore[union-attr]
    ).where((Allocation.state == AllocationState.PAID.value) & (Allocation.amount > 0))
    parts = await _parts([row["id"] for row in rows], prefix)
    records = []
    for row in rows:
        # The recipient is the host organisation; the organiser is a person and stays unnamed.
        recipient = Organisation(
            row["host_org_id"] or f"{prefix}-host-{row['host_id']}", row["host_name"]
        )
        place = row["locality_name"]
        records.append(
            GrantRecord(
                local_id=f"allocation-{row['id']}",
                title=f"Continuation funding for community organising in {place}",
                description=(
                    f"Continuation funding from {row['pool_name']} for "
                    f"{Period(row['period_start'], row['period_end']).in_words()}, for the community organiser {recipient.name} hosts in "
                    f"{place}, after {row['endorsers']} residents vouched for their work. "
                    "No application and no conditions."
                ),
                currency=row["currency"],
                amount_minor=row["amount"],
                award_date=row["approved_at"].date(),
                funder=_funder_org(
                    prefix, row["funder_id"], row["funder_org_id"], row["funder_name"]
                ),
                recipient=recipient,
                programme=PROGRAMME,
                places=locality_places(row["ward"], place, row["la"], row["authority"]),
                modified=row["updated_at"],
                parts=parts.get(row["id"], ()),
            )
        )
    return records
