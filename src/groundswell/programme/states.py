"""Stages of asset and service bids and of programme grants, and the moves between them.

Pure: no I/O. Two kinds of move exist:

* Stages that a statutory fact marks (an asset is listed, the owner gave notice, the
  authority decided) are reached by recording that fact. While a bid is at one of those
  stages its stage mirrors the facts (`asset_stage_after`, `service_stage_after`), so a
  corrected date corrects the stage too.
* The other stages (a bid submitted, the asset purchased, the contract won, withdrawn) are
  reached only by an explicit transition, which must be listed in `*_TRANSITIONS`, and then
  stay put. Terminal stages have no way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class AssetBidStage(StrEnum):
    PREPARING = "preparing"  # the group is preparing its nomination
    NOMINATED = "nominated"  # nominated; the council's decision is due
    LISTED = "listed"  # on the council's list of assets of community value
    INTERIM_MORATORIUM = "interim_moratorium"  # the owner gave notice of disposal
    FULL_MORATORIUM = "full_moratorium"  # a group asked to be treated as a bidder in time
    BID_SUBMITTED = "bid_submitted"  # the group made the owner an offer
    PURCHASED = "purchased"
    LOST = "lost"  # not listed, sold to someone else, or the moratorium ran out
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return ASSET_STAGE_LABELS[self]


ASSET_STAGE_LABELS: Mapping[AssetBidStage, str] = {
    AssetBidStage.PREPARING: "Preparing a nomination",
    AssetBidStage.NOMINATED: "Nominated",
    AssetBidStage.LISTED: "Listed",
    AssetBidStage.INTERIM_MORATORIUM: "Interim moratorium",
    AssetBidStage.FULL_MORATORIUM: "Full moratorium",
    AssetBidStage.BID_SUBMITTED: "Bid submitted",
    AssetBidStage.PURCHASED: "Purchased",
    AssetBidStage.LOST: "Lost",
    AssetBidStage.WITHDRAWN: "Withdrawn",
}

# The stages a recorded date implies, in the order the law runs; the date that marks each.
ASSET_DATE_STAGES: tuple[tuple[AssetBidStage, str | None], ...] = (
    (AssetBidStage.PREPARING, None),
    (AssetBidStage.NOMINATED, "nominated_on"),
    (AssetBidStage.LISTED, "listed_on"),
    (AssetBidStage.INTERIM_MORATORIUM, "disposal_notice_on"),
    (AssetBidStage.FULL_MORATORIUM, "bidder_request_on"),
)

_ASSET_OPEN_ENDINGS = frozenset({AssetBidStage.LOST, AssetBidStage.WITHDRAWN})

ASSET_TRANSITIONS: Mapping[AssetBidStage, frozenset[AssetBidStage]] = {
    AssetBidStage.PREPARING: frozenset({AssetBidStage.NOMINATED}) | _ASSET_OPEN_ENDINGS,
    AssetBidStage.NOMINATED: frozenset({AssetBidStage.LISTED}) | _ASSET_OPEN_ENDINGS,
    AssetBidStage.LISTED: frozenset({AssetBidStage.INTERIM_MORATORIUM}) | _ASSET_OPEN_ENDINGS,
    # A sale to a community interest group is allowed during the interim moratorium.
    AssetBidStage.INTERIM_MORATORIUM: frozenset(
        {AssetBidStage.FULL_MORATORIUM, AssetBidStage.PURCHASED}
    )
    | _ASSET_OPEN_ENDINGS,
    AssetBidStage.FULL_MORATORIUM: frozenset({AssetBidStage.BID_SUBMITTED, AssetBidStage.PURCHASED})
    | _ASSET_OPEN_ENDINGS,
    AssetBidStage.BID_SUBMITTED: frozenset({AssetBidStage.PURCHASED}) | _ASSET_OPEN_ENDINGS,
    AssetBidStage.PURCHASED: frozenset(),
    AssetBidStage.LOST: frozenset(),
    AssetBidStage.WITHDRAWN: frozenset(),
}


class ServiceBidStage(StrEnum):
    PREPARING = "preparing"  # preparing an expression of interest
    EOI_SUBMITTED = "eoi_submitted"  # the authority's decision is due
    ACCEPTED = "accepted"
    MODIFIED = "modified"  # accepted with modifications agreed with the group
    REJECTED = "rejected"  # on one of the grounds the authority stated
    PROCUREMENT = "procurement"  # the authority is running a procurement exercise
    WON = "won"
    LOST = "lost"  # the contract went to someone else, or the service was not procured
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return SERVICE_STAGE_LABELS[self]


SERVICE_STAGE_LABELS: Mapping[ServiceBidStage, str] = {
    ServiceBidStage.PREPARING: "Preparing an expression of interest",
    ServiceBidStage.EOI_SUBMITTED: "Expression of interest submitted",
    ServiceBidStage.ACCEPTED: "Accepted",
    ServiceBidStage.MODIFIED: "Accepted with modifications",
    ServiceBidStage.REJECTED: "Rejected",
    ServiceBidStage.PROCUREMENT: "Procurement",
    ServiceBidStage.WON: "Contract won",
    ServiceBidStage.LOST: "Contract lost",
    ServiceBidStage.WITHDRAWN: "Withdrawn",
}


class ServiceDecision(StrEnum):
    ACCEPTED = "accepted"
    MODIFIED = "modified"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {
            ServiceDecision.ACCEPTED: "Accepted",
            ServiceDecision.MODIFIED: "Modified by agreement",
            ServiceDecision.REJECTED: "Rejected",
        }[self]


ServiceTransitions = Mapping[ServiceBidStage, frozenset[ServiceBidStage]]

SERVICE_TRANSITIONS: ServiceTransitions = {
    ServiceBidStage.PREPARING: frozenset(
        {ServiceBidStage.EOI_SUBMITTED, ServiceBidStage.WITHDRAWN}
    ),
    ServiceBidStage.EOI_SUBMITTED: frozenset(
        {
            ServiceBidStage.ACCEPTED,
            ServiceBidStage.MODIFIED,
            ServiceBidStage.REJECTED,
            ServiceBidStage.WITHDRAWN,
        }
    ),
    ServiceBidStage.ACCEPTED: frozenset({ServiceBidStage.PROCUREMENT, ServiceBidStage.WITHDRAWN}),
    ServiceBidStage.MODIFIED: frozenset({ServiceBidStage.PROCUREMENT, ServiceBidStage.WITHDRAWN}),
    ServiceBidStage.PROCUREMENT: frozenset(
        {ServiceBidStage.WON, ServiceBidStage.LOST, ServiceBidStage.WITHDRAWN}
    ),
    ServiceBidStage.REJECTED: frozenset(),
    ServiceBidStage.WON: frozenset(),
    ServiceBidStage.LOST: frozenset(),
    ServiceBidStage.WITHDRAWN: frozenset(),
}

# Stages an explicit transition may reach; the others follow from dates and the decision.
ASSET_MANUAL_STAGES = (
    AssetBidStage.BID_SUBMITTED,
    AssetBidStage.PURCHASED,
    AssetBidStage.LOST,
    AssetBidStage.WITHDRAWN,
)
SERVICE_MANUAL_STAGES = (ServiceBidStage.WON, ServiceBidStage.LOST, ServiceBidStage.WITHDRAWN)


# Stages the recorded facts decide. While a bid is at one of them its stage mirrors the
# facts, so correcting a mistyped date also corrects the stage; the other stages are reached
# only by an explicit transition and then stay put whatever dates are corrected.
ASSET_DATE_DRIVEN = frozenset(stage for stage, _ in ASSET_DATE_STAGES)
SERVICE_FACT_DRIVEN = frozenset(
    {
        ServiceBidStage.PREPARING,
        ServiceBidStage.EOI_SUBMITTED,
        ServiceBidStage.ACCEPTED,
        ServiceBidStage.MODIFIED,
        ServiceBidStage.REJECTED,
        ServiceBidStage.PROCUREMENT,
    }
)


def is_terminal_asset(stage: AssetBidStage) -> bool:
    return not ASSET_TRANSITIONS[stage]


def is_terminal_service(stage: ServiceBidStage) -> bool:
    return not SERVICE_TRANSITIONS[stage]


def asset_stage_from_dates(dates: Mapping[str, object]) -> AssetBidStage:
    """The furthest stage whose date is recorded (dates are checked for order elsewhere)."""
    reached = AssetBidStage.PREPARING
    for stage, field in ASSET_DATE_STAGES:
        if field is not None and dates.get(field) is not None:
            reached = stage
    return reached


def asset_stage_after(current: AssetBidStage, dates: Mapping[str, object]) -> AssetBidStage:
    """The stage once ``dates`` are recorded: date-driven stages follow the dates."""
    return asset_stage_from_dates(dates) if current in ASSET_DATE_DRIVEN else current


def asset_stage_needs(stage: AssetBidStage) -> tuple[str, ...]:
    """Dates that must stay recorded while a bid is at a stage reached by transition."""
    if stage in (AssetBidStage.BID_SUBMITTED, AssetBidStage.PURCHASED):
        return ("disposal_notice_on",)
    return ()


def service_stage_from_facts(
    *, eoi_on: object, decision: ServiceDecision | None, procurement_starts_on: object
) -> ServiceBidStage:
    if decision is None:
        return ServiceBidStage.EOI_SUBMITTED if eoi_on is not None else ServiceBidStage.PREPARING
    if decision is not ServiceDecision.REJECTED and procurement_starts_on is not None:
        return ServiceBidStage.PROCUREMENT
    return ServiceBidStage(decision.value)


def service_stage_after(
    current: ServiceBidStage,
    *,
    eoi_on: object,
    decision: ServiceDecision | None,
    procurement_starts_on: object,
) -> ServiceBidStage:
    if current not in SERVICE_FACT_DRIVEN:
        return current
    return service_stage_from_facts(
        eoi_on=eoi_on, decision=decision, procurement_starts_on=procurement_starts_on
    )


def service_stage_needs(stage: ServiceBidStage) -> tuple[str, ...]:
    """Facts that must stay recorded while a bid is at a stage reached by transition."""
    if stage in (ServiceBidStage.WON, ServiceBidStage.LOST):
        return ("eoi_on", "decision", "procurement_starts_on")
    return ()


class GrantKind(StrEnum):
    PRE_FEASIBILITY = "pre_feasibility"
    FEASIBILITY = "feasibility"
    CAPITAL = "capital"

    @property
    def label(self) -> str:
        return {
            GrantKind.PRE_FEASIBILITY: "Pre-feasibility",
            GrantKind.FEASIBILITY: "Feasibility",
            GrantKind.CAPITAL: "Capital",
        }[self]


class GrantStatus(StrEnum):
    PROPOSED = "proposed"
    AWARDED = "awarded"  # the pool's money is set aside for the group (ledger: grant awarded)
    PAID = "paid"  # programme staff recorded paying the group (ledger: grant paid)
    CANCELLED = "cancelled"  # never awarded, or awarded and the money returned to the pool

    @property
    def label(self) -> str:
        return {
            GrantStatus.PROPOSED: "Proposed",
            GrantStatus.AWARDED: "Awarded",
            GrantStatus.PAID: "Paid",
            GrantStatus.CANCELLED: "Cancelled",
        }[self]


GRANT_TRANSITIONS: Mapping[GrantStatus, frozenset[GrantStatus]] = {
    GrantStatus.PROPOSED: frozenset({GrantStatus.AWARDED, GrantStatus.CANCELLED}),
    # Cancelling an award posts the money back to the pool's available account.
    GrantStatus.AWARDED: frozenset({GrantStatus.PAID, GrantStatus.CANCELLED}),
    # Paid money has left: getting it back would be a new transaction, not a status.
    GrantStatus.PAID: frozenset(),
    GrantStatus.CANCELLED: frozenset(),
}

# Statuses in which a grant was made (and is published as open data).
GRANT_MADE = frozenset({GrantStatus.AWARDED, GrantStatus.PAID})


def grant_ledger_steps(status: GrantStatus, *, was_awarded: bool) -> tuple[str, ...]:
    """The ledger transactions ("grant:<id>:<step>") a grant in `status` has, in order.

    `was_awarded`: the grant has an award date (a cancelled grant may or may not)."""
    if status is GrantStatus.AWARDED:
        return ("award",)
    if status is GrantStatus.PAID:
        return ("award", "paid")
    if status is GrantStatus.CANCELLED and was_awarded:
        return ("award", "cancel")
    return ()
