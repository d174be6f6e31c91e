"""Programme grants as 360Giving records: every grant made (awarded, paid or not yet) by the
Community Rights programme, with the group behind its bid as the recipient."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from groundswell.exports.threesixty import (
    GrantRecord,
    Organisation,
    Place,
    Programme,
    locality_places,
)
from groundswell.programme.kinds import BID_KINDS
from groundswell.programme.states import GRANT_MADE, GrantKind
from groundswell.programme.tables import ProgrammeGrant
from groundswell.settings import Settings

_PROGRAMMES = {
    "asset": Programme("community-right-to-bid", "Community Right to Bid support"),
    "service": Programme("community-right-to-challenge", "Community Right to Challenge support"),
}


def _recipient(bid: Mapping[str, Any], bid_type: str, prefix: str) -> Organisation:
    """The group behind a bid, by its org-id; our own 360G id when it has none."""
    if bid["group_host"] is not None:
        identifier = bid["group_host_org_id"] or f"{prefix}-host-{bid['group_host']}"
        return Organisation(identifier, bid["group_host_name"] or bid["group_name"])
    identifier = bid["group_org_id"] or f"{prefix}-group-{bid_type}-{bid['id']}"
    return Organisation(identifier, bid["group_name"])


def _places(bid: Mapping[str, Any]) -> tuple[Place, ...]:
    return locality_places(
        bid.get("locality_ward") or "",
        bid.get("locality_name") or "",
        bid.get("locality_la") or "",
        bid.get("locality_authority") or bid.get("local_authority") or "",
    )


async def open_data_grants(settings: Settings) -> list[GrantRecord]:
    """Every programme grant made (awarded, paid or not yet), ready for the 360Giving package;
    a cancelled award is not published."""
    prefix = settings.grant_id_prefix
    grants = await ProgrammeGrant.select(
        *ProgrammeGrant.all_columns(),
        ProgrammeGrant.pool.funder.id.as_alias("funder_id"),  # type: ignore[union-attr]
        ProgrammeGrant.pool.funder.name.as_alias("funder_name"),  # type: ignore[union-attr]
        ProgrammeGrant.pool.funder.org_id.as_alias("funder_org_id"),  # type: ignore[union-attr]
    ).where(ProgrammeGrant.status.is_in([s.value for s in GRANT_MADE]))
    bids: dict[tuple[str, int], dict[str, Any]] = {}
    for bid_kind in BID_KINDS:
        bid_type, table, name_column = bid_kind.key, bid_kind.table, bid_kind.name_field
        ids = [g[f"{bid_type}_bid"] for g in grants if g[f"{bid_type}_bid"] is not None]
        if not ids:
            continue
        rows = await table.select(
            table.id,
            getattr(table, name_column).as_alias("bid_name"),
            table.group_name,
            table.group_org_id,
            table.group_host,
            table.local_authority,
            table.group_host.name.as_alias("group_host_name"),
            table.group_host.org_id.as_alias("group_host_org_id"),
            table.locality.name.as_alias("locality_name"),
            table.locality.ons_ward_code.as_alias("locality_ward"),
            table.locality.ons_la_code.as_alias("locality_la"),
            table.locality.local_authority.as_alias("locality_authority"),
        ).where(table.id.is_in(ids))
        bids.update({(bid_type, row["id"]): row for row in rows})
    records = []
    for grant in grants:
        bid_type = "asset" if grant["asset_bid"] is not None else "service"
        bid = bids[(bid_type, grant[f"{bid_type}_bid"])]
        recipient = _recipient(bid, bid_type, prefix)
        kind = GrantKind(grant["kind"])
        right = "Community Right to Bid" if bid_type == "asset" else "Community Right to Challenge"
        description = grant["description"] or (
            f"A {kind.label.lower()} grant to {recipient.name} for its {right} bid: "
            f"{bid['bid_name']} ({bid['local_authority']})."
        )
        records.append(
            GrantRecord(
                local_id=f"programme-{grant['id']}",
                title=grant["title"],
                description=description,
                currency=grant["currency"],
                amount_minor=grant["amount"],
                award_date=grant["awarded_on"],
                funder=Organisation(
                    grant["funder_org_id"] or f"{prefix}-funder-{grant['funder_id']}",
                    grant["funder_name"],
                ),
                recipient=recipient,
                programme=_PROGRAMMES[bid_type],
                places=_places(bid),
                regrant_type=grant["regrant_type"],
                modified=grant["updated_at"],
            )
        )
    return records
