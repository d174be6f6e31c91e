"""/api/v1/programme: asset and service bids with their computed deadlines, and the grants
that support them (award, mark paid, cancel: each moves the pool's money in the ledger).

Bearer tokens only (like every /api route); admins write, admins and funders read.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody

from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, settings_of, signed_in
from groundswell.programme import bids, grants
from groundswell.programme.bids import BidKind, durations_from
from groundswell.programme.kinds import ASSET_BID, SERVICE_BID
from groundswell.programme.schemas import (
    AssetBidIn,
    AssetBidOut,
    AssetBidPatch,
    GrantCancelIn,
    GrantIn,
    GrantOut,
    GrantPaidIn,
    ServiceBidIn,
    ServiceBidOut,
    ServiceBidPatch,
)

READERS = [requires_role(Role.ADMIN, Role.FUNDER)]
WRITERS = [requires_role(Role.ADMIN)]


def _sent(data: msgspec.Struct) -> dict[str, Any]:
    """The fields the client actually sent (UNSET ones were left out)."""
    return {
        key: value
        for key, value in msgspec.structs.asdict(data).items()
        if value is not msgspec.UNSET
    }


async def _create(
    request: Request[Any, Any, Any], kind: BidKind, data: msgspec.Struct
) -> dict[str, Any]:
    durations = durations_from(settings_of(request))
    bid_id = await bids.create_bid(
        kind, signed_in(request), _sent(data), durations=durations, minor_units=True
    )
    return await bids.get_bid(kind, bid_id, durations=durations)


async def _get(request: Request[Any, Any, Any], kind: BidKind, bid_id: int) -> dict[str, Any]:
    return await bids.get_bid(kind, bid_id, durations=durations_from(settings_of(request)))


async def _update(
    request: Request[Any, Any, Any], kind: BidKind, bid_id: int, data: msgspec.Struct
) -> dict[str, Any]:
    """A partial update (PATCH): only the fields sent change."""
    durations = durations_from(settings_of(request))
    await bids.update_bid(
        kind,
        signed_in(request),
        bid_id,
        _sent(data),
        durations=durations,
        minor_units=True,
        partial=True,
    )
    return await bids.get_bid(kind, bid_id, durations=durations)


def _shared_out(bid: dict[str, Any], *, show_contacts: bool) -> dict[str, Any]:
    """What either kind of bid shows: its stage, place, group and notes."""
    return {
        "id": bid["id"],
        "stage": bid["stage"],
        "local_authority": bid["local_authority"],
        "locality_id": bid["locality"],
        "nominating_group": bid["group_name"],
        "group_host_id": bid["group_host"],
        "group_org_id": bid["group_org_id"],
        "contact_emails": bid["emails"] if show_contacts else [],
        "notes": bid["notes"],
    }


def asset_bid_out(bid: dict[str, Any], *, show_contacts: bool) -> AssetBidOut:
    deadlines = bid["deadlines"]
    return AssetBidOut(
        **_shared_out(bid, show_contacts=show_contacts),
        asset_name=bid["asset_name"],
        address=bid["address"],
        postcode=bid["postcode"],
        owner=bid["owner"],
        nominated_on=bid["nominated_on"],
        listed_on=bid["listed_on"],
        disposal_notice_on=bid["disposal_notice_on"],
        bidder_request_on=bid["bidder_request_on"],
        decision_due=deadlines.decision_due,
        listing_expires=deadlines.listing_expires,
        interim_moratorium_end=deadlines.interim_moratorium_end,
        full_moratorium_end=deadlines.full_moratorium_end,
        protected_period_end=deadlines.protected_period_end,
        currency=bid["currency"],
        fundraising_target=bid["fundraising_target"],
        amount_raised=bid["amount_raised"],
    )


def service_bid_out(bid: dict[str, Any], *, show_contacts: bool) -> ServiceBidOut:
    return ServiceBidOut(
        **_shared_out(bid, show_contacts=show_contacts),
        service_name=bid["service_name"],
        window_opens_on=bid["window_opens_on"],
        window_closes_on=bid["window_closes_on"],
        eoi_on=bid["eoi_on"],
        decision_period_amount=bid["decision_period_amount"],
        decision_period_unit=bid["decision_period_unit"],
        decision_due=bid["decision_due"],
        decision=bid["decision"],
        decided_on=bid["decided_on"],
        rejection_grounds=bid["rejection_grounds"],
        procurement_starts_on=bid["procurement_starts_on"],
        procurement_ends_on=bid["procurement_ends_on"],
    )


class AssetBidApi(Controller):
    path = "/api/v1/programme/asset-bids"
    tags = ("programme",)

    @post("/", guards=WRITERS)
    async def create_asset_bid(
        self, request: Request[Any, Any, Any], data: JSONBody[AssetBidIn]
    ) -> AssetBidOut:
        """Record a Right to Bid case; dates are optional until known."""
        bid = await _create(request, ASSET_BID, data)
        return asset_bid_out(bid, show_contacts=True)

    @get("/{asset_bid_id:int}", guards=READERS)
    async def get_asset_bid(
        self, request: Request[Any, Any, Any], asset_bid_id: RowId
    ) -> AssetBidOut:
        """The bid with every deadline its dates imply (null until the dates are known)."""
        bid = await _get(request, ASSET_BID, asset_bid_id)
        return asset_bid_out(bid, show_contacts=signed_in(request).is_admin)

    @patch("/{asset_bid_id:int}", guards=WRITERS)
    async def update_asset_bid(
        self,
        request: Request[Any, Any, Any],
        asset_bid_id: RowId,
        data: JSONBody[AssetBidPatch],
    ) -> AssetBidOut:
        """Change the fields sent; `null` clears a date. The stage follows the dates."""
        bid = await _update(request, ASSET_BID, asset_bid_id, data)
        return asset_bid_out(bid, show_contacts=True)


class ServiceBidApi(Controller):
    path = "/api/v1/programme/service-bids"
    tags = ("programme",)

    @post("/", guards=WRITERS)
    async def create_service_bid(
        self, request: Request[Any, Any, Any], data: JSONBody[ServiceBidIn]
    ) -> ServiceBidOut:
        """Record a Right to Challenge case."""
        bid = await _create(request, SERVICE_BID, data)
        return service_bid_out(bid, show_contacts=True)

    @get("/{service_bid_id:int}", guards=READERS)
    async def get_service_bid(
        self, request: Request[Any, Any, Any], service_bid_id: RowId
    ) -> ServiceBidOut:
        """The bid with `decision_due` (null until the interest date and period are known)."""
        bid = await _get(request, SERVICE_BID, service_bid_id)
        return service_bid_out(bid, show_contacts=signed_in(request).is_admin)

    @patch("/{service_bid_id:int}", guards=WRITERS)
    async def update_service_bid(
        self,
        request: Request[Any, Any, Any],
        service_bid_id: RowId,
        data: JSONBody[ServiceBidPatch],
    ) -> ServiceBidOut:
        """Change the fields sent; recording the decision moves the stage."""
        bid = await _update(request, SERVICE_BID, service_bid_id, data)
        return service_bid_out(bid, show_contacts=True)


def grant_out(grant: dict[str, Any]) -> GrantOut:
    return GrantOut(
        id=grant["id"],
        pool_id=grant["pool"],
        asset_bid_id=grant["asset_bid"],
        service_bid_id=grant["service_bid"],
        kind=grant["kind"],
        title=grant["title"],
        description=grant["description"],
        amount=grant["amount"],
        currency=grant["currency"],
        status=grant["status"],
        regrant_type=grant["regrant_type"],
        awarded_on=grant["awarded_on"],
        paid_on=grant["paid_on"],
        payment_reference=grant["payment_reference"],
        cancelled_reason=grant["cancelled_reason"],
        ledger_references=grants.grant_ledger_references(grant),
    )


class GrantApi(Controller):
    path = "/api/v1/programme/grants"
    tags = ("programme",)

    @post("/", guards=WRITERS)
    async def propose_grant(
        self, request: Request[Any, Any, Any], data: JSONBody[GrantIn]
    ) -> GrantOut:
        """Propose a grant from a pool for one bid (`amount` in pence); nothing moves yet."""
        grant_id = await grants.propose_grant(
            signed_in(request), msgspec.structs.asdict(data), minor_units=True
        )
        return grant_out(await grants.get_grant(grant_id))

    @get("/{grant_id:int}", guards=READERS)
    async def get_grant(self, grant_id: RowId) -> GrantOut:
        return grant_out(await grants.get_grant(grant_id))

    @post("/{grant_id:int}/award", guards=WRITERS, status_code=200)
    async def award_grant(self, request: Request[Any, Any, Any], grant_id: RowId) -> GrantOut:
        """Award it: the amount leaves the pool's available money (409 when there is not
        enough, and nothing changes). Awarding it again changes nothing."""
        await grants.award_grant(signed_in(request), grant_id)
        return grant_out(await grants.get_grant(grant_id))

    @post("/{grant_id:int}/paid", guards=WRITERS, status_code=200)
    async def mark_grant_paid(
        self, request: Request[Any, Any, Any], grant_id: RowId, data: JSONBody[GrantPaidIn]
    ) -> GrantOut:
        """Record that the group was paid an awarded grant. Recording it again changes nothing."""
        await grants.mark_grant_paid(signed_in(request), grant_id, msgspec.structs.asdict(data))
        return grant_out(await grants.get_grant(grant_id))

    @post("/{grant_id:int}/cancel", guards=WRITERS, status_code=200)
    async def cancel_grant(
        self, request: Request[Any, Any, Any], grant_id: RowId, data: JSONBody[GrantCancelIn]
    ) -> GrantOut:
        """Cancel a proposed grant, or an award not yet paid (its money goes back to the
        pool's available balance). A paid grant cannot be cancelled (409)."""
        await grants.cancel_grant(signed_in(request), grant_id, data.reason)
        return grant_out(await grants.get_grant(grant_id))
