"""The programme API's JSON: dates as ISO strings, money in minor units (pence).

PATCH bodies use UNSET for "not sent", so that `null` can clear a date that was recorded by
mistake while a field left out keeps its value.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from groundswell.core.ids import MAX_ROW_ID

RowIdIn = Annotated[int, Meta(ge=1, le=MAX_ROW_ID)]


class AssetBidIn(Struct, forbid_unknown_fields=True):
    asset_name: str
    local_authority: str
    nominating_group: str
    address: str = ""
    postcode: str = ""
    owner: str = ""
    locality_id: int | None = None
    group_host_id: int | None = None
    group_org_id: str | None = None
    contact_emails: list[str] = []
    nominated_on: dt.date | None = None
    listed_on: dt.date | None = None
    disposal_notice_on: dt.date | None = None
    bidder_request_on: dt.date | None = None
    fundraising_target: int | None = None
    amount_raised: int = 0
    notes: str = ""


class AssetBidPatch(Struct, forbid_unknown_fields=True):
    asset_name: str | UnsetType = UNSET
    local_authority: str | UnsetType = UNSET
    nominating_group: str | UnsetType = UNSET
    address: str | UnsetType = UNSET
    postcode: str | UnsetType = UNSET
    owner: str | UnsetType = UNSET
    locality_id: int | UnsetType | None = UNSET
    group_host_id: int | UnsetType | None = UNSET
    group_org_id: str | UnsetType | None = UNSET
    contact_emails: list[str] | UnsetType = UNSET
    nominated_on: dt.date | UnsetType | None = UNSET
    listed_on: dt.date | UnsetType | None = UNSET
    disposal_notice_on: dt.date | UnsetType | None = UNSET
    bidder_request_on: dt.date | UnsetType | None = UNSET
    fundraising_target: int | UnsetType | None = UNSET
    amount_raised: int | UnsetType = UNSET
    notes: str | UnsetType = UNSET


class AssetBidOut(Struct):
    id: int
    stage: str
    asset_name: str
    address: str
    postcode: str
    owner: str
    local_authority: str
    locality_id: int | None
    nominating_group: str
    group_host_id: int | None
    group_org_id: str | None
    contact_emails: list[str]
    nominated_on: dt.date | None
    listed_on: dt.date | None
    disposal_notice_on: dt.date | None
    bidder_request_on: dt.date | None
    decision_due: dt.date | None
    listing_expires: dt.date | None
    interim_moratorium_end: dt.date | None
    full_moratorium_end: dt.date | None
    protected_period_end: dt.date | None
    currency: str
    fundraising_target: int | None
    amount_raised: int
    notes: str


class ServiceBidIn(Struct, forbid_unknown_fields=True):
    service_name: str
    local_authority: str
    nominating_group: str
    locality_id: int | None = None
    group_host_id: int | None = None
    group_org_id: str | None = None
    contact_emails: list[str] = []
    window_opens_on: dt.date | None = None
    window_closes_on: dt.date | None = None
    eoi_on: dt.date | None = None
    decision_period_amount: int | None = None
    decision_period_unit: str = ""
    decision: str | None = None
    decided_on: dt.date | None = None
    rejection_grounds: str = ""
    procurement_starts_on: dt.date | None = None
    procurement_ends_on: dt.date | None = None
    notes: str = ""


class ServiceBidPatch(Struct, forbid_unknown_fields=True):
    service_name: str | UnsetType = UNSET
    local_authority: str | UnsetType = UNSET
    nominating_group: str | UnsetType = UNSET
    locality_id: int | UnsetType | None = UNSET
    group_host_id: int | UnsetType | None = UNSET
    group_org_id: str | UnsetType | None = UNSET
    contact_emails: list[str] | UnsetType = UNSET
    window_opens_on: dt.date | UnsetType | None = UNSET
    window_closes_on: dt.date | UnsetType | None = UNSET
    eoi_on: dt.date | UnsetType | None = UNSET
    decision_period_amount: int | UnsetType | None = UNSET
    decision_period_unit: str | UnsetType = UNSET
    decision: str | UnsetType | None = UNSET
    decided_on: dt.date | UnsetType | None = UNSET
    rejection_grounds: str | UnsetType = UNSET
    procurement_starts_on: dt.date | UnsetType | None = UNSET
    procurement_ends_on: dt.date | UnsetType | None = UNSET
    notes: str | UnsetType = UNSET


class ServiceBidOut(Struct):
    id: int
    stage: str
    service_name: str
    local_authority: str
    locality_id: int | None
    nominating_group: str
    group_host_id: int | None
    group_org_id: str | None
    contact_emails: list[str]
    window_opens_on: dt.date | None
    window_closes_on: dt.date | None
    eoi_on: dt.date | None
    decision_period_amount: int | None
    decision_period_unit: str
    decision_due: dt.date | None
    decision: str | None
    decided_on: dt.date | None
    rejection_grounds: str
    procurement_starts_on: dt.date | None
    procurement_ends_on: dt.date | None
    notes: str


class GrantIn(Struct, forbid_unknown_fields=True):
    """A grant to propose: for exactly one bid, from one pool; `amount` in minor units."""

    pool_id: RowIdIn
    kind: str
    amount: Annotated[int, Meta(ge=1, le=100_000_000_00)]
    asset_bid_id: RowIdIn | None = None
    service_bid_id: RowIdIn | None = None
    title: Annotated[str, Meta(max_length=200)] = ""
    description: Annotated[str, Meta(max_length=4000)] = ""
    regrant_type: Annotated[str, Meta(max_length=8)] = ""


class GrantPaidIn(Struct, forbid_unknown_fields=True):
    payment_reference: Annotated[str, Meta(max_length=100)]
    paid_on: dt.date | None = None  # today when left out


class GrantCancelIn(Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(max_length=2000)]


class GrantOut(Struct):
    id: int
    pool_id: int
    asset_bid_id: int | None
    service_bid_id: int | None
    kind: str
    title: str
    description: str
    amount: int
    currency: str
    status: str
    regrant_type: str
    awarded_on: dt.date | None
    paid_on: dt.date | None
    payment_reference: str
    cancelled_reason: str
    # The ledger transactions its status implies, e.g. ["grant:7:award", "grant:7:paid"].
    ledger_references: list[str]
